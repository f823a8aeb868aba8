"""A guided-lab stop that filters a list (3.2's `:svc kube-dns` narrows the Services to one) keeps
that filter to itself: the next stop and `:lab off` take it away, so pane 4 is not left showing
kube-dns alone, under a lab that has moved on to website. A filter the user typed since stays.
`:lab` of a stop that does not exist names the stops that do (it said 1.1 to 4.2, after step 5 came)."""

from __future__ import annotations

from k8snet_tui.present.lab import STOPS

from tests.ui.conftest import lab_answer_words, screen_text, screen_words, settle


def _services_rows(app) -> list[str]:
    return [line for line in screen_text(app).splitlines() if line.lstrip().startswith(("default ", "kube-sys"))]


async def _lab(pilot, app, where: str) -> str:
    await pilot.press("colon", *f"lab {where}", "enter")
    return await lab_answer_words(pilot, app)


async def test_a_stops_filter_goes_with_the_next_stop_and_with_lab_off(make_lab_app):
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _lab(pilot, app, "3.2")
        rows = _services_rows(app)
        assert rows and all("kube-dns" in r for r in rows)  # the stop's own filter, shown
        await _lab(pilot, app, "3.3")
        await pilot.press("4")
        await settle(pilot)
        assert "/kube-dns" not in screen_text(app).splitlines()[0]
        assert any(" website " in r for r in _services_rows(app))
        await _lab(pilot, app, "3.2")
        await pilot.press("colon", *"lab off", "enter")
        await settle(pilot)
        assert "/kube-dns" not in screen_text(app).splitlines()[0]
        assert any(" website " in r for r in _services_rows(app))


async def test_a_filter_the_user_typed_stays(make_lab_app):
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _lab(pilot, app, "3.2")
        await pilot.press("slash", "ctrl+u", *"web", "enter")
        await settle(pilot)
        await pilot.press("colon", *"lab off", "enter")
        await settle(pilot)
        assert "/web" in screen_text(app).splitlines()[0]


async def test_an_unknown_stop_names_the_stops_there_are(make_lab_app):
    last_step = STOPS[-1].step
    last = f"{last_step}.{sum(1 for s in STOPS if s.step == last_step)}"
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"lab 9.9", "enter")
        await settle(pilot)
        words = screen_words(app)
        assert "no stop '9.9'" in words and f"1.1 to {last})" in words

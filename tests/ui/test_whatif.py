"""What-if keys on the Services trace, driven by keys at 80x24 on the bundled lab: `r` pretend
requests (seeded: the same presses give the same pod), `x` a pretend deletion of the endpoint's pod."""

from __future__ import annotations

from tests.ui.conftest import screen_text, screen_words, settle


def toast_words(app) -> str:
    """The words of the toasts: what is right of a toast's left edge (▌) on each row."""
    parts = [line.rsplit("▌", 1)[1] for line in screen_text(app).splitlines() if "▌" in line]
    return " ".join(w for p in parts for w in p.split() if w.strip("▎▁"))


async def open_website_trace(pilot) -> None:
    await settle(pilot)
    await pilot.press("down", "down", "down", "enter")  # engine, headlesswebsite, kubernetes, website
    await settle(pilot)
    assert "Trace default/website" in screen_text(pilot.app)


async def to_endpoint(pilot, address: str) -> None:
    for _ in range(60):
        if f"on endpoint {address}" in screen_words(pilot.app):
            return
        await pilot.press("down")
        await pilot.pause()
    raise AssertionError(f"no endpoint line for {address}:\n{screen_text(pilot.app)}")


async def test_r_sends_a_pretend_request_and_names_the_pod_and_the_counters(make_lab_app):
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_website_trace(pilot)
        assert "r Request?" in screen_text(app) and "x Delete?" in screen_text(app)  # in the footer
        await pilot.press("r")
        await settle(pilot)
        words = screen_words(app)
        assert "WHAT IF (computed: nothing is sent, nothing is deleted)" in words
        assert "from the client pod default/client (10.0.1.6) to 10.97.71.81:80" in words
        assert "request #1: answered by default/website-67cdc95f5f-fhmzn at 10.0.0.2:80 (random pick" in words
        assert "KUBE-SERVICES #7 [6 -> 7 pkts]" in words
        assert "KUBE-SVC-RYQJBQ5TR32XWAUN #2 [2 -> 3 pkts]" in words
        assert "KUBE-SEP-X2MCN5BVWANDBEEH #2 [2 -> 3 pkts]" in words
        await pilot.press("m")  # 100 more
        await settle(pilot)
        assert "after 101 requests" in screen_words(app)
        await pilot.press("escape")
        await settle(pilot)
        assert "WHAT IF" not in screen_text(app) and "Trace default/website" in screen_text(app)
        await pilot.press("r")  # the same seed: the same first answer
        await settle(pilot)
        assert "request #1: answered by default/website-67cdc95f5f-fhmzn" in screen_words(app)


async def test_x_on_an_endpoint_predicts_the_rules_after_its_pod_is_deleted(make_lab_app):
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_website_trace(pilot)
        await to_endpoint(pilot, "10.0.0.3:80")
        await pilot.press("x")
        await settle(pilot)
        words = screen_words(app)
        assert "what if pod default/website-67cdc95f5f-gmn95 is deleted" in words
        assert "WHAT IF (computed: nothing is sent, nothing is deleted)" in words
        assert "(service chain KUBE-SVC-RYQJBQ5TR32XWAUN): 3 -> 2 endpoints" in words
        assert "- 10.0.0.3:80 default/website-67cdc95f5f-gmn95 KUBE-SEP-N7VSNWLSIFJSRFBL: gone" in words
        assert ("~ 10.0.0.2:80 default/website-67cdc95f5f-fhmzn KUBE-SEP-X2MCN5BVWANDBEEH: "
                "1/3 (probability 0.33333333349) -> 1/2 (probability 0.50000000000)") in words
        assert "ReplicaSet website-67cdc95f5f creates a replacement pod" in words
        await pilot.press("escape")
        await settle(pilot)
        assert "WHAT IF" not in screen_text(app)
        assert "on endpoint 10.0.0.3:80" in screen_words(app)  # back on the same trace line


async def test_x_off_an_endpoint_says_where_to_go_and_the_table_has_no_what_if_keys(make_lab_app):
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "Request?" not in screen_text(app)
        await pilot.press("x", "r")  # on the table: nothing happens
        await settle(pilot)
        assert "WHAT IF" not in screen_text(app)
        await pilot.press("down", "down", "down", "enter")
        await settle(pilot)
        await pilot.press("x")  # the first line of a trace is no endpoint
        await settle(pilot)
        assert "what if move the cursor to an endpoint line (⇒) with a pod first" in toast_words(app)

"""Keys typed while the app starts, or faster than it handles them, all take effect in order.

A user test typed `4` then `/web` within the first 200 ms: the filter box opened empty, `w`,
`e` and `b` went to the table it replaced. Here the keys go into the app's queue before its
first frame has settled, as a terminal sends a paste.
"""

from __future__ import annotations

from tests.ui.conftest import screen_lines, screen_words, settle
from tests.ui.test_monkey import send


async def until_settled(pilot, tries: int = 20) -> None:
    for _ in range(tries):
        await settle(pilot)
        order = getattr(pilot.app, "key_order", None)  # keys the app still holds back
        if order is None or not order.pending:
            return


async def test_a_filter_typed_while_the_app_starts_filters(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        for key in ("4", "slash", "w", "e", "b"):
            send(app, key)
        await until_settled(pilot)
        lines = screen_lines(app)
        assert "/web" in lines[0], lines[0]  # the header names the filter in force
        words = screen_words(app)
        assert "website" in words and "kube-dns" not in words, words
        assert "web" in lines[-2], lines[-2]  # the box holds every letter


async def test_a_command_pasted_right_after_a_pane_key_at_start_runs(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        for key in ("8", "colon", *"svc website", "enter"):
            send(app, key)
        await until_settled(pilot)
        lines = screen_lines(app)
        assert "4 Servi" in lines[0] and "/website" in lines[0], lines[0]  # the Services pane, filtered
        assert "kube-dns" not in screen_words(app)

"""`:diff B` in the TUI at 80x24: the open state against a snapshot, in the CLI's words, in a box."""

from __future__ import annotations

from tests.test_cli_diff_find import DELETION, after_deletion
from tests.ui.conftest import screen_text, screen_words, settle


async def until_shown(pilot, words: str) -> None:
    """The comparison runs in a thread and hands its box (or message) back to the UI: wait for it."""
    for _ in range(50):
        await settle(pilot)
        if words in screen_words(pilot.app):
            return
        await pilot.pause(0.1)


async def test_colon_diff_shows_what_changed_against_a_snapshot(make_lab_app, tmp_path):
    after = after_deletion(tmp_path)
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *f"diff {after}", "enter")
        await until_shown(pilot, "esc: close")
        words = screen_words(app)
        assert "diff: 10 changes: pods 1, endpoints 2, chains 1, probabilities 2" in words
        assert f"- pod {DELETION.victim} is gone" in words
        assert f"- the endpoint chain of {DELETION.address}:80 of default/website:http is gone" in words
        assert "esc: close" in words
        await pilot.press("escape")
        await settle(pilot)
        assert "diff:" not in screen_text(app) and "4 Services" in screen_text(app)


async def test_colon_diff_of_something_that_is_no_snapshot_says_so(make_lab_app, tmp_path):
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *f"diff {tmp_path / 'nothing-here'}", "enter")
        await until_shown(pilot, "no snapshot at")  # the path follows, wrapped in the toast
        text = screen_text(app)
        assert "no snapshot at" in screen_words(app) and "diff:" not in text
        assert app.crash is None

"""Pane 0's `t` prompt takes ADDRESS:PORT [as UID]: words after the destination that are not
`as UID` are refused with a warning, instead of walking the connection as uid 0."""

from __future__ import annotations

from k8snet_tui.sources.snapshot import bundled_lab_path

from tests.ui.conftest import screen_words, settle


async def test_a_bad_uid_is_refused_not_read_as_uid_0(make_lab_app):
    app = make_lab_app(snapshot=str(bundled_lab_path()))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("0")
        await settle(pilot)
        await pilot.press("t", *"10.96.0.10:53 as abc", "enter")
        await settle(pilot)
        words = screen_words(app)
        assert "'as abc' is not `as UID`" in words
        assert "(as uid 0)" not in words
        await pilot.press("ctrl+u", *"10.96.0.10:53 as 1337", "enter")
        await settle(pilot)
        assert "10.96.0.10:53 (as uid 1337)" in screen_words(app)

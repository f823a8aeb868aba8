"""A pane switch hands the keyboard to the new pane at once: a key typed right after the pane's
number acts on that pane's list, and the footer shows that pane's keys, with nothing waited for
between the keys (the switch draws its focus and footer in its one frame)."""

from __future__ import annotations

from tests.ui.conftest import screen_lines, settle


async def test_a_key_right_after_a_switch_moves_the_new_panes_cursor(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        on_first = [line for line in screen_lines(app) if "labels:" in line]
        await pilot.press("4")
        await settle(pilot)
        # `3` and `down` in one burst: the down is the pods table's, not the hidden Services'
        await pilot.press("3", "down")
        await settle(pilot)
        lines = screen_lines(app)
        assert any("Pod network" in line for line in lines[:1]), lines
        detail = [line for line in lines if "labels:" in line]
        assert detail and detail != on_first, (on_first, detail)
        footer = lines[-1]
        assert "Check pod" in footer or "Next section" in footer, footer

"""The guided lab's header badge when there is no header: a palette pick landing as the app closes.

Picking "Guided lab" or "By-hand commands" in the palette runs its command after the palette has
gone; when that happens as the app closes, the header (the StatusBar that carries the `LAB 1.1 ·
CMDS` badge) is already gone. Setting the badge then raised NoMatches and ended the app with a
traceback. The badge is set only on a header that exists; the lab itself goes on.
"""

from __future__ import annotations

import re

from k8snet_tui.widgets.status_bar import StatusBar

from tests.ui.conftest import press_and_settle, screen_text, settle


async def pick_in_palette(pilot, words: str) -> None:
    await press_and_settle(pilot, "ctrl+p")
    await pilot.press(*["space" if c == " " else c for c in words])
    await press_and_settle(pilot, "enter")


async def test_palette_lab_picks_without_a_header_keep_the_app_running(make_lab_app):
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press_and_settle(pilot, "greater_than_sign")  # the lab's first stop
        assert "LAB 1.1" in screen_text(app).splitlines()[0]
        await app.query_one(StatusBar).remove()  # as while the app closes: the header is gone first
        await settle(pilot)
        assert "ns: all" not in screen_text(app)  # no header line any more

        await pick_in_palette(pilot, "Guided lab")  # the lab again, at the stop it was on
        assert app.is_running, "the app ended on a palette pick with no header"
        text = screen_text(app)
        assert re.search(r"LAB 1\.1  1/\d+ ", text) and "Guided lab" not in text, text  # the stop shown, the palette gone

        await pick_in_palette(pilot, "By-hand commands")
        assert app.is_running
        await press_and_settle(pilot, "q")
    assert app.return_code == 0

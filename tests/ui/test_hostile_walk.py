"""Walk every pane with the injection corpus loaded: nothing is interpreted, nothing escapes."""

from __future__ import annotations

import html
import re

from k8snet_tui.app import make_app
from k8snet_tui.collect.session import SnapshotSession
from k8snet_tui.config import Settings
from k8snet_tui.sources.snapshot import load_snapshot

from tests.support.hostile import hostile_lab


def screen_text(app) -> str:
    svg = app.export_screenshot()
    # The SVG keeps each cell's character; spaces are written as no-break spaces.
    texts = re.findall(r">([^<]*)</text>", svg)
    return html.unescape("".join(texts)).replace("\xa0", " ")


async def test_walk_all_panes_with_the_corpus(tmp_path, monkeypatch):
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    snap = load_snapshot(hostile_lab(tmp_path))
    app = make_app(Settings(offline=True), SnapshotSession(snap), save_dir=str(tmp_path / "saved"))
    seen = []
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        for key in "123456":
            await pilot.press(key)
            await pilot.pause()
            for action in ("e", "enter", "escape", "e"):
                await pilot.press(action)
                await pilot.pause()
                svg = app.export_screenshot()
                assert "<a " not in svg, f"a hyperlink was rendered on pane {key}"
                text = screen_text(app)
                assert "\x1b" not in text and "\u202e" not in text and "\u200b" not in text
                seen.append(text)
    everything = "\n".join(seen)
    # Markup shows as typed somewhere (the services table lists the hostile names).
    assert "[unclosed" in everything
    assert "[bold red]pwn[/]" in everything

"""The footer on a narrow terminal: whole keys only, the pane's own first (read from the screen).

At 80x24 pane 9's footer read "... / Filter e Expl▏^p palette": a label cut mid-word. What does
not fit is dropped whole, from the right, so the keys the footer still shows all read right.
"""

from __future__ import annotations

import pytest
from textual.binding import Binding

from k8snet_tui.registry import PANES

from tests.ui.conftest import press_and_settle, screen_lines, settle

PALETTE = "▏^p palette"
DIGITS = sorted(int(spec.key) for spec in PANES)
PANES_LABEL = f"{DIGITS[0]}-{DIGITS[-1]} Panes"  # the number keys share one entry


def entry_labels(app) -> set[str]:
    """Every "KEY Description" the footer may draw here, from the screen's live bindings."""
    labels = {f"{app.get_key_display(active.binding)} {active.binding.description}"
              for active in app.screen.active_bindings.values() if active.binding.show}
    return labels | {PANES_LABEL, "⏎ Run", "⏎ Done", "esc Back"}


def footer_entries(line: str, labels: set[str]) -> list[str]:
    """The footer's left part read as whole entries; a piece that is no entry fails the test."""
    assert line.rstrip().endswith(PALETTE), line
    left = line.rstrip()[: -len(PALETTE)].strip()
    entries: list[str] = []
    while left:
        whole = [label for label in labels if left == label or left.startswith(label + " ")]
        assert whole, f"{left!r} does not start with a whole key of this place: {line!r}"
        label = max(whole, key=len)
        entries.append(label)
        left = left[len(label):].lstrip()
    return entries


async def check_footer(app, where: str) -> list[str]:
    line = screen_lines(app)[-1]
    entries = footer_entries(line, entry_labels(app))
    assert entries[:2] == ["? Help", "q Quit"], (where, line)
    return entries


@pytest.mark.parametrize("width", [80, 60])
async def test_the_footer_shows_whole_keys_only_on_every_pane(make_lab_app, width):
    app = make_lab_app()
    async with app.run_test(size=(width, 24)) as pilot:
        await settle(pilot)
        for spec in PANES:
            await press_and_settle(pilot, spec.key)
            entries = await check_footer(app, f"pane {spec.key} at {width} columns")
            # the pane's own keys come before the app's: once one of the app's shows, no pane key follows
            app_keys = {f"{app.get_key_display(b)} {b.description}" for b in app.BINDINGS if isinstance(b, Binding)}
            app_keys.add(PANES_LABEL)
            seen_app = [entry in app_keys for entry in entries[2:]]
            assert seen_app == sorted(seen_app), (spec.key, entries)

@pytest.mark.parametrize("width", [80, 60])
async def test_the_footer_shows_whole_keys_on_a_trace_and_in_a_box(make_lab_app, width):
    app = make_lab_app()
    async with app.run_test(size=(width, 24)) as pilot:
        await settle(pilot)
        await press_and_settle(pilot, "4", "enter")  # the first Service's trace
        await check_footer(app, f"trace at {width} columns")
        await press_and_settle(pilot, "colon")  # the command box: enter and esc lead
        line = screen_lines(app)[-1]
        assert footer_entries(line, entry_labels(app))[:2] == ["⏎ Run", "esc Back"], line

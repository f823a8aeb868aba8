"""The strip under a pane that `k` shows: the commands that show the view's facts by hand."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from k8snet_tui.present.commands import ByHand
from k8snet_tui.widgets.safe import data_text


def by_hand_text(commands: tuple[ByHand, ...]) -> Text:
    """One `$ command` per line, what it shows after it (dim); cluster names are data."""
    out = Text()
    for i, c in enumerate(commands):
        if i:
            out.append("\n")
        out.append("$ ", style="bold")
        out.append_text(data_text(c.command, style="bold"))
        out.append_text(data_text(f"  # {c.fact}", style="dim"))
    return out or Text("no by-hand command for this view", style="dim")


class ByHandStrip(Static):
    DEFAULT_CSS = """
    ByHandStrip {
        height: auto;
        max-height: 5;
        padding: 0 1;
        background: $panel;
        display: none;
    }
    """

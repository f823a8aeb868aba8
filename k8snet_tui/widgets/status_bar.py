"""The header: where the data comes from, which namespace, and whether it can be trusted now."""

from __future__ import annotations

import time

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from k8snet_tui.widgets.safe import data_text


class StatusBar(Static):
    """One line: mode badge, namespace, read-only badge, stale badge, and the current pane."""

    mode_label: reactive[str] = reactive("")
    namespace: reactive[str] = reactive("all namespaces")
    stale_since: reactive[float | None] = reactive(None)
    pane_title: reactive[str] = reactive("")
    live: reactive[bool] = reactive(False)

    def render(self) -> Text:
        badge_style = "bold reverse green" if self.live else "bold reverse cyan"
        line = Text()
        line.append(" k8snet ", style="bold")
        line.append(" ")
        line.append_text(data_text(f" {self.mode_label} ", style=badge_style))
        line.append("  ns: ")
        line.append_text(data_text(self.namespace, style="bold"))
        line.append("  ")
        line.append(" READ-ONLY ", style="reverse")
        if self.stale_since is not None:
            stamp = time.strftime("%H:%M:%S", time.localtime(self.stale_since))
            line.append("  ")
            line.append(f" STALE since {stamp} ", style="bold reverse red")
        if self.pane_title:
            line.append("  │ ")
            line.append(self.pane_title, style="bold")
        return line

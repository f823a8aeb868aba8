"""The header: where the data comes from, which namespace, and whether it can be trusted now."""

from __future__ import annotations

import time
from typing import NamedTuple

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.widgets import Footer, Static
from textual.widgets._footer import FooterKey  # Textual exports no public name for it (8.2)

from k8snet_tui.widgets.safe import data_text


class StatusBar(Static):
    """One line: mode badge, namespace, read-only badge, stale badge, and the current pane."""

    mode_label: reactive[str] = reactive("")
    namespace: reactive[str] = reactive("all namespaces")
    stale_since: reactive[float | None] = reactive(None)
    pane_title: reactive[str] = reactive("")
    live: reactive[bool] = reactive(False)
    node_badge: reactive[str] = reactive("")  # "node node-2 agent 12s": whose state the node panes read
    badges: reactive[str] = reactive("")  # the guided lab's stop, the by-hand toggle (screens/lab.py)

    def render(self) -> Text:
        full = self._line(compact=False)
        width = self.size.width
        if width and full.cell_len > width:
            # 80 columns: shorter words, same facts; `?` shows the source in full.
            return self._line(compact=True)
        return full

    def _line(self, *, compact: bool) -> Text:
        badge_style = "bold reverse green" if self.live else "bold reverse cyan"
        gap = " " if compact else "  "
        line = Text()
        if not compact:
            line.append(" k8snet ", style="bold")
            line.append(" ")
        line.append_text(data_text(f" {self.mode_label} ", style=badge_style))
        line.append(f"{gap}ns: ")
        namespace = "all" if compact and self.namespace == "all namespaces" else self.namespace
        line.append_text(data_text(namespace, style="bold"))
        line.append(gap)
        line.append(" RO " if compact else " READ-ONLY ", style="reverse")
        if self.stale_since is not None:
            stamp = time.strftime("%H:%M:%S", time.localtime(self.stale_since))
            line.append(gap)
            line.append(f" STALE {stamp} " if compact else f" STALE since {stamp} ", style="bold reverse red")
        if self.badges:
            line.append(gap)
            line.append(f" {self.badges} ", style="bold reverse")
        if self.node_badge:
            line.append(gap)
            badge = self.node_badge.removeprefix("node ") if compact else self.node_badge
            line.append_text(data_text(badge if len(badge) <= 34 else badge[:33] + "…", style="bold"))
        if self.pane_title:
            line.append(f"{gap}│ ")
            line.append(self.pane_title, style="bold")
        return line


class KeyFooter(Footer):
    """Textual's footer, ordered for 80 columns: `?` and `q` first, the pane's keys next.

    Textual lists the focused widget's bindings first and the app's last, so on a narrow
    terminal help and quit were the ones cut off. The number keys share one entry ("1-6 Panes").
    """

    FIRST_ACTIONS = ("help", "quit")
    PANE_ACTION = "show_pane"

    # What is on screen now: (compact, entries). Textual recomposes the footer on every change
    # of focus or bindings (several times per pane switch, ~25 widgets each, each restyled);
    # most of those leave the same keys, and then nothing is rebuilt.
    _shown: tuple[bool, tuple[_Entry, ...]] | None = None

    def _entries(self) -> tuple[_Entry, ...]:
        shown: dict[str, tuple[Binding, bool, str]] = {}
        for active in self.screen.active_bindings.values():
            if active.binding.show and active.binding.action not in shown:
                shown[active.binding.action] = (active.binding, active.enabled, active.tooltip)
        first = [shown.pop(a) for a in self.FIRST_ACTIONS if a in shown]
        panes = [shown.pop(a) for a in list(shown) if a.startswith(self.PANE_ACTION)]
        out = [_Entry(b.key, self.app.get_key_display(b), b.description, b.action, not enabled, tooltip)
               for b, enabled, tooltip in first + list(shown.values())
               if b.action != "app.command_palette"]  # docked on the right below, as Textual's footer does
        if panes:
            displays = [self.app.get_key_display(b) for b, _, _ in panes]
            joined = "".join(displays)
            consecutive = joined.isdigit() and len(joined) == len(displays) > 2 and \
                joined == "".join(str(int(displays[0]) + i) for i in range(len(displays)))
            label = (f"{displays[0]}-{displays[-1]}" if consecutive
                     else "".join(d if len(d) == 1 else f" {d}" for d in displays).strip())
            out.append(_Entry(panes[0][0].key, label, "Panes", panes[0][0].action, False, "switch pane"))
        palette = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE and palette is not None:
            out.append(_Entry(palette.binding.key, self.app.get_key_display(palette.binding),
                              palette.binding.description, palette.binding.action, not palette.enabled, "",
                              "-command-palette"))
        return tuple(out)

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:  # as Footer.compose: the screen's bindings are not known yet
            return
        entries = self._entries()
        self._shown = (self.compact, entries)
        for e in entries:
            key = FooterKey(e.key, e.display, e.description, e.action, disabled=e.disabled, tooltip=e.tooltip,
                            classes=e.classes)
            # Set, not data-bound: a bound `compact` restyles every key once more as it mounts.
            # The palette key was never bound (as in Textual's footer): it stays compact.
            compact = self.compact or e.classes == "-command-palette"
            key.set_reactive(FooterKey.compact, compact)
            key.set_class(compact, "-compact", update=False)
            yield key

    async def recompose(self) -> None:
        if self._shown is not None and self._bindings_ready and self._shown == (self.compact, self._entries()):
            return  # the same keys as on screen
        await super().recompose()

    def watch_compact(self, compact: bool) -> None:
        if self._shown is not None:
            self.call_after_refresh(self.recompose)


class _Entry(NamedTuple):
    """One key of the footer as drawn."""

    key: str
    display: str
    description: str
    action: str
    disabled: bool
    tooltip: str
    classes: str = ""

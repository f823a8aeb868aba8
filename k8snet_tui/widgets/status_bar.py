"""The header: where the data comes from, which namespace, and whether it can be trusted now."""

from __future__ import annotations

import time
from typing import NamedTuple

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Input, Static

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
    filter: reactive[str] = reactive("")  # the filter in force on the pane shown (`/`, `:svc NAME`, a lab stop)

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
        if self.filter:  # next to the namespace, early on the line: a hidden filter reads as missing rows
            cap = 14 if compact else 24  # 80 columns: the pane's title must still fit
            words = self.filter if len(self.filter) <= cap else self.filter[:cap - 1] + "…"
            line.append(" " if compact else "  filter: ")
            line.append_text(data_text(f"/{words}" if compact else words, style="bold reverse"))
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


class KeyFooter(Widget, can_focus=False):
    """The keys of the focused place, on one line: `?` and `q` first, the pane's keys next.

    Textual lists the focused widget's bindings first and the app's last, so on a narrow
    terminal help and quit were the ones cut off. The number keys share one entry ("0-9 Panes").
    What does not fit is dropped whole, from the right: the app's keys before the pane's own.
    While a text box has the keyboard, the letter keys type into it, so only what works there
    is shown: enter (what the box's `submit_hint` says it does), esc, and the keys that are not
    characters.

    One widget that draws a line, not Textual's footer of ~25 key widgets: that one was rebuilt
    (mounted, styled, laid out) on every change of focus or bindings, several times per pane
    switch. This one redraws when its keys change, from a line kept per set of keys (so per
    pane), and a click runs the key under the pointer.
    """

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"footer-key--key", "footer-key--description", "footer-key--separator"}
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
    }
    KeyFooter > .footer-key--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyFooter > .footer-key--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    KeyFooter > .footer-key--separator {
        color: $foreground 20%;
    }
    """

    FIRST_ACTIONS = ("help", "quit")
    PANE_ACTION = "show_pane"
    PALETTE_CLASS = "-command-palette"

    compact: reactive[bool] = reactive(False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # (entries, compact, width, theme) -> the line and where each key sits on it
        self._lines: dict[tuple[object, ...], tuple[Text, tuple[tuple[int, int, _Entry], ...]]] = {}
        self._spans: tuple[tuple[int, int, _Entry], ...] = ()
        self._drawn_entries: tuple[_Entry, ...] | None = None  # the keys of the last line drawn

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: object) -> None:
        # The keys are read when the line is drawn, once focus has settled; a signal that
        # changes none of them (Textual sends one after every focus change's next frame, when
        # a pane switch has already drawn them) draws nothing: no frame of its own.
        if self._drawn_entries is None or self._entries() != self._drawn_entries:
            self.refresh()

    def watch_compact(self) -> None:
        self.refresh()

    def _entries(self) -> tuple[_Entry, ...]:
        screen = self.screen
        typing = isinstance(screen.focused, Input)
        shown: dict[str, tuple[Binding, bool, str]] = {}
        for active in screen.active_bindings.values():
            binding = active.binding
            if typing and _types_into_box(binding.key):
                continue
            if binding.show and binding.action not in shown:
                shown[binding.action] = (binding, active.enabled, active.tooltip)
        first = [shown.pop(a) for a in self.FIRST_ACTIONS if a in shown]
        panes = [shown.pop(a) for a in list(shown) if a.startswith(self.PANE_ACTION)]
        out = [_Entry(b.key, self.app.get_key_display(b), b.description, b.action, not enabled, tooltip)
               for b, enabled, tooltip in first + list(shown.values())
               if b.action != "app.command_palette"]  # docked on the right below, as Textual's footer does
        if typing:
            hint = getattr(screen.focused, "submit_hint", "") or "Run"
            out[:0] = [_Entry("enter", "⏎", str(hint), "submit", False, ""),
                       _Entry("escape", "esc", "Back", "back", False, "")]
        if panes:
            displays = [self.app.get_key_display(b) for b, _, _ in panes]
            digits = sorted(int(d) for d in displays if len(d) == 1 and d.isdigit())
            # "1-9", or "0-9" with pane 0 (its key comes last, after 9)
            consecutive = len(digits) == len(displays) > 2 and digits == list(range(digits[0], digits[-1] + 1))
            label = (f"{digits[0]}-{digits[-1]}" if consecutive
                     else "".join(d if len(d) == 1 else f" {d}" for d in displays).strip())
            out.append(_Entry(panes[0][0].key, label, "Panes", panes[0][0].action, False, "switch pane"))
        palette = screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
        if self.app.ENABLE_COMMAND_PALETTE and palette is not None:
            out.append(_Entry(palette.binding.key, self.app.get_key_display(palette.binding),
                              palette.binding.description, palette.binding.action, not palette.enabled, "",
                              self.PALETTE_CLASS))
        return tuple(out)

    def render(self) -> Text:
        entries = self._drawn_entries = self._entries()
        width = self.size.width
        cache_key = (entries, self.compact, width, self.app.theme)
        kept = self._lines.get(cache_key)
        if kept is None:
            if len(self._lines) > 64:
                self._lines.clear()
            kept = self._lines[cache_key] = self._draw(entries, width)
        line, self._spans = kept
        return line

    def _draw(self, entries: tuple[_Entry, ...], width: int) -> tuple[Text, tuple[tuple[int, int, _Entry], ...]]:
        key_style = self.get_component_rich_style("footer-key--key")
        description_style = self.get_component_rich_style("footer-key--description")
        base = self.rich_style
        compact = self.compact
        keys = [e for e in entries if e.classes != self.PALETTE_CLASS]
        palette = [e for e in entries if e.classes == self.PALETTE_CLASS]
        right = Text()
        spans: list[tuple[int, int, _Entry]] = []
        for e in palette:  # docked right; always drawn compact, as Textual's footer does
            right.append("▏", style=self.get_component_rich_style("footer-key--separator"))
            right.append(e.display, style=key_style)
            right.append(f" {e.description}" + ("" if compact else " "), style=description_style)
        room = max(0, width - right.cell_len) if width else 10_000
        left = Text()
        for e in keys:
            # Whole entries only: the first that does not fit ends the line, so a narrow
            # terminal loses the last keys (the app's, after the pane's own), never half a word.
            start = left.cell_len
            label = (cell_len(e.display) + 1 + cell_len(e.description) if compact
                     else cell_len(e.display) + cell_len(e.description) + 3)
            if start + label > room:
                break
            dim = Style(dim=True) if e.disabled else Style()
            if compact:  # "? Help q Quit": no padding, one space after each key
                left.append(e.display, style=key_style + dim)
                left.append(f" {e.description}", style=description_style + dim)
                spans.append((start, left.cell_len, e))
                left.append(" ")
            else:  # " ? Help  q Quit "
                left.append(f" {e.display} ", style=key_style + dim)
                left.append(f"{e.description} ", style=description_style + dim)
                spans.append((start, left.cell_len, e))
        left.truncate(room, pad=True)
        if palette:
            spans.append((room, room + right.cell_len, palette[0]))
        line = Text.assemble(left, right, no_wrap=True, end="")
        line.stylize_before(base)
        return line, tuple(spans)

    def on_click(self, event: events.Click) -> None:
        for start, end, entry in self._spans:
            if start <= event.x < end:
                if entry.disabled:
                    self.app.bell()
                else:
                    self.app.simulate_key(entry.key)
                return

    def plain(self) -> str:
        """The keys as shown, for `?` and tests of this widget."""
        return self.render().plain


def _types_into_box(key: str) -> bool:
    """A key a focused text box takes as a character (so its binding elsewhere does nothing)."""
    first = key.split(",")[0].strip()
    if len(first) == 1:
        return first.isprintable()
    return first in _CHARACTER_KEY_NAMES


_CHARACTER_KEY_NAMES = {"slash", "colon", "question_mark", "space", "greater_than_sign", "less_than_sign",
                        "left_square_bracket", "right_square_bracket", "full_stop", "comma", "minus", "plus",
                        "equals_sign", "number_sign", "exclamation_mark", "asterisk", "underscore"}


class _Entry(NamedTuple):
    """One key of the footer as drawn."""

    key: str
    display: str
    description: str
    action: str
    disabled: bool
    tooltip: str
    classes: str = ""

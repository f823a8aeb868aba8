"""Modal screens: help for the current view, and the namespace picker."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterable, Sequence

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import ActiveBinding, Binding
from textual.command import CommandList, CommandPalette
from textual.containers import Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import WorkerState, get_current_worker

from k8snet_tui.widgets.safe import data_block, data_text

ALL_NAMESPACES = "\x00all"


KeyRows = list[tuple[str, str]]

# Header badges that are no key but need words: `?` lists them after the keys.
HEADER_SIGNS: KeyRows = [
    ("STALE HH:MM:SS", "in the header: the API server stopped answering at that time, so what you see is the "
                       "last data read, not now. k8snet keeps retrying (every 1 s up to every 60 s) and the "
                       "badge goes when it reads again. If it stays: check the network or VPN to the API "
                       "server and that your credentials have not expired (kubectl get --raw /readyz tells), "
                       "or start again on another context (k8snet --context NAME)"),
]


def declared_keys(node: DOMNode) -> dict[str, str]:
    """Binding id -> the key it is declared with, on the node's class and its bases."""
    return {b.id: b.key for cls in type(node).__mro__ for b in vars(cls).get("BINDINGS", ())
            if isinstance(b, Binding) and b.id}


def help_rows(active: Iterable[ActiveBinding], pane: DOMNode, app: DOMNode,
              key_display: Callable[[Binding], str]) -> tuple[KeyRows, KeyRows]:
    """(pane rows, global rows) of `?`, from the bindings as they are now.

    `active` is the screen's active bindings, so a key the user remapped shows as the new key
    and a key that does nothing now is not listed. A pane's line comes from its `PANE_KEYS`
    (matched through the binding's id to the key it was declared with, on the pane or on the
    child widget that holds it), else the tooltip, else the short description. A `PANE_KEYS`
    line for several keys (`s / d`, `[ / ]`) is one row for all of them, so no key is listed
    twice; `PANE_KEYS` lines no binding claims (`/`, `:dns NAME`, signs) follow.
    """
    written = dict(getattr(pane, "PANE_KEYS", ()))
    label_of: dict[str, str] = {}  # a key as written -> the PANE_KEYS line that explains it
    for label in written:
        for part in label.split(" / "):
            label_of.setdefault(part.strip(), label)
    for label in written:
        label_of[label] = label
    declared: dict[int, dict[str, str]] = {}
    keys: dict[object, list[tuple[int, str]]] = {}
    lines: dict[object, tuple[bool, str]] = {}
    claimed: set[str] = set()
    for node, binding, _enabled, tooltip in active:
        if binding.system:
            continue
        if node is app:
            is_pane = False
        elif binding.id and (node is pane or pane in node.ancestors):
            is_pane = True
        else:
            continue  # a widget's own keys (table cursor, input editing), the screen's focus keys
        default = declared.setdefault(id(node), declared_keys(node)).get(binding.id or "", "")
        if default and default not in label_of:  # `right_square_bracket` is written `]`
            default = key_display(dataclasses.replace(binding, key=default))
        label = label_of.get(default) if is_pane else None
        slot: object = ("written", label) if label else (id(node), binding.action)
        order = label.split(" / ").index(default) if label and default in label.split(" / ") else 0
        shown = key_display(binding)
        if shown not in (k for _, k in keys.setdefault(slot, [])):
            keys[slot].append((order, shown))
        if slot not in lines:
            if label:
                claimed.add(label)
            lines[slot] = (is_pane, (written[label] if label else None)
                           or binding.tooltip or tooltip or binding.description)
    pane_rows: KeyRows = []
    global_rows: KeyRows = []
    for slot, (is_pane, text) in lines.items():
        joiner = " / " if isinstance(slot, tuple) and slot[0] == "written" and len(keys[slot]) > 1 else " "
        (pane_rows if is_pane else global_rows).append((joiner.join(k for _, k in sorted(keys[slot])), text))
    pane_rows += [(key, text) for key, text in written.items() if key not in claimed]
    global_rows += HEADER_SIGNS
    return pane_rows, global_rows


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "close", id="help.close")]

    def __init__(self, title: str, pane_keys: KeyRows, global_keys: KeyRows, *,
                 about: Sequence[str] = ()) -> None:
        super().__init__()
        self._title = title
        self._pane_keys = pane_keys
        self._global_keys = global_keys
        self._about = about

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 1), expand=True)
        table.add_column(style="bold", max_width=18, overflow="fold")
        table.add_column(ratio=1)
        if self._pane_keys:
            table.add_row(Text(f"{self._title}", style="underline"), "")
            for key, what in self._pane_keys:
                table.add_row(data_text(key), data_text(what))
            table.add_row("", "")
        table.add_row(Text("Everywhere", style="underline"), "")
        for key, what in self._global_keys:
            table.add_row(data_text(key), data_text(what))
        box = VerticalScroll(id="help-box", classes="modal-box")
        box.border_title = "Keys"
        box.border_subtitle = "esc closes · ↑↓ scroll"
        with box:
            if self._about:
                # The header's badges and the snapshot banner in full (at 80x24 they are cut short).
                yield Static(data_block("\n".join(self._about)), id="help-about")
            yield Static(table)

    def on_mount(self) -> None:
        self.query_one("#help-box").focus()  # up/down/pgup/pgdn scroll it


class NamespacePicker(ModalScreen[str | None]):
    """Pick a namespace to narrow every pane to; the first entry shows all of them."""

    BINDINGS = [Binding("escape", "cancel", "cancel", id="namespace.cancel")]

    def __init__(self, namespaces: list[str], current: str | None) -> None:
        super().__init__()
        self._namespaces = namespaces
        self._current = current

    def compose(self) -> ComposeResult:
        options = [Option(Text("all namespaces", style="italic"), id=ALL_NAMESPACES)]
        options += [Option(data_text(ns), id=ns) for ns in self._namespaces]
        with Vertical(id="namespace-box", classes="modal-box"):
            yield Static("Namespace (enter picks, esc cancels)")
            yield OptionList(*options, id="namespace-list")

    def on_mount(self) -> None:
        olist = self.query_one(OptionList)
        if self._current and self._current in self._namespaces:
            olist.highlighted = self._namespaces.index(self._current) + 1
        else:
            olist.highlighted = 0
        olist.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class CommandPaletteScreen(CommandPalette):
    """Textual's command palette, minus its crashes and with enter acting on what was typed.

    In Textual 8.2, page up/down in the palette before its list has been laid out (ctrl+p then
    pgup at once) raises KeyError from OptionList and kills the app; the monkey test found it.
    A move that cannot be made yet is dropped: the list is drawn a frame later.

    Textual searches in a worker after each change of the box, and enter picks from the list
    shown at that moment: typed fast ("zoom" and enter), enter met the list of the text before,
    whose first entry is Quit, and the app ended. Enter pressed while the search for the box's
    text is still running waits for that search and then picks from its results.
    """

    _enter_waits = False  # an enter came while the search of the box was running

    def _search_running(self, besides: object = None) -> bool:
        """A search of this palette is pending or running (other than the worker `besides`)."""
        return any(worker is not besides and worker.node is self and worker.group == self._GATHER_COMMANDS_GROUP
                   and not worker.is_cancelled and worker.state in (WorkerState.PENDING, WorkerState.RUNNING)
                   for worker in self.app.workers)

    @on(Input.Submitted)
    def _enter_after_search(self, event: Input.Submitted) -> None:
        if self._search_running():
            event.stop()
            event.prevent_default()  # Textual's own handler (on the base class) is not called
            self._enter_waits = True

    def _action_command_list(self, action: str) -> None:
        with contextlib.suppress(KeyError, IndexError):
            super()._action_command_list(action)

    def dismiss(self, result: object = None) -> AwaitComplete:
        # Enter picks an entry through a message; an esc handled before that message closes the
        # palette, and the pick then dismissed it again: ScreenStackError, the app ended (the
        # monkey test found it). A palette no longer on top has nothing left to close.
        if self not in self.app.screen_stack:
            return AwaitComplete.nothing()
        return super().dismiss(result)  # type: ignore[arg-type]

    # A search still running when the palette is dismissed (enter, then fast typing) looks for
    # its list after the screen has lost its children: NoMatches in a worker would end the app.
    # The search's results are of no use by then, so the lookup failing ends the search.
    @work(exclusive=True, group=CommandPalette._GATHER_COMMANDS_GROUP)
    async def _gather_commands(self, search_value: str) -> None:
        worker = get_current_worker()
        try:
            with contextlib.suppress(NoMatches):
                await CommandPalette._gather_commands.__wrapped__(self, search_value)  # type: ignore[attr-defined]  # set by @work's functools.wraps
        finally:
            if self._enter_waits and not worker.is_cancelled and not self._search_running(besides=worker):
                self.call_later(self._enter_now)  # the enter typed before these results were in

    def _enter_now(self) -> None:
        """What enter does on a list that is shown: pick its highlighted entry (the first)."""
        if not self._enter_waits:
            return
        self._enter_waits = False
        with contextlib.suppress(NoMatches):
            entries = self.query_one(CommandList)
            if self._list_visible and entries.option_count:  # else nothing matched: enter does nothing
                index = entries.highlighted or 0
                self._select_command(OptionList.OptionSelected(entries, entries.get_option_at_index(index), index))

    def _watch__list_visible(self) -> None:
        with contextlib.suppress(NoMatches):
            super()._watch__list_visible()

    async def _watch__show_busy(self) -> None:
        with contextlib.suppress(NoMatches):
            await super()._watch__show_busy()

"""Modal screens: help for the current view, and the namespace picker."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from k8snet_tui.widgets.safe import data_text

ALL_NAMESPACES = "\x00all"


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "close", id="help.close")]

    def __init__(self, title: str, pane_keys: list[tuple[str, str]], global_keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self._title = title
        self._pane_keys = pane_keys
        self._global_keys = global_keys

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        if self._pane_keys:
            table.add_row(Text(f"{self._title}", style="underline"), "")
            for key, what in self._pane_keys:
                table.add_row(key, what)
            table.add_row("", "")
        table.add_row(Text("Everywhere", style="underline"), "")
        for key, what in self._global_keys:
            table.add_row(key, what)
        with VerticalScroll(id="help-box", classes="modal-box"):
            yield Static(table)
            yield Static(Text("esc closes", style="dim"))


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

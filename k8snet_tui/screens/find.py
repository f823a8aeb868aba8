"""`:find WORD`: every pod, Service, chain, node, route, DNS name and policy that mentions it.

A thin screen over `present/find.py`: the search runs in a thread (it traces every Service on the
local node to name the chains), the hits are a list, and `enter` jumps to the hit's pane through
the navigator, which remembers where `:find` was typed, so `esc` there comes back.
"""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from k8snet_tui.domain.model import Observed
from k8snet_tui.present.find import FindModel, FindRow, present_find
from k8snet_tui.screens.navigator import Navigator
from k8snet_tui.widgets.safe import data_text, join


class FindScreen(ModalScreen[FindRow | None]):
    BINDINGS = [Binding("escape", "close", "Close", id="find.close")]
    DEFAULT_CSS = """
    FindScreen { align: center middle; }
    FindScreen #find-box { width: 100%; max-width: 120; height: 100%; border: heavy $primary; background: $surface; }
    FindScreen #find-title { height: 1; padding: 0 1; background: $primary; color: $background; text-style: bold; }
    FindScreen #find-list { height: 1fr; }
    FindScreen #find-keys { height: 1; padding: 0 1; background: $panel; }
    """

    def __init__(self, observed: Observed, word: str) -> None:
        super().__init__()
        self._observed = observed
        self._word = word
        self._rows: tuple[FindRow, ...] = ()

    def compose(self) -> ComposeResult:
        with Vertical(id="find-box"):
            yield Static(join(["find", data_text(self._word)]), id="find-title")
            yield OptionList(Option("searching…", disabled=True), id="find-list")
            yield Static("↑↓ pick · enter: open it there (esc there comes back) · esc: close", id="find-keys")

    def on_mount(self) -> None:
        self.query_one("#find-list", OptionList).focus()
        self._search()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _search(self) -> None:
        model = present_find(self._observed, self._word)
        self.app.call_from_thread(self._show, model)

    def _show(self, model: FindModel) -> None:
        self._rows = model.hits
        box = self.query_one("#find-list", OptionList)
        box.clear_options()
        exact = sum(1 for h in model.hits if h.exact)
        title = join(["find", data_text(model.query),
                      f"— {len(model.hits)} hit{'s' if len(model.hits) != 1 else ''} ({exact} exact)"
                      + (f", {model.more} more not listed" if model.more else "")])
        self.query_one("#find-title", Static).update(title)
        if not model.hits:
            box.add_option(Option("nothing mentions it (an address, a name or a chain name)", disabled=True))
            return
        for i, row in enumerate(model.hits):
            kind, subject, detail, where = row.cells()
            line = join([data_text(f"{kind:<8}", "bold"), data_text(subject), data_text(f"→ {where}", "dim")])
            line.append("\n")
            line.append_text(data_text(f"  {detail}", "dim"))
            box.add_option(Option(line, id=str(i)))
        box.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.dismiss(self._rows[int(event.option.id)])

    def action_close(self) -> None:
        self.dismiss(None)


def open_find(app: App[Any], navigator: Navigator, observed: Observed, word: str) -> None:
    """Push the hit list; the chosen hit opens in its pane (and section) through the navigator."""

    def jump(row: FindRow | None) -> None:
        if row is None:
            return
        pane = navigator.open(row.pane, row.verb, row.arg)
        show_section = getattr(pane, "show_section", None)
        if row.section and callable(show_section):
            show_section(row.section)

    app.push_screen(FindScreen(observed, word), jump)

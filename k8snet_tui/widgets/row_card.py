"""The whole selected row of a table, one column a line: what `…+N cols` and a cut `…` leave out.

At 80 columns a table hides its least important columns and cuts long cells; a pane that has
such tables composes one `RowCard` under them and toggles it with a key (`w`). The card names
every column, marks the ones not on screen, and wraps long values (a DNS answer, an address
list) instead of cutting them. The cells are the table's own (inert Text made by the pane).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from k8snet_tui.widgets.resource_table import ResourceTable

KEY_HELP = ("the whole selected row, every column: the ones a narrow screen hides (…+N cols) and the cells "
            "it cuts (…) in full; w again hides it")


class RowCard(Static):
    """Hidden until toggled; then it follows the cursor of the table it is shown for."""

    DEFAULT_CSS = """
    RowCard {
        display: none;
        height: auto;
        max-height: 45%;
        padding: 0 1;
        border-top: solid $primary;
        background: $surface;
    }
    RowCard.-on { display: block; }
    """

    @property
    def on(self) -> bool:
        return self.has_class("-on")

    def toggle(self) -> bool:
        self.toggle_class("-on")
        return self.on

    def show_row(self, columns: Sequence[str], table: ResourceTable | None, what: str = "row") -> None:
        """Draw the selected row of `table` (columns named as in the table), if the card is on."""
        if not self.on:
            return
        self.update(card_text(columns, table, what))
        # A table just shown (a section switch) has no width yet, so it hides nothing yet: the
        # card is drawn again once the table has been laid out.
        self.call_after_refresh(self._draw_again, columns, table, what)

    def _draw_again(self, columns: Sequence[str], table: ResourceTable | None, what: str) -> None:
        if self.on:
            self.update(card_text(columns, table, what))


def card_text(columns: Sequence[str], table: ResourceTable | None, what: str = "row") -> Text:
    """The card's text: a title line naming the columns not on screen, then every column with a
    value as `column: value`, one after the other (wrapped: ten columns fit in a few lines of an
    80x24 screen), then the empty ones named together."""
    key = table.selected_key() if table is not None else None
    if table is None or key is None:
        return Text(f"no {what} selected: this view has no table row to show (w hides this)", style="dim")
    cells = table.get_row(key)
    hidden = [name for name in table.hidden_columns if name in columns]
    out = Text()
    out.append(f"{what} {table.cursor_row + 1} of {table.row_count}", style="bold")
    if hidden:
        out.append(" · not on screen: ")
        out.append(", ".join(hidden))
    out.append("  (w hides this)", style="dim")
    out.append("\n")
    empty: list[str] = []
    first = True
    for i, name in enumerate(columns):
        cell = cells[i] if i < len(cells) else Text("")
        if cell.plain.strip() in ("", "—"):
            empty.append(name)
            continue
        if not first:
            out.append("  ·  ", style="dim")
        first = False
        out.append(f"{name}: ", style="bold")
        out.append_text(cell)
    if empty:  # named together: the card keeps room for the table above it
        out.append("  ·  " if not first else "", style="dim")
        out.append("empty: " + ", ".join(empty), style="dim")
    return out


__all__ = ["KEY_HELP", "RowCard", "card_text"]

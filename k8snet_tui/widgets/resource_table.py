"""A DataTable that is updated by row key, never cleared and refilled.

Rebuilding a table on every change loses the cursor and costs a full repaint; applying the
difference (add the new keys, update the changed cells, remove the gone keys) inside one
`batch_update` keeps the user's place and repaints once.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist

from k8snet_tui.widgets.safe import data_text

Cell = Text | str | int | float | None


def _cell(value: Cell) -> Text:
    if isinstance(value, Text):
        return value
    return data_text(value)


class ResourceTable(DataTable):
    DEFAULT_CSS = """
    ResourceTable { height: 1fr; }
    """

    def __init__(self, columns: Sequence[str], **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._column_names = list(columns)
        self._rows: dict[str, tuple[Text, ...]] = {}
        self._filter = ""
        self._all: dict[str, tuple[Text, ...]] = {}
        self._order: list[str] = []

    def on_mount(self) -> None:
        for name in self._column_names:
            self.add_column(name, key=name)

    @property
    def filter_text(self) -> str:
        return self._filter

    def set_rows(self, rows: Iterable[tuple[str, Sequence[Cell]]]) -> None:
        """Make the table show exactly `rows` (key, cells), in that order, by difference."""
        self._all = {key: tuple(_cell(c) for c in cells) for key, cells in rows}
        self._order = list(self._all)
        self._apply()

    def set_filter(self, text: str) -> None:
        self._filter = text.strip().lower()
        self._apply()

    def _visible(self) -> dict[str, tuple[Text, ...]]:
        if not self._filter:
            return self._all
        needle = self._filter
        return {k: cells for k, cells in self._all.items()
                if any(needle in c.plain.lower() for c in cells)}

    def _apply(self) -> None:
        wanted = self._visible()
        with self.app.batch_update():
            gone = [k for k in self._rows if k not in wanted]
            keep = self.selected_key()  # the cursor stays on its row through removals and sorts
            if len(gone) > 100 and 2 * len(gone) > len(self._rows):
                # DataTable.remove_row costs O(rows): removing most of 10k rows one by one (a
                # filter) takes minutes; starting over takes one pass.
                self.clear()
                self._rows, gone = {}, []
            for key in gone:
                try:
                    self.remove_row(key)
                except RowDoesNotExist:
                    pass
                del self._rows[key]
            for key, cells in wanted.items():
                old = self._rows.get(key)
                if old is None:
                    self.add_row(*cells, key=key)
                elif old != cells:
                    for name, new, was in zip(self._column_names, cells, old):
                        if new != was:
                            self.update_cell(key, name, new)
                self._rows[key] = cells
            expected = [k for k in self._order if k in wanted]
            if [r.key.value for r in self.ordered_rows] != expected:
                # New rows land at the end; sort them into the model's order. DataTable's sort
                # key sees cell values, not row keys, so map each row's text back to its place.
                place = {tuple(c.plain for c in wanted[k]): i for i, k in enumerate(expected)}
                self.sort(key=lambda row: place.get(tuple(getattr(c, "plain", str(c)) for c in row), 0))
            self._rows = {k: wanted[k] for k in expected}
            if keep is not None and keep in self._rows and self.selected_key() != keep:
                self.move_cursor(row=self.get_row_index(keep))

    def selected_key(self) -> str | None:
        if self.row_count == 0:
            return None
        try:
            key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except Exception:
            return None
        return key.value if key is not None else None

    def plain_text(self) -> str:
        lines = ["\t".join(self._column_names)]
        for key in self._rows:
            lines.append("\t".join(c.plain for c in self._rows[key]))
        return "\n".join(lines)

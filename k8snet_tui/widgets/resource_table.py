"""A virtual table of resources: it keeps rows as data and draws only the lines on screen.

DataTable keeps per-row state and re-sorts on every insert, so at 10k rows adding a service
costs a second and clearing a filter almost two. This table is a Line-API widget (ScrollView +
`render_line`): `set_rows` and `set_filter` are O(rows) list and dict work, a frame renders
only the visible rows (cached per row key), and the cursor follows its row key through
updates, filters and re-orders.

Big tables that change often (30k pods under a watch) hand over `prepare_rows(...)`, made off
the UI thread: the rows dict and the column widths (a sample of the rows, plus every row whose
cells changed since the last one), so `set_prepared` on the UI thread only swaps them in. A
pane that keeps a row's cells (the same tuple) while its object is unchanged gets row-level
updates: only the changed rows are measured and drawn anew.

Cells are `rich.text.Text` built by the panes with `data_text` (inert: rendering never parses
markup); other values are turned into inert Text here.

Narrow terminals: each column has a priority (0: it answers the pane's question and never
leaves the screen; higher numbers go first). When the row is wider than the table, the least
important columns shrink to a floor, then hide, and the header ends in `…+N cols`; `ctrl+s`
and `plain_text` still carry every column. When the priority-0 columns alone are still too
wide, they shrink too, rightmost first, so a cut cell ends in `…` instead of running off the
right edge unmarked (a long DNS answer).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar, NamedTuple

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets.data_table import RowDoesNotExist, RowKey

from k8snet_tui.domain.sanitize import clean
from k8snet_tui.widgets.safe import data_text

Cell = Text | str | int | float | None

CELL_PAD = 1  # blank cells on each side of a cell, as DataTable draws them
MAX_COLUMN_WIDTH = 80  # wider cells end in … (scroll right for the rest of the row)
WIDTH_SAMPLE = 1000  # rows measured for the column widths (all of them below this)
STRIP_CACHE = 512  # rendered rows kept (a few screens)
MIN_COLUMN_WIDTH = 6  # a shrunk column keeps at least this much (or its header, if shorter)

# Column priorities of the app's tables by widget id (a `priorities=` argument wins): 0 for the
# columns that answer the pane's question at 80 columns, higher numbers hide first.
COLUMN_PRIORITIES: dict[str, dict[str, int]] = {
    "svc-table": {"namespace": 2, "name": 0, "type": 3, "cluster IP": 1, "ports": 1, "endpoints": 0,
                  "backend": 2},
    "pods-table": {"namespace": 2, "name": 0, "IPs": 0, "node": 1, "hostNet": 3, "phase": 2, "ready": 2,
                   "host end": 3},
    "dns-plan-table": {"#": 0, "live": 1, "query": 0, "type": 1, "expected": 0, "actual": 0, "TTL": 3,
                       "ms": 3, "why": 2},
    "dns-names-table": {"name": 0, "type": 1, "kind": 2, "answers": 0, "note": 3},
    "ing-view-routes": {"kind": 2, "name": 1, "host": 0, "match": 0, "rewrite": 3, "backend": 0, "ready": 1,
                        "health": 2, "via": 3, "where": 3},
    "ing-view-entries": {"kind": 1, "name": 0, "port": 0, "addresses": 0, "target": 1, "details": 2},
    "host-ifaces": {"name": 0, "kind": 2, "state": 1, "MTU": 3, "MAC": 3, "addresses (class)": 0},
    "host-neigh": {"IP": 0, "device": 1, "MAC": 0, "state": 0, "is": 2},
    "host-nodes": {"node": 0, "InternalIP": 0, "shares subnet": 2, "ExternalIP": 1, "Hostname": 3,
                   "pod CIDRs": 1},
}


class ColumnLayout(NamedTuple):
    """Which columns are drawn, how wide, for one table width."""

    columns: tuple[tuple[int, int], ...]  # (column index, drawn width), left to right
    hidden: int  # columns left out (named by the header's marker)
    short: bool = False  # the marker without "cols", when even that much does not fit

    @property
    def marker(self) -> str:
        if not self.hidden:
            return ""
        return f"…+{self.hidden}" if self.short else f"…+{self.hidden} col{'s' if self.hidden > 1 else ''}"

    @property
    def width(self) -> int:
        cells = sum(w + 2 * CELL_PAD for _, w in self.columns)
        return cells + (len(self.marker) + 2 * CELL_PAD if self.hidden else 0)


def fit_columns(natural: Sequence[int], headers: Sequence[int], priorities: Sequence[int],
                available: int) -> ColumnLayout:
    """The columns that fit in `available` cells: shrink the least important first, then hide them.

    Priority 0 columns are never hidden; they shrink only when they alone are too wide,
    rightmost first, down to the same floor (below that the table scrolls sideways).
    """
    count = len(natural)
    order = sorted(range(count), key=lambda i: (-priorities[i], -i))  # least important first
    hidden: set[int] = set()
    while True:
        widths = list(natural)
        layout = ColumnLayout(tuple((i, widths[i]) for i in range(count) if i not in hidden), len(hidden))
        for i in order:
            excess = layout.width - available
            if excess <= 0:
                break
            if i in hidden or priorities[i] == 0:
                continue
            floor = min(natural[i], max(MIN_COLUMN_WIDTH, min(headers[i], 12)))
            widths[i] -= min(excess, max(0, widths[i] - floor))
            layout = ColumnLayout(tuple((j, widths[j]) for j in range(count) if j not in hidden), len(hidden))
        if layout.width <= available:
            return layout
        candidates = [i for i in order if i not in hidden and priorities[i] > 0]
        if not candidates:
            return _shrink_essential(layout._replace(short=True) if layout.hidden else layout,
                                     natural, headers, available)
        hidden.add(candidates[0])


def _shrink_essential(layout: ColumnLayout, natural: Sequence[int], headers: Sequence[int],
                      available: int) -> ColumnLayout:
    """The last resort of `fit_columns`: the columns left (priority 0) shrink, rightmost first,
    to the floor the others have, so the cut is drawn as `…` on screen."""
    columns = list(layout.columns)
    for pos in range(len(columns) - 1, -1, -1):
        excess = layout.width - available
        if excess <= 0:
            break
        i, width = columns[pos]
        floor = min(natural[i], max(MIN_COLUMN_WIDTH, min(headers[i], 12)))
        columns[pos] = (i, width - min(excess, max(0, width - floor)))
        layout = layout._replace(columns=tuple(columns))
    return layout


def _cell(value: Cell) -> Text:
    if isinstance(value, Text):
        return value
    return data_text(value)


def _plain(value: Cell) -> str:
    """What `_cell(value).plain` is, without making the Text."""
    if isinstance(value, Text):
        return value.plain
    if value is None or value == "":
        return "—"
    return clean(value)


def _cell_width(value: Cell) -> int:
    return value.cell_len if isinstance(value, Text) else cell_len(value if isinstance(value, str) else str(value))


def measure_widths(header: Sequence[int], rows: Sequence[Sequence[Cell]],
                   extra: Iterable[Sequence[Cell]] = ()) -> list[int]:
    """Column widths from the header widths, (a sample of) `rows` and every row of `extra`,
    each capped at MAX_COLUMN_WIDTH. Pure: any thread."""
    widths = [max(1, h) for h in header]
    if len(rows) > WIDTH_SAMPLE:
        step = max(1, len(rows) // WIDTH_SAMPLE)
        rows = [*rows[:WIDTH_SAMPLE // 2], *rows[WIDTH_SAMPLE // 2::step]]
    ncols = len(widths)
    for group in (rows, extra):
        for cells in group:
            for i, c in enumerate(cells[:ncols]):
                n = _cell_width(c)
                if n > widths[i]:
                    widths[i] = n
    return [min(w, MAX_COLUMN_WIDTH) for w in widths]


class PreparedRows(NamedTuple):
    """Rows ready for `ResourceTable.set_prepared`: made by `prepare_rows`, off the UI thread."""

    rows: dict[str, tuple[Cell, ...]]  # key -> cells, in order (the table keeps this dict)
    widths: tuple[int, ...]  # the columns' natural widths (header included, capped)
    changed: int  # rows new or with other cells than in `previous` (all of them without one)


def prepare_rows(columns: Sequence[str], rows: Iterable[tuple[str, Sequence[Cell]]],
                 previous: PreparedRows | None = None) -> PreparedRows:
    """What `set_rows(rows)` computes, for any thread. With the last result as `previous`, the
    widths are the last ones widened by every changed row (compared by identity first, then by
    value): no column narrows while rows keep changing, and a changed row far down the list
    widens its column though the sample would have missed it."""
    table = {key: tuple(cells) for key, cells in rows}
    values = list(table.values())
    header = [Text(name).cell_len for name in columns]
    if previous is None:
        return PreparedRows(table, tuple(measure_widths(header, values)), len(table))
    before = previous.rows
    changed = [cells for key, cells in table.items()
               if (old := before.get(key)) is not cells and old != cells]
    if len(changed) == len(table):  # nothing kept (a new namespace, a re-list): measure afresh
        return PreparedRows(table, tuple(measure_widths(header, values)), len(changed))
    # A stream of updates: the widths so far, widened by the changed rows only (no sample walk:
    # at 30k rows and 1,000 updates a second most ticks change a few hundred), never narrowed.
    widths = measure_widths(header, (), changed)
    return PreparedRows(table, tuple(max(w, p) for w, p in zip(widths, previous.widths, strict=False)),
                        len(changed))


class TableRow(NamedTuple):
    """What `ordered_rows` lists (DataTable's shape: `row.key.value`)."""

    key: RowKey


class ResourceTable(ScrollView, can_focus=True):
    """Rows by key, a header, a row cursor; only what is on screen is drawn."""

    DEFAULT_CSS = """
    ResourceTable {
        height: 1fr;
        background: $surface;
        color: $foreground;
        &:focus { background-tint: $foreground 5%; }
        & > .resource-table--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .resource-table--header { background: ansi_bright_blue; color: ansi_default; }
        & > .resource-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .resource-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"resource-table--header", "resource-table--cursor"}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Select", show=False),
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,ctrl+home", "cursor_home", "Top", show=False),
        Binding("end,ctrl+end", "cursor_end", "Bottom", show=False),
        Binding("left", "scroll_left", "Scroll left", show=False),
        Binding("right", "scroll_right", "Scroll right", show=False),
    ]

    class _RowMessage(Message):
        """A message about one row, shaped like DataTable's (data_table, cursor_row, row_key)."""

        def __init__(self, table: ResourceTable, cursor_row: int, row_key: str) -> None:
            self.data_table = self.table = table
            self.cursor_row = cursor_row
            self.row_key = RowKey(row_key)
            super().__init__()

        @property
        def control(self) -> ResourceTable:
            return self.data_table

    class RowHighlighted(_RowMessage):
        """The cursor is on a (new) row. Handler: `on_resource_table_row_highlighted`."""

    class RowSelected(_RowMessage):
        """`enter` (or a click on the cursor row). Handler: `on_resource_table_row_selected`."""

    def __init__(self, columns: Sequence[str], *, priorities: Sequence[int] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self._column_names = list(columns)
        by_name = COLUMN_PRIORITIES.get(kwargs.get("id") or "", {})
        self._priorities = (list(priorities) if priorities is not None
                            else [by_name.get(name, 0 if i == 0 else 1) for i, name in enumerate(columns)])
        self._layout: ColumnLayout | None = None
        self._layout_for: tuple[int, tuple[int, ...]] = (-1, ())
        self._header = tuple(Text(name) for name in self._column_names)
        self._all: dict[str, tuple[Cell, ...]] = {}  # every row as given, in the model's order
        self._keys: list[str] = []  # the rows shown (filtered), in order
        self._index: dict[str, int] | None = None  # key -> position in _keys, built on demand
        self._filter = ""
        self._hay: dict[str, tuple[tuple[Cell, ...], str]] = {}  # key -> (cells, lowercase text)
        self._conv: dict[str, tuple[tuple[Cell, ...], tuple[Text, ...]]] = {}  # key -> (cells, as Text)
        self._widths: list[int] = [max(1, h.cell_len) for h in self._header]
        self._strips: dict[str, tuple[tuple[Cell, ...], Style, Strip]] = {}
        self._frame_styles: tuple[Style, Style, Style] | None = None
        self._cursor = 0
        self._cursor_key: str | None = None
        self._announced: tuple[int, str | None] = (-1, None)
        self.rows_rendered = 0  # data rows turned into segments (cache misses): for tests

    # -- data ------------------------------------------------------------------------------------

    @property
    def filter_text(self) -> str:
        return self._filter

    def set_rows(self, rows: Iterable[tuple[str, Sequence[Cell]]]) -> None:
        """Show exactly `rows` (key, cells), in that order; the cursor keeps its row key.

        The cells are kept as given: Text for the visible rows is made when they are drawn.
        """
        self._all = {key: tuple(cells) for key, cells in rows}
        for cache in (self._strips, self._conv):
            if len(cache) > 4 * STRIP_CACHE:
                cache.clear()
        self._measure()
        self._apply()

    def set_prepared(self, prepared: PreparedRows) -> None:
        """Show `prepared` (from `prepare_rows`, for this table's columns): the UI thread only
        swaps the rows in; rows whose cells are the same tuple as before keep their drawing."""
        self._all = prepared.rows
        for cache in (self._strips, self._conv):
            if len(cache) > 4 * STRIP_CACHE:
                cache.clear()
        widths = list(prepared.widths)
        if widths != self._widths:
            self._widths = widths
            self._strips.clear()
        self._apply()

    def set_filter(self, text: str) -> None:
        needle = text.strip().lower().replace("\0", "")
        if needle == self._filter:
            return
        self._filter = needle
        self._apply()

    def clear(self) -> None:
        self.set_rows(())

    def _haystack(self, key: str, cells: tuple[Cell, ...]) -> str:
        hit = self._hay.get(key)
        if hit is not None and (hit[0] is cells or hit[0] == cells):
            return hit[1]
        # \0 between cells: a filter matches inside one cell, never across two.
        hay = "\0".join(_plain(c) for c in cells).lower()
        self._hay[key] = (cells, hay)
        return hay

    def _apply(self) -> None:
        needle = self._filter
        if not needle:
            keys = list(self._all)
            if len(self._hay) > 2 * len(self._all) + 1000:
                self._hay = {}
        else:
            hay = self._haystack
            keys = [k for k, cells in self._all.items() if needle in hay(k, cells)]
        self._keys = keys
        self._index = None
        # The cursor follows its key; when the row is gone it stays at the same height.
        pos = self._position(self._cursor_key) if self._cursor_key is not None else None
        self._cursor = pos if pos is not None else max(0, min(self._cursor, len(keys) - 1))
        self._cursor_key = keys[self._cursor] if keys else None
        self.virtual_size = Size(self._total_width(), len(keys) + 1)
        self._scroll_to_cursor()
        self.refresh()
        self._announce()

    def _position(self, key: str) -> int | None:
        if self._index is None:
            self._index = {k: i for i, k in enumerate(self._keys)}
        return self._index.get(key)

    def _measure(self) -> None:
        """Column widths from the header and (a sample of) the rows, capped."""
        widths = measure_widths([h.cell_len for h in self._header], list(self._all.values()))
        if widths != self._widths:
            self._widths = widths
            self._strips.clear()

    def _total_width(self) -> int:
        return self._fit(self.scrollable_content_region.width).width

    def _fit(self, available: int) -> ColumnLayout:
        """The column layout for `available` cells (cached; a new one drops the cached rows)."""
        if available <= 0:
            available = sum(w + 2 * CELL_PAD for w in self._widths)
        wanted = (available, tuple(self._widths))
        if self._layout is None or wanted != self._layout_for:
            headers = [h.cell_len for h in self._header]
            layout = fit_columns(self._widths, headers, self._priorities, available)
            if layout != self._layout:
                self._strips.clear()
            self._layout, self._layout_for = layout, wanted
        return self._layout

    @property
    def hidden_columns(self) -> list[str]:
        """The columns left out at the current width (named in the header's `…+N cols`)."""
        layout = self._fit(self.scrollable_content_region.width)
        drawn = {i for i, _ in layout.columns}
        return [name for i, name in enumerate(self._column_names) if i not in drawn]

    # -- DataTable-compatible reading -------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def ordered_rows(self) -> list[TableRow]:
        return [TableRow(RowKey(k)) for k in self._keys]

    @property
    def keys(self) -> list[str]:
        """The keys shown, in order (after the filter)."""
        return list(self._keys)

    @property
    def _rows(self) -> dict[str, tuple[Text, ...]]:
        """The rows shown, as Text, by key (the name the DataTable-based table used; tests read it)."""
        return {key: self._texts(key) for key in self._keys}

    def get_row_index(self, key: str) -> int:
        pos = self._position(key)
        if pos is None:
            raise RowDoesNotExist(f"no row with key {key!r}")
        return pos

    def get_row(self, key: str) -> list[Text]:
        if key not in self._all:
            raise RowDoesNotExist(f"no row with key {key!r}")
        return list(self._texts(key))

    def selected_key(self) -> str | None:
        return self._cursor_key if self._keys else None

    def plain_text(self) -> str:
        lines = ["\t".join(self._column_names)]
        for key in self._keys:
            lines.append("\t".join(_plain(c) for c in self._all[key]))
        return "\n".join(lines)

    # -- the cursor ------------------------------------------------------------------------------

    def move_cursor(self, *, row: int | None = None, column: int | None = None, animate: bool = False,
                    scroll: bool = True) -> None:
        if row is None or not self._keys:
            return
        row = max(0, min(row, len(self._keys) - 1))
        old = self._cursor
        self._cursor = row
        self._cursor_key = self._keys[row]
        if scroll:
            self._scroll_to_cursor()
        self._refresh_row(old)
        self._refresh_row(row)
        self._announce()

    def _announce(self) -> None:
        now = (self._cursor, self._cursor_key)
        if now != self._announced:
            self._announced = now
            if self._cursor_key is not None:
                self.post_message(self.RowHighlighted(self, self._cursor, self._cursor_key))

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_to_cursor(self) -> None:
        shown = self.scrollable_content_region.height - 1  # lines under the header
        if shown <= 0:
            return
        top = round(self.scroll_y)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, force=True)
        elif self._cursor >= top + shown:
            self.scroll_to(y=self._cursor - shown + 1, animate=False, force=True)

    def _refresh_row(self, row: int) -> None:
        self.refresh_line(row + 1)  # virtual line row + 1 (the header is line 0)

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self._cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self._cursor + 1)

    def action_page_up(self) -> None:
        self.move_cursor(row=self._cursor - self._page())

    def action_page_down(self) -> None:
        self.move_cursor(row=self._cursor + self._page())

    def action_cursor_home(self) -> None:
        self.move_cursor(row=0)

    def action_cursor_end(self) -> None:
        self.move_cursor(row=len(self._keys) - 1)

    def action_scroll_left(self) -> None:
        self.scroll_to(x=max(0, self.scroll_x - 8), animate=False)

    def action_scroll_right(self) -> None:
        self.scroll_to(x=self.scroll_x + 8, animate=False)

    def action_select_cursor(self) -> None:
        if self._cursor_key is not None:
            self.post_message(self.RowSelected(self, self._cursor, self._cursor_key))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        row = round(self.scroll_y) + offset.y - 1
        if row >= len(self._keys):
            return
        if row == self._cursor:
            self.action_select_cursor()
        else:
            self.move_cursor(row=row)

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(self._total_width(), len(self._keys) + 1)
        self._scroll_to_cursor()

    def on_focus(self) -> None:
        self._refresh_row(self._cursor)

    def on_blur(self) -> None:
        self._refresh_row(self._cursor)

    # -- drawing ---------------------------------------------------------------------------------

    def _segments(self, cells: Sequence[Text], *, header: bool = False) -> list[Segment]:
        console = self.app.console
        pad = Segment(" " * CELL_PAD)
        out: list[Segment] = []
        layout = self._fit(self.scrollable_content_region.width)
        for index, width in layout.columns:
            if index >= len(cells):
                out.append(Segment(" " * (width + 2 * CELL_PAD)))
                continue
            text = cells[index]
            if "\n" in text.plain:  # one line per row, whatever the cell holds
                text = Text(" ").join(text.split("\n", allow_blank=True))
            if text.cell_len != width:
                text = text.copy()
                text.truncate(width, overflow="ellipsis", pad=True)
            out.append(pad)
            out.extend(text.render(console))
            out.append(pad)
        if layout.hidden:
            marker = layout.marker if header else " " * len(layout.marker)
            out.extend((pad, Segment(marker, Style(dim=True) if header else None), pad))
        return out

    def _texts(self, key: str) -> tuple[Text, ...]:
        cells = self._all[key]
        hit = self._conv.get(key)
        if hit is not None and hit[0] is cells:
            return hit[1]
        texts = tuple(_cell(c) for c in cells)
        self._conv[key] = (cells, texts)
        return texts

    def _row_strip(self, key: str, base: Style) -> Strip:
        """The whole row (every column) with the widget's style under the cells', cached by key."""
        cells = self._all[key]
        hit = self._strips.get(key)
        if hit is not None and hit[0] is cells and hit[1] == base:
            return hit[2]
        strip = Strip(self._segments(self._texts(key))).apply_style(base)
        self.rows_rendered += 1
        if len(self._strips) >= STRIP_CACHE:
            self._strips.pop(next(iter(self._strips)))
        self._strips[key] = (cells, base, strip)
        return strip

    def _styles(self) -> tuple[Style, Style, Style]:
        """(widget, header, cursor) styles; once per frame (each one walks the DOM)."""
        if self._frame_styles is not None:
            return self._frame_styles
        return (self.rich_style, self.get_component_rich_style("resource-table--header"),
                self.get_component_rich_style("resource-table--cursor"))

    def render_lines(self, crop: Region) -> list[Strip]:
        self._frame_styles = self._styles()
        try:
            return super().render_lines(crop)
        finally:
            self._frame_styles = None

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x, scroll_y = self.scroll_offset
        base, header, cursor = self._styles()
        if y == 0:
            strip = Strip(Segment.apply_style(self._segments(self._header, header=True), header))
            return strip.crop_extend(scroll_x, scroll_x + width, base + header).apply_style(base)
        row = scroll_y + y - 1
        if row >= len(self._keys):
            return Strip.blank(width, base)
        strip = self._row_strip(self._keys[row], base)
        if row == self._cursor:
            strip = Strip(Segment.apply_style(strip, post_style=cursor))
            return strip.crop_extend(scroll_x, scroll_x + width, base + cursor)
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()  # a theme change re-resolves the cells' styles


__all__ = ["PreparedRows", "ResourceTable", "TableRow", "measure_widths", "prepare_rows"]

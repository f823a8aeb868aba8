"""ResourceTable, the virtual table: rows by key, a cursor that keeps its key, only visible rows drawn."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult

from k8snet_tui.widgets.resource_table import MAX_COLUMN_WIDTH, ResourceTable
from k8snet_tui.widgets.safe import data_text

COLUMNS = ("namespace", "name", "type")


def rows(n: int, prefix: str = "svc") -> list[tuple[str, tuple[str, str, str]]]:
    return [(f"ns/{prefix}-{i:05d}", ("ns", f"{prefix}-{i:05d}", "ClusterIP")) for i in range(n)]


class TableApp(App):
    def __init__(self, columns=COLUMNS, priorities=None) -> None:
        super().__init__()
        self.selected: list[str] = []
        self.highlighted: list[str] = []
        self.columns, self.priorities = columns, priorities

    def compose(self) -> ComposeResult:
        yield ResourceTable(self.columns, id="t", priorities=self.priorities)

    def on_resource_table_row_selected(self, event: ResourceTable.RowSelected) -> None:
        self.selected.append(event.row_key.value)

    def on_resource_table_row_highlighted(self, event: ResourceTable.RowHighlighted) -> None:
        self.highlighted.append(event.row_key.value)


def screen_lines(table: ResourceTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.scrollable_content_region.height)]


async def test_cursor_keeps_its_key_across_updates_and_filters():
    app = TableApp()
    async with app.run_test(size=(80, 20)) as pilot:
        t = app.query_one(ResourceTable)
        t.set_rows(rows(100))
        t.focus()
        t.move_cursor(row=t.get_row_index("ns/svc-00050"))
        await pilot.pause()
        assert t.selected_key() == "ns/svc-00050"
        # rows added before it and some removed after it: the cursor follows the key
        t.set_rows([("ns/aaa", ("ns", "aaa", "ClusterIP")), *rows(100)[:60]])
        assert t.selected_key() == "ns/svc-00050" and t.cursor_row == 51
        # re-ordered
        t.set_rows(list(reversed(rows(100))))
        assert t.selected_key() == "ns/svc-00050" and t.cursor_row == 49
        # a filter that keeps it, then one that hides it, then cleared
        t.set_filter("svc-0005")
        assert t.row_count == 10 and t.selected_key() == "ns/svc-00050"
        t.set_filter("SVC-0005")  # case-insensitive, same rows
        assert t.row_count == 10
        t.set_filter("")
        assert t.row_count == 100 and t.selected_key() == "ns/svc-00050"
        # gone: the cursor stays at the same height, on whatever row is there now
        t.set_rows([r for r in rows(100) if r[0] != "ns/svc-00050"])
        assert t.cursor_row == 49 and t.selected_key() == "ns/svc-00049"
        # the cursor row is on screen (scrolled to)
        await pilot.pause()
        assert any("svc-00049" in line for line in screen_lines(t))


async def test_filter_matches_inside_one_cell_and_updates_under_a_filter():
    app = TableApp()
    async with app.run_test(size=(80, 20)) as pilot:
        t = app.query_one(ResourceTable)
        t.set_rows(rows(20))
        t.set_filter("1clusterip")  # never across two cells ("svc-00001" + "ClusterIP")
        assert t.row_count == 0
        t.set_filter("clusterip")
        assert t.row_count == 20
        t.set_filter("svc-0001")
        assert t.keys == [f"ns/svc-{i:05d}" for i in range(10, 20)]
        t.set_rows(rows(30))  # new data under the filter stays filtered
        assert t.row_count == 10
        assert t.get_row_index("ns/svc-00012") == 2
        await pilot.pause()


async def test_only_visible_rows_are_drawn():
    app = TableApp()
    async with app.run_test(size=(80, 20)) as pilot:
        t = app.query_one(ResourceTable)
        t.set_rows(rows(10_000))
        await pilot.pause()
        assert t.virtual_size.height == 10_001  # a header and every row, scrollable
        height = t.scrollable_content_region.height
        assert 0 < t.rows_rendered <= 2 * height  # not 10,000
        t.focus()
        await pilot.press("end")
        await pilot.pause()
        assert t.selected_key() == "ns/svc-09999"
        assert any("svc-09999" in line for line in screen_lines(t))
        assert screen_lines(t)[0].split() == list(COLUMNS)  # the header stays on top
        assert t.rows_rendered <= 4 * height
        await pilot.press("home")
        await pilot.pause()
        assert t.selected_key() == "ns/svc-00000"
        # a filter touches no widget per row either
        before = t.rows_rendered
        t.set_filter("svc-0999")
        await pilot.pause()
        assert t.row_count == 10 and t.rows_rendered - before <= 10


async def test_keys_move_the_cursor_and_enter_posts_the_row_key():
    app = TableApp()
    async with app.run_test(size=(80, 12)) as pilot:
        t = app.query_one(ResourceTable)
        t.set_rows(rows(50))
        t.focus()
        await pilot.pause()
        await pilot.press("down", "down")
        assert t.selected_key() == "ns/svc-00002"
        await pilot.press("pagedown")
        page = t.scrollable_content_region.height - 1
        assert t.cursor_row == 2 + page
        await pilot.press("pageup", "up")
        assert t.cursor_row == 1
        await pilot.press("enter")
        await pilot.pause()
        assert app.selected == ["ns/svc-00001"]
        assert app.highlighted[-1] == "ns/svc-00001"
        await pilot.press("end", "down", "enter")
        await pilot.pause()
        assert app.selected[-1] == "ns/svc-00049"


async def test_plain_text_and_dataTable_compatible_reads():
    app = TableApp()
    async with app.run_test(size=(80, 12)) as pilot:
        t = app.query_one(ResourceTable)
        t.set_rows([("a", ("ns", "a", None)), ("b", ("ns", "b", 53))])
        await pilot.pause()
        assert t.plain_text() == "namespace\tname\ttype\nns\ta\t—\nns\tb\t53"
        assert [r.key.value for r in t.ordered_rows] == ["a", "b"]
        assert [c.plain for c in t.get_row("b")] == ["ns", "b", "53"]
        t.set_filter("b")
        assert t.plain_text() == "namespace\tname\ttype\nns\tb\t53"
        t.clear()
        assert t.row_count == 0 and t.selected_key() is None


async def test_long_cells_of_essential_columns_are_cut_on_screen_with_an_ellipsis():
    # Every column priority 0 (none may hide) and the row far wider than the table: the cells
    # shrink, rightmost first, and the cut shows as `…` on screen; it used to run off the right
    # edge with no mark (a DNS answer cut mid-name looked whole).
    app = TableApp(priorities=(0, 0, 0))
    async with app.run_test(size=(60, 10)) as pilot:
        t = app.query_one(ResourceTable)
        long = "x" * 200 + "END"
        t.set_rows([("k", ("ns", long, "ClusterIP"))])
        t.focus()
        await pilot.pause()
        assert t.virtual_size.width <= 60  # it fits: nothing off the right edge
        row = screen_lines(t)[1]
        assert row.rstrip().endswith("…") and "xxx…" in row, row  # both long cells end in the mark
        assert MAX_COLUMN_WIDTH < 200
        assert long in t.plain_text()  # the text itself is whole


async def test_a_table_whose_floors_are_too_wide_still_scrolls_sideways():
    columns = tuple(f"column{i}" for i in range(12))
    app = TableApp(columns=columns, priorities=(0,) * 12)
    async with app.run_test(size=(60, 10)) as pilot:
        t = app.query_one(ResourceTable)
        t.set_rows([("k", tuple("y" * 20 for _ in columns))])
        t.focus()
        await pilot.pause()
        assert "y…" in screen_lines(t)[1]  # each shrunk to its floor, cut with the mark
        await pilot.press(*["right"] * 12)
        await pilot.pause()
        assert t.scroll_x > 0  # twelve floors are wider than 60 cells: the rest is to the right


async def test_hostile_cells_render_inert():
    app = TableApp()
    async with app.run_test(size=(120, 10)) as pilot:
        t = app.query_one(ResourceTable)
        evil = "[bold red]pwn[/] [link=https://evil]x[/link] \x1b[31mred\x1b]8;;http://e\x07 \u202egnp.exe\nrow"
        t.set_rows([("k1", ("ns", evil, data_text(evil))), ("k2", ("ns", Text("ok\nsecond"), "x"))])
        await pilot.pause()
        lines = screen_lines(t)
        shown = "\n".join(lines)
        assert "[bold red]pwn[/]" in shown and "[link=https://evil]x[/link]" in shown  # as typed, not markup
        assert "\x1b" not in shown and "\u202e" not in shown and "\x07" not in shown
        assert len([line for line in lines if line.strip()]) == 3  # a newline in a cell makes no extra row
        for y in range(3):
            for segment in t.render_line(y):
                assert segment.style is None or segment.style.link is None
        svg = app.export_screenshot()
        assert "<a " not in svg and "\x1b" not in svg


WIDE = ("namespace", "name", "type", "cluster IP", "ports", "endpoints")


def wide_rows(n: int = 3) -> list[tuple[str, tuple[str, ...]]]:
    endpoints = ", ".join(f"10.0.{j}.{{i}}:8080" for j in range(4))
    return [(f"k{i}", ("kube-system", f"service-{i}", "LoadBalancer", f"10.96.0.{i}",
                       "80->31211/TCP, 443->31212/TCP", endpoints.format(i=i))) for i in range(n)]


async def test_at_80_columns_low_priority_columns_shrink_then_hide_with_a_marker():
    app = TableApp(WIDE, priorities=(2, 0, 3, 1, 1, 0))
    async with app.run_test(size=(80, 10)) as pilot:
        t = app.query_one(ResourceTable)
        t.set_rows(wide_rows())
        await pilot.pause()
        lines = screen_lines(t)
        header, first = lines[0], lines[1]
        # the columns that answer the question are whole on screen
        assert "endpoints" in header and "10.0.0.0:8080, 10.0.1.0:8080, 10.0.2.0:8080, 10.0.3.0:8080" in first
        assert "service-0" in first
        # something had to give: it is named in the header, and what is drawn fits the screen
        assert t.hidden_columns, lines
        assert f"…+{len(t.hidden_columns)}" in header
        assert t.virtual_size.width <= t.scrollable_content_region.width
        assert "type" in t.hidden_columns  # the least important goes first
        # the saved text keeps every column
        assert "LoadBalancer" in t.plain_text()


async def test_wide_enough_nothing_hides():
    app = TableApp(WIDE, priorities=(2, 0, 3, 1, 1, 0))
    async with app.run_test(size=(160, 10)) as pilot:
        t = app.query_one(ResourceTable)
        t.set_rows(wide_rows())
        await pilot.pause()
        header = screen_lines(t)[0]
        assert t.hidden_columns == [] and "…+" not in header
        assert all(name in header for name in WIDE)

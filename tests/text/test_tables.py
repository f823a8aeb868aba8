"""The table rules: no serialized value in a cell, the panes' column priorities, fitting, and
memory bounded per row however long the table."""

from __future__ import annotations

import io
import re
import tracemalloc
from dataclasses import dataclass

import pytest

from k8snet_tui.cli import main
from k8snet_tui.text import panes
from k8snet_tui.text.table import Column, TextOptions, Writer, cell, fit

# What a dict, a list or an object repr looks like inside text: `{"`, `['`, `[{`, a leading `{` or
# `[`, `Name(field=`. A field path such as `rules[0].http` is words, not a serialized value.
SERIALIZED = re.compile(r"[\[{]\s*[\"'{\[]|^\s*[\[{]|\b[A-Z]\w*\(\w+=")
COMMANDS = [["show", p] for p in ("internet", "host", "pods", "services", "dns", "ingress")] + [
    ["trace", "default/website"], ["dns", "website", "--pod", "default/client"], ["route", "/engine"]]


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBECONFIG", raising=False)


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: "-".join(a))
def test_no_cell_holds_a_serialized_value(argv, monkeypatch, capsys) -> None:
    """Every cell every table of every view writes: no `{` or `[` from a dict, list or object repr."""
    seen: list[str] = []
    real = Writer.table

    def spy(self, columns, rows, *args, **kwargs):
        def rows_seen():
            for row in rows():
                seen.extend(cell(v) for v in row)
                yield row
        return real(self, columns, rows_seen, *args, **kwargs)

    monkeypatch.setattr(Writer, "table", spy)
    assert main([*argv, "--snapshot", "lab", "-o", "wide"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    bad = [c for c in seen if SERIALIZED.search(c)]
    assert bad == []
    if argv[0] == "show" and argv[1] not in ("internet",):
        assert seen  # the view has tables, and they were looked at


def test_a_cell_refuses_structures_it_would_have_to_serialize() -> None:
    @dataclass
    class Thing:
        x: int

    for value in ({"a": 1}, Thing(1), [{"a": 1}], object()):
        with pytest.raises(TypeError):
            cell(value)
    assert cell(["a", "b"]) == "a, b" and cell(()) == "<none>" and cell(True) == "yes" and cell(None) == "<none>"
    assert cell("a\nb\x1b[31m") == "a\\nb\ufffd[31m"  # one line, inert


def test_columns_have_the_panes_priorities() -> None:
    from k8snet_tui.widgets.resource_table import COLUMN_PRIORITIES

    ours = {"svc-table": panes.SERVICES, "pods-table": panes.PODS, "dns-names-table": panes.DNS_NAMES,
            "ing-view-routes": panes.ING_ROUTES, "ing-view-entries": panes.ING_ENTRIES,
            "host-ifaces": panes.INTERFACES, "host-neigh": panes.NEIGHBOURS, "host-nodes": panes.NODES}
    for table, columns in ours.items():
        assert {c.header: c.priority for c in columns} == COLUMN_PRIORITIES[table], table


def test_fit_shrinks_then_hides_the_least_important_first() -> None:
    natural, headers, priorities = [20, 30, 30, 8], [4, 4, 4, 4], [0, 1, 2, 0]
    assert fit(natural, headers, priorities, None) == ([(0, 20), (1, 30), (2, 30), (3, 8)], 0)
    layout, hidden = fit(natural, headers, priorities, 90)  # 97 wide: column 2 gives up 7
    assert hidden == 0 and dict(layout)[2] == 23 and dict(layout)[1] == 30
    layout, hidden = fit(natural, headers, priorities, 70)  # column 2 hides before column 1 is cut past a third
    assert hidden == 1 and [i for i, _ in layout] == [0, 1, 3]
    layout, hidden = fit(natural, headers, priorities, 20)  # only priority 0 left, and they are cut
    assert [i for i, _ in layout] == [0, 3] and hidden == 2


def _peak_bytes(count: int) -> int:
    columns = (Column("namespace", 2), Column("name", 0), Column("ips", 0), Column("node", 1))

    def rows():
        for i in range(count):
            yield (f"ns-{i % 50}", f"pod-{i:07d}", (f"10.{i // 65536}.{i // 256 % 256}.{i % 256}",), f"node-{i % 99}")

    class Sink(io.TextIOBase):
        lines = 0

        def write(self, s: str) -> int:
            self.lines += s.count("\n")
            return len(s)

    sink = Sink()
    tracemalloc.start()
    try:
        Writer(sink, TextOptions(width=80)).table(columns, rows)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sink.lines == count + 1
    return peak


def test_a_long_table_is_written_in_bounded_memory() -> None:
    """Rows are produced and written one at a time: ten times the rows, about the same peak
    (kept as a list of cells, 30,000 rows would be over 10 MB)."""
    small, large = _peak_bytes(3_000), _peak_bytes(30_000)
    assert large < small * 1.5 + 256 * 1024, (small, large)
    assert large < 4 * 1024 * 1024

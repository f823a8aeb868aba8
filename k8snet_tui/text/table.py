"""kubectl-style text: upper-case headers, one line per row, columns fitted to the width.

A table is measured in one pass over its rows and written in a second, so a long table costs one
row's cells at a time (rows are produced by a function, never kept as a list of cells). When the
row is wider than the terminal the least important columns shrink to a floor, then hide, and the
header ends in `…+N cols`, as the panes do; `-o wide` shows every column in full. Every cell is
cleaned: cluster text never reaches the terminal as control characters, and a cell never holds a
line break.
"""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TextIO

from rich.cells import cell_len

from k8snet_tui.domain.sanitize import clean

GAP = "   "  # between columns, as kubectl prints them
SHORT_COLUMN = 10  # a column this narrow is never cut (a wider one keeps at least this much)
NONE = "<none>"  # an empty cell, kubectl's word for it


@dataclass(frozen=True)
class Column:
    header: str  # printed upper-case
    priority: int = 0  # 0: answers the view's question, never hidden; higher numbers hide first


@dataclass(frozen=True)
class TextOptions:
    width: int | None = None  # None: no limit (piped output, -o wide)
    wide: bool = False  # every column, nothing cut
    headers: bool = True


def terminal_width(stream: TextIO | None = None, env: dict[str, str] | None = None) -> int | None:
    """COLUMNS when set, else the terminal's width; None (no limit) when the output is not a terminal."""
    env = dict(os.environ) if env is None else env
    value = env.get("COLUMNS", "")
    if value.isascii() and value.isdigit() and 20 <= int(value) <= 10_000:
        return int(value)
    stream = stream or sys.stdout
    try:
        if stream.isatty():
            return os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError):
        pass
    return None


def cell(value: object) -> str:
    """A value as one cell: lists joined with commas, booleans as yes/no, nothing as <none>."""
    if value is None or value == "" or value == () or value == []:
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple, frozenset, set)):
        return ", ".join(cell(v) for v in value) or NONE
    if isinstance(value, float):
        return f"{value:.4g}"
    if not isinstance(value, (str, int)):  # a model object: its view must say which field to show
        raise TypeError(f"no cell form for {type(value).__name__}")
    return clean(value)


def crop(text: str, width: int) -> str:
    """`text` in at most `width` cells, ending in … when cut."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    out, used = [], 0
    for ch in text:
        w = cell_len(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def _pad(text: str, width: int) -> str:
    return text + " " * (width - cell_len(text))


def fit(natural: Sequence[int], headers: Sequence[int], priorities: Sequence[int],
        width: int | None) -> tuple[list[tuple[int, int]], int]:
    """The (column, width) pairs drawn left to right and how many columns were hidden."""
    count = len(natural)
    if width is None:
        return [(i, natural[i]) for i in range(count)], 0
    order = sorted(range(count), key=lambda i: (-priorities[i], -i))  # least important first
    hidden: set[int] = set()

    def total(widths: Sequence[int]) -> int:
        shown = [widths[i] for i in range(count) if i not in hidden]
        marker = len(_marker(len(hidden))) + len(GAP) if hidden else 0
        return sum(shown) + len(GAP) * max(0, len(shown) - 1) + marker

    def floor(i: int) -> int:
        # A column gives up at most a third of its width (short ones nothing): past that, hiding a
        # less important column reads better than a row of stumps.
        if natural[i] <= SHORT_COLUMN:
            return natural[i]
        return max(SHORT_COLUMN, headers[i], -(-natural[i] * 2 // 3))

    while True:
        widths = list(natural)
        for i in order:
            excess = total(widths) - width
            if excess <= 0:
                break
            if i not in hidden and priorities[i] > 0:
                widths[i] -= min(excess, max(0, widths[i] - floor(i)))
        if total(widths) <= width:
            break
        candidates = [i for i in order if i not in hidden and priorities[i] > 0]
        if not candidates:  # only the columns that answer the question are left: cut the widest
            for i in sorted((i for i in range(count) if i not in hidden), key=lambda i: -widths[i]):
                excess = total(widths) - width
                if excess <= 0:
                    break
                widths[i] -= min(excess, max(0, widths[i] - min(natural[i], max(SHORT_COLUMN, headers[i]))))
            break
        hidden.add(candidates[0])
    return [(i, widths[i]) for i in range(count) if i not in hidden], len(hidden)


def _marker(hidden: int) -> str:
    return f"…+{hidden} col{'s' if hidden > 1 else ''}" if hidden else ""


class Writer:
    """Sections, labelled fields, lines and tables, written as they are produced."""

    def __init__(self, out: TextIO, options: TextOptions) -> None:
        self.out = out
        self.options = options
        self._started = False

    @property
    def width(self) -> int | None:
        return None if self.options.wide else self.options.width

    def _write(self, line: str) -> None:
        self.out.write(line.rstrip() + "\n")
        self._started = True

    def blank(self) -> None:
        if self._started:
            self.out.write("\n")

    def line(self, text: object, indent: int = 0, hanging: int = 2) -> None:
        """One line of words, cleaned, wrapped at the width (continuations indented)."""
        pad = " " * indent
        words = clean(text)
        if self.width is None or cell_len(pad + words) <= self.width:
            self._write(pad + words)
            return
        for i, part in enumerate(textwrap.wrap(words, max(20, self.width - indent - hanging),
                                               break_long_words=True, break_on_hyphens=False)):
            self._write((pad if i == 0 else pad + " " * hanging) + part)

    def section(self, label: str) -> None:
        self.blank()
        if self.options.headers:  # --no-headers: rows for scripts, no labels around them
            self._write(f"{label}:")

    def fields(self, pairs: Iterable[tuple[str, object]], indent: int = 0) -> None:
        """`Label:  value` lines, values aligned; long values wrap under their start."""
        items = [(label, cell(value) if not isinstance(value, str) else (clean(value) or NONE))
                 for label, value in pairs]
        if not items or not self.options.headers:
            return
        label_width = max(len(label) for label, _ in items) + 2
        for label, value in items:
            head = " " * indent + f"{label}:".ljust(label_width)
            room = None if self.width is None else max(20, self.width - len(head))
            if room is None or cell_len(value) <= room:
                self._write(head + value)
                continue
            parts = textwrap.wrap(value, room, break_long_words=True, break_on_hyphens=False) or [""]
            self._write(head + parts[0])
            for part in parts[1:]:
                self._write(" " * len(head) + part)

    def table(self, columns: Sequence[Column], rows: Callable[[], Iterable[Sequence[object]]],
              empty: str = "(none)", indent: int = 0) -> int:
        """Measure, then write; the row count. `rows()` is called twice and must give the same rows."""
        headers = [c.header.upper() for c in columns]
        natural = [cell_len(h) for h in headers]
        count = 0
        for row in rows():
            count += 1
            for i, value in enumerate(row):
                n = cell_len(cell(value))
                if n > natural[i]:
                    natural[i] = n
        if not count:
            if self.options.headers:
                self._write(" " * indent + empty)
            return 0
        room = None if self.width is None else self.width - indent
        layout, hidden = fit(natural, [len(h) for h in headers], [c.priority for c in columns], room)
        pad = " " * indent
        last = len(layout) - 1
        if self.options.headers:
            parts = [_pad(crop(headers[i], w), w) for i, w in layout]
            if hidden:
                parts.append(_marker(hidden))
            self._write(pad + GAP.join(parts))
        for row in rows():
            self._write(pad + GAP.join(
                (crop(cell(row[i]), w) if n == last else _pad(crop(cell(row[i]), w), w))
                for n, (i, w) in enumerate(layout)))
        return count

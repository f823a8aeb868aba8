"""Print a view model for people (text) or programs (JSON), with every data string made inert.

The text form is generic on purpose: the CLI prints the very model the pane renders, laid out
as headed sections (mappings as `key: value` lines, lists of mappings as tables), so there is
no second formatter to drift from the first.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from k8snet_tui.domain.sanitize import clean


def print_json(doc: Any, out: TextIO | None = None) -> None:
    # ensure_ascii escapes ESC, bidi overrides and zero-width characters as \\uXXXX: a JSON
    # consumer gets the exact data, a terminal gets nothing it would interpret.
    (out or sys.stdout).write(json.dumps(doc, indent=2, ensure_ascii=True, sort_keys=False) + "\n")


def _scalar(value: Any) -> Text:
    if value is None:
        return Text("—", style="dim")
    if isinstance(value, bool):
        return Text("yes" if value else "no")
    if isinstance(value, float):
        return Text(f"{value:.4g}")
    if isinstance(value, (list, tuple)) and all(not isinstance(v, (dict, list)) for v in value):
        return Text(", ".join(clean(v) for v in value) if value else "—")
    if isinstance(value, (dict, list)):
        return Text(clean(json.dumps(value, ensure_ascii=True)))
    return Text(clean(value))


def _title(key: str) -> str:
    return key.replace("_", " ").strip().capitalize()


def _table(rows: list[dict[str, Any]]) -> Table:
    columns: list[str] = []
    for row in rows:
        for key, value in row.items():
            if key not in columns and not isinstance(value, (dict,)) and not (
                    isinstance(value, list) and any(isinstance(v, dict) for v in value)):
                columns.append(key)
    table = Table(box=None, show_edge=False, pad_edge=False, header_style="bold")
    for col in columns:
        table.add_column(_title(col), overflow="fold")
    for row in rows:
        table.add_row(*[_scalar(row.get(col)) for col in columns])
    return table


def render(doc: Any, console: Console, depth: int = 0) -> None:
    if not isinstance(doc, dict):
        console.print(_scalar(doc))
        return
    simple = {k: v for k, v in doc.items() if not _is_nested(v)}
    for key, value in simple.items():
        line = Text("  " * depth)
        line.append(f"{_title(key)}: ", style="bold")
        line.append_text(_scalar(value))
        console.print(line)
    for key, value in doc.items():
        if key in simple:
            continue
        console.print(Text("  " * depth + _title(key), style="bold underline"))
        if isinstance(value, dict):
            render(value, console, depth + 1)
        elif value and all(isinstance(v, dict) for v in value):
            console.print(_table(value))
            for i, row in enumerate(value):
                nested = {k: v for k, v in row.items() if _is_nested(v)}
                if nested:
                    label = row.get("name") or row.get("key") or row.get("service") or i
                    console.print(Text("  " * (depth + 1) + f"{clean(label)}:", style="italic"))
                    render(nested, console, depth + 2)
        else:
            for item in value:
                render(item, console, depth + 1)
        console.print()


def _is_nested(value: Any) -> bool:
    return isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, dict) for v in value))


def print_model(doc: Any, out: TextIO | None = None) -> None:
    stream = out or sys.stdout
    console = Console(file=stream, soft_wrap=False, width=None if stream.isatty() else 160,
                      highlight=False, emoji=False, markup=False)
    render(doc, console)

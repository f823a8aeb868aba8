"""Print a one-shot command's answer: text for people (`k8snet_tui.text`), JSON or YAML for programs.

Every data string is made inert: text cells are cleaned, JSON escapes everything outside ASCII
(ESC, bidi overrides and zero-width characters become \\uXXXX), YAML does the same in
double-quoted scalars. A consumer of JSON or YAML gets the exact data; a terminal gets nothing
it would interpret.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

from k8snet_tui.json_indented import dumps_indented
from k8snet_tui.text import TextOptions, render, terminal_width


def print_json(doc: Any, out: TextIO | None = None) -> None:
    # The same text as json.dumps(doc, indent=2, ensure_ascii=True), from the C encoder.
    (out or sys.stdout).write(dumps_indented(doc) + "\n")


def print_yaml(doc: Any, out: TextIO | None = None) -> None:
    import yaml

    (out or sys.stdout).write(yaml.safe_dump(doc, sort_keys=False, allow_unicode=False, default_flow_style=False,
                                             width=100))


def print_document(doc: Any, output: str, out: TextIO | None = None) -> None:
    if output == "yaml":
        print_yaml(doc, out)
    else:
        print_json(doc, out)


def text_options(stream: TextIO, *, wide: bool = False, headers: bool = True,
                 env: dict[str, str] | None = None) -> TextOptions:
    """The width from COLUMNS or the terminal (no limit when piped, nor with `-o wide`)."""
    return TextOptions(width=None if wide else terminal_width(stream, env), wide=wide, headers=headers)


def print_text(view: str, model: Any, out: TextIO | None = None, *, wide: bool = False, headers: bool = True) -> None:
    stream = out or sys.stdout
    render(view, model, stream, text_options(stream, wide=wide, headers=headers))

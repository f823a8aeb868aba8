"""Turn cluster- and kernel-derived strings into inert `rich.text.Text`.

Textual reads `[...]` in a plain string as markup, and terminals obey escape sequences; a
Service named `[link=https://evil]x` or a comment with `\\x1b]8;;` must show as exactly those
characters. Every widget that shows such data builds its cells with `data_text`.
"""

from __future__ import annotations

from rich.text import Text

from k8snet_tui.domain.sanitize import clean


def data_text(value: object, style: str = "") -> Text:
    """A single-line, markup-free, escape-free Text of `value` (None shows as an em dash)."""
    if value is None or value == "":
        return Text("—", style="dim")
    return Text(clean(value), style=style)


def data_block(value: object, style: str = "") -> Text:
    """Like `data_text` but keeps newlines (for multi-line data such as a Corefile)."""
    return Text(clean("" if value is None else value, single_line=False), style=style)


def join(parts: list[Text | str], sep: str = " ") -> Text:
    out = Text()
    for i, part in enumerate(parts):
        if i:
            out.append(sep)
        out.append(part if isinstance(part, Text) else Text(part))
    return out

"""Cluster- and kernel-derived strings are data: make them inert before anyone renders them.

Object names, labels, annotations and iptables comments can be written by anyone who can
create an object. Terminal escapes (CVE-2021-25743 in kubectl), carriage returns, backspaces,
bidi overrides and zero-width characters could repaint or disguise what a user reads. Every
string that reaches a screen or the CLI passes through `clean`.
"""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, C1 controls; bidi marks, embeddings, overrides and
# isolates (including the Arabic letter mark); zero-width and other invisible format characters;
# line and paragraph separators (they break a line where no newline shows); BOM.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)
_REPLACEMENT = "\ufffd"


def clean(value: object, *, single_line: bool = True) -> str:
    """Return `value` as a string with every unsafe character replaced by U+FFFD.

    With `single_line`, tabs and newlines become visible escapes too, so a hostile name cannot
    fake extra table rows.
    """
    text = value if isinstance(value, str) else str(value)
    text = _UNSAFE.sub(_REPLACEMENT, text)
    if single_line:
        text = text.replace("\n", "\\n").replace("\t", "\\t")
    return text

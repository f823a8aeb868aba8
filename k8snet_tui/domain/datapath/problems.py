"""What a tolerant parser could not read: kept, counted and located, never raised."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ParseProblem:
    source: str  # "iptables-save:nft", "nft -j", "ipvsadm -Ln", "cilium service list"
    line: int  # 1-based line number, or the index of the offending item for JSON input
    field: str  # which part was wrong ("rule", "counters", "chain", "elem", ...)
    message: str
    text: str = ""  # the offending text (truncated), kept so the user can see it

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "line": self.line,
            "field": self.field,
            "message": self.message,
            "text": self.text,
        }


def snippet(value: object, limit: int = 200) -> str:
    """`value` as short text for a problem: strings as they are, anything else as a bounded repr.

    repr() itself would walk the whole value: a RecursionError on JSON nested a thousand deep, a
    ValueError on an int of 5000 digits, and megabytes of text to cut down to `limit`.
    """
    if isinstance(value, str):
        text = value
    else:
        text = ""
        if not isinstance(value, (dict, list, tuple)) or len(value) <= _REPR_ITEMS:
            try:  # the C repr is ten times faster, and fine for what most problems hold
                text = repr(value)
            except (RecursionError, ValueError):  # nested past the interpreter's limit; an int too long
                text = ""
        if not text:
            out: list[str] = []
            _brief(value, out, [limit + 1], 0)
            text = "".join(out)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_REPR_ITEMS = 64  # a container longer than this is printed by _brief, which stops at `limit`


_BRIEF_DEPTH = 8  # containers deeper than this print as `[…]` / `{…}`
_BRACKETS = {dict: ("{", "}"), list: ("[", "]"), tuple: ("(", ")")}


def _brief(value: object, out: list[str], room: list[int], depth: int) -> None:
    """repr() of `value`, stopping once `room[0]` characters are written or past _BRIEF_DEPTH levels."""
    if room[0] <= 0:
        return
    if isinstance(value, (dict, list, tuple)):
        opening, closing = _BRACKETS.get(type(value), ("[", "]"))
        if depth >= _BRIEF_DEPTH and value:
            piece = opening + "…" + closing
            out.append(piece)
            room[0] -= len(piece)
            return
        out.append(opening)
        room[0] -= 1
        items = value.items() if isinstance(value, dict) else value
        for i, item in enumerate(items):
            if room[0] <= 0:
                return
            if i:
                out.append(", ")
                room[0] -= 2
            if isinstance(value, dict):
                _brief(item[0], out, room, depth + 1)
                out.append(": ")
                room[0] -= 2
                _brief(item[1], out, room, depth + 1)
            else:
                _brief(item, out, room, depth + 1)
        if isinstance(value, tuple) and len(value) == 1:
            out.append(",")
        out.append(closing)
        room[0] -= 1
        return
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        piece = f"<an integer of {value.bit_length()} bits>"
    elif isinstance(value, str):
        piece = repr(value[: room[0]])
    elif value is None or isinstance(value, (bool, int, float)):
        piece = repr(value)
    else:
        piece = f"<{type(value).__name__}>"
    out.append(piece)
    room[0] -= len(piece)

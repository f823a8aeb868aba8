"""`json.dumps(doc, indent=2, ensure_ascii=True)`, byte for byte, at the speed of the C encoder.

Python's json module encodes with its C encoder only when no indent is asked for; with one it
walks the document in Python generators, which at cluster scale (10,000 Service rows) is most of
the cost of printing. Here the document is walked in Python only down to the containers that
hold no non-empty container: each of those is encoded by the C encoder in one call, with the
newline and indentation of its depth as the item separator, and the brackets given their
newlines around it. Empty containers, scalars and keys come out as the pure encoder writes them
(both encoders share the same rules for floats, bools, None, int keys and ASCII escapes).

Without the C encoder (an interpreter built without `_json`), `json.dumps` itself is used.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json import encoder as _json_encoder
from typing import Any

_INDENT = "  "
_C_MAKE_ENCODER = getattr(_json_encoder, "c_make_encoder", None)
_ENCODE_STR = getattr(_json_encoder, "c_encode_basestring_ascii", None)


def _fail_default(o: Any) -> Any:
    raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")


def _float_text(o: float) -> str:
    # The same spelling as json's own for floats (allow_nan=True).
    if o != o:
        return "NaN"
    if o == float("inf"):
        return "Infinity"
    if o == -float("inf"):
        return "-Infinity"
    return float.__repr__(o)


class _Encoders:
    """One C encoder per depth: its item separator carries the newline and that depth's indent."""

    def __init__(self) -> None:
        self._by_depth: list[Callable[[Any, int], Any]] = []

    def at(self, depth: int) -> Callable[[Any, int], Any]:
        while len(self._by_depth) <= depth:
            level = len(self._by_depth)
            assert _C_MAKE_ENCODER is not None and _ENCODE_STR is not None
            self._by_depth.append(_C_MAKE_ENCODER(
                {}, _fail_default, _ENCODE_STR, None, ": ", ",\n" + _INDENT * (level + 1),
                False, False, True))
        return self._by_depth[depth]


def _holds_container(values: Any) -> bool:
    # A plain loop: any() over a generator costs a frame step per value, and this runs per row.
    for v in values:  # noqa: SIM110
        if isinstance(v, (list, tuple, dict)) and v:
            return True
    return False


def _key_text(key: Any) -> str:
    """A dict key as the encoders write it (str, float, bool, None, int; anything else refused)."""
    if isinstance(key, str):
        return _ENCODE_STR(key)  # type: ignore[misc]
    if isinstance(key, float):
        return '"' + _float_text(key) + '"'
    if key is True:
        return '"true"'
    if key is False:
        return '"false"'
    if key is None:
        return '"null"'
    if isinstance(key, int):
        return '"' + int.__repr__(key) + '"'
    raise TypeError(f"keys must be str, int, float, bool or None, not {key.__class__.__name__}")


def _encode(o: Any, depth: int, encoders: _Encoders, parts: list[str], seen: set[int]) -> None:
    if isinstance(o, dict):
        if not o or not _holds_container(o.values()):
            parts.extend(_flat(o, depth, encoders))
            return
        marker = id(o)
        if marker in seen:
            raise ValueError("Circular reference detected")
        seen.add(marker)
        inner = "\n" + _INDENT * (depth + 1)
        first = True
        for key, value in o.items():
            parts.append(("{" if first else ",") + inner + _key_text(key) + ": ")
            first = False
            _encode(value, depth + 1, encoders, parts, seen)
        parts.append("\n" + _INDENT * depth + "}")
        seen.discard(marker)
    elif isinstance(o, (list, tuple)):
        if not o or not _holds_container(o):
            parts.extend(_flat(o, depth, encoders))
            return
        marker = id(o)
        if marker in seen:
            raise ValueError("Circular reference detected")
        seen.add(marker)
        inner = "\n" + _INDENT * (depth + 1)
        first = True
        for value in o:
            parts.append(("[" if first else ",") + inner)
            first = False
            _encode(value, depth + 1, encoders, parts, seen)
        parts.append("\n" + _INDENT * depth + "]")
        seen.discard(marker)
    else:
        parts.extend(encoders.at(depth)(o, depth))


def _flat(o: Any, depth: int, encoders: _Encoders) -> list[str]:
    """A container holding no non-empty container (or an empty one): one C encoder call."""
    chunks = list(encoders.at(depth)(o, depth))
    if not o:
        return chunks
    # The C encoder writes `[` and `]` (or braces) tight against the first and last items; the
    # indented form has the newline and indent of the items after the opening bracket and of
    # this depth before the closing one.
    chunks[0] = chunks[0][0] + "\n" + _INDENT * (depth + 1) + chunks[0][1:]
    last = chunks[-1]
    chunks[-1] = last[:-1] + "\n" + _INDENT * depth + last[-1]
    return chunks


def dumps_indented(doc: Any) -> str:
    """The text of `json.dumps(doc, indent=2, ensure_ascii=True)`."""
    if _C_MAKE_ENCODER is None or _ENCODE_STR is None:
        return json.dumps(doc, indent=2, ensure_ascii=True)
    parts: list[str] = []
    _encode(doc, 0, _Encoders(), parts, set())
    return "".join(parts)

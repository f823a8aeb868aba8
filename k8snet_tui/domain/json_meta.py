"""How a dataclass field appears in JSON, said next to the field (read by `present/serialize.py`).

The domain's results (a service trace, a route, a lookup) are printed by the one serializer from
their fields; this metadata is the only JSON knowledge they carry: a new name, "left out" (a
display-only or internal field), or a float rounded to a number of decimals (shares that would
otherwise print as 0.33333333349999996).
"""

from __future__ import annotations

from collections.abc import Mapping

NAME = "json"  # metadata key: the JSON name, or None to leave the field out
DIGITS = "json_digits"  # metadata key: round a float (or each float of a tuple) to this many decimals

_KEEP = object()


def json_field(name: str | object | None = _KEEP, *, digits: int | None = None) -> Mapping[str, object]:
    """Field metadata: `field(metadata=json_field("class"))` renames, `json_field(None)` leaves the
    field out of JSON, `json_field(digits=7)` rounds it."""
    meta: dict[str, object] = {}
    if name is not _KEEP:
        meta[NAME] = name
    if digits is not None:
        meta[DIGITS] = digits
    return meta

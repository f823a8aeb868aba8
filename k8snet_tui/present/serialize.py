"""One way from a pane model to JSON: the types say the shape.

Dataclasses become objects with one key per field, in declaration order (a field's
`json_field("name")` renames it, `json_field(None)` keeps it out: display-only cells and internal
state; `json_field(digits=7)` rounds a float); tuples, lists and frozensets become lists; enums
their values; mappings objects with string keys; None stays null (absent values are never omitted). Anything else is a bug in a
model and raises TypeError, so a new field cannot reach scripts in an unplanned shape.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Mapping
from typing import TextIO

from k8snet_tui.domain.json_meta import DIGITS, NAME, json_field

__all__ = ["JSON", "JsonModel", "dump", "json_field", "to_jsonable"]

JSON = None | bool | int | float | str | list["JSON"] | dict[str, "JSON"]

_SKIP = object()


def to_jsonable(value: object) -> JSON:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, JSON] = {}
        for f in dataclasses.fields(value):
            name = f.metadata.get(NAME, f.name)
            if name is None:
                continue
            item = getattr(value, f.name)
            digits = f.metadata.get(DIGITS)
            out[name] = to_jsonable(item if digits is None else _rounded(item, digits))
        return out
    if isinstance(value, (tuple, list, frozenset)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    raise TypeError(f"no JSON form for {type(value).__name__}")


def _rounded(value: object, digits: int) -> object:
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, tuple):
        return tuple(_rounded(v, digits) for v in value)
    return value


def dump(value: object, out: TextIO) -> None:
    # ensure_ascii escapes ESC, bidi overrides and zero-width characters as \uXXXX: a JSON
    # consumer gets the exact data, a terminal gets nothing it would interpret.
    out.write(json.dumps(to_jsonable(value), indent=2, ensure_ascii=True) + "\n")


class JsonModel:
    """Mixin for pane models: `to_json()` is the serializer's output (nothing hand-written)."""

    __slots__ = ()

    def to_json(self) -> JSON:
        return to_jsonable(self)

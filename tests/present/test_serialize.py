"""The one serializer: fields in order, renames, display-only fields left out, None kept."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from types import MappingProxyType

import pytest

from k8snet_tui.present.serialize import JsonModel, json_field, to_jsonable


class Colour(enum.Enum):
    RED = "red"


@dataclass(frozen=True)
class Inner:
    klass: str = field(metadata=json_field("class"))
    cells: tuple[str, ...] = field(default=(), metadata=json_field(None))


@dataclass(frozen=True)
class Outer(JsonModel):
    name: str
    missing: int | None
    colour: Colour
    items: tuple[Inner, ...]
    labels: MappingProxyType


def test_shapes():
    doc = Outer("a", None, Colour.RED, (Inner("x", ("drawn",)),), MappingProxyType({1: frozenset()}))
    assert to_jsonable(doc) == {"name": "a", "missing": None, "colour": "red",
                                "items": [{"class": "x"}], "labels": {"1": []}}
    assert list(to_jsonable(doc)) == ["name", "missing", "colour", "items", "labels"]  # field order
    assert doc.to_json() == to_jsonable(doc)


def test_unknown_types_are_refused():
    with pytest.raises(TypeError, match="object"):
        to_jsonable(object())
    with pytest.raises(TypeError):
        to_jsonable(Inner)  # a class, not an instance

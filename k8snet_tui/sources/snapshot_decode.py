"""Decode a snapshot's API list straight into its allow-listed shape, in one C pass.

`json.loads` builds every field of every object and `allowlist.slim` then walks them all in
Python to keep a few: at scale L (30,002 pods, 57 MB of JSON) that is ~0.45 s of decoding and
~0.6 s of slimming. msgspec decodes into types, skipping what a type does not name, so the
allow-list is compiled once into `TypedDict`s (dicts, as every reader expects) and a list is
decoded and slimmed at once, ~3x faster than `json.loads` alone.

The result must be exactly `slim(json.loads(text))` as the loader would make it, so this path
only answers for inputs where that is certain, and says None otherwise (the loader then does
what it always did, problems included): any decode or validation error (msgspec is stricter
than `json`: NaN, lone surrogates, a BOM, a value of the wrong shape, which `prune` would turn
into None), a single object, a kind it cannot be sure of, an item of another kind, a ConfigMap
(whose data the allow-list filters by name). Container command lines are pruned in Python
after the decode, with the allow-list's own code. msgspec missing: always None.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from functools import cache, wraps
from typing import Any, TypedDict, Union

from k8snet_tui.domain.model import gc_paused
from k8snet_tui.sources.allowlist import ALLOWED, CONTAINER, KEEP, WHOLE, Flags, Map, Spec, prune, slim
from k8snet_tui.sources.kinds import BY_NAME, KINDS, LIST_KINDS

try:
    import msgspec
except ImportError:  # pragma: no cover - a declared dependency; the old path still works without it
    msgspec = None  # type: ignore[assignment]

# Kinds whose slimmed form is not only a matter of fields (ConfigMap data is kept by name).
_NOT_TYPED = frozenset({"ConfigMap"})
# Kinds with container command lines inside (allow-list `Flags`), and where their containers are.
_CONTAINER_PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    "Pod": (("spec",),),
    "DaemonSet": (("spec", "template", "spec"),),
    "StatefulSet": (("spec", "template", "spec"),),
}
_BY_PLURAL = {k.plural: k.kind for k in KINDS}
_FIRST_KIND = re.compile(r'"kind"\s*:\s*"([A-Za-z0-9]{1,63})"')

_Scalar = Union[str, int, float, bool, None]  # noqa: UP007 - a runtime type msgspec reads
_Keep = Union[str, int, float, bool, None, list[_Scalar]]  # noqa: UP007 - allow-list KEEP
# Types made at run time from the allow-list: typing's forms called as functions (Any to mypy).
_record: Any = TypedDict
_list: Any = list
_dict: Any = dict



# msgspec works out a type's decoding plan when a Decoder for it is made, and two threads doing
# that at once for the same (shared, nested) types crashed the process with a segfault: at a
# live start every kind's watcher decodes its first page at the same moment. So the decoders
# and their types are made under one lock, once each; a made Decoder is safe to share.
_BUILDING = threading.RLock()


def _built_once(build: Callable[..., Any]) -> Callable[..., Any]:
    cached = cache(build)

    @wraps(build)
    def get(*args: Any) -> Any:
        with _BUILDING:
            return cached(*args)

    return get

def available() -> bool:
    return msgspec is not None


def decode_list(data: bytes, path: str) -> list[dict[str, Any]] | None:
    """The slimmed items of the API list in `data` (the file `path`), or None: use the old path."""
    if msgspec is None:
        return None
    for kind in _guesses(data, path):
        try:
            doc = _decoder(kind).decode(data)
        except Exception:  # any refusal (decode, validation, depth) means: json.loads and slim() decide
            return None
        items = _checked(doc, kind)
        if items is not None:
            return items
    return None


def _guesses(data: bytes, path: str) -> list[str]:
    """Which kind the list holds: its own `kind` when it comes first (`PodList`), else the
    file name (`pods.json`, as capture writes them). A wrong guess is found out after the decode."""
    kinds = []
    m = _FIRST_KIND.search(data[:4096].decode("utf-8", errors="replace"))
    if m and m.group(1) in LIST_KINDS:
        kinds.append(LIST_KINDS[m.group(1)].kind)
    stem = path.rsplit("/", 1)[-1].removesuffix(".json")
    if stem in _BY_PLURAL and _BY_PLURAL[stem] not in kinds:
        kinds.append(_BY_PLURAL[stem])
    return [k for k in kinds if k in ALLOWED and k not in _NOT_TYPED][:1]


def _checked(doc: dict[str, Any], kind: str) -> list[dict[str, Any]] | None:
    """The loader's rules for a list's items, where they give the answer without problems."""
    items = doc.get("items")
    if items is None:  # a single object: the loader's other branch
        return None
    list_kind = doc.get("kind")
    typed = LIST_KINDS.get(list_kind) if isinstance(list_kind, str) else None
    api_version = BY_NAME[kind].api_version
    for item in items:
        item_kind = item.get("kind")
        if item_kind is None:
            if "kind" in item or typed is None or typed.kind != kind:
                return None  # the loader would name a problem, or slim it as another kind
            item["kind"] = kind
            item.setdefault("apiVersion", api_version)
        elif item_kind != kind:
            return None  # mixed lists are slimmed item by item by the loader
    paths = _CONTAINER_PATHS.get(kind)
    if paths:
        for item in items:
            _prune_command_lines(item, paths)
    return items


def _prune_command_lines(item: dict[str, Any], paths: tuple[tuple[str, ...], ...]) -> None:
    for path in paths:
        spec: Any = item
        for key in path:
            spec = spec.get(key) if isinstance(spec, dict) else None
        if not isinstance(spec, dict):
            continue
        for field in ("containers", "initContainers"):
            for i, container in enumerate(spec.get(field) or ()):
                if "command" in container or "args" in container:
                    spec[field][i] = prune(container, CONTAINER)


class SlimObject(dict[str, Any]):
    """An API object already in its allow-listed shape (a live list page decoded typed): the
    store keeps it as it is instead of slimming it a second time."""

    __slots__ = ()


def decode_page(data: bytes, kind: str, api_version: str) -> tuple[list[dict[str, Any]], str, str] | None:
    """One live list page (`{"metadata": {...}, "items": [...]}` as the API server sends it) ->
    (items in their allow-listed shape, each a `SlimObject`, resourceVersion, continue token), or None: the caller
    decodes it the old way (`json.loads`, then `kind`/`apiVersion` filled in, then `slim()`).

    The answer is that old way's, exactly: an item without a `kind` gets the page's kind and
    apiVersion, as the watcher's `setdefault`s did; an item of another or a null kind, a value
    the typed decode refuses, a metadata field that is not a string, a ConfigMap (kept by
    name): None. `managedFields` and the last-applied annotation are not in the allow-list, so
    dropping them first (the old way) changes nothing."""
    if msgspec is None or kind not in ALLOWED or kind in _NOT_TYPED:
        return None
    try:
        doc = _page_decoder(kind).decode(data)
    except Exception:  # any refusal: the old way decides (and names what is wrong)
        return None
    items = doc.get("items")
    if not isinstance(items, list):
        return None  # an error body, or a page without items: the old way's answer
    out: list[dict[str, Any]] = []
    for item in items:
        if "kind" not in item:
            item["kind"] = kind
        elif item["kind"] != kind:
            return None  # slim() would keep it as another kind, or whole
        item.setdefault("apiVersion", api_version)
        out.append(SlimObject(item))
    paths = _CONTAINER_PATHS.get(kind)
    if paths:
        for item in out:
            _prune_command_lines(item, paths)
    meta = doc.get("metadata") or {}
    return out, meta.get("resourceVersion") or "", meta.get("continue") or ""


@_built_once
def _page_decoder(kind: str) -> Any:
    meta = _record(f"{kind}PageMeta", {"resourceVersion": str, "continue": str}, total=False)
    envelope = _record(f"{kind}PageSlim", {"metadata": meta, "items": _list[_item_type(kind)]}, total=False)
    return msgspec.json.Decoder(envelope)


# The fields each deferred kind's indexes key on (the pod index: key, host network, addresses;
# the Service index: a slice's namespace and labels). Values come out exactly as in the item.
HEADS: dict[str, dict[str, Any]] = {
    "Pod": {"metadata": {"name": True, "namespace": True}, "spec": {"hostNetwork": True},
            "status": {"podIP": True, "podIPs": True}},
    "EndpointSlice": {"metadata": {"name": True, "namespace": True, "labels": True}},
}


def defer_list(data: bytes, path: str) -> DeferredList | None:
    """The API list in `data` as items to decode one by one, or None: decode it now.

    For a list of one kind with `HEADS` only, where the loader would name no problem: one
    pass checks the JSON and cuts it into items (msgspec `Raw`), a second reads each item's
    head (its kind and the few fields indexes key on). An item is decoded when first asked
    for, into its allow-listed shape, or by `json.loads` and `slim()` when the typed decode
    refuses it (what the loader does for a whole list the typed path refuses: every item then
    is exactly as the loader would make it)."""
    if msgspec is None:
        return None
    kinds = _guesses(data, path)
    if not kinds or kinds[0] not in HEADS:
        return None
    kind = kinds[0]
    try:
        doc = _raw_decoder().decode(data)
    except Exception:
        return None
    items = doc.get("items")
    if items is None:
        return None
    list_kind = doc.get("kind")
    typed = LIST_KINDS.get(list_kind) if isinstance(list_kind, str) else None
    head_decoder = _head_decoder(kind)
    heads: list[dict[str, Any] | None] = []
    for raw in items:
        try:
            head = head_decoder.decode(raw)
        except Exception:
            head = None  # a field of the wrong shape: this item's head comes from the item itself
        item_kind = head.get("kind") if head is not None else _kind_of(raw)
        if item_kind is None:
            if typed is None or typed.kind != kind:
                return None  # the loader would name a problem, or slim it as another kind
        elif item_kind is _NOT_A_STR or item_kind != kind:
            return None
        heads.append(head)
    return DeferredList(kind, data, items, heads)


_NOT_A_STR = object()


def _kind_of(raw: Any) -> Any:
    """An item's `kind` when its head would not decode: None when absent, _NOT_A_STR when not a string."""
    try:
        found = _kind_decoder().decode(raw)
    except Exception:
        return _NOT_A_STR  # not an object, or a kind that is no string: the loader's problems
    if "kind" not in found:
        return None
    value = found["kind"]
    return value if isinstance(value, str) else _NOT_A_STR  # (a null kind: the loader keeps it whole)


class DeferredList:
    """One API list's items, decoded when first read (`model.DeferredItems`). Thread-safe."""

    __slots__ = ("_api_version", "_data", "_done", "_heads", "_items", "_lock", "_raws", "kind")

    def __init__(self, kind: str, data: bytes, raws: list[Any], heads: list[dict[str, Any] | None]) -> None:
        self.kind = kind
        self._api_version = BY_NAME[kind].api_version
        self._data = data  # the Raw items point into it
        self._raws = raws
        self._heads = heads
        self._items: list[dict[str, Any] | None] = [None] * len(raws)
        self._done: tuple[dict[str, Any], ...] | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def heads(self) -> list[dict[str, Any]]:
        heads = self._heads
        for i, head in enumerate(heads):
            if head is None:
                heads[i] = self.item(i)
        return heads  # type: ignore[return-value]

    def item(self, index: int) -> dict[str, Any]:
        found = self._items[index]
        if found is None:
            with self._lock:
                found = self._items[index]
                if found is None:
                    found = self._items[index] = self._decode(index)
        return found

    def _decode(self, index: int) -> dict[str, Any]:
        raw = self._raws[index]
        try:
            item = _item_decoder(self.kind).decode(raw)
        except Exception:  # as the loader: json.loads and the allow-list (a wrong shape becomes None)
            # decoded as the loader decodes a file (bad UTF-8 replaced), inside a list so that
            # json.loads meets the nesting depth it meets in the whole file
            text = bytes(raw).decode("utf-8", errors="replace")
            item = json.loads('{"items":[' + text + "]}")["items"][0]
            if "kind" not in item:  # (a present kind is this list's: defer_list checked)
                item["kind"] = self.kind
                item.setdefault("apiVersion", self._api_version)
            kept = slim(item)
            return item if kept is None else kept
        if "kind" not in item:
            item["kind"] = self.kind
            item.setdefault("apiVersion", self._api_version)
        paths = _CONTAINER_PATHS.get(self.kind)
        if paths:
            _prune_command_lines(item, paths)
        return item

    def all(self) -> tuple[dict[str, Any], ...]:
        if self._done is None:
            with gc_paused():  # tens of thousands of acyclic dicts, as at load
                done = tuple(self._every_item())
            with self._lock:
                if self._done is None:
                    self._done = done
                    # every item is decoded: the bytes can go, and each item is its own head
                    self._raws, self._data, self._heads = [], b"", list(done)
        return self._done

    def _every_item(self) -> list[dict[str, Any]]:
        """Every item: the whole list in one typed decode when it takes it (an item decoded
        before stays the object it was), else item by item."""
        try:
            items = _checked(_decoder(self.kind).decode(self._data), self.kind)
        except Exception:
            items = None
        if items is None or len(items) != len(self._items):
            return [self.item(i) for i in range(len(self._items))]
        with self._lock:
            for i, known in enumerate(self._items):
                if known is None:
                    self._items[i] = items[i]
                else:
                    items[i] = known
        return items

    @property
    def decoded(self) -> int:
        """How many items have been decoded so far (for benchmarks and tests of the laziness)."""
        return sum(1 for item in self._items if item is not None)


@_built_once
def _raw_decoder() -> Any:
    envelope = _record("RawList", {"kind": str, "apiVersion": str, "items": _list[msgspec.Raw]}, total=False)
    return msgspec.json.Decoder(envelope)


@_built_once
def _kind_decoder() -> Any:
    return msgspec.json.Decoder(_record("KindOnly", {"kind": Any}, total=False))


@_built_once
def _item_decoder(kind: str) -> Any:
    return msgspec.json.Decoder(_item_type(kind))


@_built_once
def _head_decoder(kind: str) -> Any:
    fields = {key: _type(_project(ALLOWED[kind][key], shape), f"{kind}Head_{key}")
              for key, shape in HEADS[kind].items()}
    fields.update(kind=str, apiVersion=str)
    return msgspec.json.Decoder(_record(f"{kind}Head", fields, total=False))


def _project(spec: Spec, shape: Any) -> Spec:
    """`spec` with only the keys `shape` names (True: the whole sub-spec)."""
    if shape is True:
        return spec
    if isinstance(spec, list):
        return [_project(spec[0], shape)]
    return {key: _project(spec[key], sub) for key, sub in shape.items()}


@_built_once
def _item_type(kind: str) -> Any:
    fields = {key: _type(sub, f"{kind}_{key}") for key, sub in ALLOWED[kind].items()}
    fields.update(kind=str, apiVersion=str)
    return _record(f"{kind}Slim", fields, total=False)


@_built_once
def _decoder(kind: str) -> Any:
    item = _item_type(kind)
    envelope = _record(f"{kind}ListSlim", {"kind": str, "apiVersion": str, "items": _list[item]}, total=False)
    return msgspec.json.Decoder(envelope)


def _type(spec: Spec, name: str) -> Any:
    """The msgspec type that accepts exactly the values `prune(value, spec)` keeps unchanged."""
    if spec is KEEP:
        return _Keep
    if spec is WHOLE:
        return Any
    if type(spec) is dict:
        return _record(name, {k: _type(v, f"{name}_{k}") for k, v in spec.items()}, total=False)
    if isinstance(spec, list):
        return _list[_type(spec[0], name)]
    if isinstance(spec, Map):
        value = _type(spec.value, f"{name}_v")
        if spec.keys is None:
            return _dict[str, value]
        return _record(name, dict.fromkeys(sorted(spec.keys), value), total=False)
    if isinstance(spec, Flags):
        return _list[Any]  # pruned after the decode, by the allow-list's own code
    raise TypeError(f"not an allow-list spec: {spec!r}")


__all__ = ["HEADS", "DeferredList", "SlimObject", "available", "decode_list", "decode_page", "defer_list"]

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

import re
from functools import cache
from typing import Any, TypedDict, Union

from k8snet_tui.sources.allowlist import ALLOWED, CONTAINER, KEEP, WHOLE, Flags, Map, Spec, prune
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


@cache
def _decoder(kind: str) -> Any:
    fields = {key: _type(sub, f"{kind}_{key}") for key, sub in ALLOWED[kind].items()}
    fields.update(kind=str, apiVersion=str)
    item = _record(f"{kind}Slim", fields, total=False)
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


__all__ = ["available", "decode_list"]

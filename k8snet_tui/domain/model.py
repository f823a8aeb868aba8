"""The two inputs every view is built from: what the API says, and what a node's kernel says.

Both are plain data. API objects stay the raw JSON dicts the API (or `kubectl get -o json`)
returned, so nothing is lost to a typed model and snapshots need no conversion. Node state
keeps the text and JSON that standard tools print; parsers in this package read them on demand.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol, TypeVar, TypeVarTuple, cast

Obj = dict[str, Any]
T = TypeVar("T")
Ts = TypeVarTuple("Ts")

_EMPTY: Mapping[str, Any] = MappingProxyType({})
ALL_KINDS = "*"  # what a build read when it walked every kind


class _Reads(threading.local):
    """Per thread: the kinds each running `memo` build has read so far (innermost last)."""

    frames: list[set[str]]

    def __init__(self) -> None:
        self.frames = []

    def note(self, kinds: Iterable[str]) -> None:
        for frame in self.frames:
            frame.update(kinds)


_READS = _Reads()


def namespace_read(kind: str, namespace: str) -> str:
    """What a build that read only `kind`'s objects in `namespace` is noted to have read."""
    return f"{kind}@{namespace}"


class KindMap(Mapping[str, tuple[Obj, ...]]):
    """A state's objects by kind that notes which kinds a `memo` build reads, so the store's
    next state can keep the results built from kinds that did not change (`inherit`)."""

    __slots__ = ("_by_kind", "_by_namespace")

    def __init__(self, by_kind: dict[str, tuple[Obj, ...]],
                 by_namespace: dict[str, dict[str, tuple[Obj, ...]]] | None = None) -> None:
        self._by_kind = by_kind
        # kind -> namespace -> its objects in list order (the live store's), when kept: a build
        # reading one namespace (kube-system's pods) then reads only it, and keeps its result
        # while pods change elsewhere (the read is noted as `namespace_read(kind, namespace)`).
        self._by_namespace = by_namespace or {}

    def in_namespace(self, kind: str, namespace: str) -> tuple[Obj, ...] | None:
        """`kind`'s objects in `namespace` in list order; None when they are not kept apart."""
        spaces = self._by_namespace.get(kind)
        if spaces is None:
            return None
        if _READS.frames:
            _READS.note((namespace_read(kind, namespace),))
        return spaces.get(namespace, ())

    def __getitem__(self, kind: str) -> tuple[Obj, ...]:
        if _READS.frames:
            _READS.note((kind,))
        return self._by_kind[kind]

    def get(self, kind: str, default: Any = None) -> Any:
        if _READS.frames:
            _READS.note((kind,))
        return self._by_kind.get(kind, default)

    def __contains__(self, kind: object) -> bool:
        if _READS.frames and isinstance(kind, str):
            _READS.note((kind,))
        return kind in self._by_kind

    def __iter__(self) -> Iterator[str]:
        if _READS.frames:
            _READS.note((ALL_KINDS,))
        return iter(self._by_kind)

    def __len__(self) -> int:
        if _READS.frames:
            _READS.note((ALL_KINDS,))
        return len(self._by_kind)


class DeferredItems(Protocol):
    """One kind's list not decoded yet (a big snapshot's pods): its items read one by one.

    `heads()` are small dicts, one per item in list order, holding only the few fields the
    indexes key on (each exactly as in the whole item); `item(i)` decodes one item (kept);
    `all()` decodes every item, which is what reading the kind at large gives."""

    def __len__(self) -> int: ...
    def heads(self) -> Sequence[Obj]: ...
    def item(self, index: int) -> Obj: ...
    def all(self) -> tuple[Obj, ...]: ...


class LazyKinds(Mapping[str, tuple[Obj, ...]]):
    """A state's objects by kind where some kinds are decoded on first read (a snapshot's)."""

    __slots__ = ("_deferred", "_kinds", "_lock")

    def __init__(self, kinds: dict[str, tuple[Obj, ...] | DeferredItems]) -> None:
        self._kinds = dict(kinds)  # kind -> its tuple, or its deferred items until first read
        self._deferred = {k: v for k, v in kinds.items() if not isinstance(v, tuple)}
        self._lock = threading.Lock()

    def __getitem__(self, kind: str) -> tuple[Obj, ...]:
        if _READS.frames:
            _READS.note((kind,))
        value = self._kinds[kind]
        if isinstance(value, tuple):
            return value
        with self._lock:
            value = self._kinds[kind]
            if not isinstance(value, tuple):
                value = self._kinds[kind] = value.all()
        return value

    def get(self, kind: str, default: Any = None) -> Any:
        return self[kind] if kind in self._kinds else default

    def __contains__(self, kind: object) -> bool:
        if _READS.frames and isinstance(kind, str):
            _READS.note((kind,))
        return kind in self._kinds

    def __iter__(self) -> Iterator[str]:
        if _READS.frames:
            _READS.note((ALL_KINDS,))
        return iter(self._kinds)

    def __len__(self) -> int:
        if _READS.frames:
            _READS.note((ALL_KINDS,))
        return len(self._kinds)

    def deferred(self, kind: str) -> DeferredItems | None:
        """The kind's items to read one by one (None: it was never deferred)."""
        if _READS.frames:
            _READS.note((kind,))
        return self._deferred.get(kind)

    def any_objects(self) -> bool:
        """Whether any kind has an object, without decoding a deferred one."""
        return any(len(v) for v in self._kinds.values())


def dig(obj: Any, *path: str | int, default: Any = None) -> Any:
    """Walk nested dicts/lists by keys and indexes; any missing or wrongly typed step gives `default`.

    API objects from snapshots or hostile clusters may lack fields or carry the wrong type;
    every reader goes through this so a malformed object degrades to "unknown", not a crash.
    """
    cur = obj
    for step in path:
        if isinstance(step, int):
            if not isinstance(cur, list) or not -len(cur) <= step < len(cur):
                return default
            cur = cur[step]
        else:
            if not isinstance(cur, dict) or step not in cur:
                return default
            cur = cur[step]
    return default if cur is None else cur


def dig_list(obj: Any, *path: str | int) -> list[Any]:
    """Like `dig`, but always a list (a scalar or dict in a list's place counts as absent)."""
    value = dig(obj, *path)
    return value if isinstance(value, list) else []


def dig_dict(obj: Any, *path: str | int) -> dict[str, Any]:
    value = dig(obj, *path)
    return value if isinstance(value, dict) else {}


def dig_str(obj: Any, *path: str | int, default: str = "") -> str:
    value = dig(obj, *path)
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return default


def name_of(obj: Obj) -> str:
    return dig_str(obj, "metadata", "name")


def namespace_of(obj: Obj) -> str:
    return dig_str(obj, "metadata", "namespace")


def key_of(obj: Obj) -> str:
    """`ns/name` for namespaced objects, `name` for cluster-scoped ones."""
    ns = namespace_of(obj)
    return f"{ns}/{name_of(obj)}" if ns else name_of(obj)


@dataclass(frozen=True)
class ClusterState:
    """Every API object the explorer knows, by kind (`Service`, `EndpointSlice`, `Pod`, ...).

    `forbidden` maps a kind to the reason it could not be read (RBAC), so panes that need it can
    say so instead of showing an empty list. `stale_since` is set while the API is unreachable.
    """

    objects: Mapping[str, tuple[Obj, ...]] = field(default_factory=lambda: _EMPTY)
    forbidden: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    stale_since: float | None = None
    namespace: str | None = None  # None: all namespaces

    @classmethod
    def from_objects(cls, items: Iterable[Obj], **kw: Any) -> ClusterState:
        by_kind: dict[str, list[Obj]] = {}
        for obj in items:
            kind = obj.get("kind") if isinstance(obj, dict) else None
            if isinstance(kind, str) and kind:
                by_kind.setdefault(kind, []).append(obj)
        return cls(objects=MappingProxyType({k: tuple(v) for k, v in by_kind.items()}), **kw)

    def of(self, kind: str) -> tuple[Obj, ...]:
        return self.objects.get(kind, ())

    def deferred(self, kind: str) -> DeferredItems | None:
        """`kind`'s items to read one by one when this state's loader deferred them (a big
        snapshot's pods and slices), else None: an index keyed on a few fields reads the
        `heads()` and decodes only the items it is asked for."""
        objects = self.objects
        return objects.deferred(kind) if isinstance(objects, LazyKinds) else None

    def has_objects(self) -> bool:
        objects = self.objects
        return objects.any_objects() if isinstance(objects, LazyKinds) else any(objects.values())

    def memo(self, build: Callable[[ClusterState, *Ts], T], *args: *Ts) -> T:
        """`build(self, *args)`, computed once per ClusterState and kept with it.

        A state never changes after it is made (the store makes a new one for every change), so
        anything derived from it only (indexes, a DNS model) can be built lazily on first use
        and reused by every later view and trace of the same state; a new state starts empty.
        Results are shared: callers must not mutate them. Two threads racing may both build;
        the first result stored wins, so every caller sees the same object.
        """
        cache: dict[tuple[Any, ...], Any] | None = self.__dict__.get("_memo")
        if cache is None:
            cache = self.__dict__.setdefault("_memo", {})  # frozen: bypass __setattr__
        key = (build, *args)
        reads: dict[tuple[Any, ...], frozenset[str]] = self.__dict__.setdefault("_memo_reads", {})
        try:
            value = cache[key]  # stored below from this very `build`
        except KeyError:
            pass
        else:
            if _READS.frames:  # an outer build read what this result was built from
                _READS.note(reads.get(key, (ALL_KINDS,)))
            return cast(T, value)
        frame: set[str] = set()
        _READS.frames.append(frame)
        try:
            with gc_paused():  # indexes are many small acyclic objects: see gc_paused
                value = build(self, *args)
        finally:
            _READS.frames.pop()
            _READS.note(frame)
        kept = cache.setdefault(key, value)
        if kept is value:
            reads[key] = frozenset(frame)
        return cast(T, kept)

    def inherit(self, previous: ClusterState, changed: Iterable[str]) -> None:
        """Keep `previous`'s memoised results that read none of the `changed` kinds.

        Only for a state whose other kinds are the very same tuples as `previous`'s (the store
        makes it so), with the same namespace, forbidden kinds and staleness: at 1,000 pod
        updates a second, the Services and policy indexes then survive every tick."""
        if (previous.namespace, previous.stale_since, dict(previous.forbidden)) != (
                self.namespace, self.stale_since, dict(self.forbidden)):
            return
        old_reads: dict[tuple[Any, ...], frozenset[str]] = previous.__dict__.get("_memo_reads", {})
        old_cache: dict[tuple[Any, ...], Any] = previous.__dict__.get("_memo", {})
        gone = set(changed) | {ALL_KINDS}
        cache: dict[tuple[Any, ...], Any] = self.__dict__.setdefault("_memo", {})
        reads: dict[tuple[Any, ...], frozenset[str]] = self.__dict__.setdefault("_memo_reads", {})
        for key, kinds in list(old_reads.items()):
            if key in old_cache and not (kinds & gone) and key not in cache:
                cache[key] = old_cache[key]
                reads[key] = kinds

    def in_namespace(self, kind: str, namespace: str | None = None) -> tuple[Obj, ...]:
        ns = self.namespace if namespace is None else namespace
        if not ns:
            return self.of(kind)
        objects = self.objects
        if isinstance(objects, KindMap):
            kept = objects.in_namespace(kind, ns)  # the live store's own tuple for it
            if kept is not None:
                return kept
        elif self.deferred(kind) is not None:  # a big snapshot's pods: only this namespace's decoded
            return self.memo(_deferred_in_namespace, kind, ns)
        return self.memo(_by_namespace, kind).get(ns, ())

    def get(self, kind: str, namespace: str, name: str) -> Obj | None:
        if not isinstance(namespace, str) or not isinstance(name, str):
            return None
        return self.memo(_by_key, kind).get((namespace, name))

    def configmap(self, namespace: str, name: str) -> dict[str, str]:
        """The `data` of a ConfigMap, or {} when absent (string values only)."""
        cm = self.get("ConfigMap", namespace, name)
        data = dig_dict(cm, "data")
        return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic collector while building many small acyclic objects (indexes, rows).

    Every few hundred allocations the collector runs, and on a big cluster its older generations
    hold millions of API dicts, so building a 100k-entry index spends more time in collections
    than in the build. Nothing built here forms reference cycles, so postponing loses nothing.
    Nested or concurrent use is safe: only the outermost pause that found it enabled re-enables.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _by_key(cluster: ClusterState, kind: str) -> dict[tuple[str, str], Obj]:
    """(namespace, name) -> object; the first of duplicates wins, as a scan would find it."""
    out: dict[tuple[str, str], Obj] = {}
    for obj in cluster.of(kind):
        out.setdefault((namespace_of(obj), name_of(obj)), obj)
    return out


def _deferred_in_namespace(cluster: ClusterState, kind: str, namespace: str) -> tuple[Obj, ...]:
    """`kind`'s items in `namespace`, found by their heads (which hold the namespace exactly as
    the item does), in list order: the same objects reading the whole kind gives."""
    deferred = cluster.deferred(kind)
    if deferred is None:
        return _by_namespace(cluster, kind).get(namespace, ())
    return tuple(deferred.item(i) for i, head in enumerate(deferred.heads()) if namespace_of(head) == namespace)


def _by_namespace(cluster: ClusterState, kind: str) -> dict[str, tuple[Obj, ...]]:
    """namespace -> objects in it, in list order."""
    out: dict[str, list[Obj]] = {}
    for obj in cluster.of(kind):
        out.setdefault(namespace_of(obj), []).append(obj)
    return {ns: tuple(objs) for ns, objs in out.items()}


@dataclass(frozen=True)
class NodeState:
    """What one node's kernel and files said, as the standard tools print it.

    Every field is optional: a snapshot may carry only some files, and a probe may fail to read
    some parts. `errors` holds what went wrong, in words, for the panes to show.
    """

    node: str = ""
    links: tuple[Obj, ...] = ()  # `ip -j link` shape
    addresses: tuple[Obj, ...] = ()  # `ip -j addr` shape (links with addr_info)
    routes: tuple[Obj, ...] = ()  # `ip -j route show table all` shape
    rules: tuple[Obj, ...] = ()  # `ip -j rule` shape
    neighbours: tuple[Obj, ...] = ()  # `ip -j neigh` shape
    iptables: Mapping[str, str] = field(default_factory=lambda: _EMPTY)  # backend -> iptables-save -c text
    ip6tables: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    nft_ruleset: Mapping[str, Any] | None = None  # `nft -j list ruleset`
    ipvsadm: str | None = None  # `ipvsadm -Ln` text
    cilium_services: tuple[Obj, ...] | None = None  # `cilium-dbg service list -o json`
    conntrack: tuple[Obj, ...] = ()  # {"proto","orig_src","orig_dst","orig_dport","reply_src","reply_sport",...}
    # each pod network namespace's reading: {"path","inode","addresses","iptables","nft_ruleset",...} (probe/podnetns.py)
    pod_netns: tuple[Obj, ...] = ()
    resolv_conf: str | None = None
    hostname: str = ""
    source: str = ""  # "probe", "snapshot:<path>", ...
    captured_at: float | None = None
    errors: tuple[str, ...] = ()

    @property
    def has_kernel_state(self) -> bool:
        return bool(self.links or self.addresses or self.routes or self.iptables or self.nft_ruleset)


@dataclass(frozen=True)
class Observed:
    """Everything one view is built from: the API picture, the nodes' kernels, the cloud facts.

    `local_node` names the node the explorer runs on (or the snapshot was captured on); node
    panes show that one unless the user picks another.
    """

    cluster: ClusterState = field(default_factory=ClusterState)
    nodes: Mapping[str, NodeState] = field(default_factory=lambda: _EMPTY)
    local_node: str = ""
    cloud: Mapping[str, Any] | None = None
    mode: str = "snapshot"  # "live" or "snapshot"
    # The node states of the poll before this one (live mode), for per-rule packet deltas.
    previous: Mapping[str, NodeState] = field(default_factory=lambda: _EMPTY)

    @property
    def local(self) -> NodeState:
        node = self.nodes.get(self.local_node)
        if node is not None:
            return node
        return NodeState(node=self.local_node, errors=("no node state was read for this node",))

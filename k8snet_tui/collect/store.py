"""The up-to-date picture of the cluster that watchers write and the UI reads.

Writers (one thread per kind) apply list results and watch events under a lock; readers get an
immutable `ClusterState`, rebuilt only when something changed since the last one. Objects are
keyed by uid (falling back to namespace/name), so a re-list replaces a kind exactly: nothing
lost, duplicated or left behind as a ghost.

A kind read object by object (the networking ConfigMaps: one watcher per name) is kept in
`part`s: a part's re-list replaces that part's objects only, and a part can be forbidden or stale
on its own; readers see the kind as one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from types import MappingProxyType
from typing import Any

from k8snet_tui.collect.namespaces import NamespacedObjects
from k8snet_tui.domain.model import ClusterState, KindMap, Obj, dig_str
from k8snet_tui.sources.allowlist import slim
from k8snet_tui.sources.snapshot_decode import SlimObject

KEPT_STATES = 4  # states whose memoised results a new state may still take (see Store._recent)


def _kept(obj: Obj) -> Obj:
    """What the store keeps of an object: the fields the panes read (the capture allow-list,
    strings interned), so a big cluster's objects take about half the memory. A kind the list
    does not keep (no entry, or a ConfigMap it does not name) is kept whole, as before."""
    if obj.__class__ is SlimObject:  # a live list page decoded in the store's shape already
        return obj
    small = slim(obj)
    return obj if small is None else small


def object_key(obj: Obj) -> str:
    uid = dig_str(obj, "metadata", "uid")
    if uid:
        return uid
    return f"{dig_str(obj, 'metadata', 'namespace')}/{dig_str(obj, 'metadata', 'name')}"


class Store:
    def __init__(self, namespace: str | None = None) -> None:
        self._lock = threading.Lock()
        self._by_kind: dict[str, dict[str, Obj]] = {}
        self._part_keys: dict[tuple[str, str], set[str]] = {}  # (kind, part) -> object keys
        # Keyed by (kind, part); part "" is the kind as a whole.
        self._forbidden: dict[tuple[str, str], str] = {}
        self._stale: dict[tuple[str, str], float] = {}
        self._version = 0
        self._cached: tuple[int, ClusterState] | None = None
        # Coalescing: the kinds changed since the last snapshot, and each kind's tuple as that
        # snapshot had it, so a kind nobody wrote keeps its tuple and the indexes built on it.
        self._changed: set[str] = set()
        self._tuples: dict[str, tuple[Obj, ...]] = {}
        # The last few states handed out, newest first, each with the kinds changed since: a
        # build that finishes on an older state (a 10k-row table takes a second, and under a
        # watch every key press and tick makes a new state) still reaches the next state.
        self._recent: list[tuple[ClusterState, set[str]]] = []
        self._namespaces = NamespacedObjects()  # each kind's objects by namespace, for the states
        self.namespace = namespace
        # Bumped when the API server answers again after an outage: watchers sleeping out a long
        # backoff wake up and resync at once instead of up to a minute later.
        self.recoveries = 0
        # Told (from the writer's thread, outside the lock) when a kind's first list lands, so
        # a reader need not poll for it: the app's first rows wait for no tick.
        self._listed: set[tuple[str, str]] = set()
        self._on_listed: list[Callable[[str], None]] = []

    def on_listed(self, callback: Callable[[str], None]) -> None:
        """Call `callback(kind)` whenever a kind (or one part of it) is listed for the first time."""
        with self._lock:
            self._on_listed.append(callback)

    @property
    def version(self) -> int:
        return self._version

    def replace_kind(self, kind: str, items: Iterable[Obj], part: str = "") -> None:
        fresh = {object_key(o): _kept(o) for o in items}
        with self._lock:
            if part:
                bucket = self._by_kind.setdefault(kind, {})
                for key in self._part_keys.get((kind, part), ()):
                    bucket.pop(key, None)
                bucket.update(fresh)
                self._part_keys[(kind, part)] = set(fresh)
            else:
                self._by_kind[kind] = fresh
            self._namespaces.replaced(kind)
            self._changed.add(kind)
            self._forbidden.pop((kind, part), None)
            self._stale.pop((kind, part), None)
            self._version += 1
            first = (kind, part) not in self._listed
            if first:
                self._listed.add((kind, part))
            listeners = tuple(self._on_listed) if first else ()
        for callback in listeners:
            callback(kind)

    def apply(self, kind: str, event_type: str, obj: Obj, part: str = "") -> None:
        self.apply_many(kind, [(event_type, obj)], part)

    def apply_many(self, kind: str, events: Iterable[tuple[str, Obj]], part: str = "") -> None:
        with self._lock:
            bucket = self._by_kind.setdefault(kind, {})
            keys = self._part_keys.setdefault((kind, part), set()) if part else None
            for event_type, obj in events:
                key = object_key(obj)
                old = bucket.get(key)
                if event_type == "DELETED":
                    new = None
                    bucket.pop(key, None)
                    if keys is not None:
                        keys.discard(key)
                else:
                    new = bucket[key] = _kept(obj)
                    if keys is not None:
                        keys.add(key)
                self._namespaces.applied(kind, key, old, new)
            self._changed.add(kind)
            self._version += 1

    def mark_forbidden(self, kind: str, reason: str, part: str = "") -> None:
        with self._lock:
            if self._forbidden.get((kind, part)) != reason:
                self._forbidden[(kind, part)] = reason
                self._version += 1

    def mark_stale(self, kind: str, since: float | None = None, part: str = "") -> None:
        with self._lock:
            if (kind, part) not in self._stale:
                self._stale[(kind, part)] = since if since is not None else time.time()
                self._version += 1

    def mark_fresh(self, kind: str, part: str = "") -> None:
        """A part's watch being accepted also clears a mark made on its kind as a whole
        (the app marks a watcher's kind stale when its credentials fail)."""
        with self._lock:
            cleared = self._stale.pop((kind, part), None) is not None
            if part:
                cleared = self._stale.pop((kind, ""), None) is not None or cleared
            if cleared:
                self._version += 1

    def note_recovery(self) -> None:
        with self._lock:
            self.recoveries += 1

    def set_namespace(self, namespace: str | None) -> None:
        """Narrow what snapshots show (panes filter by it); the objects kept are unchanged."""
        with self._lock:
            self.namespace = namespace
            self._version += 1

    def stale_kinds(self) -> list[str]:
        with self._lock:
            return list(dict.fromkeys(kind for kind, _part in self._stale))

    def count(self, kind: str) -> int:
        with self._lock:
            return len(self._by_kind.get(kind, {}))

    def snapshot(self) -> ClusterState:
        with self._lock:
            if self._cached and self._cached[0] == self._version:
                return self._cached[1]
            # Many updates between two reads make one new state (the UI reads once a tick).
            # (The last state's dict is its own: read from it, never change it.)
            kept = self._tuples
            tuples = {k: kept[k] if k in kept and k not in self._changed else tuple(v.values())
                      for k, v in self._by_kind.items()}
            self._tuples = tuples
            spaces, spoiled = self._namespaces.snapshot(self._by_kind, self._changed)
            state = ClusterState(
                objects=KindMap(tuples, spaces),
                forbidden=MappingProxyType(self._forbidden_by_kind()),
                stale_since=min(self._stale.values()) if self._stale else None,
                namespace=self.namespace,
            )
            changed = self._changed | spoiled  # a build that read one namespace: spoiled by its changes only
            recent = [(old, since | changed) for old, since in self._recent]
            for old, since in recent:  # newest first: a result kept from a newer state wins
                state.inherit(old, since)
            self._recent = [(state, set()), *recent[:KEPT_STATES - 1]]
            self._changed = set()
            self._cached = (self._version, state)
            return state

    def _forbidden_by_kind(self) -> dict[str, str]:
        reasons: dict[str, list[str]] = {}
        for (kind, _part), reason in sorted(self._forbidden.items()):
            if reason not in reasons.setdefault(kind, []):
                reasons[kind].append(reason)
        return {kind: "; ".join(texts) for kind, texts in reasons.items()}

    def dump(self) -> dict[str, Any]:
        """Every object by kind, for tests that compare the store with the API object by object."""
        with self._lock:
            return {k: dict(v) for k, v in self._by_kind.items()}

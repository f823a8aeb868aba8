"""Each kind's objects by namespace, kept beside the store's buckets and handed to each state.

A reader of one namespace (the Service CIDR search and the pod CIDR reader read kube-system's
pods only) would otherwise walk every pod of every state to find the few it wants, and its
memoised result would go with every pod update anywhere. With these tuples it reads only its
namespace's, and the store's next state keeps the result while that namespace is unchanged: the
store adds `namespace_read(kind, ns)` for every namespace changed to the kinds it says changed.

Order: a namespace's tuple lists its objects in the order the kind's whole tuple does (the two
dicts see the same inserts and removals of that namespace's keys).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from k8snet_tui.domain.model import Obj, namespace_of, namespace_read

NamespaceTuples = dict[str, dict[str, tuple[Obj, ...]]]  # kind -> namespace -> objects


class NamespacedObjects:
    """Not locked: the store calls it under its own lock."""

    def __init__(self) -> None:
        self._spaces: dict[str, dict[str, dict[str, Obj]]] = {}  # kind -> namespace -> key -> object
        self._regroup: set[str] = set()  # kinds replaced as a whole: grouped again from their bucket
        self._touched: dict[str, set[str]] = {}  # kind -> namespaces changed since the last state
        self._tuples: NamespaceTuples = {}  # as the last state had them

    def replaced(self, kind: str) -> None:
        self._regroup.add(kind)

    def applied(self, kind: str, key: str, old: Obj | None, new: Obj | None) -> None:
        """One object written (`new`) or deleted (`new` None); `old` is what the bucket held."""
        spaces = self._spaces.get(kind)
        if spaces is None or kind in self._regroup:
            self._regroup.add(kind)
            return
        old_ns = namespace_of(old) if old is not None else None
        new_ns = namespace_of(new) if new is not None else None
        if old_ns is not None and new_ns is not None and old_ns != new_ns:
            # The bucket keeps the key's place; moved here it would go last. A uid never changes
            # namespace in a real cluster, so this rare case just groups the kind again.
            self._regroup.add(kind)
            return
        touched = self._touched.setdefault(kind, set())
        if new is not None and new_ns is not None:
            touched.add(new_ns)
            spaces.setdefault(new_ns, {})[key] = new  # an update in place keeps its place, as in the bucket
        elif old is not None and old_ns is not None:
            touched.add(old_ns)
            spaces.get(old_ns, {}).pop(key, None)

    def snapshot(self, buckets: Mapping[str, dict[str, Obj]],
                 changed: Iterable[str]) -> tuple[NamespaceTuples, set[str]]:
        """The next state's tuples by namespace, and the namespace reads its changes spoil."""
        changed = set(changed)
        out: NamespaceTuples = {}
        spoiled: set[str] = set()
        for kind, bucket in buckets.items():
            old = self._tuples.get(kind)
            if kind not in changed and old is not None:
                out[kind] = old
                continue
            touched: set[str] | None
            spaces = self._spaces.get(kind)
            if spaces is None or kind in self._regroup:
                spaces = self._spaces[kind] = {}
                for key, obj in bucket.items():
                    spaces.setdefault(namespace_of(obj), {})[key] = obj
                touched = None  # every namespace
            else:
                touched = self._touched.get(kind, set())
            fresh: dict[str, tuple[Obj, ...]] = {}
            for ns, objs in list(spaces.items()):
                if not objs:
                    del spaces[ns]
                elif touched is not None and old is not None and ns not in touched and ns in old:
                    fresh[ns] = old[ns]
                else:
                    fresh[ns] = tuple(objs.values())
            out[kind] = fresh
            names = (set(fresh) | set(old or ())) if touched is None else touched
            spoiled.update(namespace_read(kind, ns) for ns in names)
        self._tuples = out
        self._regroup.clear()
        self._touched.clear()
        return out, spoiled

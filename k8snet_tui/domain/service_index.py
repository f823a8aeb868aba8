"""One index per cluster state: Service -> EndpointSlices -> endpoints -> pods.

Every reader of "what is behind this Service" (the Services counts, DNS answers, ingress
backends, the datapath trace) asks `service_index(cluster)` instead of walking the
slices itself, so the join and the readiness rules are written once:

- a slice belongs to the Service named by its `kubernetes.io/service-name` label, in the
  slice's own namespace; a slice without the label belongs to nobody;
- `ready` unset means unknown, which the API tells consumers to read as ready;
- `serving` unset means "same as ready" (older controllers never set it);
- `terminating` unset means not terminating.

kube-proxy sends new connections to ready endpoints, and only when a Service has none it falls
back to endpoints that are serving and terminating (`routable_endpoints` applies that rule).

The index is built lazily, once per `ClusterState` (states never change: the store makes a new
one for every change), and shared: callers read it and never mutate what it returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .model import (
    ClusterState,
    DeferredItems,
    Obj,
    dig,
    dig_dict,
    dig_list,
    dig_str,
    name_of,
    namespace_of,
)

SERVICE_NAME_LABEL = "kubernetes.io/service-name"


@dataclass(frozen=True, slots=True)
class Conditions:
    """An endpoint's conditions, with the API's defaults for unset ones applied."""

    ready: bool
    serving: bool
    terminating: bool


def endpoint_conditions(endpoint: object) -> Conditions:
    """The one reading of an EndpointSlice endpoint's `conditions` (see the module docstring)."""
    cond = dig_dict(endpoint, "conditions")
    raw_ready, raw_serving, raw_term = cond.get("ready"), cond.get("serving"), cond.get("terminating")
    ready = raw_ready if isinstance(raw_ready, bool) else True
    serving = raw_serving if isinstance(raw_serving, bool) else ready
    terminating = raw_term if isinstance(raw_term, bool) else False
    return Conditions(ready, serving, terminating)


@dataclass(frozen=True, slots=True)
class SlicePort:
    name: str
    port: int | None  # None when the slice left it out or wrote something else
    protocol: str  # as written; "" when unset (TCP by the API's default)

    @property
    def protocol_or_tcp(self) -> str:
        return (self.protocol or "TCP").upper()


@dataclass(frozen=True, slots=True)
class SliceEndpoint:
    addresses: tuple[str, ...]
    conditions: Conditions
    hostname: str
    node: str  # nodeName, "" when unset
    zone: str
    target_kind: str  # targetRef kind ("Pod" mostly), "" when none
    target_name: str  # targetRef name, "" when none
    pod: str  # "ns/name" when the targetRef is a Pod, else ""
    zone_hints: tuple[str, ...] = ()  # hints.forZones[].name (topology-aware routing)
    node_hints: tuple[str, ...] = ()  # hints.forNodes[].name (PreferSameNode)

    @property
    def ready(self) -> bool:
        return self.conditions.ready


@dataclass(frozen=True, slots=True)
class IndexedSlice:
    namespace: str
    name: str
    service: str  # the label's value
    address_type: str  # IPv4, IPv6, FQDN ("" when unset)
    ports: tuple[SlicePort, ...]
    endpoints: tuple[SliceEndpoint, ...]
    obj: Obj  # the raw object, for readers that need a field the index does not model


@dataclass(frozen=True, slots=True)
class EndpointCount:
    ready: int  # distinct addresses of ready endpoints
    total: int  # distinct addresses


class ServiceIndex:
    """Services and their slices of one cluster state, keyed by (namespace, name) as written.

    Slices are grouped by their label when the index is made (one label read per slice); a
    group's endpoints are read on first use and kept. So a one-shot trace of one Service reads
    that Service's slices only (at L the full read is ~100k endpoints, ~0.85 s), while the
    Services pane, which counts every Service, reads them all once, as before.
    """

    __slots__ = ("_counts", "_indexed", "_items", "_positions", "_raw", "services")

    def __init__(self, services: dict[tuple[str, str], Obj], raw: dict[tuple[str, str], list[Obj]],
                 positions: dict[tuple[str, str], list[int]] | None = None,
                 items: DeferredItems | None = None) -> None:
        self.services = services
        # With deferred slices (a big snapshot's), a group holds their positions until first read.
        self._positions = positions or {}
        self._items = items
        self._raw = raw
        self._indexed: dict[tuple[str, str], tuple[IndexedSlice, ...]] = {}
        self._counts: dict[tuple[str, str], EndpointCount] = {}

    def _objects(self, key: tuple[str, str]) -> list[Obj]:
        found = self._raw.get(key)
        if found is None and key in self._positions:
            assert self._items is not None
            found = self._raw.setdefault(key, [self._items.item(i) for i in self._positions[key]])
        return found or []

    def _keys(self) -> Iterable[tuple[str, str]]:
        return self._positions if self._items is not None else self._raw

    @property
    def slices_by_service(self) -> dict[tuple[str, str], tuple[IndexedSlice, ...]]:
        """Every labelled slice, indexed, by Service (in the order the slices were listed)."""
        return {key: self._group(key) for key in self._keys()}

    def service(self, namespace: str, name: str) -> Obj | None:
        return self.services.get((namespace, name))

    def labelled(self) -> Mapping[tuple[str, str], list[Obj]]:
        """The slice objects by (namespace, service label), as listed and not yet read (callers must not mutate)."""
        if self._items is not None:
            return {key: self._objects(key) for key in self._positions}
        return self._raw

    def slices(self, namespace: str, name: str) -> tuple[IndexedSlice, ...]:
        """The slices labelled for `namespace/name`, in list order."""
        key = (namespace, name)
        return self._group(key) if key in self._raw or key in self._positions else ()

    def _group(self, key: tuple[str, str]) -> tuple[IndexedSlice, ...]:
        group = self._indexed.get(key)
        if group is None:  # two threads may both build it: equal values, the first one kept
            group = self._indexed.setdefault(key, tuple(index_slice(obj) for obj in self._objects(key)))
        return group

    def all_slices(self) -> tuple[IndexedSlice, ...]:
        return tuple(s for key in self._keys() for s in self._group(key))

    def endpoints(self, namespace: str, name: str) -> tuple[SliceEndpoint, ...]:
        return tuple(ep for s in self.slices(namespace, name) for ep in s.endpoints)

    def count(self, namespace: str, name: str) -> EndpointCount:
        key = (namespace, name)
        found = self._counts.get(key)
        if found is not None:
            return found
        ready: set[str] = set()
        total: set[str] = set()
        group = self._indexed.get(key)
        if group is not None:
            for ep in (ep for s in group for ep in s.endpoints):
                total.update(ep.addresses)
                if ep.ready:
                    ready.update(ep.addresses)
        else:  # counted off the objects: the Services pane counts every Service and reads no more
            for obj in self._objects(key):
                # dig_list(obj, "endpoints"), dig_list(ep, "addresses") and endpoint_conditions(ep)
                # .ready, inline: ~100k endpoints at scale L
                eps = obj.get("endpoints") if isinstance(obj, dict) else None
                for ep in eps if isinstance(eps, list) else ():
                    if not isinstance(ep, dict):
                        continue
                    found = ep.get("addresses")
                    addresses = [a for a in found if isinstance(a, str) and a] if isinstance(found, list) else []
                    total.update(addresses)
                    cond = ep.get("conditions")
                    flag = cond.get("ready") if isinstance(cond, dict) else None
                    if flag is not False:  # unset (or not a bool) reads as ready
                        ready.update(addresses)
        return self._counts.setdefault(key, EndpointCount(len(ready), len(total)))

    def port_endpoints(self, namespace: str, name: str, port_name: str,
                       protocol: str | None = None) -> tuple[tuple[int | None, SliceEndpoint], ...]:
        """(slice port number, endpoint) for the slice ports named `port_name` (and `protocol`).

        A slice that lists no matching port contributes nothing; a matching port without a
        number gives None (the caller decides what an unnumbered port means).
        """
        out: list[tuple[int | None, SliceEndpoint]] = []
        for s in self.slices(namespace, name):
            numbers = [p.port for p in s.ports if p.name == port_name
                       and (protocol is None or p.protocol_or_tcp == protocol.upper())]
            for number in numbers:
                out.extend((number, ep) for ep in s.endpoints)
        return tuple(out)

    def ready_pods(self, namespace: str, name: str) -> tuple[str, ...]:
        """"ns/name" of the pods behind ready endpoints, first seen first, no repeats."""
        return tuple(dict.fromkeys(ep.pod for ep in self.endpoints(namespace, name) if ep.ready and ep.pod))


def routable_endpoints(endpoints: tuple[SliceEndpoint, ...]) -> tuple[SliceEndpoint, ...]:
    """The endpoints kube-proxy sends new connections to: the ready ones, else serving+terminating."""
    ready = tuple(ep for ep in endpoints if ep.conditions.ready)
    if ready:
        return ready
    return tuple(ep for ep in endpoints if ep.conditions.serving and ep.conditions.terminating)


def service_index(cluster: ClusterState) -> ServiceIndex:
    """The index of `cluster`, built on first use and kept with the state."""
    return cluster.memo(_build)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _endpoint(ep: object, slice_namespace: str) -> SliceEndpoint | None:
    if not isinstance(ep, dict):
        return None
    ref = dig_dict(ep, "targetRef")
    kind, target = dig_str(ref, "kind"), dig_str(ref, "name")
    pod = f"{dig_str(ref, 'namespace') or slice_namespace}/{target}" if kind == "Pod" and target else ""
    addresses = tuple(a for a in dig_list(ep, "addresses") if isinstance(a, str) and a)
    return SliceEndpoint(addresses, endpoint_conditions(ep), dig_str(ep, "hostname"), dig_str(ep, "nodeName"),
                         dig_str(ep, "zone"), kind, target, pod, _hint_names(ep, "forZones"),
                         _hint_names(ep, "forNodes"))


def _hint_names(ep: Obj, key: str) -> tuple[str, ...]:
    return tuple(dig_str(h, "name") for h in dig_list(ep, "hints", key) if dig_str(h, "name"))


def index_slice(obj: Obj) -> IndexedSlice:
    """One EndpointSlice as the index reads it (for a slice that is not in a cluster state)."""
    ns = namespace_of(obj)
    ports = tuple(SlicePort(dig_str(p, "name"), _int(dig(p, "port")), dig_str(p, "protocol"))
                  for p in dig_list(obj, "ports") if isinstance(p, dict))
    endpoints = tuple(e for e in (_endpoint(ep, ns) for ep in dig_list(obj, "endpoints")) if e is not None)
    return IndexedSlice(ns, name_of(obj), dig_str(obj, "metadata", "labels", SERVICE_NAME_LABEL),
                        dig_str(obj, "addressType"), ports, endpoints, obj)


def _build(cluster: ClusterState) -> ServiceIndex:
    services: dict[tuple[str, str], Obj] = {}
    for svc in cluster.of("Service"):
        services.setdefault((namespace_of(svc), name_of(svc)), svc)
    deferred = cluster.deferred("EndpointSlice")
    if deferred is not None:  # grouped by the slices' heads; a group's slices decoded when read
        positions: dict[tuple[str, str], list[int]] = {}
        for i, head in enumerate(deferred.heads()):
            service = dig_str(head, "metadata", "labels", SERVICE_NAME_LABEL)
            if service:
                positions.setdefault((namespace_of(head), service), []).append(i)
        return ServiceIndex(services, {}, positions, deferred)
    grouped: dict[tuple[str, str], list[Obj]] = {}
    for obj in cluster.of("EndpointSlice"):
        if not isinstance(obj, dict):
            continue
        service = dig_str(obj, "metadata", "labels", SERVICE_NAME_LABEL)  # as index_slice reads it
        if service:
            grouped.setdefault((namespace_of(obj), service), []).append(obj)
    return ServiceIndex(services, grouped)

"""The slice of API state CoreDNS's kubernetes plugin serves from, in the shape it uses.

Services keep every ClusterIP and port (a port-less service gets CoreDNS's port -1 sentinel);
EndpointSlices come from the shared Service index (`domain/service_index.py`, which owns the
label join and the readiness defaults) and keep only ready endpoints; a Service's slices are read
on the first query that needs them (a lookup of one name does not read the ~100k endpoints of a
big cluster). Malformed objects are skipped and counted.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..model import (
    ClusterState,
    dig,
    dig_list,
    dig_str,
    name_of,
    namespace_of,
)
from ..service_index import IndexedSlice, ServiceIndex, service_index
from .names import ip_family


@dataclass(frozen=True)
class Port:
    name: str
    port: int
    protocol: str


NO_PORTS = (Port("", -1, ""),)


@dataclass(frozen=True)
class Address:
    ip: str
    hostname: str = ""
    target: str = ""  # targetRef name, kept only when it fits a label (< 64)

    def label(self, endpoint_pod_names: bool) -> str:
        """The name CoreDNS gives this endpoint: hostname, else pod name (endpoint_pod_names), else dashed IP."""
        from .names import dashed_ip
        if self.hostname:
            return self.hostname
        if endpoint_pod_names and self.target:
            return self.target
        return dashed_ip(self.ip)


@dataclass(frozen=True)
class Slice:
    name: str
    ports: tuple[Port, ...]
    addresses: tuple[Address, ...]


@dataclass(frozen=True)
class Svc:
    namespace: str
    name: str
    type: str
    cluster_ips: tuple[str, ...]
    external_name: str
    ports: tuple[Port, ...]
    publish_not_ready: bool = False

    @property
    def headless(self) -> bool:
        return bool(self.cluster_ips) and self.cluster_ips[0] == "None"


@dataclass(frozen=True)
class DnsIndex:
    services: dict[tuple[str, str], Svc] = field(default_factory=dict)
    slices: Mapping[tuple[str, str], tuple[Slice, ...]] = field(default_factory=dict)  # (ns, service name)
    namespaces: frozenset[str] = frozenset()
    namespaces_known: bool = True
    pod_ips: dict[str, frozenset[str]] = field(default_factory=dict)  # ip -> namespaces
    skipped: tuple[str, ...] = ()

    def service(self, namespace: str, name: str) -> Svc | None:
        return self.services.get((namespace.lower(), name.lower()))

    def endpoints(self, namespace: str, name: str) -> tuple[Slice, ...]:
        return self.slices.get((namespace.lower(), name.lower()), ())


def _ports(items: list[Any], *, slice_ports: bool) -> tuple[Port, ...]:
    ports: list[Port] = []
    for p in items:
        if not isinstance(p, dict):
            continue
        raw_port = p.get("port")
        number = raw_port if isinstance(raw_port, int) and not isinstance(raw_port, bool) else -1
        raw_name = p.get("name")
        name = raw_name if isinstance(raw_name, str) else ""
        proto = p.get("protocol")
        protocol = proto if isinstance(proto, str) else ("" if slice_ports else "TCP")
        ports.append(Port(name, number, protocol))
    return tuple(ports) or NO_PORTS


def _slice(sl: IndexedSlice) -> Slice:
    addrs: list[Address] = []
    for ep in sl.endpoints:
        if not ep.ready:  # CoreDNS serves ready endpoints only
            continue
        target = ep.target_name
        for ip in ep.addresses:
            if ip_family(ip):
                addrs.append(Address(ip, ep.hostname, target if len(target) < 64 else ""))
    ports = tuple(Port(p.name, -1 if p.port is None else p.port, p.protocol) for p in sl.ports) or NO_PORTS
    return Slice(sl.name, ports, tuple(addrs))


class _LazySlices(Mapping[tuple[str, str], tuple[Slice, ...]]):
    """(namespace, service) lower-cased -> its slices; each key's are read on first use and kept.

    The keys (and their labelled groups, in list order) are known up front from the Service
    index's labels alone, so lookups, iteration and length answer as a dict built from every
    slice would. Two threads may both read a key: equal values, the first one kept.
    """

    def __init__(self, si: ServiceIndex, groups: dict[tuple[str, str], list[tuple[str, str]]]) -> None:
        self._si = si
        self._groups = groups
        self._read: dict[tuple[str, str], tuple[Slice, ...]] = {}

    def __getitem__(self, key: tuple[str, str]) -> tuple[Slice, ...]:
        got = self._read.get(key)
        if got is None:
            got = self._read.setdefault(key, tuple(
                _slice(sl) for raw in self._groups[key] for sl in self._si.slices(*raw) if sl.address_type != "FQDN"))
        return got

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._groups)

    def __len__(self) -> int:
        return len(self._groups)


def _slice_groups(si: ServiceIndex, skipped: list[str]) -> _LazySlices:
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for (ns_raw, svc_raw), objs in si.labelled().items():
        ns, svc_name = ns_raw.lower(), svc_raw.lower()
        if not ns:
            continue
        for obj in objs:  # as index_slice reads addressType and the name
            if dig_str(obj, "addressType") == "FQDN":
                skipped.append(f"EndpointSlice {ns}/{name_of(obj)}: FQDN addresses are not modelled")
            else:
                keys = groups.setdefault((ns, svc_name), [])
                if not keys or keys[-1] != (ns_raw, svc_raw):
                    keys.append((ns_raw, svc_raw))
    return _LazySlices(si, groups)


def build_index(cluster: ClusterState) -> DnsIndex:
    skipped: list[str] = []
    services: dict[tuple[str, str], Svc] = {}
    for obj in cluster.of("Service"):
        ns, name = namespace_of(obj).lower(), name_of(obj).lower()
        if not ns or not name:
            skipped.append("a Service without name or namespace")
            continue
        ips = tuple(ip for ip in dig_list(obj, "spec", "clusterIPs") if isinstance(ip, str))
        if not ips:
            ip = dig_str(obj, "spec", "clusterIP")
            ips = (ip,) if ip else ()
        services[(ns, name)] = Svc(
            ns, name, dig_str(obj, "spec", "type") or "ClusterIP", ips,
            dig_str(obj, "spec", "externalName"),
            _ports(dig_list(obj, "spec", "ports"), slice_ports=False),
            dig(obj, "spec", "publishNotReadyAddresses") is True)

    slices = _slice_groups(service_index(cluster), skipped)

    ns_objs = cluster.of("Namespace")
    if ns_objs:
        namespaces = frozenset(name_of(o).lower() for o in ns_objs if name_of(o))
        known = True
    else:
        namespaces = frozenset(namespace_of(o).lower() for objs in cluster.objects.values()
                               for o in objs if namespace_of(o))
        known = False

    pod_ips: dict[str, set[str]] = {}
    for pod in cluster.of("Pod"):
        pod_addrs = [dig_str(x, "ip") for x in dig_list(pod, "status", "podIPs")] or [dig_str(pod, "status", "podIP")]
        for ip in pod_addrs:
            if ip:
                pod_ips.setdefault(ip, set()).add(namespace_of(pod).lower())
    return DnsIndex(services, slices, namespaces, known,
                    {k: frozenset(v) for k, v in pod_ips.items()}, tuple(skipped))

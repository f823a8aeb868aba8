"""The slice of API state CoreDNS's kubernetes plugin serves from, in the shape it uses.

Services keep every ClusterIP and port (a port-less service gets CoreDNS's port -1 sentinel);
EndpointSlices come from the shared Service index (`domain/service_index.py`, which owns the
label join and the readiness defaults) and keep only ready endpoints. Malformed objects are
skipped and counted.
"""

from __future__ import annotations

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
from ..service_index import service_index
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
    slices: dict[tuple[str, str], tuple[Slice, ...]] = field(default_factory=dict)  # (ns, service name)
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

    slices: dict[tuple[str, str], list[Slice]] = {}
    for sl in service_index(cluster).all_slices():
        svc_name, ns = sl.service.lower(), sl.namespace.lower()
        if not svc_name or not ns:
            continue
        if sl.address_type == "FQDN":
            skipped.append(f"EndpointSlice {ns}/{sl.name}: FQDN addresses are not modelled")
            continue
        addrs: list[Address] = []
        for ep in sl.endpoints:
            if not ep.ready:  # CoreDNS serves ready endpoints only
                continue
            target = ep.target_name
            for ip in ep.addresses:
                if ip_family(ip):
                    addrs.append(Address(ip, ep.hostname, target if len(target) < 64 else ""))
        ports = tuple(Port(p.name, -1 if p.port is None else p.port, p.protocol) for p in sl.ports) or NO_PORTS
        slices.setdefault((ns, svc_name), []).append(Slice(sl.name, ports, tuple(addrs)))

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
    return DnsIndex(services, {k: tuple(v) for k, v in slices.items()}, namespaces, known,
                    {k: frozenset(v) for k, v in pod_ips.items()}, tuple(skipped))

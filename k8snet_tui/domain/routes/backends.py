"""From a rule's backend reference to the Service, its ready endpoints and the pods behind them."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import (
    ClusterState,
    Obj,
    dig,
    dig_list,
    dig_str,
    name_of,
    namespace_of,
)
from ..service_index import service_index
from .findings import ERROR, INFO, WARNING, Finding


@dataclass(frozen=True)
class BackendRef:
    """What a rule asked for. `port` is a number or a port name; None when the rule left it out."""

    namespace: str
    name: str
    port: int | str | None = None
    weight: int | None = None
    external: str | None = None  # set when the target is not a Service (URL, resource backend)

    @property
    def label(self) -> str:
        if self.external:
            return self.external
        port = "" if self.port is None else f":{self.port}"
        return f"{self.namespace}/{self.name}{port}"


@dataclass(frozen=True)
class Backend:
    ref: BackendRef
    service_found: bool = False
    port_found: bool = False
    endpoints: tuple[str, ...] = ()  # ready ip:port
    not_ready: tuple[str, ...] = ()
    pods: tuple[str, ...] = ()  # ns/name of ready endpoints' pods
    findings: tuple[Finding, ...] = field(default=(), compare=False)

    @property
    def serves(self) -> bool:
        return bool(self.endpoints) or bool(self.ref.external)

    def to_json(self) -> dict[str, object]:
        return {
            "service": self.ref.label,
            "weight": self.ref.weight,
            "service_found": self.service_found,
            "port_found": self.port_found,
            "endpoints": list(self.endpoints),
            "not_ready": list(self.not_ready),
            "pods": list(self.pods),
        }


def _service_port(service: Obj, port: int | str | None) -> Obj | None:
    ports = [p for p in dig_list(service, "spec", "ports") if isinstance(p, dict)]
    if port is None:
        return ports[0] if len(ports) == 1 else None
    for p in ports:
        if isinstance(port, int) and dig(p, "port") == port:
            return p
        if isinstance(port, str) and dig_str(p, "name") == port:
            return p
    return None


def resolve(cluster: ClusterState, ref: BackendRef, subject: str) -> Backend:
    """Follow `ref` to its Service and ready endpoints; everything missing on the way is a finding."""
    if ref.external:
        msg = f"backend {ref.external} is not a Service in this cluster"
        return Backend(ref, findings=(Finding(INFO, "external-backend", subject, msg),))
    service = cluster.get("Service", ref.namespace, ref.name)
    if service is None:
        msg = f"Service {ref.namespace}/{ref.name} does not exist: the controller answers 503"
        return Backend(ref, findings=(Finding(ERROR, "unknown-service", subject, msg),))
    if dig_str(service, "spec", "type") == "ExternalName":
        target = dig_str(service, "spec", "externalName")
        msg = f"Service {ref.namespace}/{ref.name} is ExternalName ({target}): traffic leaves the cluster"
        return Backend(ref, service_found=True, port_found=True, findings=(Finding(INFO, "external-name", subject, msg),))
    sport = _service_port(service, ref.port)
    if sport is None:
        have = ", ".join(
            f"{dig_str(p, 'name') or '-'}:{dig_str(p, 'port')}" for p in dig_list(service, "spec", "ports") if isinstance(p, dict)
        )
        what = "no port given and the Service has several" if ref.port is None else f"port {ref.port} is not on the Service"
        msg = f"{what} {ref.namespace}/{ref.name} (ports: {have or 'none'})"
        return Backend(ref, service_found=True, findings=(Finding(ERROR, "port-not-on-service", subject, msg),))
    ready, not_ready, pods = _endpoints(cluster, ref.namespace, ref.name, dig_str(sport, "name"))
    findings: tuple[Finding, ...] = ()
    if not ready:
        why = f" ({len(not_ready)} not ready)" if not_ready else ""
        msg = f"Service {ref.namespace}/{ref.name} has no ready endpoints{why}: requests get 503"
        findings = (Finding(WARNING, "no-ready-endpoints", subject, msg),)
    return Backend(ref, True, True, ready, not_ready, pods, findings)


def _endpoints(cluster: ClusterState, namespace: str, service: str,
               port_name: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Ready and not-ready `ip:port`s of one Service port, and the pods of the ready ones."""
    index = service_index(cluster)
    ready: list[str] = []
    not_ready: list[str] = []
    for sl in index.slices(namespace, service):
        numbers: list[int | None] = [p.port for p in sl.ports if p.name == port_name and p.port is not None]
        for ep in sl.endpoints:
            for addr in ep.addresses:
                host = f"[{addr}]" if ":" in addr else addr
                for number in numbers or [None]:
                    (ready if ep.ready else not_ready).append(f"{host}:{number}" if number is not None else host)
    pods = index.ready_pods(namespace, service)
    return tuple(dict.fromkeys(ready)), tuple(dict.fromkeys(not_ready)), pods


def service_label(service: Obj) -> str:
    return f"{namespace_of(service)}/{name_of(service)}"

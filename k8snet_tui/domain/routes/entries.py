"""Entry points: every way traffic from outside the cluster can reach a proxy or a pod."""

from __future__ import annotations

from dataclasses import dataclass

from ..model import (
    ClusterState,
    Obj,
    dig,
    dig_list,
    dig_str,
    key_of,
    name_of,
)
from .controllers import find_services, known
from .findings import INFO, WARNING, Finding
from .gateway import gateway_services


@dataclass(frozen=True)
class EntryPoint:
    kind: str  # NodePort | LoadBalancer | ExternalIP | IngressController | Listener | Gateway
    name: str
    port: str = ""
    addresses: tuple[str, ...] = ()
    target: str | None = None
    details: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind, "name": self.name, "port": self.port, "addresses": list(self.addresses),
            "target": self.target, "details": list(self.details), "findings": [f.to_json() for f in self.findings],
        }


def _join(host: str, port: object) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def node_addresses(cluster: ClusterState) -> tuple[str, ...]:
    out = []
    for node in cluster.of("Node"):
        for a in dig_list(node, "status", "addresses"):
            if dig_str(a, "type") in ("InternalIP", "ExternalIP") and dig_str(a, "address"):
                out.append(dig_str(a, "address"))
    return tuple(dict.fromkeys(out))


def lb_addresses(service: Obj) -> tuple[str, ...]:
    return tuple(
        dig_str(i, "ip") or dig_str(i, "hostname")
        for i in dig_list(service, "status", "loadBalancer", "ingress")
        if dig_str(i, "ip") or dig_str(i, "hostname")
    )


def service_entries(cluster: ClusterState) -> list[EntryPoint]:
    nodes = node_addresses(cluster)
    out: list[EntryPoint] = []
    for svc in sorted(cluster.of("Service"), key=key_of):
        kind = dig_str(svc, "spec", "type") or "ClusterIP"
        name = key_of(svc)
        lbs = lb_addresses(svc)
        external_ips = [ip for ip in dig_list(svc, "spec", "externalIPs") if isinstance(ip, str)]
        for p in dig_list(svc, "spec", "ports"):
            if not isinstance(p, dict):
                continue
            port, proto = dig(p, "port"), dig_str(p, "protocol") or "TCP"
            target = f"{name}:{port}"
            node_port = dig(p, "nodePort")
            if kind in ("NodePort", "LoadBalancer") and isinstance(node_port, int):
                out.append(EntryPoint(
                    "NodePort", name, f"{port}:{node_port}/{proto}", tuple(_join(n, node_port) for n in nodes), target,
                    (f"every node forwards port {node_port} to {target}",) + (() if nodes else ("no Node addresses known",)),
                ))
            if kind == "LoadBalancer":
                findings: tuple[Finding, ...] = ()
                details: tuple[str, ...] = ()
                if not lbs:
                    msg = (
                        "EXTERNAL-IP <pending>: no load-balancer controller has filled status.loadBalancer "
                        "(common without a cloud provider); reach it through its node ports instead"
                    )
                    findings = (Finding(INFO, "lb-pending", f"Service {name}", msg),)
                    details = ("pending",)
                out.append(EntryPoint("LoadBalancer", name, f"{port}/{proto}", tuple(_join(a, port) for a in lbs), target,
                                      details, findings))
            if external_ips:
                out.append(EntryPoint(
                    "ExternalIP", name, f"{port}/{proto}", tuple(_join(a, port) for a in external_ips), target,
                    ("nodes that own these addresses forward them to the Service",),
                ))
    return out


def controller_entries(cluster: ClusterState) -> list[EntryPoint]:
    out = []
    for cls in sorted(cluster.of("IngressClass"), key=name_of):
        controller = dig_str(cls, "spec", "controller")
        kc = known(controller)
        found = find_services(cluster, controller)
        subject = f"IngressClass {name_of(cls)}"
        findings: tuple[Finding, ...] = ()
        if kc is None:
            details: tuple[str, ...] = (f"controller {controller or '(none)'}: not one we know how to locate",)
            findings = (Finding(INFO, "no-controller-service", subject,
                                f"cannot tell which Service fronts controller {controller or '(none)'}"),)
        elif not found:
            details = (f"{kc.product}: no Service looks like its proxy",)
            findings = (Finding(WARNING, "no-controller-service", subject,
                                f"no Service found for {kc.product} (looked for names {', '.join(kc.names)})"),)
        else:
            best = found[0]
            details = (f"{kc.product}",) + tuple(f"{best.key}: {r}" for r in best.reasons)
        ports = ""
        if found:
            ports = ",".join(
                f"{dig(p, 'port')}" + (f":{dig(p, 'nodePort')}" if isinstance(dig(p, "nodePort"), int) else "")
                for p in dig_list(found[0].service, "spec", "ports") if isinstance(p, dict)
            )
        out.append(EntryPoint("IngressController", name_of(cls), ports, (), found[0].key if found else None, details, findings))
    return out


def listener_entries(cluster: ClusterState) -> list[EntryPoint]:
    from .controllers import EMISSARY

    services = find_services(cluster, EMISSARY)
    out = []
    for li in sorted(cluster.of("Listener"), key=key_of):
        port = dig(li, "spec", "port")
        binding = dig_str(li, "spec", "hostBinding", "namespace", "from") or (
            "selector" if dig(li, "spec", "hostBinding", "selector") is not None else "(none)"
        )
        details = (
            f"protocol {dig_str(li, 'spec', 'protocol') or dig_str(li, 'spec', 'protocolStack') or '?'}",
            f"securityModel {dig_str(li, 'spec', 'securityModel') or '?'}",
            f"hostBinding {binding}",
        )
        reach = []
        for cs in services:
            for p in dig_list(cs.service, "spec", "ports"):
                if isinstance(p, dict) and port is not None and port in (dig(p, "port"), dig(p, "targetPort")):
                    reach.append(f"{cs.key}:{dig(p, 'port')}")
        findings: tuple[Finding, ...] = ()
        if services and not reach:
            findings = (Finding(WARNING, "listener-unreached", f"Listener {key_of(li)}",
                                f"no port of {services[0].key} leads to port {port}"),)
        out.append(EntryPoint("Listener", key_of(li), str(port), (), reach[0] if reach else None, details, findings))
    return out


def gateway_entries(cluster: ClusterState) -> list[EntryPoint]:
    out = []
    for gw in sorted(cluster.of("Gateway"), key=key_of):
        addresses = tuple(dig_str(a, "value") for a in dig_list(gw, "status", "addresses") if dig_str(a, "value"))
        details = [f"class {dig_str(gw, 'spec', 'gatewayClassName') or '?'}"]
        for li in dig_list(gw, "spec", "listeners"):
            details.append(
                f"listener {dig_str(li, 'name')}: {dig_str(li, 'protocol')} {dig_str(li, 'port')}"
                + (f" host {dig_str(li, 'hostname')}" if dig_str(li, "hostname") else "")
            )
        svcs = gateway_services(cluster, gw)
        ports = ",".join(str(dig(li, "port")) for li in dig_list(gw, "spec", "listeners") if isinstance(dig(li, "port"), int))
        findings: tuple[Finding, ...] = ()
        if not addresses:
            findings = (Finding(INFO, "gateway-no-address", f"Gateway {key_of(gw)}", "status has no addresses yet"),)
        out.append(EntryPoint("Gateway", key_of(gw), ports, addresses, key_of(svcs[0]) if svcs else None, tuple(details),
                              findings))
    return out


def all_entries(cluster: ClusterState) -> list[EntryPoint]:
    return service_entries(cluster) + controller_entries(cluster) + listener_entries(cluster) + gateway_entries(cluster)

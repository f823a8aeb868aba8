"""Service ports in IPVS (virtual server -> real servers) and Cilium (frontend -> backends)."""

from __future__ import annotations

from typing import Any

from .balance import explain_weights
from .cilium import CiliumServices
from .endpoints import ServicePort
from .ipvsadm import IpvsTable
from .trace_model import Finding, KernelEndpoint, KernelPath, KernelPortView, Step


def _shares(weights: list[int]) -> list[float]:
    total = sum(w for w in weights if w > 0)
    return [(w / total if total and w > 0 else 0.0) for w in weights]


def trace_ipvs_port(table: IpvsTable, port: ServicePort, entry_ips: tuple[str, ...]) -> KernelPortView:
    steps: list[Step] = []
    lb = None
    for ip in entry_ips:
        vs = table.find(port.protocol, ip, port.port)
        if vs is None:
            continue
        lb = lb or vs
        persist = f" persistent {vs.persistent}" if vs.persistent is not None else ""
        steps.append(Step(0, "entry", "ipvs", vs.line, f"{vs.protocol} {ip}:{vs.port} {vs.scheduler}{persist}"))
    if port.node_port:
        for vs in table.services:
            if vs.protocol == port.protocol and vs.port == port.node_port:
                steps.append(Step(0, "entry", "ipvs", vs.line, f"{vs.protocol} {vs.address}:{vs.port} {vs.scheduler} (NodePort)"))
                lb = lb or vs
    if lb is None:
        return KernelPortView(found=False, explanation="no IPVS virtual server for this port")
    paths = []
    for kind, ip in _entries(entry_ips):
        vs = table.find(port.protocol, ip, port.port)
        if vs is not None:
            paths.append(_ipvs_path("cluster" if kind == "cluster-ip" else "external", kind, ip, port.port, vs))
    if port.node_port:
        vs = next((v for v in table.services if v.protocol == port.protocol and v.port == port.node_port), None)
        if vs is not None:
            paths.append(_ipvs_path("external", "node-port", "", port.node_port, vs))
    weights = [r.weight for r in lb.real_servers]
    endpoints = []
    for r, share in zip(lb.real_servers, _shares(weights), strict=True):
        steps.append(Step(1, "endpoint", "ipvs", r.line,
                          f"-> {r.address}:{r.port} {r.forward} weight {r.weight} active {r.active} inactive {r.inactive}"))
        endpoints.append(KernelEndpoint(r.address, r.port, None, None, share))
    findings = []
    if not lb.real_servers:
        findings.append(Finding("warning", "no-endpoints", "the IPVS virtual server has no real servers"))
    return KernelPortView(
        endpoints=tuple(endpoints), steps=tuple(steps), findings=tuple(findings),
        explanation=explain_weights(weights, f"IPVS scheduler {lb.scheduler}"), found=True,
        rejects=not lb.real_servers, affinity_seconds=lb.persistent, paths=tuple(paths),
    )


def _entries(entry_ips: tuple[str, ...]) -> list[tuple[str, str]]:
    # The callers pass the ClusterIP first, then external and load-balancer IPs.
    return [("cluster-ip" if i == 0 else "external-ip", ip) for i, ip in enumerate(entry_ips)]


def _ipvs_path(name: str, entry: str, address: str, port: int, vs: Any) -> KernelPath:
    weights = [r.weight for r in vs.real_servers]
    eps = tuple(KernelEndpoint(r.address, r.port, None, None, share)
                for r, share in zip(vs.real_servers, _shares(weights), strict=True) if share > 0)
    # IPVS masquerades NodePort and external traffic through kube-proxy's KUBE-MARK-MASQ rules;
    # without real servers the virtual server takes the connection and nothing answers.
    return KernelPath(name, entry, address, port, None, eps, dropped=0.0 if eps else 1.0,
                      masquerade=name == "external")


def trace_cilium_port(services: CiliumServices, port: ServicePort, entry_ips: tuple[str, ...]) -> KernelPortView:
    steps: list[Step] = []
    lb = None
    ips = set(entry_ips)
    for svc in services.services:
        proto_ok = svc.protocol in ("", "ANY", port.protocol)
        by_ip = svc.address in ips and svc.port == port.port
        by_nodeport = port.node_port is not None and svc.type == "NodePort" and svc.port == port.node_port
        if proto_ok and (by_ip or by_nodeport):
            steps.append(Step(0, "entry", "cilium", svc.id, f"{svc.type} {svc.address}:{svc.port}/{svc.protocol or 'ANY'}"))
            if by_ip and (lb is None or svc.address == (entry_ips[0] if entry_ips else "")):
                lb = svc
            lb = lb or svc
    if lb is None:
        return KernelPortView(found=False, explanation="no Cilium frontend for this port")
    active = [b for b in lb.backends if b.state in ("", "active")]
    weights = [b.weight if b.weight is not None else 1 for b in active]
    endpoints = []
    for b in lb.backends:
        steps.append(Step(1, "endpoint", "cilium", lb.id, f"-> {b.address}:{b.port} {b.state or 'active'} {b.node}".rstrip()))
    for b, share in zip(active, _shares(weights), strict=True):
        endpoints.append(KernelEndpoint(b.address, b.port, None, None, share))
    findings = []
    if not active:
        findings.append(Finding("warning", "no-endpoints", "the Cilium frontend has no active backends"))
    paths = []
    for svc in services.services:
        proto_ok = svc.protocol in ("", "ANY", port.protocol)
        if not proto_ok:
            continue
        if svc.address in ips and svc.port == port.port:
            kind = "cluster-ip" if svc.type == "ClusterIP" else (
                "load-balancer" if svc.type == "LoadBalancer" else "external-ip")
            paths.append(_cilium_path(kind, svc.address, svc.port, svc))
        elif port.node_port is not None and svc.type == "NodePort" and svc.port == port.node_port and not any(
                p.entry == "node-port" for p in paths):
            paths.append(_cilium_path("node-port", "", svc.port, svc))
            if svc.ext_traffic_policy == "Local" and not [b for b in svc.backends if b.state in ("", "active")]:
                findings.append(Finding("warning", "local-only-drop",
                                        "Cilium's NodePort frontend has trafficPolicy Local and no local backend: "
                                        "external traffic to this node is dropped"))
    return KernelPortView(
        endpoints=tuple(endpoints), steps=tuple(steps), findings=tuple(findings),
        explanation=explain_weights(weights, "Cilium backend selection"), found=True,
        rejects=not active, paths=tuple(paths),
    )


def _cilium_path(entry: str, address: str, port: int, svc: Any) -> KernelPath:
    active = [b for b in svc.backends if b.state in ("", "active")]
    weights = [b.weight if b.weight is not None else 1 for b in active]
    eps = tuple(KernelEndpoint(b.address, b.port, None, None, share)
                for b, share in zip(active, _shares(weights), strict=True) if share > 0)
    return KernelPath("cluster" if entry == "cluster-ip" else "external", entry, address, port, None, eps,
                      dropped=0.0 if eps else 1.0)

"""Service ports in IPVS (virtual server -> real servers) and Cilium (frontend -> backends)."""

from __future__ import annotations

from .balance import explain_weights
from .cilium import CiliumServices
from .endpoints import ServicePort
from .ipvsadm import IpvsTable
from .trace_model import Finding, KernelEndpoint, KernelPortView, Step


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
    weights = [r.weight for r in lb.real_servers]
    endpoints = []
    for r, share in zip(lb.real_servers, _shares(weights)):
        steps.append(Step(1, "endpoint", "ipvs", r.line,
                          f"-> {r.address}:{r.port} {r.forward} weight {r.weight} active {r.active} inactive {r.inactive}"))
        endpoints.append(KernelEndpoint(r.address, r.port, None, None, share))
    findings = []
    if not lb.real_servers:
        findings.append(Finding("warning", "no-endpoints", "the IPVS virtual server has no real servers"))
    return KernelPortView(
        endpoints=tuple(endpoints), steps=tuple(steps), findings=tuple(findings),
        explanation=explain_weights(weights, f"IPVS scheduler {lb.scheduler}"), found=True,
        rejects=not lb.real_servers, affinity_seconds=lb.persistent,
    )


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
    for b, share in zip(active, _shares(weights)):
        endpoints.append(KernelEndpoint(b.address, b.port, None, None, share))
    findings = []
    if not active:
        findings.append(Finding("warning", "no-endpoints", "the Cilium frontend has no active backends"))
    return KernelPortView(
        endpoints=tuple(endpoints), steps=tuple(steps), findings=tuple(findings),
        explanation=explain_weights(weights, "Cilium backend selection"), found=True,
        rejects=not active,
    )

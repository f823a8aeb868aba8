"""Pane 9 "Balancing", `k8snet show balancing` and `k8snet balance NS/SVC`.

`present` is the pane's home model (every LoadBalancer Service, the pools, the pool findings);
`report` the command's answer, the domain's `Balance` printed as JSON through the one
serializer. `headline` is one Balance's first line (the Service, its address, who allocated
it), and `port_lines` turns one of its ports into the lines the pane and the text output draw:
address -> announcing node(s) -> each node's pick -> pods, every edge with its share, and the
simulated counts beside the expected shares when there are any. `explain` is the drawer's why.
Marks carry the meaning (the bars are characters), never colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from k8snet_tui.domain.balancing import (
    Balance,
    PoolLine,
    PortSpread,
    ServiceLine,
    Simulation,
    balance_service,
    balancing_overview,
)
from k8snet_tui.domain.datapath.trace_model import Finding
from k8snet_tui.domain.model import Observed, dig_str
from k8snet_tui.domain.services import find_service
from k8snet_tui.errors import UsageError

from .selection import Selection
from .serialize import JsonModel

BAR_WIDTH = 16
DEFAULT_REQUESTS = 1000
BALANCE_HINT = "balance NS/SVC [--requests N] [--seed S] [--clients K] [--port P]"


@dataclass(frozen=True)
class BalancingModel(JsonModel):
    """`k8snet show balancing --json` (docs/json.md)."""

    services: tuple[ServiceLine, ...]
    pools: tuple[PoolLine, ...]
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class BalanceReport(JsonModel, Balance):
    """`k8snet balance NS/SVC --json`: the Balance's fields (docs/json.md)."""


def as_report(b: Balance) -> BalanceReport:
    return BalanceReport(**{f.name: getattr(b, f.name) for f in fields(Balance)})


def present(observed: Observed, selection: Selection) -> BalancingModel:
    services, pools, findings = balancing_overview(observed, selection.namespace)
    return BalancingModel(services, pools, findings)


def load_balancer_key(observed: Observed, ref: str) -> str:
    """`NS/NAME` of the LoadBalancer Service `ref` names; a UsageError that says why otherwise
    (`k8snet balance` and pane 9's `:balance` give the same words)."""
    match = find_service(observed.cluster, ref)
    if match.service is None:
        hint = f"did you mean: {', '.join(match.suggestions)}" if match.suggestions else \
            "list them with: k8snet show balancing"
        raise UsageError(f"unknown service {match.key}", hint=hint)
    stype = dig_str(match.service, "spec", "type") or "ClusterIP"
    if stype != "LoadBalancer":
        raise UsageError(f"{match.key} is a {stype} Service, not a LoadBalancer: no address is allocated for it",
                         hint=f"its datapath: k8snet trace {match.key}; the LoadBalancer Services: "
                              "k8snet show balancing")
    return match.key


def report(observed: Observed, ref: str, *, requests: int | None = None, seed: int = 1, clients: int = 1,
           port: str | None = None) -> BalanceReport:
    key = load_balancer_key(observed, ref)
    ns, _, name = key.partition("/")
    b = balance_service(observed, ns, name, requests=requests, seed=seed, clients=clients, port=port)
    if port is not None and not b.ports:
        svc = find_service(observed.cluster, key).service or {}
        names = [f"{q.get('name') or '-'} ({q.get('port')})" for q in (svc.get("spec") or {}).get("ports") or []
                 if isinstance(q, dict)]
        raise UsageError(f"service {key} has no port {port!r}",
                         hint=f"give a port's name or number: {', '.join(names) or 'it has none'}")
    return as_report(b)


def pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def bar(share: float, width: int = BAR_WIDTH) -> str:
    filled = round(max(0.0, min(1.0, share)) * width)
    return "█" * filled + "·" * (width - filled)


def headline(b: Balance) -> str:
    a = b.allocation
    if a.state == "pending":
        return f"{b.service}: <pending>: {a.reason}"
    where = f" from {a.pool}" if a.pool else ""
    return f"{b.service}: {', '.join(b.addresses or b.hostnames)} by {a.allocator}{where}"


def _entry_words(b: Balance) -> str:
    ann = b.announce
    if ann.nodes:
        return f"{ann.mode}: " + ", ".join(ann.nodes)
    if ann.candidates:
        return f"{ann.mode}: one of {', '.join(ann.candidates)} (which is not recorded)"
    return f"{ann.mode}: no node"


def port_lines(b: Balance, p: PortSpread, sim: Simulation | None = None) -> tuple[str, ...]:
    """The picture of one port, one line per edge: address -> node -> pods, then the totals."""
    address = (b.addresses or b.hostnames or ("<pending>",))[0]
    out = [f"{address}:{p.port}/{p.protocol}  ->  {_entry_words(b)}"]
    for i, n in enumerate(p.nodes):
        last_node = i == len(p.nodes) - 1
        branch, cont = ("└─", "   ") if last_node else ("├─", "│  ")
        src = f"its {n.backend} rules" if n.source == "kernel" else "modelled from the API"
        out.append(f"{branch} {pct(n.share):>6} {n.node}  ({src}; {n.local_endpoints} ready pod(s) here)")
        out.append(f"{cont}   picks: {n.how}" + (f"; {pct(n.lost)} lost" if n.lost > 1e-9 else ""))
        for j, pod in enumerate(n.pods):
            leaf = "└─" if j == len(n.pods) - 1 else "├─"
            out.append(f"{cont}   {leaf} {pct(pod.share):>6} {pod.pod or pod.address + ':' + str(pod.port)}"
                       f"  on {pod.node or '?'}")
    if not p.nodes:
        out.append("   (no entry node: nothing outside reaches this address)")
        if b.allocation.state == "pending" and p.node_port:
            out.append(f"   meanwhile: every node's NodePort {p.node_port} reaches the pods (k8snet trace)")
    if not p.pods:
        out.append("No pod gets any of it.")
    elif sim is None:
        out.append("Each pod's share of all traffic to the address:")
    else:
        out.append("Each pod's share: expected          simulated")
    counts = {(c.address, c.port): c.count for c in sim.counts} if sim is not None else {}
    answered = sum(counts.values()) if sim is not None else 0
    for pod in p.pods:
        name = pod.pod or f"{pod.address}:{pod.port}"
        line = f"  {bar(pod.share)} {pct(pod.share):>6}  {name}"
        if sim is not None:
            got = counts.get((pod.address, pod.port), 0)
            seen = got / answered if answered else 0.0
            line = f"  {bar(pod.share, 8)} {pct(pod.share):>6}  {bar(seen, 8)} {got:>5}  {name}"
        out.append(line)
    if p.lost > 1e-9 and p.nodes:
        out.append(f"  {bar(p.lost)} {pct(p.lost):>6}  lost (dropped, rejected or no node)")
    if sim is not None:
        out.append(f"simulated {sim.requests} requests (seed {sim.seed}, {sim.clients} client(s)): "
                   f"{fit_words(sim)}")
    return tuple(out)


def fit_words(sim: Simulation) -> str:
    """How many were lost and how well the answered ones fit the shares; with none answered
    there is nothing to fit, and a chi-square of 0 would read as a perfect spread."""
    if sim.lost >= sim.requests:
        return f"all {sim.lost} lost: no pod answered, so there is no spread to compare"
    return f"{sim.lost} lost, chi-square {sim.chi_square:.2f}"


def explain(b: Balance) -> tuple[str, ...]:
    """The drawer: why the picture is what it is, in sentences."""
    a, ann = b.allocation, b.announce
    out = [f"Who gave the address: {a.reason}."]
    if a.requested:
        out.append(f"It asks for: {', '.join(a.requested)}.")
    if a.load_balancer_class:
        out.append(f"loadBalancerClass {a.load_balancer_class}: only the controller owning that class acts on it.")
    out.append(f"Which node answers: {_entry_words(b)}.")
    out += [f"  evidence: {e}" for e in ann.evidence]
    out += [f"  BGP peer: {p}" for p in ann.peers]
    if b.external_traffic_policy == "Local":
        hc = f" (health check node port {b.health_check_node_port})" if b.health_check_node_port else ""
        out.append("externalTrafficPolicy Local: only nodes with a ready endpoint take traffic, each to its own "
                   f"pods; the client's address is kept{hc}.")
    else:
        out.append("externalTrafficPolicy Cluster: any node takes traffic and may send it to a pod on another "
                   "node; the source is rewritten to the node's address (masquerade).")
    if ann.mode == "layer2":
        out.append("Layer 2: one node answers ARP for the address and takes all of it; the spread over pods is "
                   "that node's kube-proxy pick.")
    out.append(f"ipMode {b.ip_mode or 'unset'}; allocateLoadBalancerNodePorts {str(b.allocate_node_ports).lower()}; "
               f"source ranges {', '.join(b.source_ranges) or 'any'}.")
    if b.session_affinity == "ClientIP":
        out.append(f"sessionAffinity ClientIP ({b.affinity_seconds} s): a client sticks to its first pod on "
                   "each node, so one client's requests do not spread.")
    out.append(f"Client IP preserved: {'yes' if b.client_ip_preserved else 'no'}.")
    out += [f"! {f.severity}: {f.message}" for f in b.findings]
    return tuple(out)

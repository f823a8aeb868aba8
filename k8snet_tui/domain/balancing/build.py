"""One LoadBalancer Service from its address to its pods (`balance_service`), and every one of
them with the pools in one view (`balancing_overview`)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..datapath.backend import Datapath
from ..datapath.endpoints import lb_ingress_ips, service_ports
from ..datapath.trace_model import Finding
from ..model import ClusterState, Obj, Observed, dig, dig_list, dig_str, key_of, name_of, namespace_of
from ..service_index import service_index
from ..whatif.request import service_affinity_seconds
from .allocation import AllocationResult, allocate, used_addresses
from .announce import AnnounceResult, advertisements, announce
from .model import Balance, PoolLine, ServiceLine
from .pools import Pool, overlaps, parse_ip, read_pools
from .simulate import simulate
from .spread import PortPlan, spread_port

MAX_SERVICES = 5000  # rows of the overview


@dataclass(frozen=True)
class BalancePlan:
    """The answer and what the simulation draws from (one PortPlan per port, in port order)."""

    balance: Balance
    ports: tuple[PortPlan, ...]


def load_balancers(cluster: ClusterState, namespace: str | None = None) -> tuple[Obj, ...]:
    svcs = cluster.in_namespace("Service", namespace)
    out = [s for s in svcs if dig_str(s, "spec", "type") == "LoadBalancer"]
    return tuple(sorted(out, key=lambda s: (namespace_of(s), name_of(s)))[:MAX_SERVICES])


def _ready_nodes(cluster: ClusterState, svc: Obj) -> tuple[str, ...]:
    eps = service_index(cluster).endpoints(namespace_of(svc), name_of(svc))
    return tuple(dict.fromkeys(e.node for e in eps if e.ready and e.node))


def _pool_findings(pools: tuple[Pool, ...]) -> list[Finding]:
    out = [Finding("error", "pool-bad-cidr", p) for pool in pools for p in pool.problems]
    out += [Finding("warning", "pools-overlap", f"pools overlap: {text}; which one MetalLB takes is not defined")
            for text in overlaps(pools)]
    return out


def _ip_mode(svc: Obj) -> str | None:
    ingress = dig_list(svc, "status", "loadBalancer", "ingress")
    if not ingress:
        return None
    mode = dig_str(ingress[0], "ipMode")
    return mode if mode in ("VIP", "Proxy") else ("VIP" if dig_str(ingress[0], "ip") else None)


def _looked_up(cluster: ClusterState, svc: Obj) -> tuple[AllocationResult, AnnounceResult]:
    alloc = allocate(cluster, svc)
    local = dig_str(svc, "spec", "externalTrafficPolicy") == "Local"
    return alloc, announce(cluster, svc, alloc, _ready_nodes(cluster, svc), local)


def plan_service(observed: Observed, namespace: str, name: str, *, port: str | None = None,
                 datapaths: dict[str, Datapath] | None = None) -> BalancePlan:
    """The balancing picture of `namespace/name` (any Service: one that is not a LoadBalancer
    says so in a finding, and its NodePort/external paths are not followed)."""
    cluster = observed.cluster
    svc = cluster.get("Service", namespace, name)
    if svc is None:
        raise KeyError(f"{namespace}/{name}")
    findings: list[Finding] = []
    stype = dig_str(svc, "spec", "type") or "ClusterIP"
    if stype != "LoadBalancer":
        findings.append(Finding("info", "not-load-balancer",
                                f"{namespace}/{name} is a {stype} Service: no load-balancer address to follow"))
    alloc, ann = _looked_up(cluster, svc)
    findings += alloc.findings
    findings += ann.findings
    ips = lb_ingress_ips(svc)
    ip_mode = _ip_mode(svc)
    local = dig_str(svc, "spec", "externalTrafficPolicy") == "Local"
    entry_nodes = ann.announce.nodes or ann.announce.candidates
    entry = {n: 1.0 / len(entry_nodes) for n in entry_nodes} if ips else {}
    via_node_port = alloc.allocation.allocator == "cloud" or ip_mode == "Proxy"
    ports = tuple(p for p in service_ports(svc) if port is None or port in (p.name, str(p.port)))
    plans = []
    spread_findings: list[Finding] = []
    dps: dict[str, Datapath] = datapaths if datapaths is not None else {}
    for sp in ports:
        plans.append(spread_port(cluster, observed.nodes, svc, sp, ips[0] if ips else "", entry, via_node_port,
                                 dps, spread_findings))
    findings += list(dict.fromkeys(spread_findings))
    if not service_index(cluster).ready_pods(namespace, name) and not any(
            e.ready for e in service_index(cluster).endpoints(namespace, name)):
        findings.append(Finding("warning", "no-endpoints",
                                f"{namespace}/{name} has no ready endpoints: traffic that reaches a node is "
                                "rejected or dropped there"))
    findings += _pool_findings(read_pools(cluster))
    hc = dig(svc, "spec", "healthCheckNodePort")
    anp = dig(svc, "spec", "allocateLoadBalancerNodePorts")
    masq = any(n.masquerade for p in plans for n in p.spread.nodes)
    preserved = bool(ips) and ip_mode != "Proxy" and bool(entry) and not masq
    balance = Balance(
        key_of(svc), stype, ips,
        tuple(dig_str(i, "hostname") for i in dig_list(svc, "status", "loadBalancer", "ingress") if dig_str(i, "hostname")),
        alloc.allocation, ip_mode, anp is not False,
        tuple(r for r in dig_list(svc, "spec", "loadBalancerSourceRanges") if isinstance(r, str)),
        "Local" if local else "Cluster", hc if isinstance(hc, int) and not isinstance(hc, bool) and hc > 0 else None,
        "ClientIP" if dig_str(svc, "spec", "sessionAffinity") == "ClientIP" else "None",
        service_affinity_seconds(svc), preserved, ann.announce, tuple(p.spread for p in plans), None, tuple(findings))
    return BalancePlan(balance, tuple(plans))


def balance_service(observed: Observed, namespace: str, name: str, *, requests: int | None = None, seed: int = 1,
                    clients: int = 1, port: str | None = None,
                    datapaths: dict[str, Datapath] | None = None) -> Balance:
    """`plan_service`'s answer, with a simulation of `requests` requests to the first port chosen."""
    plan = plan_service(observed, namespace, name, port=port, datapaths=datapaths)
    if not requests or not plan.ports:
        return plan.balance
    sim = simulate(plan.ports[0], requests, seed=seed, clients=clients,
                   affinity_seconds=plan.balance.affinity_seconds, service=plan.balance.service)
    return replace(plan.balance, simulation=sim)


def _summary(alloc: AllocationResult, ann: AnnounceResult) -> str:
    a = alloc.allocation
    if a.state == "pending":
        return f"pending: {a.reason}"
    nodes = ", ".join(ann.announce.nodes) or (f"one of {len(ann.announce.candidates)} nodes"
                                             if ann.announce.candidates else "no node")
    return f"{a.allocator}{' ' + a.pool if a.pool else ''}; {ann.announce.mode} from {nodes}"


def _advertised(cluster: ClusterState, pool: Pool) -> str:
    if pool.kind != "metallb":
        return ""
    kinds = [w for k, w in (("L2Advertisement", "layer2"), ("BGPAdvertisement", "bgp"))
             if advertisements(cluster, k, pool)]
    return "+".join(kinds) or "none"


def balancing_overview(observed: Observed, namespace: str | None = None
                       ) -> tuple[tuple[ServiceLine, ...], tuple[PoolLine, ...], tuple[Finding, ...]]:
    cluster = observed.cluster
    lines = []
    for svc in load_balancers(cluster, namespace):
        alloc, ann = _looked_up(cluster, svc)
        lines.append(ServiceLine(key_of(svc), lb_ingress_ips(svc), alloc.allocation.state, alloc.allocation.allocator,
                                 alloc.allocation.pool, ann.announce.mode, ann.announce.nodes,
                                 "Local" if dig_str(svc, "spec", "externalTrafficPolicy") == "Local" else "Cluster",
                                 _ip_mode(svc), _summary(alloc, ann)))
    used = used_addresses(cluster)
    pools = read_pools(cluster)
    pool_lines = []
    for pool in pools:
        held = tuple(ip for ip in used if (a := parse_ip(ip)) is not None and pool.holds(a))
        pool_lines.append(PoolLine(pool.key, pool.kind, pool.texts, pool.auto_assign, _advertised(cluster, pool),
                                   held[:50], pool.problems))
    return tuple(lines), tuple(pool_lines), tuple(_pool_findings(pools))

"""The two levels of balancing: over the entry nodes, then over the pods each node picks.

Per entry node the pod-level spread is that node's own datapath, as the Services trace reads it
(`trace_service`: iptables statistic rules, nftables numgen, IPVS weights, Cilium backends) for
the load-balancer address; a node whose kernel state was not read is modelled from the API the
way kube-proxy programs it (`select_endpoints`: every ready endpoint under `Cluster`, this node's
under `Local`, evenly), and says so (`source: api`). The combined share of a pod is the sum over
nodes of (node share x the node's share for the pod).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..datapath.backend import Datapath, parse_node_datapath
from ..datapath.balance import nice_fraction
from ..datapath.endpoints import ServicePort, endpoints_for_port, select_endpoints, shared_pod_index
from ..datapath.trace_model import CHAIN_ROLES, Finding
from ..model import ClusterState, NodeState, Obj, dig_str, name_of, namespace_of
from ..service_index import service_index
from ..services import EntryPoint, PathEndpoint, PathTrace, PortTrace, trace_service
from .model import NodeSpread, PodShare, PortSpread

TRACE_FINDINGS = ("topology-hints-used", "topology-hints-ignored", "local-only-drop", "endpoint-not-in-kernel",
                  "kernel-endpoint-not-in-api")


@dataclass(frozen=True)
class NodePlan:
    """What one entry node does with LB traffic: what the simulation draws from."""

    node: str
    share: float
    backend: str  # the datapath's, "none" when modelled from the API
    port: PortTrace  # the node's trace of the port (a stand-in holding `path` when modelled)
    path: PathTrace


@dataclass(frozen=True)
class PortPlan:
    spread: PortSpread
    nodes: tuple[NodePlan, ...]


def _node_zone(cluster: ClusterState, node: str) -> str:
    return dig_str(cluster.get("Node", "", node), "metadata", "labels", "topology.kubernetes.io/zone")


def _lb_path(port: PortTrace, address: str, via_node_port: bool) -> PathTrace | None:
    for kind in ("load-balancer", "external-ip"):
        hit = next((p for p in port.paths if p.path == "external" and p.entry.kind == kind
                    and p.entry.address == address), None)
        if hit is not None:
            return hit
    if via_node_port:  # a proxying or cloud balancer dials the node port
        return next((p for p in port.paths if p.entry.kind == "node-port"), None)
    return None


def _api_path(cluster: ClusterState, svc: Obj, sp: ServicePort, node: str, address: str) -> PathTrace:
    """kube-proxy's programming for an external client of `node`, from the EndpointSlices."""
    pods_by_key, _ = shared_pod_index(cluster)
    api = endpoints_for_port(service_index(cluster).slices(namespace_of(svc), name_of(svc)), sp, pods_by_key)
    sel = select_endpoints(api, svc, node, _node_zone(cluster, node))
    local = dig_str(svc, "spec", "externalTrafficPolicy") == "Local"
    chosen = sel.local if local else sel.cluster
    share = 1.0 / len(chosen) if chosen else 0.0
    eps = tuple(PathEndpoint(e.address, e.port, None, share, e.pod or None, e.node or None,
                             e.node == node if e.node else None, "ready" if e.ready else "serving-terminating")
                for e in chosen)
    return PathTrace("external", EntryPoint("load-balancer", address, sp.port), None, eps,
                     0.0 if chosen else 1.0, 0.0, 0.0, not local)


def _stand_in(sp: ServicePort, path: PathTrace) -> PortTrace:
    return PortTrace(sp.name, sp.protocol, sp.port, sp.node_port, None, sp.target_port, (path.entry,),
                     {r: None for r in CHAIN_ROLES}, (), (), (), "", None, (path,))


def _cilium_algorithm(cluster: ClusterState) -> str:
    """Cilium's backend pick from cilium-config: `random` (its default) or `maglev` (a hash of
    the flow into a lookup table, so a flow keeps its backend while the backends stay the same)."""
    algo = cluster.configmap("kube-system", "cilium-config").get("bpf-lb-algorithm", "").strip().lower()
    return "Maglev hashing" if algo == "maglev" else "random"


def _how(backend: str, path: PathTrace, port: PortTrace | None = None, cilium: str = "random") -> str:
    shares = [e.share for e in path.endpoints]
    if not shares:
        return "no endpoint: the node drops it" if path.dropped else "no endpoint"
    if max(shares) - min(shares) < 1e-9:
        each = "all" if len(shares) == 1 else f"1/{len(shares)} each"
    else:
        each = ", ".join(nice_fraction(s) for s in shares)
    scheduler = next((s.text.split()[2] for s in port.steps if s.chain == "ipvs" and s.kind == "entry"
                      and len(s.text.split()) >= 3), "") if port is not None else ""
    word = {"iptables-legacy": "statistic random", "iptables-nft": "statistic random", "nftables": "numgen random",
            "ipvs": f"IPVS scheduler {scheduler}".rstrip(), "cilium": f"Cilium, {cilium}",
            "none": "as kube-proxy would program it"}.get(backend, backend)
    return f"{each} ({word})"


def spread_port(cluster: ClusterState, nodes: Mapping[str, NodeState], svc: Obj, sp: ServicePort, address: str,
                entry: Mapping[str, float], via_node_port: bool, datapaths: dict[str, Datapath],
                findings: list[Finding]) -> PortPlan:
    """The spread of one port's LB traffic: `entry` is node -> share of the traffic entering there."""
    ns, name = namespace_of(svc), name_of(svc)
    ready_nodes: dict[str, int] = {}
    pods_by_key, _ = shared_pod_index(cluster)
    for e in endpoints_for_port(service_index(cluster).slices(ns, name), sp, pods_by_key):
        if e.ready and e.node:
            ready_nodes[e.node] = ready_nodes.get(e.node, 0) + 1
    plans: list[NodePlan] = []
    rows: list[NodeSpread] = []
    for node, share in entry.items():
        state = nodes.get(node)
        path: PathTrace | None = None
        port: PortTrace | None = None
        backend = "none"
        if state is not None and (state.has_kernel_state or state.ipvsadm or state.cilium_services is not None):
            dp = datapaths.get(node) or datapaths.setdefault(node, parse_node_datapath(state, cluster))
            trace = trace_service(cluster, state, ns, name, sp.name or str(sp.port), datapath=dp)
            port = next((p for p in trace.ports if p.port == sp.port and p.protocol == sp.protocol), None)
            if port is not None:
                path = _lb_path(port, address, via_node_port)
                backend = trace.backend
                findings.extend(Finding(f.severity, f.code, f"{node}: {f.message}") for f in port.findings
                                if f.code in TRACE_FINDINGS)
            if path is None:
                findings.append(Finding("warning", "no-lb-rule",
                                        f"{node}'s {trace.backend} datapath has no rule for {address}:{sp.port}; "
                                        "its share is modelled from the EndpointSlices"))
        source = "kernel" if path is not None else "api"
        if path is None or port is None:
            backend = "none"
            path = _api_path(cluster, svc, sp, node, address)
            port = _stand_in(sp, path)
        lost = path.dropped + path.rejected + path.unhandled
        pods = tuple(PodShare(e.pod, e.address, e.port, e.node, e.share) for e in path.endpoints)
        rows.append(NodeSpread(node, share, source, backend, ready_nodes.get(node, 0), lost, pods,
                               _how(backend, path, port, _cilium_algorithm(cluster) if backend == "cilium" else ""),
                               path.chain, path.masquerade))
        plans.append(NodePlan(node, share, backend, port, path))
    first: dict[tuple[str, int], PodShare] = {}
    total: dict[tuple[str, int], float] = {}
    lost_total = 0.0 if entry else 1.0
    for row in rows:
        lost_total += row.share * row.lost
        for pod in row.pods:
            key = (pod.address, pod.port)
            first.setdefault(key, pod)
            total[key] = total.get(key, 0.0) + row.share * pod.share
    pods = tuple(PodShare(p.pod, p.address, p.port, p.node, total[k]) for k, p in first.items())
    return PortPlan(PortSpread(sp.name, sp.protocol, sp.port, sp.node_port, tuple(rows), pods, lost_total),
                    tuple(plans))

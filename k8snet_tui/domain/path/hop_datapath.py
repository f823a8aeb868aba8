"""Hop `datapath`: the rules of the node the packet leaves from (kube-proxy's iptables or
nftables, IPVS, Cilium) DNAT the Service's address and port to the endpoints the API lists.

This is the Services pane's trace (domain/services.py) read for one entry point: a pod or a
node dialling a ClusterIP, NodePort or LB address takes the cluster path (kube-proxy sends
pod- and node-sourced traffic there); a client outside the cluster takes the external path of
the node it reached, where `externalTrafficPolicy: Local` drops it when that node has no
endpoint. No node state is "unknown", never a guess.
"""

from __future__ import annotations

from ..datapath.backend import Datapath
from ..model import NodeState, key_of
from ..services import PathTrace, PortTrace, trace_service
from .model import FAIL, OK, UNKNOWN, Evidence, Hop
from .walk import Resolved, Walk, datapath_of

MAX_SHOWN = 5


def _has_dumps(node: NodeState) -> bool:
    return bool(node.iptables) or node.nft_ruleset is not None or node.ipvsadm is not None \
        or node.cilium_services is not None


def _pick_path(port: PortTrace, resolved: Resolved, outside: bool) -> PathTrace | None:
    if not outside:
        return next((p for p in port.paths if p.path == "cluster"), None)
    for p in port.paths:
        if p.path == "external" and p.entry.kind == resolved.entry and (
                resolved.entry == "node-port" or p.entry.address == resolved.address):
            return p
    return None


def datapath_hop(walk: Walk, resolved: Resolved) -> Hop:
    svc, sp = resolved.service, resolved.service_port
    assert svc is not None and sp is not None
    key = key_of(svc)
    node_name = walk.node
    see = f"trace {key}:{sp.name or sp.port}"
    node = walk.node_state(node_name)
    if node is None:
        return Hop("datapath", UNKNOWN, f"the rules of node {node_name or '?'} were not read",
                   reason=walk.missing_node(node_name), see=see)
    dp: Datapath = walk.datapath if walk.datapath is not None and walk.datapath.node == node_name \
        else datapath_of(node, walk.cluster)
    if dp.backend == "none":
        if not _has_dumps(node):
            return Hop("datapath", UNKNOWN, f"node {node_name}'s state has no rule dump",
                       reason="no iptables, nftables, IPVS or Cilium state was read on that node", see=see)
        return Hop("datapath", FAIL, f"no kube-proxy rules at all on node {node_name}",
                   (Evidence("rule", "nat KUBE-SERVICES", "; ".join(dp.reasons)),),
                   fix=f"kube-proxy (or the CNI's replacement) has not programmed node {node_name}: check that it "
                       "runs there and read its log", see=see)
    ns, name = key.split("/", 1)
    trace = trace_service(walk.cluster, node, ns, name, port=sp.name or sp.port, datapath=dp)
    port = next((p for p in trace.ports if p.port == sp.port and p.protocol == sp.protocol), None)
    if port is None:
        return Hop("datapath", UNKNOWN, "the trace has no such port", reason="the Service port was not traced",
                   see=see)
    codes = {f.code: f.message for f in port.findings}
    outside = walk.source.kind == "outside"
    spn = f"{key}:{sp.name or sp.port}"
    if "no-kube-proxy-rules" in codes:
        return Hop("datapath", FAIL, f"node {node_name} has no {dp.backend} rules for {spn}",
                   (Evidence("rule", dp.backend, codes["no-kube-proxy-rules"]),),
                   fix=f"kube-proxy on {node_name} has not written this Service's rules (stopped, or behind): "
                       "check it runs there and read its log", see=see)
    path = _pick_path(port, resolved, outside)
    if path is None:
        return Hop("datapath", UNKNOWN, f"no {('external' if outside else 'cluster')} path for {spn} on {node_name}",
                   reason="the trace found no rule for this entry point", see=see)
    ev = [Evidence("rule", path.chain or dp.backend,
                   f"{path.entry.kind} {path.entry.address or 'any node address'}:{path.entry.port} on {node_name} "
                   f"({dp.backend})")]
    ev += [Evidence("rule", e.chain or "DNAT", f"{e.share * 100:.0f}% -> {e.address}:{e.port} {e.pod or ''}".rstrip())
           for e in path.endpoints[:MAX_SHOWN]]
    lost = path.dropped + path.rejected
    if lost >= 0.999 or not path.endpoints:
        if "local-only-drop" in codes:
            with_local = sorted({e.node for e in walk.endpoints if e.node})
            where = f" (nodes with an endpoint: {', '.join(with_local)})" if with_local else ""
            return Hop("datapath", FAIL, f"node {node_name} drops it: externalTrafficPolicy Local and no local "
                       "endpoint", tuple(ev), fix=f"send the client to a node that runs an endpoint{where}, or set "
                       "externalTrafficPolicy: Cluster on the Service", see=see)
        how = "rejects" if path.rejected >= path.dropped else "drops"
        return Hop("datapath", FAIL, f"node {node_name} {how} new connections to {spn}", tuple(ev),
                   fix="the rules have no endpoint for it: see the endpoints hop", see=see)
    narrowed = port.traffic_policy.internal == "Local" or "topology-hints-used" in codes
    stale = _stale(walk, path, narrowed)
    if stale:
        return Hop("datapath", FAIL, f"node {node_name}'s rules disagree with the API for {spn}", tuple(ev)
                   + tuple(Evidence("rule", spn, s) for s in stale),
                   fix=f"kube-proxy on {node_name} is behind the API (stale or missing rules): check it runs and "
                       "is not failing to sync (its log, its sync metrics)", see=see)
    share = sum(e.share for e in path.endpoints)
    extra = f"; {lost * 100:.0f}% dropped" if lost > 0.001 else ""
    return Hop("datapath", OK, f"{path.chain or dp.backend} on {node_name} DNATs to {len(path.endpoints)} "
               f"endpoint(s) ({share * 100:.0f}% of new connections{extra})", tuple(ev), see=see)


def _stale(walk: Walk, path: PathTrace, narrowed: bool) -> list[str]:
    """Endpoints the rules send to that the API does not list, and API endpoints the rules lack."""
    kernel = {(e.address, e.port) for e in path.endpoints if e.share > 0}
    api = {(e.address, e.port) for e in walk.endpoints if e.port is not None}
    if not api:
        return []
    out = [f"rules DNAT to {a}:{p}, which no ready endpoint has" for a, p in sorted(kernel - api)]
    # the external path of a Local policy, internalTrafficPolicy Local and topology hints hold a subset
    if walk.source.kind != "outside" and not narrowed:
        out += [f"endpoint {a}:{p} is missing from the rules" for a, p in sorted(api - kernel)]
    return out

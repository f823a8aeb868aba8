"""`diagnose(observed, FROM, TO)`: the hops a connection meets, in order, each judged.

dns -> service -> endpoints -> port -> datapath -> network -> policy (-> route for URLs). The
first failing hop is the answer; the hops after it are still judged where they can be (the
pane greys them). A hop without the data it needs is "unknown" with the reason, never "ok".
Each hop is the question an existing view answers (the DNS plan, the Service index, the trace,
the pod path, the policy evaluator, the route tester): this module only chains them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from ..datapath.backend import Datapath
from ..model import Observed
from .hop_datapath import datapath_hop
from .hop_dns import dns_hop
from .hop_endpoints import endpoints_hop
from .hop_network import network_hop
from .hop_policy import policy_hop
from .hop_port import port_hop
from .hop_route import route_hop
from .hop_service import service_hop
from .model import FAIL, Diagnosis, Hop, finish
from .target import parse_destination, parse_source
from .walk import Resolved, Walk


def diagnose(observed: Observed, source: str, destination: str, *, node: str | None = None,
             node_errors: Mapping[str, str] | None = None, datapath: Datapath | None = None) -> Diagnosis:
    """Raises PathInputError (in words) for a source or destination that cannot be asked about.

    `node` overrides the node whose datapath is read (default: the source pod's or node's; for
    an outside client, the node whose address it dials). `node_errors`: why a node's state is
    missing, for the unknown verdicts. `datapath`: a parsed datapath of that node to reuse.
    """
    cluster = observed.cluster
    src = parse_source(cluster, source)
    target = parse_destination(destination)
    walk = Walk(observed, src, target, node or src.node or "", dict(node_errors or {}), datapath)
    hops: list[Hop] = []
    addresses: tuple[str, ...] = (target.host,)
    cname = assumed = ""
    if not _is_address(target.host):
        hop, answer = dns_hop(walk)
        hops.append(hop)
        addresses, cname, assumed = answer.addresses, answer.cname, answer.assumed
        if not addresses and not cname and not assumed:
            return _done(walk, hops, None)
    hop, resolved = service_hop(walk, addresses, cname, assumed)
    hops.append(_outside_cluster_ip(walk, hop, resolved))
    if resolved.kind in ("service", "node-port") and resolved.service_port is not None:
        if not walk.node:
            walk.node = resolved.node or observed.local_node
        hops.append(endpoints_hop(walk, resolved))
        hops.append(port_hop(walk, resolved))
        hops.append(datapath_hop(walk, resolved))
    elif resolved.kind in ("pod", "headless"):
        hops.append(port_hop(walk, resolved))
    if resolved.kind in ("service", "node-port", "pod", "headless"):
        start = src.node if src.kind != "outside" else (resolved.node or walk.node)
        hops.append(network_hop(walk, walk.endpoints, start))
    if resolved.kind in ("service", "node-port", "pod", "headless", "outside"):
        hops.append(policy_hop(walk, resolved, walk.endpoints))
    if target.kind == "url":
        hops.append(route_hop(walk, resolved))
    return _done(walk, hops, resolved)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _outside_cluster_ip(walk: Walk, hop: Hop, resolved: Resolved) -> Hop:
    """A ClusterIP answers only inside the cluster: an outside client's packet never gets there."""
    if walk.source.kind != "outside" or resolved.entry != "cluster-ip" or hop.verdict == FAIL:
        return hop
    svc = resolved.service
    sp = resolved.service_port
    node_port = f" (NodePort {sp.node_port} on a node's address)" if sp is not None and sp.node_port else ""
    return Hop("service", FAIL, f"{resolved.address} is a ClusterIP: it answers only inside the cluster",
               hop.evidence, fix=f"from outside, dial the Service's NodePort, load-balancer or external IP{node_port}",
               see=hop.see) if svc is not None else hop


def _done(walk: Walk, hops: list[Hop], resolved: Resolved | None) -> Diagnosis:
    walked, first, verdict = finish(hops)
    dial = None
    if resolved is not None and resolved.address and resolved.port is not None and not resolved.assumed:
        host = f"[{resolved.address}]" if ":" in resolved.address else resolved.address
        dial = f"{host}:{resolved.port}"
    return Diagnosis(verdict == "reachable", verdict, first, walked, walk.source.text, walk.target.text,
                     walk.node, walk.source.ip, dial, walk.target, walk.endpoints)

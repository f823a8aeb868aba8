"""Hop `network`: from the node the packet leaves to each endpoint's node. Same node: the
kernel hands it veth to veth. Across nodes: the CNI's overlay, or a native route the host
network must carry; the answer is the Pod network pane's (domain/layers/podpath.py), from the
CNI's settings or the source node's routes.
"""

from __future__ import annotations

from typing import Any

from ..layers.kernel import best_route, read_kernel
from ..layers.nodes import node_pod_cidrs
from ..layers.podpath import pod_path
from ..model import NodeState, Obj
from .model import FAIL, OK, UNKNOWN, Endpoint, Evidence, Hop
from .walk import Walk, node_ip


def _host_end(walk: Walk, node: str) -> Obj:
    """A stand-in pod for traffic that starts in a node's own network namespace."""
    return {"metadata": {"namespace": "node", "name": node}, "spec": {"nodeName": node, "hostNetwork": True},
            "status": {"podIP": node_ip(walk.cluster, node) or node}}


def _ep_pod(walk: Walk, ep: Endpoint) -> Obj:
    pod = walk.endpoint_pods.get(ep.pod)
    if pod is not None:
        return pod
    return {"metadata": {"namespace": "", "name": ep.address}, "spec": {"nodeName": ep.node},
            "status": {"podIP": ep.address}}


def network_hop(walk: Walk, endpoints: tuple[Endpoint, ...], start_node: str) -> Hop:
    if not endpoints:
        return Hop("network", UNKNOWN, "no endpoint to reach", reason="the hops before found no endpoint")
    src = walk.source
    start: Obj | None = src.pod if src.kind == "pod" else None
    if start is None:
        start = _host_end(walk, start_node)
    node_state = walk.node_state(start_node)
    by_node: dict[str, Endpoint] = {}
    for ep in endpoints:
        by_node.setdefault(ep.node, ep)
    results: list[tuple[str, str, str]] = []  # verdict, node, words
    cache = _cache(walk, start_node)
    for node, ep in list(by_node.items())[:20]:
        if not node:
            results.append((UNKNOWN, "?", f"{ep.pod or ep.address} has no node in the API"))
            continue
        key = (start_node, node, src.key if src.kind == "pod" and node == start_node else "")
        if key not in cache:
            cache[key] = _between(walk, node_state, start, start_node, node, ep)
        results.append(cache[key])
    evidence = [Evidence("route", f"{start_node} -> {n}", w) for _, n, w in results]
    see = "show pods"
    bad = [r for r in results if r[0] == FAIL]
    if bad:
        return Hop("network", FAIL, f"no way from {start_node} to {bad[0][1]}", tuple(evidence[:6]),
                   fix=bad[0][2], see=see)
    unknown = [r for r in results if r[0] == UNKNOWN]
    if unknown:
        return Hop("network", UNKNOWN, f"the way from {start_node} to {unknown[0][1]} cannot be told",
                   tuple(evidence[:6]), reason=unknown[0][2], see=see)
    nodes = ", ".join(r[1] for r in results)
    return Hop("network", OK, f"{start_node} reaches the endpoint node(s) {nodes}", tuple(evidence[:6]), see=see)


def _cache(walk: Walk, start_node: str) -> dict[tuple[str, str, str], tuple[str, str, str]]:
    """Verdicts between two nodes depend on the cluster state and the start node's kernel state only:
    kept with that node state (or with the cluster state when there is none) and reused."""
    holder = walk.observed.nodes.get(start_node)
    owner: Any = holder if holder is not None else walk.cluster
    held = owner.__dict__.get("_path_network")
    if not (isinstance(held, tuple) and held[0] is walk.cluster):
        held = (walk.cluster, {})
        owner.__dict__["_path_network"] = held  # frozen: bypass __setattr__, as ClusterState.memo does
    cache: dict[tuple[str, str, str], tuple[str, str, str]] = held[1]
    return cache


def _between(walk: Walk, node_state: NodeState | None, start: Obj, start_node: str, node: str,
             ep: Endpoint) -> tuple[str, str, str]:
    path = pod_path(walk.cluster, node_state, start, _ep_pod(walk, ep))
    if path.error or path.kind == "unknown":
        return UNKNOWN, node, path.error or "the path cannot be told"
    if path.kind in ("same-node", "same-pod"):
        return OK, node, f"same node {node}: the kernel routes it veth to veth"
    if path.mechanism == "overlay":
        return OK, node, f"{start_node} -> {node}: {path.protocol or 'overlay'} (UDP {path.udp_port or '?'}), " \
                         f"{path.decided_by}"
    if path.mechanism == "native":
        return OK, node, f"{start_node} -> {node}: native route, {path.decided_by}"
    return _no_mechanism(walk, node_state is not None, start_node, node)


def _no_mechanism(walk: Walk, have_state: bool, start: str, node: str) -> tuple[str, str, str]:
    if not have_state:
        return UNKNOWN, node, walk.missing_node(start)
    kernel = read_kernel(walk.node_state(start))
    if not kernel.routes:
        return UNKNOWN, node, f"no routes of {start} were read, so how it reaches {node}'s pods cannot be told"
    target = walk.cluster.get("Node", "", node)
    for cidr in node_pod_cidrs(target):
        route = best_route(kernel.routes, cidr)
        if route is None:
            return FAIL, node, (f"{start} has no route to {node}'s pod CIDR {cidr}, not even a default route: "
                                "the CNI has not programmed this node")
        if route.dst == "default":
            return UNKNOWN, node, (f"only {start}'s default route ({route.describe()}) covers {node}'s pod CIDR "
                                   f"{cidr}: whether the network beyond routes pod addresses cannot be told")
    return UNKNOWN, node, f"{node} has no pod CIDR in the API, and no CNI setting tells how it is reached"

"""The host network (the cloud's VPC): the node's interfaces, routes and neighbours, and the other nodes.

This is the middle of the lab's three IP spaces. Besides listing what the kernel holds, the
view answers the question the lab asks of it: where does this node send each node's pod CIDR?
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model import ClusterState, NodeState
from ..sanitize import clean
from .kernel import Interface, Neighbour, Route, Rule, best_route, read_kernel, routes_inside
from .nodes import ApiNode, api_nodes

MORE_COMMAND = "sudo k8snet probe"
CAPTURE_COMMAND = "k8snet capture"
OVERLAY_KINDS = frozenset({"vxlan", "geneve", "flannel.1", "ipip", "wireguard"})


def more_hint(node: NodeState | None) -> str:
    """What to run for kernel state when it is missing, with the reason in words."""
    why = "no kernel state was read for this node (reading it needs root on the node)"
    if node is not None and node.errors:
        why = f"{why}: {clean(node.errors[0])}"
    return f"{why}. Run `{MORE_COMMAND}` on the node, or `{CAPTURE_COMMAND}` there to save a snapshot."


@dataclass(frozen=True)
class PodCidrRoute:
    """Where the local kernel sends one node's pod CIDR.

    JSON: node, cidr, local (the CIDR belongs to this node), route (`dst via gw dev d`, "" when no
    route covers it), dev, dev_kind, gateway, gateway_node (the node whose InternalIP is the
    gateway), more_specific (count of narrower routes inside the CIDR, e.g. one per local pod),
    words (how the packets travel).
    """

    node: str
    cidr: str
    local: bool
    route: str
    dev: str
    dev_kind: str
    gateway: str
    gateway_node: str
    more_specific: int
    words: str

    def to_json(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "cidr": self.cidr,
            "local": self.local,
            "route": self.route,
            "dev": self.dev,
            "dev_kind": self.dev_kind,
            "gateway": self.gateway,
            "gateway_node": self.gateway_node,
            "more_specific": self.more_specific,
            "words": self.words,
        }


@dataclass(frozen=True)
class NeighbourRow:
    """A neighbour entry with who it is. JSON: the neighbour's fields plus `is` (node name,
    `default gateway`, or "")."""

    neighbour: Neighbour
    who: str

    def to_json(self) -> dict[str, Any]:
        return {**self.neighbour.to_json(), "is": self.who}


@dataclass(frozen=True)
class HostView:
    """`k8snet show host --json`.

    JSON: node, has_kernel_state, more (what to run for more, "" when nothing is missing),
    interfaces, routes (every table; `table` names it), rules (policy routing), default_gateways
    (`gw dev d` strings from the main table), pod_cidr_routes, neighbours, nodes (from the API),
    errors (what could not be read).
    """

    node: str
    has_kernel_state: bool
    more: str
    interfaces: tuple[Interface, ...]
    routes: tuple[Route, ...]
    rules: tuple[Rule, ...]
    default_gateways: tuple[str, ...]
    pod_cidr_routes: tuple[PodCidrRoute, ...]
    neighbours: tuple[NeighbourRow, ...]
    nodes: tuple[ApiNode, ...]
    errors: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "has_kernel_state": self.has_kernel_state,
            "more": self.more,
            "interfaces": [i.to_json() for i in self.interfaces],
            "routes": [r.to_json() for r in self.routes],
            "rules": [r.to_json() for r in self.rules],
            "default_gateways": list(self.default_gateways),
            "pod_cidr_routes": [r.to_json() for r in self.pod_cidr_routes],
            "neighbours": [n.to_json() for n in self.neighbours],
            "nodes": [n.to_json() for n in self.nodes],
            "errors": list(self.errors),
        }


def _cidr_words(local: bool, route: Route | None, dev_kind: str, gateway_node: str, inner: int,
                has_routes: bool = True) -> str:
    per_pod = f"; {inner} narrower route(s) inside it, one per local pod" if inner else ""
    if route is None:
        if not has_routes:
            return "unknown: no routes were read from this node"
        if inner:
            return f"no single route covers it{per_pod}"
        return "no route: this node cannot reach these pods"
    if route.dst == "default":
        return "no specific route: it follows the default route out of the host" + per_pod
    if dev_kind == "cilium_host":
        return "handed to cilium_host, where Cilium's eBPF programs deliver or tunnel it" + per_pod
    if dev_kind in OVERLAY_KINDS:
        return f"overlay: {route.dev} ({dev_kind}) wraps the packets for the other node" + per_pod
    if local:
        return f"delivered on this host through {route.dev} ({dev_kind or 'unknown kind'})" + per_pod
    if gateway_node:
        return f"native routing: sent as-is to node {gateway_node} through {route.dev}" + per_pod
    if route.gateway:
        return f"sent to gateway {route.gateway}, which is not a known node" + per_pod
    return f"sent out of {route.dev} ({dev_kind or 'unknown kind'})" + per_pod


def _pod_cidr_routes(nodes: tuple[ApiNode, ...], routes: tuple[Route, ...], kinds: dict[str, str]) -> tuple[PodCidrRoute, ...]:
    by_ip = {ip: n.name for n in nodes for ip in n.internal_ips}
    out = []
    for api_node in nodes:
        for pod_cidr in api_node.pod_cidrs:
            route = best_route(routes, pod_cidr)
            inner = len(routes_inside(routes, pod_cidr))
            dev_kind = kinds.get(route.dev, "") if route else ""
            gateway_node = by_ip.get(route.gateway, "") if route else ""
            out.append(
                PodCidrRoute(
                    node=api_node.name,
                    cidr=pod_cidr,
                    local=api_node.local,
                    route=route.describe() if route else "",
                    dev=route.dev if route else "",
                    dev_kind=dev_kind,
                    gateway=route.gateway if route else "",
                    gateway_node=gateway_node,
                    more_specific=inner,
                    words=_cidr_words(api_node.local, route, dev_kind, gateway_node, inner, bool(routes)),
                )
            )
    return tuple(out)


def build_host_view(cluster: ClusterState | None, node: NodeState | None) -> HostView:
    """The host-network view of `node` (the kernel we could read) in the light of the API's nodes."""
    kernel = read_kernel(node)
    nodes = api_nodes(cluster, node, kernel)
    has_state = node is not None and node.has_kernel_state
    defaults = tuple(
        f"{r.gateway or '(direct)'} dev {r.dev}" + (f" ({r.family})" if r.family != "inet" else "")
        for r in kernel.routes
        if r.forwards and r.dst == "default"
    )
    gateways = {r.gateway for r in kernel.routes if r.forwards and r.dst == "default" and r.gateway}
    by_ip = {ip: n.name for n in nodes for ip in n.internal_ips}
    neighbours = tuple(
        NeighbourRow(n, f"node {by_ip[n.ip]}" if n.ip in by_ip else ("default gateway" if n.ip in gateways else ""))
        for n in kernel.neighbours
    )
    kinds = {i.name: i.kind for i in kernel.interfaces}
    errors = tuple(clean(e) for e in (node.errors if node is not None else ())) + kernel.skipped
    return HostView(
        node=clean(node.node) if node is not None else "",
        has_kernel_state=has_state,
        more="" if has_state else more_hint(node),
        interfaces=kernel.interfaces,
        routes=kernel.routes,
        rules=kernel.rules,
        default_gateways=defaults,
        pod_cidr_routes=_pod_cidr_routes(nodes, kernel.routes, kinds),
        neighbours=neighbours,
        nodes=nodes,
        errors=errors,
    )

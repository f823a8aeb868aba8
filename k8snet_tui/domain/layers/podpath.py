"""How a packet gets from one pod to another: a short list of hops for a chosen pair.

The lab's lesson in one picture: pods on one node talk through the kernel; pods on two nodes
talk through an overlay (UDP between node IPs) or through routes the host network carries. The
mechanism comes from the CNI's settings when known, else from the local route to the other
node's pod CIDR, and the answer says which it used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model import ClusterState, NodeState, Obj, dig, dig_list, dig_str, name_of, namespace_of
from ..sanitize import clean
from .cni import OVERLAY_PORTS, cilium_settings, detect_cni
from .kernel import Kernel, best_route, read_kernel
from .nodes import node_pod_cidrs
from .podnet import host_end, pod_ips

FLANNEL_PORT = 8472  # the Linux kernel's VXLAN default, which Flannel keeps


@dataclass(frozen=True)
class PathEnd:
    """JSON: pod (ns/name), ip, node, host_network, node_ip (the node's first InternalIP)."""

    pod: str
    ip: str
    node: str
    host_network: bool
    node_ip: str

    def to_json(self) -> dict[str, Any]:
        return {"pod": self.pod, "ip": self.ip, "node": self.node, "host_network": self.host_network,
                "node_ip": self.node_ip}


@dataclass(frozen=True)
class PodPath:
    """`pod_path` answer.

    JSON: a, b (ends, null when not found), kind (same-pod | same-node | cross-node | unknown),
    mechanism (loopback | kernel | overlay | native | unknown), protocol (vxlan | geneve | ""),
    udp_port (on the wire between nodes, null unless overlay), decided_by (words), steps
    (ordered words, one per hop), error ("" when both pods were found).
    """

    a: PathEnd | None
    b: PathEnd | None
    kind: str
    mechanism: str
    protocol: str
    udp_port: int | None
    decided_by: str
    steps: tuple[str, ...]
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a.to_json() if self.a else None,
            "b": self.b.to_json() if self.b else None,
            "kind": self.kind,
            "mechanism": self.mechanism,
            "protocol": self.protocol,
            "udp_port": self.udp_port,
            "decided_by": self.decided_by,
            "steps": list(self.steps),
            "error": self.error,
        }


def _find(cluster: ClusterState, ref: object) -> Obj | None:
    if isinstance(ref, dict):
        return ref
    if not isinstance(ref, str) or "/" not in ref:
        return None
    ns, _, name = ref.partition("/")
    return cluster.get("Pod", ns, name)


def _node_ip(cluster: ClusterState, node_name: str) -> str:
    for node in cluster.of("Node"):
        if name_of(node) == node_name:
            for addr in dig_list(node, "status", "addresses"):
                if dig_str(addr, "type") == "InternalIP" and dig_str(addr, "address"):
                    return clean(dig_str(addr, "address"))
    return ""


def _end(cluster: ClusterState, pod: Obj) -> PathEnd:
    ips = pod_ips(pod)
    node_name = clean(dig_str(pod, "spec", "nodeName"))
    return PathEnd(
        pod=clean(f"{namespace_of(pod)}/{name_of(pod)}"),
        ip=ips[0] if ips else "",
        node=node_name,
        host_network=dig(pod, "spec", "hostNetwork") is True,
        node_ip=_node_ip(cluster, node_name),
    )


def _mechanism(cluster: ClusterState, kernel: Kernel, b: PathEnd) -> tuple[str, str, int | None, str]:
    """(mechanism, protocol, udp port, decided_by) for traffic towards pod b's node."""
    cilium = cilium_settings(cluster)
    if cilium is not None and cilium.routing_mode in ("tunnel", "native"):
        how = f"{cilium.source} ({cilium.routing_from})"
        if cilium.routing_mode == "tunnel":
            return "overlay", cilium.tunnel_protocol, cilium.overlay_port, how
        return "native", "", None, how
    target = next((n for n in cluster.of("Node") if name_of(n) == b.node), None)
    for pod_cidr in node_pod_cidrs(target):
        route = best_route(kernel.routes, pod_cidr)
        if route is None or route.dst == "default":
            continue
        iface = kernel.interface(route.dev)
        kind = iface.kind if iface else ""
        how = f"local route {route.describe()}"
        if kind == "flannel.1":
            return "overlay", "vxlan", (iface.udp_port if iface else None) or FLANNEL_PORT, how
        if kind in OVERLAY_PORTS:
            return "overlay", kind, iface.udp_port if iface else None, how
        if route.gateway and route.gateway == b.node_ip:
            return "native", "", None, how
    guesses = detect_cni(cluster, kernel)
    if guesses and guesses[0].name == "Flannel":
        return "overlay", "vxlan", FLANNEL_PORT, "Flannel detected; VXLAN is its default backend (assumed)"
    return "unknown", "", None, "no CNI setting or local route tells"


def _hostend_words(kernel: Kernel, node: NodeState | None, end: PathEnd) -> str:
    if node is not None and end.node in (node.node, node.hostname):
        found = host_end(kernel, end.ip)
        if found is not None:
            return f"its host end {found.interface} ({found.kind or 'unknown kind'})"
    return "its veth's host end"


def pod_path(cluster: ClusterState | None, node: NodeState | None, pod_a: object, pod_b: object) -> PodPath:
    """Hops from pod_a to pod_b (each `ns/name` or a Pod dict), using `node`'s kernel where it helps."""
    if cluster is None:
        return PodPath(None, None, "unknown", "unknown", "", None, "", (), error="no cluster state")
    kernel = read_kernel(node)
    found_a, found_b = _find(cluster, pod_a), _find(cluster, pod_b)
    a = _end(cluster, found_a) if found_a is not None else None
    b = _end(cluster, found_b) if found_b is not None else None
    if a is None or b is None:
        missing = [clean(str(ref)) for ref, end in ((pod_a, a), (pod_b, b)) if end is None]
        return PodPath(a, b, "unknown", "unknown", "", None, "", (), error=f"pod not found: {', '.join(missing)}")
    if not a.ip or not b.ip or not a.node or not b.node:
        return PodPath(a, b, "unknown", "unknown", "", None, "", (),
                       error="a pod has no IP or node yet (not scheduled or not started)")
    if a.pod == b.pod:
        return PodPath(a, b, "same-pod", "loopback", "", None, "same pod",
                       (f"{a.pod} talks to itself over its own loopback or its own IP; nothing leaves the pod",))
    start = (f"{a.pod} ({a.ip}) shares node {a.node}'s network namespace: its packet starts in the host stack"
             if a.host_network else f"{a.pod} ({a.ip}) sends from its eth0 into {_hostend_words(kernel, node, a)} on {a.node}")
    finish = (f"{b.pod} ({b.ip}) uses node {b.node}'s own network namespace: the host stack delivers it"
              if b.host_network else f"{b.pod}'s eth0 ({b.ip}) receives it through {_hostend_words(kernel, node, b)}")
    if a.node == b.node:
        same_node: tuple[str, ...] = (
            start, f"the kernel of {a.node} routes {b.ip} to the other pod's veth (no host network, no encapsulation)", finish)
        return PodPath(a, b, "same-node", "kernel", "", None, "both pods on one node", same_node)
    mechanism, protocol, port, decided = _mechanism(cluster, kernel, b)
    src, dst = a.node_ip or a.node, b.node_ip or b.node
    if mechanism == "overlay":
        port_words = f"UDP {port}" if port else "UDP"
        wire = (f"{a.node} wraps it in {protocol.upper() or 'an overlay'} ({port_words}): outer {src} -> {dst}, "
                f"inner {a.ip} -> {b.ip} unchanged")
        arrive = f"{b.node} unwraps it and routes {b.ip} locally"
    elif mechanism == "native":
        wire = f"{a.node} sends it unchanged ({a.ip} -> {b.ip}) to {dst}: the host network must route pod addresses"
        arrive = f"{b.node} receives it and routes {b.ip} locally"
    else:
        wire = f"{a.node} forwards it towards {b.node} ({dst}); overlay or native routing could not be told"
        arrive = f"{b.node} routes {b.ip} locally"
    steps = (start, wire, arrive, finish)
    return PodPath(a, b, "cross-node", mechanism, protocol, port, decided, steps)

"""Tunnel mode vs devices and routes, and pod CIDRs vs routes, on one node whose kernel was read.

The routes are judged the way the kernel uses them: the longest-prefix main-table route for
another node's pod CIDR (or a pod's address) says where a packet to it goes next. A route
through the tunnel device (or Cilium's `cilium_host`, whose eBPF program does the wrapping)
means "encapsulated"; a route through the device that holds the node's own address, or a gateway
on it, means "sent unwrapped over the host network".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..layers import cidr
from ..layers.kernel import Interface, Kernel, Route
from ..model import ClusterState, Obj, dig, dig_list, dig_str, name_of
from ..sanitize import clean
from .findings import AGREE, DISAGREE, NOT_CHECKED, Check
from .plugins import EITHER, NATIVE, TUNNEL, Expectation

TUNNEL_KINDS = frozenset({"vxlan", "geneve", "ipip", "flannel.1"})
MAX_OTHER_NODES = 300  # other nodes whose pod CIDRs get a check each; the rest are counted
MAX_NAMED = 3  # pods named in one check's words


@dataclass(frozen=True)
class NodeFacts:
    """The API's picture of one node: its addresses, pod CIDRs (and whence), and its pods."""

    name: str
    internal_ips: tuple[str, ...]
    pod_cidrs: tuple[str, ...]
    cidr_source: str
    pod_ips: tuple[tuple[str, str], ...]  # (ns/name, first IP) of running non-hostNetwork pods


def node_facts(cluster: ClusterState, expectation: Expectation | None) -> dict[str, NodeFacts]:
    """Every Node object's facts, keyed by name (pods grouped in one pass over the pods)."""
    cilium_cidrs: dict[str, tuple[str, ...]] = {}
    if expectation is not None and expectation.uses_cilium_nodes:
        for cnode in cluster.of("CiliumNode"):
            values = tuple(clean(v) for v in dig_list(cnode, "spec", "ipam", "podCIDRs") if isinstance(v, str))
            if values:
                cilium_cidrs[clean(name_of(cnode))] = values
    pods: dict[str, list[tuple[str, str]]] = {}
    global _LAST_PODS
    last = _LAST_PODS
    kept: dict[int, tuple[Obj, tuple[str, tuple[str, str]] | None]] = {}
    for pod in cluster.of("Pod"):
        hit = last.get(id(pod))
        entry = kept[id(pod)] = hit if hit is not None and hit[0] is pod else (pod, _pod_fact(pod))
        if entry[1] is not None:
            pods.setdefault(entry[1][0], []).append(entry[1][1])
    _LAST_PODS = kept
    out: dict[str, NodeFacts] = {}
    for obj in cluster.of("Node"):
        name = clean(name_of(obj))
        ips = tuple(clean(dig_str(a, "address")) for a in dig_list(obj, "status", "addresses")
                    if dig_str(a, "type") == "InternalIP" and dig_str(a, "address"))
        from_node = tuple(clean(c) for c in dig_list(obj, "spec", "podCIDRs") if isinstance(c, str)) or \
            ((clean(dig_str(obj, "spec", "podCIDR")),) if dig_str(obj, "spec", "podCIDR") else ())
        if name in cilium_cidrs:
            cidrs, source = cilium_cidrs[name], f"CiliumNode {name} spec.ipam.podCIDRs"
        else:
            cidrs, source = from_node, f"Node {name} spec.podCIDRs"
        out[name] = NodeFacts(name, ips, cidrs, source, tuple(pods.get(name, ())))
    return out


def _pod_fact(pod: Obj) -> tuple[str, tuple[str, str]] | None:
    """(node, (ns/name, first IP)) of a running non-hostNetwork pod with a node and an IP."""
    node = clean(dig_str(pod, "spec", "nodeName"))
    ip = _first_ip(pod)
    if node and ip and dig(pod, "spec", "hostNetwork") is not True and \
            dig_str(pod, "status", "phase") in ("Running", "Pending", ""):
        return node, (clean(f"{dig_str(pod, 'metadata', 'namespace')}/{name_of(pod)}"), ip)
    return None


# A pod's fact is a function of its object alone, and the live store keeps every pod nobody
# wrote as the same object: the last build's facts, by id (the pod held, so the id stays its
# own), are reused for those, so at 1,000 pod updates a second a state's facts read ~1,000 pods,
# not every one. Replaced as a whole by each build: racing builds only lose reuse.
_LAST_PODS: dict[int, tuple[Obj, tuple[str, tuple[str, str]] | None]] = {}


def _first_ip(pod: Obj) -> str:
    for entry in dig_list(pod, "status", "podIPs"):
        if dig_str(entry, "ip"):
            return clean(dig_str(entry, "ip"))
    return clean(dig_str(pod, "status", "podIP"))


@dataclass(frozen=True)
class _Node:
    """One node whose kernel was read, with what the checks keep asking of it."""

    name: str
    kernel: Kernel
    facts: NodeFacts | None
    underlay: frozenset[str]  # devices holding the node's InternalIPs or its default route
    table: _RouteTable

    def iface(self, name: str) -> Interface | None:
        return self.kernel.interface(name)

    def route_for(self, target: str) -> Route | None:
        return self.table.lookup(target)


class _RouteTable:
    """`best_route` over one node's routes, each parsed once and found by prefix length.

    `best_route` parses every route for every question; asked for each other node's CIDR and
    each local pod on a 5,000-node cluster that is 25 million parses. Here a question costs one
    dictionary probe per prefix length in use. Same answer: the longest covering main-table
    unicast route, the lowest metric among equals.
    """

    def __init__(self, routes: tuple[Route, ...]) -> None:
        self._by_len: dict[tuple[int, int], dict[int, Route]] = {}
        for route in routes:
            net = route.prefix if route.forwards else None
            if net is None:
                continue
            bucket = self._by_len.setdefault((net.version, net.prefixlen), {})
            key = int(net.network_address)
            kept = bucket.get(key)
            if kept is None or (route.metric or 0) < (kept.metric or 0):
                bucket[key] = route
        self._lengths = sorted(self._by_len, key=lambda vl: -vl[1])

    def lookup(self, target: str) -> Route | None:
        net = cidr.parse_prefix(target)
        if net is None:
            return None
        bits = net.max_prefixlen
        address = int(net.network_address)
        for version, length in self._lengths:
            if version != net.version or length > net.prefixlen:
                continue
            mask = ((1 << length) - 1) << (bits - length) if length else 0
            hit = self._by_len[(version, length)].get(address & mask)
            if hit is not None:
                return hit
        return None


def _underlay(kernel: Kernel, facts: NodeFacts | None) -> frozenset[str]:
    devices = {r.dev for r in kernel.routes if r.forwards and r.dst == "default" and r.dev}
    ips = set(facts.internal_ips) if facts else set()
    devices |= {i.name for i, a in kernel.local_addresses() if a.address in ips}
    return frozenset(devices)


def _is_tunnel(node: _Node, route: Route, expectation: Expectation | None) -> bool:
    if expectation is not None and route.dev in expectation.via_devices + expectation.tunnel_devices:
        return True
    iface = node.iface(route.dev)
    return iface is not None and iface.kind in TUNNEL_KINDS


def _check(code: str, topic: str, status: str, node: str, config: str, kernel: str, where: str,
           why: str, next_step: str) -> Check:
    return Check(code, topic, status, node, config, kernel, where, why, next_step)


def pod_network_checks(cluster: ClusterState, name: str, kernel: Kernel, facts: Mapping[str, NodeFacts],
                       expectation: Expectation | None) -> list[Check]:
    """Every tunnel and pod CIDR check for node `name` (its kernel read into `kernel`)."""
    mine = facts.get(name)
    node = _Node(name, kernel, mine, _underlay(kernel, mine), _RouteTable(kernel.routes))
    out: list[Check] = []
    if expectation is None:
        out.append(_check(
            "tunnel-mode", "tunnel", NOT_CHECKED, name,
            "no CNI configuration in what the API showed (cilium-config, kube-flannel-cfg, Calico IPPools)",
            "the mode cannot be compared with the devices and routes", "kube-system ConfigMaps",
            "without the CNI's settings nothing says whether pod packets should be wrapped or routed",
            "kubectl -n kube-system get configmap; check which CNI DaemonSet runs"))
    else:
        out += _device_checks(node, expectation)
    out += _remote_checks(node, facts, expectation)
    out += _local_checks(node, expectation)
    return out


def _device_checks(node: _Node, exp: Expectation) -> list[Check]:
    out: list[Check] = []
    names = [i.name for i in node.kernel.interfaces]
    config = f"{exp.source}: {exp.plugin} {exp.mode_words()}"
    tunnel = next((node.iface(d) for d in exp.tunnel_devices if node.iface(d) is not None), None)
    if tunnel is None and exp.protocol:
        kind = "flannel.1" if exp.protocol == "vxlan" and exp.plugin == "Flannel" else exp.protocol
        tunnel = next((i for i in node.kernel.interfaces if i.kind in (kind, exp.protocol)), None)
    expected = " or ".join(exp.tunnel_devices) or "none"
    if exp.routing == NATIVE:
        words = f"no tunnel device needed; {'present anyway: ' + tunnel.name if tunnel else 'none present'}"
        out.append(_check("tunnel-device", "tunnel", AGREE, node.name, config, words, exp.source,
                          "pod packets leave unwrapped; the host network must route pod addresses", ""))
    elif tunnel is not None:
        named = "" if tunnel.name in exp.tunnel_devices else f" (not named {expected})"
        out.append(_check("tunnel-device", "tunnel", AGREE, node.name, config,
                          f"{tunnel.name} is a {tunnel.kind} device{named}, state {tunnel.state}",
                          f"device {tunnel.name}", "the tunnel device wraps pod packets for other nodes", ""))
        out += _port_check(node, exp, tunnel, config)
    else:
        status = DISAGREE if exp.routing == TUNNEL else NOT_CHECKED
        kernel = (f"no {expected} device (nor any {exp.protocol} device) among {len(names)} devices"
                  if status == DISAGREE else f"no {expected} device; with {exp.mode_words()} the subnet decides")
        out.append(_check(
            "tunnel-device", "tunnel", status, node.name, config, kernel, f"{exp.source}; `ip -d link` of {node.name}",
            "a packet to a pod on another node cannot be wrapped: it goes out unwrapped if a route says so, "
            "or is dropped", f"ip -d link show {exp.tunnel_devices[0] if exp.tunnel_devices else 'type vxlan'} "
            f"on {node.name}; the {exp.plugin} agent's log"))
    if exp.host_device:
        host = node.iface(exp.host_device)
        if host is None:
            out.append(_check(
                "host-device", "tunnel", DISAGREE, node.name, f"{exp.source}: {exp.plugin} runs",
                f"no {exp.host_device} device among {len(names)} devices", f"`ip link` of {node.name}",
                f"{exp.plugin} routes every pod CIDR through {exp.host_device}; without it the agent has not set "
                "up this node, so pod traffic follows whatever else the routes say",
                f"ip link show {exp.host_device}; kubectl -n kube-system get pods -o wide (the agent on {node.name})"))
        else:
            out.append(_check("host-device", "tunnel", AGREE, node.name, f"{exp.source}: {exp.plugin} runs",
                              f"{host.name} is present ({host.kind}, state {host.state})", f"device {host.name}",
                              f"{exp.plugin} routes pod CIDRs through {host.name}", ""))
            out.append(_router_check(node, exp, host))
    if exp.pod_device_prefixes and node.facts is not None and node.facts.pod_ips:
        prefix = exp.pod_device_prefixes[0]
        ends = [n for n in names if n.startswith(exp.pod_device_prefixes)]
        pods = len(node.facts.pod_ips)
        status = AGREE if ends else DISAGREE
        out.append(_check(
            "pod-devices", "tunnel", status, node.name,
            f"{exp.plugin} gives each pod a veth named {prefix}*; the API puts {pods} pod(s) with an IP on {node.name}",
            f"{len(ends)} {prefix}* device(s)" + (f", e.g. {ends[0]}" if ends else
                                                 f"; the pods' host ends are {_pod_ends(node)}"),
            f"`ip link` of {node.name}",
            "pods not wired by the configured plugin are reached the way their real wiring says, not the plugin's",
            "" if ends else f"ip -d link show type veth on {node.name}; which CNI binary /etc/cni/net.d names"))
    return out


def _pod_ends(node: _Node) -> str:
    facts = node.facts
    if facts is None:
        return "unknown"
    devs = []
    for _, ip in facts.pod_ips:
        route = node.route_for(ip)
        if route is not None and route.dev and route.dev not in devs:
            devs.append(route.dev)
    return ", ".join(devs[:MAX_NAMED]) + (" ..." if len(devs) > MAX_NAMED else "") if devs else "not found"


def _port_check(node: _Node, exp: Expectation, tunnel: Interface, config: str) -> list[Check]:
    if exp.port is None:
        return []
    if tunnel.udp_port is None:
        return [_check("tunnel-port", "tunnel", NOT_CHECKED, node.name, config,
                       f"{tunnel.name}'s UDP port is not in this link dump (only `ip -d link` prints it)",
                       f"device {tunnel.name}", "both ends must use the same UDP port or wrapped packets are dropped",
                       f"ip -d link show {tunnel.name}")]
    status = AGREE if tunnel.udp_port == exp.port else DISAGREE
    return [_check("tunnel-port", "tunnel", status, node.name, f"{config}: UDP {exp.port}",
                   f"{tunnel.name} uses UDP {tunnel.udp_port}", f"device {tunnel.name}",
                   "wrapped packets go to this port on the other node; a different port there drops them",
                   "" if status == AGREE else f"ip -d link show {tunnel.name}; the tunnel-port setting")]


def _router_check(node: _Node, exp: Expectation, host: Interface) -> Check:
    own = node.facts.pod_cidrs if node.facts else ()
    addrs = [a.address for a in host.addresses if a.family == "inet" or not a.family]
    inside = [a for a in addrs if any(cidr.prefix_contains(c, a) for c in own)]
    config = f"{exp.plugin}: {host.name} holds the router address from {node.name}'s pod CIDR " \
             f"({', '.join(own) or 'unknown'})"
    if not own:
        return _check("router-address", "tunnel", NOT_CHECKED, node.name, config,
                      f"{host.name} is present; no pod CIDR is recorded for {node.name}",
                      f"device {host.name}", "pods use the router address as their gateway", "")
    if inside:
        return _check("router-address", "tunnel", AGREE, node.name, config,
                      f"{host.name} has {inside[0]}", f"device {host.name}",
                      "pods use the router address as their gateway", "")
    return _check("router-address", "tunnel", DISAGREE, node.name, config,
                  f"{host.name} has {', '.join(addrs) or 'no IPv4 address'}", f"device {host.name}",
                  "routes to pod CIDRs name the router address as their next hop; without it they cannot be used",
                  f"ip addr show {host.name}")


def _route_words(route: Route | None) -> str:
    if route is None:
        return "no route covers it"
    if route.dst == "default":
        return f"only the default route ({route.describe()})"
    return f"route {route.describe()}"


def _remote_checks(node: _Node, facts: Mapping[str, NodeFacts], exp: Expectation | None) -> list[Check]:
    others = [f for n, f in sorted(facts.items()) if n != node.name]
    out: list[Check] = []
    for other in others[:MAX_OTHER_NODES]:
        if not other.pod_cidrs:
            out.append(_check("remote-pod-cidr", "pod-cidr", NOT_CHECKED, node.name,
                              f"node {other.name} has no pod CIDR recorded ({other.cidr_source})",
                              "nothing to look up in the routes", f"Node {other.name}",
                              "pods on it get addresses from elsewhere (the CNI's own IPAM)", ""))
            continue
        for pod_cidr in other.pod_cidrs:
            if cidr.parse_prefix(pod_cidr) is None:
                continue
            out.append(_remote_check(node, other, pod_cidr, exp))
    if len(others) > MAX_OTHER_NODES:
        out.append(_check("remote-pod-cidr", "pod-cidr", NOT_CHECKED, node.name,
                          f"{len(others)} other nodes", f"only the first {MAX_OTHER_NODES} are checked here",
                          "Node objects", "", "k8snet check --json lists each one checked"))
    return out


def _remote_check(node: _Node, other: NodeFacts, pod_cidr: str, exp: Expectation | None) -> Check:
    route = node.route_for(pod_cidr)
    where = f"{other.cidr_source} {pod_cidr}; {_route_words(route)} on {node.name}"
    kind = "none" if route is None else "default" if route.dst == "default" else \
        "tunnel" if _is_tunnel(node, route, exp) else "underlay"
    shown = _route_words(route)
    if kind == "underlay" and route is not None and route.gateway and route.gateway in other.internal_ips:
        shown += f" (straight to {other.name}'s InternalIP)"
    target = f"{other.name}'s pod CIDR {pod_cidr}"
    if exp is None:
        status = DISAGREE if kind == "none" else AGREE
        config = f"{target} must be reachable (no CNI setting says how)"
        why = "packets to its pods get 'network unreachable'" if kind == "none" else "it is reachable from here"
        return _check("remote-pod-cidr", "pod-cidr", status, node.name, config, shown, where, why,
                      "" if status == AGREE else f"ip route get {_first_host(pod_cidr)} on {node.name}")
    config = f"{exp.plugin} {exp.mode_words()}: {target} via " + \
        ({TUNNEL: "the tunnel", NATIVE: "the host network", EITHER: "the tunnel or the host network"}[exp.routing])
    table = {
        TUNNEL: {"tunnel": AGREE, "underlay": DISAGREE, "default": DISAGREE, "none": DISAGREE},
        NATIVE: {"tunnel": DISAGREE, "underlay": AGREE, "default": NOT_CHECKED, "none": DISAGREE},
        EITHER: {"tunnel": AGREE, "underlay": AGREE, "default": NOT_CHECKED, "none": DISAGREE},
    }
    status = table[exp.routing][kind]
    why = {
        ("tunnel", AGREE): "pod packets to it are wrapped and cross the host network between node IPs",
        ("underlay", AGREE): "pod packets to it cross the host network unwrapped, as the config says",
        ("underlay", DISAGREE): "pod packets to it leave unwrapped, with pod addresses the host network may "
                                "not route (a cloud VPC drops them), although the config promises a tunnel",
        ("default", DISAGREE): "pod packets to it go to the default gateway unwrapped instead of into the tunnel",
        ("none", DISAGREE): "packets to its pods get 'network unreachable' on this node",
        ("tunnel", DISAGREE): "pod packets to it are wrapped although the config says native routing",
        ("default", NOT_CHECKED): "a router behind the default route must know the pod CIDRs: "
                                  "that is outside this node's state",
    }.get((kind, status), "")
    next_step = "" if status == AGREE else \
        f"ip route get {_first_host(pod_cidr)} on {node.name}; the {exp.plugin} agent's log on {node.name}"
    if status == NOT_CHECKED:
        shown = f"{shown}: whether the network behind it routes pod CIDRs is not visible here"
    return _check("remote-pod-cidr", "pod-cidr", status, node.name, config, shown, where, why, next_step)


def _first_host(prefix: str) -> str:
    net = cidr.parse_prefix(prefix)
    if net is None:
        return prefix
    return str(net.network_address + 1) if net.num_addresses > 2 else str(net.network_address)


def _local_checks(node: _Node, exp: Expectation | None) -> list[Check]:
    facts = node.facts
    if facts is None:
        return [_check("local-pods", "pod-cidr", NOT_CHECKED, node.name, f"no Node object named {node.name}",
                       "the node's pods and pod CIDR are unknown", f"node {node.name}", "", "kubectl get nodes")]
    out: list[Check] = []
    if not facts.pod_ips:
        out.append(_check("local-pods", "pod-cidr", NOT_CHECKED, node.name,
                          f"no pod with an IP (and not hostNetwork) runs on {node.name}",
                          "nothing to look up in the routes", f"Node {node.name}", "", ""))
        return out
    leaving: list[str] = []
    for key, ip in facts.pod_ips:
        route = node.route_for(ip)
        if route is None or route.dst == "default" or route.dev in node.underlay or _is_tunnel(node, route, None):
            leaving.append(f"{key} {ip}: {_route_words(route)}")
    plugin = exp.plugin if exp else "the CNI"
    config = f"{len(facts.pod_ips)} pod(s) run on {node.name}: {plugin} must route their addresses to them locally"
    if leaving:
        shown = "; ".join(leaving[:MAX_NAMED]) + (f"; and {len(leaving) - MAX_NAMED} more" if len(leaving) > MAX_NAMED else "")
        out.append(_check("local-pods-routed", "pod-cidr", DISAGREE, node.name, config, shown,
                          f"Pods on {node.name}; its routes",
                          "a packet for these pods arriving at this node is sent away again (or dropped) instead "
                          "of delivered to the pod's veth", f"ip route get {facts.pod_ips[0][1]} on {node.name}"))
    else:
        example = _route_words(node.route_for(facts.pod_ips[0][1]))
        out.append(_check("local-pods-routed", "pod-cidr", AGREE, node.name, config,
                          f"each has a route on a local device (e.g. {example})",
                          f"Pods on {node.name}", "packets for them are delivered on this node", ""))
    if facts.pod_cidrs:
        outside = [f"{k} {ip}" for k, ip in facts.pod_ips if not any(cidr.prefix_contains(c, ip) for c in facts.pod_cidrs)]
        status = DISAGREE if outside else AGREE
        out.append(_check(
            "pods-in-node-cidr", "pod-cidr", status, node.name,
            f"{node.name}'s pods take addresses from {', '.join(facts.pod_cidrs)} ({facts.cidr_source})",
            (f"{len(outside)} outside it, e.g. {outside[0]}" if outside else "every local pod's IP is inside it"),
            f"Pods on {node.name}",
            "other nodes route this CIDR to this node; a pod outside it is reached only if something else "
            "routes its address here", "" if not outside else "the CNI's IPAM (CiliumNode, host-local ranges)"))
    else:
        out.append(_check("pods-in-node-cidr", "pod-cidr", NOT_CHECKED, node.name,
                          f"no pod CIDR recorded for {node.name} ({facts.cidr_source})",
                          "nothing to compare the pods' addresses with", f"Node {node.name}", "", ""))
    return out

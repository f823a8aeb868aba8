"""The pod network: pods and their addresses, the ranges they come from, and the CNI that wires them.

The innermost of the lab's three IP spaces. Kernel state is optional here: without it the view
still lists pods, ranges and the CNI from the API, and leaves the host ends of the veths empty.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..model import ClusterState, NodeState, Obj, dig, dig_list, dig_str, name_of, namespace_of
from ..sanitize import clean
from . import cidr
from .cni import CiliumSettings, CniGuess, cilium_settings, detect_cni
from .host import more_hint
from .kernel import Kernel, read_kernel
from .podcidrs import CidrFact, cluster_pod_cidrs, node_cidrs


@dataclass(frozen=True)
class HostEnd:
    """The host side of a pod's cable.

    JSON: interface, ifindex, kind, peer_ifindex (the pod-side ifindex, the `@ifN` a pod's
    `ip a` shows the other way round), peer_netnsid, found_by (words: which route or entry).
    """

    interface: str
    ifindex: int | None
    kind: str
    peer_ifindex: int | None
    peer_netnsid: int | None
    found_by: str

    def to_json(self) -> dict[str, Any]:
        return {
            "interface": self.interface,
            "ifindex": self.ifindex,
            "kind": self.kind,
            "peer_ifindex": self.peer_ifindex,
            "peer_netnsid": self.peer_netnsid,
            "found_by": self.found_by,
        }


@dataclass(frozen=True)
class PodRow:
    """One pod.

    JSON: namespace, name, ips, node, host_network, phase, ready (true/false/null when the
    condition is missing), local (runs on the node whose kernel we read), in_cidr (the known pod
    CIDR holding its first IP, "" when none does), host_end (null unless found in kernel state).
    """

    namespace: str
    name: str
    ips: tuple[str, ...]
    node: str
    host_network: bool
    phase: str
    ready: bool | None
    local: bool
    in_cidr: str
    host_end: HostEnd | None

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def to_json(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "name": self.name,
            "ips": list(self.ips),
            "node": self.node,
            "host_network": self.host_network,
            "phase": self.phase,
            "ready": self.ready,
            "local": self.local,
            "in_cidr": self.in_cidr,
            "host_end": self.host_end.to_json() if self.host_end else None,
        }


@dataclass(frozen=True)
class PodNetView:
    """`k8snet show pods --json`.

    JSON: node (whose kernel was read), more (what to run for host ends, "" when not needed),
    cni (the likeliest plugin name or ""), cni_evidence (every candidate with its evidence),
    cilium (Cilium settings or null), cluster_cidrs and node_cidrs (each with its source),
    pods, same_node and cross_node (how two pods talk, in words for this cluster), notes
    (disagreements between sources, pods outside every range), errors.
    """

    node: str
    more: str
    cni: str
    cni_evidence: tuple[CniGuess, ...]
    cilium: CiliumSettings | None
    cluster_cidrs: tuple[CidrFact, ...]
    node_cidrs: tuple[CidrFact, ...]
    pods: tuple[PodRow, ...]
    same_node: str
    cross_node: str
    notes: tuple[str, ...]
    errors: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "more": self.more,
            "cni": self.cni,
            "cni_evidence": [g.to_json() for g in self.cni_evidence],
            "cilium": self.cilium.to_json() if self.cilium else None,
            "cluster_cidrs": [c.to_json() for c in self.cluster_cidrs],
            "node_cidrs": [c.to_json() for c in self.node_cidrs],
            "pods": [p.to_json() for p in self.pods],
            "same_node": self.same_node,
            "cross_node": self.cross_node,
            "notes": list(self.notes),
            "errors": list(self.errors),
        }


def pod_ips(pod: object) -> tuple[str, ...]:
    ips = [dig_str(p, "ip") for p in dig_list(pod, "status", "podIPs")]
    ips = [ip for ip in ips if ip]
    if not ips and dig_str(pod, "status", "podIP"):
        ips = [dig_str(pod, "status", "podIP")]
    return tuple(clean(ip) for ip in ips)


def _ready(pod: object) -> bool | None:
    for cond in dig_list(pod, "status", "conditions"):
        if dig_str(cond, "type") == "Ready":
            return dig_str(cond, "status") == "True"
    return None


def host_end(kernel: Kernel, ip: str) -> HostEnd | None:
    """The host device a local pod's address is reached through: a /32 route, else a neighbour entry.

    Per-pod routes (`10.0.0.5 dev lxc1a2b`) are how Cilium, Calico and ptp-style plugins reach
    pods; bridge plugins (Flannel's cni0) have none, so the neighbour table names the bridge.
    """
    addr = cidr.parse_address(ip)
    if addr is None:
        return None
    host_len = addr.max_prefixlen
    found = ""
    dev = ""
    for route in kernel.routes:
        prefix = route.prefix
        if route.forwards and route.dev and prefix is not None and prefix.prefixlen == host_len \
                and prefix.network_address == addr:
            dev, found = route.dev, f"route {route.describe()}"
            break
    if not dev:
        neigh = next((n for n in kernel.neighbours if n.ip == str(addr) and n.dev), None)
        if neigh is None:
            return None
        dev, found = neigh.dev, f"neighbour entry {neigh.ip} on {neigh.dev}"
    iface = kernel.interface(dev)
    return HostEnd(
        interface=dev,
        ifindex=iface.ifindex if iface else None,
        kind=iface.kind if iface else "",
        peer_ifindex=iface.peer_ifindex if iface else None,
        peer_netnsid=iface.peer_netnsid if iface else None,
        found_by=found,
    )


def _is_local(pod_node: str, node: NodeState | None) -> bool:
    return node is not None and bool(pod_node) and pod_node in (node.node, node.hostname)


def _pod_row(pod: Obj, node: NodeState | None, kernel: Kernel,
             ranges: list[str] | cidr.PrefixMatcher) -> PodRow:
    ips = pod_ips(pod)
    matcher = ranges if isinstance(ranges, cidr.PrefixMatcher) else cidr.PrefixMatcher(ranges)
    pod_node = clean(dig_str(pod, "spec", "nodeName"))
    host_network = dig(pod, "spec", "hostNetwork") is True
    local = _is_local(pod_node, node)
    end = host_end(kernel, ips[0]) if local and ips and not host_network else None
    return PodRow(
        namespace=clean(namespace_of(pod)),
        name=clean(name_of(pod)),
        ips=ips,
        node=pod_node,
        host_network=host_network,
        phase=clean(dig_str(pod, "status", "phase")),
        ready=_ready(pod),
        local=local,
        in_cidr=(matcher.first(ips[0]) or "") if ips else "",
        host_end=end,
    )


def _on_node(row: PodRow, node: NodeState | None, kernel: Kernel) -> PodRow:
    """A cluster-only row (local False, no host end) as `_pod_row` gives it for `node`."""
    if not _is_local(row.node, node):
        return row
    end = host_end(kernel, row.ips[0]) if row.ips and not row.host_network else None
    return replace(row, local=True, host_end=end)


def _notes(cluster_cidrs: tuple[CidrFact, ...], per_node: tuple[CidrFact, ...], cilium: CiliumSettings | None,
           pods: tuple[PodRow, ...]) -> tuple[str, ...]:
    notes = []
    for fact in cluster_cidrs + per_node:
        if not fact.valid:
            notes.append(f"{fact.source} holds {fact.cidr!r}, which is not a CIDR")
        if fact.note and fact.note.startswith("--"):
            notes.append(fact.note)
    distinct = {(str(cidr.parse_prefix(c.cidr)), cidr.family_of(c.cidr)) for c in cluster_cidrs if c.valid}
    if len({c for c, _ in distinct}) > len({f for _, f in distinct}):
        listed = "; ".join(f"{c.cidr} ({c.source})" for c in cluster_cidrs if c.valid)
        notes.append(f"the sources name different cluster pod ranges: {listed}")
    if cilium is not None and cilium.ipam == "cluster-pool":
        by_node = {(c.node, c.cidr) for c in per_node if c.source.startswith("Node ")}
        cilium_nodes = {(c.node, c.cidr) for c in per_node if c.source.startswith("CiliumNode")}
        if by_node and cilium_nodes and by_node != cilium_nodes:
            notes.append("Cilium's cluster-pool IPAM hands out CiliumNode spec.ipam.podCIDRs; "
                         "the Node spec.podCIDRs differ and are not used for pods")
    outside = [p.key for p in pods if p.ips and not p.host_network and not p.in_cidr]
    if outside and (cluster_cidrs or per_node):
        notes.append(f"{len(outside)} pod(s) have an IP outside every known pod range, e.g. {outside[0]}")
    return tuple(notes)


def talk_words(cilium: CiliumSettings | None, cni: str) -> tuple[str, str]:
    """(same node, across nodes): how two pods' packets travel, for the plugin in use."""
    same = ("Same node: the packet leaves the pod through its veth, the host's kernel (network "
            "namespace) routes it to the other pod's veth; it never touches the host network.")
    if cilium is not None:
        same += " Cilium's eBPF programs on the lxc devices can hand it straight to the other veth."
        if cilium.routing_mode == "tunnel":
            cross = (f"Across nodes: Cilium wraps the pod packet in {cilium.tunnel_protocol.upper()} "
                     f"(UDP {cilium.overlay_port}) from node IP to node IP; the host network only sees the nodes.")
        else:
            cross = ("Across nodes: native routing; pod packets cross the host network unchanged, so it "
                     "must route every node's pod CIDR (or the nodes share one subnet).")
        return same, cross
    if cni == "Flannel":
        return same, ("Across nodes: Flannel's VXLAN backend (its default) wraps pod packets in UDP 8472 "
                      "through flannel.1; check the kube-flannel-cfg Backend for another type.")
    return same, ("Across nodes: either an overlay (pod packets wrapped in UDP between node IPs) or native "
                  "routes for each node's pod CIDR; the host view's pod CIDR routes show which.")


def _cluster_rows(cluster: ClusterState | None) -> tuple[tuple[CidrFact, ...], tuple[CidrFact, ...], tuple[PodRow, ...]]:
    """(cluster ranges, node ranges, every pod's row as seen from no node): the cluster-only part."""
    clusters = cluster_pod_cidrs(cluster)
    per_node = node_cidrs(cluster)
    valid = tuple(c.cidr for c in per_node + clusters if c.valid)
    ranges = cidr.PrefixMatcher(valid)  # parsed once, not per pod
    no_kernel = read_kernel(None)
    global _LAST_ROWS
    last_ranges, last = _LAST_ROWS
    if last_ranges != valid:
        last = {}
    kept: dict[int, tuple[Obj, PodRow]] = {}
    rows = []
    for p in cluster.of("Pod") if cluster is not None else ():
        if isinstance(p, dict):
            hit = last.get(id(p))
            entry = kept[id(p)] = hit if hit is not None and hit[0] is p else (p, _pod_row(p, None, no_kernel, ranges))
            rows.append(entry[1])
    _LAST_ROWS = (valid, kept)
    return clusters, per_node, tuple(rows)


# A row is a function of its pod object and the pod ranges alone, and the store keeps every pod
# nobody wrote as the same object: the rows of the last build, by id (the pod held, so the id
# stays its own), are reused for those; at 1,000 pod updates a second that is ~30k rows fewer a
# build. Replaced as a whole by each build: racing builds only lose reuse, never correctness.
_LAST_ROWS: tuple[tuple[str, ...], dict[int, tuple[Obj, PodRow]]] = ((), {})
# The same for the rows of the pods on the viewed node (local, host end): by the cluster-only
# row, for one NodeState object (a node poll brings a new one, and those rows are redone).
_LAST_LOCAL: tuple[NodeState | None, dict[int, tuple[PodRow, PodRow]]] = (None, {})


def build_podnet_view(cluster: ClusterState | None, node: NodeState | None) -> PodNetView:
    """Pods, pod ranges and the CNI for the cluster, with host ends for the pods on `node`."""
    kernel = read_kernel(node)
    # The rows depend on the cluster alone except for the pods on `node` (local, host end): those
    # few are redone per build, the rest are kept with the ClusterState.
    clusters, per_node, base = cluster.memo(_cluster_rows) if cluster is not None else _cluster_rows(None)
    global _LAST_LOCAL
    last_node, last = _LAST_LOCAL
    if last_node is not node:
        last = {}
    local: dict[int, tuple[PodRow, PodRow]] = {}
    rows = []
    for row in base:
        if _is_local(row.node, node):  # redone per node: kept while the node state is the same object
            hit = last.get(id(row))
            entry = local[id(row)] = hit if hit is not None and hit[0] is row else (row, _on_node(row, node, kernel))
            row = entry[1]
        rows.append(row)
    _LAST_LOCAL = (node, local)
    pods = tuple(rows)
    guesses = detect_cni(cluster, kernel)
    cilium = cilium_settings(cluster)
    cni = guesses[0].name if guesses else ""
    same, cross = talk_words(cilium, cni)
    has_state = node is not None and node.has_kernel_state
    return PodNetView(
        node=clean(node.node) if node is not None else "",
        more="" if has_state else more_hint(node),
        cni=cni,
        cni_evidence=guesses,
        cilium=cilium,
        cluster_cidrs=clusters,
        node_cidrs=per_node,
        pods=pods,
        same_node=same,
        cross_node=cross,
        notes=_notes(clusters, per_node, cilium, pods),
        errors=kernel.skipped,
    )

"""The mesh view: every pod with its mesh (detect.py) and its own datapath (datapath.py), and a
connection from one pod explained hop by hop (walk.py).

A pod's namespace reading is found on the node it runs on (`NodeState.pod_netns`) by the pod's
IP among the namespace's addresses; a pod whose node has no readings, or whose IP is in none,
keeps "not read" with why. Mesh configuration joined to Services (PeerAuthentication,
DestinationRule, VirtualService, AuthorizationPolicy, GAMMA routes) has its own place,
`config`, filled by config.py (mesh_config).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..json_meta import json_field
from ..model import ClusterState, NodeState, Obj, dig_dict, dig_str, name_of
from .config import MeshConfig, mesh_config
from .datapath import NOT_READ, PodDatapath, pod_datapath
from .detect import PodMesh, detect_pod
from .layout import Layout
from .walk import Step, inbound_packet, outbound_packet


@dataclass(frozen=True, slots=True)
class Redirects:
    """A pod's redirect layout in words-ready fields (from its own nat rules)."""

    state: str  # "read", "unknown", "not read"
    reason: str
    mesh_chains: str  # "istio", "linkerd", "unrecognised", "" (no mesh chains)
    backend: str
    outbound_port: int | None
    inbound_port: int | None
    excluded_uids: tuple[str, ...]
    excluded_gids: tuple[str, ...]
    excluded_cidrs: tuple[str, ...]
    included_cidrs: tuple[str, ...]
    excluded_out_ports: tuple[str, ...]
    included_out_ports: tuple[str, ...]
    inbound_ports: tuple[str, ...]
    excluded_in_ports: tuple[str, ...]
    dns_port: int | None
    other_rules: tuple[str, ...]


@dataclass(frozen=True)
class MeshPod:
    """One pod's row: who meshes it and how, and what its own rules do."""

    namespace: str
    name: str
    ip: str
    node: str
    mesh: str
    mode: str
    version: str
    proxy_image: str
    init: str
    reason: str
    annotations: tuple[tuple[str, str], ...]
    redirects: Redirects
    findings: tuple[str, ...]
    datapath: PodDatapath = field(repr=False, compare=False, metadata=json_field(None))

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def meshed(self) -> bool:
        return self.mesh != ""


@dataclass(frozen=True)
class MeshView:
    pods: tuple[MeshPod, ...]
    namespaces_injected: tuple[str, ...]  # istio-injection=enabled / istio.io/rev
    namespaces_ambient: tuple[str, ...]
    config: MeshConfig
    findings: tuple[str, ...]

    def pod(self, key: str) -> MeshPod | None:
        return next((p for p in self.pods if p.key == key), None)


@dataclass(frozen=True, slots=True)
class Hop:
    """One step of a connection's order: "app", a chain, "port 15001", "out"."""

    at: str
    does: str
    rule: str


@dataclass(frozen=True)
class Explanation:
    """Where a connection from `pod` to `dst:port` (made as `uid`) goes, and in what order."""

    pod: str
    dst: str
    port: int
    uid: int
    direction: str  # "outbound" / "inbound"
    verdict: str  # "redirect", "out", "dnat", "unknown"
    proxy_port: int | None
    words: str
    order: str  # "app -> OUTPUT -> ISTIO_OUTPUT -> ISTIO_REDIRECT -> port 15001 (proxy)"
    hops: tuple[Hop, ...]
    after: str  # what happens next (the proxy picks the endpoint; kube-proxy's DNAT, ...)


def _redirects(dp: PodDatapath) -> Redirects:
    lay: Layout = dp.layout
    state = {"read": "read", "unknown": "unknown"}.get(dp.state, "not read")
    return Redirects(state, dp.reason, lay.mesh, dp.backend, lay.outbound_port, lay.inbound_port,
                     lay.excluded_uids, lay.excluded_gids, lay.excluded_cidrs, lay.included_cidrs,
                     lay.excluded_out_ports, lay.included_out_ports, lay.inbound_ports,
                     lay.excluded_in_ports, lay.dns_port, lay.other_rules)


def _unreadable(nodes: Mapping[str, NodeState]) -> dict[str, list[str]]:
    """node -> why each of its pod namespaces that could not be read was not (their pods are unknown)."""
    out: dict[str, list[str]] = {}
    for name, node in nodes.items():
        why = [f"{r.get('path', '?')}: {r.get('error')}" for r in node.pod_netns if r.get("error")]
        out[node.node or name] = out[name] = why
    return out


def _readings_by_ip(nodes: Mapping[str, NodeState]) -> dict[str, dict[str, Obj]]:
    """node -> pod IP -> the namespace reading holding that address."""
    out: dict[str, dict[str, Obj]] = {}
    for name, node in nodes.items():
        if not node.pod_netns:
            continue  # not read (the probe reads pod namespaces only with --pod-netns): unknown, not "none"
        by_ip: dict[str, Obj] = {}
        for reading in node.pod_netns:
            addrs = reading.get("addresses")
            for addr in addrs if isinstance(addrs, list) else []:
                if isinstance(addr, str) and not addr.startswith(("127.", "::1", "fe80")):
                    by_ip.setdefault(addr, reading)
        out[node.node or name] = by_ip
        out[name] = by_ip
    return out


def _datapath_for(found: PodMesh, readings: Mapping[str, Mapping[str, Obj]],
                  unreadable: Mapping[str, list[str]]) -> PodDatapath:
    if found.mode == "ambient":
        return PodDatapath("none", "ambient: the node's ztunnel redirects it, not the pod's own rules", "",
                           NOT_READ.layout, NOT_READ.dump, (), (), ())
    by_ip = readings.get(found.node)
    if by_ip is None:
        why = (f"node {found.node or '(none)'}'s pod namespaces were not read: `sudo k8snet probe --pod-netns` "
               "there, or `k8snet capture --pod-netns`, reads them")
        return PodDatapath("none", why, "", NOT_READ.layout, NOT_READ.dump, (), (), ())
    reading = by_ip.get(found.ip)
    if reading is None and unreadable.get(found.node):
        failed = unreadable[found.node]
        return PodDatapath("unknown", f"no readable namespace on {found.node} holds {found.ip or 'its IP'}, and "
                           f"{len(failed)} could not be read ({failed[0]}{', ...' if len(failed) > 1 else ''})", "",
                           NOT_READ.layout, NOT_READ.dump, (), (), ())
    if reading is None:
        return PodDatapath("none", f"no network namespace on {found.node} holds {found.ip or 'its IP'}", "",
                           NOT_READ.layout, NOT_READ.dump, (), (), ())
    return pod_datapath(reading)


def build_mesh_view(cluster: ClusterState, nodes: Mapping[str, NodeState],
                    namespace: str | None = None) -> MeshView:
    ns_labels: dict[str, dict[str, str]] = {
        name_of(ns): {str(k): str(v) for k, v in dig_dict(ns, "metadata", "labels").items()}
        for ns in cluster.of("Namespace")}
    readings = _readings_by_ip(nodes)
    unreadable = _unreadable(nodes)
    rows: list[MeshPod] = []
    for pod in cluster.in_namespace("Pod", namespace):
        if dig_dict(pod, "spec").get("hostNetwork") is True:
            continue
        ns = dig_str(pod, "metadata", "namespace")
        found = detect_pod(pod, ns_labels.get(ns))
        dp = _datapath_for(found, readings, unreadable)
        findings = list(found.findings) + list(dp.findings)
        if found.mode in ("sidecar", "native sidecar") and dp.state == "read" and not dp.layout.redirects:
            findings.append("a sidecar, but its namespace has no redirect rules: connections bypass the proxy")
        if not found.meshed and dp.state == "read" and dp.layout.redirects:
            findings.append(f"no proxy container, but its own rules redirect to port {dp.layout.outbound_port}: "
                            "connections go to a proxy that is not there")
        rows.append(MeshPod(found.namespace, found.name, found.ip, found.node, found.mesh, found.mode,
                            found.version, found.proxy_image, found.init, found.reason, found.annotations,
                            _redirects(dp), tuple(findings), dp))
    injected = tuple(sorted(n for n, lab in ns_labels.items()
                            if lab.get("istio-injection") == "enabled" or lab.get("istio.io/rev")
                            or lab.get("linkerd.io/inject") == "enabled"))
    ambient = tuple(sorted(n for n, lab in ns_labels.items() if lab.get("istio.io/dataplane-mode") == "ambient"))
    rows.sort(key=lambda r: (not r.meshed, r.namespace, r.name))
    all_findings = tuple(f"{r.key}: {f}" for r in rows for f in r.findings)
    return MeshView(tuple(rows), injected, ambient, mesh_config(cluster, namespace), all_findings)


def _hops(steps: tuple[Step, ...]) -> tuple[Hop, ...]:
    return tuple(Hop(s.chain, s.does, s.rule) for s in steps)


def explain(row: MeshPod, dst: str, port: int, *, uid: int = 0, inbound_from: str = "") -> Explanation:
    """Where a connection goes: from `row`'s app to dst:port as `uid`, or (inbound_from set)
    arriving at `row` on `port` from that address."""
    inbound = bool(inbound_from)
    packet = (inbound_packet(row.ip, port, inbound_from) if inbound
              else outbound_packet(dst, port, uid=uid, pod_ips=(row.ip,) if row.ip else ()))
    w = row.datapath.walk(packet, inbound=inbound)
    if row.mode == "ambient":
        words = "Istio ambient: nothing in the pod redirects it; the node's ztunnel takes it (on the node, not read here)"
        return Explanation(row.key, dst, port, uid, "inbound" if inbound else "outbound", "unknown", None, words,
                           "app -> (node) ztunnel", (), "")
    first = "arrives" if inbound else "app"
    chain = [first, *dict.fromkeys(s.chain for s in w.steps)]
    if w.verdict == "redirect":
        chain.append(f"port {w.port} ({'proxy inbound' if inbound else 'proxy'})")
        after = ("the proxy hands it to the app on its original port" if inbound else
                 "the proxy picks an endpoint itself and connects to that pod's IP: a ClusterIP is "
                 "resolved by the mesh before kube-proxy's DNAT rules would see it")
    elif w.verdict == "out":
        chain.append("app" if inbound else "out")
        after = ("the app's own listener takes it" if inbound else
                 "the node's rules (kube-proxy's DNAT for a ClusterIP) then handle it as for any pod")
    else:
        after = ""
    return Explanation(row.key, dst if not inbound else row.ip, port, uid, "inbound" if inbound else "outbound",
                       w.verdict, w.port, w.words, " -> ".join(chain), _hops(w.steps), after)

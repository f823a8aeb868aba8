"""A Service, followed from its entry points through one node's datapath to the pods behind it.

`trace_service` joins what the API says (Service, EndpointSlices, Pods) with what the node's
kernel does (kube-proxy's iptables or nftables rules, IPVS, Cilium). Chains are found by
recomputing kube-proxy's hashed names, so dumps without comments trace just as well.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .datapath.backend import Datapath, parse_node_datapath
from .datapath.endpoints import (
    ApiEndpoint,
    Selection,
    ServicePort,
    cluster_ips,
    endpoints_for_port,
    external_ips,
    externally_reachable,
    lb_ingress_ips,
    pod_ready,
    select_endpoints,
    service_ports,
    shared_pod_index,
    traffic_policies,
)
from .datapath.trace_iptables import trace_iptables_port
from .datapath.trace_lb import trace_cilium_port, trace_ipvs_port
from .datapath.trace_model import CHAIN_ROLES, Finding, KernelEndpoint, KernelPortView, Step
from .datapath.trace_nft import trace_nft_port
from .json_meta import json_field
from .model import ClusterState, NodeState, Obj, dig, dig_list, dig_str, key_of, name_of, namespace_of
from .service_index import IndexedSlice, service_index

# The JSON of a trace (`k8snet trace --json`, docs/json.md) is these fields through the one
# serializer; the ones only the TUI draws (rule steps, explanations, live counts) are left out.
_TUI_ONLY = json_field(None)
_SHARE = json_field(digits=7)  # shares as fractions to 7 decimals: 0.3333333, not 0.33333333349999996


@dataclass(frozen=True)
class EndpointTrace:
    address: str
    port: int
    chain: str | None
    probability: str | None
    share: float | None = field(metadata=_SHARE)
    pod: str | None
    node: str | None
    ready: bool | None
    packets: int | None
    bytes: int | None
    in_kernel: bool = field(metadata=_TUI_ONLY)
    in_api: bool = field(metadata=_TUI_ONLY)
    connections: int | None = field(default=None, metadata=_TUI_ONLY)


@dataclass(frozen=True)
class EntryPoint:
    kind: str  # cluster-ip, node-port, external-ip, load-balancer
    address: str  # "" for a NodePort (any node address)
    port: int


@dataclass(frozen=True)
class PathEndpoint:
    address: str
    port: int
    chain: str | None
    share: float = field(metadata=_SHARE)
    pod: str | None
    node: str | None
    local: bool | None  # on the traced node (None when the API does not say)
    condition: str | None  # ready, serving-terminating, not-serving (None: not in the API)


@dataclass(frozen=True)
class PathTrace:
    """One entry point's new connections on the traced node (see KernelPath)."""

    path: str  # cluster | external
    entry: EntryPoint
    chain: str | None
    endpoints: tuple[PathEndpoint, ...]
    dropped: float = field(metadata=_SHARE)
    rejected: float = field(metadata=_SHARE)
    unhandled: float = field(metadata=_SHARE)
    masquerade: bool
    source_ranges: tuple[str, ...] = ()


@dataclass(frozen=True)
class TrafficPolicy:
    """The Service's `externalTrafficPolicy` and `internalTrafficPolicy`, defaults filled."""

    external: str = "Cluster"
    internal: str = "Cluster"


@dataclass(frozen=True)
class PortTrace:
    name: str
    protocol: str
    port: int
    node_port: int | None
    cluster_ip: str | None
    target_port: str = field(metadata=_TUI_ONLY)
    entry_points: tuple[EntryPoint, ...] = field(metadata=_TUI_ONLY)
    chains: Mapping[str, str | None]  # every role of CHAIN_ROLES, in that order
    endpoints: tuple[EndpointTrace, ...]
    findings: tuple[Finding, ...]
    steps: tuple[Step, ...] = field(metadata=_TUI_ONLY)
    explanation: str = field(metadata=_TUI_ONLY)
    affinity_seconds: int | None = field(default=None, metadata=_TUI_ONLY)
    paths: tuple[PathTrace, ...] = ()
    traffic_policy: TrafficPolicy = TrafficPolicy()
    health_check_node_port: int | None = None


@dataclass(frozen=True)
class ServiceTrace:
    """The trace of one Service on one node.

    JSON (`k8snet trace --json`, through the serializer):
    - service: "ns/name"; node: the node whose datapath was read; backend: iptables-legacy,
      iptables-nft, nftables, ipvs, cilium or none.
    - ports[]: one per service port. name ("" when unnamed), protocol, port, node_port (null when
      none), cluster_ip (the first ClusterIP, null for headless).
      chains: this port's kube-proxy chains that exist on the node (service = KUBE-SVC / service-,
      local = KUBE-SVL / local-, external = KUBE-EXT / external-, firewall = KUBE-FW / firewall-);
      null when absent (always null for IPVS and Cilium).
      endpoints[]: kernel endpoints in rule order, then API endpoints the kernel lacks.
        address/port: where packets are DNATed; chain: KUBE-SEP / endpoint- chain (null when the
        datapath has none); probability: the statistic probability exactly as iptables prints it
        (null for the final unconditional rule and for other backends); share: the fraction of new
        connections this endpoint gets (sums to 1 over kernel endpoints; 0 for endpoints missing
        from the kernel; null when the node has no datapath state); pod ("ns/name"), node, ready:
        from the EndpointSlice and Pod (null when unknown); packets/bytes: the DNAT rule's
        counters (null without `iptables-save -c`, and for nftables/IPVS/Cilium).
      paths[]: per entry point (cluster-ip, node-port, external-ip, load-balancer), where a new
        connection of the path's client goes: endpoints with shares, dropped, rejected, unhandled,
        masquerade, source_ranges (docs/json.md has every field).
      traffic_policy {external, internal}; health_check_node_port (null when none).
      findings[]: severity (error|warning|info), code, message.
    Only the TUI reads, per port: target_port, entry_points, steps (the rule lines of the trace
    tree), explanation, affinity_seconds; per endpoint: in_kernel, in_api, connections.
    """

    service: str
    node: str
    backend: str
    ports: tuple[PortTrace, ...]
    service_type: str = field(default="ClusterIP", metadata=_TUI_ONLY)


@dataclass(frozen=True)
class ServiceMatch:
    """The result of looking a service up by "ns/name" (or "name" in the current namespace)."""

    key: str
    service: Obj | None
    suggestions: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "found": self.service is not None, "suggestions": list(self.suggestions)}


def find_service(cluster: ClusterState, ref: str) -> ServiceMatch:
    ns, _, name = ref.rpartition("/")
    services = cluster.of("Service")
    if not ns:
        same_name = cluster.memo(_services_by_name).get(name, [])
        preferred = [s for s in same_name if namespace_of(s) == (cluster.namespace or "default")]
        pick = preferred or (same_name if len(same_name) == 1 else [])
        if pick:
            return ServiceMatch(key_of(pick[0]), pick[0])
        key = f"{cluster.namespace or 'default'}/{name}"
    else:
        key = ref
        found = cluster.get("Service", ns, name)
        if found is not None:
            return ServiceMatch(key, found)
    keys = [key_of(s) for s in services]
    close = difflib.get_close_matches(key, keys, n=5, cutoff=0.5)
    # Also offer the same (or a similar) name in other namespaces.
    names = {k.rpartition("/")[2] for k in keys}
    near = set(difflib.get_close_matches(name, names, n=5, cutoff=0.7))
    by_name = sorted(k for k in keys if k.rpartition("/")[2] in near)
    suggestions = list(dict.fromkeys(close + by_name))[:5]
    return ServiceMatch(key, None, tuple(suggestions))


def _services_by_name(cluster: ClusterState) -> dict[str, list[Obj]]:
    out: dict[str, list[Obj]] = {}
    for s in cluster.of("Service"):
        out.setdefault(name_of(s), []).append(s)
    return out


def _entry_points(svc: Obj, port: ServicePort) -> tuple[EntryPoint, ...]:
    out = [EntryPoint("cluster-ip", ip, port.port) for ip in cluster_ips(svc)]
    if port.node_port:
        out.append(EntryPoint("node-port", "", port.node_port))
    out += [EntryPoint("external-ip", ip, port.port) for ip in external_ips(svc)]
    out += [EntryPoint("load-balancer", ip, port.port) for ip in lb_ingress_ips(svc)]
    return tuple(out)


def _kernel_view(dp: Datapath, svc: Obj, port: ServicePort) -> KernelPortView | None:
    ns, name = namespace_of(svc), name_of(svc)
    ips = cluster_ips(svc) + external_ips(svc) + lb_ingress_ips(svc)
    entries = tuple(
        [("cluster-ip", ip) for ip in cluster_ips(svc)] + [("external-ip", ip) for ip in external_ips(svc)]
        + [("load-balancer", ip) for ip in lb_ingress_ips(svc)])
    if dp.backend in ("iptables-legacy", "iptables-nft"):
        dump = dp.iptables_dump
        if dump is None:
            return None
        v6 = bool(ips) and ":" in ips[0]
        return trace_iptables_port(dump, ns, name, port, tuple(e for e in entries if (":" in e[1]) == v6))
    if dp.backend == "nftables" and dp.nft is not None:
        v6 = bool(ips) and ":" in ips[0]
        return trace_nft_port(dp.nft, ns, name, port, ips, ipv6=v6,
                              entries=tuple(e for e in entries if (":" in e[1]) == v6))
    if dp.backend == "ipvs" and dp.ipvs is not None:
        return trace_ipvs_port(dp.ipvs, port, ips)
    if dp.backend == "cilium" and dp.cilium is not None:
        return trace_cilium_port(dp.cilium, port, ips)
    return None


def _nodeport_collisions(cluster: ClusterState, svc: Obj, port: ServicePort) -> list[str]:
    if not port.node_port:
        return []
    me = key_of(svc)
    return [k for k in cluster.memo(_node_ports).get((port.node_port, port.protocol), ()) if k != me]


def _node_ports(cluster: ClusterState) -> dict[tuple[int, str], list[str]]:
    """(nodePort, protocol) -> the "ns/name" of each service port using it, in list order."""
    out: dict[tuple[int, str], list[str]] = {}
    for svc in cluster.of("Service"):
        for p in service_ports(svc):
            if p.node_port:
                out.setdefault((p.node_port, p.protocol), []).append(key_of(svc))
    return out


def trace_service(cluster: ClusterState, node: NodeState, namespace: str, name: str,
                  port: str | int | None = None, datapath: Datapath | None = None) -> ServiceTrace:
    """Trace every port of `namespace/name` (or the one named/numbered `port`) on `node`.

    Pass `datapath` (from `parse_node_datapath(node, cluster)`) to reuse a parsed dump.
    """
    dp = datapath or parse_node_datapath(node, cluster)
    svc = cluster.get("Service", namespace, name)
    node_name = node.node or node.hostname
    if svc is None:
        match = find_service(cluster, f"{namespace}/{name}")
        hint = f"; did you mean {', '.join(match.suggestions)}?" if match.suggestions else ""
        missing = PortTrace("", "", 0, None, None, "", (), {r: None for r in CHAIN_ROLES}, (),
                            (Finding("error", "service-not-found", f"no service {namespace}/{name}{hint}"),), (), "")
        return ServiceTrace(f"{namespace}/{name}", node_name, dp.backend, (missing,), "")
    slices = service_index(cluster).slices(namespace, name)
    pods_by_key, pods_by_ip = shared_pod_index(cluster)
    ports = service_ports(svc)
    if port is not None:
        ports = tuple(p for p in ports if str(port) in (p.name, str(p.port)))
    traces = tuple(_trace_port(cluster, dp, svc, p, slices, pods_by_key, pods_by_ip) for p in ports)
    return ServiceTrace(f"{namespace}/{name}", node_name, dp.backend, traces, dig_str(svc, "spec", "type") or "ClusterIP")


_RULE_BACKENDS = ("iptables-legacy", "iptables-nft", "nftables")


def _condition_word(ae: ApiEndpoint | None) -> str | None:
    if ae is None:
        return None
    if ae.ready:
        return "ready"
    return "serving-terminating" if ae.serving and ae.terminating else "not-serving"


def _node_zone(cluster: ClusterState, node: str) -> str:
    obj = cluster.get("Node", "", node) if node else None
    return dig_str(obj, "metadata", "labels", "topology.kubernetes.io/zone") if obj else ""


def _paths(view: KernelPortView | None, api_by_addr: Mapping[tuple[str, int], ApiEndpoint],
           pods_by_ip: Mapping[str, Obj], node_name: str) -> tuple[PathTrace, ...]:
    out = []
    for kp in view.paths if view else ():
        eps = []
        for ke in kp.endpoints:
            ae = api_by_addr.get((ke.address, ke.port))
            pod_obj = pods_by_ip.get(ke.address) if ae is None or not ae.pod else None
            pod = ae.pod if ae and ae.pod else (key_of(pod_obj) if pod_obj else None)
            where = (ae.node if ae and ae.node else None) or (dig_str(pod_obj, "spec", "nodeName") if pod_obj else None)
            eps.append(PathEndpoint(ke.address, ke.port, ke.chain, ke.share, pod, where or None,
                                    (where == node_name) if where and node_name else None, _condition_word(ae)))
        out.append(PathTrace(kp.path, EntryPoint(kp.entry, kp.address, kp.port), kp.chain, tuple(eps),
                             kp.dropped, kp.rejected, kp.unhandled, kp.masquerade, kp.source_ranges))
    return tuple(out)


def _policy_findings(svc: Obj, port: ServicePort, spn: str, sel: Selection, paths: tuple[PathTrace, ...],
                     node_name: str, zone: str) -> list[Finding]:
    """What kube-proxy's endpoint rules mean here: fallbacks, local-only drops, topology hints."""
    out: list[Finding] = []
    etp, itp = traffic_policies(svc)
    ext_paths = [p for p in paths if p.path == "external"]
    if sel.cluster_fallback:
        out.append(Finding("info", "terminating-fallback",
                           f"{spn} has no ready endpoints, so kube-proxy sends cluster traffic to its "
                           f"{len(sel.cluster)} serving-but-terminating endpoint(s)"))
    if sel.local_fallback:
        out.append(Finding("info", "terminating-fallback",
                           f"no ready endpoint of {spn} runs on {node_name or 'this node'}, so local traffic goes "
                           f"to its {len(sel.local)} serving-but-terminating local endpoint(s)"))
    if etp == "Local" and externally_reachable(svc) and not sel.local:
        dropped = [p for p in ext_paths if p.dropped + p.rejected > 0.5]
        how = (" and the node drops it (" + ", ".join(f"{p.entry.kind} {p.entry.address or ''}:{p.entry.port}".replace(" :", " :")
                                                     for p in dropped) + ")") if dropped else ""
        out.append(Finding("warning", "local-only-drop",
                           f"externalTrafficPolicy Local and no local endpoint on {node_name or 'this node'}: "
                           f"external traffic to this node gets no endpoint{how}"))
    if itp == "Local" and not sel.local:
        out.append(Finding("warning", "local-only-drop",
                           f"internalTrafficPolicy Local and no local endpoint on {node_name or 'this node'}: "
                           "cluster traffic from this node is dropped"))
    if sel.topology:
        out.append(Finding("info", "topology-hints-used",
                           f"topology hints are used ({sel.topology}{' ' + zone if sel.topology == 'PreferSameZone' else ''}): "
                           f"this node sends cluster traffic to {len(sel.cluster)} endpoint(s)"))
    elif sel.hints_note:
        out.append(Finding("info", "topology-hints-ignored", f"topology hints are ignored: {sel.hints_note}"))
    return out


def _trace_port(cluster: ClusterState, dp: Datapath, svc: Obj, port: ServicePort, slices: tuple[IndexedSlice, ...],
                pods_by_key: Mapping[str, Obj], pods_by_ip: Mapping[str, Obj]) -> PortTrace:
    api = endpoints_for_port(slices, port, pods_by_key)
    api_by_addr: dict[tuple[str, int], ApiEndpoint] = {(e.address, e.port): e for e in api}
    view = _kernel_view(dp, svc, port)
    findings: list[Finding] = list(view.findings) if view else []
    spn = f"{key_of(svc)}:{port.name}" if port.name else key_of(svc)
    headless = not cluster_ips(svc)
    stype = dig_str(svc, "spec", "type") or "ClusterIP"
    node_name = dp.node or ""
    zone = _node_zone(cluster, node_name)
    sel = select_endpoints(api, svc, node_name, zone)
    programmed = {(e.address, e.port) for e in sel.cluster + sel.local}
    paths = _paths(view, api_by_addr, pods_by_ip, node_name)

    endpoints: list[EndpointTrace] = []
    kernel_addrs = set()
    kernel_eps = list(view.endpoints if view else ())
    listed = {(k.address, k.port) for k in kernel_eps}
    for path in paths:  # endpoints only another path reaches (the local set of ETP Local) come after
        for pe in path.endpoints:
            if (pe.address, pe.port) not in listed:
                listed.add((pe.address, pe.port))
                kernel_eps.append(KernelEndpoint(pe.address, pe.port, pe.chain, None, 0.0))
    for ke in kernel_eps:
        kernel_addrs.add((ke.address, ke.port))
        ae = api_by_addr.get((ke.address, ke.port))
        pod_obj = pods_by_key.get(ae.pod) if ae and ae.pod else pods_by_ip.get(ke.address)
        pod = ae.pod if ae and ae.pod else (key_of(pod_obj) if pod_obj else None)
        ready = ae.ready if ae else pod_ready(pod_obj)
        nodename = (ae.node if ae and ae.node else None) or (dig_str(pod_obj, "spec", "nodeName") if pod_obj else None) or None
        endpoints.append(EndpointTrace(ke.address, ke.port, ke.chain, ke.probability, ke.share, pod, nodename,
                                       ready, ke.packets, ke.bytes, True, ae is not None))
        if ae is None:
            findings.append(Finding("warning", "kernel-endpoint-not-in-api",
                                    f"{ke.address}:{ke.port} is in the kernel rules but in no EndpointSlice (stale rules?)"))
    have_view = view is not None and view.found
    for ae in api:
        if (ae.address, ae.port) in kernel_addrs:
            continue
        endpoints.append(EndpointTrace(ae.address, ae.port, None, None, 0.0 if have_view else None,
                                       ae.pod or None, ae.node or None, ae.ready, None, None, False, True))
        if not ae.ready and not (ae.serving and ae.terminating and (ae.address, ae.port) in programmed):
            findings.append(Finding("info", "endpoint-not-ready",
                                    f"{ae.address}:{ae.port} ({ae.pod or 'no pod'}) is not ready, so it gets no new connections"))
        elif have_view and not headless and stype != "ExternalName" and (
                (ae.address, ae.port) in programmed if dp.backend in _RULE_BACKENDS else ae.ready):
            # kube-proxy's rules hold the endpoints it selects for this node (local ones only
            # for a Local policy); IPVS and Cilium list every ready one.
            findings.append(Finding("warning", "endpoint-not-in-kernel",
                                    f"{ae.address}:{ae.port} is ready in the API but not in the node's rules "
                                    "(kube-proxy behind?)"))
    for e in endpoints:
        if e.in_kernel and e.ready is False:
            ae = api_by_addr.get((e.address, e.port))
            if ae is not None and ae.serving and ae.terminating:
                continue  # the fallback to serving-terminating endpoints: said once below
            findings.append(Finding("warning", "endpoint-to-not-ready-pod",
                                    f"{e.address}:{e.port} receives traffic but its pod is not ready"))

    usable = any(e.ready for e in endpoints if e.in_api) or bool(sel.cluster or sel.local)
    if not usable and stype != "ExternalName":
        reject = " and the node rejects connections to it" if view and view.rejects else ""
        findings.insert(0, Finding("warning", "no-endpoints", f"{spn} has no ready endpoints{reject}"))
    if view is None or not view.found:
        if headless:
            findings.append(Finding("info", "headless", "headless service: clients reach pods directly by DNS, no proxy rules"))
        elif stype == "ExternalName":
            findings.append(Finding("info", "external-name", "ExternalName service: a DNS CNAME only, no proxy rules"))
        elif dp.backend == "none":
            findings.append(Finding("warning", "no-kube-proxy-rules",
                                    f"no service datapath found on node {dp.node or '?'}: {'; '.join(dp.reasons)}"))
        else:
            findings.append(Finding("warning", "no-kube-proxy-rules",
                                    f"the {dp.backend} datapath has no rules for {spn}"))
    elif not headless and stype != "ExternalName":
        findings += _policy_findings(svc, port, spn, sel, paths, node_name, zone)
    if view is not None and view.affinity_seconds and dp.backend in ("iptables-legacy", "iptables-nft"):
        findings.append(Finding("info", "session-affinity",
                                f"a client seen in the last {view.affinity_seconds} s goes back to its endpoint "
                                "before the random pick (-m recent)"))
    if port.node_port is None and any(
            dig(p, "nodePort") == 0 and dig(p, "port") == port.port and dig_str(p, "name") == port.name
            for p in dig_list(svc, "spec", "ports")):
        findings.append(Finding("info", "node-port-zero",
                                f"{spn} has nodePort 0 in the API (older API servers write 0 for none): "
                                "no node port"))
    for other in _nodeport_collisions(cluster, svc, port):
        findings.append(Finding("error", "nodeport-collision",
                                f"NodePort {port.node_port}/{port.protocol} is also used by {other}"))
    chains = dict(view.chains) if view else {}
    ips = cluster_ips(svc)
    hc = dig(svc, "spec", "healthCheckNodePort")
    return PortTrace(
        port.name, port.protocol, port.port, port.node_port, ips[0] if ips else None, port.target_port,
        _entry_points(svc, port), {r: chains.get(r) for r in CHAIN_ROLES}, tuple(endpoints), tuple(findings),
        view.steps if view else (), view.explanation if view else "", view.affinity_seconds if view else None,
        paths, TrafficPolicy(*traffic_policies(svc)), hc if isinstance(hc, int) and not isinstance(hc, bool) and hc > 0 else None,
    )


def count_connections(conntrack: Iterable[Obj], port: PortTrace) -> dict[tuple[str, int], int]:
    """Conntrack entries to this port's entry points, counted per endpoint (the reply source)."""
    entries = {(e.address, e.port) for e in port.entry_points if e.address}
    node_port = port.node_port
    proto = port.protocol.lower()
    counts: dict[tuple[str, int], int] = {}
    for c in conntrack:
        if not isinstance(c, dict) or str(c.get("proto", "")).lower() != proto:
            continue
        raw_dport, raw_sport = c.get("orig_dport"), c.get("reply_sport")
        if raw_dport is None or raw_sport is None:
            continue
        try:
            dport = int(raw_dport)
            sport = int(raw_sport)
        except (TypeError, ValueError):
            continue
        dst = c.get("orig_dst")
        if (dst, dport) not in entries and not (node_port and dport == node_port):
            continue
        key = (str(c.get("reply_src")), sport)
        counts[key] = counts.get(key, 0) + 1
    return counts


def with_connections(trace: ServiceTrace, conntrack: Iterable[Obj]) -> ServiceTrace:
    """The same trace with `connections` filled per endpoint from conntrack entries."""
    rows = tuple(conntrack)
    ports = []
    for p in trace.ports:
        counts = count_connections(rows, p)
        eps = tuple(
            EndpointTrace(**{**e.__dict__, "connections": counts.get((e.address, e.port), 0)}) for e in p.endpoints
        )
        ports.append(PortTrace(**{**p.__dict__, "endpoints": eps}))
    return ServiceTrace(trace.service, trace.node, trace.backend, tuple(ports), trace.service_type)


# ---- the Services table -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ServiceRow:
    namespace: str
    name: str
    type: str
    cluster_ip: str
    ports: str  # "80->31100/TCP, 443/TCP"
    ready: int
    total: int
    backend: str

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def to_json(self) -> dict[str, Any]:
        return {"namespace": self.namespace, "name": self.name, "type": self.type,
                "cluster_ip": self.cluster_ip, "ports": self.ports, "ready": self.ready,
                "total": self.total, "endpoints": f"{self.ready}/{self.total}", "backend": self.backend}


@dataclass(frozen=True)
class ServicesView:
    node: str
    backend: str
    rows: tuple[ServiceRow, ...]

    def to_json(self) -> dict[str, Any]:
        return {"node": self.node, "backend": self.backend, "rows": [r.to_json() for r in self.rows]}


def _ports_text(svc: Obj) -> str:
    parts = []
    for p in service_ports(svc):
        np = f"->{p.node_port}" if p.node_port else ""
        parts.append(f"{p.port}{np}/{p.protocol}")
    return ", ".join(parts)


def endpoint_counts(cluster: ClusterState) -> dict[tuple[str, str], tuple[int, int]]:
    """(namespace, service) -> (ready, total) distinct endpoint addresses, in one pass over slices."""
    return dict(cluster.memo(_endpoint_counts))


def _endpoint_counts(cluster: ClusterState) -> dict[tuple[str, str], tuple[int, int]]:
    index = service_index(cluster)
    return {key: (c.ready, c.total) for key in index.slices_by_service for c in (index.count(*key),)}


def build_services_view(cluster: ClusterState, node: NodeState | None = None,
                        datapath: Datapath | None = None) -> ServicesView:
    """Rows for the Services pane; `datapath` (or the node) only names the backend."""
    if datapath is None and node is not None:
        datapath = parse_node_datapath(node, cluster)
    backend = datapath.backend if datapath else "unknown"
    rows = cluster.memo(_service_rows, backend)  # the same state and backend give the same rows
    return ServicesView((node.node if node else "") or (datapath.node if datapath else ""), backend, rows)


def _service_rows(cluster: ClusterState, backend: str) -> tuple[ServiceRow, ...]:
    counts = cluster.memo(_endpoint_counts)
    rows = []
    for svc in cluster.in_namespace("Service"):
        ns, name = namespace_of(svc), name_of(svc)
        ready, total = counts.get((ns, name), (0, 0))
        rows.append(ServiceRow(ns, name, dig_str(svc, "spec", "type") or "ClusterIP",
                               dig_str(svc, "spec", "clusterIP") or "", _ports_text(svc), ready, total, backend))
    rows.sort(key=lambda r: (r.namespace, r.name))
    return tuple(rows)

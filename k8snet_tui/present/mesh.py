"""Pane 0 "Mesh": which pods are meshed, by which mesh and how, and what their own rules redirect.

`present` is the pane's model and `k8snet show mesh`; `pod_report` is `k8snet mesh NS/POD
[DEST]` and the pane's explain box: one pod's redirect layout and, for a destination, the order a
connection takes. `for_service` is what `m` on the Services trace shows: what the mesh does to a
connection to that Service from each meshed client pod before kube-proxy's rules see it. All of
it comes from `domain/mesh`; nothing here decides where a packet goes.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from k8snet_tui.domain.mesh.config import MeshConfig, ServiceConfig, service_config
from k8snet_tui.domain.mesh.view import Explanation, MeshPod, Redirects, build_mesh_view, explain
from k8snet_tui.domain.model import ClusterState, Observed, dig_list, dig_str
from k8snet_tui.errors import UsageError

from .selection import Selection
from .serialize import JsonModel

MESH_USAGE = "mesh NS/POD [ADDRESS:PORT] [--uid N] [--from ADDRESS]"


@dataclass(frozen=True)
class MeshModel(JsonModel):
    """`k8snet show mesh --json`."""

    pods: tuple[MeshPod, ...]
    meshed: int
    namespaces_injected: tuple[str, ...]
    namespaces_ambient: tuple[str, ...]
    config: MeshConfig
    findings: tuple[str, ...]


@dataclass(frozen=True)
class PodReport(JsonModel):
    """`k8snet mesh NS/POD [DEST] --json`: the pod, its layout in words, and the connection."""

    pod: MeshPod
    layout: tuple[str, ...]
    connection: Explanation | None
    config: MeshConfig
    service: ServiceConfig | None = None  # the destination is a Service's ClusterIP: the mesh's routes and mTLS from this pod


def present(observed: Observed, selection: Selection) -> MeshModel:
    view = build_mesh_view(observed.cluster, observed.nodes, selection.namespace)
    return MeshModel(view.pods, sum(1 for p in view.pods if p.meshed), view.namespaces_injected,
                     view.namespaces_ambient, view.config, view.findings)


def mode_words(p: MeshPod) -> str:
    if not p.meshed:
        return "not meshed"
    ver = f" {p.version}" if p.version else ""
    return f"{p.mesh}{ver} {p.mode}".strip()


def redirect_words(r: Redirects) -> str:
    """One cell: what the pod's own rules do, or why that is not known."""
    if r.state == "not read":
        return "ztunnel (node)" if r.reason.startswith("ambient") else "rules not read"
    if r.state == "unknown":
        return "unknown (unreadable)"
    if not r.mesh_chains:
        return "no redirect rules"
    if r.mesh_chains == "unrecognised":
        return "mesh-like chains, layout unknown"
    parts = []
    if r.outbound_port is not None and (r.included_cidrs or r.included_out_ports):
        parts.append(f"out->{r.outbound_port}")
    if r.inbound_port is not None and r.inbound_ports:
        parts.append(f"in->{r.inbound_port}")
    return " ".join(parts) or "chains, nothing redirected"


def layout_lines(p: MeshPod) -> tuple[str, ...]:
    """The pod's redirect layout as sentences."""
    r = p.redirects
    out = [f"{p.key} ({p.ip or 'no IP'}) on {p.node or 'no node'}: {mode_words(p)}; {p.reason}"]
    if p.init:
        out.append(f"rules written by: {p.init}")
    for k, v in p.annotations:
        out.append(f"annotation {k}: {v}")
    if r.state != "read":
        out.append(f"own rules: {redirect_words(r)}" + (f": {r.reason}" if r.reason else ""))
    elif not r.mesh_chains:
        out.append(f"own rules ({r.backend or 'no backend'}): no mesh chains, nothing redirected")
    else:
        out.append(f"own rules ({r.backend}): {r.mesh_chains} layout")
        if r.outbound_port is not None:
            taken = ", ".join(r.included_cidrs) or "no destination"
            out.append(f"outbound: app connections to {taken} go to port {r.outbound_port}")
            if r.included_out_ports:
                out.append(f"  and to ports {', '.join(r.included_out_ports)} anywhere")
        if r.excluded_out_ports:
            out.append(f"  except ports {', '.join(r.excluded_out_ports)} (straight out)")
        if r.excluded_cidrs:
            out.append(f"  except to {', '.join(r.excluded_cidrs)} (straight out)")
        if r.excluded_uids or r.excluded_gids:
            who = [f"uid {u}" for u in r.excluded_uids] + [f"gid {g}" for g in r.excluded_gids]
            out.append(f"  never for {', '.join(who)} (the proxy's own connections)")
        if r.inbound_port is not None:
            ins = ", ".join(r.inbound_ports) if r.inbound_ports else "no port"
            out.append(f"inbound: arriving connections to {ins} go to port {r.inbound_port}")
            if r.excluded_in_ports:
                out.append(f"  except ports {', '.join(r.excluded_in_ports)}")
        if r.dns_port is not None:
            out.append(f"DNS (port 53) goes to the agent's port {r.dns_port}")
        for text in r.other_rules[:10]:
            out.append(f"rule not placed: {text}")
    out += [f"! {f}" for f in p.findings]
    return tuple(out)


def parse_dest(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    try:
        ipaddress.ip_address(host.strip("[]"))
        number = int(port)
    except ValueError:
        raise UsageError(f"mesh: {text!r} is not ADDRESS:PORT", hint=MESH_USAGE) from None
    if not sep or not 0 < number < 65536:
        raise UsageError(f"mesh: {text!r} is not ADDRESS:PORT", hint=MESH_USAGE)
    return host.strip("[]"), number


def pod_report(observed: Observed, key: str, dest: str = "", *, uid: int = 0, inbound_from: str = "") -> PodReport:
    ns, sep, name = key.partition("/")
    if not sep:
        ns, name = observed.cluster.namespace or "default", key
    view = build_mesh_view(observed.cluster, observed.nodes, ns)
    row = view.pod(f"{ns}/{name}")
    if row is None:
        raise UsageError(f"mesh: no pod {ns}/{name}", hint=MESH_USAGE)
    conn = None
    if dest:
        host, port = parse_dest(dest)
        conn = explain(row, host, port, uid=uid, inbound_from=inbound_from)
        if not inbound_from:
            return PodReport(row, layout_lines(row), conn, view.config, dest_config(observed.cluster, row.key, host, port))
    return PodReport(row, layout_lines(row), conn, view.config)


def dest_config(cluster: ClusterState, pod_key: str, host: str, port: int) -> ServiceConfig | None:
    """The mesh configuration for a connection from `pod_key` to host:port, when host is a
    Service's ClusterIP (None otherwise)."""
    for svc in cluster.of("Service"):
        ips = [dig_str(svc, "spec", "clusterIP"), *(str(i) for i in dig_list(svc, "spec", "clusterIPs"))]
        if host in ips:
            ns, _, name = pod_key.partition("/")
            return service_config(cluster, dig_str(svc, "metadata", "namespace"), dig_str(svc, "metadata", "name"),
                                  port=port, source=cluster.get("Pod", ns, name))
    return None


def pod_config_lines(config: MeshConfig, pod_key: str) -> tuple[str, ...]:
    """The pane's lines for a pod: the state of the mesh configuration, and each Service whose
    routes reach this pod, worked out for a meshed client in the Service's namespace."""
    out = [f"{config.state}: {config.note}"]
    for c in config.services:
        if any(pod_key in d.pods for r in c.routes for d in r.destinations):
            out += c.lines
    return tuple(out[:80])


def connection_lines(e: Explanation) -> tuple[str, ...]:
    who = f"as uid {e.uid}" if e.direction == "outbound" else "arriving"
    out = [f"{e.pod} -> {e.dst}:{e.port} ({who}): {e.words}", f"order: {e.order}"]
    for h in e.hops:
        out.append(f"  {h.at}: {h.does}   [{h.rule}]")
    if e.after:
        out.append(f"then: {e.after}")
    return tuple(out)


@dataclass(frozen=True)
class ServiceMesh(JsonModel):
    """What the mesh does to connections to one Service, per meshed client pod."""

    service: str
    cluster_ip: str
    port: int
    clients: tuple[Explanation, ...]
    unmeshed_clients: int
    config: MeshConfig
    mesh: ServiceConfig | None = None  # the routes, mTLS and authorization for a meshed client


def for_service(observed: Observed, ref: str) -> ServiceMesh:
    """`m` on the Services trace: each meshed pod's connection to the Service's ClusterIP."""
    ns, _, rest = ref.partition("/")
    name, _, port_text = rest.partition(":")
    svc = observed.cluster.get("Service", ns, name)
    if svc is None:
        raise UsageError(f"mesh: no Service {ns}/{name}")
    ip = dig_str(svc, "spec", "clusterIP")
    ports = [p for p in dig_list(svc, "spec", "ports") if isinstance(p, dict)]
    chosen = next((p for p in ports if str(p.get("name", "")) == port_text or str(p.get("port")) == port_text),
                  ports[0] if ports else {})
    port = int(chosen.get("port", 0) or 0)
    view = build_mesh_view(observed.cluster, observed.nodes, None)
    meshed = [p for p in view.pods if p.meshed]
    clients = tuple(explain(p, ip, port) for p in meshed) if ip and ip != "None" and port else ()
    mesh = service_config(observed.cluster, ns, name, port=port or None)
    return ServiceMesh(f"{ns}/{name}", ip, port, clients, len(view.pods) - len(meshed), view.config, mesh)


def service_lines(s: ServiceMesh) -> tuple[str, ...]:
    out = [f"MESH  {s.service} {s.cluster_ip}:{s.port}: what each meshed pod's connection meets first"]
    if not s.clients:
        out.append("no meshed pod here: every client's connection goes straight to kube-proxy's rules")
    for e in s.clients:
        out.append(f"{e.pod}: {e.words}")
        out.append(f"  order: {e.order}")
        if e.after:
            out.append(f"  then: {e.after}")
    out.append(f"{s.unmeshed_clients} pod(s) without a mesh: straight to kube-proxy's rules")
    if s.mesh is not None and s.config.state == "read":
        out += s.mesh.lines
    else:
        out.append(f"mesh routes and mTLS for it: {s.config.state}")
    return tuple(out)

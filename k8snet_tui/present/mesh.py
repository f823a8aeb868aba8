"""Pane 0 "Mesh": which pods are meshed, by which mesh and how, and what their own rules redirect.

`present` is the pane's model and `k8snet show mesh`; `pod_report` is `k8snet mesh NS/POD
[DEST]` and the pane's explain box: one pod's redirect layout and, for a destination, the order a
connection takes. `for_service` is what `m` on the Services trace shows: what the mesh does to a
connection to that Service from each meshed client pod before kube-proxy's rules see it. All of
it comes from `domain/mesh`; nothing here decides where a packet goes.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from k8snet_tui.domain.mesh.config import MeshConfig, ServiceConfig, service_config
from k8snet_tui.domain.mesh.view import Explanation, MeshPod, Redirects, build_mesh_view, explain
from k8snet_tui.domain.model import ClusterState, Observed, dig_list, dig_str
from k8snet_tui.domain.pod_names import near_pods
from k8snet_tui.errors import UsageError

from .selection import Selection
from .serialize import JsonModel

MESH_USAGE = "mesh NS/POD [ADDRESS:PORT] [--uid N] [--from ADDRESS] [--path /P] [--method M]"
# Pane 0's `t` box: the same question in the box's own words (no options there).
PROMPT_FORM = "ADDRESS:PORT [as UID] [METHOD] [/PATH]"
PROMPT_EXAMPLE = "10.96.0.10:80 as 1000 GET /api"
# An HTTP method is a token (RFC 9110 section 9.1): letters here, the usual ones upper case.
METHOD = re.compile(r"[A-Za-z]{1,20}")
MAX_PATH = 2048


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


def parse_dest(text: str, hint: str = MESH_USAGE) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    try:
        ipaddress.ip_address(host.strip("[]"))
        number = int(port)
    except ValueError:
        raise UsageError(f"mesh: {text!r} is not ADDRESS:PORT", hint=hint) from None
    if not sep or not 0 < number < 65536:
        raise UsageError(f"mesh: {text!r} is not ADDRESS:PORT", hint=hint)
    return host.strip("[]"), number


def check_request(path: str, method: str, hint: str = MESH_USAGE) -> tuple[str, str]:
    """The request's path and method as the mesh's routes and policies compare them ("": not given)."""
    if path and (not path.startswith("/") or len(path) > MAX_PATH or any(c.isspace() or ord(c) < 32 for c in path)):
        raise UsageError(f"mesh: {path[:80]!r} is not a request path (it starts with /, no spaces)", hint=hint)
    if method and not METHOD.fullmatch(method):
        raise UsageError(f"mesh: {method[:40]!r} is not an HTTP method (GET, POST, ...)", hint=hint)
    return path, method.upper()


@dataclass(frozen=True)
class Question:
    """What pane 0's `t` box asks: a destination, the app's uid, and the request if HTTP."""

    host: str
    port: int
    uid: int = 0
    method: str = ""
    path: str = ""


def parse_question(text: str) -> Question:
    """`ADDRESS:PORT [as UID] [METHOD] [/PATH]` (the words after the destination in any order);
    a UsageError in the box's own form otherwise."""
    hint = f"the box takes {PROMPT_FORM}, e.g. {PROMPT_EXAMPLE}"
    words = text.split()
    if not words:
        raise UsageError("mesh: give a destination", hint=hint)
    host, port = parse_dest(words[0], hint=hint)
    uid, method, path = 0, "", ""
    rest = words[1:]
    while rest:
        word = rest.pop(0)
        if word == "as":
            given = rest.pop(0) if rest else ""
            if not given.isdigit() or int(given) > 2**32 - 1:
                raise UsageError(f"mesh: {('as ' + given).strip()!r} is not `as UID`", hint=hint)
            uid = int(given)
        elif word.startswith("/") and not path:
            path = word
        elif METHOD.fullmatch(word) and not method:
            method = word
        else:
            raise UsageError(f"mesh: {word[:40]!r} is neither `as UID`, a METHOD nor a /PATH", hint=hint)
    path, method = check_request(path, method, hint)
    return Question(host, port, uid, method, path)


def no_pod(cluster: ClusterState, key: str) -> UsageError:
    """An unknown pod in `k8snet mesh`'s and `:mesh`'s words, with the way forward."""
    near = near_pods(cluster, key)
    hint = f"did you mean: {', '.join(near)}" if near else "list them with: k8snet show mesh"
    return UsageError(f"mesh: no pod {key}", hint=hint)


def pod_report(observed: Observed, key: str, dest: str = "", *, uid: int = 0, inbound_from: str = "",
               path: str = "", method: str = "") -> PodReport:
    ns, sep, name = key.partition("/")
    if not sep:
        ns, name = observed.cluster.namespace or "default", key
    path, method = check_request(path, method)
    view = build_mesh_view(observed.cluster, observed.nodes, ns)
    row = view.pod(f"{ns}/{name}")
    if row is None:
        raise no_pod(observed.cluster, f"{ns}/{name}")
    conn = None
    if dest:
        host, port = parse_dest(dest)
        conn = explain(row, host, port, uid=uid, inbound_from=inbound_from)
        if not inbound_from:
            return PodReport(row, layout_lines(row), conn, view.config,
                             dest_config(observed.cluster, row.key, host, port, path=path, method=method))
    return PodReport(row, layout_lines(row), conn, view.config)


def dest_config(cluster: ClusterState, pod_key: str, host: str, port: int, *, path: str = "",
                method: str = "") -> ServiceConfig | None:
    """The mesh configuration for a connection from `pod_key` to host:port, when host is a
    Service's ClusterIP (None otherwise); the request's path and method, when given, decide the
    routes and policies that match on them."""
    for svc in cluster.of("Service"):
        ips = [dig_str(svc, "spec", "clusterIP"), *(str(i) for i in dig_list(svc, "spec", "clusterIPs"))]
        if host in ips:
            ns, _, name = pod_key.partition("/")
            return service_config(cluster, dig_str(svc, "metadata", "namespace"), dig_str(svc, "metadata", "name"),
                                  port=port, source=cluster.get("Pod", ns, name), path=path, method=method)
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
    unmeshed_unread: int = 0  # of unmeshed_clients: pods whose own rules were not read (or unreadable)


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
    unread = sum(1 for p in view.pods if not p.meshed and p.redirects.state != "read")
    return ServiceMesh(f"{ns}/{name}", ip, port, clients, len(view.pods) - len(meshed), view.config, mesh, unread)


def service_lines(s: ServiceMesh) -> tuple[str, ...]:
    out = [f"MESH  {s.service} {s.cluster_ip}:{s.port}: what each meshed pod's connection meets first"]
    if not s.clients:
        out.append("no meshed pod here (no sidecar, no ambient label)")
    for e in s.clients:
        out.append(f"{e.pod}: {e.words}")
        out.append(f"  order: {e.order}")
        if e.after:
            out.append(f"  then: {e.after}")
    read = s.unmeshed_clients - s.unmeshed_unread
    if not s.unmeshed_unread:
        out.append(f"{s.unmeshed_clients} pod(s) without a mesh: straight to kube-proxy's rules")
    else:  # no mesh detected; what their own rules do is not known until they are read
        out.append(f"{s.unmeshed_clients} pod(s) without a mesh: "
                   + (f"{read} straight to kube-proxy's rules (their own rules read), " if read else "")
                   + f"{s.unmeshed_unread} whose own rules were not read (no mesh detected; where their "
                     "connections go first is not known)")
    if s.mesh is not None and s.config.state == "read":
        out += s.mesh.lines
    else:
        out.append(f"mesh routes and mTLS for it: {s.config.state}")
    return tuple(out)

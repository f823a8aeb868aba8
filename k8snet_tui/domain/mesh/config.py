"""Mesh configuration joined to a Service: the routes a client's proxy applies, in order, with
their weights and subsets down to pods; whether the connection is mTLS; whether it is allowed.

For one Service (and optionally the client pod, the request's path, method and headers, the
Service port) `service_config` answers from the mesh's own objects, each verdict with the object
and rule that decided it. routes.py reads VirtualService, DestinationRule and Gateway API routes
with a Service parent (GAMMA, Linkerd's HTTPRoute too); mtls.py PeerAuthentication and the
client's TLS; authz.py Istio's AuthorizationPolicy and Linkerd's Server / AuthorizationPolicy.
Every doc page the semantics follow is named at the top of those modules. Without a client pod
the client is taken to be a pod with the same mesh's proxy in the Service's namespace, and the
answer says so. Nothing here raises on malformed objects: what does not fit is a finding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from ..model import ClusterState, Obj, dig, dig_dict, dig_list, dig_str
from .authz import Call, Peer, istio_verdict, linkerd_verdict
from .detect import detect_pod
from .mtls import client_sends, connection, peer_mode
from .objects import DOMAIN, MAX_ITEMS, Decider, Verdict, as_int, capped, fqdn, group_of, host_matches
from .routes import (
    Destination,
    Request,
    Route,
    RouteSet,
    default_routes,
    destination_rule,
    gamma_routes,
    service_for,
    service_pods,
    traffic_policy,
    virtual_service,
    vs_routes,
)

ROOT_NAMESPACE = "istio-system"
MESH_KINDS = ("PeerAuthentication", "DestinationRule", "VirtualService", "AuthorizationPolicy", "HTTPRoute",
              "GRPCRoute", "Server", "MeshTLSAuthentication", "NetworkAuthentication")
# The API versions these readers follow; an object of another version is still read (the fields
# have kept their meaning across them), with a finding.
KNOWN_VERSIONS = {
    "networking.istio.io": ("v1", "v1beta1", "v1alpha3"), "security.istio.io": ("v1", "v1beta1"),
    "gateway.networking.k8s.io": ("v1", "v1beta1", "v1alpha2"),
    "policy.linkerd.io": ("v1alpha1", "v1beta1", "v1beta2", "v1beta3"),
}
MAX_SERVICES = 100  # Services the overview works out (the trace's `m` and `k8snet mesh` ask for one)


@dataclass(frozen=True)
class ServiceConfig:
    """What the mesh does to a connection to one Service from one client."""

    service: str
    host: str
    port: int | None
    client: str  # who the answer is for, in words
    source: str  # "VirtualService", "GAMMA route", "default", "none (no proxy)"
    routes: tuple[Route, ...]
    chosen: int | None
    route_words: str
    destinations: tuple[Destination, ...]
    tls: Verdict
    authz: Verdict
    findings: tuple[str, ...]
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MeshConfig:
    """The mesh's own objects joined to Services (item 3 of issue 19). state: "read" when any
    mesh object is present, "no mesh configuration" when none is."""

    state: str = "not read yet"
    note: str = "PeerAuthentication, DestinationRule, VirtualService, AuthorizationPolicy and GAMMA routes are not read yet"
    services: tuple[ServiceConfig, ...] = ()
    findings: tuple[str, ...] = ()


def _ns_labels(cluster: ClusterState, ns: str) -> dict[str, str]:
    return {str(k): str(v) for k, v in dig_dict(cluster.get("Namespace", "", ns), "metadata", "labels").items()}


def _version_findings(cluster: ClusterState) -> tuple[str, ...]:
    out: list[str] = []
    for kind in MESH_KINDS:
        for obj in cluster.of(kind)[:MAX_ITEMS * 4]:
            api = obj.get("apiVersion")
            group, _, version = api.partition("/") if isinstance(api, str) else ("", "", "")
            known = KNOWN_VERSIONS.get(group)
            if known is not None and version not in known:
                out.append(f"{kind} {dig_str(obj, 'metadata', 'namespace')}/{dig_str(obj, 'metadata', 'name')}: "
                           f"apiVersion {str(api)[:60]} is not one this reader knows ({', '.join(known)}); "
                           "read as the newest")
    return tuple(out)


def _mesh_of(cluster: ClusterState, pod: Obj) -> str:
    found = detect_pod(pod, _ns_labels(cluster, dig_str(pod, "metadata", "namespace")))
    return found.mesh if found.mode in ("sidecar", "native sidecar") else ""  # ambient, node proxies: not followed


def target_port(svc: Obj | None, port: int | None, pod: Obj) -> int | None:
    """The container port a Service port reaches on `pod` (a named targetPort looked up there)."""
    for p in capped(dig_list(svc, "spec", "ports")):
        if not isinstance(p, dict) or (port is not None and as_int(p.get("port")) != port):
            continue
        target = p.get("targetPort", p.get("port"))
        if isinstance(target, str) and not target.isdigit():
            for c in capped(dig_list(pod, "spec", "containers")):
                for cp in capped(dig_list(c, "ports")):
                    if isinstance(cp, dict) and cp.get("name") == target:
                        return as_int(cp.get("containerPort"))
            return None
        return as_int(target)
    return port


def _group(verdicts: list[tuple[str, Verdict]], none_words: str) -> Verdict:
    if not verdicts:
        return Verdict("unknown", none_words)
    groups: dict[tuple[str, str], list[str]] = {}
    by: dict[Decider, None] = {}
    for pod, v in verdicts:
        groups.setdefault((v.answer, v.words), []).append(pod)
        by.update(dict.fromkeys(v.by))
    if len(groups) == 1:
        (answer, words), _pods = next(iter(groups.items()))
        return Verdict(answer, words, tuple(by))
    parts = [f"{len(p)} pod(s) ({', '.join(p[:3])}{', ...' if len(p) > 3 else ''}): {w}" for (_a, w), p in groups.items()]
    return Verdict("mixed", "; ".join(parts), tuple(by))


def _peer(cluster: ClusterState, source: Obj | None, client_ns: str, client_mesh: str, tls: Verdict) -> Peer:
    mtls = True if tls.answer == "mtls" else False if tls.answer in ("plaintext", "tls") else None
    if source is None:
        return Peer(client_ns, "default", "", mtls, client_mesh)
    return Peer(client_ns, dig_str(source, "spec", "serviceAccountName") or "default",
                dig_str(source, "status", "podIP"), mtls, client_mesh)


def _routes(cluster: ClusterState, svc: Obj, host: str, client_mesh: str, req: Request, root_ns: str,
            findings: list[str]) -> RouteSet:
    drs = cluster.of("DestinationRule")
    ns, name = dig_str(svc, "metadata", "namespace"), dig_str(svc, "metadata", "name")
    gamma = gamma_routes(cluster, ("HTTPRoute", "GRPCRoute"), ns, name, drs, req, root_ns, findings)
    vs = virtual_service(cluster.of("VirtualService"), host, req, findings) if client_mesh == "istio" else None
    if vs is not None and gamma is not None:
        findings.append("both a VirtualService and Gateway API routes attach to this Service: Istio's docs ask for one "
                        "or the other; the VirtualService is shown")
    if vs is not None:
        return vs_routes(cluster, vs, drs, req, root_ns, findings)
    if gamma is not None:
        return gamma
    return default_routes(cluster, svc, drs if client_mesh == "istio" else (), req, root_ns, findings)


def service_config(cluster: ClusterState, namespace: str, name: str, *, port: int | None = None,
                   source: Obj | None = None, path: str = "", method: str = "",
                   headers: Mapping[str, str] | None = None, root_namespace: str = ROOT_NAMESPACE) -> ServiceConfig:
    """The mesh's routes, mTLS and authorization for a connection to Service namespace/name."""
    svc = cluster.get("Service", namespace, name)
    host = f"{name}.{namespace}.svc.{DOMAIN}"
    findings: list[str] = list(cluster.memo(_version_findings))
    if svc is None:
        none = Verdict("unknown", f"no Service {namespace}/{name}")
        return ServiceConfig(f"{namespace}/{name}", host, port, "", "none", (), None, "no such Service", (),
                             none, none, (f"no Service {namespace}/{name}",), (f"no Service {namespace}/{name}",))
    ports = [as_int(p.get("port")) for p in capped(dig_list(svc, "spec", "ports")) if isinstance(p, dict)]
    if port is None:
        port = ports[0] if ports else None
    elif port not in ports:
        findings.append(f"the Service has no port {port} (it has {', '.join(str(p) for p in ports) or 'none'})")
    own_pods = service_pods(cluster, svc)
    if source is not None:
        client_ns = dig_str(source, "metadata", "namespace")
        client_mesh = _mesh_of(cluster, source)
        client_labels: dict[str, str] | None = {str(k): str(v) for k, v in
                                                dig_dict(source, "metadata", "labels").items()}
        client = (f"pod {client_ns}/{dig_str(source, 'metadata', 'name')} "
                  f"({client_mesh + ' sidecar' if client_mesh else 'no proxy'})")
    else:
        client_ns = namespace
        meshes = [m for m in (_mesh_of(cluster, p) for p in own_pods) if m]
        client_mesh = meshes[0] if meshes else "istio"
        client_labels = None
        client = f"a pod with a{'n Istio' if client_mesh == 'istio' else ' Linkerd'} sidecar in {namespace} (no client given)"
    req = Request(path, method, dict(headers or {}), port, client_ns, client_labels)
    if client_mesh:
        rs = _routes(cluster, svc, host, client_mesh, req, root_namespace, findings)
    else:
        rs = RouteSet("none (no proxy)", (), None, "no mesh route applies; kube-proxy's rules "
                      "spread connections over every pod of the Service", ())
    chosen = rs.routes[rs.chosen] if rs.chosen is not None else None
    dests = chosen.destinations if chosen else ()
    targets = _targets(cluster, dests, svc, own_pods)
    tls_each: list[tuple[str, Verdict]] = []
    authz_each: list[tuple[str, Verdict]] = []
    # with no route chosen (or none at all) the Service's own pods are the servers, and the
    # DestinationRule for the Service's host (no subset) sets the client's TLS
    own_tls = (traffic_policy(destination_rule(cluster.of("DestinationRule"), host, req, namespace, root_namespace,
                                               findings), "", port, findings)[0] if client_mesh == "istio" else None)
    pas = cluster.of("PeerAuthentication")
    aps = cluster.of("AuthorizationPolicy")
    for dest, pod in targets[:MAX_ITEMS]:
        key = f"{dig_str(pod, 'metadata', 'namespace')}/{dig_str(pod, 'metadata', 'name')}"
        server_mesh = _mesh_of(cluster, pod)
        dsvc = service_for(cluster, dest.host) if dest else svc
        wport = target_port(dsvc, dest.port if dest and dest.port is not None else port, pod)
        mode = peer_mode(pas, pod, wport, root_namespace) if server_mesh == "istio" else None
        if mode is not None:
            findings.extend(f for f in mode.findings if f not in findings)
        sends = client_sends(client_mesh, server_mesh, mode.mode if mode else "",
                             (dest.tls if dest else own_tls) if client_mesh == "istio" else None)
        tls = connection(sends, server_mesh, mode)
        tls_each.append((key, tls))
        if tls.answer == "refused":
            authz = Verdict("deny", "not reached: the connection fails before authorization", tls.by)
        elif server_mesh == "istio":
            authz = istio_verdict(aps, pod, _peer(cluster, source, client_ns, client_mesh, tls),
                                  Call(wport, path, method), root_namespace, findings)
        elif server_mesh == "linkerd":
            authz = linkerd_verdict(cluster, pod, wport, _peer(cluster, source, client_ns, client_mesh, tls), findings)
        else:
            authz = Verdict("allow", "allowed: the server has no proxy, so no mesh policy is enforced there "
                            "(NetworkPolicy may still decide)", (Decider("", "", "", "no server proxy"),))
        authz_each.append((key, authz))
    nobody = "no pod to connect to" + (": the route's destinations have none" if rs.chosen is not None else "")
    if rs.chosen is None and rs.routes:
        nobody = "not worked out: which route applies is not known"
    elif rs.chosen is None and not own_pods:
        nobody += _not_pods(cluster, svc)
    tls_v = _group(tls_each, nobody)
    authz_v = _group(authz_each, nobody)
    findings = list(dict.fromkeys(findings))
    result = ServiceConfig(f"{namespace}/{name}", host, port, client, rs.source, rs.routes, rs.chosen, rs.chosen_words,
                           dests, tls_v, authz_v, tuple(findings), ())
    return replace(result, lines=config_lines(result))


def _not_pods(cluster: ClusterState, svc: Obj) -> str:
    """Why a Service without pods still has somewhere to go: its endpoints are addresses that are
    no pod's (default/kubernetes: the API server's own host address), so no mesh proxy is there."""
    ns, name = dig_str(svc, "metadata", "namespace"), dig_str(svc, "metadata", "name")
    addresses: list[str] = []
    for es in cluster.in_namespace("EndpointSlice", ns):
        if dig_str(es, "metadata", "labels", "kubernetes.io/service-name") != name:
            continue
        for ep in capped(dig_list(es, "endpoints")):
            if isinstance(ep, dict) and dig_str(ep, "targetRef", "kind") != "Pod":
                addresses += [str(a) for a in capped(ep.get("addresses") if isinstance(ep.get("addresses"), list)
                                                     else []) if isinstance(a, str)]
    if not addresses:
        return ""
    unique = sorted(set(addresses))
    shown = ", ".join(unique[:4]) + (", ..." if len(unique) > 4 else "")
    if (ns, name) == ("default", "kubernetes"):
        return f": its endpoint {shown} is the API server's own host address, not a pod, so no mesh proxy is there"
    return f": its endpoints {shown} are not pods, so no mesh proxy is there"


def _targets(cluster: ClusterState, dests: tuple[Destination, ...], svc: Obj,
             own_pods: list[Obj]) -> list[tuple[Destination | None, Obj]]:
    if not dests:
        return [(None, p) for p in own_pods]
    out: list[tuple[Destination | None, Obj]] = []
    for d in dests:
        if d.percent <= 0:
            continue
        for key in d.pods:
            ns, _, name = key.partition("/")
            pod = cluster.get("Pod", ns, name)
            if pod is not None:
                out.append((d, pod))
    return out


def config_lines(c: ServiceConfig) -> tuple[str, ...]:
    """The answer as sentences, for the pane's drawer and `k8snet mesh`."""
    out = [f"mesh config for {c.service} port {c.port if c.port is not None else '?'}, from {c.client}:"]
    # the source says "none (no proxy)" for a client without a proxy, which the first line names
    out.append(f"routes: none: {c.route_words}" if c.source.startswith("none") else f"routes ({c.source}): {c.route_words}")
    for i, r in enumerate(c.routes[:20]):
        mark = ">" if i == c.chosen else " "
        state = {True: "matches", False: "does not match", None: "undecided"}[r.matched]
        out.append(f" {mark}{i + 1}. {r.by.words}: if {r.match} ({state})")
        for d in r.destinations:
            out.append(f"      {d.words}; load balancer {d.load_balancer}")
        extras = [x for x in (f"timeout {r.timeout}" if r.timeout else "", f"retries {r.retries}" if r.retries else "",
                              f"fault {r.fault}" if r.fault else "", r.other) if x]
        if extras:
            out.append("      " + "; ".join(extras))
    if len(c.routes) > 20:
        out.append(f"  ... and {len(c.routes) - 20} more routes")
    out.append(f"connection: {c.tls.words}")
    out += [f"  decided by {d.words}" for d in c.tls.by[:4]]
    out.append(f"authorization: {c.authz.words}")
    out += [f"  decided by {d.words}" for d in c.authz.by[:4]]
    out += [f"! {f}" for f in c.findings[:30]]
    return tuple(out)


def _touched(cluster: ClusterState) -> list[tuple[str, str]]:
    """Services some VirtualService, DestinationRule or mesh route names (exactly or by wildcard)."""
    patterns: list[str] = []
    for kind, path in (("VirtualService", ("spec", "hosts")), ("DestinationRule", ("spec", "host"))):
        for obj in cluster.of(kind)[:MAX_ITEMS * 4]:
            raw = dig(obj, *path)
            ns = dig_str(obj, "metadata", "namespace")
            for h in (raw if isinstance(raw, list) else [raw])[:MAX_ITEMS]:
                if isinstance(h, str):
                    patterns.append(fqdn(h, ns))
    named: set[tuple[str, str]] = set()
    for kind in ("HTTPRoute", "GRPCRoute"):
        for route in cluster.of(kind)[:MAX_ITEMS * 4]:
            for ref in capped(dig_list(route, "spec", "parentRefs")):
                if isinstance(ref, dict) and ref.get("kind") == "Service":
                    named.add((str(ref.get("namespace") or dig_str(route, "metadata", "namespace")),
                               str(ref.get("name", ""))))
    exact = {p for p in patterns if not p.startswith("*")}
    wild = [p for p in patterns if p.startswith("*")]
    out: list[tuple[str, str]] = []
    for svc in cluster.of("Service"):
        ns, name = dig_str(svc, "metadata", "namespace"), dig_str(svc, "metadata", "name")
        host = f"{name}.{ns}.svc.{DOMAIN}"
        if (ns, name) in named or host in exact or any(host_matches(w, host) > 1 for w in wild):
            out.append((ns, name))
    return sorted(out)


def _build(cluster: ClusterState, namespace: str | None) -> MeshConfig:
    present = [k for k in MESH_KINDS if cluster.of(k)]
    forbidden = [k for k in MESH_KINDS if k in cluster.forbidden]
    mesh_objects = any(group_of(o) in ("security.istio.io", "networking.istio.io", "policy.linkerd.io")
                       for k in ("PeerAuthentication", "DestinationRule", "VirtualService", "AuthorizationPolicy",
                                 "HTTPRoute", "Server") for o in cluster.of(k)[:MAX_ITEMS])
    gamma = bool(_touched(cluster)) if cluster.of("HTTPRoute") or cluster.of("GRPCRoute") else False
    if not present or not (mesh_objects or gamma):
        note = "no PeerAuthentication, DestinationRule, VirtualService, AuthorizationPolicy or mesh route here"
        if forbidden:
            note += f" (not readable: {', '.join(forbidden)})"
        return MeshConfig("no mesh configuration", note, (), ())
    touched = [(ns, n) for ns, n in _touched(cluster) if not namespace or ns == namespace]
    rows = tuple(service_config(cluster, ns, n) for ns, n in touched[:MAX_SERVICES])
    counts = ", ".join(f"{len(cluster.of(k))} {k}" for k in present)
    note = f"read {counts}; {len(touched)} Service(s) named by a route or rule"
    if len(touched) > MAX_SERVICES:
        note += f" (the first {MAX_SERVICES} worked out; ask `k8snet mesh` for one)"
    if forbidden:
        note += f"; not readable: {', '.join(forbidden)}"
    findings = tuple(dict.fromkeys(f"{r.service}: {f}" for r in rows for f in r.findings))
    return MeshConfig("read", note, rows, findings)


def mesh_config(cluster: ClusterState, namespace: str | None = None) -> MeshConfig:
    """Every Service (in `namespace`, or all) a mesh route or rule names, worked out for a client
    with the mesh's proxy in the Service's namespace. Kept with the cluster state."""
    return cluster.memo(_build, namespace)

"""Is the connection allowed: Istio's AuthorizationPolicy and Linkerd's Server / AuthorizationPolicy.

Istio (istio.io/latest/docs/reference/config/security/authorization-policy/ and the concept
page's "Authorization policy precedence", istio.io/latest/docs/concepts/security/#authorization):
  - a policy in the root namespace applies to every workload (its selector, if any, across
    namespaces); one elsewhere to its namespace's workloads its selector picks (all without one).
  - CUSTOM first (its external authorizer decides: not evaluated here), then DENY: any matching
    DENY denies; then with no ALLOW policy on the workload the request is allowed; a matching
    ALLOW allows; otherwise denied. AUDIT never changes the answer.
  - `rules` absent or empty matches nothing (an ALLOW of that shape allows nothing); a rule
    `{}` matches everything. In a rule, from, to and when must all hold; in each list any item
    will do; in a source or operation every field set must hold, any of its values will do.
  - principals and namespaces come from the peer's mTLS certificate: plaintext has none.
  - `ports` are the workload's port (the container port), not the Service's.
Linkerd (linkerd.io/2/reference/authorization-policy/): with no Server selecting the pod's
port the default inbound policy applies (all-unauthenticated unless the pod or namespace
annotation config.linkerd.io/default-inbound-policy says otherwise); once a Server selects it,
only what an AuthorizationPolicy targeting that Server (or its namespace) authorizes gets in,
each of its requiredAuthenticationRefs (MeshTLSAuthentication, NetworkAuthentication,
ServiceAccount) satisfied.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..model import ClusterState, Obj, dig, dig_dict, dig_list, dig_str
from .objects import MAX_ITEMS, Decider, Verdict, age_key, capped, decider, group_of, labels_of, match_labels, names

ISTIO_ACTIONS = ("ALLOW", "DENY", "AUDIT", "CUSTOM")
LINKERD_DEFAULTS = ("all-unauthenticated", "all-authenticated", "cluster-unauthenticated",
                    "cluster-authenticated", "deny", "audit")


@dataclass(frozen=True, slots=True)
class Peer:
    """The client as the server's proxy sees it. mtls None: not known."""

    namespace: str = ""
    service_account: str = ""
    ip: str = ""
    mtls: bool | None = None
    meshed_by: str = ""  # "istio", "linkerd", ""

    @property
    def principal(self) -> str:
        if not self.mtls or not self.namespace:
            return ""
        return f"cluster.local/ns/{self.namespace}/sa/{self.service_account or 'default'}"


@dataclass(frozen=True, slots=True)
class Call:
    port: int | None  # the workload (container) port
    path: str = ""
    method: str = ""


def _value_match(pattern: str, value: str) -> bool:
    """Istio's string values: exact, "prefix*", "*suffix", or "*" (any value present)."""
    if pattern == "*":
        return value != ""
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    if pattern.startswith("*"):
        return value.endswith(pattern[1:])
    return value == pattern


def _field(values: Any, value: str | None, negate: bool) -> bool | None:
    items = [str(v) for v in capped(values)]
    if value is None:
        return None
    hit = any(_value_match(p, value) for p in items)
    return not hit if negate else hit


def _in_blocks(blocks: Any, ip: str) -> bool | None:
    if not ip:
        return None
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return None
    for b in capped(blocks):
        try:
            if addr in ipaddress.ip_network(str(b), strict=False):
                return True
        except ValueError:
            continue
    return False


def _all(results: list[bool | None]) -> bool | None:
    if any(r is False for r in results):
        return False
    return None if any(r is None for r in results) else True


def _any(results: list[bool | None]) -> bool | None:
    if any(r is True for r in results):
        return True
    return None if any(r is None for r in results) else False


def _source(src: Any, peer: Peer) -> bool | None:
    if not isinstance(src, dict):
        return False
    principal = peer.principal if peer.mtls is not None else None
    ns = (peer.namespace if peer.mtls else "") if peer.mtls is not None else None
    out: list[bool | None] = []
    for key, value, neg in (("principals", principal, False), ("notPrincipals", principal, True),
                            ("namespaces", ns, False), ("notNamespaces", ns, True)):
        if key in src:
            out.append(_field(src[key], value, neg))
    for key, neg in (("ipBlocks", False), ("notIpBlocks", True), ("remoteIpBlocks", False), ("notRemoteIpBlocks", True)):
        if key in src:
            hit = _in_blocks(src[key], peer.ip)
            out.append(None if hit is None else (not hit if neg else hit))
    for key in ("requestPrincipals", "notRequestPrincipals", "serviceAccounts", "notServiceAccounts"):
        if key in src:
            out.append(None)  # JWT identities and newer fields: not decided here
    return _all(out)


def _operation(op: Any, call: Call) -> bool | None:
    if not isinstance(op, dict):
        return False
    out: list[bool | None] = []
    port = str(call.port) if call.port is not None else None
    for key, value, neg in (("ports", port, False), ("notPorts", port, True),
                            ("methods", call.method.upper() or None, False), ("notMethods", call.method.upper() or None, True),
                            ("paths", call.path.split("?", 1)[0] or None, False),
                            ("notPaths", call.path.split("?", 1)[0] or None, True)):
        if key in op:
            out.append(_field(op[key], value, neg))
    for key in ("hosts", "notHosts"):
        if key in op:
            out.append(None)  # the Host header the client sets: not known here
    return _all(out)


def _condition(cond: Any, peer: Peer, call: Call) -> bool | None:
    if not isinstance(cond, dict):
        return False
    key = str(cond.get("key", ""))
    known = {"source.namespace": peer.namespace if peer.mtls else ("" if peer.mtls is False else None),
             "source.principal": peer.principal if peer.mtls is not None else None,
             "source.ip": peer.ip or None,
             "destination.port": str(call.port) if call.port is not None else None}
    if key not in known:
        return None
    value = known[key]
    hits = _field(cond.get("values"), value, False) if "values" in cond else True
    misses = _field(cond.get("notValues"), value, True) if "notValues" in cond else True
    return _all([hits, misses])


def _rule(rule: Any, peer: Peer, call: Call) -> bool | None:
    if not isinstance(rule, dict):
        return False
    parts: list[bool | None] = []
    if "from" in rule:
        parts.append(_any([_source(dig(f, "source"), peer) for f in capped(rule["from"])]))
    if "to" in rule:
        parts.append(_any([_operation(dig(t, "operation"), call) for t in capped(rule["to"])]))
    if "when" in rule:
        parts.append(_all([_condition(c, peer, call) for c in capped(rule["when"])]))
    return _all(parts)


def _policy_match(policy: Obj, peer: Peer, call: Call) -> tuple[bool | None, str]:
    rules = dig(policy, "spec", "rules")
    if not isinstance(rules, list) or not rules:
        return False, "spec.rules (none: matches nothing)"
    first_unknown = ""
    for i, r in enumerate(rules[:MAX_ITEMS]):
        got = _rule(r, peer, call)
        if got:
            return True, f"spec.rules[{i}]"
        if got is None and not first_unknown:
            first_unknown = f"spec.rules[{i}]"
    return (None, first_unknown) if first_unknown else (False, "spec.rules (none matches)")


def istio_applies(policies: Sequence[Obj], pod: Obj, root_ns: str, findings: list[str]) -> list[Obj]:
    ns = dig_str(pod, "metadata", "namespace")
    labels = labels_of(pod)
    out = []
    for ap in policies:
        if group_of(ap) not in ("security.istio.io", ""):
            continue
        ap_ns = dig_str(ap, "metadata", "namespace")
        if ap_ns not in (ns, root_ns):
            continue
        if dig(ap, "spec", "targetRefs") or dig(ap, "spec", "targetRef"):
            findings.append(f"AuthorizationPolicy {names([ap])} uses targetRefs: it binds a waypoint or gateway, "
                            "not this pod's sidecar")
            continue
        sel = dig(ap, "spec", "selector", "matchLabels")
        if sel is None or sel == {} or match_labels(sel, labels):
            out.append(ap)
    return sorted(out, key=age_key)


def istio_verdict(policies: Sequence[Obj], pod: Obj, peer: Peer, call: Call, root_ns: str,
                  findings: list[str]) -> Verdict:
    applying = istio_applies(policies, pod, root_ns, findings)
    by_action: dict[str, list[Obj]] = {a: [] for a in ISTIO_ACTIONS}
    for ap in applying:
        action = str(dig(ap, "spec", "action") or "ALLOW").upper()
        if action not in by_action:
            findings.append(f"AuthorizationPolicy {names([ap])}: action {action[:20]!r} is not one Istio knows; ignored")
            continue
        by_action[action].append(ap)
    undecided: list[Decider] = []
    for ap in by_action["CUSTOM"]:
        hit, rule = _policy_match(ap, peer, call)
        if hit:
            provider = dig_str(ap, "spec", "provider", "name") or "(no provider)"
            return Verdict("unknown", f"the external authorizer {provider} decides first (CUSTOM, not evaluated here)",
                           (decider(ap, rule),))
        if hit is None:
            undecided.append(decider(ap, rule))
    for ap in by_action["DENY"]:
        hit, rule = _policy_match(ap, peer, call)
        if hit:
            return Verdict("deny", f"denied by DENY policy {names([ap])} ({rule}): DENY is checked before ALLOW",
                           (decider(ap, rule),))
        if hit is None:
            undecided.append(decider(ap, rule))
    audit = [names([ap]) for ap in by_action["AUDIT"] if _policy_match(ap, peer, call)[0]]
    note = f"; audited by {', '.join(audit)}" if audit else ""
    if undecided:
        return Verdict("unknown", "undecided: a CUSTOM or DENY rule depends on what was not given "
                       f"({undecided[0].words}){note}", tuple(undecided))
    if not by_action["ALLOW"]:
        why = "no AuthorizationPolicy applies" if not applying else "no ALLOW policy applies to this workload"
        return Verdict("allow", f"allowed: {why}, so Istio allows it{note}",
                       (Decider("", "", "", why),))
    unknown: list[Decider] = []
    for ap in by_action["ALLOW"]:
        hit, rule = _policy_match(ap, peer, call)
        if hit:
            return Verdict("allow", f"allowed by ALLOW policy {names([ap])} ({rule}){note}", (decider(ap, rule),))
        if hit is None:
            unknown.append(decider(ap, rule))
    if unknown:
        return Verdict("unknown", f"undecided: ALLOW rule {unknown[0].words} depends on what was not given{note}",
                       tuple(unknown))
    plain = " (its rules name identities, and a plaintext peer has none)" if peer.mtls is False else ""
    return Verdict("deny", f"denied: ALLOW policies apply ({names(by_action['ALLOW'])}) and none matches{plain}{note}",
                   tuple(decider(ap, "spec.rules") for ap in by_action["ALLOW"]))


# -- Linkerd -----------------------------------------------------------------------------------------


def _server_port(server: Obj, pod: Obj, port: int | None) -> bool:
    want = dig(server, "spec", "port")
    if port is None:
        return False
    if isinstance(want, int) and not isinstance(want, bool):
        return want == port
    for c in capped(dig_list(pod, "spec", "containers")):
        for p in capped(dig_list(c, "ports")):
            if isinstance(p, dict) and p.get("name") == want and p.get("containerPort") == port:
                return True
    return False


def _mesh_tls(cluster: ClusterState, ns: str, name: str, peer: Peer) -> bool:
    auth = cluster.get("MeshTLSAuthentication", ns, name)
    if auth is None or peer.meshed_by != "linkerd":
        return False
    identity = f"{peer.service_account or 'default'}.{peer.namespace}.serviceaccount.identity.linkerd.cluster.local"
    for ident in capped(dig_list(auth, "spec", "identities")):
        if _value_match(str(ident), identity):
            return True
    for sa in capped(dig_list(auth, "spec", "identityRefs")) + capped(dig_list(auth, "spec", "serviceAccounts")):
        if not isinstance(sa, dict):
            continue
        if sa.get("kind", "ServiceAccount") in ("ServiceAccount", "Namespace"):
            if sa.get("kind") == "Namespace":
                if sa.get("name") == peer.namespace:
                    return True
            elif sa.get("name") in ("*", peer.service_account or "default") and \
                    str(sa.get("namespace") or ns) == peer.namespace:
                return True
    return False


def _network(cluster: ClusterState, ns: str, name: str, peer: Peer) -> bool | None:
    auth = cluster.get("NetworkAuthentication", ns, name)
    if auth is None:
        return False
    results: list[bool | None] = []
    for net in capped(dig_list(auth, "spec", "networks")):
        inside = _in_blocks([dig(net, "cidr")], peer.ip)
        excluded = _in_blocks(dig(net, "except"), peer.ip) if dig(net, "except") else False
        results.append(None if inside is None else bool(inside and not excluded))
    return _any(results)


def _attached_routes(cluster: ClusterState, ns: str, server: str) -> list[Obj]:
    """HTTPRoutes (Linkerd's or Gateway API's) whose parentRefs name the Server."""
    return sorted((r for r in cluster.in_namespace("HTTPRoute", ns)
                   if any(isinstance(p, dict) and p.get("kind") == "Server" and p.get("name") == server
                          and str(p.get("namespace") or ns) == ns
                          for p in capped(dig_list(r, "spec", "parentRefs")))), key=age_key)


def _per_route(cluster: ClusterState, ns: str, server: str) -> Verdict | None:
    """Routes attached to the Server make authorization per route (Linkerd's per-route policy:
    a request must match one of them, and the AuthorizationPolicies that target its route
    decide): not judged here, so the verdict is unknown and says what decides. None: no route."""
    routes = _attached_routes(cluster, ns, server)
    if not routes:
        return None
    route_names = {dig_str(r, "metadata", "name") for r in routes}
    on_routes = [a for a in cluster.in_namespace("AuthorizationPolicy", ns) if group_of(a) == "policy.linkerd.io"
                 and dig_str(a, "spec", "targetRef", "kind") == "HTTPRoute"
                 and dig_str(a, "spec", "targetRef", "name") in route_names]
    policies = f"; the AuthorizationPolicies on them: {names(on_routes)}" if on_routes else \
        "; no AuthorizationPolicy targets them"
    return Verdict("unknown", f"decided per route: HTTPRoute(s) {names(routes)} are attached to Server {server}, so "
                   f"a request must match one of them and its route's policies decide{policies} "
                   "(per-route authorization is not judged here)",
                   tuple(decider(r, "spec.parentRefs") for r in routes[:3])
                   + tuple(decider(a, "spec.targetRef") for a in on_routes[:3]))


def linkerd_verdict(cluster: ClusterState, pod: Obj, port: int | None, peer: Peer, findings: list[str]) -> Verdict:
    ns = dig_str(pod, "metadata", "namespace")
    labels = labels_of(pod)
    servers = sorted((s for s in cluster.in_namespace("Server", ns)
                      if group_of(s) in ("policy.linkerd.io", "")
                      and match_labels(dig(s, "spec", "podSelector", "matchLabels") or {}, labels)
                      and _server_port(s, pod, port)), key=age_key)
    if not servers:
        annotated = (dig_str(pod, "metadata", "annotations", "config.linkerd.io/default-inbound-policy")
                     or dig_str(cluster.get("Namespace", "", ns), "metadata", "annotations",
                                "config.linkerd.io/default-inbound-policy"))
        policy = annotated or "all-unauthenticated"
        if policy not in LINKERD_DEFAULTS:
            findings.append(f"default inbound policy {policy[:40]!r} is not one Linkerd knows")
        d = Decider("", "", "", f"Linkerd default inbound policy {policy}")
        if policy in ("all-unauthenticated", "audit"):
            return Verdict("allow", f"allowed: no Server selects port {port}; the default policy {policy} lets all in", (d,))
        if policy == "deny":
            return Verdict("deny", "denied: no Server selects it and the default inbound policy is deny", (d,))
        if policy.endswith("authenticated") and peer.meshed_by != "linkerd":
            return Verdict("deny", f"denied: the default policy {policy} asks for a meshed (mTLS) client", (d,))
        return Verdict("allow" if peer.meshed_by == "linkerd" else "unknown",
                       f"default policy {policy}: {'allowed' if peer.meshed_by == 'linkerd' else 'depends on the client'}", (d,))
    if len(servers) > 1:
        findings.append(f"{len(servers)} Servers select {ns}/{dig_str(pod, 'metadata', 'name')} port {port} "
                        f"({names(servers)}): Linkerd reads one, the oldest ({names(servers[:1])})")
    server = servers[0]
    sname = dig_str(server, "metadata", "name")
    per_route = _per_route(cluster, ns, sname)
    if per_route is not None:
        return per_route
    undecided = False
    for ap in sorted((a for a in cluster.in_namespace("AuthorizationPolicy", ns) if group_of(a) == "policy.linkerd.io"),
                     key=age_key):
        target = dig_dict(ap, "spec", "targetRef")
        if not ((target.get("kind") == "Server" and target.get("name") == sname)
                or (target.get("kind") == "Namespace" and target.get("name") == ns)):
            continue
        results: list[bool | None] = []
        for ref in capped(dig_list(ap, "spec", "requiredAuthenticationRefs")):
            kind, rname = dig_str(ref, "kind"), dig_str(ref, "name")
            rns = dig_str(ref, "namespace") or ns
            if kind == "MeshTLSAuthentication":
                results.append(_mesh_tls(cluster, rns, rname, peer))
            elif kind == "NetworkAuthentication":
                results.append(_network(cluster, rns, rname, peer))
            elif kind == "ServiceAccount":
                results.append(peer.meshed_by == "linkerd" and rname == (peer.service_account or "default")
                               and rns == peer.namespace)
            else:
                findings.append(f"AuthorizationPolicy {names([ap])}: authentication kind {kind[:40]!r} is not read")
                results.append(None)
        got = _all(results)
        if got:
            return Verdict("allow", f"allowed by Linkerd AuthorizationPolicy {names([ap])} for Server {sname}",
                           (decider(ap, "spec.requiredAuthenticationRefs"), decider(server, "spec.port")))
        undecided = undecided or got is None
    access = dig_str(server, "spec", "accessPolicy")
    if access and access != "deny":
        return Verdict("allow" if access.startswith("all-unauth") else "unknown",
                       f"Server {sname}'s accessPolicy {access[:40]} decides", (decider(server, "spec.accessPolicy"),))
    if undecided:
        return Verdict("unknown", f"undecided: a Linkerd AuthorizationPolicy for Server {sname} depends on what was "
                       "not given (the client's IP)", (decider(server, "spec"),))
    return Verdict("deny", f"denied: Server {sname} selects port {port} and no Linkerd AuthorizationPolicy "
                   "authorizes this client", (decider(server, "spec.podSelector"),))

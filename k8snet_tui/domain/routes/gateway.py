"""Gateway API: Gateways (entry points) and HTTPRoutes (one row per rule x match)."""

from __future__ import annotations

from ..model import (
    ClusterState,
    Obj,
    dig,
    dig_dict,
    dig_list,
    dig_str,
    key_of,
    name_of,
    namespace_of,
)
from .backends import BackendRef, resolve
from .findings import ERROR, INFO, WARNING, Finding
from .paths import regex_error
from .rules import ELEMENT_PREFIX, EXACT, REGEX, RouteRule

GATEWAY_GROUP = "gateway.networking.k8s.io"
GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name"
_PATH_MATCH = {"Exact": EXACT, "PathPrefix": ELEMENT_PREFIX, "RegularExpression": REGEX}


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def attached_gateways(cluster: ClusterState, route: Obj) -> tuple[tuple[str, ...], list[Finding]]:
    """Gateways this route's parentRefs name and that let it attach; the rest become findings."""
    ns = namespace_of(route) or "default"
    subject = f"HTTPRoute {ns}/{name_of(route)}"
    parents: list[str] = []
    findings: list[Finding] = []
    for ref in dig_list(route, "spec", "parentRefs"):
        if dig_str(ref, "kind", default="Gateway") != "Gateway" or dig_str(ref, "group", default=GATEWAY_GROUP) != GATEWAY_GROUP:
            findings.append(Finding(INFO, "non-gateway-parent", subject,
                                    f"parent {dig_str(ref, 'kind')}/{dig_str(ref, 'name')} is not a Gateway"))
            continue
        gns = dig_str(ref, "namespace") or ns
        gw = cluster.get("Gateway", gns, dig_str(ref, "name"))
        if gw is None:
            findings.append(Finding(ERROR, "route-not-attached", subject, f"Gateway {gns}/{dig_str(ref, 'name')} does not exist"))
            continue
        section = dig_str(ref, "sectionName")
        port = _int(dig(ref, "port"))
        listeners = [
            li for li in dig_list(gw, "spec", "listeners")
            if isinstance(li, dict) and (not section or dig_str(li, "name") == section)
            and (port is None or dig(li, "port") == port)
        ]
        allowed = [li for li in listeners if _allows(li, gns, ns)]
        if not allowed:
            why = "no listener matches its sectionName/port" if not listeners else "no listener allows routes from this namespace"
            findings.append(Finding(ERROR, "route-not-attached", subject, f"Gateway {gns}/{name_of(gw)}: {why}"))
            continue
        parents.append(f"{gns}/{name_of(gw)}" + (f"/{section}" if section else ""))
    for status in dig_list(route, "status", "parents"):
        for cond in dig_list(status, "conditions"):
            if dig_str(cond, "type") == "Accepted" and dig_str(cond, "status") == "False":
                gw_name = dig_str(status, "parentRef", "name")
                why = f"{dig_str(cond, 'reason')} {dig_str(cond, 'message')}"
                findings.append(Finding(WARNING, "route-not-accepted", subject,
                                        f"Gateway {gw_name} did not accept it: {why}".strip()))
    return tuple(parents), findings


def _allows(listener: Obj, gateway_ns: str, route_ns: str) -> bool:
    kinds = [dig_str(k, "kind") for k in dig_list(listener, "allowedRoutes", "kinds")]
    if kinds and "HTTPRoute" not in kinds:
        return False
    origin = dig_str(listener, "allowedRoutes", "namespaces", "from") or "Same"
    # A Selector needs Namespace labels we may not have: assume it admits the route.
    return origin != "Same" or gateway_ns == route_ns


def _backend(ns: str, ref: Obj, subject: str, cluster: ClusterState, findings: list[Finding]) -> BackendRef:
    kind = dig_str(ref, "kind") or "Service"
    group = dig_str(ref, "group")
    weight = _int(dig(ref, "weight"))
    weight = 1 if weight is None else weight
    bns = dig_str(ref, "namespace") or ns
    if kind != "Service" or group not in ("", "core"):
        return BackendRef(bns, dig_str(ref, "name"), weight=weight, external=f"{kind}/{dig_str(ref, 'name')}")
    port = _int(dig(ref, "port"))
    if port is None:
        findings.append(Finding(ERROR, "malformed", subject,
                                f"backendRef {dig_str(ref, 'name')} has no port (required for a Service)"))
    if bns != ns and not _granted(cluster, ns, bns, dig_str(ref, "name")):
        findings.append(Finding(ERROR, "missing-reference-grant", subject,
                                f"backend {bns}/{dig_str(ref, 'name')} is in another namespace and no ReferenceGrant allows it"))
    return BackendRef(bns, dig_str(ref, "name"), port, weight)


def _granted(cluster: ClusterState, from_ns: str, to_ns: str, name: str) -> bool:
    for grant in cluster.of("ReferenceGrant"):
        if namespace_of(grant) != to_ns:
            continue
        froms = any(dig_str(f, "kind") == "HTTPRoute" and dig_str(f, "namespace") == from_ns
                    for f in dig_list(grant, "spec", "from"))
        tos = any(dig_str(t, "kind") == "Service" and dig_str(t, "name") in ("", name) for t in dig_list(grant, "spec", "to"))
        if froms and tos:
            return True
    return False


def _rewrite(rule: Obj) -> tuple[str | None, str | None, bool]:
    redirect = False
    for f in dig_list(rule, "filters"):
        if dig_str(f, "type") == "RequestRedirect":
            redirect = True
        if dig_str(f, "type") == "URLRewrite":
            path = dig_dict(f, "urlRewrite", "path")
            mode = dig_str(path, "type")
            if mode == "ReplacePrefixMatch":
                return dig_str(path, "replacePrefixMatch") or "/", mode, redirect
            if mode == "ReplaceFullPath":
                return dig_str(path, "replaceFullPath") or "/", mode, redirect
    return None, None, redirect


def httproute_rules(cluster: ClusterState, route: Obj) -> list[RouteRule]:
    ns = namespace_of(route) or "default"
    name = f"{ns}/{name_of(route)}"
    subject = f"HTTPRoute {name}"
    parents, first = attached_gateways(cluster, route)
    hostnames = tuple(h.lower() for h in dig_list(route, "spec", "hostnames") if isinstance(h, str) and h)
    out: list[RouteRule] = []
    for i, rule in enumerate(dig_list(route, "spec", "rules")):
        findings: list[Finding] = first
        first = []
        refs = [_backend(ns, r, subject, cluster, findings) for r in dig_list(rule, "backendRefs") if isinstance(r, dict)]
        backends = tuple(resolve(cluster, r, subject) for r in refs)
        rewrite, mode, redirect = _rewrite(rule)
        if redirect:
            findings.append(Finding(INFO, "redirect", subject, f"rules[{i}] answers with a redirect instead of forwarding"))
        matches = [m for m in dig_list(rule, "matches") if isinstance(m, dict)] or [{}]
        for j, m in enumerate(matches):
            path_type = dig_str(m, "path", "type") or "PathPrefix"
            value = dig_str(m, "path", "value") or "/"
            if path_type == "RegularExpression" and regex_error(value):
                findings.append(Finding(ERROR, "invalid-regex", subject,
                                        f"rules[{i}].matches[{j}]: {value!r} is not a valid regex"))
            out.append(RouteRule(
                kind="HTTPRoute", name=name, where=f"rules[{i}].matches[{j}]", order=(i, j), hosts=hostnames,
                host_style="gateway", path=value, path_type=path_type, match=_PATH_MATCH.get(path_type, ELEMENT_PREFIX),
                rewrite=rewrite, rewrite_mode=mode, method=dig_str(m, "method").upper() or None,
                headers=tuple((dig_str(h, "name").lower(), dig_str(h, "value")) for h in dig_list(m, "headers")),
                query=tuple((dig_str(q, "name"), dig_str(q, "value")) for q in dig_list(m, "queryParams")),
                backends=backends, implementation="gateway", parents=parents,
                created=dig_str(route, "metadata", "creationTimestamp"), findings=tuple(findings),
            ))
            findings = []
    if not out:
        out.append(RouteRule(
            kind="HTTPRoute", name=name, where="spec", order=(0,), hosts=hostnames, host_style="gateway",
            match="none", implementation="gateway", parents=parents,
            findings=tuple(first) + (Finding(WARNING, "malformed", subject, "no rules"),),
        ))
    return out


def gateway_services(cluster: ClusterState, gateway: Obj) -> list[Obj]:
    """Services implementations create for a Gateway carry its name in a well-known label.

    Some implementations put that Service in their own namespace, so other namespaces count too,
    after the Gateway's own.
    """
    labelled = [s for s in cluster.of("Service") if dig_str(s, "metadata", "labels", GATEWAY_NAME_LABEL) == name_of(gateway)]
    return sorted(labelled, key=lambda s: (namespace_of(s) != namespace_of(gateway), key_of(s)))

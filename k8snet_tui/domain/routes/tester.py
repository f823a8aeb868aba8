"""The route tester: which rule a URL hits, through which proxy, and what the upstream receives.

Each implementation is judged by its own rules: Emissary (Envoy) by precedence and string prefixes,
spec-conforming ingress controllers by the Ingress spec, Gateways by the HTTPRoute precedence list.
An Ingress served by Emissary is first turned into the Mapping Emissary would make of it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..model import ClusterState, dig, dig_list, dig_str
from ..numbers import parse_port
from . import paths
from .backends import Backend, BackendRef, resolve
from .emissary import as_emissary, insecure_action
from .findings import INFO, WARNING, Finding, dedupe
from .rules import ANY, ELEMENT_PREFIX, EXACT, REGEX, STRING_PREFIX, RouteRule
from .scope import Scope, product, resolve_scope
from .table import build_route_table
from .urls import ParsedUrl, parse_url

ROUTED, NO_ROUTE, NO_ENDPOINTS = "routed", "no-route-404", "no-endpoints-503"
_LAST = "\uffff"  # sorts after any timestamp: objects without one lose age tie-breaks


@dataclass(frozen=True)
class Candidate:
    kind: str
    name: str
    matched: bool
    reason: str
    rule: RouteRule | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Match:
    kind: str
    name: str
    host: str | None
    path: str | None
    path_type: str | None
    rewritten_path: str
    backends: tuple[Backend, ...]

    @property
    def service(self) -> str | None:
        return self.backends[0].ref.label if self.backends else None


@dataclass(frozen=True)
class RouteResult:
    url: str
    entry: str | None
    matched: Match | None
    status: str
    candidates: tuple[Candidate, ...]
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class Request:
    url: ParsedUrl
    method: str
    headers: dict[str, str]


# --- does one rule match? -------------------------------------------------------------------

def _exact_host(pattern: str, host: str) -> bool:
    return pattern.lower() == host


# How each rule's host patterns match a request's host; any other style is an Ingress host.
_HOST_TESTS: dict[str, Callable[[str, str], bool]] = {
    "glob": paths.glob_host,
    "exact": _exact_host,
    "regex": paths.regex_full,
    "gateway": paths.gateway_host,
}


def _host_ok(rule: RouteRule, host: str) -> bool:
    if not rule.hosts:
        return True
    test = _HOST_TESTS.get(rule.host_style, paths.ingress_host)
    return any(test(p, host) for p in rule.hosts)


def _path_verdict(rule: RouteRule, path: str) -> tuple[bool, str]:
    p = rule.path or "/"
    if rule.match == ANY:
        return True, "default backend takes every path"
    if rule.match == EXACT:
        return (True, f"path is exactly {p}") if paths.exact(p, path) else (False, f"path {path} is not exactly {p}")
    if rule.match == ELEMENT_PREFIX:
        if paths.element_prefix(p, path):
            return True, f"path elements start with {p}"
        why = " (elements are compared whole)" if path.startswith(p.rstrip("/")) else ""
        return False, f"path {path} is not under {p}{why}"
    if rule.match == STRING_PREFIX:
        if paths.string_prefix(p, path):
            return True, f"path starts with {p}"
        return False, f"path {path} does not start with {p}"
    if rule.match == REGEX:
        err = paths.regex_error(p)
        if err:
            return False, f"regex {p!r} is invalid: {err}"
        if paths.regex_full(p, path):
            return True, f"regex {p} matches the whole path"
        return False, f"regex {p} does not match the whole path {path}"
    return False, "has no path to match"


def _test(rule: RouteRule, req: Request) -> tuple[bool, str]:
    if rule.ambassador_id and "default" not in rule.ambassador_id:
        return False, f"ambassador_id {', '.join(rule.ambassador_id)} is not the default Emissary's"
    if not _host_ok(rule, req.url.host):
        return False, f"host {req.url.host} does not match {', '.join(rule.hosts)}"
    if rule.method and rule.method != req.method:
        return False, f"method {req.method} is not {rule.method}"
    ok, why = _path_verdict(rule, req.url.path)
    if not ok:
        return False, why
    for name, value in rule.headers:
        if name not in req.headers or (value and req.headers[name] != value):
            return False, f"header {name} {'missing' if name not in req.headers else 'differs'}"
    query = dict(req.url.query)
    for name, value in rule.query:
        if name not in query or (value and query[name] != value):
            return False, f"query parameter {name} {'missing' if name not in query else 'differs'}"
    return True, why


# --- precedence -----------------------------------------------------------------------------

Criteria = list[tuple[str, Callable[[RouteRule], Any]]]

_EMISSARY: Criteria = [
    ("precedence", lambda r: -r.precedence),
    ("prefix length", lambda r: -len(r.path or "")),
    ("method match", lambda r: 0 if r.method else 1),
    ("number of headers", lambda r: -len(r.headers)),
    ("number of query parameters", lambda r: -len(r.query)),
    ("name", lambda r: r.name),
    ("position", lambda r: r.order),
]


def _host_rank(rule: RouteRule, host: str) -> int:
    if not rule.hosts:
        return 0
    return 2 if host in [h.lower() for h in rule.hosts] else 1


def _spec(host: str) -> Criteria:
    return [
        ("host specificity", lambda r: -_host_rank(r, host)),
        ("path length", lambda r: -len(r.path) if r.match != ANY and r.path else 1),
        ("Exact over Prefix", lambda r: 0 if r.match == EXACT else 1),
        ("age", lambda r: r.created or _LAST),
        ("name", lambda r: r.name),
        ("position", lambda r: r.order),
    ]


def _gateway_host_lengths(rule: RouteRule, host: str) -> tuple[int, int]:
    exact = max((len(h) for h in rule.hosts if not h.startswith("*") and h == host), default=0)
    wild = max((len(h) for h in rule.hosts if h.startswith("*") and paths.gateway_host(h, host)), default=0)
    return exact, wild


def _gateway(host: str) -> Criteria:
    return [
        ("non-wildcard hostname length", lambda r: -_gateway_host_lengths(r, host)[0]),
        ("hostname length", lambda r: -_gateway_host_lengths(r, host)[1]),
        ("Exact path", lambda r: {EXACT: 0, ELEMENT_PREFIX: 1}.get(r.match, 2)),
        ("prefix length", lambda r: -len(r.path or "") if r.match == ELEMENT_PREFIX else 0),
        ("method match", lambda r: 0 if r.method else 1),
        ("number of headers", lambda r: -len(r.headers)),
        ("number of query parameters", lambda r: -len(r.query)),
        ("oldest route", lambda r: r.created or _LAST),
        ("namespace/name", lambda r: r.name),
        ("rule order", lambda r: r.order),
    ]


def _key(criteria: Criteria, rule: RouteRule) -> tuple[Any, ...]:
    return tuple(fn(rule) for _, fn in criteria)


def _why_lost(criteria: Criteria, winner: RouteRule, loser: RouteRule) -> str:
    for label, fn in criteria:
        if fn(winner) != fn(loser):
            return f"matched, but {winner.kind} {winner.name} wins on {label}"
    return f"matched, but {winner.kind} {winner.name} comes first"


# --- what the upstream receives -------------------------------------------------------------

def _rewritten(rule: RouteRule, implementation: str, path: str) -> str:
    if implementation == "emissary":
        if rule.regex_rewrite:
            pattern, sub = rule.regex_rewrite
            if paths.regex_error(pattern) is None:
                try:
                    return re.sub(pattern, sub, path)
                except (re.error, IndexError):
                    return path
        if not rule.rewrite:
            return path
        if rule.match == STRING_PREFIX:
            return paths.prefix_rewrite(rule.path or "", rule.rewrite, path)
        return rule.rewrite  # exact and regex matches swap the whole path
    if implementation == "gateway" and rule.rewrite is not None:
        if rule.rewrite_mode == "ReplacePrefixMatch" and rule.match == ELEMENT_PREFIX:
            return paths.gateway_replace_prefix(rule.path or "/", rule.rewrite, path)
        if rule.rewrite_mode == "ReplaceFullPath":
            return rule.rewrite
    return path


# --- putting it together --------------------------------------------------------------------

def _in_scope(rule: RouteRule, scope: Scope) -> tuple[bool, str]:
    if rule.kind == "Host":
        return False, ""
    if scope.implementation == "emissary":
        return (rule.implementation == "emissary",
                f"served by {product(rule.controller) if rule.controller else 'no controller'}, not Emissary")
    if scope.implementation == "spec":
        return (rule.kind == "Ingress" and rule.controller == scope.controller, f"not served by {product(scope.controller)}")
    if scope.implementation == "gateway":
        attached = any(p == scope.gateway or p.startswith(f"{scope.gateway}/") for p in rule.parents)
        return (rule.kind == "HTTPRoute" and attached, f"not attached to Gateway {scope.gateway}")
    return False, "the entry is a plain Service, not a proxy"


def _evaluate(rules: list[RouteRule], scope: Scope, req: Request) -> tuple[RouteRule | None, list[Candidate], list[Finding]]:
    impl = scope.implementation or ""
    criteria = _EMISSARY if impl == "emissary" else _gateway(req.url.host) if impl == "gateway" else _spec(req.url.host)
    findings: list[Finding] = []
    tested: list[tuple[RouteRule, RouteRule, bool, str]] = []  # (as written, as served, matched, reason)
    outside: list[Candidate] = []
    for rule in rules:
        ok_scope, why_not = _in_scope(rule, scope)
        if rule.kind == "Host":
            continue
        if not ok_scope:
            outside.append(Candidate(rule.kind, rule.name, False, f"{rule.where}: {why_not}", rule))
            continue
        served = as_emissary(rule) if impl == "emissary" else rule
        ok, why = _test(served, req)
        tested.append((rule, served, ok, why))
        if impl == "emissary" and rule.kind == "Ingress":
            findings.extend(_departure(rule, served, req, ok))
    matched = sorted((t for t in tested if t[2]), key=lambda t: _key(criteria, t[1]))
    winner = matched[0][1] if matched else None
    candidates = []
    for written, served, ok, why in sorted(tested, key=lambda t: (not t[2], _key(criteria, t[1]))):
        if ok and served is winner:
            reason = f"wins: {why}"
        elif ok and winner is not None:
            reason = _why_lost(criteria, winner, served)
        else:
            reason = why
        label = f"{written.where}: {reason}" if written.where != "spec" else reason
        candidates.append(Candidate(written.kind, written.name, ok, label, written))
    return winner, candidates + outside, findings


def _departure(written: RouteRule, served: RouteRule, req: Request, served_ok: bool) -> list[Finding]:
    spec_ok = _test(written, req)[0]
    if spec_ok == served_ok or written.match == ANY:
        return []
    subject = f"Ingress {written.name}"
    if served_ok:
        msg = (f"Emissary matches {req.url.path} against {written.path_type} {written.path} as a string prefix; "
               "the Ingress spec compares whole path elements, so a conforming controller would not match it")
    else:
        msg = (f"the Ingress spec matches {req.url.path} against {written.path_type} {written.path}, "
               "but Emissary's string prefix does not")
    return [Finding(WARNING, "spec-departure", subject, msg)]


def _service_result(scope: Scope, req: Request, cluster: ClusterState) -> tuple[Match, list[Candidate]]:
    svc = scope.service or {}
    ns, name = dig_str(svc, "metadata", "namespace") or "default", dig_str(svc, "metadata", "name")
    port = dig(scope.service_port, "port")
    backend = resolve(cluster, BackendRef(ns, name, port if isinstance(port, int) else None), f"Service {ns}/{name}")
    match = Match("Service", f"{ns}/{name}", None, None, None, req.url.path, (backend,))
    return match, [Candidate("Service", f"{ns}/{name}", True,
                             "the port leads straight to this Service: no HTTP routing on the way")]


def _status(match: Match | None) -> str:
    if match is None:
        return NO_ROUTE
    return ROUTED if any(b.serves for b in match.backends) else NO_ENDPOINTS


def route_url(
    cluster: ClusterState, url: str, entry: str | None = None, *, method: str = "GET", headers: dict[str, str] | None = None,
    cloud: Mapping[str, Any] | None = None,
) -> RouteResult:
    """Route `url` (entered through `entry`, or through whatever the URL's host:port reaches).

    `cloud` (the cloud's facts, as cloud.json) lets a node's public address be named as that node's.

    Raises `UrlError` (with `.part`) when the URL or the entry cannot be understood.
    """
    parsed = parse_url(url)
    req = Request(parsed, (method or "GET").upper(), {k.lower(): v for k, v in (headers or {}).items()})
    scope = resolve_scope(cluster, parsed, entry, cloud)
    table = build_route_table(cluster)
    findings: list[Finding] = list(scope.findings)
    match: Match | None
    if scope.implementation == "service":
        match, candidates = _service_result(scope, req, cluster)
        findings.extend(f for b in match.backends for f in b.findings)
        return RouteResult(parsed.text(), scope.label, match, _status(match), tuple(candidates), dedupe(findings))
    rules = [r for r in table.rules if r.kind != "Host"]
    if scope.implementation is None:
        scope, winner, candidates, more = _try_each(rules, req, cluster)
    else:
        winner, candidates, more = _evaluate(rules, scope, req)
    findings.extend(more)
    match = None
    if winner is not None:
        impl = scope.implementation or ""
        match = Match(
            winner.kind, winner.name, winner.host, winner.path if winner.match != ANY else None,
            winner.path_type, _rewritten(winner, impl, parsed.path), winner.backends,
        )
        findings.extend(winner.findings)
        findings.extend(f for b in winner.backends for f in b.findings)
        findings.extend(_rewrite_notes(winner, match, impl, parsed.path))
    if scope.implementation == "emissary":
        findings.extend(_emissary_notes(cluster, scope, parsed))
    return RouteResult(parsed.text(), scope.label, match, _status(match), tuple(candidates), dedupe(findings))


def _try_each(rules: list[RouteRule], req: Request, cluster: ClusterState
              ) -> tuple[Scope, RouteRule | None, list[Candidate], list[Finding]]:
    """No entry known: evaluate each proxy's rules on their own and take the first that routes."""
    scopes: list[Scope] = []
    if any(r.implementation == "emissary" for r in rules):
        scopes.append(Scope(None, "emissary", "getambassador.io/ingress-controller"))
    for controller in sorted({r.controller for r in rules if r.implementation == "spec" and r.controller}):
        scopes.append(Scope(None, "spec", controller))
    for gw in sorted({p.split("/")[0] + "/" + p.split("/")[1] for r in rules for p in r.parents if p.count("/") >= 1}):
        scopes.append(Scope(None, "gateway", gateway=gw))
    first: tuple[Scope, RouteRule | None, list[Candidate], list[Finding]] | None = None
    for scope in scopes:
        winner, candidates, findings = _evaluate(rules, scope, req)
        if winner is not None:
            return scope, winner, candidates, findings
        first = first or (scope, None, candidates, findings)
    if first is None:
        return Scope(None, None), None, [Candidate(r.kind, r.name, False, "no proxy serves this rule", r) for r in rules], []
    return first


def _rewrite_notes(winner: RouteRule, match: Match, impl: str, path: str) -> list[Finding]:
    if impl == "emissary" and winner.kind == "Ingress" and match.rewritten_path != path:
        msg = (f"Emissary gives Ingress paths its Mapping default rewrite \"/\": the upstream receives "
               f"{match.rewritten_path} instead of {path} (the Ingress spec forwards the path unchanged)")
        return [Finding(INFO, "ingress-rewrite", f"Ingress {winner.name}", msg)]
    return []


def _emissary_notes(cluster: ClusterState, scope: Scope, url: ParsedUrl) -> list[Finding]:
    out = []
    listeners = cluster.of("Listener")
    if not listeners:
        out.append(Finding(INFO, "no-listener", "Emissary",
                           "no Listener objects: Emissary 2.x and later listen only on ports a Listener declares"))
    elif scope.label and ":" in scope.label and "/" in scope.label:
        ports = {p for p in (dig(li, "spec", "port") for li in listeners) if isinstance(p, int)}
        name, _, number = scope.label.rpartition(":")
        svc = cluster.get("Service", *name.split("/", 1))
        reached = {n for n in (parse_port(number),) if n is not None}
        reached |= {t for p in dig_list(svc, "spec", "ports") if str(dig(p, "port")) == number
                    for t in [dig(p, "targetPort")] if isinstance(t, int)}
        if reached and not reached & ports:
            out.append(Finding(WARNING, "listener-unreached", scope.label,
                               f"no Listener on port {number} (Listeners: {sorted(ports)})"))
    if url.scheme == "http":
        hit = insecure_action(cluster, url.host)
        if hit and hit[1] == "Redirect":
            out.append(Finding(INFO, "host-redirect", f"Host {hit[0]}",
                               "plain-HTTP requests for this host are redirected to HTTPS before any Mapping runs "
                               "(unless the Listener's securityModel sees them as secure)"))
    return out

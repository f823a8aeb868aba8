"""The routes a client's proxy applies to a request for one Service, in the order it tries them.

Istio VirtualService (istio.io/latest/docs/reference/config/networking/virtual-service/):
  - `hosts`: a short name is read in the VirtualService's namespace; `gateways` unset means
    "mesh" (the sidecars); a list without "mesh" leaves the sidecars alone; exportTo limits who
    sees it.
  - `http` rules are tried in order and the first whose `match` holds wins; the conditions in
    one match block all hold (AND), any one block of the list will do (OR); a rule without
    `match` takes everything. No rule matching: the proxy answers 404 itself.
  - a destination's `weight` is its share of the sum of the rule's weights (one destination:
    all of it; 0: none); a `subset` must be one a DestinationRule for that host defines, or the
    proxy has no cluster to send to and answers 503.
  - `timeout` unset: none for HTTP; `retries` unset: the mesh's default policy (2 retries);
    `fault` delays or aborts a share of requests.
Istio DestinationRule (.../networking/destination-rule/): the rule for a host is looked up in the
client's namespace, then the Service's, then the root namespace; a subset is the Service's pods
that also carry its labels; a subset's trafficPolicy overrides the rule's, and portLevelSettings
override the level they are in; loadBalancer simple or consistentHash.
Gateway API routes with a Service parentRef (GAMMA, gateway-api.sigs.k8s.io/mesh/ and the
HTTPRoute reference): a route in the Service's namespace applies to every client, one in another
namespace only to clients in that namespace; matches are ranked (exact path, longest prefix,
method, most headers, most query parameters; then the oldest route, then namespace/name, then
rule order); a backendRef's weight defaults to 1. Linkerd's policy.linkerd.io HTTPRoute with a
Service parent reads the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..model import ClusterState, Obj, dig, dig_dict, dig_list, dig_str
from .mtls import tls_mode
from .objects import (
    DEFAULT,
    DOMAIN,
    MAX_ITEMS,
    Decider,
    age_key,
    as_int,
    capped,
    decider,
    fqdn,
    group_of,
    host_matches,
    labels_of,
    match_labels,
    names,
    visible_to,
)

HTTP_MATCH_FIELDS = frozenset({"name", "uri", "scheme", "method", "authority", "headers", "port", "sourceLabels",
                               "gateways", "queryParams", "ignoreUriCase", "withoutHeaders", "sourceNamespace",
                               "statPrefix"})


@dataclass(frozen=True, slots=True)
class Request:
    """What is known of the request: "" / None means not given (a match on it is undecided)."""

    path: str = ""
    method: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    port: int | None = None  # the Service port
    client_ns: str = ""
    client_labels: Mapping[str, str] | None = None  # None: no source pod given


@dataclass(frozen=True, slots=True)
class Destination:
    host: str
    service: str  # "ns/name" of the Service the host names, "" if none
    subset: str
    port: int | None
    weight: int
    percent: float
    pods: tuple[str, ...]
    words: str
    tls: tuple[str, Decider] | None = None  # the DestinationRule's tls mode for it
    load_balancer: str = ""
    by: Decider = DEFAULT  # the DestinationRule (and subset) that shapes it


@dataclass(frozen=True, slots=True)
class Route:
    by: Decider
    match: str
    matched: bool | None  # None: depends on what the request carries that was not given
    destinations: tuple[Destination, ...]
    timeout: str = ""
    retries: str = ""
    fault: str = ""
    other: str = ""  # redirect, direct response, mirror


@dataclass(frozen=True)
class RouteSet:
    source: str  # "VirtualService", "HTTPRoute", "GRPCRoute", "default"
    routes: tuple[Route, ...]
    chosen: int | None
    chosen_words: str
    findings: tuple[str, ...]


# -- DestinationRule ---------------------------------------------------------------------------------


def _ns_rank(dr_ns: str, client_ns: str, service_ns: str, root_ns: str) -> int:
    return 0 if dr_ns == client_ns else 1 if dr_ns == service_ns else 2 if dr_ns == root_ns else 3


def destination_rule(rules: Sequence[Obj], host: str, req: Request, service_ns: str, root_ns: str,
                     findings: list[str]) -> Obj | None:
    """The DestinationRule a client in req.client_ns uses for `host`, or None."""
    found: list[tuple[tuple[int, int, tuple[str, str, str]], Obj]] = []
    for dr in rules:
        dr_ns = dig_str(dr, "metadata", "namespace")
        score = host_matches(fqdn(dig_str(dr, "spec", "host"), dr_ns), host)
        if not score or not visible_to(dr, req.client_ns):
            continue
        selector = dig(dr, "spec", "workloadSelector", "matchLabels")
        if selector is not None and (req.client_labels is None or dr_ns != req.client_ns
                                     or not match_labels(selector, req.client_labels)):
            continue  # a workloadSelector: only for those client pods, in the rule's namespace
        found.append(((_ns_rank(dr_ns, req.client_ns, service_ns, root_ns), -score, age_key(dr)), dr))
    if not found:
        return None
    found.sort(key=lambda t: t[0])
    best = found[0]
    twins = [dr for key, dr in found if key[:2] == best[0][:2]]
    if len(twins) > 1:
        findings.append(f"{len(twins)} DestinationRules for {host} in one namespace ({names(twins)}): Istio merges "
                        f"them, and where they disagree the oldest ({names(twins[:1])}) wins")
    return best[1]


def _subset(dr: Obj | None, name: str) -> tuple[int, dict[str, Any]] | None:
    for i, s in enumerate(capped(dig_list(dr, "spec", "subsets"))):
        if isinstance(s, dict) and s.get("name") == name:
            return i, s
    return None


def _lb_words(lb: Any) -> str:
    if not isinstance(lb, dict):
        return ""
    simple = lb.get("simple")
    if isinstance(simple, str):
        return {"ROUND_ROBIN": "round robin", "LEAST_REQUEST": "least requests", "LEAST_CONN": "least requests",
                "RANDOM": "random", "PASSTHROUGH": "passthrough (to the address the client asked for)",
                "UNSPECIFIED": "Istio's default (least requests)"}.get(simple, f"{simple[:30]} (unknown)")
    ch = lb.get("consistentHash")
    if isinstance(ch, dict):
        if ch.get("httpHeaderName"):
            return f"consistent hash on header {str(ch['httpHeaderName'])[:60]}"
        if isinstance(ch.get("httpCookie"), dict):
            return f"consistent hash on cookie {str(ch['httpCookie'].get('name', '?'))[:60]}"
        if ch.get("useSourceIp"):
            return "consistent hash on the client's IP"
        if ch.get("httpQueryParameterName"):
            return f"consistent hash on query parameter {str(ch['httpQueryParameterName'])[:60]}"
        return "consistent hash"
    return ""


def _port_level(policy: Any, port: int | None) -> tuple[int, dict[str, Any]] | None:
    if port is None or not isinstance(policy, dict):
        return None
    for i, pl in enumerate(capped(policy.get("portLevelSettings"))):
        if isinstance(pl, dict) and as_int(dig(pl, "port", "number")) == port:
            return i, pl
    return None


def traffic_policy(dr: Obj | None, subset: str, port: int | None,
                   findings: list[str]) -> tuple[tuple[str, Decider] | None, str, Decider]:
    """(tls mode and where, load balancer words, the rule) for a destination: subset port-level,
    subset, rule port-level, rule, in that order of precedence."""
    if dr is None:
        return None, "Istio's default (least requests)", DEFAULT
    layers: list[tuple[Any, str]] = []
    sub = _subset(dr, subset) if subset else None
    if sub is not None:
        sp = sub[1].get("trafficPolicy")
        pl = _port_level(sp, port)
        if pl is not None:
            layers.append((pl[1], f"spec.subsets[{sub[0]}].trafficPolicy.portLevelSettings[{pl[0]}]"))
        layers.append((sp, f"spec.subsets[{sub[0]}].trafficPolicy"))
    top = dig(dr, "spec", "trafficPolicy")
    pl = _port_level(top, port)
    if pl is not None:
        layers.append((pl[1], f"spec.trafficPolicy.portLevelSettings[{pl[0]}]"))
    layers.append((top, "spec.trafficPolicy"))
    tls: tuple[str, Decider] | None = None
    lb = ""
    for layer, where in layers:
        if not isinstance(layer, dict):
            continue
        if tls is None:
            mode = tls_mode(dig(layer, "tls", "mode"), f"DestinationRule {names([dr])} {where}", findings)
            if mode is not None:
                tls = (mode, decider(dr, f"{where}.tls.mode"))
        if not lb:
            lb = _lb_words(layer.get("loadBalancer"))
    return tls, lb or "Istio's default (least requests)", decider(dr, f"subset {subset}" if subset else "spec")


# -- Services and their pods -------------------------------------------------------------------------


def service_for(cluster: ClusterState, host: str) -> Obj | None:
    parts = host.split(".")
    if len(parts) == 5 and parts[2] == "svc" and ".".join(parts[3:]) == DOMAIN:
        return cluster.get("Service", parts[1], parts[0])
    return None


def service_pods(cluster: ClusterState, svc: Obj | None) -> list[Obj]:
    selector = dig_dict(svc, "spec", "selector")
    if svc is None or not selector:
        return []
    ns = dig_str(svc, "metadata", "namespace")
    return [p for p in cluster.in_namespace("Pod", ns) if match_labels(selector, labels_of(p))][:MAX_ITEMS]


def _pod_keys(pods: Sequence[Obj]) -> tuple[str, ...]:
    return tuple(f"{dig_str(p, 'metadata', 'namespace')}/{dig_str(p, 'metadata', 'name')}" for p in pods)


def destination(cluster: ClusterState, rules: Sequence[Obj], host: str, subset: str, port: int | None,
                weight: int, percent: float, req: Request, root_ns: str, findings: list[str]) -> Destination:
    svc = service_for(cluster, host)
    svc_key = f"{dig_str(svc, 'metadata', 'namespace')}/{dig_str(svc, 'metadata', 'name')}" if svc else ""
    pods = service_pods(cluster, svc)
    parts = host.split(".")
    service_ns = dig_str(svc, "metadata", "namespace") or (parts[1] if len(parts) > 1 else "")
    dr = destination_rule(rules, host, req, service_ns, root_ns, findings)
    words = f"{percent:g}% to {svc_key or host}"
    if svc is None:
        findings.append(f"{host}: no Service of that name here; the mesh may know it from a ServiceEntry (not read)")
    if subset:
        sub = _subset(dr, subset)
        if sub is None:
            findings.append(f"subset {subset} of {host} is defined by no DestinationRule the client sees: the proxy "
                            "has no cluster for it and answers 503 (no healthy upstream)")
            pods = []
            words += f" subset {subset} (undefined: 503)"
        else:
            labels = dig_dict(sub[1], "labels")
            pods = [p for p in pods if match_labels(labels, labels_of(p))]
            words += f" subset {subset}"
            if svc is not None and not pods:
                findings.append(f"subset {subset} of {host} matches no pod of the Service: 503 (no healthy upstream)")
    if port is not None:
        words += f" port {port}"
    tls, lb, by = traffic_policy(dr, subset, port if port is not None else req.port, findings)
    return Destination(host, svc_key, subset, port, weight, percent, _pod_keys(pods),
                       words + f" ({len(pods)} pod{'s' if len(pods) != 1 else ''})", tls, lb, by)


# -- matching ----------------------------------------------------------------------------------------


def _string(m: Any, value: str | None, *, ignore_case: bool = False) -> bool | None:
    """Istio's StringMatch (exact / prefix / regex) against `value` (None: not given)."""
    if not isinstance(m, dict):
        return False
    if value is None:
        return None
    if ignore_case:
        value = value.lower()
    if "exact" in m:
        want = str(m["exact"])
        return value == (want.lower() if ignore_case else want)
    if "prefix" in m:
        want = str(m["prefix"])
        return value.startswith(want.lower() if ignore_case else want)
    return None  # regex: RE2 in the proxy; not evaluated here


def _all(results: list[bool | None]) -> bool | None:
    if any(r is False for r in results):
        return False
    return None if any(r is None for r in results) else True


def _any(results: list[bool | None]) -> bool | None:
    if any(r is True for r in results):
        return True
    return None if any(r is None for r in results) else False


def _http_match(m: Any, req: Request, where: str, findings: list[str]) -> tuple[bool | None, str]:
    if not isinstance(m, dict):
        findings.append(f"{where}: a match that is not a map: matches nothing")
        return False, "(invalid)"
    unknown = sorted(str(k) for k in m if k not in HTTP_MATCH_FIELDS)
    if unknown:
        findings.append(f"{where}: fields Istio's HTTPMatchRequest does not have ({', '.join(unknown)[:80]}): "
                        "this match is undecided")
    path = req.path.split("?", 1)[0] if req.path else None
    words: list[str] = []
    out: list[bool | None] = [None] if unknown else []
    icase = m.get("ignoreUriCase") is True
    if "uri" in m:
        out.append(_string(m["uri"], path, ignore_case=icase))
        words.append(f"uri {_sm_words(m['uri'])}")
    if "method" in m:
        out.append(_string(m["method"], req.method.upper() or None))
        words.append(f"method {_sm_words(m['method'])}")
    for key in ("authority", "scheme"):
        if key in m:
            out.append(None)
            words.append(f"{key} {_sm_words(m[key])}")
    known = bool(req.path or req.method or req.headers)  # a request was described: absent headers are absent
    headers = {str(k).lower(): str(v) for k, v in req.headers.items()}
    for name, sm in dig_dict(m, "headers").items():
        value = headers.get(str(name).lower())
        out.append(_string(sm, value) if value is not None else (False if known else None))
        words.append(f"header {str(name)[:40]} {_sm_words(sm)}")
    for name in dig_dict(m, "withoutHeaders"):
        out.append(None if not known else str(name).lower() not in headers)
        words.append(f"no header {str(name)[:40]}")
    if "queryParams" in m:
        out.append(None)
        words.append("query parameters")
    if "port" in m:
        want = as_int(m["port"])
        out.append(None if req.port is None else want == req.port)
        words.append(f"port {want}")
    if "sourceLabels" in m:
        out.append(None if req.client_labels is None else match_labels(m["sourceLabels"], req.client_labels))
        words.append("source labels " + ",".join(f"{k}={v}" for k, v in dig_dict(m, "sourceLabels").items())[:80])
    if "sourceNamespace" in m:
        out.append(None if not req.client_ns else str(m["sourceNamespace"]) == req.client_ns)
        words.append(f"from namespace {str(m['sourceNamespace'])[:63]}")
    if "gateways" in m:
        gws = m["gateways"] if isinstance(m["gateways"], list) else []
        out.append("mesh" in gws)
        words.append("gateways " + ",".join(str(g) for g in gws)[:80])
    return _all(out), " and ".join(words) or "anything"


def _sm_words(sm: Any) -> str:
    if not isinstance(sm, dict):
        return "(invalid)"
    for key in ("exact", "prefix", "regex"):
        if key in sm:
            return f"{key} {str(sm[key])[:80]}"
    return "(empty)"


def _duration(raw: Any) -> str:
    return str(raw)[:20] if isinstance(raw, str | int | float) and not isinstance(raw, bool) else ""


def _retries(raw: Any) -> str:
    if raw is None:
        return "not set: the mesh's default retry policy (2 retries)"
    if not isinstance(raw, dict):
        return "(invalid)"
    attempts = as_int(raw.get("attempts"))
    if attempts == 0:
        return "none (attempts 0)"
    out = f"{attempts} attempt(s)" if attempts is not None else "attempts not set"
    if raw.get("perTryTimeout"):
        out += f", {_duration(raw['perTryTimeout'])} each"
    if raw.get("retryOn"):
        out += f", on {str(raw['retryOn'])[:80]}"
    return out


def _percent(raw: Any) -> str:
    value = dig(raw, "percentage", "value")
    return f"{value}% of requests" if isinstance(value, int | float) and not isinstance(value, bool) else "every request"


def _fault(raw: Any) -> str:
    if not isinstance(raw, dict):
        return ""
    parts = []
    delay = raw.get("delay")
    if isinstance(delay, dict):
        parts.append(f"delay {_duration(delay.get('fixedDelay'))} for {_percent(delay)}")
    abort = raw.get("abort")
    if isinstance(abort, dict):
        status = abort.get("httpStatus", abort.get("grpcStatus", "?"))
        parts.append(f"abort with {str(status)[:20]} for {_percent(abort)}")
    return "; ".join(parts)


def _weights(raw_weights: list[int | None], where: str, findings: list[str]) -> list[tuple[int, float]]:
    if len(raw_weights) == 1:
        return [(raw_weights[0] if raw_weights[0] is not None else 100, 100.0)]
    weights = [w if w is not None and w >= 0 else 0 for w in raw_weights]
    total = sum(weights)
    if total == 0:
        findings.append(f"{where}: {len(weights)} destinations and no weights: read as equal shares")
        return [(0, round(100 / len(weights), 1)) for _ in weights]
    if total != 100:
        findings.append(f"{where}: weights sum to {total}, not 100: each destination gets weight/{total} of the "
                        "requests (Istio's reading); the sum is meant to be 100")
    return [(w, round(100 * w / total, 1)) for w in weights]


# -- VirtualService ----------------------------------------------------------------------------------


def virtual_service(services: Sequence[Obj], host: str, req: Request, findings: list[str]) -> Obj | None:
    """The VirtualService the sidecar of a client in req.client_ns applies to `host`."""
    found: list[tuple[tuple[int, tuple[str, str, str]], Obj]] = []
    for vs in services:
        ns = dig_str(vs, "metadata", "namespace")
        gateways = dig(vs, "spec", "gateways")
        if isinstance(gateways, list) and gateways and "mesh" not in gateways:
            continue
        if not visible_to(vs, req.client_ns):
            continue
        score = max((host_matches(fqdn(str(h), ns), host) for h in capped(dig_list(vs, "spec", "hosts"))), default=0)
        if score:
            found.append(((-score, age_key(vs)), vs))
    if not found:
        return None
    found.sort(key=lambda t: t[0])
    same = [vs for key, vs in found if key[0] == found[0][0][0]]
    if len(same) > 1:
        findings.append(f"{len(same)} VirtualServices for {host} ({names(same)}): a sidecar uses one, the oldest "
                        f"({names(same[:1])}); the others are ignored for it")
    return found[0][1]


def vs_routes(cluster: ClusterState, vs: Obj, rules: Sequence[Obj], req: Request, root_ns: str,
              findings: list[str]) -> RouteSet:
    ns = dig_str(vs, "metadata", "namespace")
    routes: list[Route] = []
    http = capped(dig_list(vs, "spec", "http"))
    if not http and (dig_list(vs, "spec", "tcp") or dig_list(vs, "spec", "tls")):
        findings.append(f"VirtualService {names([vs])}: only tcp/tls routes, read as one route each below")
        http = capped(dig_list(vs, "spec", "tcp")) + capped(dig_list(vs, "spec", "tls"))
    for i, rule in enumerate(http):
        where = f"VirtualService {names([vs])} spec.http[{i}]"
        if not isinstance(rule, dict):
            findings.append(f"{where}: not a map; skipped")
            continue
        matches = rule.get("match")
        if isinstance(matches, list) and matches:
            results = [_http_match(m, req, f"{where}.match[{j}]", findings) for j, m in enumerate(matches[:MAX_ITEMS])]
            matched = _any([r for r, _ in results])
            words = " or ".join(w for _, w in results)
        else:
            matched, words = True, "every request"
        dests: list[Destination] = []
        raw = [d for d in capped(rule.get("route")) if isinstance(d, dict)]
        shares = _weights([as_int(d.get("weight")) for d in raw], where, findings) if raw else []
        for d, (weight, pct) in zip(raw, shares, strict=True):
            dh = fqdn(dig_str(d, "destination", "host"), ns)
            dests.append(destination(cluster, rules, dh, dig_str(d, "destination", "subset"),
                                     as_int(dig(d, "destination", "port", "number")), weight, pct, req, root_ns,
                                     findings))
        other = ("redirect" if rule.get("redirect") else "direct response" if rule.get("directResponse")
                 else "" if raw else "no destination")
        if rule.get("mirror"):
            other = (other + "; " if other else "") + "mirrored to " + dig_str(rule, "mirror", "host")[:80]
        routes.append(Route(decider(vs, f"spec.http[{i}]"), words, matched, tuple(dests),
                            _duration(rule.get("timeout")) or "none (Istio's default for HTTP)",
                            _retries(rule.get("retries")), _fault(rule.get("fault")), other))
    return _choose("VirtualService", routes, findings)


def _choose(source: str, routes: list[Route], findings: list[str]) -> RouteSet:
    for i, r in enumerate(routes):
        if r.matched is None:
            return RouteSet(source, tuple(routes), None,
                            f"depends on the request: rule {i + 1} ({r.match}) could not be decided from what was "
                            "given; give a path, method or source pod", tuple(findings))
        if r.matched:
            return RouteSet(source, tuple(routes), i, f"rule {i + 1} ({r.by.words}) takes it: {r.match}",
                            tuple(findings))
    return RouteSet(source, tuple(routes), None, "no rule matches: the client's proxy answers 404 (no route)",
                    tuple(findings))


# -- Gateway API routes with a Service parent (GAMMA) --------------------------------------------------


def _parent_port(route: Obj, ns: str, name: str, port: int | None) -> bool:
    route_ns = dig_str(route, "metadata", "namespace")
    for ref in capped(dig_list(route, "spec", "parentRefs")):
        if not isinstance(ref, dict) or ref.get("kind") != "Service" or ref.get("group", "") not in ("", "core"):
            continue
        if ref.get("name") != name or str(ref.get("namespace") or route_ns) != ns:
            continue
        want = as_int(ref.get("port"))
        if want is None or port is None or want == port:
            return True
    return False


def _gamma_rank(m: Any) -> tuple[int, int, int, int, int]:
    path = dig(m, "path") if isinstance(m, dict) else None
    ptype = dig_str(path, "type") or "PathPrefix"
    value = dig_str(path, "value") or "/"
    return (0 if ptype == "Exact" else 1, -len(value) if ptype != "Exact" else 0,
            0 if isinstance(m, dict) and m.get("method") else 1,
            -len(dig_list(m, "headers")), -len(dig_list(m, "queryParams")))


def _gamma_match(kind: str, m: Any, req: Request) -> tuple[bool | None, str]:
    if not isinstance(m, dict):
        return False, "(invalid)"
    out: list[bool | None] = []
    words: list[str] = []
    path = req.path.split("?", 1)[0] if req.path else None
    if kind == "GRPCRoute":
        meth = dig_dict(m, "method")
        if meth:
            want = f"/{dig_str(meth, 'service')}/{dig_str(meth, 'method')}"
            out.append(None if path is None else (path == want if meth.get("method") else
                                                  path.startswith(f"/{dig_str(meth, 'service')}/")))
            words.append(f"gRPC {want}")
    else:
        p = dig_dict(m, "path")
        ptype = dig_str(p, "type") or "PathPrefix"
        value = dig_str(p, "value") or "/"
        if ptype == "Exact":
            out.append(None if path is None else path == value)
        elif ptype == "PathPrefix":
            trimmed = value.rstrip("/")
            out.append(True if value == "/" else None if path is None else
                       (path == trimmed or path.startswith(trimmed + "/")))
        else:
            out.append(None)
        words.append(f"path {ptype} {value[:80]}")
        if m.get("method"):
            out.append(None if not req.method else str(m["method"]).upper() == req.method.upper())
            words.append(f"method {str(m['method'])[:10]}")
    for h in capped(m.get("headers")):
        if isinstance(h, dict):
            got = {str(k).lower(): str(v) for k, v in req.headers.items()}.get(str(h.get("name", "")).lower())
            exact = (h.get("type") or "Exact") == "Exact"
            known = bool(req.path or req.method or req.headers)
            out.append(None if not exact or not known else got == str(h.get("value", "")))
            words.append(f"header {str(h.get('name', ''))[:40]}")
    if m.get("queryParams"):
        out.append(None)
        words.append("query parameters")
    return _all(out), " and ".join(words) or "every request"


def gamma_routes(cluster: ClusterState, kinds: Sequence[str], svc_ns: str, svc_name: str, rules: Sequence[Obj],
                 req: Request, root_ns: str, findings: list[str]) -> RouteSet | None:
    candidates: list[tuple[tuple[Any, ...], Obj, int, int, Any]] = []
    for kind in kinds:
        for route in cluster.of(kind):
            route_ns = dig_str(route, "metadata", "namespace")
            if not _parent_port(route, svc_ns, svc_name, req.port):
                continue
            if route_ns != svc_ns and req.client_ns and route_ns != req.client_ns:
                continue  # a consumer route: only for clients in its own namespace
            for i, rule in enumerate(capped(dig_list(route, "spec", "rules"))):
                matches = capped(dig_list(rule, "matches")) or [{}]
                for j, m in enumerate(matches):
                    key = (_gamma_rank(m) if kind != "GRPCRoute" else (0, 0, 0, -len(dig_list(m, "headers")), 0),
                           age_key(route), i, j)
                    candidates.append((key, route, i, j, m))
    if not candidates:
        return None
    candidates.sort(key=lambda t: t[0])
    routes: list[Route] = []
    for _key, route, i, j, m in candidates:
        kind = str(route.get("kind", ""))
        matched, words = _gamma_match(kind, m, req)
        ns = dig_str(route, "metadata", "namespace")
        rule = capped(dig_list(route, "spec", "rules"))[i]
        refs = [b for b in capped(dig_list(rule, "backendRefs")) if isinstance(b, dict)]
        where = f"{kind} {names([route])} spec.rules[{i}]"
        weights = [as_int(b.get("weight")) for b in refs]
        ws = [1 if w is None else max(w, 0) for w in weights]
        total = sum(ws)
        dests: list[Destination] = []
        for b, w in zip(refs, ws, strict=True):
            if b.get("kind", "Service") != "Service":
                findings.append(f"{where}: a backendRef of kind {str(b.get('kind'))[:40]} is not followed here")
                continue
            host = f"{b.get('name')}.{b.get('namespace') or ns}.svc.{DOMAIN}"
            pct = round(100 * w / total, 1) if total else 0.0
            dests.append(destination(cluster, rules, host, "", as_int(b.get("port")), w, pct, req, root_ns, findings))
        if not refs:
            findings.append(f"{where}: no backendRefs: requests it matches get 500 (Gateway API's rule)")
        routes.append(Route(decider(route, f"spec.rules[{i}].matches[{j}]"), words, matched, tuple(dests),
                            _duration(dig(rule, "timeouts", "request")) or "none set", "", "",
                            "filters: " + ",".join(dig_str(f, "type") for f in capped(dig_list(rule, "filters")))
                            if dig_list(rule, "filters") else ""))
    groups = {group_of(r) for _k, r, *_ in candidates}
    source = "GAMMA route" + (" (Linkerd's policy.linkerd.io HTTPRoute)" if "policy.linkerd.io" in groups else "")
    return _choose(source, routes, findings)


def default_routes(cluster: ClusterState, svc: Obj, rules: Sequence[Obj], req: Request, root_ns: str,
                   findings: list[str]) -> RouteSet:
    ns, name = dig_str(svc, "metadata", "namespace"), dig_str(svc, "metadata", "name")
    dest = destination(cluster, rules, f"{name}.{ns}.svc.{DOMAIN}", "", None, 100, 100.0, req, root_ns, findings)
    route = Route(Decider("", "", "", "no VirtualService or route: the Service's own pods"), "every request", True,
                  (dest,), "none (Istio's default for HTTP)", "not set: the mesh's default retry policy (2 retries)")
    return RouteSet("default", (route,), 0, "no VirtualService or Gateway API route: every pod of the Service",
                    tuple(findings))

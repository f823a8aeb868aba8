"""Emissary-ingress: Mappings, Hosts, and the Mappings Emissary makes out of Ingresses.

Emissary does not implement Ingress matching itself: it turns every Ingress path into a Mapping
(a string prefix, `prefix_exact` with precedence 1 for Exact, and the Mapping default rewrite
"/"), then routes everything through Envoy. `as_emissary` makes that translation explicit so the
tester can show where the result departs from the Ingress spec.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace

from ..model import (
    ClusterState,
    Obj,
    dig,
    dig_dict,
    dig_str,
    key_of,
    namespace_of,
)
from ..numbers import parse_port
from .backends import Backend, BackendRef, resolve
from .controllers import EMISSARY
from .findings import ERROR, INFO, Finding
from .paths import glob_host, regex_error
from .rules import ANY, EXACT, REGEX, STRING_PREFIX, RouteRule

DEFAULT_REWRITE = "/"


def parse_service(text: str, namespace: str) -> BackendRef:
    """`[scheme://]name[.namespace][:port]`; a name with more dots is a host outside the cluster."""
    raw = text.strip()
    scheme = ""
    rest = raw
    if "://" in raw:
        scheme, rest = raw.split("://", 1)
        scheme = scheme.lower()
    rest = rest.split("/", 1)[0]
    host, port = rest, 443 if scheme == "https" else 80
    if rest.startswith("["):
        return BackendRef(namespace, "", external=raw)
    if ":" in rest:
        host, _, port_text = rest.rpartition(":")
        given = parse_port(port_text)
        if given is None:
            return BackendRef(namespace, "", external=raw)
        port = given
    try:
        ipaddress.ip_address(host)
        return BackendRef(namespace, "", external=raw)
    except ValueError:
        pass
    labels = host.split(".")
    if len(labels) == 1:
        return BackendRef(namespace, host, port)
    if len(labels) == 2 or labels[2] == "svc":
        return BackendRef(labels[1], labels[0], port)
    return BackendRef(namespace, "", external=raw)


def _ids(obj: Obj) -> tuple[str, ...]:
    raw = dig(obj, "spec", "ambassador_id")
    if isinstance(raw, str):
        return (raw,)
    return tuple(x for x in raw if isinstance(x, str)) if isinstance(raw, list) else ()


def _pairs(value: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        return ()
    return tuple(sorted((str(k).lower(), v if isinstance(v, str) else "") for k, v in value.items()))


def mapping_rule(cluster: ClusterState, mapping: Obj) -> RouteRule:
    ns = namespace_of(mapping) or "default"
    name = f"{ns}/{key_of(mapping).rsplit('/', 1)[-1]}"
    subject = f"Mapping {name}"
    spec = dig_dict(mapping, "spec")
    findings: list[Finding] = []
    prefix = dig_str(spec, "prefix")
    if not prefix:
        findings.append(Finding(ERROR, "malformed", subject, "no prefix: Emissary rejects this Mapping"))
    if dig(spec, "prefix_regex") is True:
        match, path_type = REGEX, "prefix_regex"
        err = regex_error(prefix)
        if err:
            findings.append(Finding(ERROR, "invalid-regex", subject, f"prefix {prefix!r} is not a valid regex: {err}"))
    elif dig(spec, "prefix_exact") is True:
        match, path_type = EXACT, "prefix_exact"
    else:
        match, path_type = STRING_PREFIX, "prefix"
    hosts: tuple[str, ...] = ()
    style = "glob"
    if dig_str(spec, "hostname"):
        hosts = (dig_str(spec, "hostname"),)
    elif dig_str(spec, "host"):
        hosts = (dig_str(spec, "host"),)
        style = "regex" if dig(spec, "host_regex") is True else "exact"
        if style == "regex" and regex_error(hosts[0]):
            findings.append(Finding(ERROR, "invalid-regex", subject, f"host {hosts[0]!r} is not a valid regex"))
    rewrite_raw = dig(spec, "rewrite")
    rewrite = DEFAULT_REWRITE if rewrite_raw is None else (rewrite_raw if isinstance(rewrite_raw, str) else DEFAULT_REWRITE)
    regex_rewrite = None
    rr = dig_dict(spec, "regex_rewrite")
    if isinstance(rr.get("pattern"), str) and isinstance(rr.get("substitution"), str):
        regex_rewrite = (rr["pattern"], rr["substitution"])
        if regex_error(rr["pattern"]):
            findings.append(Finding(ERROR, "invalid-regex", subject,
                                    f"regex_rewrite pattern {rr['pattern']!r} is not a valid regex"))
    backends: tuple[Backend, ...] = ()
    service = dig_str(spec, "service")
    if not service:
        findings.append(Finding(ERROR, "malformed", subject, "no service: Emissary rejects this Mapping"))
    else:
        weight = dig(spec, "weight")
        ref = replace(parse_service(service, ns),
                      weight=weight if isinstance(weight, int) and not isinstance(weight, bool) else None)
        backends = (resolve(cluster, ref, subject),)
    precedence = dig(spec, "precedence")
    ids = _ids(mapping)
    if ids and "default" not in ids:
        findings.append(Finding(INFO, "ambassador-id", subject,
                                f"ambassador_id {', '.join(ids)}: an Emissary with the default id ignores it"))
    method = dig_str(spec, "method").upper() or None
    return RouteRule(
        kind="Mapping", name=name, where="spec", order=(0,), hosts=hosts, host_style=style,
        path=prefix or None, path_type=path_type, match=match if prefix else "none", rewrite=rewrite or None,
        regex_rewrite=regex_rewrite,
        precedence=precedence if isinstance(precedence, int) and not isinstance(precedence, bool) else 0,
        method=method, headers=_pairs(spec.get("headers")) + _pairs(spec.get("regex_headers")),
        query=_pairs(spec.get("query_parameters")) + _pairs(spec.get("regex_query_parameters")),
        backends=backends, controller=EMISSARY, implementation="emissary",
        created=dig_str(mapping, "metadata", "creationTimestamp"), ambassador_id=ids, findings=tuple(findings),
    )


def host_rule(host: Obj) -> RouteRule:
    """Emissary Host: no backend, but it decides TLS and what happens to insecure requests."""
    ns = namespace_of(host) or "default"
    name = f"{ns}/{key_of(host).rsplit('/', 1)[-1]}"
    hostname = dig_str(host, "spec", "hostname") or "*"
    action = dig_str(host, "spec", "requestPolicy", "insecure", "action") or "Redirect"
    tls = bool(dig_str(host, "spec", "tlsSecret", "name") or dig_dict(host, "spec", "tls"))
    findings = (Finding(INFO, "host-policy", f"Host {name}", f"insecure (plain HTTP) requests for {hostname}: {action}"),)
    return RouteRule(
        kind="Host", name=name, where="spec", order=(0,), hosts=(hostname,), host_style="glob",
        path=None, path_type=None, match="none", rewrite=None, tls=tls, controller=EMISSARY,
        implementation="emissary", created=dig_str(host, "metadata", "creationTimestamp"),
        ambassador_id=_ids(host), findings=findings,
    )


def as_emissary(rule: RouteRule) -> RouteRule:
    """The Mapping Emissary generates for an Ingress path (see module docstring)."""
    if rule.kind != "Ingress":
        return rule
    exact = rule.path_type == "Exact"
    return replace(
        rule, match=EXACT if exact else STRING_PREFIX, path=rule.path or "/",
        rewrite=DEFAULT_REWRITE, precedence=1 if exact else 0,
        path_type=rule.path_type if rule.match != ANY else None,
    )


def insecure_action(cluster: ClusterState, request_host: str) -> tuple[str, str] | None:
    """The first Host (by name) whose hostname covers `request_host`, and what it does with plain HTTP."""
    for host in sorted(cluster.of("Host"), key=key_of):
        if glob_host(dig_str(host, "spec", "hostname") or "*", request_host):
            action = dig_str(host, "spec", "requestPolicy", "insecure", "action") or "Redirect"
            return key_of(host), action
    return None

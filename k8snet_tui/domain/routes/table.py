"""The route table: every rule from every routing API, plus the findings that span rules."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ..model import ClusterState, dig_str, name_of
from .controllers import EMISSARY
from .emissary import host_rule, mapping_rule
from .findings import ERROR, WARNING, Finding, dedupe
from .gateway import httproute_rules
from .ingress import ingress_rules
from .rules import RouteRule

ROUTE_KINDS = ("Ingress", "IngressClass", "Mapping", "Host", "Listener", "Gateway", "HTTPRoute")

# CRD object names by the API family that needs them.
EMISSARY_CRDS = ("mappings.getambassador.io", "hosts.getambassador.io", "listeners.getambassador.io")
GATEWAY_CRDS = ("gateways.gateway.networking.k8s.io", "httproutes.gateway.networking.k8s.io")


@dataclass(frozen=True)
class RouteTable:
    rules: tuple[RouteRule, ...]
    findings: tuple[Finding, ...]

    def to_json(self) -> dict[str, object]:
        return {"rules": [r.to_json() for r in self.rules], "findings": [f.to_json() for f in self.findings]}


def _guarded(build, obj, kind: str) -> tuple[list[RouteRule], list[Finding]]:  # type: ignore[no-untyped-def]
    # dig() keeps readers safe from missing fields; this catches what slips past it (e.g. a list
    # of strings where dicts belong) so one bad object costs one finding, not the whole pane.
    try:
        out = build(obj)
        return (out if isinstance(out, list) else [out]), []
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        name = name_of(obj) if isinstance(obj, dict) else "?"
        return [], [Finding(ERROR, "malformed", f"{kind} {name}", f"could not be read: {type(exc).__name__}")]


def build_route_table(cluster: ClusterState) -> RouteTable:
    """Every rule and cross-rule finding; built once per ClusterState (it depends on nothing else)."""
    return cluster.memo(_build_route_table)


def _build_route_table(cluster: ClusterState) -> RouteTable:
    rules: list[RouteRule] = []
    findings: list[Finding] = []
    for kind, build in (
        ("Ingress", lambda o: ingress_rules(cluster, o)),
        ("Mapping", lambda o: mapping_rule(cluster, o)),
        ("Host", host_rule),
        ("HTTPRoute", lambda o: httproute_rules(cluster, o)),
    ):
        for obj in cluster.of(kind):
            got, bad = _guarded(build, obj, kind)
            rules.extend(got)
            findings.extend(bad)
    rules.sort(key=lambda r: (r.kind, r.name, r.order))
    for r in rules:
        findings.extend(r.findings)
        for b in r.backends:
            findings.extend(b.findings)
    findings.extend(_duplicates(rules))
    findings.extend(_mapping_groups(rules))
    findings.extend(_crd_findings(cluster, rules))
    findings.extend(
        Finding(WARNING, "forbidden", kind, f"cannot read {kind}: {reason}")
        for kind, reason in cluster.forbidden.items() if kind in ROUTE_KINDS
    )
    return RouteTable(tuple(rules), dedupe(findings))


def _duplicates(rules: list[RouteRule]) -> list[Finding]:
    seen: dict[tuple[object, ...], RouteRule] = {}
    out = []
    for r in rules:
        if r.kind != "Ingress" or r.match == "none":
            continue
        key = (r.controller, r.hosts, r.path if r.path_type else None, r.path_type)
        if key in seen:
            first = seen[key]
            where = "host " + (r.host or "*") + (f" path {r.path} ({r.path_type})" if r.path_type else " default backend")
            out.append(Finding(WARNING, "duplicate-route", f"Ingress {r.name}",
                               f"{where} is also defined by Ingress {first.name} {first.where}; "
                               "which wins is up to the controller"))
        else:
            seen[key] = r
    return out


def _mapping_groups(rules: list[RouteRule]) -> list[Finding]:
    """Emissary puts Mappings with the same match into one group and splits traffic across them."""
    groups: dict[tuple[object, ...], list[RouteRule]] = defaultdict(list)
    for r in rules:
        if r.kind == "Mapping" and r.path:
            groups[(r.hosts, r.path, r.match, r.method, r.headers, r.query, r.precedence)].append(r)
    out = []
    for members in groups.values():
        services = {m.service for m in members}
        if len(members) > 1 and len(services) > 1:
            names = ", ".join(m.name for m in members)
            weights = ", ".join(f"{m.name}={m.backends[0].ref.weight if m.backends else None}" for m in members)
            out.append(Finding(WARNING, "conflicting-mappings", members[0].name,
                               f"Mappings {names} match the same requests; "
                               f"Emissary splits traffic between them (weights: {weights})"))
    return out


def _crd_findings(cluster: ClusterState, rules: list[RouteRule]) -> list[Finding]:
    """Only judged when the state carries CRD objects; otherwise we cannot tell absent from unread."""
    crds = {name_of(c) for c in cluster.of("CustomResourceDefinition")}
    if not crds:
        return []
    out = []
    uses_emissary = any(r.controller == EMISSARY for r in rules) or any(
        dig_str(c, "spec", "controller") == EMISSARY for c in cluster.of("IngressClass")
    )
    families = ((EMISSARY_CRDS, uses_emissary, "Emissary"), (GATEWAY_CRDS, bool(cluster.of("GatewayClass")), "Gateway API"))
    for names, in_use, label in families:
        missing = [n for n in names if n not in crds]
        present = [n for n in names if n in crds]
        if missing and (in_use or present):
            out.append(Finding(WARNING, "crd-missing", label, f"CRDs missing from the cluster: {', '.join(missing)}"))
    return out

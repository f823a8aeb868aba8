"""One row of the route table: a single path rule from an Ingress, a Mapping or an HTTPRoute."""

from __future__ import annotations

from dataclasses import dataclass, field

from .backends import Backend
from .findings import Finding

# How a rule's path is compared with a request path.
EXACT = "exact"
ELEMENT_PREFIX = "element-prefix"  # Ingress Prefix, Gateway PathPrefix
STRING_PREFIX = "string-prefix"  # Emissary prefix (Envoy)
REGEX = "regex"  # whole-path match
ANY = "any"  # default backends: every path


@dataclass(frozen=True)
class RouteRule:
    kind: str  # Ingress | Mapping | Host | HTTPRoute
    name: str  # ns/name
    where: str  # position inside the object, for people: "rules[0].paths[1]"
    order: tuple[int, ...]  # the same position, for tie-breaks
    hosts: tuple[str, ...] = ()  # empty: any host
    host_style: str = "ingress"  # ingress | glob | exact | regex | gateway: see paths.py
    path: str | None = None
    path_type: str | None = None  # as the API spells it
    match: str = ANY
    rewrite: str | None = None  # None: the upstream sees the request path
    rewrite_mode: str | None = None  # Gateway: ReplacePrefixMatch | ReplaceFullPath
    regex_rewrite: tuple[str, str] | None = None
    precedence: int = 0
    method: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    query: tuple[tuple[str, str], ...] = ()
    backends: tuple[Backend, ...] = ()
    tls: bool = False
    ingress_class: str | None = None
    controller: str | None = None
    implementation: str = "none"  # emissary | spec | gateway | none
    parents: tuple[str, ...] = ()  # HTTPRoute: attached Gateways (ns/name[/section])
    created: str = ""
    ambassador_id: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = field(default=(), compare=False)

    @property
    def host(self) -> str | None:
        return self.hosts[0] if len(self.hosts) == 1 else (", ".join(self.hosts) if self.hosts else None)

    @property
    def service(self) -> str | None:
        return self.backends[0].ref.label if self.backends else None

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "name": self.name,
            "where": self.where,
            "hosts": list(self.hosts),
            "path": self.path,
            "path_type": self.path_type,
            "match": self.match,
            "rewrite": self.rewrite,
            "rewrite_mode": self.rewrite_mode,
            "precedence": self.precedence,
            "method": self.method,
            "headers": [list(h) for h in self.headers],
            "query": [list(q) for q in self.query],
            "tls": self.tls,
            "class": self.ingress_class,
            "controller": self.controller,
            "implementation": self.implementation,
            "parents": list(self.parents),
            "backends": [b.to_json() for b in self.backends],
            "findings": [f.to_json() for f in self.findings],
        }

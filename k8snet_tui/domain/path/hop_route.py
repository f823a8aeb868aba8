"""Hop `route` (URLs only): which Ingress, Mapping or HTTPRoute the URL hits at the proxy it
reaches, and whether that rule's backend Service has ready endpoints: the Ingress pane's tester
(domain/routes). A 404 (no rule matches) or 503 (the backend has no endpoints) fails the hop.
"""

from __future__ import annotations

import shlex

from ..routes import route_url
from ..routes.tester import NO_ENDPOINTS, NO_ROUTE
from ..routes.urls import UrlError
from .model import FAIL, OK, UNKNOWN, Evidence, Hop
from .walk import Resolved, Walk

MAX_SHOWN = 4


def route_hop(walk: Walk, resolved: Resolved | None = None) -> Hop:
    """`resolved`: the Service the earlier hops found the URL's host and port reach. The request
    enters there: a proxy's Service routes by its rules, a plain Service (`http://website/` from a
    pod) is its own backend. Without one, the tester finds the entry from the URL's address."""
    url = walk.target.text
    see = f"route {shlex.quote(url)}"
    entry = None
    if resolved is not None and resolved.service is not None and resolved.service_port is not None:
        entry = f"Service/{resolved.service_key}:{resolved.service_port.port}"
    try:
        result = route_url(walk.cluster, url, entry, cloud=walk.observed.cloud)
    except UrlError as exc:
        return Hop("route", UNKNOWN, "the route tester cannot take this URL", reason=str(exc), see=see)
    ev = [Evidence("object", f"{c.kind} {c.name}", ("matches: " if c.matched else "") + c.reason)
          for c in result.candidates[:MAX_SHOWN]]
    ev += [Evidence("note", f.code, f.message) for f in result.findings[:2]]
    m = result.matched
    entry = f" at {result.entry}" if result.entry else ""
    if result.status == NO_ROUTE or m is None:
        return Hop("route", FAIL, f"no rule matches {walk.target.path}{entry}: 404", tuple(ev),
                   fix="no Ingress, Mapping or HTTPRoute of the proxy this URL reaches matches its host and path: "
                       "check the path, the host and the rule's class", see=see)
    backend = m.backends[0] if m.backends else None
    service = backend.ref.label if backend is not None else "?"
    if result.status == NO_ENDPOINTS:
        return Hop("route", FAIL, f"{m.kind} {m.name} -> {service}: no ready endpoint (503)", tuple(ev),
                   fix=f"the rule's backend {service} has no ready endpoints: "
                       + ("the Service does not exist" if backend is not None and not backend.service_found else
                          "its port is not one the Service has" if backend is not None and not backend.port_found else
                          "its pods are not ready or not selected"), see=see)
    n = len(backend.endpoints) if backend is not None else 0
    return Hop("route", OK, f"{m.kind} {m.name} -> {service} (path {m.rewritten_path}, {n} endpoint(s))",
               tuple(ev), see=see)

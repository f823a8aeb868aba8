"""One place that turns an `Observed` into each pane's view model.

The panes and the one-shot CLI both call these, so `k8snet show X --json` prints exactly what
pane X renders. Everything here is composition: the logic lives in `domain/`.
"""

from __future__ import annotations

from typing import Any

from k8snet_tui.domain.dns import build_dns_view, dns_lookup_view
from k8snet_tui.domain.layers import (
    CloudFacts,
    build_host_view,
    build_internet_view,
    build_podnet_view,
    cloud_facts_from_json,
)
from k8snet_tui.domain.model import NodeState, Observed
from k8snet_tui.domain.routes import build_ingress_view, route_url
from k8snet_tui.domain.routes.urls import UrlError
from k8snet_tui.domain.services import build_services_view, find_service, trace_service
from k8snet_tui.errors import UsageError


def node_for(observed: Observed, node: str | None = None) -> NodeState:
    if node:
        found = observed.nodes.get(node)
        if found is None:
            known = ", ".join(observed.nodes) or "none"
            raise UsageError(f"no node state for node {node!r}", hint=f"nodes with state: {known}")
        return found
    return observed.local


def cloud_of(observed: Observed, looked_up: CloudFacts | None = None) -> CloudFacts | None:
    if looked_up is not None:
        return looked_up
    if observed.cloud is not None:
        return cloud_facts_from_json(dict(observed.cloud))
    return None


def build(pane: str, observed: Observed, **options: Any) -> Any:
    node = node_for(observed, options.get("node"))
    if pane == "internet":
        return build_internet_view(cloud_of(observed, options.get("cloud")), node, observed.cluster)
    if pane == "host":
        return build_host_view(observed.cluster, node)
    if pane == "pods":
        return build_podnet_view(observed.cluster, node)
    if pane == "services":
        return build_services_view(observed.cluster, node, datapath=options.get("datapath"))
    if pane == "dns":
        return build_dns_view(observed.cluster, node)
    if pane == "ingress":
        return build_ingress_view(observed.cluster)
    raise UsageError(f"unknown pane {pane!r}", hint="one of internet, host, pods, services, dns, ingress")


def split_service_ref(ref: str) -> tuple[str, str | None]:
    """`ns/name:port` -> (`ns/name`, `port`); the port may be a name or a number."""
    base, sep, port = ref.rpartition(":")
    if sep and "/" not in port and port:
        return base, port
    return ref, None


def trace(observed: Observed, ref: str, node: str | None = None, datapath: Any = None) -> Any:
    key, port = split_service_ref(ref)
    match = find_service(observed.cluster, key)
    if match.service is None:
        hint = f"did you mean: {', '.join(match.suggestions)}" if match.suggestions else "list them with: k8snet show services"
        raise UsageError(f"unknown service {match.key}", hint=hint)
    ns, _, name = match.key.partition("/")
    result = trace_service(observed.cluster, node_for(observed, node), ns, name, port, datapath=datapath)
    if port is not None and not result.ports:
        raise UsageError(f"service {match.key} has no port {port!r}",
                         hint="give the port's name or number, or leave it out to trace every port")
    return result


def dns_lookup(observed: Observed, name: str, *, pod: str | None = None, namespace: str | None = None,
               resolver: str = "glibc", qtype: str = "A") -> Any:
    return dns_lookup_view(observed.cluster, observed.local, name, pod=pod, namespace=namespace,
                           resolver=resolver, qtype=qtype.upper())


def route(observed: Observed, url: str, entry: str | None = None) -> Any:
    try:
        return route_url(observed.cluster, url, entry)
    except UrlError as exc:
        raise UsageError(f"cannot route {url!r}: {exc}",
                         hint="a URL looks like http://HOST[:PORT]/PATH; the host may be a node or LB address") from None

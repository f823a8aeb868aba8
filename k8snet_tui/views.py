"""The one-shot commands' models: `show` through the pane registry's presenters, and the
trace, DNS lookup and route test the panes also run.

The panes and the CLI both call these, so `k8snet show X --json` prints exactly what pane X
renders. Everything here is composition: the logic lives in `domain/` and `present/`.
"""

from __future__ import annotations

from typing import Any

from k8snet_tui.domain.dns import dns_lookup_view
from k8snet_tui.domain.model import Observed
from k8snet_tui.domain.numbers import parse_decimal
from k8snet_tui.domain.routes import route_url
from k8snet_tui.domain.routes.urls import UrlError
from k8snet_tui.domain.services import find_service, trace_service
from k8snet_tui.errors import UsageError
from k8snet_tui.present.common import node_for
from k8snet_tui.present.selection import Selection
from k8snet_tui.registry import PANES, load_presenter, pane_by_word


def build(pane: str, observed: Observed, **options: Any) -> Any:
    """The model of the pane `pane` names (id, number key or alias), for `selection`'s choices.

    Options: namespace (None: the state's own scope), node, datapath, cloud (see `Selection`).
    """
    spec = pane_by_word(pane)
    if spec is None:
        raise UsageError(f"unknown pane {pane!r}", hint="one of " + ", ".join(p.id for p in PANES))
    namespace = options.get("namespace", observed.cluster.namespace)
    selection = Selection(namespace=namespace, node=options.get("node"), datapath=options.get("datapath"),
                          cloud=options.get("cloud"))
    return load_presenter(spec)(observed, selection)


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


def policy_check(observed: Observed, src: str, dst: str, port: str | None = None, protocol: str = "TCP") -> Any:
    from k8snet_tui.present.policy import check

    return check(observed, src, dst, number if (number := parse_decimal(port)) is not None else port, protocol)


def route(observed: Observed, url: str, entry: str | None = None) -> Any:
    try:
        return route_url(observed.cluster, url, entry, cloud=observed.cloud)
    except UrlError as exc:
        raise UsageError(f"cannot route {url!r}: {exc}",
                         hint="a URL looks like http://HOST[:PORT]/PATH; the host may be a node or LB address") from None

"""Pane 5: the cluster's DNS address and domain, the Corefile in brief, every name it serves.

The lookup a user asks for (`i`, `p`, `r`, `t`) is the domain's `dns_lookup_view`; `DnsModel` is
the pane's standing part: what `k8snet show dns` prints, and the Corefile as lines to draw.
`LookupModel` is one lookup as `k8snet dns NAME --json` prints it (`lookup_model`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from k8snet_tui.domain.dns.answers import Expected
from k8snet_tui.domain.dns.catalog import service_dns_names
from k8snet_tui.domain.dns.corefile import CfProblem, KubernetesPlugin, ServerBlock, ServerKey, kubernetes_plugin
from k8snet_tui.domain.dns.corefile import block_summary as _block_summary
from k8snet_tui.domain.dns.kubelet import ClusterDns, PodDns
from k8snet_tui.domain.dns.lookup import Actual, DnsLookupView
from k8snet_tui.domain.dns.oracle import build_dns_model
from k8snet_tui.domain.dns.resolv_conf import Problem, ResolvConf, parse_resolv_conf
from k8snet_tui.domain.model import Observed
from k8snet_tui.domain.numbers import parse_decimal

from .common import node_for
from .selection import Selection
from .serialize import JsonModel, json_field


@dataclass(frozen=True, slots=True)
class Forward:
    source: str = field(metadata=json_field("from"))  # the zone forwarded ("." = everything else)
    to: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CorefileBlock:
    """One server block. JSON: keys, zones, plugins (as written), run_order (as CoreDNS runs
    them), kubernetes (the plugin's options or null), forward, cache (seconds or null), opaque
    (plugins that answer before kubernetes, not modelled), unknown_plugins."""

    keys: tuple[str, ...]
    zones: tuple[ServerKey, ...]
    plugins: tuple[str, ...]
    run_order: tuple[str, ...]
    kubernetes: KubernetesPlugin | None
    forward: Forward | None
    cache: int | None
    opaque: tuple[str, ...]
    unknown_plugins: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Corefile:
    source: str
    blocks: tuple[CorefileBlock, ...]
    problems: tuple[CfProblem, ...]


@dataclass(frozen=True, slots=True)
class NameRow:
    """One name CoreDNS serves. JSON: fqdn, type, kind (service, headless, external, srv,
    endpoint, pod-identity), namespace, service, answers, note."""

    fqdn: str
    qtype: str = field(metadata=json_field("type"))
    kind: str
    namespace: str
    service: str
    answers: tuple[str, ...]
    note: str

    def cells(self) -> tuple[str, str, str, str, str]:
        return (self.fqdn, self.qtype, self.kind, ", ".join(self.answers), self.note)


@dataclass(frozen=True, slots=True)
class ResolvConfModel:
    """A resolv.conf as scripts read it: options keyed by name (true for a bare option, numbers as
    numbers), and the lines it could not use."""

    nameservers: tuple[str, ...]
    search: tuple[str, ...]
    options: Mapping[str, int | str | bool]  # option -> value (true for a bare option), as resolv.conf says
    problems: tuple[Problem, ...]


@dataclass(frozen=True, slots=True)
class Line:
    """A line of text to draw; `kind` says how: title, heading, body, warning, raw (as written)."""

    text: str
    kind: str = "body"


@dataclass(frozen=True)
class DnsModel(JsonModel):
    """`k8snet show dns --json` (`names` narrowed to the selected namespace)."""

    cluster_dns: ClusterDns
    corefile: Corefile
    names: tuple[NameRow, ...]
    node_resolv_conf: ResolvConfModel | None
    notes: tuple[str, ...]
    corefile_lines: tuple[Line, ...] = field(default=(), metadata=json_field(None))


def _block(block: ServerBlock) -> CorefileBlock:
    summary = _block_summary(block)  # the domain's reading; typed here
    fwd = block.plugin("forward")
    cache = summary.get("cache")
    return CorefileBlock(
        tuple(block.keys), tuple(block.zones), tuple(d.name for d in block.directives),
        tuple(summary.get("run_order") or ()), kubernetes_plugin(block),
        Forward(fwd.args[0], tuple(fwd.args[1:])) if fwd and fwd.args else None,
        cache if isinstance(cache, int) else None,
        tuple(summary.get("opaque") or ()), tuple(summary.get("unknown_plugins") or ()))


def resolv_conf_model(rc: ResolvConf) -> ResolvConfModel:
    options: dict[str, int | str | bool] = {}
    for name, value in rc.options:
        options[name] = True if value is None else (number if (number := parse_decimal(value)) is not None else value)
    return ResolvConfModel(tuple(rc.nameservers), tuple(rc.search), options, tuple(rc.problems))


def _node_resolv_conf(text: str | None) -> ResolvConfModel | None:
    return None if text is None else resolv_conf_model(parse_resolv_conf(text))


def corefile_lines(corefile: Corefile, raw: str | None) -> tuple[Line, ...]:
    """The Corefile pane in words: each block's plugins and options, problems, then as written."""
    out = [Line(f"Corefile from {corefile.source}", "title")]
    for b in corefile.blocks:
        out += [Line(""), Line("server block " + " ".join(b.keys), "heading"),
                Line("  plugins as written: " + " ".join(b.plugins)),
                Line("  order they run in: " + " ".join(b.run_order))]
        k = b.kubernetes
        if k is not None:
            ft = " ".join(k.fallthrough) if k.fallthrough else ("all zones" if k.fallthrough == () else "no")
            flags = "".join(f"; {name}" for name, on in (("ignore_empty_service", k.ignore_empty_service),
                                                         ("noendpoints", k.noendpoints)) if on)
            out.append(Line(f"  kubernetes: zones {' '.join(k.zones)}; pods {k.pods}; endpoint_pod_names "
                            f"{'yes' if k.endpoint_pod_names else 'no'}; fallthrough {ft}; ttl {k.ttl}; "
                            f"namespaces {' '.join(k.namespaces) or 'all'}{flags}"))
            out += [Line(f"  ⚠ {note}", "warning") for note in k.notes]
        if b.forward is not None:
            out.append(Line(f"  forward {b.forward.source} → {' '.join(b.forward.to)}"))
        if b.cache is not None:
            out.append(Line(f"  cache {b.cache} s"))
        if b.opaque:
            out.append(Line(f"  ⚠ {' '.join(b.opaque)} answer before kubernetes (not modelled)", "warning"))
        if b.unknown_plugins:
            out.append(Line(f"  ⚠ {' '.join(b.unknown_plugins)} are plugins this tool does not know", "warning"))
    out += [Line(f"⚠ line {p.line}: {p.reason}", "warning") for p in corefile.problems]
    if corefile.problems:
        out.append(Line("The parser did not understand all of it: expectations assume the defaults where it failed."))
    out += [Line(""), Line("As written:", "heading")]
    out += [Line(t, "raw") for t in raw.splitlines()] if raw is not None else [
        Line("(not readable: the defaults are assumed)")]
    return tuple(out)


def present(observed: Observed, selection: Selection) -> DnsModel:
    cluster = observed.cluster
    model = build_dns_model(cluster)
    node = node_for(observed, selection.node)
    ns = selection.namespace
    names = tuple(NameRow(r.fqdn, r.qtype, r.kind, r.namespace, r.service, tuple(r.answers), r.note)
                  for r in service_dns_names(cluster, model) if not ns or r.namespace == ns)
    corefile = Corefile(model.corefile_source, tuple(_block(b) for b in model.corefile.blocks),
                        tuple(model.corefile.problems))
    raw = cluster.configmap("kube-system", "coredns").get("Corefile")
    return DnsModel(model.dns, corefile, names, _node_resolv_conf(node.resolv_conf), tuple(model.notes),
                    corefile_lines(corefile, raw))


# ---- one lookup: `k8snet dns NAME --json` -------------------------------------------------------

@dataclass(frozen=True, slots=True)
class QueryModel:
    """One query of the plan: what CoreDNS should answer, what it did (live only), and why they
    differ (null when they agree or nothing was asked)."""

    fqdn: str
    qtype: str = field(metadata=json_field("type"))
    expected: Expected
    actual: Actual | None
    mismatch: str | None


@dataclass(frozen=True, slots=True)
class DerivationModel:
    """How the pod's resolv.conf came to be: its dnsPolicy, what it amounts to (cluster, host,
    none), the file as text, the steps in words and the kubelet's events."""

    policy: str
    effective: str
    resolv_conf: ResolvConfModel
    text: str
    steps: tuple[str, ...]
    events: tuple[str, ...]


@dataclass(frozen=True)
class LookupModel(JsonModel):
    """`k8snet dns NAME --json` (docs/json.md says what every field means)."""

    name: str
    resolver: str
    pod: str | None
    resolv_conf: ResolvConfModel
    queries: tuple[QueryModel, ...]
    answered_by: int | None
    qtype: str
    valid: bool
    problems: tuple[str, ...]
    stop: str
    wasted_queries: int
    advice: tuple[str, ...]
    notes: tuple[str, ...]
    candidates: tuple[str, ...]
    derivation: DerivationModel | None


def _derivation(d: PodDns) -> DerivationModel:
    return DerivationModel(d.policy, d.effective, resolv_conf_model(d.resolv_conf), d.resolv_conf.render(),
                           d.steps, d.events)


def lookup_model(view: DnsLookupView) -> LookupModel:
    queries = tuple(QueryModel(q.fqdn, q.type, q.expected, q.actual, q.mismatch) for q in view.queries)
    return LookupModel(view.name, view.resolver, view.pod, resolv_conf_model(view.resolv_conf), queries,
                       view.answered_by, view.qtype, view.valid, view.problems, view.stop, view.wasted, view.advice,
                       view.notes, view.candidates, None if view.derivation is None else _derivation(view.derivation))

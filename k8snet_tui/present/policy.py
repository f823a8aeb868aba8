"""Pane 7: NetworkPolicy, who may talk to whom in a namespace, and which rule says so.

`present` gives the pane's model: every policy in words ("isolates ingress of 3 pods in
default"), the who-can-talk matrix of one namespace (pods grouped by identical policy treatment
so it fits a small screen; one cell per source group, destination group and port) and what is
not evaluated. `check` answers one question, the pane's picked cell, its test box and
`k8snet policy check`: the verdict, each side's reason, the allowing rule or the isolating
policies, in lines of words. All of it comes from `domain/policy`; nothing here decides a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass

from k8snet_tui.domain.model import Observed, dig_str
from k8snet_tui.domain.policy import (
    ALLOW,
    DENY,
    PolicyInputError,
    PolicySummary,
    RuleRef,
    Side,
    Verdict,
    evaluate,
    index_of,
    matrix,
    ports_of_interest,
    summaries,
)
from k8snet_tui.errors import UsageError

from .selection import Selection
from .serialize import JsonModel

NO_POLICY = "no NetworkPolicy in this namespace: every pod may reach every pod"
MARKS = {ALLOW: "✓", DENY: "✗"}  # anything else (unknown) is "?": the meaning never rides on colour


def mark(verdict: str) -> str:
    return MARKS.get(verdict, "?")


@dataclass(frozen=True)
class PortRow:
    port: int
    protocol: str

    @property
    def text(self) -> str:
        return f"{self.port}/{self.protocol}"


@dataclass(frozen=True)
class GroupRow:
    """Pods the namespace's policies treat alike. `name` is the matrix's short label (G1...)."""

    id: int
    name: str
    label: str  # "website-67cd +2": its first pod and how many more
    pods: tuple[str, ...]
    common_labels: tuple[str, ...]  # "app=web"
    ingress_policies: tuple[str, ...]
    egress_policies: tuple[str, ...]
    text: str  # "isolated for ingress by shop/deny; not isolated for egress"


@dataclass(frozen=True)
class CellRow:
    src: int  # group ids
    dst: int
    port: int
    protocol: str
    verdict: str  # allow | deny | unknown
    src_pod: str  # the pair the verdict was worked out for (enter explains it)
    dst_pod: str
    reason: str


@dataclass(frozen=True)
class PolicyModel(JsonModel):
    """`k8snet show policy --json`. `namespace` is the matrix's; `policies` follow the selection
    (every namespace's when none is chosen); `notice` is what the pane says first."""

    namespace: str
    notice: str
    policies: tuple[PolicySummary, ...]
    ports: tuple[PortRow, ...]
    groups: tuple[GroupRow, ...]
    cells: tuple[CellRow, ...]
    findings: tuple[str, ...]
    not_evaluated: tuple[str, ...]
    truncated: bool

    def cell(self, src: int, dst: int, port: PortRow) -> CellRow | None:
        for c in self.cells:
            if (c.src, c.dst, c.port, c.protocol) == (src, dst, port.port, port.protocol):
                return c
        return None


@dataclass(frozen=True)
class SideModel:
    direction: str  # egress (the source's policies) | ingress (the destination's)
    verdict: str
    pod: str | None
    reason: str
    isolated: bool | None
    policies: tuple[str, ...]
    maybe_policies: tuple[str, ...]
    rule: RuleRef | None  # the first allowing rule
    allowed_by: tuple[RuleRef, ...]
    unknown_reasons: tuple[str, ...]
    implementation_defined: tuple[str, ...]


@dataclass(frozen=True)
class CheckModel(JsonModel):
    """`k8snet policy check --json`: the verdict, both sides, and `explanation`, the lines the
    text output and the pane show."""

    verdict: str
    src: str
    dst: str
    port: int | None
    protocol: str
    egress: SideModel
    ingress: SideModel
    incomplete: bool
    not_evaluated: tuple[str, ...]
    findings: tuple[str, ...]
    notes: tuple[str, ...]
    explanation: tuple[str, ...]


# -- the pane -------------------------------------------------------------------------------------


def matrix_namespace(observed: Observed, selection: Selection) -> str:
    """The chosen namespace, else `default` when it has pods, else the first namespace with pods."""
    if selection.namespace:
        return selection.namespace
    with_pods = sorted({p.namespace for p in index_of(observed.cluster).pods.values()})
    return "default" if "default" in with_pods or not with_pods else with_pods[0]


def _isolation_text(ingress: tuple[str, ...], egress: tuple[str, ...]) -> str:
    parts = []
    for word, keys in (("ingress", ingress), ("egress", egress)):
        parts.append(f"isolated for {word} by {', '.join(keys)}" if keys else f"not isolated for {word}")
    return "; ".join(parts)


def present(observed: Observed, selection: Selection) -> PolicyModel:
    index = index_of(observed.cluster)
    ns = matrix_namespace(observed, selection)
    ports = ports_of_interest(index, ns)
    m = matrix(index, ns, ports)
    groups = tuple(GroupRow(g.id, f"G{g.id + 1}", g.label, g.pods, tuple(f"{k}={v}" for k, v in g.common_labels),
                            g.ingress_policies, g.egress_policies,
                            _isolation_text(g.ingress_policies, g.egress_policies)) for g in m.groups)
    cells = tuple(CellRow(c.src, c.dst, c.port, c.protocol, c.verdict, c.src_pod, c.dst_pod, c.reason)
                  for c in m.cells)
    policies = summaries(index, selection.namespace or None)
    in_ns = [p for p in summaries(index, ns) if p.kind == "NetworkPolicy"]
    if not m.groups:
        notice = f"no pods in {ns}: nothing to draw a matrix of"
    elif not in_ns:
        notice = NO_POLICY
    else:
        n = len(in_ns)
        notice = f"{n} NetworkPolic{'y' if n == 1 else 'ies'} in {ns}"
    return PolicyModel(ns, notice, policies, tuple(PortRow(p, proto) for p, proto in m.ports), groups, cells,
                       m.findings, m.not_evaluated, m.truncated)


# -- one question ---------------------------------------------------------------------------------


def _side_model(side: Side) -> SideModel:
    return SideModel(side.direction, side.verdict, side.pod, side.reason, side.isolated, side.policies,
                     side.maybe_policies, side.rule, side.allowed_by, side.unknown_reasons,
                     side.implementation_defined)


def _port_words(v: Verdict) -> str:
    return f"{v.protocol} port {v.port}" if v.port is not None else f"every {v.protocol} port (no --port given)"


def _headline(v: Verdict) -> str:
    where = _port_words(v)
    if v.verdict == ALLOW:
        return f"allow: {v.src} may reach {v.dst} on {where}"
    if v.verdict == DENY:
        return f"deny: {v.src} may not reach {v.dst} on {where}"
    return f"unknown: whether {v.src} may reach {v.dst} on {where} cannot be told"


def explanation(v: Verdict) -> tuple[str, ...]:
    """The verdict in lines of words: headline, each side, the rule or the isolating policies."""
    out = [_headline(v)]
    for label, side in (("egress of the source", v.egress), ("ingress of the destination", v.ingress)):
        out.append(f"{label}: {side.verdict}: {side.reason}")
        for extra in side.allowed_by[1:]:
            out.append(f"  also allowed by {extra.text()}")
        if side.verdict != ALLOW and side.policies and not all(k in side.reason for k in side.policies):
            out.append(f"  isolating policies: {', '.join(side.policies)}")
        if side.maybe_policies:
            out.append(f"  may apply (malformed selector or types): {', '.join(side.maybe_policies)}")
        out += [f"  cannot tell: {r}" for r in side.unknown_reasons if r not in side.reason]
        out += [f"  up to the network plugin: {r}" for r in side.implementation_defined]
    if v.not_evaluated:
        out.append("incomplete: policies of kinds k8snet does not evaluate could change this answer")
        out += [f"  {n}" for n in v.not_evaluated]
    out += [f"finding: {f}" for f in v.findings]
    out += [f"note: {n}" for n in v.notes]
    return tuple(out)


def check_verdict(v: Verdict) -> CheckModel:
    return CheckModel(v.verdict, v.src, v.dst, v.port, v.protocol, _side_model(v.egress), _side_model(v.ingress),
                      v.incomplete, v.not_evaluated, v.findings, v.notes, explanation(v))


def check(observed: Observed, src: str, dst: str, port: int | str | None = None,
          protocol: str = "TCP") -> CheckModel:
    """May `src` reach `dst` (`NS/POD` or `ip:ADDRESS`) on `port`/`protocol`? A question that
    cannot be asked (no such pod, a bad address or port) is a UsageError in words."""
    try:
        v = evaluate(index_of(observed.cluster), src, dst, port, protocol)
    except PolicyInputError as exc:
        hint = (_service_hint(observed, src) or _service_hint(observed, dst)
                or "give pods as NAMESPACE/NAME (k8snet show pods lists them) or an address as ip:ADDRESS")
        raise UsageError(f"policy check: {exc}", hint=hint) from None
    return check_verdict(v)


def _service_hint(observed: Observed, spec: str) -> str:
    """When `spec` names a Service, not a pod (the natural first try: `default/website`), say so
    and name its pods: a NetworkPolicy is checked against the pod kube-proxy picked, never the
    Service."""
    ns, slash, name = spec.strip().partition("/")
    if not slash or observed.cluster.get("Service", ns, name) is None:
        return ""
    from k8snet_tui.domain.mesh.routes import service_pods

    pods = [f"{ns}/{dig_str(p, 'metadata', 'name')}" for p in
            service_pods(observed.cluster, observed.cluster.get("Service", ns, name))]
    if not pods:
        return (f"{ns}/{name} is a Service, not a pod, and it selects no pod: a policy applies to pods "
                "(give NAMESPACE/POD or ip:ADDRESS)")
    shown = ", ".join(pods[:3]) + (f" and {len(pods) - 3} more" if len(pods) > 3 else "")
    return (f"{ns}/{name} is a Service, not a pod: NetworkPolicies select pods; "
            f"give one of its pods: {shown}")

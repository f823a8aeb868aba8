"""One lookup as the pane and `k8snet show dns --json` present it: the pod's resolv.conf, the
queries its resolver sends, what CoreDNS should answer to each, and room for what it did answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from ..model import ClusterState, NodeState
from .answers import Expected
from .kubelet import PodDns, pod_dns
from .oracle import DnsModel, build_dns_model
from .resolv_conf import ResolvConf
from .search import Plan, plan_lookup


@dataclass(frozen=True)
class Actual:
    """What a live resolver step saw for one query."""

    rcode: str | None = None
    answers: tuple[str, ...] = ()
    ttl: int | None = None
    latency_ms: float | None = None
    error: str | None = None


def _norm(answer: str) -> str:
    return " ".join(answer.lower().split())


def mismatch(expected: Expected, actual: Actual) -> str | None:
    """Why `actual` contradicts `expected`, or None. Order never matters (loadbalance shuffles)."""
    if actual.error:
        return f"no answer: {actual.error}"
    if expected.rcode is None:
        return None
    if (actual.rcode or "").upper() != expected.rcode:
        return f"rcode {actual.rcode} where {expected.rcode} was expected"
    want = {_norm(a) for a in expected.answers}
    got = {_norm(a) for a in actual.answers}
    if expected.partial:
        missing = want - got
        return f"missing {', '.join(sorted(missing))}" if missing else None
    if want != got:
        parts = []
        if want - got:
            parts.append("missing " + ", ".join(sorted(want - got)))
        if got - want:
            parts.append("unexpected " + ", ".join(sorted(got - want)))
        return "; ".join(parts)
    return None


@dataclass(frozen=True)
class LookupQuery:
    fqdn: str
    type: str
    expected: Expected
    actual: Actual | None = None

    @property
    def mismatch(self) -> str | None:
        return None if self.actual is None else mismatch(self.expected, self.actual)


@dataclass(frozen=True)
class DnsLookupView:
    name: str
    resolver: str
    pod: str | None
    resolv_conf: ResolvConf
    queries: tuple[LookupQuery, ...]
    answered_by: int | None
    qtype: str = "A"
    problems: tuple[str, ...] = ()
    stop: str = ""
    wasted: int = 0
    advice: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    derivation: PodDns | None = None
    candidates: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def mismatches(self) -> tuple[int, ...]:
        return tuple(i for i, q in enumerate(self.queries) if q.mismatch)

    def with_actual(self, index: int, actual: Actual) -> DnsLookupView:
        """A copy with one query's live answer attached (out-of-range indexes are ignored)."""
        if not 0 <= index < len(self.queries):
            return self
        qs = list(self.queries)
        qs[index] = replace(qs[index], actual=actual)
        return replace(self, queries=tuple(qs))

    def with_actuals(self, actuals: Iterable[Actual | None]) -> DnsLookupView:
        view = self
        for i, actual in enumerate(actuals):
            if actual is not None:
                view = view.with_actual(i, actual)
        return view


def _qtypes(qtype: str) -> tuple[str, ...]:
    q = (qtype or "A").upper()
    return ("A", "AAAA") if q in ("A+AAAA", "ADDR", "ANY-ADDR") else (q,)


def dns_lookup_view(cluster: ClusterState, node: NodeState | None, name: str, pod: str | None = None,
                    namespace: str | None = None, resolver: str = "glibc", qtype: str = "A",
                    model: DnsModel | None = None) -> DnsLookupView:
    """Plan and expected answers for `name` looked up from `pod` ("ns/name"), or from a
    ClusterFirst pod in `namespace` when no pod is given."""
    model = model or build_dns_model(cluster)
    notes: list[str] = list(model.notes)
    pod_obj = None
    pod_key = None
    if pod:
        ns, _, pname = pod.partition("/") if "/" in pod else ((namespace or "default"), "", pod)
        pod_key = f"{ns}/{pname}"
        pod_obj = cluster.get("Pod", ns, pname)
        if pod_obj is None:
            notes.append(f"pod {pod_key} not found: assuming a ClusterFirst pod in namespace {ns}")
            pod_obj = {"metadata": {"namespace": ns, "name": pname}, "spec": {"dnsPolicy": "ClusterFirst"}}
    else:
        ns = namespace or cluster.namespace or "default"
        pod_obj = {"metadata": {"namespace": ns, "name": ""}, "spec": {"dnsPolicy": "ClusterFirst"}}
        notes.append(f"no pod chosen: a ClusterFirst pod in namespace {ns}")
    node_resolv = node.resolv_conf if node is not None else None
    derivation = pod_dns(pod_obj, model.dns, node_resolv)
    rc = derivation.resolv_conf
    plan: Plan = plan_lookup(name, rc, model.expect, resolver, _qtypes(qtype))
    queries = tuple(LookupQuery(q.fqdn, q.qtype, q.expected) for q in plan.queries)
    return DnsLookupView(
        name=name, resolver=plan.resolver, pod=pod_key, resolv_conf=rc, queries=queries,
        answered_by=plan.answered_by, qtype=qtype.upper(), problems=plan.problems, stop=plan.stop,
        wasted=plan.wasted, advice=plan.advice, notes=tuple(notes) + plan.notes,
        derivation=derivation, candidates=plan.candidates)


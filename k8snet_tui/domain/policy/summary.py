"""Each policy in words, for the list of policies: which pods it selects and what it isolates
("isolates ingress of 3 pods in default"), its rules in short, its problems; and the policy
kinds that are listed but not evaluated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .compile import EGRESS, INGRESS, Policy, Rule
from .index import PolicyIndex
from .problems import Problem


@dataclass(frozen=True)
class PolicySummary:
    key: str
    kind: str
    namespace: str
    name: str
    evaluated: bool
    text: str  # "isolates ingress of 3 pods in default"
    selected: tuple[str, ...] = ()  # pod keys it certainly selects
    uncertain: tuple[str, ...] = ()  # pods it may select (its selector is malformed)
    directions: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()  # "ingress[0]: from pods app in (web) in namespace default; TCP 80"
    problems: tuple[Problem, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "namespace": self.namespace, "name": self.name,
                "evaluated": self.evaluated, "text": self.text, "selected": list(self.selected),
                "uncertain": list(self.uncertain), "directions": list(self.directions),
                "rules": list(self.rules), "problems": [p.as_dict() for p in self.problems]}


def _rule_text(pol: Policy, rule: Rule) -> str:
    word = "from" if rule.direction == INGRESS else "to"
    peers = "every peer" if rule.all_peers else " or ".join(p.text(pol.namespace) for p in rule.peers)
    ports = "every port" if rule.all_ports else ", ".join(p.text() for p in rule.ports)
    return f"{rule.direction}[{rule.index}]: {word} {peers}; {ports}"


def _pods(n: int) -> str:
    return "1 pod" if n == 1 else f"{n} pods"


def summarize(index: PolicyIndex, pol: Policy) -> PolicySummary:
    selected, uncertain = [], []
    for pod in index.pods_in(pol.namespace):
        if pod.host_network or pod.phase in ("Succeeded", "Failed"):
            continue
        m = pol.pod_selector.matches(pod.labels)
        if m is True:
            selected.append(pod.key)
        elif m is None:
            uncertain.append(pod.key)
    directions = tuple(d for d in (INGRESS, EGRESS) if pol.applies(d) is not False)
    both = " and ".join(directions) or "nothing"
    if uncertain:
        text = f"may isolate {both} of {_pods(len(uncertain))} in {pol.namespace} (its pod selector is malformed)"
    else:
        text = f"isolates {both} of {_pods(len(selected))} in {pol.namespace}"
    allows = [r for d in (INGRESS, EGRESS) for r in pol.rules(d)]
    if not allows and directions:
        text += ", allowing nothing"
    return PolicySummary(pol.key, "NetworkPolicy", pol.namespace, pol.name, True, text, tuple(sorted(selected)),
                         tuple(sorted(uncertain)), directions, tuple(_rule_text(pol, r) for r in allows), pol.problems)


def summaries(index: PolicyIndex, namespace: str | None = None) -> tuple[PolicySummary, ...]:
    """Every NetworkPolicy (of one namespace, or all), then the listed-only kinds."""
    pols = index.policies.get(namespace, []) if namespace else index.all_policies()
    out = [summarize(index, p) for p in sorted(pols, key=lambda p: p.key)]
    for o in index.not_evaluated_for(namespace) if namespace else index.others:
        out.append(PolicySummary(o.key, o.kind, o.namespace, o.name, False,
                                 f"{o.kind}: listed, not evaluated (verdicts it could change are marked incomplete)"))
    return tuple(out)

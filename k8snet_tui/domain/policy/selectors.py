"""Label selectors (matchLabels + matchExpressions) compiled once, matched many times.

`{}` and a missing or null selector match everything; a selector the API server would reject
(unknown operator, In/NotIn without values, values on Exists) is kept with its problem and
matches nothing for certain: `matches` answers None.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .problems import Problem, Tri

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
MAX_TERMS = 1000  # labels + expressions of one selector; more is hostile input, not a selector
NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.operator == "In":
            return labels.get(self.key) in self.values
        if self.operator == "NotIn":
            # Kubernetes: NotIn also matches objects without the key.
            return labels.get(self.key) not in self.values
        if self.operator == "Exists":
            return self.key in labels
        return self.key not in labels  # DoesNotExist

    def text(self) -> str:
        vals = ",".join(sorted(self.values))
        if self.operator == "In":
            return f"{self.key} in ({vals})"
        if self.operator == "NotIn":
            return f"{self.key} notin ({vals})"
        return self.key if self.operator == "Exists" else f"!{self.key}"


@dataclass(frozen=True)
class Selector:
    requirements: tuple[Requirement, ...] = ()
    problems: tuple[Problem, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.requirements and not self.problems

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(r.key for r in self.requirements)

    def matches(self, labels: Mapping[str, str]) -> Tri:
        if self.problems:
            return None
        return all(r.matches(labels) for r in self.requirements)

    def text(self) -> str:
        if self.problems:
            return "(invalid selector)"
        return ",".join(r.text() for r in self.requirements) or "(all)"


EVERYTHING = Selector()


def parse_selector(raw: Any, policy: str, path: str) -> Selector:
    """A LabelSelector from its JSON; problems are named, never raised."""
    if raw is None:
        return EVERYTHING
    if not isinstance(raw, dict):
        return Selector(problems=(Problem(policy, path, "wrong-type", f"{path} is not an object"),))
    reqs: list[Requirement] = []
    problems: list[Problem] = []
    labels, exprs = raw.get("matchLabels"), raw.get("matchExpressions")
    terms = (len(labels) if isinstance(labels, dict) else 0) + (len(exprs) if isinstance(exprs, list) else 0)
    if terms > MAX_TERMS:
        return Selector(problems=(Problem(policy, path, "wrong-type",
                                          f"{path} has {terms} terms (more than {MAX_TERMS})"),))
    if isinstance(labels, dict):
        for k, v in labels.items():
            if not isinstance(k, str) or not k:
                problems.append(Problem(policy, f"{path}.matchLabels", "bad-selector-key",
                                        "a matchLabels key is empty or not a string"))
            elif not isinstance(v, str):
                problems.append(Problem(policy, f"{path}.matchLabels.{k}", "wrong-type",
                                        f"the value of label {k!r} is not a string"))
            else:
                reqs.append(Requirement(k, "In", frozenset((v,))))
    elif labels is not None:
        problems.append(Problem(policy, f"{path}.matchLabels", "wrong-type", "matchLabels is not an object"))
    if isinstance(exprs, list):
        for i, e in enumerate(exprs):
            reqs_or_problem = _expression(e, policy, f"{path}.matchExpressions[{i}]")
            if isinstance(reqs_or_problem, Problem):
                problems.append(reqs_or_problem)
            else:
                reqs.append(reqs_or_problem)
    elif exprs is not None:
        problems.append(Problem(policy, f"{path}.matchExpressions", "wrong-type",
                                "matchExpressions is not a list"))
    return Selector(tuple(reqs), tuple(problems))


def _expression(e: Any, policy: str, path: str) -> Requirement | Problem:
    if not isinstance(e, dict):
        return Problem(policy, path, "wrong-type", f"{path} is not an object")
    key, op, values = e.get("key"), e.get("operator"), e.get("values")
    if not isinstance(key, str) or not key:
        return Problem(policy, f"{path}.key", "bad-selector-key", "the key is empty or not a string")
    if op not in OPERATORS:
        return Problem(policy, f"{path}.operator", "bad-selector-operator",
                       f"operator {str(op)[:40]!r} is not one of {', '.join(OPERATORS)}")
    if values is not None and (not isinstance(values, list)
                               or not all(isinstance(v, str) for v in values)):
        return Problem(policy, f"{path}.values", "wrong-type", "values is not a list of strings")
    if op in ("In", "NotIn") and not values:
        return Problem(policy, f"{path}.values", "selector-values-missing",
                       f"{op} on {key!r} has no values")
    if op in ("Exists", "DoesNotExist") and values:
        return Problem(policy, f"{path}.values", "selector-values-forbidden",
                       f"{op} on {key!r} must not have values")
    return Requirement(key, op, frozenset(values or ()))

"""Named problems found in a policy object, and the three-valued logic they lead to.

A policy the API server would have rejected (a snapshot or a hostile cluster can still hold
one) is not guessed at: the part that is wrong becomes a `Problem` with a stable code, and
every question that depends on that part answers `None` ("cannot tell") instead of True or
False, so a verdict that needs it is "unknown", never a silent allow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# True / False / None (unknown): Kleene's three-valued logic.
Tri = bool | None

CODES = {
    "wrong-type": "a field has the wrong type",
    "unknown-field": "a field the NetworkPolicy API does not have (the API server drops it)",
    "bad-selector-operator": "a matchExpressions operator other than In, NotIn, Exists, DoesNotExist",
    "selector-values-missing": "In or NotIn with no values (matches nothing the API allows)",
    "selector-values-forbidden": "Exists or DoesNotExist with values",
    "bad-selector-key": "a selector key that is empty or not a string",
    "bad-policy-type": "a policyTypes entry other than Ingress or Egress",
    "bad-protocol": "a protocol other than TCP, UDP or SCTP",
    "port-out-of-range": "a port or endPort outside 1-65535",
    "bad-named-port": "a named port that is not a valid port name",
    "endport-without-port": "endPort without port",
    "endport-named-port": "endPort with a named port (both must be numeric)",
    "endport-below-port": "endPort smaller than port",
    "bad-cidr": "an ipBlock cidr or except entry that is not a CIDR",
    "except-outside-cidr": "an ipBlock except entry outside its cidr",
    "ipblock-with-selector": "ipBlock together with podSelector or namespaceSelector in one peer",
    "empty-peer": "a from/to entry with no podSelector, namespaceSelector or ipBlock",
}


@dataclass(frozen=True)
class Problem:
    policy: str  # "namespace/name"
    path: str  # "spec.ingress[0].from[1].ipBlock.cidr"
    code: str
    message: str
    # False for problems that change nothing the evaluator needs (unknown fields).
    blocks: bool = True

    def as_dict(self) -> dict[str, object]:
        return {"policy": self.policy, "path": self.path, "code": self.code,
                "message": self.message, "blocks": self.blocks}


def or3(values: Iterable[Tri]) -> Tri:
    seen_unknown = False
    for v in values:
        if v is True:
            return True
        if v is None:
            seen_unknown = True
    return None if seen_unknown else False


def and3(*values: Tri) -> Tri:
    seen_unknown = False
    for v in values:
        if v is False:
            return False
        if v is None:
            seen_unknown = True
    return None if seen_unknown else True


def not3(value: Tri) -> Tri:
    return None if value is None else not value

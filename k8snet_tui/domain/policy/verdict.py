"""The answer to "may SRC reach DST on PORT/PROTOCOL?", as frozen, JSON-ready data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .problems import Tri

ALLOW, DENY, UNKNOWN = "allow", "deny", "unknown"


def tri_text(value: Tri) -> str:
    return ALLOW if value is True else DENY if value is False else UNKNOWN


@dataclass(frozen=True)
class RuleRef:
    """One rule that allows the traffic: policy, direction, rule index, and which peer and port
    of that rule matched (None: the rule has no peers / no ports, so every one matches)."""

    policy: str
    direction: str
    rule: int
    peer: int | None
    port: int | None
    peer_text: str
    port_text: str

    def text(self) -> str:
        return (f"{self.policy} {self.direction}[{self.rule}]: {self.peer_text}, {self.port_text}")

    def as_dict(self) -> dict[str, Any]:
        return {"policy": self.policy, "direction": self.direction, "rule": self.rule,
                "peer": self.peer, "port": self.port, "peer_text": self.peer_text,
                "port_text": self.port_text}


@dataclass(frozen=True)
class Side:
    """One direction's verdict: egress of the source, or ingress of the destination."""

    direction: str
    verdict: str
    pod: str | None  # the pod whose policies decide this side (None: not a pod)
    reason: str
    isolated: Tri = False
    policies: tuple[str, ...] = ()  # the policies that apply to the pod in this direction
    maybe_policies: tuple[str, ...] = ()  # may apply (their selector or types are malformed)
    allowed_by: tuple[RuleRef, ...] = ()
    unknown_reasons: tuple[str, ...] = ()
    implementation_defined: tuple[str, ...] = ()

    @property
    def rule(self) -> RuleRef | None:
        return self.allowed_by[0] if self.allowed_by else None

    def as_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "direction": self.direction, "pod": self.pod,
                "reason": self.reason, "isolated": self.isolated,
                "policies": list(self.policies), "maybe_policies": list(self.maybe_policies),
                "rule": self.rule.as_dict() if self.rule else None,
                "allowed_by": [r.as_dict() for r in self.allowed_by],
                "unknown_reasons": list(self.unknown_reasons),
                "implementation_defined": list(self.implementation_defined)}


@dataclass(frozen=True)
class Verdict:
    verdict: str
    src: str
    dst: str
    port: int | None
    protocol: str
    egress: Side
    ingress: Side
    # Policies of kinds we do not evaluate (ANP, BANP, Cilium's) could change the answer.
    not_evaluated: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def incomplete(self) -> bool:
        return bool(self.not_evaluated)

    @property
    def allowed(self) -> bool:
        return self.verdict == ALLOW

    def as_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "src": self.src, "dst": self.dst, "port": self.port,
                "protocol": self.protocol, "egress": self.egress.as_dict(),
                "ingress": self.ingress.as_dict(), "incomplete": self.incomplete,
                "not_evaluated": list(self.not_evaluated), "findings": list(self.findings),
                "notes": list(self.notes)}


def combine(egress: str, ingress: str) -> str:
    """Both sides must allow; a certain deny on either side beats an unknown on the other."""
    if DENY in (egress, ingress):
        return DENY
    if UNKNOWN in (egress, ingress):
        return UNKNOWN
    return ALLOW

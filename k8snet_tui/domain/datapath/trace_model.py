"""The pieces a service trace is made of, shared by every backend."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

CHAIN_ROLES = ("service", "local", "external", "firewall")

# A trace records at most this many steps (rules and map elements) per port. Real ports stay
# well under it (a 5,000-endpoint port is about 15,000 rules); past it the endpoints and shares
# are still computed, only the rule list is cut, with a finding saying so.
MAX_STEPS = 20_000


@dataclass(frozen=True, slots=True)
class Finding:
    severity: str  # "error" | "warning" | "info"
    code: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"severity": self.severity, "code": self.code, "message": self.message}


@dataclass(frozen=True, slots=True)
class Step:
    """One rule (or map element, or virtual server) on the way, for the UI's trace tree."""

    depth: int  # 0 = entry point, 1 = first chain, ...
    kind: str  # entry, jump, masquerade, affinity, endpoint, dnat, reject, drop, other
    chain: str
    index: int | None  # rule position in the chain (1-based); None for map elements
    text: str
    packets: int | None = None
    bytes: int | None = None
    table: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"depth": self.depth, "kind": self.kind, "table": self.table, "chain": self.chain,
                "index": self.index, "text": self.text, "packets": self.packets, "bytes": self.bytes}


@dataclass(frozen=True, slots=True)
class KernelEndpoint:
    address: str
    port: int
    chain: str | None
    probability: str | None  # as printed; None for the unconditional last rule / non-iptables
    share: float
    packets: int | None = None
    bytes: int | None = None


@dataclass(frozen=True)
class KernelPortView:
    """What one node's datapath does with one service port."""

    chains: Mapping[str, str | None] = field(default_factory=dict)
    endpoints: tuple[KernelEndpoint, ...] = ()
    steps: tuple[Step, ...] = ()
    findings: tuple[Finding, ...] = ()
    explanation: str = ""
    found: bool = False  # any rule / element / virtual server for this port was found
    rejects: bool = False  # traffic is rejected or dropped for lack of endpoints
    affinity_seconds: int | None = None


class StepLog:
    """The steps of one port's trace, capped at `limit`; `dropped` counts the ones left out."""

    __slots__ = ("dropped", "limit", "steps")

    def __init__(self, limit: int | None = None):
        self.steps: list[Step] = []
        self.limit = MAX_STEPS if limit is None else limit
        self.dropped = 0

    def add(self, step: Step) -> None:
        if len(self.steps) < self.limit:
            self.steps.append(step)
        else:
            self.dropped += 1

    def findings(self) -> list[Finding]:
        if not self.dropped:
            return []
        return [Finding("warning", "trace-truncated",
                        f"the trace stops listing rules after {self.limit:,}; {self.dropped:,} more were "
                        "followed for the endpoints and shares but are not shown")]

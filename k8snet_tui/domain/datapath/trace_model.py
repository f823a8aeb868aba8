"""The pieces a service trace is made of, shared by every backend."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

CHAIN_ROLES = ("service", "local", "external", "firewall")

# A trace records at most this many steps (rules and map elements) per port. Real ports stay
# well under it (a 5,000-endpoint port is about 15,000 rules); past it the endpoints and shares
# are still computed, only the rule list is cut, with a finding saying so.
MAX_STEPS = 20_000
# Chains a walk may nest (kube-proxy nests 4: FW -> EXT -> SVL -> SEP); deeper is a loop or junk.
MAX_DEPTH = 16


@dataclass(frozen=True, slots=True)
class Finding:
    severity: str  # "error" | "warning" | "info"
    code: str
    message: str


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
class KernelPath:
    """Where one entry point's new connections go, for the client the path is about.

    `path` is "cluster" (a pod on another node dialling the ClusterIP) or "external" (a client
    outside the cluster dialling a NodePort, external IP or load-balancer IP). The shares of
    endpoints, `dropped`, `rejected` and `unhandled` (nothing DNATs or drops it) sum to 1.
    """

    path: str
    entry: str  # cluster-ip, node-port, external-ip, load-balancer
    address: str  # "" for a NodePort (any node address)
    port: int
    chain: str | None  # the first kube-proxy chain the entry jumps to
    endpoints: tuple[KernelEndpoint, ...] = ()
    dropped: float = 0.0
    rejected: float = 0.0
    unhandled: float = 0.0
    masquerade: bool = False  # the client's source address is rewritten to the node's
    source_ranges: tuple[str, ...] = ()  # loadBalancerSourceRanges the firewall chain admits


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
    paths: tuple[KernelPath, ...] = ()


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


@dataclass
class Outcome:
    """What a chain does with the connections that enter it, as fractions (memoised per chain)."""

    dnat: dict[tuple[str, str], float] = field(default_factory=dict)  # (destination, chain) -> share
    dropped: float = 0.0
    rejected: float = 0.0
    fall: float = 0.0  # leaves the chain without a verdict (back to the caller)
    masquerade: float = 0.0  # the part marked for masquerade on the way
    source_ranges: list[str] = field(default_factory=list)

    def add(self, other: Outcome, weight: float) -> float:
        """Fold `other` (entered with `weight`) in; returns the part that falls back to us."""
        for k, v in other.dnat.items():
            self.dnat[k] = self.dnat.get(k, 0.0) + v * weight
        self.dropped += other.dropped * weight
        self.rejected += other.rejected * weight
        self.masquerade += other.masquerade * weight
        for r in other.source_ranges:
            if r not in self.source_ranges:
                self.source_ranges.append(r)
        return other.fall * weight


class Client:
    """Who sends the connection: decides which rule conditions hold for it (each backend's
    subclass says how its rules' conditions read it)."""

    __slots__ = ("address", "external", "port", "protocol")

    def __init__(self, external: bool, address: str, port: int, protocol: str):
        self.external = external
        self.address = address  # the destination dialled ("" = a node address, for NodePorts)
        self.port = port
        self.protocol = protocol


C = TypeVar("C", bound=Client)


class ChainWalk(Generic[C]):
    """The walk the rule backends (iptables, nftables) share: what a chain does with one
    client's connections, memoised per chain and client; a chain entered again inside itself
    (or nested past MAX_DEPTH) is a loop, not followed; each chain's rules are logged as steps
    the first time it is entered. A backend says how to read a chain's rules (`chain_rules`)
    and how they decide (`rules`)."""

    def __init__(self, log: StepLog, findings: list[Finding]):
        self.log = log
        self.findings = findings
        self.memo: dict[tuple[str, bool, str, int], Outcome] = {}
        self.logged: set[str] = set()
        self.active: set[str] = set()
        self.seen_chains: list[str] = []

    def chain_rules(self, name: str) -> tuple[Iterable[Any], bool]:
        """The chain's rules, and whether it is a firewall chain (source ranges admit clients)."""
        raise NotImplementedError

    def rules(self, rules: Any, client: C, depth: int, log: bool, in_firewall: bool) -> Outcome:
        raise NotImplementedError

    def chain(self, name: str, client: C, depth: int) -> Outcome:
        key = (name, client.external, client.address, client.port)
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        if name in self.active or depth > MAX_DEPTH:
            self.findings.append(Finding("warning", "chain-loop",
                                         f"{name} is reached again inside itself (or nests past {MAX_DEPTH}); not followed"))
            return Outcome(fall=1.0)
        self.active.add(name)
        first = name not in self.logged
        self.logged.add(name)
        if first:
            self.seen_chains.append(name)
        rules, in_firewall = self.chain_rules(name)
        out = self.rules(rules, client, depth, first, in_firewall)
        self.active.discard(name)
        self.memo[key] = out
        return out

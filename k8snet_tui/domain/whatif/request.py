"""Pretend requests through one traced Service port: which pod answers, and which rules count it.

Nothing is sent. The pick follows the node's own datapath as the trace read it:

- iptables: the service chain's `statistic --mode random` rules are tried in order, each a coin
  flip with its probability (kube-proxy's 1/n, 1/(n-1), ... then the unconditional last rule);
- nftables: `numgen random mod N` picks element i of the map, each with 1/N;
- IPVS: `rr` and `wrr` go round the real servers (by weight for wrr); every other scheduler
  (lc, sh, ...) depends on live connection counts a snapshot lacks, so it is drawn by weight;
- Cilium and anything else: drawn by the shares the trace computed.

Session affinity (`sessionAffinity: ClientIP`, iptables `-m recent`, nft affinity sets, IPVS
persistence) is honoured: a client seen within the timeout (counted from its last request, as
`recent --set` and the nft set update refresh it on every connection) goes back to its endpoint
before any random pick. The random draws come from `random.Random(seed)`: the same seed gives the
same answers.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..datapath.trace_model import Step
from ..model import Obj, dig, dig_str
from ..services import PathTrace, PortTrace

# How a request found its endpoint.
HOW_RANDOM = "random pick"
HOW_AFFINITY = "session affinity"
HOW_ROUND_ROBIN = "round robin"
HOW_DROPPED = "dropped"
HOW_REJECTED = "rejected"
HOW_NOTHING = "no endpoint"


@dataclass(frozen=True, slots=True)
class Request:
    client: str  # the client's address: what affinity is keyed on
    at: float = 0.0  # seconds since the first request


@dataclass(frozen=True, slots=True)
class MovedRule:
    """A rule (or map element) the request goes through: its counters would count one more packet."""

    table: str
    chain: str
    index: int | None  # the rule's position in its chain; None for a map element
    text: str
    packets: int | None  # its packet counter now (None: the dump has no counters for it)


@dataclass(frozen=True, slots=True)
class Answer:
    number: int  # 1-based
    client: str
    at: float
    how: str  # one of the HOW_* words
    address: str  # "" when dropped, rejected or nothing took it
    port: int
    pod: str | None
    node: str | None
    chain: str | None  # the endpoint's chain (KUBE-SEP-..., endpoint-...), None when there is none
    moved: tuple[MovedRule, ...]


@dataclass(frozen=True, slots=True)
class Tally:
    address: str
    port: int
    pod: str | None
    expected: float  # the share the datapath gives it
    count: int


@dataclass(frozen=True)
class RequestRun:
    service: str
    port: str  # the port's name, or its number when unnamed
    backend: str
    path: str  # cluster | external
    entry: str  # "10.97.71.81:80", "node port 31100"
    seed: int
    affinity_seconds: int | None
    scheduler: str  # what picks: "statistic random", "numgen random mod 3", "IPVS rr", "shares"
    answers: tuple[Answer, ...]
    tally: tuple[Tally, ...]
    lost: int  # requests dropped, rejected or left without an endpoint


_TARGET = re.compile(r"(?:-j|--jump|goto|jump)\s+(\S+)")


def _targets(step: Step) -> list[str]:
    return [t.rstrip(";,}") for t in _TARGET.findall(step.text)]


def _leads_to(step: Step, chain: str) -> bool:
    return chain in _targets(step)


def _unconditional_masq(step: Step) -> bool:
    # KUBE-MARK-MASQ rules with a source match (`! -s <pod CIDR>`, the endpoint's own `-s IP` for
    # hairpin) do not hold for a pod client; the external chain's bare one does.
    return step.kind == "masquerade" and " -s " not in f" {step.text} "


def _moved(step: Step) -> MovedRule:
    return MovedRule(step.table, step.chain, step.index, step.text, step.packets)


def moved_rules(port: PortTrace, path: PathTrace, chain: str | None, by_affinity: bool) -> tuple[MovedRule, ...]:
    """The rules one new connection of `path` meets on its way to the endpoint `chain`, in order."""
    steps = port.steps
    out: list[Step] = []
    first = path.chain
    entry_word = (str(path.entry.port) if path.entry.kind == "node-port"
                  else path.entry.address)
    for s in steps:
        if s.depth == 0 and s.kind == "entry" and (first is None or _leads_to(s, first) or first in s.text) \
                and entry_word in s.text:
            out.append(s)
            break
    current = first
    seen: set[str] = set()
    while current and current not in seen:
        seen.add(current)
        in_chain = [s for s in steps if s.chain == current]
        out.extend(s for s in in_chain if _unconditional_masq(s))
        if chain is not None and current == chain:
            out.extend(s for s in in_chain if s.kind == "dnat")
            break
        picks = [s for s in in_chain if chain is not None and _leads_to(s, chain)]
        if picks:
            want = "affinity" if by_affinity else None
            pick = next((s for s in picks if s.kind == want), None) if want else None
            pick = pick or next((s for s in picks if s.kind != "affinity"), picks[0])
            out.append(pick)
            current = chain
            continue
        if chain is None:  # nft's direct numgen map: the service chain DNATs itself
            out.extend(s for s in in_chain if s.kind in ("dnat", "endpoint"))
            break
        jumps = [s for s in in_chain if s.kind == "jump" and _targets(s)]
        if not jumps:
            break
        out.append(jumps[-1])
        current = _targets(jumps[-1])[0]
    return tuple(_moved(s) for s in out)


def _scheduler(port: PortTrace, backend: str) -> str:
    if backend.startswith("iptables"):
        return "statistic random"
    if backend == "nftables":
        return "numgen random"
    if backend == "ipvs":
        for s in port.steps:
            words = s.text.split()
            if s.chain == "ipvs" and len(words) >= 3:
                return f"IPVS {words[2]}"
        return "IPVS"
    return "shares"


def _path(port: PortTrace, path: str) -> PathTrace | None:
    return next((p for p in port.paths if p.path == path), port.paths[0] if port.paths else None)


class _Picker:
    """One draw per new connection, the way `scheduler` does it."""

    def __init__(self, scheduler: str, path: PathTrace, rng: random.Random) -> None:
        self.scheduler = scheduler
        self.path = path
        self.rng = rng
        self.shares = [e.share for e in path.endpoints]
        self.turn = 0
        self.lost = [(HOW_DROPPED, path.dropped), (HOW_REJECTED, path.rejected), (HOW_NOTHING, path.unhandled)]

    def pick(self) -> tuple[int | None, str]:
        if self.scheduler in ("IPVS rr", "IPVS wrr") and self.shares:
            return self._round_robin(), HOW_ROUND_ROBIN
        if self.scheduler.startswith("numgen") and self.shares and self._even() and not self._lost():
            return self.rng.randrange(len(self.shares)), HOW_RANDOM
        if self.scheduler.startswith("statistic"):
            return self._rules()
        return self._by_share()

    def _even(self) -> bool:
        return max(self.shares) - min(self.shares) < 1e-9

    def _lost(self) -> float:
        return sum(x for _, x in self.lost)

    def _rules(self) -> tuple[int | None, str]:
        # Rule by rule, as the kernel walks the chain: each rule's probability is its share of
        # what the earlier rules left (kube-proxy writes exactly those: 1/n, 1/(n-1), ...).
        left = 1.0
        for i, share in enumerate(self.shares):
            p = share / left if left > 1e-15 else 1.0
            if self.rng.random() < p:
                return i, HOW_RANDOM
            left -= share
        return self._leftover(left)

    def _by_share(self) -> tuple[int | None, str]:
        u = self.rng.random()
        for i, share in enumerate(self.shares):
            if u < share:
                return i, HOW_RANDOM
            u -= share
        return self._leftover(u)

    def _leftover(self, rest: float) -> tuple[int | None, str]:
        lost = [(how, x) for how, x in self.lost if x > 0]
        if not lost:
            return (len(self.shares) - 1, HOW_RANDOM) if self.shares else (None, HOW_NOTHING)
        total = sum(x for _, x in lost)
        u = self.rng.random() * total
        for how, x in lost:
            if u < x:
                return None, how
            u -= x
        return None, lost[-1][0]

    def _round_robin(self) -> int:
        # wrr: each server's turn comes up in proportion to its weight (an interleaved cycle).
        weights = self.shares
        smallest = min(w for w in weights if w > 0)
        slots = [i for i, w in enumerate(weights) for _ in range(max(1, round(w / smallest)))] if \
            self.scheduler == "IPVS wrr" else [i for i, w in enumerate(weights) if w > 0]
        i = slots[self.turn % len(slots)]
        self.turn += 1
        return i


def send_requests(port: PortTrace, backend: str, requests: Sequence[Request], *, seed: int,
                  service: str = "", path: str = "cluster", affinity_seconds: int | None = None,
                  through: PathTrace | None = None) -> RequestRun:
    """Send `requests` through `port`'s `path` ("cluster": a pod dialling the ClusterIP;
    "external": a client outside dialling the NodePort or an external address).

    `affinity_seconds` (the Service's sessionAffinityConfig timeout) is used when the trace
    found none in the kernel; None and no kernel affinity means none. `through`, one of the port's
    paths, picks the entry point itself (the balancing view's load-balancer address).
    """
    chosen = through if through is not None else _path(port, path)
    label = port.name or str(port.port)
    scheduler = _scheduler(port, backend)
    affinity = port.affinity_seconds or affinity_seconds
    if chosen is None:
        return RequestRun(service, label, backend, path, "", seed, affinity, scheduler, (), (), len(requests))
    entry = (f"node port {chosen.entry.port}" if chosen.entry.kind == "node-port"
             else f"{chosen.entry.address}:{chosen.entry.port}")
    picker = _Picker(scheduler, chosen, random.Random(seed))
    eps = chosen.endpoints
    stuck: dict[str, tuple[int, float]] = {}  # client -> (endpoint index, last seen)
    counts = [0] * len(eps)
    answers: list[Answer] = []
    lost = 0
    moved_cache: dict[tuple[int | None, bool], tuple[MovedRule, ...]] = {}
    for n, req in enumerate(requests, 1):
        index: int | None
        held = stuck.get(req.client)
        if affinity and held is not None and req.at - held[1] <= affinity:
            index, how = held[0], HOW_AFFINITY
        else:
            index, how = picker.pick()
        key = (index, how == HOW_AFFINITY)
        if key not in moved_cache:
            chain = eps[index].chain if index is not None else None
            moved_cache[key] = moved_rules(port, chosen, chain, how == HOW_AFFINITY) if index is not None else \
                moved_rules(port, chosen, None, False)[:1]
        if index is None:
            lost += 1
            answers.append(Answer(n, req.client, req.at, how, "", 0, None, None, None, moved_cache[key]))
            continue
        if affinity:
            stuck[req.client] = (index, req.at)
        counts[index] += 1
        e = eps[index]
        answers.append(Answer(n, req.client, req.at, how, e.address, e.port, e.pod, e.node, e.chain,
                              moved_cache[key]))
    tally = tuple(Tally(e.address, e.port, e.pod, e.share, c) for e, c in zip(eps, counts, strict=True))
    return RequestRun(service, label, backend, path, entry, seed, affinity, scheduler, tuple(answers), tally, lost)


def service_affinity_seconds(svc: Obj | None) -> int | None:
    """The Service's ClientIP affinity timeout (the API's default 10800 s), None without affinity."""
    if svc is None or dig_str(svc, "spec", "sessionAffinity") != "ClientIP":
        return None
    timeout = dig(svc, "spec", "sessionAffinityConfig", "clientIP", "timeoutSeconds")
    return timeout if isinstance(timeout, int) and not isinstance(timeout, bool) and timeout > 0 else 10800


def chi_square(run: RequestRun) -> float:
    """Pearson's statistic of the tally against the datapath's shares (over the answered requests)."""
    answered = sum(t.count for t in run.tally)
    total_share = sum(t.expected for t in run.tally)
    stat = 0.0
    for t in run.tally:
        expected = answered * t.expected / total_share if total_share else 0.0
        if expected > 0:
            stat += (t.count - expected) ** 2 / expected
    return stat

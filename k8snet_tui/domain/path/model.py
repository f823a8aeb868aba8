"""The diagnosis as data: hops in order, each with a verdict, its evidence and a fix in words.

Every type is a frozen dataclass of plain fields, so the one serializer (present/serialize.py)
gives the JSON of `k8snet path --json` from the types: field order is key order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

OK, FAIL, UNKNOWN = "ok", "fail", "unknown"
VERDICTS = (OK, FAIL, UNKNOWN)
# The hop kinds, in the order a connection meets them.
KINDS = ("dns", "service", "endpoints", "port", "datapath", "network", "policy", "route")


class PathInputError(ValueError):
    """The question cannot be asked: no such pod, a destination that is not a name, address or URL."""


@dataclass(frozen=True)
class Evidence:
    """One fact a verdict rests on. `kind`: object (an API object), rule (a kernel rule or
    chain), route (a kernel route or the way between nodes), query (a DNS query), policy (a
    NetworkPolicy side), note (anything else); `ref` names it; `text` says what it shows."""

    kind: str
    ref: str
    text: str


@dataclass(frozen=True)
class Hop:
    """One step of the walk. `verdict`: ok, fail or unknown; `summary`: the step in one line;
    `fix`: for a fail, what to change, in plain words; `reason`: for unknown, what was missing;
    `see`: the k8snet command that shows this step in full (`trace default/website:http`);
    `after_failure`: judged after the first failing hop (the pane greys it)."""

    hop: str
    verdict: str
    summary: str
    evidence: tuple[Evidence, ...] = ()
    fix: str | None = None
    reason: str | None = None
    see: str | None = None
    after_failure: bool = False


@dataclass(frozen=True)
class Endpoint:
    """A pod (or address) the connection may end at: where the Service's traffic is DNATed."""

    address: str
    port: int | None  # the number the packet arrives on; None when it cannot be resolved
    pod: str  # ns/name, "" when the endpoint is not a pod
    node: str  # "" when unknown
    condition: str  # ready | serving-terminating | not-ready | pod (a pod IP dialled directly)


@dataclass(frozen=True)
class Target:
    """What the destination was parsed to. kind: name | ip | url; `host` the name or address as
    given (lower-case), `port` a number or a port name (None: not given), `path` for URLs."""

    kind: str
    text: str
    host: str
    port: str | None
    scheme: str = ""
    path: str = ""


@dataclass(frozen=True)
class LiveCheck:
    """The real connection attempt beside the diagnosis. `unavailable`: why no attempt was made
    (then `ok` is None); `agrees`: the attempt's outcome matches the diagnosis (None when either
    cannot tell)."""

    host: str
    port: int
    ok: bool | None
    error: str | None
    elapsed_ms: float | None
    netns: str | None
    unavailable: str | None
    agrees: bool | None


@dataclass(frozen=True)
class Diagnosis:
    """`k8snet path FROM TO --json`.

    reachable: every hop is ok. verdict: reachable | unreachable (a hop fails) | unknown (no hop
    fails but some cannot be judged). first_failure: the first failing hop (the answer), null
    when none fails. hops: every hop walked, in order. src, dst: as asked; src_node: the node the
    connection leaves from (its datapath is read); src_ip: the source pod's address ("" for a node
    or outside); dial: the address and port the source's packet is sent to (null when the walk did
    not get that far); target: the parsed destination;
    endpoints: where the connection may end; check: the live attempt (null without --check);
    findings: what the attempt and the diagnosis disagree on, and other cross-hop facts.
    """

    reachable: bool
    verdict: str
    first_failure: Hop | None
    hops: tuple[Hop, ...]
    src: str
    dst: str
    src_node: str
    src_ip: str
    dial: str | None
    target: Target
    endpoints: tuple[Endpoint, ...] = ()
    check: LiveCheck | None = None
    findings: tuple[str, ...] = ()

    def hop(self, kind: str) -> Hop | None:
        return next((h for h in self.hops if h.hop == kind), None)

    def with_check(self, check: LiveCheck, findings: tuple[str, ...]) -> Diagnosis:
        return replace(self, check=check, findings=self.findings + findings)


def finish(hops: list[Hop]) -> tuple[tuple[Hop, ...], Hop | None, str]:
    """Mark the hops after the first failure, and the overall verdict."""
    first = next((h for h in hops if h.verdict == FAIL), None)
    out: list[Hop] = []
    seen_fail = False
    for h in hops:
        out.append(replace(h, after_failure=True) if seen_fail else h)
        seen_fail = seen_fail or h.verdict == FAIL
    if first is not None:
        verdict = "unreachable"
    elif any(h.verdict == UNKNOWN for h in hops):
        verdict = UNKNOWN
    else:
        verdict = "reachable"
    return tuple(out), first, verdict

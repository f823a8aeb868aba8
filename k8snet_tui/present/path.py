"""Pane 8 "Path" and `k8snet path FROM TO`: can this pod reach that, hop by hop.

`report` is the command's answer: the domain's Diagnosis (domain/path), printed as JSON through
the one serializer. `present` is the pane's home model for `show path` (the pods to start from);
`chain` turns a Diagnosis into the rows the pane draws: one row per hop with its mark (✓ ok,
✗ fail, ? unknown: the meaning never rides on colour), the first failure marked, the hops after
it greyed, and each hop's details (evidence, the fix, the reason) for when it is expanded.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from k8snet_tui.domain.datapath.backend import Datapath
from k8snet_tui.domain.layers.podnet import pod_ips
from k8snet_tui.domain.model import Observed, dig, dig_str, key_of
from k8snet_tui.domain.path import FAIL, OK, Diagnosis, Hop, PathInputError, diagnose
from k8snet_tui.errors import UsageError

from .selection import Selection
from .serialize import JsonModel

MARKS = {OK: "✓", FAIL: "✗"}  # unknown: "?"
PATH_HINT = "FROM: NS/POD, node/NAME or outside; TO: NAME[:PORT], IP:PORT or http://HOST[:PORT]/PATH"


def mark(verdict: str) -> str:
    return MARKS.get(verdict, "?")


@dataclass(frozen=True)
class PathReport(JsonModel, Diagnosis):
    """`k8snet path FROM TO --json`: the Diagnosis's fields (docs/json.md)."""


def as_report(d: Diagnosis) -> PathReport:
    return PathReport(**{f.name: getattr(d, f.name) for f in fields(Diagnosis)})


def report(observed: Observed, src: str, dst: str, *, node: str | None = None,
           node_errors: dict[str, str] | None = None, datapath: Datapath | None = None) -> PathReport:
    """The diagnosis; a question that cannot be asked is a UsageError (exit 2) in words."""
    try:
        return as_report(diagnose(observed, src, dst, node=node, node_errors=node_errors, datapath=datapath))
    except PathInputError as exc:
        raise UsageError(f"path: {exc}", hint=PATH_HINT) from None


# -- the pane -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HopRow:
    """One line of the chain. `details`: the lines shown when the hop is expanded; `see`: the
    command whose pane shows the hop in full (enter opens it)."""

    hop: str
    verdict: str
    mark: str
    summary: str
    first_failure: bool
    greyed: bool
    details: tuple[str, ...]
    see: str | None


@dataclass(frozen=True)
class ChainModel(JsonModel):
    """What the pane draws for one diagnosis: the headline, the hop rows, the live check's lines."""

    src: str
    dst: str
    verdict: str
    headline: str
    rows: tuple[HopRow, ...]
    check: tuple[str, ...]
    findings: tuple[str, ...]


@dataclass(frozen=True)
class PathModel(JsonModel):
    """`k8snet show path --json`: the pods a path can start from (the pane's picker), and the
    pod it starts from by default (the selected one, else the first)."""

    pods: tuple[str, ...]
    default_source: str | None
    hint: str


def _details(h: Hop) -> tuple[str, ...]:
    out = []
    if h.fix:
        out.append(f"fix: {h.fix}")
    if h.reason:
        out.append(f"unknown: {h.reason}")
    out += [f"{e.ref}: {e.text}" for e in h.evidence]
    if h.see:
        out.append(f"see: k8snet {h.see}")
    return tuple(out)


def headline(d: Diagnosis) -> str:
    if d.first_failure is not None:
        return f"✗ unreachable: {d.src} -> {d.dst}: the {d.first_failure.hop} hop fails"
    if d.reachable:
        return f"✓ reachable: {d.src} -> {d.dst}" + (f" (dials {d.dial})" if d.dial else "")
    unknown = [h.hop for h in d.hops if h.verdict not in (OK, FAIL)]
    return f"? cannot tell: {d.src} -> {d.dst}: {', '.join(unknown)} could not be judged"


def short_headline(d: Diagnosis) -> str:
    """The verdict without the ends (the pane shows them in its boxes)."""
    if d.first_failure is not None:
        return f"✗ unreachable: the {d.first_failure.hop} hop fails"
    if d.reachable:
        return "✓ reachable" + (f": dials {d.dial}" if d.dial else "")
    unknown = [h.hop for h in d.hops if h.verdict not in (OK, FAIL)]
    return f"? cannot tell: {', '.join(unknown)} could not be judged"


def check_lines(d: Diagnosis) -> tuple[str, ...]:
    c = d.check
    if c is None:
        return ()
    if c.unavailable:
        return (f"check: not attempted: {c.unavailable}",)
    outcome = "connected" if c.ok else f"failed: {c.error or 'no reason given'}"
    took = f" in {c.elapsed_ms:.0f} ms" if c.elapsed_ms is not None else ""
    where = f" (from {c.netns})" if c.netns else ""
    agrees = {True: "agrees with the diagnosis", False: "DISAGREES with the diagnosis", None: ""}[c.agrees]
    return (f"check: {c.host}:{c.port} {outcome}{took}{where}" + (f"; {agrees}" if agrees else ""),)


def chain(d: Diagnosis) -> ChainModel:
    first = d.first_failure
    rows = tuple(HopRow(h.hop, h.verdict, mark(h.verdict), h.summary,
                        first is not None and h.verdict == FAIL and not h.after_failure and h.hop == first.hop,
                        h.after_failure, _details(h), h.see) for h in d.hops)
    return ChainModel(d.src, d.dst, d.verdict, headline(d), rows, check_lines(d), d.findings)


def source_pods(observed: Observed, namespace: str | None) -> tuple[str, ...]:
    """Pods with an address, the namespace's (or every one), in list order."""
    cluster = observed.cluster
    pods = cluster.in_namespace("Pod", namespace) if namespace else cluster.of("Pod")
    return tuple(key_of(p) for p in pods if pod_ips(p) and dig(p, "spec", "hostNetwork") is not True
                 and dig_str(p, "status", "phase") not in ("Succeeded", "Failed"))


def present(observed: Observed, selection: Selection) -> PathModel:
    pods = source_pods(observed, selection.namespace)
    default = selection.selected if selection.selected in pods else (pods[0] if pods else None)
    return PathModel(pods, default, PATH_HINT)

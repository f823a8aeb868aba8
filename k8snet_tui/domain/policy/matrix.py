"""Who may talk to whom inside one namespace, per port, with pods grouped so it fits a screen.

Between two pods of namespace N only N's policies decide (the source's egress and the
destination's ingress policies both live in N). So pods that N's policies treat alike (the same
selecting policies, the same peers of every rule match them, the same named ports, the same
host-network / no-IP state) get the same verdicts, and one pair of representatives answers for
every pair of their groups. A group's traffic to itself is asked between two different members;
a group of one pod to itself is that pod reaching itself, which is always allowed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .evaluator import Endpoint, evaluate, peer_matches
from .index import PodInfo, PolicyIndex
from .verdict import ALLOW

MAX_PODS = 2000  # per matrix: a namespace larger than this is shown by its first pods


@dataclass(frozen=True)
class Group:
    id: int
    pods: tuple[str, ...]
    label: str
    common_labels: tuple[tuple[str, str], ...]
    ingress_policies: tuple[str, ...]
    egress_policies: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "pods": list(self.pods), "label": self.label,
                "common_labels": dict(self.common_labels),
                "ingress_policies": list(self.ingress_policies),
                "egress_policies": list(self.egress_policies)}


@dataclass(frozen=True)
class Cell:
    src: int  # group ids
    dst: int
    port: int
    protocol: str
    verdict: str
    src_pod: str  # the representatives the verdict was worked out for (explain: evaluate them)
    dst_pod: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"src": self.src, "dst": self.dst, "port": self.port, "protocol": self.protocol,
                "verdict": self.verdict, "src_pod": self.src_pod, "dst_pod": self.dst_pod,
                "reason": self.reason}


@dataclass(frozen=True)
class Matrix:
    namespace: str
    ports: tuple[tuple[int, str], ...]
    groups: tuple[Group, ...]
    cells: tuple[Cell, ...]
    findings: tuple[str, ...] = ()
    not_evaluated: tuple[str, ...] = ()
    truncated: bool = False

    def cell(self, src: int, dst: int, port: int, protocol: str = "TCP") -> Cell | None:
        for c in self.cells:
            if (c.src, c.dst, c.port, c.protocol) == (src, dst, port, protocol):
                return c
        return None

    def group_of(self, pod: str) -> Group | None:
        return next((g for g in self.groups if pod in g.pods), None)

    def as_dict(self) -> dict[str, Any]:
        return {"namespace": self.namespace, "ports": [list(p) for p in self.ports],
                "groups": [g.as_dict() for g in self.groups], "cells": [c.as_dict() for c in self.cells],
                "findings": list(self.findings), "not_evaluated": list(self.not_evaluated),
                "truncated": self.truncated}


def _signature(index: PolicyIndex, pod: PodInfo) -> tuple[object, ...]:
    ep = Endpoint("pod", pod.key, pod, pod.ip, pod.node)
    selections = tuple((s.policy.key, s.ingress, s.egress) for s in index.selections(pod))
    peers = tuple(peer_matches(index, peer, pol.namespace, ep)
                  for pol in index.policies.get(pod.namespace, ())
                  for rules in (pol.ingress, pol.egress) for rule in rules for peer in rule.peers)
    return (pod.host_network, pod.ip is None, selections, peers, tuple(sorted(pod.named_ports.items())))


def group_pods(index: PolicyIndex, pods: Iterable[PodInfo]) -> list[list[PodInfo]]:
    by_sig: dict[tuple[object, ...], list[PodInfo]] = {}
    for p in pods:
        by_sig.setdefault(_signature(index, p), []).append(p)
    return list(by_sig.values())


def _label(members: Sequence[PodInfo]) -> tuple[str, tuple[tuple[str, str], ...]]:
    common = dict(members[0].labels)
    for m in members[1:]:
        common = {k: v for k, v in common.items() if m.labels.get(k) == v}
    items = tuple(sorted(common.items()))
    first = members[0].name
    return (first if len(members) == 1 else f"{first} +{len(members) - 1}"), items


def ports_of_interest(index: PolicyIndex, namespace: str, limit: int = 6) -> tuple[tuple[int, str], ...]:
    """The ports a matrix of the namespace should show: those its policies name (named ports
    resolved on its pods, a range by its first port), then its pods' container ports."""
    counted: dict[tuple[int, str], int] = {}
    pods = index.pods_in(namespace)
    for pol in index.policies.get(namespace, ()):
        for rule in (*pol.ingress, *pol.egress):
            for spec in rule.ports:
                if spec.problem is not None:
                    continue
                if spec.port is not None:
                    counted[(spec.port, spec.protocol)] = counted.get((spec.port, spec.protocol), 0) + 10
                elif spec.name is not None:
                    for p in pods:
                        for n in p.named_ports.get((spec.name, spec.protocol), ()):
                            counted[(n, spec.protocol)] = counted.get((n, spec.protocol), 0) + 10
    for p in pods:
        for (_, proto), numbers in p.named_ports.items():
            for n in numbers:
                counted[(n, proto)] = counted.get((n, proto), 0) + 1
    ranked = sorted(counted, key=lambda k: (-counted[k], k))
    return tuple(ranked[:limit]) or ((80, "TCP"),)


def matrix(index: PolicyIndex, namespace: str, ports: Sequence[tuple[int, str]] = ((80, "TCP"),),
           pods: Iterable[PodInfo] | None = None) -> Matrix:
    """The namespace's pods (running or pending; not finished ones) in groups, and one cell per
    (source group, destination group, port)."""
    chosen = [p for p in (pods if pods is not None else index.pods_in(namespace))
              if p.phase not in ("Succeeded", "Failed")]
    chosen.sort(key=lambda p: p.name)
    truncated = len(chosen) > MAX_PODS
    chosen = chosen[:MAX_PODS]
    grouped = group_pods(index, chosen)
    groups = []
    for gid, members in enumerate(grouped):
        label, common = _label(members)
        sels = index.selections(members[0])
        groups.append(Group(gid, tuple(m.key for m in members), label, common,
                            tuple(s.policy.key for s in sels if s.ingress is not False),
                            tuple(s.policy.key for s in sels if s.egress is not False)))
    cells: list[Cell] = []
    findings: list[str] = []
    for gs, src_members in zip(groups, grouped, strict=True):
        for gd, dst_members in zip(groups, grouped, strict=True):
            src = src_members[0]
            dst = dst_members[1] if gs.id == gd.id and len(dst_members) > 1 else dst_members[0]
            for port, proto in ports:
                v = evaluate(index, src, dst, port, proto)
                cells.append(Cell(gs.id, gd.id, port, proto, v.verdict, src.key, dst.key,
                                  v.egress.reason if v.egress.verdict != ALLOW else v.ingress.reason))
                for f in v.findings:
                    if f not in findings:
                        findings.append(f)
    others = tuple(f"{o.kind} {o.key}: not evaluated" for o in index.not_evaluated_for(namespace))
    return Matrix(namespace, tuple(ports), tuple(groups), tuple(cells), tuple(findings), others, truncated)

"""The ingress pane's view model: entry points, the route table and everything worth a warning."""

from __future__ import annotations

from dataclasses import dataclass

from ..model import ClusterState
from .entries import EntryPoint, all_entries
from .findings import Finding, dedupe
from .rules import RouteRule
from .table import build_route_table


@dataclass(frozen=True)
class IngressView:
    entry_points: tuple[EntryPoint, ...]
    rules: tuple[RouteRule, ...]
    findings: tuple[Finding, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "entry_points": [e.to_json() for e in self.entry_points],
            "rules": [r.to_json() for r in self.rules],
            "findings": [f.to_json() for f in self.findings],
        }


def build_ingress_view(cluster: ClusterState) -> IngressView:
    """The pane's model; built once per ClusterState (it depends on nothing else)."""
    return cluster.memo(_build_ingress_view)


def _build_ingress_view(cluster: ClusterState) -> IngressView:
    table = build_route_table(cluster)
    entries = tuple(all_entries(cluster))
    findings = list(table.findings) + [f for e in entries for f in e.findings]
    return IngressView(entries, table.rules, dedupe(findings))

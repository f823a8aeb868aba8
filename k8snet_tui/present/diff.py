"""`k8snet diff A B` and `:diff B`: what changed between two pictures, grouped, in words.

The model is the domain's comparison with its verdict (`same`) as a field, so the JSON
serializer prints it; the groups keep their order (pods, Services, endpoints, chains,
probabilities, routes, DNS answers) and empty groups stay (a script can rely on the keys).
"""

from __future__ import annotations

from dataclasses import dataclass

from k8snet_tui.domain.diff import ChangeGroup, compare
from k8snet_tui.domain.model import Observed
from k8snet_tui.present.serialize import JsonModel


@dataclass(frozen=True)
class DiffModel(JsonModel):
    before: str
    after: str
    same: bool
    nodes: tuple[str, ...]
    groups: tuple[ChangeGroup, ...]
    ignored: tuple[str, ...]

    @property
    def changed(self) -> int:
        return sum(len(g.changes) for g in self.groups)


def present_diff(before: Observed, after: Observed, *, before_label: str, after_label: str) -> DiffModel:
    d = compare(before, after, before=before_label, after=after_label)
    return DiffModel(d.before, d.after, d.same, d.nodes, d.groups, d.ignored)


def summary(model: DiffModel) -> str:
    """One line: "3 changes: pods 1, endpoints 1, chains 1" or "no change"."""
    if model.same:
        return "no change"
    parts = [f"{g.name} {len(g.changes)}" for g in model.groups if g.changes]
    n = model.changed
    return f"{n} change{'s' if n != 1 else ''}: " + ", ".join(parts)

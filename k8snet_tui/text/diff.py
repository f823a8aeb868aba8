"""`k8snet diff A B` as text: the two sides, then each group that changed, a line per change."""

from __future__ import annotations

from typing import Any

from .table import Writer

MARKS = {"added": "+", "removed": "-", "changed": "~"}


def diff(model: Any, w: Writer) -> None:
    from k8snet_tui.present.diff import summary

    nodes = ", ".join(model.nodes) or "none: no node's kernel state is in both, so chains and routes are not compared"
    w.fields([("Before", model.before), ("After", model.after), ("Nodes", nodes), ("Result", summary(model))])
    for group in model.groups:
        if not group.changes:
            continue
        w.section(group.title)
        for c in group.changes:
            w.line(f"{MARKS.get(c.change, '?')} {c.words}", indent=2, hanging=4)
    w.section("Not compared (noise)")
    for item in model.ignored:
        w.line(item, indent=2, hanging=4)

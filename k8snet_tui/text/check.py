"""`k8snet check` as text: the disagreements in full, then what was not checked and why, then a
line per check that agreed. Marks are words and signs (✗ ? ✓), never colour alone."""

from __future__ import annotations

from typing import Any

from .table import Writer

MARKS = {"disagree": "✗", "not-checked": "?", "agree": "✓"}


def check(model: Any, w: Writer) -> None:
    w.fields([("Nodes read", ", ".join(model.nodes) or "(none)"),
              ("Result", f"{model.disagreements} disagreement(s), {model.not_checked} not checked, "
                         f"{model.agreed} agree")])
    findings = [c for c in model.checks if c.status == "disagree"]
    w.section("Config vs kernel: disagreements")
    if not findings:
        w.line("(none)", indent=2)
    for c in findings:
        w.line(f"✗ {c.node or 'cluster'}: {c.code} ({c.topic})", indent=2, hanging=4)
        w.fields([("config says", c.config), ("kernel shows", c.kernel), ("where", c.where),
                  ("why it matters", c.why), ("check next", c.next or "-")], indent=4)
    skipped = [c for c in model.checks if c.status == "not-checked"]
    if skipped:
        w.section("Not checked")
        for c in skipped:
            w.line(f"? {c.node or 'cluster'}: {c.code} ({c.topic}): {c.config}; {c.kernel}", indent=2, hanging=4)
    agreed = [c for c in model.checks if c.status == "agree"]
    if agreed:
        w.section("Agree")
        for c in agreed:
            w.line(f"✓ {c.node or 'cluster'}: {c.code}: {c.kernel}", indent=2, hanging=4)

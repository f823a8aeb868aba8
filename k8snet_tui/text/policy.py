"""`k8snet show policy` and `k8snet policy check` as text.

- show: each policy in words, the namespace's groups, then one matrix per port (rows: from,
  columns: to; ✓ allow, ✗ deny, ? unknown, so the answer never rides on colour);
- check: the verdict first, then each side's reason and the rule or the isolating policies.
"""

from __future__ import annotations

from typing import Any

from .table import Writer

MARKS = {"allow": "✓", "deny": "✗"}


def show(model: Any, w: Writer) -> None:
    w.fields([("Namespace", model.namespace), ("Summary", model.notice)])
    w.section("Policies")
    if not model.policies:
        w.line("(none)", indent=2)
    for p in model.policies:
        w.line(f"{p.key}: {p.text}", indent=2, hanging=4)
        for rule in p.rules:
            w.line(rule, indent=4, hanging=6)
        for pr in p.problems:
            w.line(f"! {pr.path}: {pr.message}", indent=4, hanging=6)
    w.section(f"Groups in {model.namespace}")
    for g in model.groups:
        labels = f"  {', '.join(g.common_labels)}" if g.common_labels else ""
        w.line(f"{g.name} {g.label} ({len(g.pods)} pod{'s' if len(g.pods) != 1 else ''}){labels}", indent=2,
               hanging=4)
        w.line(g.text, indent=4, hanging=6)
    for port in model.ports:
        w.section(f"Who may talk on {port.text} (rows: from, columns: to)")
        w.line("      " + "".join(f"{g.name:^4}" for g in model.groups), indent=2)
        for src in model.groups:
            cells = []
            for dst in model.groups:
                cell = model.cell(src.id, dst.id, port)
                cells.append(f"{MARKS.get(cell.verdict, '?') if cell is not None else ' ':^4}")
            w.line(f"{src.name:<6}" + "".join(cells), indent=2)
    if model.groups:
        w.line("✓ allow, ✗ deny, ? cannot tell; a one-pod group to itself is that pod reaching itself "
               "(always allowed)", indent=2, hanging=4)
    if model.findings or model.not_evaluated or model.truncated:
        w.section("Findings")
        for f in (*model.findings, *model.not_evaluated):
            w.line(f"! {f}", indent=2, hanging=4)
        if model.truncated:
            w.line("! only the first pods of the namespace are in the matrix", indent=2)


def check(model: Any, w: Writer) -> None:
    first, *rest = model.explanation
    w.line(f"{MARKS.get(model.verdict, '?')} {first}", hanging=4)
    for line in rest:
        indent = 2 if line.startswith("  ") else 0
        w.line(line.strip(), indent=indent + 2, hanging=indent + 4)

"""`k8snet path FROM TO` as text: the verdict first, then one line per hop (✓ ok, ✗ fail,
? unknown), the fix under the failing hop, and the live check when asked for (`--check`).
`-o wide` adds every hop's evidence."""

from __future__ import annotations

from typing import Any

from k8snet_tui.present.path import check_lines, headline, mark

from .table import Writer

LABEL_WIDTH = 10


def path(d: Any, w: Writer) -> None:
    w.line(headline(d), hanging=4)
    w.fields([("Node", d.src_node or "<none>"), ("Dial", d.dial or "<none>")], indent=2)
    w.section("Hops")
    for h in d.hops:
        after = "(after the failure) " if h.after_failure else ""
        w.line(f"{mark(h.verdict)} {h.hop:<{LABEL_WIDTH}}{after}{h.summary}", indent=2, hanging=LABEL_WIDTH + 2)
        pad = 2 + 2 + LABEL_WIDTH
        if h.fix:
            w.line(f"fix: {h.fix}", indent=pad, hanging=5)
        if h.reason:
            w.line(f"unknown: {h.reason}", indent=pad, hanging=9)
        if w.options.wide or (h.verdict == "fail" and not h.after_failure):
            for e in h.evidence:
                w.line(f"{e.ref}: {e.text}", indent=pad, hanging=4)
        if h.see and (w.options.wide or h.verdict != "ok"):
            w.line(f"see: k8snet {h.see}", indent=pad, hanging=4)
    lines = check_lines(d)
    if lines or d.findings:
        w.section("Check")
        for line in (*lines, *d.findings):
            w.line(line, indent=2, hanging=4)

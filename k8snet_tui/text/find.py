"""`k8snet find WORD` as text: one line per hit, grouped by kind, with the `:` command that shows it."""

from __future__ import annotations

from typing import Any

from .table import Column, Writer

# KIND first and never hidden: "which kind of thing mentions it" is half the answer (a pod, a
# Service endpoint, a chain, a route); WHAT is the other half.
COLUMNS = (Column("kind", 0), Column("what", 0), Column("why", 2), Column("in the TUI", 3))


def find(model: Any, w: Writer) -> None:
    exact = sum(1 for h in model.hits if h.exact)
    w.fields([("Find", model.query), ("Hits", f"{len(model.hits)} ({exact} exact)"
                                      + (f", {model.more} more not listed" if model.more else ""))])
    w.section("Mentions")
    w.table(COLUMNS, lambda: ((h.kind, h.subject, h.detail, f":{h.command}") for h in model.hits),
            empty="(nothing mentions it)")

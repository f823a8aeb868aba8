"""One snapshot opened as a state to compare (`k8snet diff A B`, `:diff B`).

Read only through the snapshot loader (sources/snapshot.py: caps, no links followed, tarballs
read member by member and never extracted); each problem is a warning on stderr, as for
`--snapshot`, and `--strict` makes any of them an error.
"""

from __future__ import annotations

from k8snet_tui.domain.model import Observed
from k8snet_tui.domain.sanitize import clean


def open_state(path: str, *, strict: bool = False, report: bool = True) -> tuple[Observed, str, tuple[str, ...]]:
    """(the snapshot's state, a label for it, its problems in words)."""
    from k8snet_tui.collect.session import SnapshotSession
    from k8snet_tui.observe import _refuse_empty, report_problems
    from k8snet_tui.sources.snapshot import load_snapshot

    snap = load_snapshot(path)
    if report:
        report_problems(snap, strict=strict)
    _refuse_empty(snap)
    when = snap.meta.get("captured_at") if isinstance(snap.meta.get("captured_at"), str) else None
    label = clean(path if not snap.bundled else "the bundled lab") + (f", captured {clean(when)}" if when else "")
    return SnapshotSession(snap).observed(), label, tuple(clean(str(p)) for p in snap.problems)

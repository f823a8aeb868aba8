"""What a one-shot command reads, and where it came from (the `source` of every JSON document).

The rules on top of `runtime.choose_session`: an explicit `--context` or `--kubeconfig` is
honoured or refused (exit 2 with the known contexts), never replaced by the bundled lab; a
fallback to the lab is said on stderr with the reason; each snapshot problem is a warning on
stderr naming its file and line or field; a snapshot with nothing readable is an error, and
`--strict` makes any problem one.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import Any

from k8snet_tui.domain.model import Observed
from k8snet_tui.domain.sanitize import clean
from k8snet_tui.errors import KubeconfigError, SnapshotError

PROBLEM_LIMIT = 20  # warnings printed one by one; past it, a count


def observe(args: argparse.Namespace) -> tuple[Observed, dict[str, Any]]:
    from k8snet_tui import runtime
    from k8snet_tui.collect.session import SnapshotSession
    from k8snet_tui.config import Settings
    from k8snet_tui.sources.kubeconfig import resolve_kubeconfig

    settings = Settings.load()
    fallback_why = ""
    if not getattr(args, "snapshot", None):
        choice = resolve_kubeconfig(getattr(args, "kubeconfig", None))  # a missing --kubeconfig file raises
        if not choice.found:
            if getattr(args, "context", None):
                raise KubeconfigError(f"--context {clean(args.context)!r}: {choice.why}, so there is no such context",
                                      hint="known contexts: (none); set $KUBECONFIG or --kubeconfig, "
                                           "or drop --context to see the bundled lab snapshot")
            fallback_why = f"{choice.why} ($KUBECONFIG, ~/.kube/config, in-cluster)"
    session = runtime.choose_session(args, settings)
    if isinstance(session, SnapshotSession):
        snap = session.snapshot
        report_problems(snap, strict=bool(getattr(args, "strict", False)))
        _refuse_empty(snap)
        observed = session.observed()
        if getattr(args, "node", None):
            observed = replace(observed, local_node=args.node)
        why = ("no kubeconfig found" if fallback_why else
               "--snapshot lab (the bundled lab)" if snap.bundled else "--snapshot")
        if fallback_why:
            print(f"k8snet: note: {fallback_why}: showing the bundled lab snapshot "
                  f"(captured {_captured(snap) or 'at an unknown time'}), not a live cluster; "
                  "--snapshot lab asks for it (and drops this note), --kubeconfig or $KUBECONFIG picks a cluster",
                  file=sys.stderr)
        return observed, {"kind": "snapshot", "path": str(snap.path), "name": snap.name,
                          "captured_at": _captured(snap), "why": why}
    observed = runtime._list_once(session)  # one list of each kind, as runtime.observe_once does
    return observed, {"kind": "live", "context": session.context, "server": getattr(session.source, "server", "")}


def _captured(snap: Any) -> str | None:
    value = snap.meta.get("captured_at") if isinstance(snap.meta, dict) or hasattr(snap.meta, "get") else None
    return value if isinstance(value, str) else None


def report_problems(snap: Any, *, strict: bool = False, out: Any = None) -> None:
    """Each problem a warning line (file, then line or field); with `strict`, exit 2 after them."""
    stream = out or sys.stderr
    where = clean(snap.path)
    for problem in snap.problems[:PROBLEM_LIMIT]:
        print(f"k8snet: warning: {where}: {clean(str(problem))}", file=stream)
    if len(snap.problems) > PROBLEM_LIMIT:
        print(f"k8snet: warning: {where}: {len(snap.problems) - PROBLEM_LIMIT} more problems", file=stream)
    if strict and snap.problems:
        raise SnapshotError(f"{where}: {len(snap.problems)} problem(s) and --strict",
                            hint="fix or remove the files named above, or leave --strict out to read the rest")


def _refuse_empty(snap: Any) -> None:
    has_objects = any(snap.cluster.objects.values()) if hasattr(snap.cluster, "objects") else True
    if not has_objects and not snap.nodes and not snap.meta:
        raise SnapshotError(f"{clean(snap.path)}: nothing in it could be read (no meta.json, api/*.json or nodes/)",
                            hint="is it the right directory? `k8snet capture -o DIR` writes one")

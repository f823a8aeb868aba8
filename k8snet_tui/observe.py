"""What a one-shot command reads, and where it came from (the `source` of every JSON document).

The rules on top of `runtime.choose_session`: an explicit `--context` or `--kubeconfig` is
honoured or refused (exit 2 with the known contexts), never replaced by the bundled lab; a
fallback to the lab is said on stderr with the reason; each snapshot problem is a warning on
stderr naming its file and line or field; a snapshot with nothing readable is an error, and
`--strict` makes any problem one.
"""

from __future__ import annotations

import argparse
import socket
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
    node = getattr(args, "node", None)
    local_reader = session.read_node
    if node and node != socket.gethostname():
        # Another node: read through its agent, not this machine's probe labelled with its name.
        session.local_node = socket.gethostname()
        session.read_node = None
    observed = runtime.list_once(session)  # one list of each kind, as runtime.observe_once does
    if node and session.read_node is None:
        observed = _with_node(observed, session, node, local_reader)
    return observed, {"kind": "live", "context": session.context, "server": getattr(session.source, "server", "")}


def _with_node(observed: Observed, session: Any, node: str, local_reader: Any) -> Observed:
    """`observed` with `node`'s state as the one every command reads (`--node NAME`, live).

    Read through the node's agent pod (pods/exec). When that fails, this machine's own probe
    stands in only if this machine is that node (one of the Node's InternalIPs is local);
    otherwise the command stops with what is missing and what to apply or ask for.
    """
    from k8snet_tui.collect.session import shared_addresses
    from k8snet_tui.domain.model import NodeState, name_of
    from k8snet_tui.errors import NodeStateUnavailable, UsageError

    names = [name_of(n) for n in observed.cluster.of("Node")]
    if names and node not in names and "Node" not in observed.cluster.forbidden:
        shown = ", ".join(clean(n) for n in names[:20]) + (", ..." if len(names) > 20 else "")
        raise UsageError(f"--node {clean(node)!r}: the cluster has no such node", hint=f"its nodes: {shown}")
    result = session.node_state(node)
    state: NodeState | None = result.state if result.ok else None
    if state is None and local_reader is not None:
        local = local_reader()
        shared = shared_addresses(observed.cluster, node, local)
        if shared:
            print(f"k8snet: note: {clean(result.error)}; this machine is node {clean(node)} (its address "
                  f"{', '.join(sorted(shared))}), so its own probe is read instead",
                  file=sys.stderr)
            state = replace(local, node=node)
    if state is None:
        raise NodeStateUnavailable(clean(result.error))
    for note in result.notes:
        print(f"k8snet: note: {clean(note)}", file=sys.stderr)
    return replace(observed, nodes={**observed.nodes, node: state}, local_node=node)


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
    has_objects = snap.cluster.has_objects() if hasattr(snap.cluster, "has_objects") else True
    if not has_objects and not snap.nodes and not snap.meta:
        raise SnapshotError(f"{clean(snap.path)}: nothing in it could be read (no meta.json, api/*.json or nodes/)",
                            hint="is it the right directory? `k8snet capture -o DIR` writes one")

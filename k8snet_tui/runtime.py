"""Turn command-line choices into a session: a snapshot, the bundled lab, or a live cluster.

The rules, in order: `--snapshot PATH` wins; else a kubeconfig found the way kubectl finds it
(`--kubeconfig`, `$KUBECONFIG`, `~/.kube/config`, in-cluster); else the bundled lab snapshot,
with a banner that says so and why.
"""

from __future__ import annotations

import argparse
import os
import shlex
import socket
from pathlib import Path
from types import MappingProxyType

from k8snet_tui.collect.loading import SnapshotLoading
from k8snet_tui.collect.session import LiveSession, Session, SnapshotSession
from k8snet_tui.collect.store import Store
from k8snet_tui.collect.watch import forbidden_reason
from k8snet_tui.config import Settings
from k8snet_tui.domain.model import NodeState, Observed
from k8snet_tui.errors import ClusterUnreachable, KubeconfigError
from k8snet_tui.sources.kinds import KINDS, read_scopes, store_part
from k8snet_tui.sources.kubeconfig import check_context, resolve_kubeconfig
from k8snet_tui.sources.ports import ApiFailure
from k8snet_tui.sources.snapshot import LAB_NAME, load_snapshot


def _namespace(args: argparse.Namespace) -> str | None:
    if getattr(args, "all_namespaces", False):
        return None
    return getattr(args, "namespace", None) or None


def snapshot_banner(snapshot, reason: str) -> str:
    meta = snapshot.meta
    when = meta.get("captured_at") if isinstance(meta.get("captured_at"), str) else "an unknown time"
    where = meta.get("source") if isinstance(meta.get("source"), str) else "an unknown source"
    # One line at 80 columns (cut with an ellipsis, in full on `?`): what matters comes first.
    text = f"Nothing here is live: {reason}, captured {when} from {where}."
    if snapshot.problems:
        text += f" {len(snapshot.problems)} file problem(s): first: {snapshot.problems[0]}"
    return text


BACKGROUND_READ_BYTES = 8 << 20  # a snapshot this big is read while the app draws its first frame


def _snapshot_size(path: str) -> int:
    """The bytes of a snapshot's files (a directory's api/ and nodes/, or the archive): a guess
    at how long it takes to read, from names and sizes only (nothing opened, no link followed)."""
    root = Path(path).expanduser()
    try:
        if not root.is_dir():
            return root.lstat().st_size if root.is_file() else 0
        total = 0
        for sub in ("api", "nodes"):
            part = root / sub
            if part.is_dir() and not part.is_symlink():
                with os.scandir(part) as entries:
                    total += sum(e.stat(follow_symlinks=False).st_size for e in entries
                                 if e.is_file(follow_symlinks=False))
        return total
    except OSError:
        return 0  # read in the foreground: its error is then said before the app starts


def _open_snapshot(path: str, namespace: str | None) -> SnapshotSession:
    snap = load_snapshot(path)
    reason = "the bundled lab snapshot (--snapshot lab)" if snap.bundled else "opened with --snapshot"
    session = SnapshotSession(snap, banner=snapshot_banner(snap, reason))
    if namespace:
        session.with_namespace(namespace)
    return session


def tui_session(args: argparse.Namespace, settings: Settings) -> Session:
    """As `choose_session`, but a big snapshot is read on a thread while the app starts."""
    path = getattr(args, "snapshot", None)
    if path and path != LAB_NAME and _snapshot_size(path) >= BACKGROUND_READ_BYTES:
        namespace = _namespace(args)
        return SnapshotLoading(lambda: _open_snapshot(path, namespace), what=str(path))  # the app starts it
    return choose_session(args, settings)


def choose_session(args: argparse.Namespace, settings: Settings) -> SnapshotSession | LiveSession:
    namespace = _namespace(args)
    if getattr(args, "snapshot", None):
        return _open_snapshot(args.snapshot, namespace)
    choice = resolve_kubeconfig(getattr(args, "kubeconfig", None))
    if not choice.found:
        snap = load_snapshot(LAB_NAME)
        reason = "no kubeconfig found, so this is the bundled lab snapshot"
        session = SnapshotSession(snap, banner=snapshot_banner(snap, reason))
        if namespace:
            session.with_namespace(namespace)
        return session
    from k8snet_tui.sources.live_api import LiveApi

    context = check_context(choice, getattr(args, "context", None))
    api = LiveApi(choice, context)
    return LiveSession(api, context, namespace=namespace, read_node=node_reader(args),
                       interval=getattr(args, "interval", None) or settings.interval,
                       local_node=getattr(args, "node", None) or socket.gethostname())


def node_reader(args: argparse.Namespace):
    """How this machine's node state is read: the probe, run as root (directly or `sudo -n`).

    `K8SNET_PROBE_CMD` replaces the probe command (e.g. to run it inside a network namespace).
    """
    prefix = shlex.split(os.environ["K8SNET_PROBE_CMD"]) if os.environ.get("K8SNET_PROBE_CMD") else None
    node = getattr(args, "node", None) or socket.gethostname()
    extra = ("--pod-netns",) if getattr(args, "pod_netns", False) else ()  # `capture --pod-netns`

    def read() -> NodeState:
        from dataclasses import replace

        from k8snet_tui.sources.probe_client import run_probe

        state = run_probe(prefix, timeout=30.0 if extra else 10.0, extra_args=extra)
        return replace(state, node=node)

    return read


def run_tui(args: argparse.Namespace) -> int:
    settings = Settings.load()
    if getattr(args, "theme", None):
        from dataclasses import replace

        settings = replace(settings, theme=args.theme)
    session = tui_session(args, settings)
    list_first_early(session, getattr(args, "pane", "services") or "services")
    from k8snet_tui.app import make_app, run_app  # imported while the first lists are on their way

    start_node = None
    node = getattr(args, "node", None)
    if isinstance(session, LiveSession) and node and node != socket.gethostname():
        # `--node NAME` in the TUI: NAME is picked as with `N` (read through its agent pod, with
        # this machine's probe standing in only if this machine is NAME); the local probe keeps
        # this machine's own name instead of being shown as NAME.
        session.relabel_local(socket.gethostname())
        start_node = node
    app = make_app(settings, session, start_pane=getattr(args, "pane", "services") or "services",
                   lab=getattr(args, "command", None) == "lab", start_node=start_node)
    return run_app(app)


EARLY_KINDS = ("Service", "EndpointSlice")  # what the Services pane's rows need (the app lists them first)


def list_first_early(session: Session, pane: str) -> None:
    """Live, on the Services pane: list its kinds on a thread now, so they travel while Textual
    and the app import; the watchers take those pages when they start (`LiveApi.list_early`)."""
    if not isinstance(session, LiveSession) or pane != "services":
        return
    list_early = getattr(session.source, "list_early", None)
    if not callable(list_early):
        return
    list_early([(kind, namespace, name) for kind in KINDS if kind.kind in EARLY_KINDS
                for namespace, name in read_scopes(kind, session.namespace)])


def observe_once(args: argparse.Namespace) -> Observed:
    """One consistent picture for the one-shot commands: a snapshot, or one list of each kind."""
    settings = Settings.load()
    session = choose_session(args, settings)
    if isinstance(session, SnapshotSession):
        from k8snet_tui.observe import report_problems

        report_problems(session.snapshot)
        observed = session.observed()
        if getattr(args, "node", None):
            observed = Observed(cluster=observed.cluster, nodes=observed.nodes, local_node=args.node,
                                cloud=observed.cloud, mode=observed.mode)
        return observed
    return list_once(session)


def list_once(session: LiveSession) -> Observed:
    """One list of each kind the session reads, into its store, and the node's state once."""
    store: Store = session.store
    failures: list[ApiFailure] = []
    for kind, namespace, name in [(k, ns, n) for k in KINDS for ns, n in read_scopes(k, session.namespace)]:
        items: list[dict] = []
        token = ""
        only = {"name": name} if name else {}
        try:
            while True:
                page = session.source.list_page(kind, namespace, limit=500, continue_token=token, **only)
                items.extend(page.items)
                token = page.continue_token
                if not token:
                    break
        except ApiFailure as exc:
            if exc.status == 0:
                failures.append(exc)
                break
            if exc.unauthorized:
                raise KubeconfigError(f"the cluster rejected the credentials of context {session.context!r} "
                                      f"(401 {exc.reason}): {exc.message}",
                                      hint="log in again (your token or certificate may have expired), "
                                           "then compare with: kubectl auth whoami") from None
            if exc.forbidden:
                store.mark_forbidden(kind.kind, forbidden_reason(kind, namespace, name),
                                    part=store_part(kind, namespace, name))
            continue
        store.replace_kind(kind.kind, items, part=store_part(kind, namespace, name))
    if failures:
        server = getattr(session.source, "server", "")
        raise ClusterUnreachable(f"cannot reach the cluster at {server or session.context}: {failures[0].message}",
                                 hint="check the network and the context (kubectl cluster-info), or use --snapshot")
    node = session.read_node() if session.read_node else NodeState()
    nodes = MappingProxyType({session.local_node: node})
    return Observed(cluster=store.snapshot(), nodes=nodes, local_node=session.local_node, mode="live")

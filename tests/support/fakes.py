"""Stand-ins for a live session, for UI tests that need live-mode behaviour without a cluster."""

from __future__ import annotations

from k8snet_tui.domain.model import Observed
from k8snet_tui.sources.snapshot import Snapshot


class LiveLikeSession:
    """A snapshot's data behind the session interface, saying `live` (and, like a live session,
    holding no cloud facts), so panes enable their live-only keys."""

    mode = "live"
    banner = ""
    label = "LIVE fake"
    pod_logs = None  # no capability to read pod logs
    watchers = ()  # and no background work: the test says when data changes
    poller = None

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.version = 0

    def observed(self) -> Observed:
        snap = self.snapshot
        return Observed(cluster=snap.cluster, nodes=snap.nodes, local_node=snap.local_node, mode="live")

    def with_namespace(self, namespace: str | None) -> None:
        self.version += 1

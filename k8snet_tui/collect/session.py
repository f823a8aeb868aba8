"""A session is what the app explores: a snapshot that never changes, or a live cluster.

The app asks a session for the current `Observed` and for a version number that changes
whenever the data does; it never needs to know which kind of session it has, except to start
the live one's background work.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Protocol, runtime_checkable

from k8snet_tui.collect.health import ApiHealth
from k8snet_tui.collect.node_poll import NodePoller
from k8snet_tui.collect.store import Store
from k8snet_tui.collect.watch import KindWatcher
from k8snet_tui.domain.model import ClusterState, NodeState, Observed, dig_list, name_of
from k8snet_tui.sources.kinds import KINDS, read_scopes
from k8snet_tui.sources.node_exec import NodeStateCache, NodeStateResult
from k8snet_tui.sources.ports import ClusterSource
from k8snet_tui.sources.snapshot import Snapshot


@runtime_checkable
class PodLogs(Protocol):
    """Reading a pod's log (live sessions only: snapshots carry no logs)."""

    def pod_log(self, namespace: str, name: str, *, tail_lines: int = 50) -> str: ...


class Session(Protocol):
    """What the app and the panes hold: a snapshot or a live cluster, asked the same way.

    Capabilities a session may lack are attributes that are None (`pod_logs`), never found by
    `hasattr` or `isinstance` above this layer.
    """

    @property
    def label(self) -> str: ...  # "SNAPSHOT lab", "LIVE prod"

    mode: str  # "live" or "snapshot"
    banner: str  # a line the app shows under the header ("" for none)

    @property
    def version(self) -> int: ...  # changes whenever observed() would answer differently

    def observed(self) -> Observed: ...

    def with_namespace(self, namespace: str | None) -> None: ...

    @property
    def pod_logs(self) -> PodLogs | None: ...

    # Any node's datapath state, for a pane's node picker. `node_state` may block (a live
    # session reads the node through its agent pod): call it off the UI thread.
    # `cached_node_state` never blocks. Both carry the age and the error of that node only.
    def node_state(self, name: str, *, refresh: bool = False) -> NodeStateResult: ...

    def cached_node_state(self, name: str) -> NodeStateResult | None: ...

    @property
    def watchers(self) -> Sequence[KindWatcher | ApiHealth]: ...  # background reads (live), else ()

    @property
    def poller(self) -> NodePoller | None: ...  # the node poller (live, with a node), else None


@dataclass
class SnapshotSession:
    snapshot: Snapshot
    banner: str = ""
    mode: str = "snapshot"
    _version: int = 0

    @property
    def label(self) -> str:
        return f"SNAPSHOT {self.snapshot.name}"

    @property
    def version(self) -> int:
        return self._version

    def observed(self) -> Observed:
        return Observed(cluster=self.snapshot.cluster, nodes=self.snapshot.nodes,
                        local_node=self.snapshot.local_node, cloud=self.snapshot.cloud, mode="snapshot")

    @property
    def pod_logs(self) -> PodLogs | None:
        return None  # a snapshot has no logs

    @property
    def watchers(self) -> tuple[()]:
        return ()  # a snapshot never changes: nothing to watch

    @property
    def poller(self) -> None:
        return None

    def with_namespace(self, namespace: str | None) -> None:
        self.snapshot = replace(self.snapshot, cluster=replace(self.snapshot.cluster, namespace=namespace))
        self._version += 1

    def node_state(self, name: str, *, refresh: bool = False) -> NodeStateResult:
        state = self.snapshot.nodes.get(name)
        if state is None:
            held = ", ".join(sorted(self.snapshot.nodes)) or "none"
            return NodeStateResult(name, error=f"the snapshot holds no state of node {name} (nodes in it: {held}); "
                                               "capture with the node agent applied to have every node's state",
                                   reason="snapshot")
        return NodeStateResult(name, state=state, fetched_at=state.captured_at or 0.0, source="snapshot")

    def cached_node_state(self, name: str) -> NodeStateResult | None:
        return self.node_state(name)


@dataclass
class LiveSession:
    source: ClusterSource
    context: str
    namespace: str | None = None
    read_node: Callable[[], NodeState] | None = None
    interval: float = 2.0
    banner: str = ""
    mode: str = "live"
    local_node: str = field(default_factory=socket.gethostname)
    store: Store = field(init=False)
    watchers: list[KindWatcher | ApiHealth] = field(init=False)
    poller: NodePoller | None = field(init=False)

    def __post_init__(self) -> None:
        self.store = Store(namespace=self.namespace)
        # The API client hands its watchers list pages already in the store's shape.
        for_watchers = getattr(self.source, "for_watchers", None)
        watched = for_watchers() if callable(for_watchers) else self.source
        self.watchers = [KindWatcher(watched, self.store, kind, namespace, name=name)
                         for kind in KINDS for namespace, name in read_scopes(kind, self.namespace)]
        ping = getattr(self.source, "ping", None)
        if callable(ping):  # a silent watch cannot tell a stopped API server from a quiet cluster
            self.watchers.append(ApiHealth(ping, self.store))
        self.poller = NodePoller(self.read_node, self.interval) if self.read_node else None
        self._node_version = 0

    @property
    def label(self) -> str:
        return f"LIVE {self.context}" if self.context else "LIVE in-cluster"

    @property
    def version(self) -> int:
        return self.store.version * 1000 + (self.poller.polls if self.poller else 0)

    def observed(self) -> Observed:
        nodes: dict[str, NodeState] = {}
        previous: dict[str, NodeState] = {}
        if self.poller and self.poller.current is not None:
            nodes[self.poller.current.node or self.local_node] = self.poller.current
        if self.poller and self.poller.previous is not None:
            previous[self.poller.previous.node or self.local_node] = self.poller.previous
        return Observed(cluster=self.store.snapshot(), nodes=MappingProxyType(nodes),
                        local_node=self.local_node, mode="live", previous=MappingProxyType(previous))

    @property
    def pod_logs(self) -> PodLogs | None:
        # The source is the API client; the one we ship reads pods/log, a test fake may not.
        return self.source if isinstance(self.source, PodLogs) else None

    def with_namespace(self, namespace: str | None) -> None:
        # The watchers keep the scope they started with (`-n NS` watches only NS, for users whose
        # RBAC stops there); picking a namespace later only narrows what the panes show.
        self.store.set_namespace(namespace)

    def relabel_local(self, name: str) -> None:
        """Show this machine's probe as node `name` (its own name) from now on."""
        read = self.read_node
        if read is None:
            return
        self.local_node = name
        self.read_node = lambda: replace(read(), node=name)
        self.poller = NodePoller(self.read_node, self.interval)

    def node_state(self, name: str, *, refresh: bool = False) -> NodeStateResult:
        """`name`'s state through its agent pod (pods/exec), cached per node with its age."""
        return self._node_states().get(name, refresh=refresh)

    def cached_node_state(self, name: str) -> NodeStateResult | None:
        cache = self.__dict__.get("_node_cache")
        return cache.cached(name) if cache is not None else None

    def _node_states(self) -> NodeStateCache:
        cache = self.__dict__.get("_node_cache")
        if cache is None:
            cache = self.__dict__.setdefault("_node_cache", NodeStateCache(self._read_node_state))
        return cache

    def _read_node_state(self, name: str) -> NodeStateResult:
        from k8snet_tui.sources.live_api import LiveApi
        from k8snet_tui.sources.node_exec import AgentReader

        if isinstance(self.source, LiveApi):
            reader = self.__dict__.setdefault("_agent_reader", AgentReader(self.source))
            result: NodeStateResult = reader.read(name)
        else:
            result = NodeStateResult(name, error=f"node {name}'s state needs the API server's pods/exec; "
                                                 "this session has no API connection", reason="no-api")
        local = self.poller.current if self.poller else None
        if not result.ok and local is not None and (name in (self.local_node, local.node)
                                                     or shared_addresses(self.store.snapshot(), name, local)):
            # This node is the one k8snet runs on: its own probe answers where no agent does.
            state = local if local.node == name else replace(local, node=name)
            return NodeStateResult(name, state=state, fetched_at=local.captured_at or time.time(),
                                   source="local probe", notes=(f"read by the local probe ({result.error})",))
        return result


def shared_addresses(cluster: ClusterState, node: str, local: NodeState) -> set[str]:
    """The addresses node `node` (its Node object's status.addresses) shares with `local`'s
    interfaces: non-empty when the machine the probe read is that node, whatever its hostname."""
    wanted = {a.get("address") for n in cluster.of("Node") if name_of(n) == node
              for a in dig_list(n, "status", "addresses") if isinstance(a, dict)}
    mine = {a.get("local") for link in local.addresses for a in link.get("addr_info", []) if isinstance(a, dict)}
    return {str(a) for a in wanted & mine if a}

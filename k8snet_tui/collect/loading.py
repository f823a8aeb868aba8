"""A big snapshot read on a thread of its own, so the app's first frame need not wait for it.

Reading scale L's 126 MB snapshot takes ~0.6-1.1 s after the imports; the app draws its frame,
its header and a "reading" banner meanwhile, and its rows as soon as the read ends
(`when_loaded`). Until then the session answers as an empty snapshot would; after, exactly as
the snapshot session it read. A read that fails ends the app with the same error the one-shot
read gives (`error`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType

from k8snet_tui.collect.session import PodLogs, SnapshotSession
from k8snet_tui.domain.model import Observed
from k8snet_tui.sources.node_exec import NodeStateResult
from k8snet_tui.sources.snapshot import Snapshot

_EMPTY = Observed(nodes=MappingProxyType({}), mode="snapshot")


class SnapshotLoading:
    """A `Session` whose snapshot is to be read: `start()` begins the read."""

    mode = "snapshot"

    def __init__(self, load: Callable[[], SnapshotSession], what: str) -> None:
        self._load = load
        self._what = what  # the path, in the banner and label until the snapshot names itself
        self._lock = threading.Lock()
        self._session: SnapshotSession | None = None
        self._done = False
        self._started = False
        self._listeners: list[Callable[[], None]] = []
        self._namespace: tuple[str | None] | None = None  # asked for before the read ended
        self._bumps = 0
        self.error: Exception | None = None  # why the read failed (a SnapshotError, say)
        self.banner = f"Reading the snapshot {what}… (the rows come when it is read)"

    def start(self) -> None:
        """Begin the read (once). The app calls it after its first frame: started sooner, the
        read's decode holds the GIL against the app's imports and mounting, and the frame
        came no sooner than the rows on a busy machine."""
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._run, daemon=True, name="k8snet snapshot read").start()

    def _run(self) -> None:
        try:
            session = self._load()
        except Exception as exc:  # handed to the app, which ends with it
            session, self.error = None, exc
        with self._lock:
            if session is not None and self._namespace is not None:
                session.with_namespace(self._namespace[0])
            self._session = session
            self.banner = session.banner if session is not None else f"Could not read the snapshot {self._what}"
            self._done = True
            listeners = list(self._listeners)
        for callback in listeners:
            callback()

    def when_loaded(self, callback: Callable[[], None]) -> None:
        """`callback()` when the read has ended (well or not): on the reading thread, or at
        once on this one if it has ended already. Starts the read if it has not begun."""
        with self._lock:
            done = self._done
            if not done:
                self._listeners.append(callback)
        if done:
            callback()
        self.start()

    @property
    def loading(self) -> bool:
        return not self._done

    @property
    def snapshot(self) -> Snapshot | None:
        return self._session.snapshot if self._session is not None else None

    @property
    def label(self) -> str:
        if self._session is not None:
            return self._session.label
        return f"SNAPSHOT {Path(self._what).name or self._what}"  # as the snapshot will name itself

    @property
    def version(self) -> int:
        session = self._session
        return self._bumps + (1 + session.version if session is not None else 0) + (1 if self.error else 0)

    def observed(self) -> Observed:
        session = self._session
        return session.observed() if session is not None else _EMPTY

    def with_namespace(self, namespace: str | None) -> None:
        with self._lock:
            session = self._session
            if session is None:
                self._namespace = (namespace,)
                self._bumps += 1
                return
        session.with_namespace(namespace)

    @property
    def pod_logs(self) -> PodLogs | None:
        return None

    @property
    def watchers(self) -> tuple[()]:
        return ()

    @property
    def poller(self) -> None:
        return None

    def node_state(self, name: str, *, refresh: bool = False) -> NodeStateResult:
        session = self._session
        if session is None:
            return NodeStateResult(name, error=f"the snapshot {self._what} is still being read", reason="snapshot")
        return session.node_state(name, refresh=refresh)

    def cached_node_state(self, name: str) -> NodeStateResult | None:
        session = self._session
        return session.cached_node_state(name) if session is not None else None

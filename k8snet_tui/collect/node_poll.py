"""Node state, read again and again without overlapping, with what changed since last time.

The poller keeps the previous reading so the Services pane can show per-rule packet deltas
("which pod did you hit?"). Scheduling is the caller's: the app runs one `poll()` in a thread
worker, renders, and only then sets the timer for the next, so two probes never overlap.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from k8snet_tui.domain.model import NodeState


class NodePoller:
    def __init__(self, read: Callable[[], NodeState], interval: float = 2.0) -> None:
        self._read = read
        self.interval = interval
        self._lock = threading.Lock()
        self.current: NodeState | None = None
        self.previous: NodeState | None = None
        self.polls = 0
        self.last_duration = 0.0

    def poll(self) -> NodeState:
        started = time.monotonic()
        state = self._read()
        with self._lock:
            self.previous, self.current = self.current, state
            self.polls += 1
            self.last_duration = time.monotonic() - started
        return state

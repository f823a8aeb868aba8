"""Notice an API server that stopped answering while every watch sits silent.

A watch only ends when its connection does. An API server that is shutting down stops taking
new connections at once but can hold open watches, sending nothing, until its shutdown
timeout (kube-apiserver: up to a minute; the test cluster's: 15 s, then SIGKILL). Over HTTP/1.1
the client cannot tell that silence from a quiet cluster, so the panes would look fresh while
nothing could reach the API. This checker asks `/readyz` (readable by every user through the
default `system:public-info-viewer` role) every few seconds and marks the store stale while it
gets no answer; watchers clear their own marks when their watches are accepted again.

It looks like a `KindWatcher` to the app (`kind`, `store`, `run(cancelled)`), so the app runs it
in a thread worker next to them.
"""

from __future__ import annotations

from collections.abc import Callable

from k8snet_tui.collect.store import Store
from k8snet_tui.collect.watch import interruptible_sleep
from k8snet_tui.sources.kinds import Kind

HEALTH_INTERVAL = 5.0
# Not an API kind: the name under which the checker's stale mark is kept in the store.
API_SERVER = Kind("(api server)", "", "v1", "readyz", namespaced=False, optional=True)


class ApiHealth:
    def __init__(self, ping: Callable[[], bool | None], store: Store, *, interval: float = HEALTH_INTERVAL,
                 sleep: Callable[[float, Callable[[], bool]], None] | None = None,
                 on_change: Callable[[], None] | None = None) -> None:
        self.ping = ping  # True: ready; False: unreachable or failing; None: cannot tell (e.g. 403)
        self.store = store
        self.kind = API_SERVER
        self.interval = interval
        self.relists = 0
        self.last_error = ""
        self.checks = 0
        self._sleep = sleep or interruptible_sleep
        self._on_change = on_change or (lambda: None)

    def run(self, cancelled: Callable[[], bool]) -> None:
        while not cancelled():
            answer = self.ping()
            self.checks += 1
            if answer is False:
                self.last_error = "the API server does not answer /readyz"
                self.store.mark_stale(self.kind.kind)
                self._on_change()
            elif answer is True:
                if self.kind.kind in self._stale_kinds():
                    self.store.note_recovery()
                self.store.mark_fresh(self.kind.kind)
            self._sleep(self.interval, cancelled)

    def _stale_kinds(self) -> set[str]:
        return set(self.store.stale_kinds())

"""One watcher per kind: list (paginated), then watch from the list's resourceVersion.

The loop is the informer pattern, reduced to what an explorer needs:
- list in pages of 500, then watch with bookmarks so the resourceVersion stays fresh;
- a watch that ends (server timeout) resumes from the last version seen;
- 410 Gone (the version was compacted away) re-lists, which replaces the kind exactly;
- 403 marks the kind forbidden (panes say "forbidden: list pods ...", and the RBAC rule to ask
  for: "get, list and watch on pods in core/v1 ...") and is re-checked every 5 min;
- a watcher given a `name` reads that one object (a field selector on metadata.name), and keeps
  it as its own part of the kind in the store;
- 404 means the kind is not served (an absent CRD): quietly checked again every 5 min;
- anything else (unreachable, 5xx) marks the kind stale and retries with exponential backoff,
  1 s doubling to 60 s, with full jitter so many watchers do not stampede a recovering apiserver.
The loop itself has no Textual in it: the app runs `run()` in a thread worker and passes a
`cancelled` callable.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from k8snet_tui.collect.store import Store
from k8snet_tui.sources.kinds import Kind, store_part
from k8snet_tui.sources.ports import ApiFailure, ClusterSource

PAGE_LIMIT = 500
WATCH_SECONDS = 300
RECHECK_FORBIDDEN = 300.0
BACKOFF_MIN = 1.0
BACKOFF_MAX = 60.0


@dataclass
class Backoff:
    attempt: int = 0
    low: float = BACKOFF_MIN
    high: float = BACKOFF_MAX
    rng: Callable[[], float] = random.random

    def next_delay(self) -> float:
        # Cap the exponent: after ~1024 failures (17 h of outage at 60 s) 2**n no longer fits a float.
        ceiling = min(self.high, self.low * (2 ** min(self.attempt, 62)))
        self.attempt += 1
        # "Equal jitter": at least half the ceiling, so retries never collapse to zero.
        return ceiling / 2 + self.rng() * ceiling / 2

    def reset(self) -> None:
        self.attempt = 0


class KindWatcher:
    def __init__(self, source: ClusterSource, store: Store, kind: Kind, namespace: str | None,
                 *, sleep: Callable[[float, Callable[[], bool]], None] | None = None,
                 on_change: Callable[[], None] | None = None, watch_seconds: int = WATCH_SECONDS,
                 name: str = "") -> None:
        self.source = source
        self.store = store
        self.kind = kind
        self.namespace = namespace if kind.namespaced else None
        self.name = name
        # Only named watchers pass `name=`: a source that reads kinds whole need not know it.
        self._only = {"name": name} if name else {}
        self.part = store_part(kind, self.namespace, name)  # where its objects are kept in the store
        self.backoff = Backoff()
        self._sleep = sleep or interruptible_sleep
        self._on_change = on_change or (lambda: None)
        self.watch_seconds = watch_seconds
        self.relists = 0
        self.last_error = ""

    def run(self, cancelled: Callable[[], bool]) -> None:
        version = ""
        while not cancelled():
            try:
                if not version:
                    version = self._list_all(cancelled)
                    if cancelled():
                        return
                version = self._watch(version, cancelled)
                self.backoff.reset()
            except ApiFailure as exc:
                self.last_error = str(exc)
                if exc.gone:
                    version = ""  # re-list at once: nothing is lost, the list replaces the kind
                    continue
                if exc.forbidden:
                    self.store.mark_forbidden(self.kind.kind, forbidden_reason(self.kind, self.namespace, self.name),
                                              part=self.part)
                    self._on_change()
                    version = ""
                    self._sleep(RECHECK_FORBIDDEN, cancelled)
                    continue
                if exc.not_served and self.kind.optional:
                    self.store.replace_kind(self.kind.kind, [], part=self.part)
                    version = ""
                    self._sleep(RECHECK_FORBIDDEN, cancelled)
                    continue
                if exc.unauthorized:
                    reset = getattr(self.source, "reset", None)
                    if reset:
                        reset()  # an expired exec-plugin token: reload credentials next time
                # Keep the version: resuming from it either works or answers 410, which re-lists.
                self.store.mark_stale(self.kind.kind, part=self.part)
                self._on_change()
                self._sleep(self.backoff.next_delay(), self._woken_by_recovery(cancelled))

    def _woken_by_recovery(self, cancelled: Callable[[], bool]) -> Callable[[], bool]:
        """Ends a backoff early when the API server is seen answering again."""
        seen = self.store.recoveries
        return lambda: cancelled() or self.store.recoveries != seen

    def _list_all(self, cancelled: Callable[[], bool]) -> str:
        items: list[dict] = []
        token = ""
        version = ""
        while True:
            page = self.source.list_page(self.kind, self.namespace, limit=PAGE_LIMIT, continue_token=token,
                                         **self._only)
            items.extend(page.items)
            version = page.resource_version or version
            token = page.continue_token
            if not token or cancelled():
                break
        self.store.replace_kind(self.kind.kind, items, part=self.part)
        self.relists += 1
        self._on_change()
        return version

    def _watch(self, version: str, cancelled: Callable[[], bool]) -> str:
        events = self.source.watch(self.kind, self.namespace, resource_version=version,
                                   timeout_seconds=self.watch_seconds, **self._only)
        # The watch request was accepted: the API is back, whatever it has to say next.
        self.store.mark_fresh(self.kind.kind, part=self.part)
        self._on_change()
        for event in events:
            if cancelled():
                return version
            if event.type == "ERROR":
                code = event.object.get("code")
                raise ApiFailure(int(code) if isinstance(code, int) else 500,
                                 str(event.object.get("reason") or "watch error"),
                                 str(event.object.get("message") or ""))
            meta = event.object.get("metadata")
            rv = meta.get("resourceVersion") if isinstance(meta, dict) else None
            if isinstance(rv, str) and rv:
                version = rv
            if event.type in ("ADDED", "MODIFIED", "DELETED"):
                self.store.apply(self.kind.kind, event.type, event.object, part=self.part)
                self.store.mark_fresh(self.kind.kind, part=self.part)
                self._on_change()
        self.store.mark_fresh(self.kind.kind, part=self.part)
        return version


def forbidden_reason(kind: Kind, namespace: str | None, name: str = "") -> str:
    """What a pane says when the API refused to list `kind` in this scope, and the RBAC rule to
    ask for: a plural alone is ambiguous (Gateway API's and Linkerd's httproutes), the group is not."""
    resource = f"{kind.plural} in core/{kind.version}" if not kind.group else f"{kind.plural}.{kind.group}"
    where = (f"a Role in namespace {namespace}" if namespace and kind.namespaced else "a ClusterRole")
    rule = (f"ask for get, list and watch on {resource} (apiGroups [{kind.group or chr(34) * 2}]"
            + (f", resourceNames [{name}]" if name else "") + f") in {where}; docs/security.md has the whole Role")
    if name:
        return f"forbidden: list {kind.plural} {namespace}/{name}: {rule}"
    scope = f"in namespace {namespace}" if namespace and kind.namespaced else "(cluster-wide)"
    return f"forbidden: list {kind.plural} {scope}: {rule}"


def interruptible_sleep(seconds: float, cancelled: Callable[[], bool]) -> None:
    deadline = time.monotonic() + seconds
    while not cancelled():
        left = deadline - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, 0.2))

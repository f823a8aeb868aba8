"""Helpers shared by the hardening tests (issue 9); this module holds no tests itself.

- live_api(kubeconfig): a LiveApi over a kubeconfig file, as `k8snet --kubeconfig F` builds it
- Watchers: KindWatchers in threads, with their sleeps recorded
- AuditLog: the apiserver's audit records written after a point in time, one per request
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from k8snet_tui.collect.store import Store
from k8snet_tui.collect.watch import KindWatcher, interruptible_sleep
from k8snet_tui.sources.kinds import BY_NAME, Kind
from k8snet_tui.sources.kubeconfig import check_context, resolve_kubeconfig
from k8snet_tui.sources.live_api import LiveApi

# The app's requests say k8snet in their User-Agent, through urllib3 alone or through the
# kubernetes client; the harness's own REST client and its pod agent are python-urllib3.
APP_USER_AGENT = "k8snet/"


def live_api(kubeconfig: Path | str) -> LiveApi:
    choice = resolve_kubeconfig(str(kubeconfig), env={})
    return LiveApi(choice, check_context(choice, None))


def wait_for(cond: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            value = cond()
        except AssertionError as exc:  # a condition may explain itself
            value, last = None, exc
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}" + (f": {last}" if last else ""))
        time.sleep(interval)


def api_versions(cluster, kind: Kind, namespace: str | None = None) -> dict[str, str]:
    """uid -> resourceVersion of every object of `kind`, read with the harness's own client."""
    return {o["metadata"]["uid"]: o["metadata"]["resourceVersion"]
            for o in cluster.api.get(kind.path(namespace))["items"]}


def store_versions(store: Store, kind: str) -> dict[str, str]:
    return {o["metadata"]["uid"]: o["metadata"]["resourceVersion"] for o in store.dump().get(kind, {}).values()}


def store_diff(cluster, store: Store, kinds: Iterable[str], namespace: str | None = None) -> str:
    """'' when the store holds exactly the API's objects (same uids, same resourceVersions)."""
    problems = []
    for k in kinds:
        api = api_versions(cluster, BY_NAME[k], namespace)
        mine = store_versions(store, k)
        lost = set(api) - set(mine)
        ghosts = set(mine) - set(api)
        old = {u for u in set(api) & set(mine) if api[u] != mine[u]}
        if lost or ghosts or old:
            problems.append(f"{k}: {len(lost)} lost, {len(ghosts)} ghost(s), {len(old)} out of date")
    return "; ".join(problems)


class Watchers:
    """KindWatchers run in daemon threads, the way the app's thread workers run them.

    Every sleep a watcher asks for is recorded in `sleeps[kind]` (seconds, in order) and then
    slept for real, so the backoff the test sees is the one a user would get.
    """

    def __init__(self, source, store: Store, kinds: Iterable[str], namespace: str | None = None,
                 *, watch_seconds: int = 30, sleep_cap: float | None = None,
                 watchers: list[KindWatcher] | None = None) -> None:
        self.stop = threading.Event()
        self.sleeps: dict[str, list[tuple[float, float]]] = {}  # kind -> [(monotonic at, seconds)]
        self.sleep_cap = sleep_cap
        self.watchers = watchers if watchers is not None else [
            KindWatcher(source, store, BY_NAME[k], namespace, watch_seconds=watch_seconds) for k in kinds]
        for w in self.watchers:
            w._sleep = self._sleeper(w.kind.kind)
            w.watch_seconds = watch_seconds
        self.errors: list[BaseException] = []
        self.threads = [threading.Thread(target=self._run, args=(w,), daemon=True, name=f"watch {w.kind.kind}")
                        for w in self.watchers]

    def _sleeper(self, kind: str):
        def sleep(seconds: float, cancelled: Callable[[], bool]) -> None:
            self.sleeps.setdefault(kind, []).append((time.monotonic(), seconds))
            interruptible_sleep(min(seconds, self.sleep_cap) if self.sleep_cap else seconds, cancelled)
        return sleep

    def _run(self, watcher: KindWatcher) -> None:
        try:
            watcher.run(self.stop.is_set)
        except BaseException as exc:  # reported by the test
            self.errors.append(exc)

    def by_kind(self, kind: str) -> KindWatcher:
        return next(w for w in self.watchers if w.kind.kind == kind)

    def __enter__(self) -> Watchers:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        # A watch blocked on a quiet stream ends at its server-side timeout (watch_seconds);
        # the threads are daemons, so a test never waits for that.
        for t in self.threads:
            t.join(timeout=0.5)


class AuditLog:
    """The audit records of requests made after `mark()` (read by file offset, so the clock of
    the apiserver does not matter). One record per request: the ResponseComplete stage, or the
    ResponseStarted one for a watch that is still open."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.offset = 0

    def mark(self) -> None:
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def records(self, *, user: str | None = None, user_agent: str | None = None) -> list[dict]:
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        by_id: dict[str, dict] = {}
        for line in data.splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue  # a line still being written
            if user is not None and rec.get("user", {}).get("username") != user:
                continue
            if user_agent is not None and not str(rec.get("userAgent", "")).startswith(user_agent):
                continue
            rid = rec.get("auditID", "")
            if rid not in by_id or rec.get("stage") == "ResponseComplete":
                by_id[rid] = rec
        return list(by_id.values())


def describe(rec: dict) -> str:
    ref = rec.get("objectRef") or {}
    resource = ref.get("resource", "")
    if ref.get("subresource"):
        resource += "/" + ref["subresource"]
    where = f" in {ref['namespace']}" if ref.get("namespace") else ""
    return f"{rec.get('verb')} {resource or rec.get('requestURI')}{where} -> {rec.get('responseStatus', {}).get('code')}"

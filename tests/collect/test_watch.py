"""KindWatcher against a scripted ClusterSource: list pages, watch events, 410, 403, 404, outages.

Time never passes: the watcher's sleep is injected; it records the delays asked for and stops
the loop after a set number of calls.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from k8snet_tui.collect.store import Store
from k8snet_tui.collect.watch import RECHECK_FORBIDDEN, Backoff, KindWatcher
from k8snet_tui.sources.kinds import BY_NAME, Kind
from k8snet_tui.sources.ports import ApiFailure, ListPage, WatchEvent

POD = BY_NAME["Pod"]
MAPPING = BY_NAME["Mapping"]  # optional: a CRD that may not be served


def pod(name: str, rv: str = "1", ip: str = "") -> dict:
    return {"kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}", "resourceVersion": rv},
            "status": {"podIP": ip}}


class ScriptedSource:
    """Answers list/watch calls from queues; when the watch script runs out, the run stops."""

    def __init__(self, lists: list[Any], watches: list[Any]) -> None:
        self.lists = deque(lists)  # each: ListPage or ApiFailure
        self.watches = deque(watches)  # each: ApiFailure, or a list of WatchEvent/ApiFailure
        self.list_calls: list[dict] = []
        self.watch_calls: list[dict] = []
        self.resets = 0
        self.stop = False

    def list_page(self, kind: Kind, namespace: str | None, *, limit: int, continue_token: str = "") -> ListPage:
        self.list_calls.append({"kind": kind.kind, "namespace": namespace, "limit": limit,
                                "continue": continue_token})
        if not self.lists:
            self.stop = True
            raise ApiFailure(0, "script over")
        step = self.lists.popleft()
        if isinstance(step, ApiFailure):
            raise step
        return step

    def watch(self, kind: Kind, namespace: str | None, *, resource_version: str,
              timeout_seconds: int) -> Iterator[WatchEvent]:
        self.watch_calls.append({"resource_version": resource_version, "timeout": timeout_seconds})
        if not self.watches:
            self.stop = True
            return iter(())
        step = self.watches.popleft()
        if isinstance(step, ApiFailure):
            raise step
        return self._events(step)

    @staticmethod
    def _events(steps: list) -> Iterator[WatchEvent]:
        for step in steps:
            if isinstance(step, ApiFailure):
                raise step
            yield step

    def reset(self) -> None:
        self.resets += 1


class Sleeper:
    def __init__(self, source: ScriptedSource, stop_after: int = 1000) -> None:
        self.source = source
        self.delays: list[float] = []
        self.stop_after = stop_after

    def __call__(self, seconds: float, cancelled) -> None:
        self.delays.append(seconds)
        if len(self.delays) >= self.stop_after:
            self.source.stop = True


def run(source: ScriptedSource, kind: Kind = POD, namespace: str | None = None, stop_after: int = 1000,
        store: Store | None = None, rng=None) -> tuple[Store, KindWatcher, Sleeper]:
    store = store or Store()
    sleeper = Sleeper(source, stop_after)
    changes = []
    watcher = KindWatcher(source, store, kind, namespace, sleep=sleeper, on_change=lambda: changes.append(1),
                          watch_seconds=42)
    if rng is not None:
        watcher.backoff.rng = rng
    watcher.run(lambda: source.stop)
    watcher.changes = len(changes)  # type: ignore[attr-defined]
    return store, watcher, sleeper


def by_name(store: Store) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in store.snapshot().of("Pod")}


def test_lists_every_page_then_watches_from_the_list_version() -> None:
    source = ScriptedSource(
        lists=[ListPage([pod("a"), pod("b")], "10", "tok-1"), ListPage([pod("c")], "11", "")],
        watches=[[WatchEvent("ADDED", pod("d", "12")), WatchEvent("MODIFIED", pod("a", "13", "10.0.0.1")),
                  WatchEvent("DELETED", pod("b", "14"))]],
    )
    store, watcher, sleeper = run(source)
    assert [c["continue"] for c in source.list_calls] == ["", "tok-1"]
    assert all(c["limit"] == 500 for c in source.list_calls)
    assert source.watch_calls[0] == {"resource_version": "11", "timeout": 42}
    assert set(by_name(store)) == {"a", "c", "d"}
    assert by_name(store)["a"]["status"]["podIP"] == "10.0.0.1"
    assert watcher.relists == 1 and sleeper.delays == [] and watcher.changes > 0


def test_a_watch_that_ends_resumes_from_the_last_version_seen_including_bookmarks() -> None:
    bookmark = WatchEvent("BOOKMARK", {"kind": "Pod", "apiVersion": "v1", "metadata": {"resourceVersion": "50"}})
    source = ScriptedSource(
        lists=[ListPage([pod("a")], "10", "")],
        watches=[[WatchEvent("ADDED", pod("b", "20"))], [bookmark], []],
    )
    store, _watcher, _ = run(source)
    assert [c["resource_version"] for c in source.watch_calls] == ["10", "20", "50", "50"]
    assert len(source.list_calls) == 1  # no re-list for a watch that simply ended
    assert set(by_name(store)) == {"a", "b"}  # the bookmark is not an object


def test_410_mid_watch_relists_and_the_store_equals_the_new_list_exactly() -> None:
    gone = ApiFailure(410, "Gone", "too old resource version")
    source = ScriptedSource(
        lists=[ListPage([pod("a"), pod("b"), pod("c")], "10", ""),
               ListPage([pod("b", "90", "10.0.0.2")], "90", "more"), ListPage([pod("e", "91")], "91", "")],
        watches=[[WatchEvent("ADDED", pod("d", "11")), gone]],
    )
    store, watcher, sleeper = run(source)
    assert watcher.relists == 2
    assert sleeper.delays == []  # a 410 re-lists at once
    # a, c and d were deleted while we were not looking: no ghosts
    assert store.dump() == {"Pod": {"uid-b": pod("b", "90", "10.0.0.2"), "uid-e": pod("e", "91")}}
    assert source.watch_calls[-1]["resource_version"] == "91"


def test_410_as_a_watch_error_event_relists() -> None:
    error = WatchEvent("ERROR", {"kind": "Status", "code": 410, "reason": "Expired", "message": "too old"})
    source = ScriptedSource(
        lists=[ListPage([pod("a")], "10", ""), ListPage([pod("z")], "20", "")],
        watches=[[WatchEvent("ADDED", pod("b", "11")), error]],
    )
    store, watcher, _ = run(source)
    assert watcher.relists == 2 and set(by_name(store)) == {"z"}


def test_410_answering_the_watch_request_relists() -> None:
    source = ScriptedSource(
        lists=[ListPage([pod("a")], "10", ""), ListPage([pod("b")], "30", "")],
        watches=[ApiFailure(410, "Gone")],
    )
    store, _watcher, _ = run(source)
    assert set(by_name(store)) == {"b"} and [c["resource_version"] for c in source.watch_calls] == ["10", "30"]


@pytest.mark.parametrize("namespace, reason", [
    (None, "forbidden: list pods (cluster-wide)"),
    ("shop", "forbidden: list pods in namespace shop"),
])
def test_403_marks_the_kind_forbidden_and_rechecks_after_five_minutes(namespace, reason) -> None:
    source = ScriptedSource(lists=[ApiFailure(403, "Forbidden", "no")], watches=[])
    store, _, sleeper = run(source, namespace=namespace, stop_after=1)
    assert list(store.snapshot().forbidden) == ["Pod"] and store.snapshot().forbidden["Pod"].startswith(reason + ": ")
    assert sleeper.delays == [300.0] == [RECHECK_FORBIDDEN]
    assert store.snapshot().stale_since is None  # forbidden is not an outage


def test_forbidden_then_allowed_clears_the_mark() -> None:
    source = ScriptedSource(lists=[ApiFailure(403, "Forbidden"), ListPage([pod("a")], "5", "")], watches=[[]])
    store, _, sleeper = run(source)
    assert sleeper.delays == [300.0]
    assert store.snapshot().forbidden == {} and set(by_name(store)) == {"a"}


def test_cluster_scoped_kind_ignores_the_namespace() -> None:
    source = ScriptedSource(lists=[ApiFailure(403, "Forbidden")], watches=[])
    store, _, _ = run(source, kind=BY_NAME["Node"], namespace="shop", stop_after=1)
    assert source.list_calls[0]["namespace"] is None
    assert store.snapshot().forbidden["Node"].startswith("forbidden: list nodes (cluster-wide): ")


def test_transport_errors_mark_stale_and_back_off_with_bounded_jitter() -> None:
    n = 9
    source = ScriptedSource(lists=[ApiFailure(0, "unreachable", "connection refused")] * n, watches=[])
    store, watcher, sleeper = run(source, stop_after=n)
    assert store.snapshot().stale_since is not None
    assert "connection refused" in watcher.last_error
    assert len(sleeper.delays) == n
    for attempt, delay in enumerate(sleeper.delays):
        ceiling = min(60.0, 2.0 ** attempt)
        assert 0.5 * ceiling <= delay <= ceiling, (attempt, delay)
    assert max(sleeper.delays) <= 60.0 and sleeper.delays[-1] >= 30.0


@pytest.mark.parametrize("rng_value", [0.0, 0.999999])
def test_backoff_extremes_of_the_jitter(rng_value: float) -> None:
    source = ScriptedSource(lists=[ApiFailure(503, "Service Unavailable")] * 8, watches=[])
    _, _, sleeper = run(source, stop_after=8, rng=lambda: rng_value)
    ceilings = [min(60.0, 2.0 ** i) for i in range(8)]
    factor = 0.5 if rng_value == 0.0 else 1.0
    assert sleeper.delays == pytest.approx([c * factor for c in ceilings], rel=1e-5)


def test_recovery_resets_backoff_and_marks_fresh() -> None:
    down = ApiFailure(0, "unreachable")
    source = ScriptedSource(
        lists=[down, down, down, ListPage([pod("a")], "10", "")],
        watches=[[WatchEvent("ADDED", pod("b", "11"))], down, down],
    )
    store, _, sleeper = run(source, stop_after=5, rng=lambda: 1.0)
    # three list failures (1, 2, 4), a good list+watch resets, then two watch failures (1, 2)
    assert sleeper.delays == [1.0, 2.0, 4.0, 1.0, 2.0]
    assert set(by_name(store)) == {"a", "b"}  # the data stays while the API is away
    assert store.snapshot().stale_since is not None
    # the watch after an outage resumes from the last version, it does not re-list
    assert [c["resource_version"] for c in source.watch_calls] == ["10", "11", "11"]
    assert len(source.list_calls) == 4


def test_stale_mark_clears_once_a_watch_is_accepted() -> None:
    down = ApiFailure(0, "unreachable")
    store = Store()
    source = ScriptedSource(lists=[ListPage([pod("a")], "10", "")], watches=[down, []])
    run(source, store=store)
    assert store.snapshot().stale_since is None


def test_optional_kind_not_served_is_empty_not_stale() -> None:
    store = Store()
    store.replace_kind("Mapping", [{"kind": "Mapping", "metadata": {"name": "old", "uid": "m"}}])
    source = ScriptedSource(lists=[ApiFailure(404, "Not Found")], watches=[])
    store, _, sleeper = run(source, kind=MAPPING, stop_after=1, store=store)
    assert store.snapshot().of("Mapping") == ()
    assert store.snapshot().stale_since is None and store.snapshot().forbidden == {}
    assert sleeper.delays == [300.0]


def test_required_kind_404_is_an_outage() -> None:
    source = ScriptedSource(lists=[ApiFailure(404, "Not Found")], watches=[])
    store, _, sleeper = run(source, stop_after=1)
    assert store.snapshot().stale_since is not None and sleeper.delays[0] <= 1.0


def test_401_reloads_credentials() -> None:
    source = ScriptedSource(lists=[ApiFailure(401, "Unauthorized"), ListPage([pod("a")], "1", "")], watches=[[]])
    store, _, _ = run(source)
    assert source.resets == 1 and set(by_name(store)) == {"a"}


def test_cancelled_before_start_makes_no_request() -> None:
    source = ScriptedSource(lists=[ListPage([pod("a")], "1", "")], watches=[])
    source.stop = True
    store, _, _ = run(source)
    assert source.list_calls == [] and store.count("Pod") == 0


def test_cancel_during_a_watch_stops_applying_events() -> None:
    source = ScriptedSource(lists=[ListPage([], "1", "")], watches=[])
    store = Store()

    def events() -> Iterator[WatchEvent]:
        yield WatchEvent("ADDED", pod("a", "2"))
        source.stop = True
        yield WatchEvent("ADDED", pod("b", "3"))

    source.watches.append([])  # placeholder replaced below
    source.watch = lambda *a, **k: events()  # type: ignore[method-assign]
    run(source, store=store)
    assert set(by_name(store)) == {"a"}


# -- Backoff ---------------------------------------------------------------------------------------

@given(st.integers(min_value=0, max_value=100_000), st.floats(min_value=0.0, max_value=1.0, exclude_max=True))
def test_backoff_delay_bounds(attempt: int, r: float) -> None:
    b = Backoff(attempt=attempt, rng=lambda: r)
    ceiling = min(60.0, 2.0 ** min(attempt, 10))
    delay = b.next_delay()
    assert 0.5 * ceiling <= delay <= ceiling
    assert 0.5 <= delay <= 60.0
    assert b.attempt == attempt + 1


def test_backoff_reset_starts_again_at_one_second() -> None:
    b = Backoff(rng=lambda: 1.0)
    assert [b.next_delay() for _ in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    b.reset()
    assert b.next_delay() == 1.0


def test_a_recovery_wakes_a_watcher_from_a_long_backoff():
    """After a long outage the backoff is near a minute; the health checker's recovery note
    must cut that sleep short so the store resyncs at once."""
    import threading
    import time as _time

    from k8snet_tui.collect.store import Store
    from k8snet_tui.collect.watch import KindWatcher
    from k8snet_tui.sources.kinds import BY_NAME
    from k8snet_tui.sources.ports import ApiFailure, ListPage

    class Down:
        calls = 0

        def list_page(self, kind, namespace, *, limit, continue_token=""):
            Down.calls += 1
            if Down.calls == 1:
                raise ApiFailure(0, "unreachable", "connection refused")
            return ListPage([], "1", "")

        def watch(self, kind, namespace, *, resource_version, timeout_seconds):
            return iter(())

    store = Store()
    watcher = KindWatcher(Down(), store, BY_NAME["Service"], None)
    watcher.backoff.low = watcher.backoff.high = 120.0  # a sleep the test would never wait out
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop.is_set,), daemon=True)
    thread.start()
    deadline = _time.monotonic() + 5
    while "Service" not in store.stale_kinds() and _time.monotonic() < deadline:
        _time.sleep(0.02)
    assert "Service" in store.stale_kinds()
    store.note_recovery()
    deadline = _time.monotonic() + 5
    while Down.calls < 2 and _time.monotonic() < deadline:
        _time.sleep(0.02)
    stop.set()
    assert Down.calls >= 2, "the watcher slept through the recovery"


def test_health_notes_a_recovery_only_after_an_outage():
    from k8snet_tui.collect.health import ApiHealth
    from k8snet_tui.collect.store import Store

    answers = iter([True, False, False, True, True])
    store = Store()
    calls = {"n": 0}

    def stop_after_five() -> bool:
        return calls["n"] >= 5

    def ping():
        calls["n"] += 1
        return next(answers)

    ApiHealth(ping, store, sleep=lambda _s, _c: None).run(stop_after_five)
    assert store.recoveries == 1  # one outage (False, False), one return to ready
    assert store.stale_kinds() == []


class NamedSource(ScriptedSource):
    """A source that also takes `name=`, as LiveApi does."""

    def list_page(self, kind: Kind, namespace: str | None, *, limit: int, continue_token: str = "",
                  name: str = "") -> ListPage:
        self.list_calls.append({"name": name})
        return super().list_page(kind, namespace, limit=limit, continue_token=continue_token)

    def watch(self, kind: Kind, namespace: str | None, *, resource_version: str, timeout_seconds: int,
              name: str = "") -> Iterator[WatchEvent]:
        self.watch_calls.append({"name": name})
        return super().watch(kind, namespace, resource_version=resource_version, timeout_seconds=timeout_seconds)


def test_a_named_watcher_reads_one_object_and_keeps_its_part() -> None:
    cm_kind = BY_NAME["ConfigMap"]
    other = {"kind": "ConfigMap", "metadata": {"name": "kube-proxy", "namespace": "kube-system", "uid": "kp"}}
    store = Store()
    store.replace_kind("ConfigMap", [other], part="kube-proxy")
    core = {"kind": "ConfigMap", "metadata": {"name": "coredns", "namespace": "kube-system", "uid": "cd",
                                              "resourceVersion": "7"}}
    source = NamedSource([ListPage([core], "7", ""), ApiFailure(403, "Forbidden")],
                         [[WatchEvent("DELETED", core)], ApiFailure(410, "Gone")])
    watcher = KindWatcher(source, store, cm_kind, "kube-system", name="coredns", sleep=Sleeper(source, 1))
    watcher.run(lambda: source.stop)
    assert {c["name"] for c in source.list_calls if "name" in c} == {"coredns"}
    assert {c["name"] for c in source.watch_calls if "name" in c} == {"coredns"}
    snap = store.snapshot()
    assert [o["metadata"]["name"] for o in snap.of("ConfigMap")] == ["kube-proxy"]  # the other part is kept
    assert snap.forbidden["ConfigMap"].startswith("forbidden: list configmaps kube-system/coredns: ")


def test_live_session_watches_each_networking_configmap_by_name_whatever_the_namespace() -> None:
    from k8snet_tui.collect.session import LiveSession
    from k8snet_tui.sources.kinds import NETWORK_CONFIGMAPS

    for namespace in (None, "default"):
        session = LiveSession(ScriptedSource([], []), "ctx", namespace=namespace)
        cms = [(w.namespace, w.name) for w in session.watchers if w.kind.kind == "ConfigMap"]
        assert sorted(cms) == sorted(("kube-system", n) for n in NETWORK_CONFIGMAPS)
        pods = [(w.namespace, getattr(w, "name", "")) for w in session.watchers if w.kind.kind == "Pod"]
        assert pods == [(namespace, "")]

"""Issue 9, faults against the real control plane: 410 Gone after an etcd compaction re-lists and
loses nothing; a stopped kube-apiserver marks the store stale, the retries back off with jitter,
and once it is back the store equals the API object by object (no lost, duplicated or ghost rows).

The app's own watcher loop (KindWatcher) runs in threads here, exactly as the app's thread
workers run it; the app's "STALE since" badge is tested in test_app_live.py.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter

import pytest

from k8snet_tui.collect.health import API_SERVER, ApiHealth
from k8snet_tui.collect.session import LiveSession
from k8snet_tui.collect.store import Store
from k8snet_tui.collect.watch import BACKOFF_MAX, Backoff
from k8snet_tui.sources.ports import ApiFailure

from .test_hardening_helpers import Watchers, live_api, store_diff, wait_for

pytestmark = pytest.mark.cluster

NS = "default"


def svc(name: str, note: str = "") -> dict:
    meta = {"name": name, "namespace": NS}
    if note:  # a label: the store keeps labels (and only the networking annotations)
        meta["labels"] = {"k8snet.test/note": note}
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta,
            "spec": {"selector": {"app": "k8snet-none"}, "ports": [{"name": "http", "port": 8080}]}}


def idle_pod(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": NS},
            "spec": {"containers": [{"name": "idle", "image": "k8snet.test/idle"}], "terminationGracePeriodSeconds": 0}}


def cleanup(cluster, services=(), pods=()) -> None:
    for name in services:
        with contextlib.suppress(Exception):  # already gone
            cluster.delete("Service", name, NS)
    for name in pods:
        with contextlib.suppress(Exception):  # already gone
            cluster.delete("Pod", name, NS, grace_seconds=0)


class Switch:
    """A ClusterSource in front of LiveApi whose link the test can cut: while `down` is set
    every request fails as a transport error, and an open watch stream ends at its next event."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.down = threading.Event()
        self.refused: Counter[str] = Counter()

    def list_page(self, kind, namespace, **kw):
        if self.down.is_set():
            self.refused[kind.kind] += 1
            raise ApiFailure(0, "unreachable", "test: link cut")
        return self.inner.list_page(kind, namespace, **kw)

    def watch(self, kind, namespace, **kw):
        if self.down.is_set():
            self.refused[kind.kind] += 1
            raise ApiFailure(0, "unreachable", "test: link cut")
        events = self.inner.watch(kind, namespace, **kw)

        def guarded():
            for event in events:
                if self.down.is_set():
                    raise ApiFailure(0, "watch interrupted", "test: link cut")
                yield event
        return guarded()


def test_410_gone_after_compaction_relists_and_loses_nothing(lab_cluster):
    kinds = ("Service", "Pod")
    names = ("k8snet-h410-a", "k8snet-h410-b", "k8snet-h410-c")
    pod = "k8snet-h410-pod"
    source = Switch(live_api(lab_cluster.kubeconfig))
    store = Store()
    try:
        lab_cluster.apply([svc(names[0]), svc(names[1])])
        # short server-side watch timeouts, so the open streams end soon after the link is cut;
        # short sleeps: the backoff itself is the next test's business
        with Watchers(source, store, kinds, watch_seconds=3, sleep_cap=0.5) as run:
            wait_for(lambda: not store_diff(lab_cluster, store, kinds), 15, "the store to equal the API")
            assert [w.relists for w in run.watchers] == [1, 1]

            source.down.set()
            wait_for(lambda: all(source.refused[k] for k in kinds), 10, "both watches to be down")
            # while the watchers cannot see: modify one Service, delete another, create a third
            # and a Pod; then compact etcd past every version the watchers know
            lab_cluster.apply(svc(names[0], note="modified-while-the-watch-was-down"))
            lab_cluster.delete("Service", names[1], NS)
            lab_cluster.apply([svc(names[2]), idle_pod(pod)])
            revision = lab_cluster.compact_etcd()
            assert all(int(v) < revision for v in (w_rv(store, k) for k in kinds)), "compaction did not pass the store"
            source.down.clear()

            wait_for(lambda: all(w.relists >= 2 for w in run.watchers), 15,
                     "a re-list after 410 Gone")
            assert any("410" in w.last_error for w in run.watchers), [w.last_error for w in run.watchers]
            wait_for(lambda: not store_diff(lab_cluster, store, kinds), 10,
                     "the store to equal the API object by object after the re-list")
            snap = store.snapshot()
            assert snap.get("Service", NS, names[1]) is None, "a ghost of the Service deleted while down"
            assert snap.get("Service", NS, names[2]) is not None
            assert snap.get("Pod", NS, pod) is not None
            a = snap.get("Service", NS, names[0])
            assert a["metadata"]["labels"]["k8snet.test/note"] == "modified-while-the-watch-was-down"
            assert snap.stale_since is None and not snap.forbidden
            assert not run.errors, run.errors
    finally:
        cleanup(lab_cluster, names, [pod])


def w_rv(store: Store, kind: str) -> str:
    """The newest resourceVersion the store holds for a kind."""
    return str(max(int(o["metadata"]["resourceVersion"]) for o in store.dump()[kind].values()))


def test_apiserver_outage_stale_backoff_and_exact_recovery(lab_cluster):
    kinds = ("Service", "Pod", "EndpointSlice")
    a, b, c = "k8snet-hout-a", "k8snet-hout-b", "k8snet-hout-c"
    # the app's own set: a LiveSession's watchers for these kinds, and its API health check
    session = LiveSession(live_api(lab_cluster.kubeconfig), "admin", read_node=None)
    store = session.store
    mine = [w for w in session.watchers if w.kind.kind in kinds or isinstance(w, ApiHealth)]
    assert len(mine) == len(kinds) + 1
    stopped = False
    try:
        lab_cluster.apply([svc(a), svc(b)])
        with Watchers(None, store, kinds, watch_seconds=60, watchers=mine) as run:
            wait_for(lambda: not store_diff(lab_cluster, store, kinds), 15, "the store to equal the API")

            t_stop = time.monotonic()
            stopper = threading.Thread(target=lab_cluster.stop_apiserver)
            stopper.start()
            stopped = True
            wait_for(lambda: store.snapshot().stale_since is not None, 10, "the stale mark")
            t_stale = time.monotonic() - t_stop
            stopper.join()
            # stay down long enough for a few retries (1 s, 2 s, 4 s ceilings) once the last
            # connection is gone (a stopping kube-apiserver holds open watches until it exits)
            time.sleep(4.0)
            lab_cluster.start_apiserver()
            stopped = False
            t_ready = time.monotonic()
            # change things right away, before the watchers are back
            lab_cluster.apply(svc(a, note="changed-right-after-the-restart"))
            lab_cluster.delete("Service", b, NS)
            lab_cluster.apply(svc(c))
            wait_for(lambda: store.snapshot().stale_since is None, 10, "the stale mark to clear")
            wait_for(lambda: not store_diff(lab_cluster, store, kinds), 10 - (time.monotonic() - t_ready),
                     "the store to equal the API within 10 s of the apiserver being ready")
            t_match = time.monotonic() - t_ready
            snap = store.snapshot()
            assert snap.get("Service", NS, b) is None and snap.get("Service", NS, c) is not None
            assert snap.get("Service", NS, a)["metadata"]["labels"]["k8snet.test/note"] == \
                "changed-right-after-the-restart"
            assert not run.errors, run.errors
            print(f"stale after {t_stale:.1f} s; outage {t_ready - t_stop:.1f} s; "
                  f"store equal to the API {t_match:.1f} s after ready; sleeps "
                  + ", ".join(f"{k}: {[round(s, 2) for _, s in v]}" for k, v in run.sleeps.items()))

        # The retries backed off: per kind, the n-th delay lies in [ceiling/2, ceiling] with
        # ceiling = min(60, 1 s * 2**n) (equal jitter), and they were not all the same number.
        firsts = []
        for kind, sleeps in run.sleeps.items():
            if kind == API_SERVER.kind:
                continue  # the health check's steady 5 s interval
            delays = [s for at, s in sleeps if t_stop <= at <= t_ready]
            assert delays, f"{kind} never slept during the outage"
            assert len(delays) >= 2, f"{kind}: only {delays}"
            for n, d in enumerate(delays):
                ceiling = min(BACKOFF_MAX, 2.0 ** n)
                assert ceiling / 2 <= d <= ceiling, f"{kind}: delay {n} was {d:.2f} s, ceiling {ceiling}"
            firsts.append(delays[0])
        assert len(set(firsts)) == len(firsts), f"no jitter between watchers: {firsts}"
    finally:
        if stopped:
            lab_cluster.start_apiserver()
        cleanup(lab_cluster, (a, b, c))


def test_backoff_tops_out_at_60_seconds_with_jitter():
    """The same Backoff over a long outage (no cluster needed for the arithmetic)."""
    b = Backoff()
    delays = [b.next_delay() for _ in range(2000)]
    assert all(0.5 <= d <= 60.0 for d in delays)
    assert min(delays[10:]) >= 30.0  # capped ceiling reached and kept, never collapsing to 0
    assert len({round(d, 6) for d in delays[10:]}) > 100  # jittered

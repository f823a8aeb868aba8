"""Issue 2's live app, driven with Pilot against the real cluster: a LiveSession over LiveApi
(admin kubeconfig, node-1's probe) lists the lab's Services, follows a new one, shows
"STALE" (since when) while the API server is down (keys keep working) and recovers when it is back.

The cluster is put back as it was: the added Service is deleted, the API server restarted.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from k8snet_tui.widgets.resource_table import ResourceTable
from k8snet_tui.widgets.status_bar import StatusBar

from tests.cluster import live_reads

pytestmark = pytest.mark.cluster

NEW_SVC = {"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": "k8snet-app-live", "namespace": "default"},
           "spec": {"selector": {"app": "website"}, "ports": [{"name": "http", "port": 8081, "targetPort": 80}]}}


def rows(app) -> set[str]:
    return {row.key.value for row in app.query_one("#svc-table", ResourceTable).ordered_rows}


def backend_of(app, key: str) -> str:
    return str(app.query_one("#svc-table", ResourceTable).get_row(key)[-1]).strip()


def header(app) -> str:
    return app.query_one(StatusBar).render().plain


def pane_title(app) -> str:
    return header(app).rsplit("│", 1)[-1].strip()


def api_services(cluster) -> set[str]:
    return {f"{s['metadata']['namespace']}/{s['metadata']['name']}"
            for s in cluster.api.get("/api/v1/services")["items"]}


async def until(pilot, cond, timeout, what):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await pilot.pause(0.2)
    return time.monotonic()


@pytest.fixture
def live_app(lab_cluster, monkeypatch, tmp_path):
    return live_reads.live_app(lab_cluster, monkeypatch, tmp_path)


async def test_live_app_follows_the_cluster_and_survives_an_api_outage(lab_cluster, live_app):
    app = live_app
    added = stopped = False
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            t0 = time.monotonic()
            await until(pilot, lambda: "default/website" in rows(app), 10, "default/website in the table")
            print(f"first rows after {time.monotonic() - t0:.1f} s")
            assert "LIVE" in header(app) and "STALE" not in header(app), header(app)
            await until(pilot, lambda: rows(app) == api_services(lab_cluster), 10, "every Service")
            # the node poller ran the probe in node-1's namespace: the backend is known
            await until(pilot, lambda: app.observed.nodes.get("node-1") is not None, 10, "node-1's state")
            await until(pilot, lambda: backend_of(app, "default/website") == lab_cluster.kube_proxy_mode, 10,
                        "the backend column to name the kube-proxy mode")

            lab_cluster.apply(NEW_SVC)
            added = True
            t1 = time.monotonic()
            await until(pilot, lambda: "default/k8snet-app-live" in rows(app), 10, "the new Service's row")
            print(f"new Service row after {time.monotonic() - t1:.1f} s")

            await asyncio.to_thread(lab_cluster.stop_apiserver)
            stopped = True
            t2 = time.monotonic()
            # "STALE since HH:MM:SS", or "STALE HH:MM:SS" when the header needs its short words
            await until(pilot, lambda: "STALE " in header(app), 10, "the STALE badge")
            print(f"STALE after {time.monotonic() - t2:.1f} s: {header(app)!r}")
            # keys still work while the API is down
            for key in ("3", "6", "4"):
                await pilot.press(key)
                await pilot.pause(0.2)
                assert pane_title(app).startswith(f"{key} "), header(app)
            assert "default/website" in rows(app)  # the last known rows stay

            # delete while the API is down is impossible; do it right after it is back
            await asyncio.to_thread(lab_cluster.start_apiserver)
            stopped = False
            lab_cluster.delete("Service", "k8snet-app-live", "default")
            added = False
            t3 = time.monotonic()
            await until(pilot, lambda: "STALE" not in header(app), 45, "the STALE badge to clear")
            print(f"fresh again {time.monotonic() - t3:.1f} s after the API server was back")
            await until(pilot, lambda: rows(app) == api_services(lab_cluster), 15, "rows to match the API again")
            assert "default/k8snet-app-live" not in rows(app)
            assert "LIVE" in header(app)
    finally:
        if stopped:
            lab_cluster.start_apiserver()
        if added:
            lab_cluster.delete("Service", "k8snet-app-live", "default")

"""Progressive rows: on a big cluster the Services table shows its first screenful while the
whole table is still being built, then every row. The whole build is held on an Event, so
what the screen shows in between is deterministic (no timings)."""

from __future__ import annotations

import threading
from dataclasses import replace
from types import MappingProxyType

from k8snet_tui.app import make_app
from k8snet_tui.collect.session import SnapshotSession
from k8snet_tui.config import Settings
from k8snet_tui.screens import base
from k8snet_tui.screens import services as services_screen
from k8snet_tui.screens.services import FIRST_ROWS, ServicesPane
from k8snet_tui.sources.snapshot import load_snapshot
from k8snet_tui.widgets.resource_table import ResourceTable

from tests.support.paths import LAB_PRINTED
from tests.ui.conftest import screen_text, screen_words, settle

EXTRA = 600


def _service(i: int) -> dict:
    return {"kind": "Service", "metadata": {"name": f"svc-{i:04d}", "namespace": "bulk", "uid": f"uid-bulk-{i}"},
            "spec": {"type": "ClusterIP", "clusterIP": f"10.97.{i // 250}.{i % 250 + 1}",
                     "ports": [{"port": 80, "protocol": "TCP"}]}}


def _app(tmp_path, monkeypatch):
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(base, "INLINE_OBJECTS", -1)  # builds in a worker, as on a big cluster
    monkeypatch.setattr(base, "INLINE_BUILD_S", -1.0)
    snap = load_snapshot(str(LAB_PRINTED))
    objects = dict(snap.cluster.objects)
    objects["Service"] = (*objects["Service"], *(_service(i) for i in range(EXTRA)))
    snap = replace(snap, cluster=replace(snap.cluster, objects=MappingProxyType(objects)))
    return make_app(Settings(offline=True), SnapshotSession(snap), start_pane="services",
                    save_dir=str(tmp_path / "saved"))


async def test_the_first_screenful_comes_before_the_whole_table(tmp_path, monkeypatch):
    release, held = threading.Event(), threading.Event()
    whole = services_screen.service_rows

    def service_rows(*args):
        held.set()
        assert release.wait(20), "the test never released the whole build"
        return whole(*args)

    monkeypatch.setattr(services_screen, "service_rows", service_rows)
    app = _app(tmp_path, monkeypatch)
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.query_one("#svc-table", ResourceTable)
        for _ in range(200):
            await pilot.pause(0.02)
            if held.is_set() and table.row_count:
                break
        await pilot.pause()
        assert held.is_set() and app.query_one(ServicesPane).building  # the whole table is not built yet
        assert table.row_count == FIRST_ROWS
        words = screen_words(app)
        assert f"the first {FIRST_ROWS} of {EXTRA + 3:,} services; the rest are being read" in words
        assert "svc-0000" in words and "svc-0001" in words  # the top of the sorted table

        release.set()
        await app.query_one(ServicesPane).wait_built()
        await settle(pilot)
        assert table.row_count == EXTRA + 3
        assert "the rest are being read" not in screen_words(app)
        await pilot.press("end")
        await settle(pilot)
        assert "kube-dns" in screen_text(app)  # kube-system sorts last: the bottom of the whole table


async def test_a_small_table_comes_whole(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await app.query_one(ServicesPane).wait_built()
        await settle(pilot)
        assert app.query_one("#svc-table", ResourceTable).row_count == 3
        assert "the rest are being read" not in screen_words(app)

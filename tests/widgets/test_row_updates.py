"""Row-level table updates: under a stream of pod updates the pods pane redraws only the rows
whose pods changed, and a changed row far down the list (outside the width sample) widens its
column. The app runs on a store the test writes into, as watchers would."""

from __future__ import annotations

import copy

from k8snet_tui.app import make_app
from k8snet_tui.collect.store import Store
from k8snet_tui.config import Settings
from k8snet_tui.domain.model import Observed
from k8snet_tui.screens.pods import PodNetworkPane
from k8snet_tui.sources.snapshot import load_snapshot
from k8snet_tui.widgets.resource_table import ResourceTable

from tests.support.paths import LAB_PRINTED
from tests.ui.conftest import screen_lines, screen_text, settle

EXTRA_PODS = 3000  # more than the table's width sample (1,000 rows)


class StoreSession:
    """A live session whose objects are a real Store's (the test is the watcher)."""

    mode = "live"
    banner = ""
    label = "LIVE store"
    pod_logs = None
    watchers = ()
    poller = None

    def __init__(self, store: Store, snapshot) -> None:
        self.store = store
        self.snapshot = snapshot

    @property
    def version(self) -> int:
        return self.store.version

    def observed(self) -> Observed:
        snap = self.snapshot
        return Observed(cluster=self.store.snapshot(), nodes=snap.nodes, local_node=snap.local_node, mode="live")

    def with_namespace(self, namespace: str | None) -> None:
        self.store.set_namespace(namespace)


def _pod(template: dict, i: int) -> dict:
    pod = copy.deepcopy(template)
    name = f"bulk-{i:05d}"
    pod["metadata"].update(name=name, namespace="bulk", uid=f"uid-{name}")
    ip = f"10.9.{i // 250}.{i % 250 + 1}"
    pod["status"].update(podIP=ip, podIPs=[{"ip": ip}])
    return pod


def _app(tmp_path, monkeypatch):
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    snap = load_snapshot(str(LAB_PRINTED))
    store = Store()
    for kind, objs in snap.cluster.objects.items():
        store.replace_kind(kind, objs)
    template = next(p for p in snap.cluster.of("Pod") if p["status"].get("podIP"))
    store.apply_many("Pod", [("ADDED", _pod(template, i)) for i in range(EXTRA_PODS)])
    app = make_app(Settings(offline=True), StoreSession(store, snap), start_pane="pods",
                   save_dir=str(tmp_path / "saved"))
    return app, store


def _modified(store: Store, name: str, **status) -> None:
    pod = next(p for p in store.snapshot().of("Pod") if p["metadata"]["name"] == name)
    pod = {**pod, "status": {**pod["status"], **status}, "spec": dict(pod["spec"])}
    store.apply("Pod", "MODIFIED", pod)


async def _new_data(app, pilot) -> None:
    app.refresh_data()  # what the app's once-a-second tick does when the store's version moved
    await app.query_one(PodNetworkPane).wait_built()
    await settle(pilot)


async def test_one_pod_update_redraws_only_its_row(tmp_path, monkeypatch):
    app, store = _app(tmp_path, monkeypatch)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.query_one(PodNetworkPane).wait_built()
        await settle(pilot)
        table = app.query_one("#pods-table", ResourceTable)
        assert table.row_count == EXTRA_PODS + 4
        shown = [line for line in screen_lines(app) if "bulk-0000" in line]
        assert shown and all("Running" in line for line in shown), screen_text(app)
        drawn = table.rows_rendered

        _modified(store, "bulk-00003", phase="Failed")
        await _new_data(app, pilot)

        line = next(line for line in screen_lines(app) if "bulk-00003" in line)
        assert "Failed" in line
        assert next(line for line in screen_lines(app) if "bulk-00004" in line).count("Running") == 1
        assert table.row_count == EXTRA_PODS + 4
        # Only the changed row became new segments; every other row on screen kept its drawing
        # (before, each build gave every pod new cells and the whole screen was drawn again).
        assert table.rows_rendered - drawn == 1


async def test_a_changed_row_outside_the_width_sample_widens_its_column(tmp_path, monkeypatch):
    app, store = _app(tmp_path, monkeypatch)
    async with app.run_test(size=(200, 30)) as pilot:
        await app.query_one(PodNetworkPane).wait_built()
        await settle(pilot)
        long_phase = "Phase-" + "x" * 40  # wider than any phase in the sample
        _modified(store, "bulk-02222", phase=long_phase)  # row ~2,226: not one the sample measures
        await _new_data(app, pilot)
        await pilot.press("slash", *"bulk-02222", "enter")
        await settle(pilot)
        line = next(line for line in screen_lines(app) if "bulk-02222" in line and "10.9.8.223" in line)  # the row
        assert long_phase in line, line  # the whole cell, not cut short with …


def test_prepared_widths_widen_with_changed_rows_and_are_measured_afresh_when_all_change():
    from k8snet_tui.widgets.resource_table import prepare_rows

    rows = [(f"k{i}", ("a" * 3, str(i))) for i in range(5000)]
    first = prepare_rows(["name", "n"], rows)
    assert first.widths == (4, 4) and first.changed == 5000
    wide = rows[:4000] + [("k4000", ("b" * 30, "4000"))] + rows[4001:]  # outside the width sample
    second = prepare_rows(["name", "n"], wide, first)
    assert second.changed == 1 and second.widths == (30, 4)
    back = prepare_rows(["name", "n"], rows, second)
    assert back.changed == 1 and back.widths == (30, 4)  # no narrowing while rows keep changing
    fresh = prepare_rows(["name", "n"], [(f"x{i}", ("c", "1")) for i in range(10)], back)
    assert fresh.changed == 10 and fresh.widths == (4, 1)  # all new rows: measured afresh

"""SVG snapshots of every pane at 120x40 on the bundled lab snapshot.

They catch layout regressions a behaviour test would miss (a column that vanishes, a drawer
that covers the table). Review a changed SVG by eye, then accept it with
`./scripts/test tests/snapshots --snapshot-update`.
"""

from __future__ import annotations

import pytest

from k8snet_tui.app import make_app
from k8snet_tui.collect.session import SnapshotSession
from k8snet_tui.config import Settings
from k8snet_tui.sources.snapshot import load_snapshot

PANES = [("1", "internet"), ("2", "host"), ("3", "pods"), ("4", "services"), ("5", "dns"), ("6", "ingress")]


def lab_app():
    snap = load_snapshot("lab")
    # A fixed banner: the real one names how the snapshot was opened, which tests vary.
    return make_app(Settings(offline=True), SnapshotSession(snap, banner="SNAPSHOT lab (test)"))


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize("key, pane", PANES, ids=[p for _, p in PANES])
def test_pane(snap_compare, monkeypatch, tmp_path, key, pane):
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("K8SNET_OFFLINE", "1")

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)

    assert snap_compare(lab_app(), terminal_size=(120, 40), run_before=run_before)


def test_services_trace_with_explain_drawer(snap_compare, monkeypatch, tmp_path):
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("K8SNET_OFFLINE", "1")

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("colon", *"trace default/website", "enter")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)

    assert snap_compare(lab_app(), terminal_size=(120, 40), run_before=run_before)


def test_high_contrast_theme_at_80x24(snap_compare, monkeypatch, tmp_path):
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    snap = load_snapshot("lab")
    app = make_app(Settings(offline=True, theme="high-contrast"), SnapshotSession(snap, banner="SNAPSHOT lab (test)"))

    async def run_before(pilot):
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)

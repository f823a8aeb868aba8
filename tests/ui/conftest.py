"""Fixtures for driving the real app with Textual's Pilot, on snapshots, never on a live cluster."""

from __future__ import annotations

import pytest

from k8snet_tui.app import make_app
from k8snet_tui.collect.session import SnapshotSession
from k8snet_tui.config import Settings
from k8snet_tui.runtime import snapshot_banner
from k8snet_tui.sources.snapshot import load_snapshot

from tests.support.paths import LAB_PRINTED  # the facts the UI tests check come from the lab text


@pytest.fixture
def make_lab_app(tmp_path, monkeypatch):
    """Build the app on a snapshot (the lab's printed output by default); the user's own config never leaks in."""
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("K8SNET_OFFLINE", "1")

    def build(settings: Settings | None = None, snapshot: str = str(LAB_PRINTED), **kwargs):
        snap = load_snapshot(snapshot)
        session = SnapshotSession(snap, banner=snapshot_banner(snap, "opened by a test"))
        return make_app(settings or Settings(offline=True), session, save_dir=str(tmp_path / "saved"), **kwargs)

    return build

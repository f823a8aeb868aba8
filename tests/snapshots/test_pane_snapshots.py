"""SVG snapshots of every pane at 80x24 and 120x40, default and high-contrast, on the bundled lab.

They catch layout regressions a behaviour test would miss (a column that vanishes at 80
columns, a drawer that covers the table, a theme that loses the cursor). Review a changed SVG
by eye, then accept it with `./scripts/test tests/snapshots --snapshot-update`.
"""

from __future__ import annotations

import pytest

from k8snet_tui.app import make_app
from k8snet_tui.collect.session import SnapshotSession
from k8snet_tui.config import Settings
from k8snet_tui.registry import PANES
from k8snet_tui.sources.snapshot import load_snapshot

SIZES = [(80, 24), (120, 40)]
THEMES = ["default", "high-contrast"]


def lab_app(theme: str = "default"):
    snap = load_snapshot("lab")
    # A fixed banner: the real one names how the snapshot was opened, which tests vary.
    return make_app(Settings(offline=True, theme=theme), SnapshotSession(snap, banner="SNAPSHOT lab (test)"))


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.fixture(autouse=True)
def no_user_config(monkeypatch, tmp_path):
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("K8SNET_OFFLINE", "1")


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("pane", [p.id for p in PANES])
def test_pane(snap_compare, pane, size, theme):
    key = next(p.key for p in PANES if p.id == pane)

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)

    assert snap_compare(lab_app(theme), terminal_size=size, run_before=run_before)


def test_services_trace_with_explain_drawer(snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("colon", *"trace default/website", "enter")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)

    assert snap_compare(lab_app(), terminal_size=(120, 40), run_before=run_before)


def test_help_at_80x24(snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(lab_app(), terminal_size=(80, 24), run_before=run_before)

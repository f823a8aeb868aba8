"""While the TUI runs the collector's young collections are rare and cheap and full ones rarer
(collect/gc_policy.py: at 30k pods each full one stopped the loop for 0.1-0.9 s); after the app
ends the process has its own thresholds back."""

from __future__ import annotations

import gc

from k8snet_tui.collect.gc_policy import THRESHOLDS, calm


def test_calm_sets_and_restores_the_thresholds() -> None:
    before = gc.get_threshold()
    restore = calm()
    try:
        assert gc.get_threshold() == THRESHOLDS
        assert THRESHOLDS[0] > 10 * before[0] and THRESHOLDS[2] > before[2]
    finally:
        restore()
    assert gc.get_threshold() == before


async def test_the_app_runs_with_the_calm_thresholds_and_gives_them_back(make_lab_app) -> None:
    before = gc.get_threshold()
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert gc.get_threshold() == THRESHOLDS
        await pilot.press("q")
    assert gc.get_threshold() == before

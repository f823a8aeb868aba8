"""The command palette finds what the `:` words and pane keys do, by name (read from the screen).

A user test typed "check" in ctrl+p and got "No matches found": the config vs kernel check was
only `:check` and `!` on panes 3 and 4.
"""

from __future__ import annotations

from pathlib import Path

from tests.ui.conftest import press_and_settle, screen_words, settle

LAB = Path(__file__).resolve().parents[2] / "k8snet_tui" / "data" / "lab"


async def until_words(pilot, words: str, tries: int = 40) -> str:
    """The palette searches in a worker: until `words` are on screen."""
    for _ in range(tries):
        await settle(pilot)
        shown = screen_words(pilot.app)
        if words in shown:
            return shown
        await pilot.pause(0.05)
    raise AssertionError(f"{words!r} never shown: {screen_words(pilot.app)}")


async def test_typing_check_in_the_palette_finds_and_runs_the_config_vs_kernel_check(make_lab_app):
    app = make_lab_app(snapshot=str(LAB))
    async with app.run_test(size=(80, 24)) as pilot:
        await press_and_settle(pilot, "1")
        await press_and_settle(pilot, "ctrl+p", *"check")
        shown = await until_words(pilot, "Config vs kernel check: kube-proxy")
        assert "No matches found" not in shown and "Config vs kernel check pane 3" in shown, shown
        await press_and_settle(pilot, "enter")  # the first match: pane 3's
        words = await until_words(pilot, "Config vs kernel (tunnel, pod CIDRs)")  # pane 3's details
        assert "3 Pod network" in words and "node-1" in words, words


async def test_the_palettes_kube_proxy_check_opens_pane_4s_details(make_lab_app):
    app = make_lab_app(snapshot=str(LAB))
    async with app.run_test(size=(80, 24)) as pilot:
        await press_and_settle(pilot, "1")
        await press_and_settle(pilot, "ctrl+p", *"check: kube-proxy")
        await until_words(pilot, "Config vs kernel check: kube-proxy")
        await press_and_settle(pilot, "enter")
        words = await until_words(pilot, "config.conf mode: iptables")
        assert "4 Services" in words and "✓ node-1: ConfigMap kube-system/kube-proxy" in words, words
        assert app.is_running

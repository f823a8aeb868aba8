"""Pane 6's tester on the lab's public address names the node behind it (the cloud facts: 1:1 NAT
from 203.0.113.84 to node-1's 172.31.24.84), as pane 1 shows that mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.conftest import screen_words, settle

LAB = Path(__file__).resolve().parents[2] / "k8snet_tui" / "data" / "lab"


@pytest.mark.asyncio
async def test_tester_names_the_node_behind_the_public_address(make_lab_app):
    app = make_lab_app(snapshot=str(LAB))
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press(*"http://203.0.113.84:31211/engine", "enter")
        await settle(pilot)
        words = screen_words(app)
        assert "203.0.113.84 is the public address of Node node-1" in words, words
        assert "(NAT) to 172.31.24.84, that node's own address" in words, words
        assert "not a node address" not in words, words

"""The guided lab's tunnel question (1.4) answers from the CNI's settings; when a node's kernel
shows otherwise (no VXLAN device, the other node's pod CIDR routed straight out) the answer says
so, instead of telling a class that the packets are wrapped."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from k8snet_tui.cli import main
from k8snet_tui.sources.snapshot import bundled_lab_path

from tests import lab_roles as roles
from tests.ui.conftest import lab_answer_words, settle


def _without_tunnel_device(tmp_path: Path) -> Path:
    """A copy of the lab whose captured node has no VXLAN device (the config still says tunnel)."""
    snap = tmp_path / "lab"
    shutil.copytree(bundled_lab_path(), snap)
    node = snap / "nodes" / roles.captured_node()
    for name in ("ip-link.json", "ip-addr.json"):
        links = json.loads((node / name).read_text())
        kept = [x for x in links if (x.get("linkinfo") or {}).get("info_kind") != "vxlan"
                and not str(x.get("ifname", "")).startswith("cilium_vxlan")]
        (node / name).write_text(json.dumps(kept))
    return snap


async def _tunnel_answer(make_lab_app, snapshot: str) -> str:
    app = make_lab_app(snapshot=snapshot)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"lab 1.4", "enter")
        return await lab_answer_words(pilot, app, must="Tunnel:")


async def test_the_tunnel_answer_says_when_the_kernel_disagrees(make_lab_app, tmp_path):
    words = await _tunnel_answer(make_lab_app, str(_without_tunnel_device(tmp_path)))
    assert "LAB 1.4" in words and "Tunnel: vxlan" in words  # the settings are still said
    assert "But the kernel disagrees" in words and "config≠kernel" in words
    assert "! on pane 3 or k8snet check lists them" in words


async def test_the_tunnel_answer_names_a_disagreement_only_when_check_finds_one(make_lab_app, capsys):
    disagrees = main(["check", "--snapshot", "lab"]) == 5
    capsys.readouterr()
    words = await _tunnel_answer(make_lab_app, str(bundled_lab_path()))
    assert ("But the kernel disagrees" in words) == disagrees

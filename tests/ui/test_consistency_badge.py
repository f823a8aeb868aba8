"""The config vs kernel findings where a user looks: pane 3's section bar and pane 4's header
carry a ✗ badge, `!` opens the details. On a copy of the bundled lab whose node-1 lost its
cilium_vxlan device (cilium-config says VXLAN), on a copy whose kube-proxy ConfigMap says
nftables while node-1 holds iptables-legacy rules, and none on the lab itself, which agrees."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.ui.conftest import press_and_settle, screen_words

LAB = Path(__file__).resolve().parents[2] / "k8snet_tui" / "data" / "lab"


async def test_pod_network_pane_badges_a_lab_without_its_vxlan_device(make_lab_app, tmp_path):
    snap = tmp_path / "snap"
    shutil.copytree(LAB, snap)
    for dump in ("ip-link.json", "ip-addr.json"):  # both list the devices
        path = snap / "nodes" / "node-1" / dump
        path.write_text(json.dumps([lk for lk in json.loads(path.read_text()) if lk.get("ifname") != "cilium_vxlan"]))
    app = make_lab_app(snapshot=str(snap))
    async with app.run_test(size=(80, 24)) as pilot:
        await press_and_settle(pilot, "3")
        assert "✗ 1 config≠kernel (!)" in screen_words(app)
        await press_and_settle(pilot, "exclamation_mark")
        words = screen_words(app)
        assert "Config vs kernel (tunnel, pod CIDRs)" in words
        assert "no cilium_vxlan device" in words and "check next:" in words


async def test_pod_network_pane_shows_no_badge_on_the_lab(make_lab_app):
    app = make_lab_app(snapshot=str(LAB))
    async with app.run_test(size=(80, 24)) as pilot:
        await press_and_settle(pilot, "3")
        assert "config≠kernel" not in screen_words(app)


async def test_services_header_badges_a_mode_disagreement_and_bang_toggles_details(make_lab_app, tmp_path):
    snap = tmp_path / "snap"
    shutil.copytree(LAB, snap)
    path = snap / "api" / "configmaps.json"
    doc = json.loads(path.read_text())
    for cm in doc["items"] if isinstance(doc, dict) else doc:
        if cm["metadata"]["name"] == "kube-proxy":
            cm["data"]["config.conf"] = cm["data"]["config.conf"].replace("mode: iptables", "mode: nftables")
    path.write_text(json.dumps(doc))
    app = make_lab_app(snapshot=str(snap))
    async with app.run_test(size=(80, 24)) as pilot:
        await press_and_settle(pilot, "4")
        assert "✗ 1 config≠kernel (!)" in screen_words(app)
        await press_and_settle(pilot, "exclamation_mark")
        words = screen_words(app)
        assert "config.conf mode: nftables" in words and "holds nat KUBE-SERVICES rules (iptables-legacy)" in words
        await press_and_settle(pilot, "exclamation_mark")
        assert "config.conf mode: nftables" not in screen_words(app)


async def test_services_header_has_no_badge_when_the_mode_agrees(make_lab_app):
    app = make_lab_app(snapshot=str(LAB))
    async with app.run_test(size=(80, 24)) as pilot:
        await press_and_settle(pilot, "4")
        assert "config≠kernel" not in screen_words(app)
        await press_and_settle(pilot, "exclamation_mark")
        assert "✓ node-1: ConfigMap kube-system/kube-proxy config.conf mode: iptables" in screen_words(app)


async def test_colon_check_opens_the_details_from_anywhere(make_lab_app):
    app = make_lab_app(snapshot=str(LAB))
    async with app.run_test(size=(80, 24)) as pilot:
        await press_and_settle(pilot, "1")
        await press_and_settle(pilot, "colon", *"check", "enter")
        words = screen_words(app)
        assert "3 Pod network" in words and "Config vs kernel (tunnel, pod CIDRs)" in words
        await press_and_settle(pilot, "colon", *"check proxy", "enter")
        words = screen_words(app)
        assert "4 Services" in words and "✓ node-1: ConfigMap kube-system/kube-proxy config.conf mode: iptables" in words

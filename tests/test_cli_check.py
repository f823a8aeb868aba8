"""`k8snet check`: exit 5 on a disagreement, 0 when nothing disagrees, text that names the finding.

The bundled lab agrees with itself; a copy whose node-1 routes node-2's pod CIDR natively (while
the cilium-config says VXLAN) disagrees. The last snapshot is the bundled lab copied with its cilium-config removed: nothing then
promises a tunnel, node-1's real routes reach node-2's pod CIDR, and kube-proxy's real rules match
its ConfigMap, so nothing disagrees (the checks that cannot be made are listed, and do not fail it).
"""

from __future__ import annotations

import io
import json
import re
import shutil
import sys
from pathlib import Path

from k8snet_tui.cli import main

LAB = Path(__file__).resolve().parents[1] / "k8snet_tui" / "data" / "lab"


def test_check_on_the_lab_exits_0_and_says_why_it_agrees(capsys):
    # The lab is captured with Cilium's tunnel layout built for real: config and kernel agree.
    assert main(["check", "--snapshot", "lab"]) == 0
    out = capsys.readouterr().out
    assert "✓ node-1: remote-pod-cidr" in out and "dev cilium_host" in out
    assert "? node-2: node-state" in out  # not read, so not checked: never "consistent"


def test_check_on_a_lab_routed_natively_exits_5_and_names_the_finding(tmp_path, capsys):
    snap = tmp_path / "snap"
    shutil.copytree(LAB, snap)
    routes_file = snap / "nodes" / "node-1" / "ip-route.json"
    routes = json.loads(routes_file.read_text())
    for r in routes:
        if r.get("dst") == "10.0.1.0/24":  # node-2's pods, sent unwrapped instead of through the tunnel
            r.update({"gateway": "172.31.24.122", "dev": "eth0"})
            r.pop("prefsrc", None)
    routes_file.write_text(json.dumps(routes))
    assert main(["check", "--snapshot", str(snap)]) == 5
    out = capsys.readouterr().out
    assert "✗ node-1: remote-pod-cidr" in out
    assert "10.0.1.0/24 via 172.31.24.122 dev eth0" in out


def test_check_exits_0_when_nothing_disagrees(tmp_path, capsys):
    snap = tmp_path / "snap"
    shutil.copytree(LAB, snap)
    path = snap / "api" / "configmaps.json"
    doc = json.loads(path.read_text())
    items = doc["items"] if isinstance(doc, dict) else doc
    kept = [c for c in items if c["metadata"]["name"] != "cilium-config"]
    path.write_text(json.dumps({**doc, "items": kept} if isinstance(doc, dict) else kept))
    assert main(["check", "--json", "--snapshot", str(snap)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["disagreements"] == 0 and printed["agreed"] > 0
    assert any(c["code"] == "tunnel-mode" and c["status"] == "not-checked" for c in printed["checks"])


class _ClosedPipe(io.StringIO):
    """stdout read by `head -1`, gone: every write fails as a closed pipe does."""

    def write(self, s: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_check_piped_into_a_reader_that_stops_early_still_exits_5(tmp_path, monkeypatch):
    """`k8snet check | head -3` in a script with pipefail: the disagreement must not become exit 0."""
    snap = tmp_path / "snap"
    shutil.copytree(LAB, snap)
    path = snap / "api" / "configmaps.json"
    doc = json.loads(path.read_text())
    for cm in doc["items"] if isinstance(doc, dict) else doc:
        if cm["metadata"]["name"] == "kube-proxy":  # the lab's kube-proxy writes iptables rules
            cm["data"] = {k: re.sub(r"mode:\s*\S*", "mode: nftables", v, count=1) for k, v in cm["data"].items()}
    path.write_text(json.dumps(doc))
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert main(["check", "--snapshot", str(snap)]) == 5
    monkeypatch.undo()
    assert main(["check", "--json", "--snapshot", str(snap)]) == 5

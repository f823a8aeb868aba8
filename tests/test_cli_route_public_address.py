"""`k8snet route` on a node's public address: the cloud facts (cloud.json) say it is node-1's,
1:1 NAT to its own address, and the answer names that node and that address. Without the cloud
facts the address stays unknown and the answer says it assumes a node (NAT'd public IPs)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from k8snet_tui.cli import main

LAB = Path(__file__).resolve().parents[1] / "k8snet_tui" / "data" / "lab"
URL = "http://203.0.113.84:31211/engine"


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    monkeypatch.setenv("KUBECONFIG", "/nonexistent")


def test_route_names_the_node_behind_the_public_address(capsys):
    assert main(["route", URL, "--snapshot", str(LAB)]) == 0
    out = capsys.readouterr().out
    assert "203.0.113.84 is the public address of Node node-1" in out, out
    assert "1:1 (NAT) to 172.31.24.84, that node's own address" in out, out
    assert "not a node address" not in out, out


def test_without_cloud_facts_the_address_stays_unknown(tmp_path, capsys):
    lab = tmp_path / "lab"
    shutil.copytree(LAB, lab)
    (lab / "cloud.json").unlink()
    assert main(["route", URL, "--snapshot", str(lab)]) == 0
    out = capsys.readouterr().out
    assert "203.0.113.84 is not a node address the API reports" in out, out
    assert "public address of Node" not in out, out


def test_a_public_address_of_no_node_stays_unknown(tmp_path, capsys):
    """The cloud's private address must be a node's: cloud facts of another host name no node."""
    lab = tmp_path / "lab"
    shutil.copytree(LAB, lab)
    cloud = (lab / "cloud.json").read_text(encoding="utf-8").replace("172.31.24.84", "172.31.99.99")
    (lab / "cloud.json").write_text(cloud, encoding="utf-8")
    assert main(["route", URL, "--snapshot", str(lab)]) == 0
    out = capsys.readouterr().out
    assert "203.0.113.84 is not a node address the API reports" in out, out

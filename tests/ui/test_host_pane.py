"""Pane 2 (Host/VPC), driven by keys on the lab snapshot and on tmp copies of it."""

from __future__ import annotations

import json
import shutil

import pytest

from k8snet_tui.app import make_app
from k8snet_tui.config import Settings
from k8snet_tui.screens.host import HostPane
from k8snet_tui.sources import reachability
from k8snet_tui.sources.reachability import Check
from k8snet_tui.sources.snapshot import load_snapshot
from k8snet_tui.widgets.resource_table import ResourceTable

from tests.support.fakes import LiveLikeSession
from tests.support.paths import LAB_PRINTED

NODE_DIR = "nodes/ip-172-31-24-84"


def lab_copy(tmp_path):
    snap = tmp_path / "snap"
    shutil.copytree(LAB_PRINTED, snap)
    return snap


def pane(app) -> HostPane:
    return app.query_one(HostPane)


def rows(app, table_id: str) -> dict[str, list[str]]:
    table = app.query_one(f"#{table_id}", ResourceTable)
    lines = table.plain_text().splitlines()[1:]
    return {line.split("\t")[0]: line.split("\t") for line in lines}


@pytest.fixture
def fake_ping(monkeypatch):
    calls: list[str] = []

    def ping(ip, timeout, netns):
        calls.append(ip)
        return Check(True, "answered ping")

    monkeypatch.setattr(reachability, "_ping", ping)
    return calls


async def test_lab_interfaces_with_address_classes(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("2")
        await pilot.pause()
        ifaces = rows(app, "host-ifaces")
        assert ifaces["ens5"] == ["ens5", "physical", "UP", "9001", "06:26:53:92:f4:7c", "172.31.24.84/20 rfc1918"]
        assert ifaces["lo"][-1] == "127.0.0.1/8 loopback"
        assert app.focused is app.query_one("#host-ifaces")


async def test_lab_nodes_routes_and_sections_by_key(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("2", "right_square_bracket")
        await pilot.pause()
        assert pane(app).section == "routes"
        text = pane(app).plain_text()
        assert "unknown: no routes were read" in text  # the lab snapshot has addresses only
        assert "10.0.0.0/24 of ip-172-31-24-84 (this node)" in text
        await pilot.press("right_square_bracket", "right_square_bracket")
        await pilot.pause()
        assert pane(app).section == "nodes"
        assert app.focused is app.query_one("#host-nodes")
        node = rows(app, "host-nodes")["ip-172-31-24-84 (this node)"]
        assert node[1:5] == ["172.31.24.84", "ens5 172.31.24.84/20", "—", "ip-172-31-24-84"]
        await pilot.press("right_square_bracket")  # wraps round
        await pilot.pause()
        assert pane(app).section == "ifaces"
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert pane(app).section == "nodes"
        await pilot.press("escape")  # back to the main section
        await pilot.pause()
        assert pane(app).section == "ifaces"


async def test_routes_neighbours_and_pod_cidr_words(make_lab_app, tmp_path):
    snap = lab_copy(tmp_path)
    node = snap / NODE_DIR
    (node / "ip-route.json").write_text(json.dumps([
        {"dst": "default", "gateway": "172.31.16.1", "dev": "ens5", "protocol": "dhcp", "metric": 100},
        {"dst": "172.31.16.0/20", "dev": "ens5", "protocol": "kernel", "scope": "link", "prefsrc": "172.31.24.84"},
        {"dst": "10.0.0.0/24", "gateway": "10.0.0.126", "dev": "cilium_host", "protocol": "kernel"},
        {"type": "local", "dst": "172.31.24.84", "dev": "ens5", "table": "local", "protocol": "kernel"},
    ]))
    (node / "ip-rule.json").write_text(json.dumps([
        {"priority": 0, "src": "all", "table": "local"}, {"priority": 32766, "src": "all", "table": "main"}]))
    (node / "ip-neigh.json").write_text(json.dumps([
        {"dst": "172.31.16.1", "dev": "ens5", "lladdr": "06:aa:bb:cc:dd:ee", "state": ["REACHABLE"]}]))
    addrs = json.loads((node / "ip-addr.json").read_text())
    addrs.append({"ifindex": 5, "ifname": "cilium_host", "mtu": 9001, "operstate": "UP", "link_type": "ether",
                  "linkinfo": {"info_kind": "veth"}, "address": "aa:bb:cc:00:00:01",
                  "addr_info": [{"family": "inet", "local": "10.0.0.126", "prefixlen": 32, "scope": "link"}]})
    (node / "ip-addr.json").write_text(json.dumps(addrs))
    app = make_lab_app(snapshot=str(snap))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("2")
        await pilot.pause()
        text = pane(app).plain_text()
        assert "via: 172.31.16.1 dev ens5" in text
        assert "10.0.0.0/24 via 10.0.0.126 dev cilium_host" in text
        assert "cilium_host, where Cilium's eBPF programs deliver or tunnel it" in text
        assert "Main routing table (3)" in text and "Other tables (1)" in text
        assert "32766: from all lookup main" in text
        assert rows(app, "host-neigh")["172.31.16.1"] == ["172.31.16.1", "ens5", "06:aa:bb:cc:dd:ee", "REACHABLE",
                                                          "default gateway"]
        assert "cilium_host" in rows(app, "host-ifaces")


async def test_no_kernel_state_says_so_with_the_command(make_lab_app, tmp_path):
    snap = lab_copy(tmp_path)
    for name in ("ip-addr.json", "iptables-save.txt"):
        (snap / NODE_DIR / name).unlink()
    app = make_lab_app(snapshot=str(snap))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("2")
        await pilot.pause()
        summary = app.query_one("#host-summary").render()
        assert "no kernel state was read" in str(summary)
        assert "sudo k8snet probe" in str(summary)
        assert rows(app, "host-ifaces") == {}
        svg = app.export_screenshot().replace("&#160;", " ")
        # The whole hint is on screen, its last word (wrapped to its own line at 80 columns) too.
        assert "sudo k8snet probe" in svg and ">snapshot.<" in svg
        # The API's nodes are still there.
        assert "ip-172-31-24-84" in pane(app).plain_text()


async def test_filter_narrows_the_tables(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("2", "slash", *"ens")
        await pilot.pause()
        assert list(rows(app, "host-ifaces")) == ["ens5"]
        await pilot.press("escape")
        await pilot.pause()
        assert set(rows(app, "host-ifaces")) == {"lo", "ens5"}


async def test_p_in_a_snapshot_pings_nothing(make_lab_app, fake_ping):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("2", "p")  # first p: to the Nodes section
        await pilot.pause()
        assert pane(app).section == "nodes"
        await pilot.press("p")
        await pilot.pause(0.2)
        assert fake_ping == []
        assert "not pinged: this is a snapshot" in pane(app).plain_text()


async def test_p_in_a_live_session_pings_the_node_host_ip(tmp_path, monkeypatch, fake_ping):
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "no-config.toml"))
    app = make_app(Settings(offline=True), LiveLikeSession(load_snapshot(LAB_PRINTED)), save_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("2")
        await pilot.pause()
        assert fake_ping == []  # never without the key
        await pilot.press("p", "p")
        for _ in range(40):
            await pilot.pause(0.05)
            if "✓ ok" in pane(app).plain_text():
                break
        assert fake_ping == ["172.31.24.84"]
        assert "ping ip-172-31-24-84 (172.31.24.84) from this node: ✓ ok: answered ping" in pane(app).plain_text()


async def test_a_real_ping_to_loopback(tmp_path, monkeypatch):
    """A node whose InternalIP is 127.0.0.1: the real ping runs (or says in words why it cannot)."""
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "no-config.toml"))
    snap = lab_copy(tmp_path)
    nodes = json.loads((snap / "api/nodes.json").read_text())
    for addr in nodes["items"][0]["status"]["addresses"]:
        if addr["type"] == "InternalIP":
            addr["address"] = "127.0.0.1"
    (snap / "api/nodes.json").write_text(json.dumps(nodes))
    app = make_app(Settings(offline=True), LiveLikeSession(load_snapshot(snap)), save_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("2", "p", "p")
        for _ in range(120):
            await pilot.pause(0.05)
            if "from this node:" in pane(app).plain_text():
                break
        text = pane(app).plain_text()
        assert "ping ip-172-31-24-84 (127.0.0.1) from this node:" in text
        if shutil.which("ping"):
            assert "✓ ok: answered ping" in text or "✗ failed" in text  # no CAP_NET_RAW: a failure in words
        else:
            assert "ping is not installed" in text


async def test_host_pane_fits_80x24(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("2")
        await pilot.pause()
        table = app.query_one("#host-ifaces")
        assert table.region.height >= 8 and table.region.right <= 80 and table.region.bottom <= 24
        svg = app.export_screenshot().replace("&#160;", " ")
        assert "172.31.24.84/20 rfc1918" in svg
        assert "Interfaces" in svg and "Nodes" in svg  # the section bar names every section
        for section in ("host-sec-routes", "host-sec-neigh", "host-sec-nodes"):
            await pilot.press("right_square_bracket")
            await pilot.pause()
            shown = app.query_one(f"#{section}")
            assert shown.display and shown.region.height >= 8 and shown.region.bottom <= 24
            assert app.focused is not None and section in [a.id for a in app.focused.ancestors_with_self]

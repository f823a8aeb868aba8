"""Pane 3 (Pod network), driven by keys on the lab snapshot and on tmp copies of it; and the
hostile-strings walk over panes 1-3."""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from k8snet_tui.app import make_app
from k8snet_tui.config import Settings
from k8snet_tui.screens.host import HostPane
from k8snet_tui.screens.internet import InternetPane
from k8snet_tui.screens.pods import PodNetworkPane
from k8snet_tui.sources.snapshot import load_snapshot
from k8snet_tui.widgets.resource_table import ResourceTable

from tests.support.fakes import LiveLikeSession
from tests.support.paths import LAB_PRINTED

NODE_DIR = "nodes/ip-172-31-24-84"


def lab_copy(tmp_path):
    snap = tmp_path / "snap"
    shutil.copytree(LAB_PRINTED, snap)
    return snap


def pane(app) -> PodNetworkPane:
    return app.query_one(PodNetworkPane)


def table(app) -> ResourceTable:
    return app.query_one("#pods-table", ResourceTable)


def names(app) -> list[str]:
    return [line.split("\t")[1] for line in table(app).plain_text().splitlines()[1:]]


async def test_lab_pods_ranges_and_cni(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("3")
        await pilot.pause()
        websites = [line.split("\t") for line in table(app).plain_text().splitlines() if "website-" in line]
        assert len(websites) == 3
        assert all(cells[2].startswith("10.0.0.") and cells[3] == "ip-172-31-24-84" for cells in websites)
        assert all(cells[4:7] == ["no", "Running", "yes"] for cells in websites)
        text = pane(app).plain_text()
        assert "10.0.0.0/8  from ConfigMap kube-system/cilium-config cluster-pool-ipv4-cidr" in text
        assert "each node gets a /24" in text
        assert "pool: 10.0.0.0/8, per-node mask /24" in text
        assert "ip-172-31-24-84: 10.0.0.0/24  from Node spec.podCIDRs" in text
        assert "likeliest: Cilium" in text and "evidence: ConfigMap kube-system/cilium-config" in text
        assert "IPAM mode: cluster-pool" in text
        assert "routing: tunnel: vxlan on UDP 8472" in text
        assert "kube-proxy replacement: disabled: kube-proxy still handles Services" in text
        assert "0000 1010  0000 0000" in text  # the pool in binary


async def test_filter_narrows_the_pods(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("3", "slash", *"coredns")
        await pilot.pause()
        assert names(app) == ["coredns-6d4b75cb6d-fzsbw"]
        await pilot.press("escape")
        await pilot.pause()
        assert len(names(app)) == 4
        await pilot.press("colon", *"pods website", "enter")  # `:pods NAME` filters too
        await pilot.pause()
        assert len(names(app)) == 3 and all(n.startswith("website-") for n in names(app))


async def test_two_pods_on_one_node_talk_through_the_kernel(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("3", "enter")
        await pilot.pause()
        assert pane(app).picked == "default/website-5746f499f-f967r"
        assert "A = default/website-5746f499f-f967r" in str(app.query_one("#pods-detail").render())
        await pilot.press("down", "enter")
        await pilot.pause()
        path = pane(app).path
        assert (path.kind, path.mechanism) == ("same-node", "kernel")
        assert pane(app).section == "path"
        text = pane(app).plain_text()
        assert "mechanism: through the node's kernel (same node)" in text
        assert "routes 10.0.0.1 to the other pod's veth" in text
        await pilot.press("escape")
        await pilot.pause()
        assert pane(app).section == "list" and pane(app).picked is None


async def test_two_pods_on_two_nodes_go_through_the_vxlan_overlay(make_lab_app, tmp_path):
    snap = lab_copy(tmp_path)
    pods = json.loads((snap / "api/pods.json").read_text())
    pods["items"][1]["spec"]["nodeName"] = "ip-172-31-24-122"
    (snap / "api/pods.json").write_text(json.dumps(pods))
    nodes = json.loads((snap / "api/nodes.json").read_text())
    other = json.loads(json.dumps(nodes["items"][0]))
    other["metadata"]["name"] = "ip-172-31-24-122"
    other["metadata"]["uid"] = "other-node"
    other["status"]["addresses"] = [{"type": "InternalIP", "address": "172.31.24.122"}]
    nodes["items"].append(other)
    (snap / "api/nodes.json").write_text(json.dumps(nodes))
    app = make_lab_app(snapshot=str(snap))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("3", "enter", "down", "enter")
        await pilot.pause()
        path = pane(app).path
        assert (path.kind, path.mechanism, path.udp_port) == ("cross-node", "overlay", 8472)
        assert "mechanism: overlay: vxlan on UDP 8472" in pane(app).plain_text()
        assert "outer 172.31.24.84 -> 172.31.24.122" in pane(app).plain_text()


async def test_c_in_a_snapshot_checks_nothing(make_lab_app, monkeypatch):
    calls = []
    monkeypatch.setattr("k8snet_tui.sources.reachability.check_pod", lambda *a, **k: calls.append(a))
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("3", "c")
        await pilot.pause(0.2)
        assert calls == []
        assert "not checked: this is a snapshot" in str(app.query_one("#pods-detail").render())


@pytest.fixture
def web_server():
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield server.server_port
    server.shutdown()
    server.server_close()


async def test_c_in_a_live_session_pings_and_gets_the_first_port(tmp_path, monkeypatch, web_server):
    """The first website pod is moved to 127.0.0.1 and its port to a server of ours; the second
    pod keeps port 80 on 127.0.0.2, where nothing listens: a clean failure in words."""
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "no-config.toml"))
    snap = lab_copy(tmp_path)
    pods = json.loads((snap / "api/pods.json").read_text())
    for item, ip in zip(pods["items"][:2], ("127.0.0.1", "127.0.0.2"), strict=True):
        item["status"]["podIP"] = ip
        item["status"]["podIPs"] = [{"ip": ip}]
    pods["items"][0]["spec"]["containers"][0]["ports"] = [{"containerPort": web_server, "protocol": "TCP"}]
    (snap / "api/pods.json").write_text(json.dumps(pods))
    app = make_app(Settings(offline=True), LiveLikeSession(load_snapshot(snap)), save_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("3", "c")
        detail = app.query_one("#pods-detail")
        for _ in range(100):
            await pilot.pause(0.05)
            if "HTTP GET" in str(detail.render()):
                break
        words = str(detail.render())
        assert f"HTTP GET :{web_server} ✓ ok: HTTP 200" in words
        await pilot.press("down", "c")
        for _ in range(100):
            await pilot.pause(0.05)
            if "127.0.0.2" in str(detail.render()) and "HTTP GET" in str(detail.render()):
                break
        words = str(detail.render())
        assert "HTTP GET :80 ✗ failed: connection refused" in words


async def test_pods_pane_fits_80x24_and_saves_every_section(make_lab_app, tmp_path):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("3")
        await pilot.pause()
        tbl = table(app)
        assert app.focused is tbl
        assert tbl.region.height >= 6 and tbl.region.right <= 80 and tbl.region.bottom <= 24
        detail = app.query_one("#pods-detail")
        assert detail.region.height >= 1 and detail.region.bottom <= 23
        svg = app.export_screenshot().replace("&#160;", " ")
        assert svg.count("website-5746f499f-") >= 3 and "10.0.0.177" in svg
        await pilot.press("right_square_bracket")
        await pilot.pause()
        ranges = app.query_one("#pods-sec-ranges")
        assert ranges.display and ranges.region.height >= 8 and app.focused is ranges
        await pilot.press("ctrl+s")
        await pilot.pause()
    saved = next((tmp_path / "saved").glob("*.txt")).read_text()
    assert "website-5746f499f-f967r" in saved and "10.0.0.0/8" in saved and "Cilium" in saved


# -- hostile strings ---------------------------------------------------------------------------------

HOSTILE = "[bold red]x[/] [link=http://e]x [ \x1b[31mred \x1b]8;;http://e\x07osc\x1b]8;;\x07 a\rb \u202erev \u200bzw"
SHOWN = "[bold red]x[/] [link=http://e]x [ \ufffd[31mred \ufffd]8;;http://e\ufffdosc\ufffd]8;;\ufffd a\ufffdb \ufffdrev \ufffdzw"


async def test_hostile_strings_show_inert_on_panes_1_to_3(make_lab_app, tmp_path):
    snap = lab_copy(tmp_path)
    pods = json.loads((snap / "api/pods.json").read_text())
    pods["items"][0]["metadata"]["name"] = HOSTILE
    pods["items"][0]["metadata"]["labels"] = {"app": HOSTILE}
    (snap / "api/pods.json").write_text(json.dumps(pods))
    addrs = json.loads((snap / NODE_DIR / "ip-addr.json").read_text())
    addrs[1]["ifname"] = HOSTILE
    (snap / NODE_DIR / "ip-addr.json").write_text(json.dumps(addrs))
    app = make_lab_app(snapshot=str(snap))
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        shots = []
        for key in "123":
            await pilot.press(key)
            await pilot.pause()
            shots.append(app.export_screenshot())
        # Pod name and label: in the table and in the detail line of the (first, selected) pod.
        shown = table(app)
        cells = [row for row in (shown.get_row(k) for k in shown.keys) if SHOWN in row[1].plain]
        assert len(cells) == 1
        assert all("link" not in str(span.style) for cell in cells[0] for span in cell.spans)
        detail = app.query_one("#pods-detail").render()
        assert f"app={SHOWN}" in str(detail) and f"default/{SHOWN}" in str(detail)
        assert f"default/{SHOWN}" in pane(app).plain_text()
        # The pod path names it inert too.
        await pilot.press("enter", "down", "enter")
        await pilot.pause()
        assert f"default/{SHOWN}" in pane(app).plain_text()
        shots.append(app.export_screenshot())
        # The interface: in the host table and in the Internet pane's host addresses.
        host_rows = app.query_one(HostPane).query_one("#host-ifaces", ResourceTable).plain_text()
        assert f"{SHOWN}\tphysical" in host_rows
        assert f"{SHOWN} 172.31.24.84/20 rfc1918" in app.query_one(InternetPane).plain_text()
    for shot in shots:
        assert "\x1b" not in shot and "\u202e" not in shot and "\u200b" not in shot and "\r" not in shot
        assert 'href="http://e"' not in shot
    plain = [shot.replace("&#160;", " ") for shot in shots]
    assert "[bold" in plain[2] and "[link=http://e]x" in plain[2]  # shown as typed, not obeyed
    assert "[link=http://e]x" in plain[1]

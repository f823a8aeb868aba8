"""Pane 1 (Internet), driven by keys: the snapshot's facts, and a fake live session whose cloud
metadata service and echo service are emulators on 127.0.0.1 that count what they are asked.

An autouse guard fails any connection that is not to loopback, so neither a real metadata
address nor a real echo service can be reached from here.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from k8snet_tui.app import make_app
from k8snet_tui.config import Settings
from k8snet_tui.screens.internet import ASKING, InternetPane
from k8snet_tui.sources.snapshot import load_snapshot

from tests.support.fakes import LiveLikeSession
from tests.support.paths import LAB_PRINTED

PUBLIC = "18.185.35.194"
TOKEN = "AQAEAFakeToken_abc=="


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch, tmp_path):
    real = socket.create_connection

    def guarded(address, *args, **kwargs):
        host = str(address[0])
        if not (host == "localhost" or host.startswith("127.")):
            raise AssertionError(f"test tried to reach {host}")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded)
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "no-config.toml"))
    for name in ("K8SNET_METADATA_URL", "K8SNET_ECHO_URLS", "http_proxy", "HTTP_PROXY", "https_proxy",
                 "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


class Emulator:
    """A cloud metadata service (AWS-shaped, IMDSv2) and an echo service on one loopback port."""

    def __init__(self, outbound: str = PUBLIC) -> None:
        self.requests: list[tuple[str, str]] = []
        self.hold = threading.Event()
        self.hold.set()  # cleared: answers wait until it is set again
        emu = self
        meta = "/latest/meta-data/"
        routes = {
            ("PUT", "/latest/api/token"): TOKEN,
            ("GET", meta + "instance-id"): "i-0123456789abcdef0",
            ("GET", meta + "public-ipv4"): PUBLIC,
            ("GET", meta + "local-ipv4"): "172.31.24.84",
            ("GET", meta + "placement/region"): "eu-central-1",
            ("GET", meta + "placement/availability-zone"): "eu-central-1a",
            ("GET", "/ip"): outbound,
        }

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self):
                emu.requests.append((self.command, self.path))
                emu.hold.wait(10)
                body = routes.get((self.command, self.path))
                if self.path.startswith(meta) and self.headers.get("X-aws-ec2-metadata-token") != TOKEN:
                    body = None
                data = (body or "not found").encode()
                try:
                    self.send_response(200 if body else 404)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

            do_GET = do_PUT = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def metadata_requests(self) -> list[tuple[str, str]]:
        return [r for r in self.requests if r[1] != "/ip"]

    def echo_requests(self) -> list[tuple[str, str]]:
        return [r for r in self.requests if r[1] == "/ip"]

    def close(self) -> None:
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def emulator():
    emu = Emulator()
    yield emu
    emu.close()


def live_app(emu: Emulator | None, tmp_path, *, offline: bool = False, metadata_url: str | None = None):
    settings = Settings(offline=offline, metadata_url=metadata_url or (emu.url if emu else None),
                        echo_urls=(f"{emu.url}/ip",) if emu else ())
    return make_app(settings, LiveLikeSession(load_snapshot(LAB_PRINTED)), save_dir=str(tmp_path / "saved"))


def pane(app) -> InternetPane:
    return app.query_one(InternetPane)


async def wait_for(pilot, condition, seconds: float = 6.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await pilot.pause(0.05)


# -- snapshot ----------------------------------------------------------------------------------------


async def test_lab_snapshot_shows_public_address_and_1to1_nat_without_asking(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("1")
        await pilot.pause()
        text = pane(app).plain_text()
        assert f"public IPv4: {PUBLIC}" in text
        assert "aws (Amazon Web Services)" in text
        assert "1:1 NAT" in text
        assert "ens5 172.31.24.84/20 rfc1918" in text
        assert "nothing asked" in text
        assert pane(app).view.nat == "1:1"
        assert pane(app).cloud_state == "idle"  # a snapshot never starts a lookup
        await pilot.press("o", "r")
        await pilot.pause()
        assert pane(app).cloud_state == "idle" and pane(app).outbound_state == "idle"
        assert "nothing is asked" in pane(app).plain_text()


async def test_snapshot_without_cloud_json_says_so(make_lab_app, tmp_path):
    snap = tmp_path / "snap"
    shutil.copytree(LAB_PRINTED, snap)
    (snap / "cloud.json").unlink()
    app = make_lab_app(snapshot=str(snap))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("1")
        await pilot.pause()
        text = pane(app).plain_text()
        assert "not in this snapshot (it has no cloud.json)" in text
        assert PUBLIC not in text
        assert "NAT: unknown" in text


# -- live --------------------------------------------------------------------------------------------


async def test_live_asks_metadata_only_when_the_pane_is_shown(emulator, tmp_path, monkeypatch):
    monkeypatch.delenv("K8SNET_OFFLINE", raising=False)
    app = live_app(emulator, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.5)
        assert emulator.requests == []  # start-up asks nothing
        emulator.hold.clear()
        await pilot.press("1")
        await pilot.pause()
        await wait_for(pilot, lambda: emulator.metadata_requests())
        assert pane(app).cloud_state == "asking"
        assert ASKING in pane(app).plain_text()
        emulator.hold.set()
        await wait_for(pilot, lambda: pane(app).cloud_state == "done")
        text = pane(app).plain_text()
        assert f"public IPv4: {PUBLIC}" in text
        assert "i-0123456789abcdef0" in text and "eu-central-1 / eu-central-1a" in text
        assert "private IPv4 (cloud): 172.31.24.84" in text
        assert ("PUT", "/latest/api/token") in emulator.requests
        # The outbound address is a third party's to tell: not asked until `o`, and the pane says so.
        assert emulator.echo_requests() == []
        assert "tells that third party our address" in text
        assert "outbound IPv4: not asked yet" in text
        asked = len(emulator.metadata_requests())
        await pilot.press("2", "1")  # showing the pane again does not ask again
        await pilot.pause(0.3)
        assert len(emulator.metadata_requests()) == asked


async def test_live_o_asks_the_echo_service_and_compares(emulator, tmp_path, monkeypatch):
    monkeypatch.delenv("K8SNET_OFFLINE", raising=False)
    app = live_app(emulator, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("1")
        await wait_for(pilot, lambda: pane(app).cloud_state == "done")
        assert emulator.echo_requests() == []
        await pilot.press("o")
        await wait_for(pilot, lambda: pane(app).outbound_state == "done")
        assert emulator.echo_requests() == [("GET", "/ip")]
        text = pane(app).plain_text()
        assert f"outbound IPv4: {PUBLIC}" in text
        assert "NAT: 1:1 NAT" in text and "both ways" in text


async def test_live_outbound_that_differs_is_snat(tmp_path, monkeypatch):
    monkeypatch.delenv("K8SNET_OFFLINE", raising=False)
    emu = Emulator(outbound="3.120.1.1")
    try:
        app = live_app(emu, tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("1")
            await wait_for(pilot, lambda: pane(app).cloud_state == "done")
            await pilot.press("o")
            await wait_for(pilot, lambda: pane(app).outbound_state == "done")
            text = pane(app).plain_text()
            assert pane(app).view.nat == "snat"
            assert "SNAT" in text and "3.120.1.1" in text
    finally:
        emu.close()


async def test_live_r_asks_again(emulator, tmp_path, monkeypatch):
    monkeypatch.delenv("K8SNET_OFFLINE", raising=False)
    app = live_app(emulator, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("1")
        await wait_for(pilot, lambda: pane(app).cloud_state == "done")
        tokens = emulator.requests.count(("PUT", "/latest/api/token"))
        await pilot.press("r")
        await pilot.pause()
        await wait_for(pilot, lambda: pane(app).cloud_state == "done"
                       and emulator.requests.count(("PUT", "/latest/api/token")) > tokens)
        assert PUBLIC in pane(app).plain_text()


async def test_live_offline_asks_nothing_and_says_so(emulator, tmp_path, monkeypatch):
    monkeypatch.delenv("K8SNET_OFFLINE", raising=False)
    app = live_app(emulator, tmp_path, offline=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("1")
        await pilot.pause()
        await pilot.press("o")
        await pilot.pause(0.3)
        text = pane(app).plain_text()
        assert "offline (K8SNET_OFFLINE=1)" in text
        assert emulator.requests == []


async def test_live_no_metadata_service_answers_in_words(tmp_path, monkeypatch):
    monkeypatch.delenv("K8SNET_OFFLINE", raising=False)
    with socket.socket() as sock:  # a loopback port with nobody listening
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = live_app(None, tmp_path, metadata_url=closed)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        started = time.monotonic()
        await pilot.press("1")
        await wait_for(pilot, lambda: pane(app).cloud_state == "done")
        assert time.monotonic() - started < 3
        text = pane(app).plain_text()
        assert "no cloud metadata service answered" in text
        assert "public IPv4: —" in text


async def test_internet_pane_fits_80x24(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("1")
        await pilot.pause()
        facts = app.query_one("#internet-facts")
        scroll = app.query_one("#internet-scroll")
        assert scroll.region.height >= 10 and scroll.region.right <= 80 and scroll.region.bottom <= 24
        assert app.focused is scroll  # arrow keys scroll it; r and o reach the pane
        svg = app.export_screenshot().replace("&#160;", " ")
        assert PUBLIC in svg and "1:1 NAT" in svg
        await pilot.press("end")
        await pilot.pause()
        assert scroll.scroll_y == scroll.max_scroll_y
        assert facts.region.height > 0

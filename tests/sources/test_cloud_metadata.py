"""Cloud metadata and echo lookups against a local emulator on 127.0.0.1.

Every test points K8SNET_METADATA_URL at the emulator, and an autouse guard fails any attempt to
connect anywhere but loopback, so no real metadata address can ever be contacted from here.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import given
from hypothesis import strategies as st

from k8snet_tui.sources import cloud_metadata
from k8snet_tui.sources.cloud_metadata import lookup_cloud, lookup_outbound, parse_echo

TOKEN = "AQAEAFakeToken_abc=="


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    real = socket.create_connection

    def guarded(address, *args, **kwargs):
        host = address[0]
        if not (host == "localhost" or str(host).startswith("127.")):
            raise AssertionError(f"test tried to reach {host}")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded)
    monkeypatch.delenv("K8SNET_OFFLINE", raising=False)
    monkeypatch.delenv("K8SNET_ECHO_URLS", raising=False)


class Emulator:
    """One HTTP server; `routes` maps (method, path) -> (status, headers, body) or a callable."""

    def __init__(self):
        self.routes: dict = {}
        self.requests: list[tuple[str, str, dict]] = []
        self.release = threading.Event()
        self.delay = 0.0
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self):
                emulator.requests.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
                if emulator.delay:
                    emulator.release.wait(emulator.delay)
                route = emulator.routes.get((self.command, self.path))
                if callable(route):
                    route = route(self)
                status, headers, body = route or (404, {}, "not found")
                data = body.encode() if isinstance(body, str) else body
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

            do_GET = do_PUT = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def emulator(monkeypatch):
    emu = Emulator()
    monkeypatch.setenv("K8SNET_METADATA_URL", emu.url)
    yield emu
    emu.close()


def aws_routes(emu: Emulator, token_required: bool = True, public: str = "18.185.35.194"):
    def needs_token(answer):
        def handler(req):
            if token_required and req.headers.get("X-aws-ec2-metadata-token") != TOKEN:
                return 401, {}, ""
            return 200, {}, answer
        return handler

    base = "/latest/meta-data/"
    emu.routes.update({
        ("GET", base + "instance-id"): needs_token("i-0123456789abcdef0"),
        ("GET", base + "public-ipv4"): needs_token(public),
        ("GET", base + "local-ipv4"): needs_token("172.31.24.84"),
        ("GET", base + "placement/region"): needs_token("eu-central-1"),
        ("GET", base + "placement/availability-zone"): needs_token("eu-central-1a"),
    })


def test_aws_imdsv2_token_flow(emulator):
    emulator.routes[("PUT", "/latest/api/token")] = lambda req: (
        (200, {}, TOKEN) if req.headers.get("X-aws-ec2-metadata-token-ttl-seconds") else (400, {}, ""))
    aws_routes(emulator)
    facts = lookup_cloud()
    assert (facts.status, facts.provider) == ("ok", "aws")
    assert (facts.public_ipv4, facts.private_ipv4) == ("18.185.35.194", "172.31.24.84")
    assert (facts.region, facts.zone, facts.instance_id) == ("eu-central-1", "eu-central-1a", "i-0123456789abcdef0")
    aws_gets = [h for m, p, h in emulator.requests if m == "GET" and p.startswith("/latest/")]
    assert aws_gets and all(h.get("x-aws-ec2-metadata-token") == TOKEN for h in aws_gets)


def test_aws_falls_back_to_imdsv1_when_the_token_is_refused(emulator):
    emulator.routes[("PUT", "/latest/api/token")] = (403, {}, "Forbidden")
    aws_routes(emulator, token_required=False)
    facts = lookup_cloud()
    assert (facts.status, facts.provider, facts.public_ipv4) == ("ok", "aws", "18.185.35.194")
    aws_gets = [h for m, p, h in emulator.requests if m == "GET" and p.startswith("/latest/")]
    assert aws_gets and not any("x-aws-ec2-metadata-token" in h for h in aws_gets)


def test_aws_html_instead_of_an_address_is_unexpected(emulator):
    emulator.routes[("PUT", "/latest/api/token")] = (200, {}, TOKEN)
    aws_routes(emulator, public="<html><body>Login to the hotel wifi</body></html>")
    facts = lookup_cloud()
    assert facts.status == "unexpected" and facts.public_ipv4 == ""
    assert "public-ipv4" in facts.detail


def test_gcp(emulator):
    google = {"Metadata-Flavor": "Google"}

    def answer(value):
        return lambda req: (200, google, value) if req.headers.get("Metadata-Flavor") == "Google" else (403, {}, "")

    base = "/computeMetadata/v1/instance/"
    emulator.routes.update({
        ("GET", base + "id"): answer("4567890123456789012"),
        ("GET", base + "zone"): answer("projects/123456/zones/us-central1-a"),
        ("GET", base + "network-interfaces/0/ip"): answer("10.128.0.2"),
        ("GET", base + "network-interfaces/0/access-configs/0/external-ip"): answer("34.66.1.2"),
    })
    facts = lookup_cloud()
    assert (facts.status, facts.provider, facts.zone, facts.region) == ("ok", "gcp", "us-central1-a", "us-central1")
    assert (facts.public_ipv4, facts.private_ipv4) == ("34.66.1.2", "10.128.0.2")


def test_gcp_answer_without_its_header_is_not_trusted(emulator):
    emulator.routes[("GET", "/computeMetadata/v1/instance/id")] = (200, {}, "4567890123456789012")
    facts = lookup_cloud()
    assert facts.status == "unexpected" and "Metadata-Flavor" in facts.detail


def test_azure(emulator):
    doc = {"compute": {"vmId": "02aab8a4-74ef-476e-8182-f6d2ba4166a6", "location": "westeurope", "zone": "1"},
           "network": {"interface": [{"ipv4": {"ipAddress": [
               {"privateIpAddress": "10.1.0.4", "publicIpAddress": "20.50.1.2"}]}}]}}
    path = f"/metadata/instance?api-version={cloud_metadata.AZURE_API_VERSION}"
    emulator.routes[("GET", path)] = lambda req: (
        (200, {"Content-Type": "application/json"}, json.dumps(doc)) if req.headers.get("Metadata") == "true"
        else (400, {}, ""))
    facts = lookup_cloud()
    assert (facts.status, facts.provider, facts.region, facts.zone) == ("ok", "azure", "westeurope", "1")
    assert (facts.public_ipv4, facts.private_ipv4) == ("20.50.1.2", "10.1.0.4")


def test_azure_garbage_is_unexpected(emulator):
    path = f"/metadata/instance?api-version={cloud_metadata.AZURE_API_VERSION}"
    emulator.routes[("GET", path)] = (200, {}, "\x00\x01 definitely not json")
    facts = lookup_cloud()
    assert facts.status == "unexpected" and facts.provider == ""


def test_nothing_answers(emulator):
    facts = lookup_cloud()  # the emulator says 404 to everything
    assert facts.status == "no-answer"


def test_closed_port_is_no_answer(monkeypatch):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    monkeypatch.setenv("K8SNET_METADATA_URL", f"http://127.0.0.1:{port}")
    assert lookup_cloud().status == "no-answer"


def test_answers_slower_than_the_timeout_are_no_answer(emulator):
    emulator.routes[("PUT", "/latest/api/token")] = (200, {}, TOKEN)
    aws_routes(emulator)
    emulator.delay = 30  # released at teardown
    facts = lookup_cloud(timeout=0.3)
    assert facts.status == "no-answer"


def test_offline_opens_no_socket(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a socket was opened in offline mode")

    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    monkeypatch.setenv("K8SNET_METADATA_URL", "http://127.0.0.1:9")
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert lookup_cloud().status == "offline"
    assert lookup_outbound(["http://127.0.0.1:9/"]).status == "offline"


def test_not_http_base_is_reported():
    facts = lookup_cloud(base_url="ftp://127.0.0.1/")
    assert facts.status == "unexpected" and "http://" in facts.detail


@pytest.mark.parametrize("body", ["18.185.35.194\n", '{"ip": "18.185.35.194"}',
                                  "<html><head><title>Current IP Check</title></head><body>"
                                  "Current IP Address: 18.185.35.194</body></html>\r\n"])
def test_outbound_answer_shapes(emulator, body):
    emulator.routes[("GET", "/echo")] = (200, {}, body)
    out = lookup_outbound([emulator.url + "/echo"])
    assert (out.status, out.ipv4, out.source) == ("ok", "18.185.35.194", emulator.url + "/echo")


def test_outbound_skips_garbage_and_dead_services(emulator, monkeypatch):
    emulator.routes[("GET", "/bad")] = (200, {}, "<html>you are being rate limited</html>")
    emulator.routes[("GET", "/good")] = (200, {}, "203.0.113.9")
    monkeypatch.setenv("K8SNET_ECHO_URLS", f"{emulator.url}/missing,{emulator.url}/bad,{emulator.url}/good")
    out = lookup_outbound()
    assert (out.status, out.ipv4) == ("ok", "203.0.113.9")
    only_bad = lookup_outbound([emulator.url + "/bad"])
    assert only_bad.status == "unexpected" and "Current IP Address" in only_bad.detail
    assert lookup_outbound([emulator.url + "/missing"]).status == "no-answer"


@given(st.text(max_size=80))
def test_parse_echo_only_returns_ipv4(text):
    try:
        value = parse_echo(text)
    except cloud_metadata._Unexpected:
        return
    assert value.count(".") == 3 and all(p.isdigit() for p in value.split("."))

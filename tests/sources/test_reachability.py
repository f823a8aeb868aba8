"""check_pod against a web server inside a network namespace this test creates.

The root namespace and the test namespace are joined by a veth pair addressed from
198.18.0.0/15 (benchmarking space), in a /29 that overlaps no address of the root namespace.
Traffic goes only to that namespace; a guard fails any other connect.
"""

from __future__ import annotations

import ipaddress
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
import uuid

import pytest

from k8snet_tui.sources import reachability
from k8snet_tui.sources.reachability import check_pod

pytestmark = pytest.mark.root
PORT = 8080


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=20)


def _free_subnet() -> ipaddress.IPv4Network:
    used = []
    for link in json.loads(_ip("-j", "addr").stdout or "[]"):
        for info in link.get("addr_info", []):
            if info.get("family") == "inet":
                used.append(ipaddress.ip_network(f"{info['local']}/{info['prefixlen']}", strict=False))
    pool = list(ipaddress.ip_network("198.18.0.0/15").subnets(new_prefix=29))
    random.shuffle(pool)
    for candidate in pool:
        if not any(candidate.overlaps(u) for u in used):
            return candidate
    pytest.skip("no free /29 in 198.18.0.0/15")


@pytest.fixture(scope="module")
def pod_ns(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("needs root to create network namespaces")
    tag = uuid.uuid4().hex[:6]
    ns, root_end = f"k8snet-reach-{tag}", f"k8r{tag}"
    if _ip("netns", "add", ns, check=False).returncode:
        pytest.skip("cannot create network namespaces here")
    server = None
    try:
        subnet = _free_subnet()
        hosts = list(subnet.hosts())
        root_ip, pod_ip = str(hosts[0]), str(hosts[1])
        _ip("link", "add", root_end, "type", "veth", "peer", "name", "eth0", "netns", ns)
        _ip("addr", "add", f"{root_ip}/{subnet.prefixlen}", "dev", root_end)
        _ip("link", "set", root_end, "up")
        _ip("-n", ns, "addr", "add", f"{pod_ip}/{subnet.prefixlen}", "dev", "eth0")
        _ip("-n", ns, "link", "set", "eth0", "up")
        _ip("-n", ns, "link", "set", "lo", "up")
        www = tmp_path_factory.mktemp("www")
        (www / "index.html").write_text("<h1>It works!</h1>")
        server = subprocess.Popen(
            ["ip", "netns", "exec", ns, sys.executable, "-m", "http.server", str(PORT), "--bind", pod_ip,
             "--directory", str(www)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for _ in range(200):  # wait until it listens (or give up), without asserting any timing
            try:
                socket.create_connection((pod_ip, PORT), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.skip("the test web server did not start")
        yield {"ns": ns, "ip": pod_ip, "subnet": subnet}
    finally:
        if server is not None:
            server.kill()
            server.wait(timeout=10)
        _ip("netns", "del", ns, check=False)
        _ip("link", "del", root_end, check=False)


@pytest.fixture(autouse=True)
def only_our_namespace(monkeypatch, request):
    allowed = [ipaddress.ip_network("127.0.0.0/8")]
    if "pod_ns" in request.fixturenames:
        allowed.append(request.getfixturevalue("pod_ns")["subnet"])
    real = socket.create_connection

    def guarded(address, *args, **kwargs):
        if not any(ipaddress.ip_address(address[0]) in net for net in allowed):
            raise AssertionError(f"test tried to reach {address[0]}")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded)


def test_pod_with_a_web_server(pod_ns):
    result = check_pod(pod_ns["ip"], PORT)
    assert result.http.ok is True and result.http.status == 200
    if shutil.which("ping"):
        assert result.icmp.ok is True
    else:
        assert result.icmp.ok is None and "iputils-ping" in result.icmp.words
    assert json.loads(json.dumps(result.to_json()))["http"]["status"] == 200


def test_no_listener_is_a_clean_refusal(pod_ns):
    result = check_pod(pod_ns["ip"], PORT + 1)
    assert result.http.ok is False
    assert "refused" in result.http.words and str(PORT + 1) in result.http.words


def test_from_inside_the_namespace(pod_ns):
    result = check_pod(pod_ns["ip"], PORT, netns=pod_ns["ns"])
    assert result.netns == pod_ns["ns"]
    assert result.http.ok is True and result.http.status == 200
    refused = check_pod(pod_ns["ip"], PORT + 1, netns=pod_ns["ns"])
    assert refused.http.ok is False and "refused" in refused.http.words


def test_missing_ping_is_said_in_words(pod_ns, monkeypatch):
    monkeypatch.setattr(reachability.shutil, "which", lambda name: None)
    result = check_pod(pod_ns["ip"], PORT)
    assert result.icmp.ok is None and "not installed" in result.icmp.words
    assert result.http.ok is True


@pytest.mark.parametrize("ip, port, netns, words", [
    ("-f", 80, None, "not an IP address"),
    ("127.0.0.1; reboot", 80, None, "not an IP address"),
    ("127.0.0.1", 0, None, "not a TCP port"),
    ("127.0.0.1", 70000, None, "not a TCP port"),
    ("127.0.0.1", 80, "--all", "not a network namespace"),
    ("127.0.0.1", 80, "a/../b", "not a network namespace"),
])
def test_bad_input_runs_nothing(ip, port, netns, words, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a command ran for bad input")

    monkeypatch.setattr(reachability.subprocess, "run", refuse)
    result = check_pod(ip, port, netns=netns)
    assert words in result.icmp.words and result.http.ok is None

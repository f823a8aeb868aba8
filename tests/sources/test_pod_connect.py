"""connect_from_pod against real network namespaces this test creates (a veth pair between a
"pod" and a "server" namespace, a listener on the server side, a port dropped by iptables there).

Traffic goes only between the namespaces made here (198.18.0.0/15, the benchmarking range, with
a random third octet so concurrent runs do not meet).
"""

from __future__ import annotations

import json
import os
import random
import select
import shutil
import subprocess
import sys
import time
import uuid

import pytest

from k8snet_tui.probe import connect as child
from k8snet_tui.sources.pod_connect import ConnectAttempt, connect_argv, connect_from_pod, not_attempted

LISTEN, CLOSED, DROPPED = 8080, 8081, 8082
LISTENER = (
    "import socket, sys, time\n"
    "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
    "s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(16); print('up', flush=True)\n"
    "while True:\n"
    "    c, _ = s.accept(); n = 0\n"
    "    while (b := c.recv(4096)):\n"
    "        n += len(b)\n"
    "    c.close(); print('conn', n, flush=True)\n"
)
IPTABLES = next((t for t in ("iptables-nft", "iptables-legacy", "iptables") if shutil.which(t)), None)


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


class Pair:
    """Two namespaces joined by a veth: `pod` (pod_ip) and `server` (server_ip)."""

    def __init__(self) -> None:
        tag = uuid.uuid4().hex[:6]
        self.pod, self.server = f"pathlab-p-{tag}", f"pathlab-s-{tag}"
        octet = random.randrange(1, 250)
        self.pod_ip, self.server_ip = f"198.18.{octet}.1", f"198.18.{octet}.2"
        self.listener: subprocess.Popen[bytes] | None = None

    def up(self) -> None:
        for ns in (self.pod, self.server):
            _ip("netns", "add", ns)
            _ip("-n", ns, "link", "set", "lo", "up")
        _ip("-n", self.pod, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", self.server)
        _ip("-n", self.pod, "addr", "add", f"{self.pod_ip}/30", "dev", "eth0")
        _ip("-n", self.server, "addr", "add", f"{self.server_ip}/30", "dev", "eth0")
        for ns in (self.pod, self.server):
            _ip("-n", ns, "link", "set", "eth0", "up")
        subprocess.run(["ip", "netns", "exec", self.server, IPTABLES or "iptables", "-A", "INPUT", "-p", "tcp",
                        "--dport", str(DROPPED), "-j", "DROP"], check=True, capture_output=True)
        self.listener = subprocess.Popen(
            ["ip", "netns", "exec", self.server, sys.executable, "-c", LISTENER, self.server_ip, str(LISTEN)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
        assert _lines(self.listener, 30.0) == ["up"]

    def down(self) -> None:
        if self.listener is not None:
            self.listener.kill()
            self.listener.wait()
        for ns in (self.pod, self.server):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


@pytest.fixture(scope="module")
def pair():
    if os.geteuid() != 0 or shutil.which("ip") is None or IPTABLES is None:
        pytest.skip("needs root, ip netns and iptables")
    p = Pair()
    try:
        p.up()
        yield p
    finally:
        p.down()


pytestmark = pytest.mark.root


def test_a_listening_port_connects_from_the_pods_own_namespace(pair):
    before = os.readlink("/proc/self/ns/net")
    got = connect_from_pod(pair.pod_ip, pair.server_ip, LISTEN, timeout_s=2.0)
    assert got == ConnectAttempt(ok=True, error=None, elapsed_ms=got.elapsed_ms,
                                 netns=f"/run/netns/{pair.pod}", unavailable=None)
    assert got.elapsed_ms > 0
    assert os.readlink("/proc/self/ns/net") == before  # the caller never moved


def test_a_closed_port_is_refused(pair):
    got = connect_from_pod(pair.pod_ip, pair.server_ip, CLOSED, timeout_s=2.0)
    assert not got.ok and got.attempted
    assert got.error is not None and got.error.startswith("refused")
    assert got.netns == f"/run/netns/{pair.pod}"


def test_a_dropped_port_times_out(pair):
    got = connect_from_pod(pair.pod_ip, pair.server_ip, DROPPED, timeout_s=0.5)
    assert not got.ok and got.attempted
    assert got.error is not None and got.error.startswith("timed out after 0.5 s")


def test_the_connect_is_made_from_the_pod_not_from_here(pair):
    # The server's address is reachable only inside the pair: from the server's side its own
    # address is local (connects), from the root namespace there is no route at all.
    from_server = connect_from_pod(pair.server_ip, pair.server_ip, LISTEN)
    assert from_server.ok and from_server.netns == f"/run/netns/{pair.server}"
    from_pod_to_unrouted = connect_from_pod(pair.pod_ip, "198.19.255.1", LISTEN, timeout_s=0.5)
    assert not from_pod_to_unrouted.ok
    assert from_pod_to_unrouted.error is not None and from_pod_to_unrouted.error.startswith("no route")


def _lines(proc: subprocess.Popen[bytes] | None, wait: float) -> list[str]:
    """The lines the listener printed within `wait` s (then 0.3 s after each), unbuffered."""
    assert proc is not None and proc.stdout is not None
    data = b""
    while select.select([proc.stdout], [], [], wait)[0]:
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            break
        data += chunk
        wait = 0.3
    return [ln for ln in data.decode().splitlines() if ln]


def test_one_attempt_is_one_connection_that_carries_no_bytes(pair):
    _lines(pair.listener, 0.2)  # what earlier tests left
    assert connect_from_pod(pair.pod_ip, pair.server_ip, LISTEN).ok
    assert _lines(pair.listener, 5.0) == ["conn 0"]


def test_a_namespace_held_only_by_a_process_is_found_through_proc(pair):
    holder = subprocess.Popen(["unshare", "--net", "sleep", "60"])
    try:
        pid = holder.pid
        for _ in range(50):  # unshare execs sleep in the new namespace
            if os.readlink(f"/proc/{pid}/ns/net") != os.readlink("/proc/self/ns/net"):
                break
            time.sleep(0.05)
        _ip("-n", pair.server, "link", "add", "anon0", "type", "veth", "peer", "name", "anon1")
        _ip("-n", pair.server, "link", "set", "anon1", "netns", str(pid))
        anon_ip = pair.server_ip.rsplit(".", 1)[0].replace("198.18.", "198.19.") + ".1"
        server_side = pair.server_ip.rsplit(".", 1)[0].replace("198.18.", "198.19.") + ".2"
        _ip("-n", pair.server, "addr", "add", f"{server_side}/30", "dev", "anon0")
        _ip("-n", pair.server, "link", "set", "anon0", "up")
        subprocess.run(["nsenter", "-t", str(pid), "-n", "ip", "addr", "add", f"{anon_ip}/30", "dev", "anon1"],
                       check=True)
        subprocess.run(["nsenter", "-t", str(pid), "-n", "ip", "link", "set", "anon1", "up"], check=True)
        listener_ok = connect_from_pod(anon_ip, server_side, CLOSED, timeout_s=1.0)
        assert listener_ok.netns is not None and listener_ok.netns.startswith("/proc/")
        assert listener_ok.netns.endswith("/ns/net")
        assert listener_ok.error is not None and listener_ok.error.startswith("refused")
    finally:
        holder.kill()
        holder.wait()
        subprocess.run(["ip", "-n", pair.server, "link", "del", "anon0"], capture_output=True)


def test_a_point_to_point_address_matches_by_its_local_end_not_its_peer(pair):
    local = pair.pod_ip.replace("198.18.", "198.19.").rsplit(".", 1)[0] + ".5"
    peer = local.rsplit(".", 1)[0] + ".6"
    _ip("-n", pair.pod, "link", "add", "ptp0", "type", "veth", "peer", "name", "ptp1")  # no dummy module here
    try:
        _ip("-n", pair.pod, "addr", "add", local, "peer", peer, "dev", "ptp0")
        _ip("-n", pair.pod, "link", "set", "ptp0", "up")
        mine = connect_from_pod(local, pair.server_ip, CLOSED, timeout_s=1.0)
        assert mine.netns == f"/run/netns/{pair.pod}" and mine.error is not None and mine.error.startswith("refused")
        theirs = connect_from_pod(peer, pair.server_ip, CLOSED, timeout_s=1.0)
        assert theirs.unavailable is not None and "no network namespace" in theirs.unavailable
    finally:
        subprocess.run(["ip", "-n", pair.pod, "link", "del", "ptp0"], capture_output=True)


def test_an_ip_no_namespace_has_is_unavailable_with_the_reason(pair):
    got = connect_from_pod("198.19.254.254", pair.server_ip, LISTEN)
    assert not got.ok and not got.attempted and got.error is None
    assert got.unavailable is not None
    assert "no network namespace on this node has the address 198.19.254.254" in got.unavailable


@pytest.mark.parametrize(("pod_ip", "host", "port", "words"), [
    ("website.default", "10.0.0.1", 80, "not an IP address"),
    ("10.0.0.1", "website", 80, "resolve the name first"),
    ("10.0.0.1", "10.0.0.2", 0, "not a TCP port"),
    ("10.0.0.1", "10.0.0.2", 70000, "not a TCP port"),
    ("10.0.0.1\x1b[2J", "10.0.0.2", 80, "not an IP address"),
])
def test_bad_arguments_make_no_attempt(pod_ip, host, port, words):
    got = connect_from_pod(pod_ip, host, port, argv=["/nonexistent-never-started"])
    assert got.unavailable is not None and words in got.unavailable
    assert "\x1b" not in got.unavailable


@pytest.mark.parametrize("timeout", ["2", None, float("nan"), True])
def test_a_timeout_that_is_not_a_number_makes_no_attempt(timeout):
    got = connect_from_pod("10.0.0.1", "10.0.0.2", 80, timeout, argv=["/nonexistent-never-started"])
    assert got.unavailable is not None and "not a number of seconds" in got.unavailable


@pytest.mark.parametrize(("request_bytes", "words"), [
    (b"not json", "not a JSON object"),
    (b"[1]", "not a JSON object"),
    (b'{"pod_ip": "127.0.0.1", "host": "10.0.0.1", "port": 80}', "loopback"),
    (b'{"pod_ip": "10.0.0.1", "host": "224.0.0.1", "port": 80}', "not an address one connects to"),
    (b'{"pod_ip": "10.0.0.1", "host": "10.0.0.2", "port": true}', "port must be"),
    (b'{"pod_ip": "10.0.0.1", "host": "10.0.0.2", "port": 80, "timeout_s": "x"}', "timeout_s"),
    (b"{" + b" " * 5000 + b"}", "longer than 4096"),
])
def test_the_root_child_refuses_bad_requests(request_bytes, words):
    doc = child.attempt(request_bytes, run_netns="/nonexistent", proc="/nonexistent")
    assert doc["unavailable"] is not None and words in str(doc["unavailable"])
    assert doc["ok"] is False and doc["netns"] is None


def test_the_real_child_reads_a_capped_stdin_and_answers_one_line():
    proc = subprocess.run([*connect_argv()], input=b"x" * 100_000, capture_output=True, cwd="/",
                          env={"PATH": "/usr/bin:/bin"}, timeout=60)
    doc = json.loads(proc.stdout)
    assert proc.stdout.count(b"\n") == 1
    assert doc["format"] == "k8snet.connect/v1" and "longer than 4096" in doc["unavailable"]


def _helper(tmp_path, body: str) -> list[str]:
    script = tmp_path / "helper.py"
    script.write_text(body)
    return [sys.executable, "-I", str(script)]


def test_a_helper_printing_garbage_or_too_much_is_unavailable_not_a_crash(tmp_path):
    got = connect_from_pod("10.0.0.1", "10.0.0.2", 80, argv=_helper(tmp_path, "print('\\x1b[31mhello')"))
    assert got.unavailable is not None and "printed no answer" in got.unavailable
    assert "\x1b" not in got.unavailable
    big = connect_from_pod("10.0.0.1", "10.0.0.2", 80, argv=_helper(tmp_path, "print('x' * 100000)"))
    assert big.unavailable is not None and "more than 16384 bytes" in big.unavailable


def test_an_answer_of_the_wrong_shape_is_cleaned_and_typed(tmp_path):
    answer = {"format": "k8snet.connect/v1", "ok": "yes", "error": "refused\x1b]0;pwned\x07" + "y" * 1000,
              "elapsed_ms": True, "netns": ["x"], "unavailable": None}
    got = connect_from_pod("10.0.0.1", "10.0.0.2", 80,
                           argv=_helper(tmp_path, f"print({json.dumps(json.dumps(answer))})"))
    assert got.ok is False and got.elapsed_ms == 0.0 and got.netns is None
    assert got.error is not None and got.error.startswith("refused") and "\x1b" not in got.error
    assert len(got.error) <= 400


def test_not_root_says_which_sudoers_rule_to_add(tmp_path):
    code = ("from k8snet_tui.sources.pod_connect import connect_from_pod\n"
            "print(connect_from_pod('10.0.0.1', '10.0.0.2', 80).unavailable)\n")
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root (to drop to nobody) and setpriv")
    proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                           sys.executable, "-I", "-c", code], capture_output=True, text=True, cwd="/",
                          env={"PATH": "/usr/bin:/bin", "HOME": "/"}, timeout=60)
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr
    assert f"{sys.executable} -I -m k8snet_tui.probe.connect" in out
    assert "sudoers" in out and ("sudo is not installed" in out or "sudo -n refused" in out)


def test_the_child_as_nobody_refuses_with_the_root_message():
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root (to drop to nobody) and setpriv")
    proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                           *connect_argv()], input=b"{}", capture_output=True, cwd="/",
                          env={"PATH": "/usr/bin:/bin"}, timeout=60)
    assert proc.returncode == 2
    assert "needs root" in json.loads(proc.stdout)["unavailable"]


def test_not_attempted_cleans_its_reason():
    got = not_attempted("snapshot\x1b[2J here")
    assert got.unavailable == "snapshot\ufffd[2J here" and not got.ok and not got.attempted



def test_the_runner_hands_a_small_request_on_stdin_and_refuses_a_big_one():
    from k8snet_tui.probe.runner import STDIN_MAX, run

    assert run(["cat"], timeout=10, max_bytes=100, stdin_bytes=b"request").stdout == b"request"
    assert run(["cat"], timeout=10, max_bytes=100).stdout == b""  # no request: /dev/null
    with pytest.raises(ValueError, match="more than"):
        run(["cat"], timeout=10, max_bytes=100, stdin_bytes=b"x" * (STDIN_MAX + 1))


def test_without_cap_sys_admin_the_answer_says_namespaces_could_not_be_entered(pair):
    # root, but as in a container given only NET_ADMIN and NET_RAW: setns is refused
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv")
    argv = ["setpriv", "--inh-caps=-sys_admin", "--bounding-set=-sys_admin", *connect_argv()]
    got = connect_from_pod(pair.pod_ip, pair.server_ip, LISTEN, argv=argv)
    assert not got.ok and got.unavailable is not None
    assert "could not be entered or read: Operation not permitted" in got.unavailable
    assert "CAP_SYS_ADMIN" in got.unavailable

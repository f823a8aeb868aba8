"""Can this host reach a pod? One ping and one HTTP GET, each failure put in words.

The lab tests the pod network with `ping` and `wget` from a client pod; this does the same from
the node (or from inside a named network namespace). Commands run with a fixed argv and no
shell; the address and namespace name are validated first so neither can smuggle in an option.
"""

from __future__ import annotations

import errno
import http.client
import json
import math
import re
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass

from ..domain.layers.cidr import parse_address
from ..domain.sanitize import clean

_NETNS = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class Check:
    """One probe's outcome. JSON: ok (true/false, null when not tried), words, status (HTTP code)."""

    ok: bool | None
    words: str
    status: int | None = None

    def to_json(self) -> dict:
        return {"ok": self.ok, "words": self.words, "status": self.status}


@dataclass(frozen=True)
class Reachability:
    """`check_pod` answer. JSON: ip, port, netns, icmp, http (each a Check)."""

    ip: str
    port: int
    netns: str
    icmp: Check
    http: Check

    def to_json(self) -> dict:
        return {"ip": self.ip, "port": self.port, "netns": self.netns,
                "icmp": self.icmp.to_json(), "http": self.http.to_json()}


def _in_netns(netns: str | None, argv: list[str]) -> list[str]:
    return ["ip", "netns", "exec", netns, *argv] if netns else argv


def _ping(ip: str, timeout: float, netns: str | None) -> Check:
    if shutil.which("ping") is None:
        return Check(None, "ping is not installed (Debian/Ubuntu package iputils-ping)")
    wait = max(1, math.ceil(timeout))
    argv = _in_netns(netns, ["ping", "-n", "-c1", f"-W{wait}", ip])
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=wait + 5, check=False)
    except subprocess.TimeoutExpired:
        return Check(False, f"ping did not finish within {wait + 5} s")
    except OSError as exc:
        return Check(None, f"could not run ping: {clean(exc)}")
    if done.returncode == 0:
        return Check(True, "answered ping")
    if done.returncode == 1:
        return Check(False, f"no reply to ping within {wait} s (the host is down, or ICMP is filtered)")
    reason = clean((done.stderr or done.stdout).strip().splitlines()[-1] if (done.stderr or done.stdout).strip() else "")
    return Check(False, f"ping failed: {reason or f'exit status {done.returncode}'}")


def _http_words(exc: BaseException, port: int, timeout: float) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused: the address is there but nothing listens on port {port}"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return f"no answer within {timeout:g} s (packets dropped or filtered on the way)"
    if isinstance(exc, http.client.HTTPException):
        return f"port {port} answered, but not with HTTP"
    if isinstance(exc, OSError) and exc.errno == errno.EHOSTUNREACH:
        return "no route to host (nothing answered ARP/NDP, or a reject rule)"
    if isinstance(exc, OSError) and exc.errno == errno.ENETUNREACH:
        return "network unreachable: no route to this address from here"
    if isinstance(exc, ConnectionResetError):
        return f"connection reset on port {port}"
    return f"HTTP GET failed: {clean(exc) or type(exc).__name__}"


def http_get(ip: str, port: int, timeout: float) -> Check:
    """GET / from the current network namespace; any HTTP status counts as reachable."""
    host = f"[{ip}]" if ":" in ip else ip
    conn = http.client.HTTPConnection(ip, port, timeout=timeout)
    try:
        conn.request("GET", "/", headers={"Host": f"{host}:{port}", "User-Agent": "k8snet"})
        resp = conn.getresponse()
        resp.read(4096)
        return Check(True, f"HTTP {resp.status} {clean(resp.reason)}", resp.status)
    except (OSError, http.client.HTTPException) as exc:
        return Check(False, _http_words(exc, port, timeout))
    finally:
        conn.close()


def _http_in_netns(ip: str, port: int, timeout: float, netns: str) -> Check:
    # A socket cannot be opened in another namespace from here without setns, so a short-lived
    # copy of this module runs there and prints its Check as JSON.
    argv = _in_netns(netns, [sys.executable, "-m", "k8snet_tui.sources.reachability", ip, str(port), repr(timeout)])
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout + 10, check=False)
    except subprocess.TimeoutExpired:
        return Check(False, "the check inside the namespace did not finish")
    except OSError as exc:
        return Check(None, f"could not enter namespace {netns}: {clean(exc)}")
    try:
        doc = json.loads(done.stdout)
        return Check(doc["ok"] if isinstance(doc["ok"], bool) else None, clean(doc["words"]),
                     doc["status"] if isinstance(doc["status"], int) else None)
    except (ValueError, KeyError, TypeError):
        return Check(None, f"could not check from namespace {netns}: {clean(done.stderr.strip()[:200])}")


def check_pod(ip: str, port: int, timeout: float = 1.0, netns: str | None = None) -> Reachability:
    """Ping `ip` once and GET http://ip:port/, from this namespace or from `netns`."""
    addr = parse_address(ip) if isinstance(ip, str) and "/" not in ip else None
    valid_port = isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536
    name = netns or ""
    bad = ""
    if addr is None:
        bad = f"not an IP address: {clean(ip)!r}"
    elif not valid_port:
        bad = f"not a TCP port: {clean(port)!r}"
    elif netns is not None and not _NETNS.fullmatch(netns):
        bad = f"not a network namespace name: {clean(netns)!r}"
    if bad:
        return Reachability(clean(ip), port if valid_port else 0, clean(name), Check(None, bad), Check(None, bad))
    text = str(addr)
    icmp = _ping(text, timeout, netns)
    web = _http_in_netns(text, port, timeout, netns) if netns else http_get(text, port, timeout)
    return Reachability(text, port, name, icmp, web)


def _main(argv: list[str]) -> int:
    ip, port, timeout = argv[0], int(argv[1]), float(argv[2])
    if parse_address(ip) is None:
        return 2
    print(json.dumps(http_get(ip, port, timeout).to_json()))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))

"""One real TCP connection attempt from a pod's network namespace on this node, read-only.

The app never enters a namespace itself: it starts `PYTHON -I -m k8snet_tui.probe.connect` (as
root directly, else through `sudo -n`, like the node probe) in `/` with only `PATH` and `LANG`,
hands it the request on stdin and reads one JSON line back, capped and with a deadline. That
child finds the namespace holding the pod's IP, makes one TCP connect and closes it
(k8snet_tui/probe/connect.py). Everything it answers is checked and cleaned here.

`error` starts with one of: "refused", "timed out", "no route", "not permitted", "reset", or the
system's own words; `unavailable` says why no attempt was made and what to do.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import sys
from dataclasses import dataclass

from k8snet_tui.domain.sanitize import clean
from k8snet_tui.probe.connect import FORMAT, SCAN_BUDGET_S, TIMEOUT_RANGE
from k8snet_tui.probe.runner import CHILD_ENV, CmdResult, python_module_argv, run

CONNECT_MODULE = "k8snet_tui.probe.connect"
OUTPUT_CAP = 16 * 1024  # the answer is one short line
TEXT_CAP = 400  # characters kept of any text in the answer
STARTUP_S = 8.0  # an interpreter start under load, on top of the scan and the connect

SNAPSHOT = ("this is a snapshot: there is no live node to connect from; open the live cluster "
            "on the pod's node to try the connection")


@dataclass(frozen=True)
class ConnectAttempt:
    ok: bool
    error: str | None  # why the connect failed, in words; None when it succeeded or none was made
    elapsed_ms: float
    netns: str | None  # the namespace the connect ran in: /run/netns/NAME or /proc/PID/ns/net
    unavailable: str | None  # why no attempt could be made, and what to do

    @property
    def attempted(self) -> bool:
        return self.unavailable is None


def not_attempted(reason: str) -> ConnectAttempt:
    """An attempt that was not made (a snapshot, a pod with no IP...), with the reason."""
    return ConnectAttempt(ok=False, error=None, elapsed_ms=0.0, netns=None, unavailable=clean(reason)[:TEXT_CAP])


def connect_argv() -> list[str]:
    """The exact command started: a sudoers rule can name it (no arguments; the request is stdin)."""
    argv = python_module_argv(sys.executable, CONNECT_MODULE)
    return argv if os.geteuid() == 0 else ["sudo", "-n", *argv]


def _sudoers_hint() -> str:
    return (f"give your user the sudoers rule `USER ALL=(root) NOPASSWD: {sys.executable} -I -m "
            f"{CONNECT_MODULE}` (a root-owned install, as docs/security.md says for the probe), "
            "or run k8snet as root on the pod's node")


def _address_problem(value: object, what: str) -> str | None:
    if not isinstance(value, str):
        return f"{what} is not an address"
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return f"{what} {clean(value)[:80]!r} is not an IP address (resolve the name first)"
    return None


def connect_from_pod(pod_ip: str, host: str, port: int, timeout_s: float = 2.0, *,
                     argv: list[str] | None = None) -> ConnectAttempt:
    """Try one TCP connection to `host:port` from the network namespace of the pod with `pod_ip`.

    Blocking (at most about `timeout_s` + 13 s): call it off the UI thread. Never raises for
    anything the node or the child does. `argv` replaces the command (tests).
    """
    problem = _address_problem(pod_ip, "the pod IP") or _address_problem(host, "the destination")
    if problem is None and (isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535):
        problem = f"port {clean(port)[:20]} is not a TCP port (1 to 65535)"
    if problem is None and (isinstance(timeout_s, bool) or not isinstance(timeout_s, (int, float))
                            or timeout_s != timeout_s):
        problem = f"timeout {clean(timeout_s)[:20]} is not a number of seconds"
    if problem is not None:
        return not_attempted(problem)
    timeout = min(max(float(timeout_s), TIMEOUT_RANGE[0]), TIMEOUT_RANGE[1])
    if argv is None:
        argv = connect_argv()
        if argv[0] == "sudo" and shutil.which("sudo", path=CHILD_ENV["PATH"]) is None:
            return not_attempted(f"not root, and sudo is not installed: {_sudoers_hint()}")
    request = json.dumps({"pod_ip": pod_ip, "host": host, "port": port, "timeout_s": timeout}).encode("ascii")
    result = run(argv, timeout=timeout + SCAN_BUDGET_S + STARTUP_S, max_bytes=OUTPUT_CAP,
                 env=dict(CHILD_ENV), cwd="/", stdin_bytes=request)
    return _read_answer(result)


def _text(doc: dict[str, object], key: str) -> str | None:
    value = doc.get(key)
    return clean(value)[:TEXT_CAP] if isinstance(value, str) else None


def _read_answer(result: CmdResult) -> ConnectAttempt:
    doc: object = None
    if result.stdout and not result.truncated:
        try:
            doc = json.loads(result.stdout)
        except (ValueError, RecursionError):
            doc = None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        return not_attempted(_why_no_answer(result))
    elapsed = doc.get("elapsed_ms")
    ok = doc.get("ok") is True
    unavailable = _text(doc, "unavailable")
    if unavailable is not None and "needs root" in unavailable:
        unavailable = f"{unavailable}; {_sudoers_hint()}"
    return ConnectAttempt(
        ok=ok and unavailable is None,
        error=None if ok else _text(doc, "error"),
        elapsed_ms=float(elapsed) if isinstance(elapsed, (int, float)) and not isinstance(elapsed, bool) else 0.0,
        netns=_text(doc, "netns"),
        unavailable=unavailable,
    )


def _why_no_answer(result: CmdResult) -> str:
    tail = clean(result.stderr_tail(300))
    low = tail.lower()
    if result.start_error is not None:
        return f"could not start the connection helper `{clean(result.command)}`: {clean(result.start_error)}"
    if result.argv and result.argv[0] == "sudo" and ("password" in low or "sudoers" in low or "not allowed" in low):
        return f"not root, and sudo -n refused ({tail}): {_sudoers_hint()}"
    if "refusing to run as root" in low:
        return ("the connection helper refused to run as root: users other than root can change its "
                "install; install k8snet where only root can write (docs/security.md)")
    if result.timed_out:
        why = "did not answer in time and was stopped"
    elif result.truncated:
        why = f"printed more than {OUTPUT_CAP} bytes and was stopped"
    elif result.returncode not in (0, None):
        why = f"exited with status {result.returncode}"
    else:
        why = "printed no answer"
    msg = f"the connection helper `{clean(result.command)}` {why}"
    return (f"{msg}; stderr: {tail}" if tail else msg)[:TEXT_CAP]

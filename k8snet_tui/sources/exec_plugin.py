"""Credential plugins (a kubeconfig's `users[].user.exec`), run so that they cannot take over.

The kubernetes client runs them with the terminal's stdin and stderr whenever stdout is a tty,
and waits for them forever: under the TUI a plugin's stderr was painted over the screen (escape
sequences included), it could read the user's keystrokes, and a hanging one left the app
waiting and outlived it. Here a plugin gets stdin from /dev/null, its stderr is captured (only
its first lines, cleaned, reach a message), it runs in a process group of its own with a
deadline, and `end_plugins()` (called when the app quits) ends whatever is still running.

Only the standard library: the app imports this at quit without loading the kubernetes client.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import threading
import time
from collections.abc import Mapping

from k8snet_tui.domain.sanitize import clean
from k8snet_tui.probe.runner import CmdResult, MiB, run

TIMEOUT_ENV = "K8SNET_EXEC_PLUGIN_TIMEOUT"
DEFAULT_TIMEOUT = 30.0
OUTPUT_CAP = 4 * MiB  # an ExecCredential is a token or a certificate: kilobytes
STDERR_LINES = 3
LINE_CHARS = 200

_lock = threading.Lock()
_running: set[int] = set()  # process group ids of plugins running now


class PluginFailure(Exception):
    """A credential plugin that gave no credential; `message` and `hint` are for people."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def plugin_timeout(env: Mapping[str, str] | None = None) -> float:
    """Seconds a plugin may take: `K8SNET_EXEC_PLUGIN_TIMEOUT`, else 30 (0.1 to 600)."""
    raw = (os.environ if env is None else env).get(TIMEOUT_ENV, "")
    try:
        value = float(raw) if raw else DEFAULT_TIMEOUT
    except ValueError:
        value = DEFAULT_TIMEOUT
    return min(max(value, 0.1), 600.0) if value == value else DEFAULT_TIMEOUT  # NaN: the default


def first_lines(stderr: bytes) -> str:
    """The first few non-empty lines of a plugin's stderr, cleaned, on one line."""
    lines = [ln.strip() for ln in stderr.decode("utf-8", errors="replace").splitlines() if ln.strip()]
    shown = [clean(ln[:LINE_CHARS] + ("..." if len(ln) > LINE_CHARS else "")) for ln in lines[:STDERR_LINES]]
    if len(lines) > STDERR_LINES:
        shown.append(f"({len(lines) - STDERR_LINES} more line(s))")
    return " | ".join(shown)


def run_plugin(argv: list[str], env: Mapping[str, str], cwd: str, timeout: float) -> CmdResult:
    """Run one plugin contained (see the module's docstring); never raises."""
    started: list[int] = []

    def register(pid: int) -> None:
        started.append(pid)
        with _lock:
            _running.add(pid)

    try:
        return run(list(argv), timeout=timeout, max_bytes=OUTPUT_CAP, env=dict(env), cwd=cwd or "/",
                   grace=1.0, on_start=register)
    finally:
        with _lock:
            _running.difference_update(started)


def end_plugins(grace: float = 1.0) -> None:
    """End every plugin still running, with its children: SIGTERM, then SIGKILL after `grace`."""
    with _lock:
        groups = list(_running)
    if not groups:
        return
    for pgid in groups:
        _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_group_alive(g) for g in groups):
        time.sleep(0.05)
    for pgid in groups:
        _signal_group(pgid, signal.SIGKILL)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def failure(argv: list[str], result: CmdResult, timeout: float, why: str = "") -> PluginFailure:
    """The message for a plugin run that gave no credential: what, which command, what to do."""
    shown = clean(shlex.join(argv))
    if result.start_error is not None:
        what = f"could not be started: {clean(result.start_error)}"
    elif result.timed_out:
        what = f"did not finish within {timeout:g} s and was stopped"
    elif result.truncated:
        what = f"printed more than {OUTPUT_CAP // MiB} MiB and was stopped"
    elif result.returncode != 0:
        what = f"exited with status {result.returncode}"
    else:
        what = why
    said = first_lines(result.stderr)
    message = f"credential plugin failed: `{shown}` {what}" + (f"; it said: {said}" if said else "")
    hint = (f"run it by hand to see what it needs (a login, a browser, a password): {shown}"
            if result.start_error is None else "install it, or fix `command` in the kubeconfig's user")
    return PluginFailure(message, hint)

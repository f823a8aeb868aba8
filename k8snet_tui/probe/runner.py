"""Run one external command with a deadline and a cap on what we keep of its output.

No shell ever: `argv` is a fixed list. The child gets its own session so that on a timeout (or
when the output cap is reached) the whole process group can be stopped, not just its leader.
Only the standard library is used, so the unprivileged app can share this module with the probe.

Children start in "/" with the environment they are given (`CHILD_ENV` for our own Python
children): a root process must not pick up code or settings from wherever its caller stood.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

MiB = 1024 * 1024
STDERR_KEEP = 16 * 1024  # bytes of stderr kept (the tail: that is where the reason usually is)
STDIN_MAX = 4096  # bytes a child may be given on stdin (one request; a pipe holds at least this)
LEFTOVER_GRACE = 0.5  # seconds to drain the pipes after the command itself exited
SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Everything a child of ours inherits: no PYTHONPATH, PYTHONSTARTUP, LD_*, HOME or proxies.
CHILD_ENV = {"PATH": SAFE_PATH, "LANG": "C.UTF-8"}


def python_module_argv(python: str, module: str, *args: str) -> list[str]:
    """How to start one of our modules in a fresh interpreter that imports only the install.

    `-I` (isolated mode) keeps the current directory and the script's directory off sys.path and
    ignores PYTHON* variables and the user's site-packages: with plain `-m`, a `k8snet_tui/`
    planted in the caller's working directory would be imported first, as root under sudo.
    """
    return [python, "-I", "-m", module, *args]


@dataclass(frozen=True)
class CmdResult:
    argv: tuple[str, ...]
    returncode: int | None  # None when the command could not start or had to be stopped
    stdout: bytes = b""
    stderr: bytes = b""
    timed_out: bool = False
    truncated: bool = False  # stopped because the byte or line cap was reached
    start_error: str | None = None

    @property
    def command(self) -> str:
        return " ".join(self.argv)

    @property
    def ok(self) -> bool:
        return self.start_error is None and not self.timed_out and self.returncode == 0

    def text(self) -> str:
        return self.stdout.decode("utf-8", errors="replace")

    def stderr_tail(self, limit: int = 600) -> str:
        tail = self.stderr.decode("utf-8", errors="replace").strip()
        if len(tail) > limit:
            tail = "..." + tail[-limit:]
        return tail

    def failure(self, timeout: float | None = None) -> str | None:
        """Why the command failed, in words that name it; None when it succeeded."""
        if self.start_error is not None:
            return f"could not run `{self.command}`: {self.start_error}"
        if self.timed_out:
            limit = f" within {timeout:g} s" if timeout is not None else ""
            msg = f"`{self.command}` did not finish{limit} and was stopped"
        elif self.returncode != 0 and not self.truncated:
            msg = f"`{self.command}` exited with status {self.returncode}"
        else:
            return None
        tail = self.stderr_tail()
        return f"{msg}; stderr: {tail}" if tail else msg


def _stop(proc: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM the child's process group, then SIGKILL what is left after `grace` seconds.

    SIGTERM first so that `sudo` can relay it to a command it runs as another user.
    """
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                proc.send_signal(sig)
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def run(
    argv: list[str],
    *,
    timeout: float,
    max_bytes: int,
    max_lines: int | None = None,
    env: dict[str, str] | None = None,
    grace: float = 1.0,
    cwd: str = "/",
    on_start: Callable[[int], None] | None = None,
    stdin_bytes: bytes | None = None,
) -> CmdResult:
    """Run `argv` in `cwd`; keep at most `max_bytes` of stdout (and `max_lines` lines when given).

    When a cap is reached the command is stopped and `truncated` is set; when the deadline
    passes it is stopped and `timed_out` is set. Never raises for a failing command.
    `env=None` means `CHILD_ENV`, never this process's environment. `on_start` gets the
    child's pid (also its process group id) as soon as it runs, so that another thread can
    end it early (the app does so at quit). `stdin_bytes` (a small request, at most
    `STDIN_MAX`, so the write never waits for the child) is written to the child's stdin, which
    is then closed; without it stdin is /dev/null.
    """
    argv_t = tuple(argv)
    if stdin_bytes is not None and len(stdin_bytes) > STDIN_MAX:
        raise ValueError(f"stdin_bytes is {len(stdin_bytes)} bytes, more than {STDIN_MAX}")
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL if stdin_bytes is None else subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(CHILD_ENV) if env is None else env,
            cwd=cwd,
            close_fds=True,
            start_new_session=True,
        )
    except OSError as exc:
        return CmdResult(argv_t, None, start_error=exc.strerror or str(exc))
    if on_start is not None:
        on_start(proc.pid)
    if proc.stdin is not None:
        # Below the pipe's buffer size, so this never blocks; a child that exited early is fine.
        with contextlib.suppress(BrokenPipeError, OSError):
            proc.stdin.write(stdin_bytes or b"")
        with contextlib.suppress(BrokenPipeError, OSError):
            proc.stdin.close()

    deadline = time.monotonic() + timeout
    out: list[bytes] = []
    out_len = 0
    lines = 0
    err = bytearray()
    truncated = timed_out = False
    assert proc.stdout is not None and proc.stderr is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, "out")
    sel.register(proc.stderr, selectors.EVENT_READ, "err")
    leader_done_at: float | None = None
    leftovers = False
    try:
        while sel.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            # The command exited but something it started still holds our pipes (a daemon, a
            # cache agent): what the command said is in; do not wait for its offspring.
            if leader_done_at is None:
                if proc.poll() is not None:
                    leader_done_at = time.monotonic()
            elif time.monotonic() - leader_done_at > LEFTOVER_GRACE:
                leftovers = True
                break
            for key, _ in sel.select(timeout=min(remaining, 0.1 if leader_done_at else 0.5)):
                chunk = os.read(key.fd, 256 * 1024)
                if not chunk:
                    sel.unregister(key.fileobj)
                    continue
                if key.data == "err":
                    err += chunk
                    if len(err) > STDERR_KEEP:
                        del err[: len(err) - STDERR_KEEP]
                    continue
                room = max_bytes - out_len
                if len(chunk) > room:
                    chunk = chunk[:room]
                    truncated = True
                if max_lines is not None:
                    seen = chunk.count(b"\n")
                    if lines + seen > max_lines:
                        # keep exactly max_lines complete lines plus one more, so the
                        # caller can tell "more than the cap" from "exactly the cap"
                        cut = _index_of_nth_newline(chunk, max_lines + 1 - lines)
                        chunk = chunk[: cut + 1]
                        truncated = True
                        seen = chunk.count(b"\n")
                    lines += seen
                out.append(chunk)
                out_len += len(chunk)
                if truncated:
                    break
            if truncated:
                break
    finally:
        sel.close()

    if leftovers:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # the group outlives its leader while members live
    if timed_out or truncated:
        _stop(proc, grace)
    else:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            timed_out = True
            _stop(proc, grace)
    for stream in (proc.stdout, proc.stderr):
        stream.close()
    rc = None if (timed_out or truncated) else proc.returncode
    return CmdResult(argv_t, rc, b"".join(out), bytes(err), timed_out, truncated)


def _index_of_nth_newline(chunk: bytes, n: int) -> int:
    pos = -1
    for _ in range(max(n, 1)):
        nxt = chunk.find(b"\n", pos + 1)
        if nxt < 0:
            return len(chunk) - 1
        pos = nxt
    return pos

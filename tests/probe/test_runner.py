"""The command runner: deadlines, output caps, failures in words. Uses only small Python children."""

from __future__ import annotations

import sys
import time

from k8snet_tui.probe.runner import STDERR_KEEP, run

PY = sys.executable


def test_success_keeps_stdout_and_stderr():
    r = run([PY, "-c", "import sys; print('out'); sys.stderr.write('err')"], timeout=30, max_bytes=1000)
    assert r.ok and r.returncode == 0
    assert r.stdout == b"out\n" and r.stderr == b"err"
    assert r.failure() is None


def test_nonzero_exit_is_a_failure_naming_the_command_and_stderr():
    r = run([PY, "-c", "import sys; sys.stderr.write('no such table'); sys.exit(4)"], timeout=30, max_bytes=1000)
    assert not r.ok and r.returncode == 4
    msg = r.failure()
    assert msg.startswith(f"`{PY} -c") and "exited with status 4" in msg and msg.endswith("no such table")


def test_timeout_stops_the_command():
    r = run([PY, "-c", "import time; print('started', flush=True); time.sleep(600)"], timeout=1, max_bytes=1000)
    assert r.timed_out and r.returncode is None
    assert r.stdout == b"started\n"
    assert "did not finish within 1 s" in r.failure(1)


def test_byte_cap_truncates_and_stops():
    r = run([PY, "-c", "import sys, time; sys.stdout.write('x' * 100000); sys.stdout.flush(); time.sleep(600)"],
            timeout=30, max_bytes=1234)
    assert r.truncated and not r.timed_out
    assert r.stdout == b"x" * 1234


def test_line_cap_keeps_one_line_more_than_the_cap():
    r = run([PY, "-c", "import sys\nfor i in range(100000): print(i)"], timeout=30, max_bytes=10**7, max_lines=5)
    assert r.truncated
    assert r.stdout.decode().splitlines() == ["0", "1", "2", "3", "4", "5"]


def test_line_cap_not_reached_is_not_truncated():
    r = run([PY, "-c", "print('a'); print('b')"], timeout=30, max_bytes=1000, max_lines=5)
    assert not r.truncated and r.ok and r.stdout == b"a\nb\n"


def test_missing_program_is_a_start_error():
    r = run(["/nonexistent/tool", "-x"], timeout=5, max_bytes=10)
    assert r.returncode is None and r.start_error
    assert r.failure().startswith("could not run `/nonexistent/tool -x`")


def test_only_the_tail_of_stderr_is_kept():
    r = run([PY, "-c", f"import sys; sys.stderr.write('a' * {STDERR_KEEP * 3} + 'END')"], timeout=30, max_bytes=10)
    assert len(r.stderr) == STDERR_KEEP and r.stderr.endswith(b"END")
    assert len(r.stderr_tail()) < 700


def test_a_command_that_exits_leaving_a_child_on_its_pipes_is_not_waited_for(tmp_path):
    """A credential plugin or tool that starts a daemon holding stdout: its own answer counts,
    and the left-over child is ended with the group."""
    pidfile = tmp_path / "child"
    code = ("import subprocess, sys; "
            "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); "
            f"open({str(pidfile)!r}, 'w').write(str(c.pid)); print('answer'); sys.exit(3)")
    result = run([sys.executable, "-c", code], timeout=60, max_bytes=1000)
    assert result.returncode == 3 and result.text() == "answer\n" and not result.timed_out
    pid = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while alive(pid):
        assert time.monotonic() < deadline, "the left-over child is still running"
        time.sleep(0.05)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is gone too
    except FileNotFoundError:
        return False

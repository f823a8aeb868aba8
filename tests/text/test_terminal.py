"""The width comes from the terminal (a real pty here), COLUMNS wins over it, a pipe has no limit,
and a reader that stops early (`| head`) ends the command quietly."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

from k8snet_tui.text.table import terminal_width

ROOT = Path(__file__).resolve().parents[2]


def _pty_of_width(columns: int):
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    return master, os.fdopen(slave, "w")


def test_the_terminal_width_is_read_from_the_tty() -> None:
    master, stream = _pty_of_width(93)
    try:
        assert terminal_width(stream, env={}) == 93
        assert terminal_width(stream, env={"COLUMNS": "120"}) == 120  # COLUMNS wins
        assert terminal_width(stream, env={"COLUMNS": "junk"}) == 93  # nonsense is ignored
    finally:
        stream.close()
        os.close(master)


def test_a_pipe_has_no_width_limit() -> None:
    read, write = os.pipe()
    with os.fdopen(write, "w") as stream:
        assert terminal_width(stream, env={}) is None
    os.close(read)


def _env(tmp_path: Path) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "K8SNET_OFFLINE": "1", "PYTHONPATH": str(ROOT),
            "LANG": "C.UTF-8"}


def test_a_command_on_a_terminal_fits_it(tmp_path: Path) -> None:
    master, stream = _pty_of_width(80)
    try:
        done = subprocess.run([sys.executable, "-m", "k8snet_tui", "show", "services", "--snapshot", "lab"],
                              stdout=stream, stderr=subprocess.PIPE, env=_env(tmp_path), timeout=120)
        assert done.returncode == 0, done.stderr
        stream.close()
        out = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(master)
    lines = out.decode().splitlines()
    assert any(line.endswith("cols") for line in lines)  # columns hidden to fit
    assert max(len(line) for line in lines) <= 80


def test_a_reader_that_stops_early_ends_it_quietly(tmp_path: Path) -> None:
    import json
    import shutil

    from k8snet_tui.sources.snapshot import bundled_lab_path

    snap = tmp_path / "snap"
    shutil.copytree(bundled_lab_path(), snap)
    services = json.loads((snap / "api" / "services.json").read_text())
    template = services["items"][0]
    services["items"] += [{**template, "metadata": {"name": f"svc-{i:05d}", "namespace": "many"}}
                          for i in range(3000)]  # a few hundred KB of text: more than a pipe holds
    (snap / "api" / "services.json").write_text(json.dumps(services))
    proc = subprocess.Popen([sys.executable, "-m", "k8snet_tui", "show", "services", "--snapshot", str(snap)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(tmp_path))
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err

"""Credential plugins (kubeconfig `users[].user.exec`) are contained: stdin /dev/null, stderr
captured and cleaned, a deadline, their process group ended on timeout and when the app quits.

The plugins are small Python scripts; the kubeconfig's server is a closed loopback port (the
plugin fails before any request would go out). Each plugin writes its pid, its child's pid and
what it read on stdin into a state directory, so the tests can check they are gone and got EOF.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from k8snet_tui.errors import KubeconfigError
from k8snet_tui.sources import exec_plugin
from k8snet_tui.sources.kinds import BY_NAME
from k8snet_tui.sources.kubeconfig import KubeconfigChoice
from k8snet_tui.sources.live_api import LiveApi

PLUGIN = textwrap.dedent('''
    import os, subprocess, sys, time
    state, mode = sys.argv[1], sys.argv[2]
    open(os.path.join(state, "pid"), "w").write(str(os.getpid()))
    open(os.path.join(state, "runs"), "a").write("run\\n")
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    open(os.path.join(state, "child"), "w").write(str(child.pid))
    sys.stderr.write("\\x1b]0;pwned-title\\x07\\x1b[2J\\x9b31mplease log in: corp-sso login\\n")
    sys.stderr.write("second line\\nthird line\\nfourth line\\nfifth line\\n")
    sys.stderr.flush()
    if mode == "read-stdin":
        data = sys.stdin.read()  # a terminal would block here and hand over keystrokes
        open(os.path.join(state, "stdin"), "w").write("EOF" if data == "" else repr(data))
        sys.exit(1)
    time.sleep(600)
''')
ESCAPES = ("\x1b", "\x07", "\x9b")


def plugin_kubeconfig(tmp_path: Path, mode: str) -> tuple[Path, Path]:
    state = tmp_path / f"state-{mode}"
    state.mkdir()
    script = tmp_path / "plugin.py"
    script.write_text(PLUGIN)
    kc = tmp_path / f"{mode}.kubeconfig"
    kc.write_text(textwrap.dedent(f"""\
        apiVersion: v1
        kind: Config
        clusters: [{{name: c, cluster: {{server: "http://127.0.0.1:1"}}}}]
        users:
        - name: sso
          user:
            exec:
              apiVersion: client.authentication.k8s.io/v1beta1
              command: {sys.executable}
              args: ["{script}", "{state}", "{mode}"]
        contexts: [{{name: sso@c, context: {{cluster: c, user: sso}}}}]
        current-context: sso@c
    """))
    return kc, state


def alive(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, IndexError):
        return False
    return fields[0] != "Z"  # a zombie waiting for init to reap it is gone too


def wait_gone(state: Path, timeout: float = 10.0) -> None:
    pids = [int((state / name).read_text()) for name in ("pid", "child")]
    deadline = time.monotonic() + timeout
    while any(alive(p) for p in pids):
        assert time.monotonic() < deadline, f"plugin processes still running: {[p for p in pids if alive(p)]}"
        time.sleep(0.05)


def wait_started(state: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not (state / "child").exists():
        assert time.monotonic() < deadline, "the plugin never started"
        time.sleep(0.05)


def cli_env(tmp_path: Path, timeout: str) -> dict[str, str]:
    return {**os.environ, "K8SNET_OFFLINE": "1", "K8SNET_CONFIG": str(tmp_path / "none.toml"),
            exec_plugin.TIMEOUT_ENV: timeout}


def test_hanging_plugin_is_stopped_with_its_children(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(exec_plugin.TIMEOUT_ENV, "1")
    kc, state = plugin_kubeconfig(tmp_path, "hang")
    api = LiveApi(KubeconfigChoice((str(kc),), False, str(kc)), "sso@c")
    with pytest.raises(KubeconfigError) as info:
        api.list_page(BY_NAME["Service"], None)
    text = str(info.value)
    assert "credential plugin failed" in text and "did not finish within 1 s and was stopped" in text
    assert str(Path(sys.executable).name) in text and "plugin.py" in text  # names the command
    assert "run it by hand" in info.value.hint
    assert "please log in: corp-sso login | second line | third line | (2 more line(s))" in text
    assert not any(ch in text for ch in ESCAPES), repr(text)
    wait_gone(state)
    # the same failure answers for a while: not one more plugin run (and wait) per watcher
    with pytest.raises(KubeconfigError) as again:
        api.list_page(BY_NAME["Pod"], None)
    assert str(again.value) == text
    assert (state / "runs").read_text() == "run\n"


def test_chatty_plugin_gets_eof_on_stdin_and_its_stderr_is_cleaned(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(exec_plugin.TIMEOUT_ENV, "20")
    kc, state = plugin_kubeconfig(tmp_path, "read-stdin")
    api = LiveApi(KubeconfigChoice((str(kc),), False, str(kc)), "sso@c")
    with pytest.raises(KubeconfigError) as info:
        api.list_page(BY_NAME["Service"], None)
    assert (state / "stdin").read_text() == "EOF"
    text = str(info.value)
    assert "exited with status 1" in text and "please log in: corp-sso login" in text
    assert not any(ch in text for ch in ESCAPES), repr(text)


def run_on_a_terminal(argv: list[str], env: dict[str, str], timeout: float) -> tuple[int, bytes]:
    """Run `argv` with a pty as stdin, stdout and stderr (as a user's shell would); all it wrote."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: every writer has closed the terminal
                    break
                if not chunk:
                    break
                out += chunk
            elif proc.poll() is not None:
                break
        else:
            proc.kill()
            pytest.fail(f"still running after {timeout} s; output so far: {out!r}")
        return proc.wait(timeout=10), out
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()


def test_cli_on_a_terminal_shows_the_plugin_cleaned_and_gives_it_no_keystrokes(tmp_path: Path) -> None:
    kc, state = plugin_kubeconfig(tmp_path, "read-stdin")
    rc, out = run_on_a_terminal([sys.executable, "-m", "k8snet_tui", "show", "services", "--kubeconfig", str(kc)],
                                cli_env(tmp_path, "20"), timeout=60)
    assert rc == 2, out
    assert (state / "stdin").read_text() == "EOF"
    assert b"credential plugin failed" in out and b"please log in: corp-sso login" in out
    assert b"\x1b]0;" not in out and b"\x07" not in out and b"\x1b[2J" not in out, out
    assert b"Traceback" not in out


def test_cli_with_a_hanging_plugin_exits_2_within_the_deadline(tmp_path: Path) -> None:
    kc, state = plugin_kubeconfig(tmp_path, "hang")
    proc = subprocess.run([sys.executable, "-m", "k8snet_tui", "show", "services", "--kubeconfig", str(kc)],
                          capture_output=True, text=True, env=cli_env(tmp_path, "1"), timeout=60, check=False)
    assert proc.returncode == 2, proc.stderr
    assert "did not finish within 1 s and was stopped" in proc.stderr
    assert "run it by hand" in proc.stderr and "Traceback" not in proc.stderr
    assert not any(ch in proc.stderr for ch in ESCAPES), repr(proc.stderr)
    wait_gone(state)


# -- the TUI, driven with Pilot ---------------------------------------------------------------

def live_app(tmp_path: Path, kc: Path):
    from k8snet_tui.app import make_app
    from k8snet_tui.collect.session import LiveSession
    from k8snet_tui.config import Settings

    session = LiveSession(LiveApi(KubeconfigChoice((str(kc),), False, str(kc)), "sso@c"), "sso@c", read_node=None)
    return make_app(Settings(offline=True), session, save_dir=str(tmp_path / "saved"))


def screen_text(app) -> str:
    """Every cell of the screen as plain text, toasts included."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, color_system=None,
                      record=True, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


async def test_tui_shows_a_hanging_chatty_plugin_cleaned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    monkeypatch.setenv(exec_plugin.TIMEOUT_ENV, "1")
    kc, state = plugin_kubeconfig(tmp_path, "hang")
    app = live_app(tmp_path, kc)
    async with app.run_test(size=(150, 45), notifications=True) as pilot:
        deadline = time.monotonic() + 30
        while not any("credential plugin failed" in str(n.message) for n in app._notifications):
            assert time.monotonic() < deadline, "no notification about the plugin"
            await pilot.pause(0.2)
        await pilot.pause(0.3)
        shown = screen_text(app)
        messages = " ".join(str(n.message) for n in app._notifications)
        assert "credential plugin failed" in shown and "did not finish within 1 s" in messages
        assert "please log in: corp-sso login" in messages
        assert not any(ch in shown + messages for ch in ESCAPES), repr(messages)
        await pilot.press("q")
    wait_gone(state)


async def test_tui_quit_ends_a_plugin_still_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    monkeypatch.setenv(exec_plugin.TIMEOUT_ENV, "300")
    kc, state = plugin_kubeconfig(tmp_path, "hang")
    app = live_app(tmp_path, kc)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        deadline = time.monotonic() + 30
        while not (state / "child").exists():
            assert time.monotonic() < deadline, "the plugin never started"
            await pilot.pause(0.1)
        await pilot.press("q")
    wait_gone(state, timeout=5)

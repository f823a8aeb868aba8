"""The installed `k8snet`, in a real terminal (tmux) at 80x24, pressed as a new user would.

Pilot tests run the app in-process and headless; this one runs the console script pip
installed, on the bundled lab, and reads the screen back from tmux. After every key it checks
that the process still runs and that the screen shows what the key promises. Skipped (with the
reason) where tmux or the installed script is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from k8snet_tui.config import THEME_NAMES
from k8snet_tui.registry import PANES

pytestmark = pytest.mark.tty

# The console script pip installed next to this Python (K8SNET_TTY_BIN runs another build).
K8SNET = Path(os.environ.get("K8SNET_TTY_BIN") or Path(sys.executable).parent / "k8snet")
WAIT_S = 20.0  # the longest a screen may take to show what we wait for (a slow, shared machine)

if shutil.which("tmux") is None:
    pytest.skip("tmux is not installed (apt-get install tmux)", allow_module_level=True)
if not K8SNET.exists():
    pytest.skip(f"no installed console script at {K8SNET} (pip install -e .)", allow_module_level=True)


class Terminal:
    """One tmux server of our own (its own socket), one 80x24 window running the app."""

    def __init__(self, tmp: Path, width: int = 80, height: int = 24) -> None:
        self.socket = f"k8snet-tty-{os.getpid()}"
        self.tmp = tmp
        self.exit_file = tmp / "exit-code"
        self.save_dir = tmp / "save"
        home = tmp / "home"
        home.mkdir()
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "TERM": "xterm-256color",
                    "LANG": "C.UTF-8", "KUBECONFIG": str(tmp / "no-kubeconfig"), "K8SNET_OFFLINE": "1",
                    "K8SNET_CONFIG": str(tmp / "no-config.toml"), "K8SNET_SAVE_DIR": str(self.save_dir),
                    "XDG_STATE_HOME": str(tmp / "state")}
        script = f"cd {tmp} && {K8SNET}; echo $? > {self.exit_file}; sleep 600"
        self.tmux("new-session", "-d", "-s", "k", "-x", str(width), "-y", str(height),
                  "env", "-i", *(f"{k}={v}" for k, v in self.env.items()), "sh", "-c", script)

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args], check=True,
                              capture_output=True, text=True, timeout=30).stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "k")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "k", *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "k", "-l", text)

    def escape(self) -> str:
        """Esc, then wait: a key sent right after it would arrive as alt+key."""
        self.tmux("send-keys", "-t", "k", "Escape")
        return self.settle()

    def command(self, line: str) -> str:
        """`:LINE` and enter, waiting for the box to open, take the text and close again."""
        self.keys(":")
        self.wait_for("the command box opens", ":command")
        self.type(line)
        self.wait_for(f"the command box shows {line!r}", line)
        self.keys("Enter")
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            bottom = "\n".join(self.screen().splitlines()[-4:])
            assert self.alive(), f"k8snet exited after :{line}"
            if "▔▔▔▔" not in bottom:
                return self.settle()
            time.sleep(0.2)
        raise AssertionError(f"the command box stayed open after :{line}:\n{self.screen()}")

    def alive(self) -> bool:
        return not self.exit_file.exists()

    def wait_for(self, what: str, *texts: str, gone: tuple[str, ...] = ()) -> str:
        """Until every one of `texts` is on screen (and none of `gone`); fails if the app exits."""
        deadline = time.monotonic() + WAIT_S
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            assert self.alive(), f"k8snet exited during {what}:\n{screen}"
            if all(t in screen for t in texts) and not any(g in screen for g in gone):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{what}: expected {texts} (and not {gone}) on screen:\n{screen}")

    def settle(self) -> str:
        """Until the screen stops changing (the app handled what we sent)."""
        last, same = "", 0
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline and same < 3:
            time.sleep(0.15)
            now = self.screen()
            same = same + 1 if now == last else 0
            last = now
        assert self.alive(), f"k8snet exited:\n{last}"
        return last

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=30)


@pytest.fixture
def term(tmp_path):
    t = Terminal(tmp_path)
    try:
        t.wait_for("the first screen", "SNAPSHOT lab", "4 Services", "? Help", "q Quit")
        yield t
    finally:
        t.close()


def header(spec) -> str:
    return f"{spec.key} {spec.title}"


def test_every_global_key_in_a_real_terminal(term):
    # ctrl+s: the files are written and the toast says where
    term.keys("C-s")
    term.wait_for("ctrl+s", "saved")
    saved = sorted(p.suffix for p in term.save_dir.iterdir())
    assert saved == [".svg", ".txt"], saved
    term.escape()

    # `?`: help for the pane and for the app, from the live bindings
    term.keys("?")
    term.wait_for("? help", "Keys", "esc closes", "4 Services", "SNAPSHOT lab")
    for _ in range(10):  # scroll down until the app's keys show (a page at a time: the pane's keys grow)
        if "Everywhere" in term.settle():
            break
        term.keys("PageDown")
    term.wait_for("help scrolls to the global keys", "Everywhere", "Quit")
    term.escape()
    term.wait_for("help closes", "? Help", gone=("esc closes",))

    # `:` with a bad command: a message, and the app stays
    term.command("nosuchcommand")
    term.wait_for("a bad : command", "unknown command", "nosuchcommand")

    # every theme, by `:theme`, and a bad one
    for word in THEME_NAMES:
        screen = term.command(f"theme {word}")
        assert "unknown theme" not in screen, screen
    term.command("theme nope")
    term.wait_for(":theme nope", "unknown theme", "high-contrast")

    # `z`, then every pane: the pane fills the screen, never hatching
    term.keys("z")
    for spec in PANES:
        term.keys(spec.key)
        screen = term.settle()
        assert screen.count("╱") < 100, f"zoomed pane {spec.id} is hatched:\n{screen}"
        assert len(screen.split()) > 5, f"zoomed pane {spec.id} is blank:\n{screen}"
    term.keys("z")
    term.wait_for("zoom off", "SNAPSHOT lab", header(PANES[-1]))

    # every pane by its number key, named in the header
    for spec in PANES:
        term.keys(spec.key)
        term.wait_for(f"key {spec.key}", header(spec), "? Help", "q Quit")

    # `q` quits with 0
    term.keys("4")
    term.wait_for("back to services", header(PANES[3]))
    term.keys("q")
    deadline = time.monotonic() + WAIT_S
    while term.alive() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not term.alive(), term.screen()
    assert term.exit_file.read_text().strip() == "0"


PALETTE = [*(f"Go to {spec.title}" for spec in PANES), *(f"Theme: {word}" for word in THEME_NAMES),
           "Keys", "Zoom", "Save view", "Screenshot"]


def _palette(term: Terminal, title: str, *, settle: bool = True) -> str:
    term.keys("C-p")
    term.wait_for("the palette opens", "Search for commands")
    term.type(title)
    term.wait_for(f"palette finds {title!r}", title)
    term.keys("Enter")
    return term.settle() if settle else ""


def test_every_palette_entry_in_a_real_terminal(term):
    term.keys("C-p")
    term.wait_for("ctrl+p", "Search for commands")
    term.escape()
    term.wait_for("palette closes", "? Help", gone=("Search for commands",))
    for title in PALETTE:
        screen = _palette(term, title)
        if title.startswith("Go to "):
            spec = next(s for s in PANES if s.title == title.removeprefix("Go to "))
            term.wait_for(title, header(spec))
        elif title == "Keys":
            term.wait_for(title, "esc closes")
            term.escape()
        elif title == "Zoom":
            assert screen.count("╱") < 100, screen
            term.keys("z")
            term.wait_for("zoom off", "SNAPSHOT lab")
        elif title in ("Save view", "Screenshot"):
            term.wait_for(title, "saved" if title == "Save view" else "Screenshot")
        term.escape()
        term.settle()
    # the app's own Theme picker opens, and closes
    _palette(term, "Theme")
    term.escape()
    term.settle()
    _palette(term, "Quit", settle=False)
    deadline = time.monotonic() + WAIT_S
    while term.alive() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert term.exit_file.read_text().strip() == "0"


def test_keys_typed_right_after_q_do_not_break_the_exit(term):
    # `q` then more keys in one burst (a fast typist, a pasted line): the keys after `q` arrive
    # while the app closes; a picker opened then used to crash the exit with exit code 1.
    term.keys("q", "n", "N", "?", ":")
    deadline = time.monotonic() + WAIT_S
    while term.alive() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not term.alive(), term.screen()
    assert term.exit_file.read_text().strip() == "0", term.screen()
    assert "unexpected error" not in term.screen()

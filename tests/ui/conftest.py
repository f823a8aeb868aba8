"""Fixtures for driving the real app with Textual's Pilot, on snapshots, never on a live cluster.

Every app a UI test runs shows its notifications (Textual's `run_test` hides them by default,
which let a toast that crashed the app pass every test), and `screen_text` reads what a user
would see: the whole screen as plain text, toasts and modals included.
"""

from __future__ import annotations

import io
import threading

import pytest
from rich.console import Console
from textual.app import App

from k8snet_tui import runtime
from k8snet_tui.app import K8snetApp, make_app
from k8snet_tui.collect.session import SnapshotSession
from k8snet_tui.config import Settings
from k8snet_tui.runtime import snapshot_banner
from k8snet_tui.sources.snapshot import load_snapshot

from tests.support.paths import LAB_PRINTED  # the facts the UI tests check come from the lab text


def screen_text(app: App) -> str:
    """The screen as a user sees it, as plain text (one line per terminal row).

    Rendered the way `App.export_screenshot` renders its SVG (Textual has no public plain-text
    export): the compositor's full frame, modal screens over the ones below, printed to a
    recording console.
    """
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, color_system=None,
                      record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


def screen_lines(app: App) -> list[str]:
    return screen_text(app).splitlines()


def screen_words(app: App) -> str:
    """The screen's words in reading order, one space apart, box edges left out: a toast or a
    line that wraps reads as one sentence."""
    return " ".join(w for w in screen_text(app).split() if w.strip("▌▎▊▍│┃║"))


async def settle(pilot) -> None:
    """Until the keys are handled, the workers are done and the screen is drawn."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.fixture(autouse=True)
def notifications_on(monkeypatch):
    """`app.run_test()` with toasts on, for every test of this directory."""
    original = K8snetApp.run_test

    def run_test(self, **kwargs):
        kwargs.setdefault("notifications", True)
        return original(self, **kwargs)

    monkeypatch.setattr(K8snetApp, "run_test", run_test)


@pytest.fixture
def make_lab_app(tmp_path, monkeypatch):
    """Build the app on a snapshot (the lab's printed output by default); the user's own config never leaks in."""
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))

    def build(settings: Settings | None = None, snapshot: str = str(LAB_PRINTED), **kwargs):
        snap = load_snapshot(snapshot)
        session = SnapshotSession(snap, banner=snapshot_banner(snap, "opened by a test"))
        return make_app(settings or Settings(offline=True), session, save_dir=str(tmp_path / "saved"), **kwargs)

    return build


async def press_and_settle(pilot, *keys: str) -> None:
    """Press `keys` (Textual's Pilot), then wait until they are handled and drawn (`settle`)."""
    await pilot.press(*keys)
    await settle(pilot)


async def lab_answer_words(pilot, app: App, must: str = "LAB ") -> str:
    """The screen's words once the guided lab's answer is shown and laid out: it is read in a
    worker, shown from the UI thread, and the panel takes its height a frame later, so wait
    until no "reading the answer" is left, `must` is there, and two looks agree."""
    words, before = "", None
    for _ in range(40):
        await settle(pilot)
        words = screen_words(app)
        if "reading the answer" not in words and must in words and words == before:
            break
        before = words
    return words


async def wait_for(pilot, app: App, text: str, seconds: float = 20.0) -> str:
    """The screen once it shows `text` (looked at every 50 ms), else an AssertionError with the screen."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await pilot.pause(0.05)
        shown = screen_text(app)
        if text in shown:
            return shown
    raise AssertionError(f"{text!r} never shown; the screen:\n{screen_text(app)}")


@pytest.fixture
def held_read(tmp_path, monkeypatch):
    """A snapshot of any size read in the background, held until the event is set; the tick off,
    so rows come only from the read's end telling the app."""
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    monkeypatch.setattr(K8snetApp, "_tick", lambda self: None)
    monkeypatch.setattr(runtime, "BACKGROUND_READ_BYTES", 0)
    release = threading.Event()
    real = runtime.load_snapshot

    def held(path, **kwargs):
        assert release.wait(30), "the test never released the read"
        return real(path, **kwargs)

    monkeypatch.setattr(runtime, "load_snapshot", held)
    return release

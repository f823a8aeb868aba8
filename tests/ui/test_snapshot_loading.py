"""A big snapshot is read while the app shows its frame: first a "reading" banner and no rows,
then the same screen a snapshot read before the start gives. A read that fails ends the app
with the error the one-shot read gives.

The read is held on an event, so the screen can be read in between; the app's tick is off, so
the rows can come only from the read's end telling the app.
"""

from __future__ import annotations

import threading
import time

import pytest

from k8snet_tui import runtime
from k8snet_tui.app import make_app
from k8snet_tui.cli import build_parser
from k8snet_tui.collect.session import SnapshotSession
from k8snet_tui.config import Settings
from k8snet_tui.errors import K8snetError
from k8snet_tui.sources.snapshot import load_snapshot

from tests.support.paths import LAB_PRINTED
from tests.ui.conftest import screen_text, wait_for


def row(shown: str, name: str) -> str:
    return next(line for line in shown.splitlines() if f" {name} " in line)


async def test_the_frame_shows_reading_then_the_rows_of_the_snapshot(held_read) -> None:
    args = build_parser().parse_args(["--snapshot", str(LAB_PRINTED)])
    session = runtime.tui_session(args, Settings(offline=True))
    assert not isinstance(session, SnapshotSession)  # read in the background
    app = make_app(Settings(offline=True), session, start_pane="services")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        before = screen_text(app)
        assert "Reading the snapshot" in before and "Services" in before, before
        assert "website" not in before and "kube-dns" not in before  # no rows before the read
        held_read.set()
        shown = await wait_for(pilot, app, "website")
        await pilot.pause(0.3)
        shown = screen_text(app)
        assert "Reading the snapshot" not in shown
        assert "Nothing here is live" in shown  # the snapshot's own banner
        assert "kube-dns" in shown and "10.96.0.10" in row(shown, "kube-dns")
        app.exit(0)


async def test_the_screen_is_the_one_a_snapshot_read_first_gives(held_read) -> None:
    args = build_parser().parse_args(["--snapshot", str(LAB_PRINTED)])
    held_read.set()
    screens = []
    for session in (runtime.choose_session(args, Settings(offline=True)),
                    runtime.tui_session(args, Settings(offline=True))):
        app = make_app(Settings(offline=True), session, start_pane="services")
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, app, "website")
            await pilot.app.workers.wait_for_complete()
            await pilot.pause(0.3)
            screens.append(screen_text(app))
            app.exit(0)
    assert screens[0] == screens[1]


async def test_a_read_that_fails_ends_the_app_with_its_error(held_read, tmp_path) -> None:
    args = build_parser().parse_args(["--snapshot", str(tmp_path / "gone")])
    with pytest.raises(K8snetError) as first:  # what the read before the start says
        load_snapshot(str(tmp_path / "gone"))
    app = make_app(Settings(offline=True), runtime.tui_session(args, Settings(offline=True)), start_pane="services")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.5)
        assert "Reading the snapshot" in screen_text(app)
        held_read.set()  # the read goes on, and fails
        deadline = time.monotonic() + 20
        while app.is_running and time.monotonic() < deadline:
            await pilot.pause(0.05)
    assert app.return_code == 1
    assert isinstance(app.crash, K8snetError) and str(app.crash) == str(first.value)


async def test_the_build_after_the_read_leaves_the_ui_thread(held_read, monkeypatch) -> None:
    """The empty state's build is cheap; the one after the read is not (at 10k Services it held
    the UI thread 1.5 s when it was run inline on the strength of the empty one's cost)."""
    from k8snet_tui.screens import base
    from k8snet_tui.screens.services import ServicesPane

    monkeypatch.setattr(base, "INLINE_OBJECTS", 5)  # the lab counts as a big cluster
    built_on: list[tuple[int, str]] = []
    build = ServicesPane.build_model

    def noted(self, observed):
        built_on.append((len(observed.cluster.of("Service")), threading.current_thread().name))
        return build(self, observed)

    monkeypatch.setattr(ServicesPane, "build_model", noted)
    args = build_parser().parse_args(["--snapshot", str(LAB_PRINTED)])
    app = make_app(Settings(offline=True), runtime.tui_session(args, Settings(offline=True)), start_pane="services")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        held_read.set()
        await wait_for(pilot, app, "website")
        app.exit(0)
    assert built_on[0][0] == 0  # the empty state's, while the read was held
    after = [name for services, name in built_on if services]
    assert after and threading.main_thread().name not in after, built_on

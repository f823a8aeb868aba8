"""Pane models are built off the UI thread when they are big: keys work meanwhile, and a stream
of new data coalesces into one waiting build instead of piling up. No timings are asserted:
builds are held on an Event so the order of things is deterministic."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from k8snet_tui.screens import base
from k8snet_tui.screens.pods import PodNetworkPane
from k8snet_tui.screens.services import ServicesPane
from k8snet_tui.widgets.explain import ExplainDrawer
from k8snet_tui.widgets.resource_table import ResourceTable

from tests.ui.conftest import screen_text, screen_words


@pytest.fixture
def always_in_a_worker(monkeypatch):
    """Every build goes to a thread worker, as it does on a big cluster."""
    monkeypatch.setattr(base, "INLINE_OBJECTS", -1)
    monkeypatch.setattr(base, "INLINE_BUILD_S", -1.0)


class Gate:
    """Wraps a pane's build_model: counts calls and holds each build until released."""

    def __init__(self, monkeypatch, cls) -> None:
        self.calls: list[object] = []
        self.open = threading.Event()
        self.entered = threading.Event()
        original = cls.build_model

        def build_model(pane, observed):
            self.calls.append(observed)
            self.entered.set()
            assert self.open.wait(20), "the test never released the build"
            return original(pane, observed)

        monkeypatch.setattr(cls, "build_model", build_model)


async def test_the_services_table_arrives_from_a_worker(make_lab_app, always_in_a_worker):
    app = make_lab_app()
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(ServicesPane)
        await pane.wait_built()
        await pilot.pause()
        table = app.query_one("#svc-table", ResourceTable)
        assert table.row_count > 0
        assert pane.build_cost is not None
        # enter on a row still opens its trace (the table posts the row key)
        key = table.keys[0]
        table.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert key in screen_text(app)  # the trace of that row is on screen


async def test_keys_are_handled_while_a_build_runs(make_lab_app, always_in_a_worker, monkeypatch):
    gate = Gate(monkeypatch, ServicesPane)
    app = make_lab_app()
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(ServicesPane)
        await pilot.pause()
        assert gate.entered.wait(10) and pane.building
        drawer = pane.query_one(ExplainDrawer)
        shown = drawer.display
        await pilot.press("e")  # handled now, not after the build
        await pilot.pause()
        assert drawer.display is not shown and pane.building
        await pilot.press("3")  # another pane opens while this one is still building
        await pilot.pause()
        assert app.current_pane.PANE_ID == "pods"
        gate.open.set()
        await pane.wait_built()
        await pilot.pause()
        assert app.query_one("#svc-table", ResourceTable).row_count > 0


async def test_new_data_during_a_build_coalesces(make_lab_app, always_in_a_worker, monkeypatch):
    gate = Gate(monkeypatch, PodNetworkPane)
    app = make_lab_app(start_pane="pods")
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(PodNetworkPane)
        await pilot.pause()
        assert gate.entered.wait(10)
        first = gate.calls[0]
        newer = [replace(first) for _ in range(5)]  # five ticks of new data while one build runs
        for obs in newer:
            pane.show_observed(obs)
        assert len(gate.calls) == 1  # nothing started meanwhile
        gate.open.set()
        await pane.wait_built()
        await pilot.pause()
        # the running build was shown, then exactly one more build: for the newest data
        assert gate.calls == [first, newer[-1]]
        assert pane.observed is newer[-1]
        assert app.query_one("#pods-table", ResourceTable).row_count > 0


async def test_a_failing_build_is_a_message_not_a_crash(make_lab_app, always_in_a_worker, monkeypatch):
    def broken(pane, observed):
        raise ValueError("bad object")

    monkeypatch.setattr(PodNetworkPane, "build_model", broken)
    app = make_lab_app(start_pane="pods")
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(PodNetworkPane)
        await pane.wait_built()
        await pilot.pause()
        assert "ValueError: bad object" in screen_words(app)  # the toast says what went wrong
        await pilot.press("4")
        await pilot.pause()
        assert app.current_pane.PANE_ID == "services"

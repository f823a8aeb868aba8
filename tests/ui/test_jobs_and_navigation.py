"""The job runner (generations, failures, shutdown) and the navigator's back stack."""

from __future__ import annotations

import threading

from textual.app import App, ComposeResult
from textual.widgets import Static

from k8snet_tui.screens.jobs import JobRunner
from k8snet_tui.screens.navigator import Navigator

# -- the navigator, with plain objects for panes --------------------------------------------------


class FakePane:
    def __init__(self, pane_id: str) -> None:
        self.PANE_ID = pane_id
        self.level = 0
        self.commands: list[tuple[str, str]] = []

    def depth(self) -> int:
        return self.level

    def go_back(self) -> bool:
        if self.level:
            self.level -= 1
            return True
        return False

    def handle_command(self, verb: str, arg: str) -> None:
        self.commands.append((verb, arg))
        if arg:
            self.level = 1  # a trace, a lookup: one level in

    def location(self) -> tuple[str, str] | None:
        return self.commands[-1] if self.level and self.commands else None


def _nav():
    panes = {p: FakePane(p) for p in ("services", "ingress", "dns")}
    shown = ["services"]

    def show(pane_id: str) -> FakePane:
        shown.append(pane_id)
        return panes[pane_id]

    return Navigator(show, lambda: panes[shown[-1]]), panes, shown


def test_a_trace_opened_from_ingress_comes_back_there():
    nav, panes, shown = _nav()
    nav.open_pane("ingress")
    nav.open_trace("default/web")
    assert shown[-1] == "services" and panes["services"].commands == [("trace", "default/web")]
    panes["services"].level = 2  # the pod log under the trace
    assert nav.back() and shown[-1] == "services" and panes["services"].level == 1  # log -> trace
    assert nav.back() and shown[-1] == "ingress"  # trace -> where it was opened from
    assert panes["services"].level == 0  # the Services pane is back at its table
    assert not nav.back() and shown[-1] == "ingress"  # nothing more to go back to


def test_a_number_key_forgets_the_way_back():
    nav, panes, shown = _nav()
    nav.open_pane("ingress")
    nav.open_trace("default/web")
    nav.open_pane("dns")
    nav.open_pane("services")
    assert nav.back() and shown[-1] == "services" and panes["services"].level == 0
    assert nav.stack == ()


def test_opening_in_the_same_pane_keeps_no_return():
    nav, _, shown = _nav()
    nav.open_trace("default/web")  # from Services itself
    assert nav.stack == ()
    assert nav.back() and shown[-1] == "services"


def test_a_second_trace_opened_over_a_trace_comes_back_to_the_first():
    nav, panes, shown = _nav()
    nav.open_trace("default/web")  # from the Services table: no way back needed
    nav.open_trace("default/db")  # `:find` on that trace picked another Service's trace
    assert panes["services"].commands[-1] == ("trace", "default/db")
    assert nav.back() and shown[-1] == "services"
    assert panes["services"].commands[-1] == ("trace", "default/web") and panes["services"].level == 1
    assert nav.back() and panes["services"].level == 0  # and then the table
    assert nav.stack == ()


# -- the job runner, in a real app --------------------------------------------------------------


class Host(Static):
    pass


class JobApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Host(id="host")


async def test_only_the_newest_job_of_a_name_is_delivered():
    app = JobApp()
    got: list[str] = []
    release = threading.Event()
    async with app.run_test() as pilot:
        host = app.query_one(Host)
        jobs = JobRunner(host)

        def slow() -> str:
            release.wait(5)
            return "old"

        jobs.start("q", slow, got.append)
        jobs.start("q", lambda: "new", got.append)
        await pilot.pause(0.2)
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert got == ["new"]
        assert not jobs.busy("q")


async def test_a_failure_goes_to_failed_and_a_cancelled_job_to_nobody():
    app = JobApp()
    errors: list[str] = []
    got: list[str] = []
    release = threading.Event()
    async with app.run_test() as pilot:
        jobs = JobRunner(app.query_one(Host), on_error=lambda name, exc: errors.append(f"{name}: {exc}"))

        def boom() -> str:
            raise ValueError("bad answer")

        jobs.start("a", boom, got.append)
        jobs.start("b", lambda: release.wait(5) and "late", got.append)
        jobs.cancel("b")
        release.set()
        await pilot.pause(0.5)  # (wait_for_complete raises for a cancelled worker)
        assert errors == ["a: bad answer"] and got == []


async def test_an_answer_after_the_app_closed_is_dropped_quietly():
    app = JobApp()
    release = threading.Event()
    finished = threading.Event()
    got: list[str] = []
    async with app.run_test() as pilot:
        jobs = JobRunner(app.query_one(Host))

        def late() -> str:
            release.wait(5)
            finished.set()
            return "late"

        jobs.start("late", late, got.append)
        await pilot.pause()
    release.set()  # the app is gone: call_from_thread raises RuntimeError inside the runner
    assert finished.wait(5)
    assert got == []

"""One owner for a pane's background work: thread workers, generations, cancellation, shutdown.

A pane asks `jobs.start(name, work, done)`: `work()` runs in a thread worker, and `done(result)`
runs on the UI thread, but only if no newer job of the same name was started meanwhile (each
start bumps the name's generation: a late answer to an old question is dropped), the job was not
cancelled, and the pane is still mounted. An exception in `work` goes to `failed` (or the
runner's default: a notification in words), never into Textual's crash handler. When the app
is closing, `call_from_thread` raises RuntimeError: that is the shutdown guard every site needs
and used to write itself (six of fourteen did).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from functools import partial
from typing import Any, TypeVar

from textual.widget import Widget
from textual.worker import get_current_worker

T = TypeVar("T")


class JobRunner:
    def __init__(self, owner: Widget, on_error: Callable[[str, Exception], None] | None = None) -> None:
        self._owner = owner
        self._on_error = on_error
        self._generation: dict[str, int] = {}
        self._running: dict[str, int] = {}  # name -> generation of the job still running

    def start(self, name: str, work: Callable[[], T], done: Callable[[T], None], *,
              failed: Callable[[Exception], None] | None = None, description: str = "") -> int:
        """Run `work` off the UI thread; returns this job's generation."""
        gen = self._generation.get(name, 0) + 1
        self._generation[name] = gen
        self._running[name] = gen
        self._owner.run_worker(
            partial(self._run, name, gen, work, done, failed), thread=True, group=f"job-{name}",
            name=name, exit_on_error=False,
            # Without a description Textual repr()s the callable's arguments: a whole cluster.
            description=description or name)
        return gen

    def cancel(self, name: str) -> None:
        """Forget the running job of `name`: its answer, when it comes, is dropped."""
        self._generation[name] = self._generation.get(name, 0) + 1
        self._running.pop(name, None)
        self._owner.workers.cancel_group(self._owner, f"job-{name}")

    def busy(self, name: str) -> bool:
        return name in self._running

    def current(self, name: str, generation: int) -> bool:
        """`generation` is still the newest job of `name` (for callers that keep their own state)."""
        return self._generation.get(name) == generation

    def _run(self, name: str, gen: int, work: Callable[[], Any], done: Callable[[Any], None],
             failed: Callable[[Exception], None] | None) -> None:
        worker = get_current_worker()
        result: Any = None
        error: Exception | None = None
        try:
            result = work()
        except Exception as exc:
            error = exc
        if worker.is_cancelled or self._generation.get(name) != gen:
            return
        with suppress(RuntimeError):  # the app is closing: nobody is left to show the answer to
            self._owner.app.call_from_thread(self._deliver, name, gen, result, error, done, failed)

    def _deliver(self, name: str, gen: int, result: Any, error: Exception | None,
                 done: Callable[[Any], None], failed: Callable[[Exception], None] | None) -> None:
        if self._generation.get(name) != gen:
            return
        self._running.pop(name, None)
        if not self._owner.is_mounted:
            return
        if error is None:
            done(result)
        elif failed is not None:
            failed(error)
        elif self._on_error is not None:
            self._on_error(name, error)

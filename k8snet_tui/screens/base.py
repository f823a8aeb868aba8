"""The pane contract every lab topic implements.

A pane receives an `Observed` (what the API and the node said) and renders the view model a
pure domain function builds from it; `k8snet show <pane> --json` prints the same model. Panes
are only refreshed while visible; a hidden pane remembers that it is out of date.

Building a model can take seconds on a big cluster, so it is split in two:
`build_model(observed)` (pure, any thread: calls `views.build`, turns rows into cells) and
`render_model(observed, model)` (UI thread: hands the result to the widgets). `show_observed`
builds inline when the last build was cheap (or the cluster is small), else in a thread worker,
one at a time per pane: an `Observed` that arrives meanwhile replaces any older waiting one and
is built when the running build is done, so a stream of updates never piles builds up and
every finished build is shown. Panes that do not split override `render_view` instead.
"""

from __future__ import annotations

import asyncio
import gc
import time
from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Static
from textual.worker import get_current_worker

from k8snet_tui.domain.model import Observed
from k8snet_tui.sources.kinds import BY_NAME
from k8snet_tui.widgets.explain import ExplainDrawer
from k8snet_tui.widgets.safe import data_text

# A build that took at most this long last time is done inline (no thread hand-off, no frame
# without data); a first build is inline when the cluster has at most INLINE_OBJECTS objects.
INLINE_BUILD_S = 0.015
INLINE_OBJECTS = 500
FREEZE_AFTER_S = 0.2
MAX_REST_S = 2.0  # the longest pause between two builds when new data keeps coming


class Pane(Vertical, can_focus=False):
    PANE_ID: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""
    KEY: ClassVar[str] = ""
    EXPLAIN: ClassVar[str] = ""
    NEEDS: ClassVar[tuple[str, ...]] = ()  # API kinds whose absence (RBAC) the pane must mention
    # (key, what it does) for `?`; not HELP, which Textual reads as a markdown string
    PANE_KEYS: ClassVar[tuple[tuple[str, str], ...]] = ()

    BINDINGS: ClassVar[list[Binding]] = []
    ALLOW_MAXIMIZE = True  # `z` zooms a pane to the whole screen for projectors

    def __init__(self) -> None:
        super().__init__(id=f"pane-{self.PANE_ID}", classes="pane")
        self.observed: Observed | None = None
        self.dirty = True
        self.build_cost: float | None = None  # seconds the last build_model took
        self._building = False
        self._waiting: Observed | None = None  # the newest Observed that arrived during a build
        self._build_error: str | None = None
        self._idle = asyncio.Event()
        self._idle.set()

    def compose(self) -> ComposeResult:
        with Horizontal(classes="pane-row"):
            with Vertical(classes="pane-body"):
                yield Static(classes="pane-notice", id=f"notice-{self.PANE_ID}")
                yield from self.compose_body()
            yield ExplainDrawer(self.EXPLAIN, id=f"explain-{self.PANE_ID}")

    def compose_body(self) -> ComposeResult:
        yield Static(f"{self.TITLE}: nothing here yet.")

    # -- data ----------------------------------------------------------------------------------

    def show_observed(self, observed: Observed) -> None:
        """Render `observed`; called only while visible (else `dirty` is set)."""
        self.observed = observed
        self.dirty = False
        self._update_notice(observed)
        if type(self).build_model is Pane.build_model:  # a pane that renders in one step
            self.render_view(observed)
            return
        if self._building:
            self._waiting = observed
            return
        if self._build_inline(observed):
            t0 = time.perf_counter()
            model = self.build_model(observed)
            self.build_cost = time.perf_counter() - t0
            self.render_model(observed, model)
            return
        self._building = True
        self._idle.clear()
        self.run_worker(partial(self._build_in_thread, observed), thread=True, exclusive=True,
                        group=f"pane-build-{self.PANE_ID}", name=f"{self.PANE_ID} view",
                        # Without a description Textual repr()s the arguments: a whole cluster.
                        description=f"{self.PANE_ID} view", exit_on_error=False)

    def build_model(self, observed: Observed) -> Any:
        """The pane's model for `observed` (runs in a thread worker: pure, touches no widget)."""
        return None

    def render_model(self, observed: Observed, model: Any) -> None:
        """Hand `model` (built from `observed`) to the widgets, on the UI thread."""

    def render_view(self, observed: Observed) -> None:
        """Build and render now, on the UI thread (panes without a `build_model` override this)."""
        self.render_model(observed, self.build_model(observed))

    def _build_inline(self, observed: Observed) -> bool:
        if self.build_cost is not None:
            return self.build_cost <= INLINE_BUILD_S
        objects = observed.cluster.objects
        return sum(len(v) for v in objects.values()) <= INLINE_OBJECTS

    def _build_in_thread(self, observed: Observed) -> None:
        worker = get_current_worker()
        t0 = time.perf_counter()
        try:
            model, error = self.build_model(observed), None
        except Exception as exc:  # noqa: BLE001 - one bad object must cost a message, not the app
            model, error = None, f"could not build the {self.TITLE} view: {type(exc).__name__}: {exc}"
        cost = time.perf_counter() - t0
        if worker.is_cancelled:
            return
        try:
            self.app.call_from_thread(self._built, observed, model, error, cost)
        except RuntimeError:
            pass  # the app is closing

    def _built(self, observed: Observed, model: Any, error: str | None, cost: float) -> None:
        self._building = False
        self.build_cost = cost
        waiting, self._waiting = self._waiting, None
        if not self.is_mounted:
            self._idle.set()
            return
        if error is not None:
            if error != self._build_error:
                self.app.notify(data_text(error), title=self.TITLE, severity="error", timeout=15)
        else:
            # Shown even when a newer Observed is waiting: it is at most one build old, and a
            # cluster that changes faster than a build would otherwise never show anything.
            self.render_model(observed, model)
            if cost > FREEZE_AFTER_S:
                # A big model (and the indexes behind it) outlives many collections: out of the
                # cyclic GC's walks, a full collection stays short (see the app's on_mount).
                gc.freeze()
        self._build_error = error
        if waiting is not None and waiting is not observed:
            if cost > INLINE_BUILD_S:
                # Data that changes faster than a build would keep a worker busy for good, and
                # every build takes the GIL from the UI thread: rest as long as the build took.
                self._building = True
                self.set_timer(min(cost, MAX_REST_S), partial(self._rested, waiting))
                return
            self.show_observed(waiting)
        if not self._building:
            self._idle.set()

    def _rested(self, observed: Observed) -> None:
        self._building = False
        waiting, self._waiting = self._waiting, None
        self.show_observed(waiting or observed)
        if not self._building:
            self._idle.set()

    @property
    def building(self) -> bool:
        """A model is being built in a worker (its rows are not on screen yet)."""
        return self._building

    async def wait_built(self, timeout: float = 30.0) -> None:
        """For tests and benchmarks: until no build is running or waiting."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    def view_model(self, observed: Observed) -> Any:
        """The pane's domain view model (what `k8snet show <pane> --json` prints)."""
        return None

    def _update_notice(self, observed: Observed) -> None:
        notice = self.query_one(f"#notice-{self.PANE_ID}", Static)
        lines = Text()
        for kind in self.NEEDS:
            reason = observed.cluster.forbidden.get(kind)
            if reason:
                if lines:
                    lines.append("\n")
                lines.append(f"⚠ {reason}", style="bold yellow")
                plural = BY_NAME[kind].plural if kind in BY_NAME else kind
                lines.append(f" — this pane shows what it can without {plural}")
        notice.update(lines)
        notice.display = bool(lines)

    # -- user actions the app forwards ------------------------------------------------------------

    def apply_filter(self, text: str) -> None:
        """Narrow the pane's main list; panes without a list ignore it."""

    def drill_in(self) -> bool:
        """`enter`: go deeper from the selection; True when something happened."""
        return False

    def go_back(self) -> bool:
        """`esc`: come back up one level; True when something happened."""
        return False

    def plain_text(self) -> str:
        """The pane's content as plain text, for `ctrl+s`."""
        return self.TITLE

    def toggle_explain(self) -> None:
        drawer = self.query_one(ExplainDrawer)
        drawer.display = not drawer.display

"""The pane contract every lab topic implements.

A pane is built with a `PaneContext` (the session's capabilities, the settings, `notify`, the
navigator) and draws a model:

- `build_model(observed)`: pure, any thread. By default the pane's registered presenter,
  `present(observed, selection(observed))`; the same model `k8snet show <pane>` prints.
- `render_model(observed, model)`: on the UI thread, hands the model to the widgets.

`show_observed` builds inline when the last build was cheap (or the cluster is small), else as a
job of the pane's `JobRunner`, one at a time: an `Observed` that arrives meanwhile replaces any
older waiting one and is built when the running build is done, so a stream of updates never
piles builds up and every finished build is shown. Panes are only refreshed while visible; a
hidden pane remembers that it is out of date. Models are kept per (state, selection), so
switching back to a pane whose data did not change draws without building.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable
from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from k8snet_tui.domain.model import Observed
from k8snet_tui.present import Selection, present_pane
from k8snet_tui.screens.context import PaneContext
from k8snet_tui.screens.jobs import JobRunner
from k8snet_tui.sources.kinds import BY_NAME
from k8snet_tui.widgets.by_hand import ByHandStrip, by_hand_text
from k8snet_tui.widgets.explain import ExplainDrawer
from k8snet_tui.widgets.resource_table import ResourceTable

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

    BINDINGS: ClassVar[list[BindingType]] = []
    ALLOW_MAXIMIZE = True  # `z` zooms a pane to the whole screen for projectors

    def __init__(self, context: PaneContext) -> None:
        super().__init__(id=f"pane-{self.PANE_ID}", classes="pane")
        self.context = context
        self.jobs = JobRunner(self, self._job_failed)
        self.observed: Observed | None = None
        self.dirty = True
        self.build_cost: float | None = None  # seconds the last build_model took
        self._built_objects = 0  # how many objects the cluster of the last build held
        self._building = False
        self._waiting: Observed | None = None  # the newest Observed that arrived during a build
        self._build_error: str | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self._model_for: tuple[Observed, Selection, Any] | None = None  # the last model built
        self.styled_for: int | None = None  # the app's CSS generation last applied (hidden: stale)

    def compose(self) -> ComposeResult:
        with Horizontal(classes="pane-row"):
            with Vertical(classes="pane-body"):
                yield Static(classes="pane-notice", id=f"notice-{self.PANE_ID}")
                yield from self.compose_body()
                # `k`: the commands that show this view's facts by hand (screens/lab.py)
                yield ByHandStrip(id=f"byhand-{self.PANE_ID}")
            yield ExplainDrawer(self.EXPLAIN, id=f"explain-{self.PANE_ID}")

    def compose_body(self) -> ComposeResult:
        yield Static(f"{self.TITLE}: nothing here yet.")

    # -- data ----------------------------------------------------------------------------------

    def when_ready(self, work: Callable[[], object]) -> None:
        """Run `work` now if the pane is mounted, else once it is (its widgets composed): the app
        mounts most panes after the first frame, or when one is asked for first."""
        if self.is_mounted:
            work()
        else:
            self.call_later(work)

    def show_observed(self, observed: Observed) -> None:
        """Render `observed`; called only while visible (else `dirty` is set)."""
        self.observed = observed
        self.dirty = False
        self._update_notice(observed)
        if self._building:
            self._waiting = observed
            return
        kept = self._model_for
        if kept is not None and kept[0] is observed and kept[1].same(self.selection(observed)):
            self._show_model(observed, kept[2])  # a pane switch with no new data: nothing to build
            return
        if self._build_inline(observed):
            t0 = time.perf_counter()
            model = self.build_model(observed)
            self.build_cost = time.perf_counter() - t0
            self._keep(observed, model)
            self._show_model(observed, model)
            return
        self._building = True
        self._idle.clear()
        t0 = time.perf_counter()
        self.jobs.start("build", partial(self.build_model, observed),
                        lambda model: self._built(observed, model, None, time.perf_counter() - t0),
                        failed=lambda exc: self._built(observed, None, self._error_words(exc),
                                                       time.perf_counter() - t0),
                        description=f"{self.PANE_ID} view")

    def selection(self, observed: Observed) -> Selection:
        """What the user chose that the model depends on; the namespace applies to every pane."""
        return Selection(namespace=observed.cluster.namespace)

    def build_model(self, observed: Observed) -> Any:
        """The pane's model for `observed` (may run in a thread: pure, touches no widget)."""
        return present_pane(self.PANE_ID, observed, self.selection(observed))

    def render_model(self, observed: Observed, model: Any) -> None:
        """Hand `model` (built from `observed`) to the widgets, on the UI thread."""

    def _show_model(self, observed: Observed, model: Any) -> None:
        self.render_model(observed, model)
        self.refresh_by_hand()

    # -- `k`: the by-hand commands, one hook for every pane -----------------------------------------

    def focus_key(self) -> str | None:
        """The object the user is on, as a row key (`ns/name`, an address, a node, a device):
        the focused table's row, else the first table shown. Panes with other views override it."""
        tables = [t for t in self.query(ResourceTable) if t.display and t.parent is not None and t.parent.display]
        focused = [t for t in tables if t.has_focus]
        for table in focused + tables:
            key = table.selected_key()
            if key:
                return key
        return None

    def refresh_by_hand(self) -> None:
        """Show (or hide) the by-hand commands for the current object, as the shared toggle says."""
        strips = self.query(f"#byhand-{self.PANE_ID}")
        if not strips:
            return
        strip = strips.first(ByHandStrip)
        strip.display = self.context.view.by_hand
        if not strip.display or self.observed is None:
            return
        from k8snet_tui.present.commands import by_hand

        model = self._model_for[2] if self._model_for is not None else None
        backend = getattr(model, "backend", None) or "iptables"
        strip.update(by_hand_text(by_hand(self.PANE_ID, self.observed, self.focus_key(), str(backend))))

    def on_resource_table_row_highlighted(self, event: ResourceTable.RowHighlighted) -> None:
        if self.context.view.by_hand:
            self.call_after_refresh(self.refresh_by_hand)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if self.context.view.by_hand:  # a pane switch, a drill in, a `:` command's view
            self.call_after_refresh(self.refresh_by_hand)

    def on_resource_table_row_selected(self, event: ResourceTable.RowSelected) -> None:
        if self.context.view.by_hand:
            self.call_after_refresh(self.refresh_by_hand)

    def _keep(self, observed: Observed, model: Any) -> None:
        self._model_for = (observed, self.selection(observed), model)

    def _error_words(self, exc: Exception) -> str:
        return f"could not build the {self.TITLE} view: {type(exc).__name__}: {exc}"

    def _job_failed(self, name: str, exc: Exception) -> None:
        self.context.notify(f"{self.TITLE}: {name} failed: {type(exc).__name__}: {exc}", title=self.TITLE,
                            severity="error", timeout=15)

    def _build_inline(self, observed: Observed) -> bool:
        # Counted without reading a kind whose items are still undecoded (a big snapshot's pods
        # and slices): summing the values decoded them on the UI thread, 1.7 s at 30k pods.
        cluster, total = observed.cluster, 0
        for kind in cluster.objects:
            deferred = cluster.deferred(kind)
            total += len(deferred) if deferred is not None else len(cluster.of(kind))
        last, self._built_objects = self._built_objects, total
        if self.build_cost is not None and (total <= INLINE_OBJECTS or total <= 2 * last):
            return self.build_cost <= INLINE_BUILD_S
        # A first build, or a cluster that grew past twice the last one's (the empty state
        # shown while a big snapshot is read, a live start's first lists): the last build's
        # cost says nothing of this one, which at 10k Services held the UI thread 1.5 s.
        return total <= INLINE_OBJECTS

    def _built(self, observed: Observed, model: Any, error: str | None, cost: float) -> None:
        self._building = False
        self.build_cost = cost
        waiting, self._waiting = self._waiting, None
        if error is not None:
            if error != self._build_error:
                self.context.notify(error, title=self.TITLE, severity="error", timeout=15)
        else:
            # Shown even when a newer Observed is waiting: it is at most one build old, and a
            # cluster that changes faster than a build would otherwise never show anything.
            self._keep(observed, model)
            self._show_model(observed, model)
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

    def on_unmount(self) -> None:
        self._idle.set()  # a build dropped with the pane must not keep wait_built() waiting

    @property
    def building(self) -> bool:
        """A model is being built in a worker (its rows are not on screen yet)."""
        return self._building

    async def wait_built(self, timeout: float = 30.0) -> None:
        """For tests and benchmarks: until no build is running or waiting."""
        await asyncio.wait_for(self._idle.wait(), timeout)

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
        node_line = self.context.node_notice(self.PANE_ID, observed) if self.context.node_notice else ""
        if node_line:  # the node picked with `N` is not the one read (missing, or being read)
            lines.append(("\n" if lines else "") + node_line, style="bold yellow")
        notice.update(lines)
        notice.display = bool(lines)

    # -- user actions the app forwards ------------------------------------------------------------

    def apply_filter(self, text: str) -> None:
        """Narrow the pane's main list; panes without a list ignore it."""

    def active_filter(self) -> str:
        """The filter in force on the pane's lists ("" for none), for the header: set by `/`,
        a `:` command (`:svc NAME`, `:pods WORD`) or a lab stop, it must never be hidden."""
        for table in self.query(ResourceTable):
            if table.filter_text:
                return table.filter_text
        return ""

    def drill_in(self) -> bool:
        """`enter`: go deeper from the selection; True when something happened."""
        return False

    def go_back(self) -> bool:
        """`esc`: come back up one level; True when something happened."""
        return False

    def depth(self) -> int:
        """How deep inside itself the pane is: 0 at its home view (see `Navigator`)."""
        return 0

    def handle_command(self, verb: str, arg: str) -> None:
        """A `:` command (or a drill from another pane) for this pane; an empty `arg` means home."""

    def location(self) -> tuple[str, str] | None:
        """Where the pane is, as the (verb, arg) `handle_command` takes to open it there again
        (the navigator's way back inside one pane); None at its home view."""
        return None

    def selected_pod(self) -> str | None:
        """The pod the user is on (`ns/name`), for the node picker's default; None when none."""
        return None

    def plain_text(self) -> str:
        """The pane's content as plain text, for `ctrl+s`."""
        return self.TITLE

    def toggle_explain(self) -> None:
        drawer = self.query_one(ExplainDrawer)
        drawer.display = not drawer.display

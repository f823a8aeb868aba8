"""The composition root: `make_app(settings, session)` builds the Textual app.

The app owns no data logic. It asks the session for an `Observed`, hands it to the visible
pane, and runs the session's background work (API watchers on daemon threads, node polls in a
thread worker) whose results come back as a version number it checks once a second, so a burst
of events becomes one repaint; a kind's first list wakes it at once (the first rows wait for no tick).
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from functools import partial
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult, ScreenError, ScreenStackError, SystemCommand
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.dom import DOMNode
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.theme import Theme
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Input, Static

from k8snet_tui import __version__
from k8snet_tui.collect.gc_policy import calm
from k8snet_tui.collect.session import Session
from k8snet_tui.collect.watch import Backoff, interruptible_sleep
from k8snet_tui.config import THEME_HELP, THEME_NAMES, Settings
from k8snet_tui.domain.model import Observed, name_of
from k8snet_tui.domain.sanitize import clean
from k8snet_tui.errors import K8snetError
from k8snet_tui.registry import PANES as PANE_SPECS
from k8snet_tui.registry import load_pane_class
from k8snet_tui.screens.base import Pane
from k8snet_tui.screens.context import LocalNetwork, PaneContext
from k8snet_tui.screens.lab import GUIDE_BINDINGS, GuideActions, LabPanel
from k8snet_tui.screens.modals import ALL_NAMESPACES, CommandPaletteScreen, HelpScreen, NamespacePicker, help_rows
from k8snet_tui.screens.navigator import Navigator
from k8snet_tui.screens.node_picker import OWN, NodeChoice, NodePickerScreen
from k8snet_tui.widgets.key_order import KeyOrder
from k8snet_tui.widgets.safe import data_text
from k8snet_tui.widgets.status_bar import KeyFooter, StatusBar

HIGH_CONTRAST = Theme(
    name="k8snet-high-contrast",
    primary="#ffff00",
    secondary="#00ffff",
    accent="#ff00ff",
    foreground="#ffffff",
    background="#000000",
    surface="#000000",
    panel="#1a1a1a",
    warning="#ffff00",
    error="#ff5555",
    success="#00ff00",
    dark=True,
)
# Our theme words -> Textual theme names; every word in config.THEME_NAMES must be here.
THEMES = {"default": "textual-dark", "high-contrast": HIGH_CONTRAST.name, "ansi": "ansi-dark"}
assert set(THEMES) == set(THEME_NAMES) == set(THEME_HELP)
DEFAULT_PANE = "services"


WAKE_COALESCE_S = 0.03  # a burst of first lists within this makes one refresh
OTHER_PANES_LIVE_S = 2.5  # live: the panes not shown are mounted this long after the first frame
OTHER_PANES_WAIT_S = 20.0  # a big snapshot read: they wait for its rows at most this long
FIRST_KINDS = ("Service", "EndpointSlice")  # listed before the others when the Services are shown
FIRST_LISTS_WAIT_S = 1.0  # the longest the other lists wait for them


class KindListed(Message):
    """A kind's first list reached a live session's store (posted from a watcher thread)."""


class K8snetApp(GuideActions, App[int]):
    TITLE = "k8snet"
    CSS_PATH = "styles/app.tcss"
    ENABLE_COMMAND_PALETTE = True
    # Zoomed (`z`), the pane fills the screen but the keys, the input boxes and the toasts stay:
    # without them `:` typed into an invisible box and every message was hidden.
    ALLOW_IN_MAXIMIZED_VIEW = "KeyFooter, .bottom-input, ToastRack"  # for Textual's maximize (zoom is ours)

    # The pane keys come from the registry; the tooltip is the line `?` shows for a binding.
    BINDINGS = [
        *(Binding(spec.key, f"show_pane('{spec.id}')", spec.title, id=spec.binding_id,
                  tooltip=f"{spec.title}: {spec.summary}") for spec in PANE_SPECS),
        Binding("question_mark", "help", "Help", id="app.help", tooltip="this help (and where the data comes from)"),
        Binding("q", "quit", "Quit", id="app.quit", tooltip="quit"),
        Binding("colon", "command_line", "Cmd", id="app.command",
                tooltip="command line: svc, trace NS/NAME, dns NAME, route URL, policy check, path FROM TO, "
                        "balance NS/SVC, mesh NS/POD [DEST], find WORD, diff B, lab, check, show PANE, ns NAME, "
                        "theme NAME, ctx NAME, q"),
        Binding("slash", "filter", "Filter", id="view.filter", tooltip="filter the current list"),
        Binding("e", "explain", "Explain", id="view.explain", tooltip="explain drawer on/off"),
        Binding("n", "namespace", "Namespace", id="app.namespace", show=False, tooltip="pick a namespace"),
        Binding("N", "pick_node", "Node", id="app.node", show=False,
                tooltip="pick the node whose state Host, Pods' path and the Services trace read"),
        Binding("z", "zoom", "Zoom", id="view.zoom", show=False, tooltip="zoom the pane (for projectors)"),
        Binding("ctrl+s", "save_view", "Save", id="app.save_view", show=False,
                tooltip="save the view as text and SVG"),
        Binding("escape", "back", "Back", id="view.back", show=False, tooltip="back (closes a box, leaves zoom)"),
        *GUIDE_BINDINGS,  # `>`/`<` the guided lab, `k` by-hand commands (screens/lab.py)
    ]

    def __init__(self, settings: Settings, session: Session, *, start_pane: str = DEFAULT_PANE,
                 save_dir: str | None = None, lab: bool = False, start_node: str | None = None) -> None:
        super().__init__()
        self._quitting = False  # set by exit(): input after it is dropped (see on_event)
        self.key_order = KeyOrder(self)
        self.settings = settings
        self.session = session
        self.start_pane = start_pane
        self.start_lab = lab  # `k8snet lab`: open the guided lab at its first stop
        self.start_node = start_node  # `--node NAME` (live): picked as with `N` once a pane is up
        self.save_dir = Path(save_dir or os.environ.get("K8SNET_SAVE_DIR") or ".")
        self._seen_version = -1
        self._wake_lock = threading.Lock()  # a kind listed wakes the app once per burst
        self._wake_posted = False
        self._panes: dict[str, Pane] = {}
        self._zoomed = False
        self._last_focus: Widget | None = None  # where the keyboard was (see on_descendant_focus)
        self.crash: BaseException | None = None  # the first unexpected exception, for run_app
        self.observed: Observed = session.observed()
        # Panes get what they may use through this, never by reaching into the app.
        self.navigator = Navigator(self._activate, lambda: self.current_pane)
        self.pane_context = PaneContext(session=session, settings=settings, navigator=self.navigator,
                                        notify=self.notify, network=LocalNetwork())
        self.nodes = NodeChoice(session, self.notify)  # `N`: the node the node panes read
        self.pane_context.node_notice = self.nodes.notice
        self.pane_context.open_modal = self.push_screen

    # -- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        banner = Static(id="banner")
        banner.display = bool(self.session.banner)
        yield banner
        # Only the first pane before the first frame: the others (their modules, ~150 widgets to
        # mount and style) come right after it (`_build_other_panes`), or when asked for first.
        with ContentSwitcher(id="panes", initial=f"pane-{self.start_pane}"):
            yield self._new_pane(self.start_pane)
        for box in (Input(placeholder="filter (esc clears)", id="filter-input", classes="bottom-input"),
                    Input(placeholder=":command  (svc, trace NS/NAME, dns NAME, route URL, ns NAME, theme NAME, q)",
                          id="command-input", classes="bottom-input",
                          select_on_focus=False)):  # the palette's Find opens it with `find ` typed
            box.display = False  # hidden inputs must never take the first focus (they would eat keys)
            box.submit_hint = "Done" if box.id == "filter-input" else "Run"  # type: ignore[attr-defined]  # footer
            yield box
        yield KeyFooter()

    def get_default_screen(self) -> Screen:
        from k8snet_tui.screens.main_screen import MainScreen  # a focus change repaints only what it restyles

        return MainScreen(id="_default")

    def on_mount(self) -> None:
        # What is loaded by now (a snapshot: every object of the cluster) lives as long as the
        # app: out of the cyclic GC's reach, a full collection no longer walks millions of
        # objects (0.1-0.7 s with the loop stopped at 30k pods). Refcounting still frees them.
        gc.freeze()
        self._gc_restore = calm()  # and rare full collections (collect/gc_policy.py)
        # Views are built in thread workers; every time the event loop waits in select() it
        # hands the GIL to a busy worker and then waits up to the switch interval to get it back
        # (5 ms by default, many times per frame). 1 ms keeps keys responsive during builds.
        sys.setswitchinterval(0.001)
        self.register_theme(HIGH_CONTRAST)
        self.set_theme_word(self.settings.theme)
        if self.settings.keymap:  # the ids of every pane's bindings: their modules are needed now
            self.settings = self.settings.with_keymap_checked(self.binding_ids())
        if self.settings.keymap:
            self.set_keymap(dict(self.settings.keymap))
        for problem in self.settings.problems:
            self.notify(problem, title="config", severity="warning", timeout=20)
        status = self.query_one(StatusBar)
        status.mode_label = self.session.label
        status.live = self.session.mode == "live"
        if self.session.banner:
            self.query_one("#banner", Static).update(data_text(self.session.banner, style="bold"))
        self._activate(self.start_pane)
        if self.session.watchers or self.session.poller is not None:
            # A live session's background work, after the first frame (importing the kubernetes
            # client and connecting can take a while) and before the other panes are mounted
            # (~1 s of the loop under load): the first lists are on their way meanwhile.
            self.call_after_refresh(self._start_live)
        if self.session.watchers:
            # Mounting the other panes holds the loop ~0.7 s under load; a live start's first
            # lists land meanwhile and would wait for it. A pane asked for sooner mounts then.
            self.set_timer(OTHER_PANES_LIVE_S, self._build_other_panes)
        elif not callable(getattr(self.session, "when_loaded", None)):
            self.call_after_refresh(self._build_other_panes)
        # (a big snapshot read in the background: they are mounted once its rows are shown)
        if self.start_lab:
            self.call_after_refresh(self.lab_go, 0)
        if self.start_node:
            self.call_after_refresh(self._pick_node, self.start_node)
        self.set_interval(1.0, self._tick)
        when_loaded = getattr(self.session, "when_loaded", None)
        if callable(when_loaded):  # a big snapshot to read (collect/loading.py): read after the first frame
            self.call_after_refresh(when_loaded, self._snapshot_read)

    def _handle_exception(self, error: Exception) -> None:
        # Textual would print a full traceback over the user's shell after exiting with code 1;
        # `run_app` re-raises the first error instead, for the CLI to log it and print one line.
        if self.crash is None:
            self.crash = error
        super()._handle_exception(error)
        self._exit_renderables.clear()

    def binding_ids(self) -> set[str]:
        """Every binding id a keymap may name: the app's, and those of every widget and screen class."""
        for spec in PANE_SPECS:
            load_pane_class(spec)  # each pane's module, with the widgets it uses
        ids = {b.id for b in self.BINDINGS if isinstance(b, Binding) and b.id}
        for name, module in list(sys.modules.items()):
            if not name.startswith("k8snet_tui.") or module is None:
                continue
            for obj in vars(module).values():
                if isinstance(obj, type) and obj.__module__ == name:
                    ids |= {b.id for b in vars(obj).get("BINDINGS", ()) if isinstance(b, Binding) and b.id}
        return ids

    def on_resize(self, event: events.Resize) -> None:
        # At 80 columns every cell of the footer counts: drop the padding between its keys.
        self.query_one(KeyFooter).compact = event.size.width < 100
        for panel in self.query(LabPanel):  # short screens: a compact lab panel
            panel.redraw()

    def exit(self, result: int | None = None, return_code: int = 0,
             message: Any = None) -> None:
        self._quitting = True
        super().exit(result, return_code, message)

    async def on_event(self, event: events.Event) -> None:
        # Keys typed right after `q` (`q` then `n` in one burst) are still queued when the app
        # starts closing; a modal opened then mounts on a screen being torn down and crashed
        # the exit. Once quitting, input is dropped; every other event still runs.
        if self._quitting and isinstance(event, events.InputEvent):
            self.key_order.drop()
            return
        # Keys from the terminal go one at a time (widgets/key_order.py): `/web` typed fast,
        # or while the app starts, gave `web` to the table the filter box replaced.
        if not self.key_order.admit(event):
            return
        target = None
        if isinstance(event, events.Key) and not event.is_forwarded:
            with suppress(ScreenStackError):
                target = self.focused or self.screen
        await super().on_event(event)
        self.key_order.handled_by_app(event, target)

    def on_unmount(self) -> None:
        # A credential plugin still running (a login waiting on a browser) must not outlive us.
        from k8snet_tui.sources.exec_plugin import end_plugins

        end_plugins()
        if getattr(self, "_gc_restore", None) is not None:
            self._gc_restore()

    # -- data flow -----------------------------------------------------------------------------

    @property
    def current_pane(self) -> Pane:
        current = self.query_one(ContentSwitcher).current or f"pane-{DEFAULT_PANE}"
        return self._panes[current.removeprefix("pane-")]

    def _tick(self) -> None:
        # The timer can still fire while the app closes, after its widgets are gone: then
        # there is nothing to refresh (a tick there once crashed the exit).
        if not self._refresh_if_changed():
            return
        status = self._status_bar()
        if status is not None:
            status.node_badge = self.nodes.badge(self.observed)  # its age ticks

    def _refresh_if_changed(self) -> bool:
        """Refresh if the session's data changed; False once the app's widgets are gone."""
        if self._quitting or self._status_bar() is None:
            return False
        if self.session.version != self._seen_version:
            self.refresh_data()
        return True

    def _snapshot_read(self) -> None:
        """The session's snapshot is read (called on the reading thread, or here if it was already)."""
        if threading.get_ident() == self._thread_id:
            self.call_later(self._show_read_snapshot)
        else:
            with suppress(RuntimeError):  # the app has ended meanwhile
                self.call_from_thread(self._show_read_snapshot)

    def _show_read_snapshot(self) -> None:
        error = getattr(self.session, "error", None)
        if error is not None:  # as when it is read before the app starts: one message, exit status 1
            self.crash = error
            self.exit(1, return_code=1)
            return
        gc.freeze()  # as at mount: what is loaded lives as long as the app
        if self._quitting or not self.query(StatusBar):
            return
        self.query_one(StatusBar).mode_label = self.session.label
        banner = self.query_one("#banner", Static)
        banner.update(data_text(self.session.banner, style="bold"))
        banner.display = bool(self.session.banner) and not self._zoomed
        self.refresh_data()
        self.run_worker(self._other_panes_after_rows(), name="other panes", group="other-panes")

    async def _other_panes_after_rows(self) -> None:
        """Mount the hidden panes once the snapshot's rows are built: mounted meanwhile, they
        held the GIL against the read and the rows' build (at scale L the rows came ~1 s later)."""
        pane = self.current_pane
        if pane is not None:
            with suppress(asyncio.TimeoutError):
                await pane.wait_built(timeout=OTHER_PANES_WAIT_S)
        self._build_other_panes()

    def _view_for(self, pane: Pane) -> Observed:
        """What `pane` draws: with the picked node's state if it reads node state (`N`)."""
        return self.nodes.view_for(pane.PANE_ID, self.observed)

    def refresh_data(self) -> None:
        self._seen_version = self.session.version
        self.observed = self.session.observed()
        for pane in self._panes.values():
            pane.dirty = True
        status = self.query_one(StatusBar)
        status.stale_since = self.observed.cluster.stale_since
        status.namespace = self.observed.cluster.namespace or "all namespaces"
        status.node_badge = self.nodes.badge(self.observed)
        current = self.current_pane
        current.when_ready(lambda: current.show_observed(self._view_for(current)))
        self.guide_tick()

    def _new_pane(self, pane_id: str) -> Pane:
        spec = next(s for s in PANE_SPECS if s.id == pane_id)
        cls = load_pane_class(spec)
        assert issubclass(cls, Pane), cls
        pane = self._panes[pane_id] = cls(self.pane_context)
        return pane

    def _build_other_panes(self) -> None:
        """Mount the panes not built yet, hidden, after the first frame."""
        for spec in PANE_SPECS:
            if spec.id not in self._panes and self.is_running:
                self._mount_pane(spec.id)

    def _mount_pane(self, pane_id: str) -> Pane:
        pane = self._new_pane(pane_id)
        pane.display = False  # as the switcher shows only its current child
        self.query_one(ContentSwitcher).mount(pane)
        return pane

    def _pane(self, pane_id: str) -> Pane:
        """The pane, mounted now if it was not yet. A pane mounted now composes its widgets on
        the next turn of the loop, so what is asked of it waits until then (`Pane.when_ready`):
        its model, and a command the navigator hands it (`:trace` before the pane was built)."""
        pane = self._panes.get(pane_id)
        if pane is None:
            pane = self._mount_pane(pane_id)
            command = pane.handle_command

            def run_later(verb: str, arg: str) -> None:
                def run() -> None:
                    command(verb, arg)
                    self.navigator.opened_at(pane_id, pane.depth())  # where `esc` leaves it
                    self.call_after_refresh(self.show_filter)
                pane.when_ready(run)

            pane.handle_command = run_later  # type: ignore[method-assign]
        return pane

    def _activate(self, pane_id: str) -> Pane:
        pane = self._pane(pane_id)
        self._restyle_if_stale(pane)  # a theme changed while it was hidden
        switcher = self.query_one(ContentSwitcher)
        switcher.current = f"pane-{pane_id}"
        self.query_one(StatusBar).pane_title = f"{pane.KEY} {pane.TITLE}"
        if pane.dirty or pane.observed is not self._view_for(pane):
            if self._seen_version != self.session.version:
                self.refresh_data()
            else:
                pane.when_ready(lambda: pane.show_observed(self._view_for(pane)))
        # The keyboard moves now, not after the next frame: the focus's restyle and the footer's
        # keys go into the switch's one frame (after it, the hidden table's blur, the new focus
        # and the footer drew two or three frames more, ~30-40 ms at scale L).
        self._focus_pane(pane, later=True)
        self.show_filter()
        self.call_after_refresh(self.show_filter)  # a filter a command sets after this (`:svc NAME`, a drill)
        return pane

    def _focus_pane(self, pane: Pane, *, later: bool = False) -> None:
        if pane is not self.current_pane:
            return  # the user went on: the pane now shown has had its own
        # (What the keyboard is on is read from the screen, not by a query: a query matches its
        # selector against every widget of all the panes, a few ms a pane switch.)
        focused = self.screen.focused
        if later and (self.screen is not self.screen_stack[0] or (
                focused is not None and focused.display and focused.has_class("bottom-input"))):
            return  # the user typed `:` or `/` (or opened a box) before this frame: theirs
        if not pane.is_mounted:  # mounted just now (its first visit): its widgets can take focus soon
            pane.when_ready(partial(self.call_after_refresh, self._focus_pane, pane, later=True))
            return
        focusable = [w for w in pane.walk_children(Widget) if w.focusable and w.display]
        if focusable:
            # Now, not with `focus()`, which runs after the keys already queued: a `:` among
            # them opened the command box, then lost it to the pane's first widget.
            pane.screen.set_focus(focusable[0])
        else:
            self.set_focus(None)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # A hidden pane's own late `focus()` (its first build ending after the user switched
        # away, at start-up) must not take the keyboard: its keys would act on a pane no one
        # sees, and `:` typed meanwhile lost its box. The keyboard goes back where it was.
        widget = event.widget
        pane = next((node for node in widget.ancestors_with_self if isinstance(node, Pane)), None)
        if pane is None or pane.display:
            self._last_focus = widget
            return
        last = self._last_focus
        if last is not None and last.is_attached and last.display and last.screen is widget.screen:
            widget.screen.set_focus(last)
        else:
            self._focus_pane(self.current_pane)

    def _kind_listed(self, kind: str) -> None:
        """From a watcher thread: a kind's first list is in the store. One wake per burst (a
        start lists ~40 kinds within ms), so the rows need not wait for the next tick."""
        with self._wake_lock:
            if self._wake_posted:
                return
            self._wake_posted = True
        self.post_message(KindListed())

    @on(KindListed)
    def _wake_on_listed(self, _message: KindListed) -> None:
        self.set_timer(WAKE_COALESCE_S, self._woken)

    def _woken(self) -> None:
        with self._wake_lock:
            self._wake_posted = False
        self._refresh_if_changed()

    def _start_live(self) -> None:
        session = self.session
        store = getattr(session, "store", None)
        if callable(getattr(store, "on_listed", None)):
            store.on_listed(self._kind_listed)  # type: ignore[union-attr]
        # Each watcher sits in a long HTTP read for as long as the app runs, so it gets a daemon
        # thread of its own. As Textual thread workers they took threads of the event loop's
        # default executor (min(32, cpus + 4): 6 on 2 cores), so most kinds were never listed
        # and the node poller never ran; and asyncio.run joins that executor's threads at exit,
        # so quitting waited for every open watch to end.
        cancelled = lambda: not self.is_running  # noqa: E731
        first, go_on = self._first_lists(store)
        for watcher in session.watchers:
            wait = None if getattr(watcher, "kind", None) is not None and watcher.kind.kind in first else go_on
            threading.Thread(target=self._run_watcher, args=(watcher, cancelled, wait), daemon=True,
                             name=f"k8snet watch {watcher.kind.kind}").start()
        if session.poller is not None:
            self._poll_node()

    def _first_lists(self, store: Any) -> tuple[frozenset[str], threading.Event | None]:
        """The kinds listed first, and what the other watchers wait for: the Services pane's rows
        need the Services and their slices only, and the other ~40 lists (10k pods at scale M)
        would share the GIL and the connection with them. The rest start once those two kinds
        have been listed, or FIRST_LISTS_WAIT_S later whatever happened (a forbidden kind)."""
        if "Service" not in self.current_pane.NEEDS or not callable(getattr(store, "on_listed", None)):
            return frozenset(), None
        first = frozenset(FIRST_KINDS)
        go_on = threading.Event()
        pending = set(first)

        def listed(kind: str) -> None:  # a watcher thread
            pending.discard(kind)
            if not pending:
                go_on.set()

        store.on_listed(listed)
        return first, go_on

    def _run_watcher(self, watcher: Any, cancelled: Callable[[], bool], wait: threading.Event | None = None) -> None:
        if wait is not None:
            wait.wait(FIRST_LISTS_WAIT_S)
        backoff = Backoff(low=5.0, high=120.0)
        while not cancelled():
            try:
                watcher.run(cancelled)
                return
            except K8snetError as exc:
                # Credentials that cannot be loaded now (an expired SSO login, a failing exec
                # plugin) may work after the user logs in again: say so once, keep retrying slowly.
                self.call_from_thread(self._report_once, str(exc))
                watcher.store.mark_stale(watcher.kind.kind)
                interruptible_sleep(backoff.next_delay(), cancelled)

    _reported: set[str] = set()

    def _report_once(self, message: str) -> None:
        if message not in self._reported:
            self._reported.add(message)
            self.notify(data_text(message), title="cluster", severity="error", timeout=15)

    @work(thread=True, exit_on_error=False, group="node", exclusive=True)
    def _poll_node(self) -> None:
        poller = self.session.poller
        assert poller is not None  # scheduled only for a session that has one
        try:
            poller.poll()
        finally:
            # Never overlap polls: the next one is scheduled only after this one is done.
            self.call_from_thread(self._after_poll)

    def _after_poll(self) -> None:
        self.refresh_data()
        poller = self.session.poller
        if poller is not None:
            self.set_timer(poller.interval, self._poll_node)

    # -- actions -------------------------------------------------------------------------------

    def action_show_pane(self, pane_id: str) -> None:
        if any(spec.id == pane_id for spec in PANE_SPECS):
            self.navigator.open_pane(pane_id)

    def action_explain(self) -> None:
        self.current_pane.toggle_explain()

    def action_zoom(self) -> None:
        self._zoomed = not self._zoomed
        self._apply_zoom()

    def _apply_zoom(self) -> None:
        """Zoomed, the pane has every row but the footer's (and the boxes' and toasts', docked
        over it): the header, the banner and the lab panel are hidden.

        Not Textual's maximize: that toggles a class on the screen, which restyles every widget
        of all eight panes (0.2-1.3 s a zoom), and a maximized pane left hidden by a pane switch
        blanked the screen. Hiding three widgets restyles nothing."""
        shown = not self._zoomed
        self.query_one(StatusBar).display = shown
        self.query_one("#banner", Static).display = shown and bool(self.session.banner)
        for panel in self.query(".zoom-hides"):
            panel.display = shown

    def action_filter(self) -> None:
        box = self.query_one("#filter-input", Input)
        with box.prevent(Input.Changed):  # the pane's own filter, to edit (the box is shared by all panes)
            box.value = self.current_pane.active_filter()
        box.display = True
        self._focus_now(box)

    def show_filter(self) -> None:
        """The header names the filter in force on the pane shown, however it was set."""
        status = self._status_bar()
        if status is not None:
            status.filter = self.current_pane.active_filter()

    def _status_bar(self) -> StatusBar | None:
        """The header, or None once the app's widgets are gone (it closes).

        `query_one` is answered from a cache; `query` matches its selector against every widget
        of all the panes (a few ms each: once a key and twice a tick, it was a tenth of a key's
        cost in the monkey test)."""
        try:
            return self.query_one(StatusBar)
        except NoMatches:
            return None

    def action_command_line(self, typed: str = "") -> None:
        """The `:` box, empty or with the start of a command (the palette's Find and Diff)."""
        box = self.query_one("#command-input", Input)
        box.value = typed
        box.cursor_position = len(typed)
        box.display = True
        self._focus_now(box)

    def _focus_now(self, box: Input) -> None:
        # Widget.focus() takes effect after the keys already queued: typed (or pasted) fast,
        # `:theme ansi` became the pane keys t, h, e... and an empty box. Focus before them.
        box.screen.set_focus(box)

    def action_back(self) -> None:  # type: ignore[override]  # Textual's is a coroutine; a sync action is fine
        for box_id in ("#command-input", "#filter-input"):
            box = self.query_one(box_id, Input)
            if box.display and box.has_focus:
                if box_id == "#filter-input":
                    box.value = ""
                    self.current_pane.apply_filter("")
                box.display = False
                self._focus_pane(self.current_pane)
                return
        if self._zoomed:
            self.action_zoom()
            return
        if not self.navigator.back() and self.current_pane.active_filter():
            self.current_pane.apply_filter("")  # at the pane's home: esc clears the filter in force
        self.show_filter()

    def action_help(self) -> None:
        """Help from the bindings as they are now (after the user's keymap), pane first."""
        pane = self.current_pane
        pane_rows, global_rows = help_rows(self.screen.active_bindings.values(), pane, self,
                                           self.get_key_display)
        about = [self.session.label, self.session.banner] if self.session.banner else [self.session.label]
        self.push_screen(HelpScreen(f"{pane.KEY} {pane.TITLE}", pane_rows, global_rows, about=about))

    # -- themes and messages -------------------------------------------------------------------

    def set_theme_word(self, word: str) -> bool:
        """Switch to one of our themes by its word; False (and a message) for an unknown one."""
        name = THEMES.get(word.strip().lower())
        if name is None:
            self.notify(f"unknown theme {word!r}: use one of {', '.join(THEME_NAMES)}",
                        title="theme", severity="warning")
            return False
        self.theme = name
        return True

    def notify(self, message: str | Text, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Every toast goes through here: a cleaned str, never markup (Textual wants a str).

        Messages carry cluster and kernel text (names, errors), which must show as exactly those
        characters: control characters are stripped and `[...]` is never read as markup.
        """
        text = message.plain if isinstance(message, Text) else str(message)
        super().notify(clean(text, single_line=False), title=clean(title), severity=severity,
                       timeout=timeout, markup=False)

    def action_namespace(self) -> None:
        names = sorted({name_of(ns) for ns in self.observed.cluster.of("Namespace")} |
                       {ns for ns in (o.get("metadata", {}).get("namespace") for kind in ("Pod", "Service")
                                      for o in self.observed.cluster.of(kind) if isinstance(o, dict))
                        if isinstance(ns, str) and ns})
        self.push_screen(NamespacePicker(names, self.observed.cluster.namespace), self._set_namespace)

    def action_pick_node(self) -> None:
        model = self.nodes.model(self.observed, self.current_pane.selected_pod())
        self.push_screen(NodePickerScreen(model, own=self.observed.local_node), self._pick_node)

    def _pick_node(self, choice: str | None) -> None:
        if choice is None:
            return
        changed = self._node_changed
        if choice == OWN or (choice == self.observed.local_node and choice in self.observed.nodes):
            self.nodes.back_to_own(changed)  # the session's own node: its state is here already
        else:
            self.nodes.pick(choice, self.current_pane.jobs, changed)

    def _node_changed(self) -> None:
        for pane in self._panes.values():
            pane.dirty = True
        self.refresh_data()

    def _set_namespace(self, choice: str | None) -> None:
        if choice is None:
            return
        self.session.with_namespace(None if choice == ALL_NAMESPACES else choice)
        self.refresh_data()

    def action_save_view(self) -> None:
        pane = self.current_pane
        stamp = time.strftime("%Y%m%d-%H%M%S")
        base = f"k8snet-{pane.PANE_ID}-{stamp}"
        try:
            self.save_dir.mkdir(parents=True, exist_ok=True)
            svg = self.save_screenshot(filename=f"{base}.svg", path=str(self.save_dir))
            txt = self.save_dir / f"{base}.txt"
            txt.write_text(pane.plain_text() + "\n", encoding="utf-8")
        except OSError as exc:
            self.notify(data_text(f"could not save the view in {self.save_dir}: {exc.strerror or exc}"),
                        severity="error", title="save")
            return
        self.notify(data_text(f"saved {txt} and {svg}"), title="save")

    # -- inputs --------------------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter-input":
            self.current_pane.apply_filter(event.value)
            self.show_filter()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter-input":
            self._focus_pane(self.current_pane)
        elif event.input.id == "command-input":
            event.input.display = False
            self.run_command(event.value)
            self.call_after_refresh(self.show_filter)  # `:svc NAME`, `:pods WORD` filter the list

    def run_command(self, line: str) -> None:
        """`:` commands, parsed by the grammar the CLI uses (k8snet_tui/grammar.py)."""
        from k8snet_tui import grammar

        try:
            cmd = grammar.parse(line)
            if cmd is not None and cmd.verb == "trace" and cmd.target is not None and cmd.target.kind != "service":
                cmd = grammar.Command("trace", cmd.word, pane="services",  # an address or NodePort: its Service
                                      target=grammar.parse_trace_target(grammar.resolve_trace(self.observed.cluster,
                                                                                              cmd.target)))
        except K8snetError as exc:
            self.notify(data_text(exc.message), severity="warning", title="command")
            return
        if cmd is None:
            pass
        elif cmd.verb == "quit":
            self.exit(0)
        elif cmd.verb == "ns":
            self._set_namespace(cmd.arg or ALL_NAMESPACES)
        elif cmd.verb == "theme":
            self.set_theme_word(cmd.arg)
        elif cmd.verb == "lab":
            self.run_lab(cmd.arg)
        elif cmd.verb == "ctx":
            self.notify(data_text("switching context needs a restart: k8snet --context " + (cmd.arg or "NAME")), title="ctx")
        elif cmd.verb == "find":  # a list of hits over the pane; each opens in its pane (esc comes back)
            from k8snet_tui.screens.find import open_find

            open_find(self, self.navigator, self.observed, cmd.arg)
            return
        elif cmd.verb == "diff":  # the open state against snapshot B (read as hostile input)
            from k8snet_tui.screens.diff import open_diff

            open_diff(self, self.notify, self.observed, self.session.label, cmd.paths[-1])
            return
        elif cmd.verb in grammar.VERB_PANE and cmd.has_argument:
            # Opened from wherever the user is: esc comes back there.
            self.navigator.open(grammar.VERB_PANE[cmd.verb], cmd.verb, cmd.pane_argument())
        elif cmd.pane is not None:
            # A pane word is a new place (no way back); an empty arg means the pane's home view.
            self.navigator.open_pane(cmd.pane).handle_command(cmd.pane if cmd.word == "show" else cmd.word, cmd.arg)
        self._focus_pane(self.current_pane)

    def search_themes(self) -> None:
        # As Textual's, on the palette that survives an early page key (see CommandPaletteScreen).
        from textual.theme import ThemeProvider

        self.push_screen(CommandPaletteScreen(providers=[ThemeProvider], placeholder="Search for themes…"))

    def refresh_css(self, animate: bool = True) -> None:
        """As Textual's (a theme change, `:theme`), but only what is shown is restyled now.

        Textual restyles every widget of the app: all eight panes, two thirds of them hidden
        (0.2-1.3 s a theme change). A hidden pane is restyled when it is next shown
        (`_restyle_if_stale`), before its first frame."""
        stylesheet = self.stylesheet
        stylesheet.set_variables(self.get_css_variables())
        stylesheet.reparse()
        stylesheet.update_nodes(self._shown_nodes(self), animate=animate)
        try:
            if self.screen.is_mounted:
                self.screen._refresh_layout(self.size)
                self.screen._css_update_count = self._css_update_count
        except ScreenError:
            pass
        for screen in self.screen_stack:
            if screen is not self.screen:
                stylesheet.update_nodes(self._shown_nodes(screen), animate=animate)
                screen._css_update_count = self._css_update_count

    def _shown_nodes(self, root: DOMNode) -> Iterator[DOMNode]:
        """`root` and its descendants, depth first, but for the panes not shown (left stale)."""
        stack = [root]
        while stack:
            node = stack.pop()
            if isinstance(node, Pane) and not node.display:
                node.styled_for = -1  # restyle when shown
                continue
            if isinstance(node, Pane):
                node.styled_for = self._css_update_count
            yield node
            stack.extend(reversed(node._nodes))

    def _restyle_if_stale(self, pane: Pane) -> None:
        if pane.is_mounted and pane.styled_for not in (None, self._css_update_count):
            self.stylesheet.update(pane)
        pane.styled_for = self._css_update_count

    def push_screen(self, screen: Any, callback: Any = None, wait_for_dismiss: bool = False,
                    *, mode: str | None = None) -> Any:
        if isinstance(screen, Screen):
            self._dismiss_once(screen)
        return super().push_screen(screen, callback, wait_for_dismiss=wait_for_dismiss, mode=mode)  # type: ignore[call-overload]

    def _dismiss_once(self, screen: Screen[Any]) -> None:
        """A modal closes once. Enter picks in a list through a message: enter twice in one burst
        (a fast typist, a paste) picked twice, and the second `dismiss` popped the screen under
        it (ScreenStackError: the app ended, on every picker; the monkey test found it)."""
        dismiss = screen.dismiss
        closed = [False]

        def once(result: Any = None) -> AwaitComplete:
            if closed[0] or screen is not self.screen:
                return AwaitComplete.nothing()
            closed[0] = True
            return dismiss(result)

        screen.dismiss = once  # type: ignore[method-assign]

    def action_command_palette(self) -> None:
        # A palette just closed by a theme pick stays attached while every widget is restyled:
        # a second one with the same id raised DuplicateIds and ended the app (ctrl+p at once).
        attached = any(child.id == "--command-palette" for child in self.children)
        if self.use_command_palette and not attached and not CommandPaletteScreen.is_open(self):  # type: ignore[arg-type]
            self.push_screen(CommandPaletteScreen(id="--command-palette"))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # Textual's "Keys" panel and maximize commands are replaced by our help and zoom (its
        # maximize knows nothing of pane switches; its Keys panel lists the focused widget's keys).
        # Textual's list is Theme, Quit, Keys, Maximize or Minimize, Screenshot; its Keys entry
        # queries every widget of the screen for a help panel on each search of the palette.
        for command in super().get_system_commands(screen):
            yield command
            if command.title == "Quit":
                break
        yield SystemCommand("Screenshot", "an SVG of the screen, as Textual saves it",
                            lambda: self.set_timer(0.1, self.deliver_screenshot))
        yield SystemCommand("Keys", "every key of this pane and of the app (?)", self.action_help)
        yield SystemCommand("Zoom", "the pane on the whole screen, for projectors (z)", self.action_zoom)
        for spec in PANE_SPECS:
            yield SystemCommand(f"Go to {spec.title}", f"pane {spec.key}: {spec.summary}",
                                partial(self.navigator.open_pane, spec.id))
        for word in THEME_NAMES:
            yield SystemCommand(f"Theme: {word}", THEME_HELP[word], partial(self.set_theme_word, word))
        yield SystemCommand("Namespace", "pick the namespace the panes show (n, :ns NAME)", self.action_namespace)
        yield SystemCommand("Find", "everything that mentions an address, a name or a chain: type it after "
                            ":find", partial(self.action_command_line, "find "))
        yield SystemCommand("Diff", "this state against another snapshot directory: type its path after :diff",
                            partial(self.action_command_line, "diff "))
        # The config vs kernel checks are `:` words and `!` on panes 3 and 4: here they can be found by name.
        yield SystemCommand("Config vs kernel check", "pane 3: the CNI's tunnel mode and pod CIDR routes against "
                            "the node's devices and routes (:check, !)", partial(self.run_command, "check"))
        yield SystemCommand("Config vs kernel check: kube-proxy", "pane 4: kube-proxy's mode and Service CIDR against "
                            "the node's rules (:check proxy)", partial(self.run_command, "check proxy"))
        yield SystemCommand("Save view", "text and SVG", self.action_save_view)
        yield SystemCommand("Node", "pick the node whose state the node panes read (N)", self.action_pick_node)
        yield SystemCommand("Guided lab", "the lab's questions one by one, answered from this data (> next, < prev, "
                            ":lab off)", partial(self.run_lab, ""))
        yield SystemCommand("By-hand commands", "kubectl, iptables, nft, ip, nslookup under the pane, on/off (k)",
                            self.action_toggle_commands)


def make_app(settings: Settings, session: Session, **kwargs: Any) -> K8snetApp:
    return K8snetApp(settings, session, **kwargs)


def run_app(app: K8snetApp, *, headless: bool = False) -> int:
    """Run the app to its end: its exit code, or the exception that stopped it, raised again."""
    result = app.run(headless=headless)
    if app.crash is not None:
        raise app.crash
    if app.return_code:
        return app.return_code
    return int(result or 0)


__all__ = ["K8snetApp", "__version__", "make_app", "run_app"]

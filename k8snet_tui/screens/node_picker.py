"""`N`: the node picker, and the choice it makes for every pane that reads node state.

`NodeChoice` holds the node the user picked and what the session answered for it. The app asks
it for the `Observed` a pane should draw (`view_for`): a pane whose registry entry says it
reads node state (`PaneSpec.reads_node`) gets the picked node's state as its `local`; the other
panes, and every pane while the picked node's state is missing, get the session's own (the
local probe's, the snapshot's node), with a notice that says whose and why (`notice`). The
state is read on demand through the pane's `JobRunner` (the session's `node_state` may block:
pods/exec into the node's agent) and cached by the session, with its age in the header badge.

`NodePickerScreen` is the modal: the rows of `present.node_picker`, keyboard only, the
highlighted node's full message under the list.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from types import MappingProxyType

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from k8snet_tui.collect.session import Session
from k8snet_tui.domain.model import Observed, dig_str, name_of
from k8snet_tui.present.node_picker import (
    NodePickerModel,
    NodeReading,
    NodeRow,
    age_words,
    missing_notice,
    not_a_node_notice,
    present_nodes,
    where_words,
)
from k8snet_tui.registry import PANES
from k8snet_tui.screens.jobs import JobRunner
from k8snet_tui.widgets.safe import data_text

READS_NODE = frozenset(spec.id for spec in PANES if spec.reads_node)
FRESH_S = 30.0  # a node's state held this long is shown without reading it again (the session's cache age)
MAX_ASKED = 500  # cached readings looked up for the picker (a 5,000-node cluster lists the rest unasked)


class NodeChoice:
    """The picked node (None: the session's own) and what reading it gave."""

    def __init__(self, session: Session, notify: Callable[..., None]) -> None:
        self.session = session
        self.notify = notify
        self.picked: str | None = None
        self.result: NodeReading | None = None
        self.reading = False
        self._view: tuple[Observed, NodeReading | None, str | None, Observed] | None = None

    # -- what panes draw -------------------------------------------------------------------------

    def usable(self, observed: Observed) -> bool:
        """The picked node's state is here and is not the session's own node."""
        r = self.result
        return (self.picked is not None and r is not None and r.state is not None and not r.error
                and not (self.picked == observed.local_node and self.picked in observed.nodes))

    def overlaid(self, observed: Observed) -> Observed:
        """`observed` with the picked node as the node read (same object when nothing applies)."""
        if not self.usable(observed):
            return observed
        kept = self._view
        if kept is not None and kept[0] is observed and kept[1] is self.result and kept[2] == self.picked:
            return kept[3]  # the same object each time: panes skip a rebuild on identity
        name = self.picked
        assert name is not None and self.result is not None and self.result.state is not None
        previous = {name: observed.previous[name]} if name in observed.previous else {}
        view = replace(observed, nodes=MappingProxyType({**observed.nodes, name: self.result.state}),
                       local_node=name, previous=MappingProxyType(previous))
        self._view = (observed, self.result, self.picked, view)
        return view

    def view_for(self, pane_id: str, observed: Observed) -> Observed:
        return self.overlaid(observed) if pane_id in READS_NODE else observed

    def shown(self, observed: Observed) -> str:
        """The node whose state the node panes read now."""
        return self.picked if self.usable(observed) and self.picked else observed.local_node

    def notice(self, pane_id: str, observed: Observed) -> str:
        """The line a node pane shows while the picked node is not the one it reads ("" if none)."""
        if pane_id not in READS_NODE:
            return ""
        if self.picked is None:
            return not_a_node_notice(observed)
        if observed.local_node == self.picked:
            return ""
        own = observed.nodes.get(observed.local_node)
        where = where_words(own.source, own) if own is not None else ""
        return missing_notice(self.picked, self.result, instead=observed.local_node if own is not None else "",
                              instead_where=where, reading_now=self.reading)

    def badge(self, observed: Observed, now: float | None = None) -> str:
        """"node-2 agent 12s": the node panes read, how, and how old (header, one short piece)."""
        now = time.time() if now is None else now
        name = self.shown(observed)
        if self.usable(observed) and self.result is not None:
            where = where_words(self.result.source, self.result.state)
            age = age_words(now - self.result.fetched_at) if self.result.fetched_at else ""
        else:
            own = observed.nodes.get(observed.local_node)
            if own is None:
                return f"node {name or '?'}: no state"
            where = where_words(own.source, own)
            age = age_words(now - own.captured_at) if own.captured_at and observed.mode == "live" else ""
        if self.picked and self.picked != name:
            return f"node {name} {where} · {self.picked} {'reading' if self.reading else 'missing'}"
        return " ".join(p for p in (f"node {name}", where, age) if p)

    # -- the picker ------------------------------------------------------------------------------

    def model(self, observed: Observed, selected_pod: str | None) -> NodePickerModel:
        names = list(dict.fromkeys([name_of(n) for n in observed.cluster.of("Node")] +
                                   [dig_str(p, "spec", "nodeName") for p in observed.cluster.of("Pod")]))[:MAX_ASKED]
        names += [n for n in (self.picked, observed.local_node) if n]
        readings: dict[str, NodeReading | None] = {n: self.session.cached_node_state(n) for n in names if n}
        if self.picked and self.result is not None:
            readings[self.picked] = self.result
        return present_nodes(observed, readings, shown=self.shown(observed), selected_pod=selected_pod)

    def pick(self, name: str, jobs: JobRunner, changed: Callable[[], None]) -> None:
        """Show `name`'s state in the node panes: read (off the UI thread) unless held and fresh.

        Picking the node already shown reads it again (the way to refresh an agent's answer).
        """
        again = name == self.picked and self.result is not None
        self.picked = name
        held = self.result = self.session.cached_node_state(name)
        fresh = held is not None and (held.source == "snapshot" or
                                      (held.fetched_at > 0 and time.time() - held.fetched_at < FRESH_S))
        if not again and fresh and held is not None and held.state is not None and not held.error:
            changed()  # held already (a snapshot's node, a recent read): nothing to wait for
            return
        self.reading = True
        changed()
        started = time.monotonic()
        jobs.start("node-state", lambda: self.session.node_state(name, refresh=again),
                   lambda result: self._read(name, result, time.monotonic() - started, changed),
                   failed=lambda exc: self._failed(name, exc, changed), description=f"node {name}'s state")

    def back_to_own(self, changed: Callable[[], None]) -> None:
        self.picked, self.result, self.reading = None, None, False
        changed()

    def _read(self, name: str, result: NodeReading, took: float, changed: Callable[[], None]) -> None:
        if name != self.picked:
            return  # the user picked another node meanwhile
        self.result, self.reading = result, False
        if result.error:
            said = result.error if name in result.error else f"node {name}: {result.error}"
            self.notify(said, title=f"node {name}", severity="warning", timeout=15)
        else:
            notes = f"; {'; '.join(result.notes)}" if result.notes else ""
            self.notify(f"node {name}'s state read ({where_words(result.source, result.state)}, "
                        f"{took:.1f} s){notes}", title="node")
        changed()

    def _failed(self, name: str, exc: Exception, changed: Callable[[], None]) -> None:
        if name != self.picked:
            return
        self.reading = False
        self.notify(f"node {name}: could not be read: {type(exc).__name__}: {exc}", title="node", severity="error")
        changed()


def row_text(row: NodeRow) -> Text:
    node, state, age = row.cells()
    text = Text()
    text.append_text(data_text(node, style="bold" if row.shown else ""))
    text.append(" " * max(1, 30 - len(node)))
    text.append_text(data_text(state, style="" if row.here else "yellow"))
    text.append(" " * max(1, 36 - len(state)))
    text.append_text(data_text(age, style="dim"))
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text


OWN = "\x00own"  # the option that goes back to the session's own node


class NodePickerScreen(ModalScreen[str | None]):
    """Pick the node whose state the node panes read; esc keeps the current one."""

    BINDINGS = [Binding("escape", "cancel", "cancel", id="node_picker.cancel")]
    DEFAULT_CSS = """
    NodePickerScreen { align: center middle; }
    NodePickerScreen #node-list { height: auto; max-height: 14; }
    NodePickerScreen #node-detail { height: auto; max-height: 4; color: $text-muted; }
    """

    def __init__(self, model: NodePickerModel, own: str = "") -> None:
        super().__init__()
        self.model = model
        self._own = own  # the session's own node, offered first when another one is shown

    def compose(self) -> ComposeResult:
        options: list[Option] = []
        if self._own and self.model.shown != self._own:
            options.append(Option(data_text(f"↩ back to {self._own} (the session's own node)", style="italic"),
                                  id=OWN))
        options += [Option(row_text(row), id=row.name) for row in self.model.rows]
        box = Vertical(id="node-box", classes="modal-box")
        box.border_title = "Node"
        box.border_subtitle = "enter picks · esc keeps"
        with box:
            yield Static(data_text(f"For Host, Pods' path, the trace · starts on {self.model.default_why}"),
                         id="node-title")
            yield OptionList(*options, id="node-list")
            yield Static(id="node-detail")

    def on_mount(self) -> None:
        olist = self.query_one(OptionList)
        ids = [o.id for o in olist.options]
        if self.model.default in ids:
            olist.highlighted = ids.index(self.model.default)
        elif ids:
            olist.highlighted = 0
        olist.focus()
        self._detail(olist.highlighted)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._detail(event.option_index)

    def _detail(self, index: int | None) -> None:
        olist = self.query_one(OptionList)
        option = olist.get_option_at_index(index) if index is not None and index < olist.option_count else None
        row = self.model.row(option.id) if option is not None and option.id else None
        text = Text()
        if row is not None:
            text.append_text(data_text(row.detail or (f"{row.name}: {row.where}" if row.here else row.why)))
        self.query_one("#node-detail", Static).update(text)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


__all__ = ["OWN", "READS_NODE", "NodeChoice", "NodePickerScreen", "row_text"]

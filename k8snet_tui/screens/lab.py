"""The guided lab (`k8snet lab`, `:lab`) and the by-hand commands toggle (`k`), in the app.

`GuideActions` is mixed into the app: its actions move through the lab's stops and flip the
by-hand toggle that every pane shares (`PaneContext.view`). The lab panel sits under the pane:
the question, the answer read from the data (`present/lab.py`, built in a thread worker), and
the command the lab typed. Each stop opens its pane and selection through the navigator, as
`:` would. Keys: `>` next, `<` previous (remappable as `lab.next`, `lab.previous`).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.widgets import ContentSwitcher, Static

from k8snet_tui.domain.model import Observed
from k8snet_tui.widgets.resource_table import ResourceTable
from k8snet_tui.widgets.safe import data_text

if TYPE_CHECKING:
    from k8snet_tui.app import K8snetApp
    from k8snet_tui.present.lab import Stop

# present/lab.py (every stop's answer: DNS, balancing, routes, what-if...) is imported when the
# lab is first used, not with the app: it was the largest import before the first frame.


def stop_count() -> int:
    from k8snet_tui.present.lab import stop_count as count

    return count()

GUIDE_BINDINGS = [
    Binding("greater_than_sign", "lab_next", "Next", id="lab.next", show=False,
            tooltip="guided lab: the next question (starts the lab)"),
    Binding("less_than_sign", "lab_previous", "Prev", id="lab.previous", show=False,
            tooltip="guided lab: the previous question"),
    Binding("k", "toggle_commands", "Cmds", id="view.commands", show=False,
            tooltip="by-hand commands (kubectl, iptables, nft, ip, nslookup) beside the facts, on/off"),
    Binding("L", "lab_fold", "Fold lab", id="lab.fold", show=False,
            tooltip="guided lab: fold the panel to its question (the pane gets the rows), unfold"),
]
SHORT_SCREEN = 30  # rows: below this the lab panel drops its rule and its step line (80x24: the SSH default)
LAB_WORDS = "lab [N.M|next|prev|off]"
REANSWER_S = 5.0


def stop_text(stop: Stop, index: int, total: int, *, short: bool = False, folded: bool = False,
              width: int = 0) -> Text:
    """The panel's text. Short (a screen under SHORT_SCREEN rows): the label and the question
    share a line and the lab's command is cut to one, so the pane keeps its rows; folded (`L`):
    the label and the question only."""
    out = Text()
    out.append(f" LAB {stop.label} ", style="bold reverse")
    if folded:
        out.append(f" {index + 1}/{total + 1} ", style="dim")
        out.append("L: unfold ", style="dim")
        out.append_text(data_text(stop.question, style="bold"))
        if width:
            out.truncate(width, overflow="ellipsis")
        return out
    if short:
        out.append(f" {index + 1}/{total + 1} · < > · L fold · ", style="dim")
        out.append_text(data_text(stop.question, style="bold"))
    else:
        out.append(f" step {stop.step} {stop.step_title} · {index + 1}/{total + 1} · < prev  > next  L fold  "
                   ":lab off\n", style="dim")
        out.append_text(data_text(stop.question, style="bold"))
    for i, line in enumerate(stop.answer.lines):
        out.append("\n")
        out.append(("? " if not stop.answer.known else "→ ") if not i else "  ", style="bold")
        out.append_text(data_text(line))
    out.append("\nlab: $ ", style="dim")
    command = data_text(stop.lab_command, style="italic")
    if short and width:  # one line: the rows go to the pane
        command.truncate(max(8, width - len("lab: $ ")), overflow="ellipsis")
    out.append_text(command)
    return out


def coming_text(total: int) -> Text:
    from k8snet_tui.present.lab import COMING

    out = Text()
    if not COMING:  # every step has its questions: the page after the last is the end
        out.append(" LAB end ", style="bold reverse")
        out.append(f" · {total + 1}/{total + 1} · < prev  :lab off\n", style="dim")
        out.append("That was the lab's last question: every step is guided. ", style="bold")
        out.append(f":lab {present_label(0)} starts again, :lab off closes the panel.")
        return out
    out.append(f" LAB {coming_label()} ", style="bold reverse")
    out.append(f" coming · {total + 1}/{total + 1} · < prev  :lab off\n", style="dim")
    done = min(c.step for c in COMING) - 1
    rest = "last step has" if len(COMING) == 1 else f"last {len(COMING)} steps have"
    out.append(f"Steps 1-{done} are done. The lab's {rest} no guided questions yet:", style="bold")
    for c in COMING:
        out.append(f"\n{c.step} {c.title} (coming): ", style="bold")
        out.append(c.covers)
    return out


class LabPanel(Static):
    """The guided lab's panel, under the pane; keyboard only (the app's `<`/`>`, `L`)."""

    DEFAULT_CSS = """
    LabPanel {
        height: auto;
        max-height: 9;
        padding: 0 1;
        border-top: solid $primary;
        background: $panel;
    }
    LabPanel.-short {
        max-height: 8;
        border-top: none;
    }
    LabPanel.-folded {
        height: 1;
    }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.stop: tuple[Stop, int, int] | None = None  # what it shows, to draw again when folded or resized
        self.folded = False

    def update(self, content: Any = "", *, layout: bool = True) -> None:
        super().update(content, layout=layout)
        # When the answer replaced "reading the answer…" right as the panel was first laid out,
        # Textual kept the one row it had measured, and the screen's later layouts kept it too:
        # the answer was cut to its first line (about one start in two at 80x24). Measuring
        # again after the next refresh, with the screen laid out anew, gives it its text's height.
        self.call_after_refresh(self._measure_again)

    def _measure_again(self) -> None:
        self.clear_cached_dimensions()
        self.refresh(layout=True)
        if self.parent is not None:
            self.parent.refresh(layout=True)

    def show_stop(self, stop: Stop, index: int, total: int) -> None:
        self.stop = (stop, index, total)
        self.redraw()

    def redraw(self) -> None:
        short = self.app.size.height < SHORT_SCREEN
        self.set_class(short, "-short")
        self.set_class(self.folded and self.stop is not None, "-folded")
        if self.stop is not None:
            width = self.size.width - 2 if self.size.width else self.app.size.width - 2  # less the padding
            self.update(stop_text(*self.stop, short=short, folded=self.folded, width=width))


class GuideActions:
    """Mixed into the app: the guided lab and the by-hand toggle."""

    lab_index: int | None = None  # the stop shown (stop_count(): the "coming" page); None: off
    _lab_filter: tuple[Any, str] | None = None  # (pane, text): the filter a stop's `:svc NAME` set
    _lab_answer_for: tuple[Observed, int] | None = None
    _lab_answered_at = 0.0

    @property
    def _app(self) -> K8snetApp:
        return cast("K8snetApp", self)

    # -- by-hand commands ------------------------------------------------------------------------

    def action_toggle_commands(self) -> None:
        view = self._app.pane_context.view
        view.by_hand = not view.by_hand
        self._app.current_pane.refresh_by_hand()
        self._guide_badge()

    # -- the lab ---------------------------------------------------------------------------------

    def action_lab_next(self) -> None:
        self.lab_go(0 if self.lab_index is None else self.lab_index + 1)

    def action_lab_previous(self) -> None:
        if self.lab_index is None:
            self.lab_go(0)
        else:
            self.lab_go(self.lab_index - 1)

    def run_lab(self, arg: str) -> None:
        """`:lab` (start or where it was), `:lab 2.2` or `:lab 6` (by number), next, prev, off."""
        word = arg.strip().lower()
        if word in ("off", "stop", "end", "quit"):
            self.lab_off()
        elif word in ("next", "n", ">"):
            self.action_lab_next()
        elif word in ("prev", "previous", "p", "<"):
            self.action_lab_previous()
        elif not word:
            self.lab_go(self.lab_index or 0)
        else:
            index = lab_index_of(word)
            if index is None:
                self._app.notify(f"lab: no stop {arg.strip()[:20]!r}: give STEP.N ({present_label(0)} to "
                                 f"{present_label(stop_count() - 1)}), a step number, next, prev or off",
                            title="lab", severity="warning")
                return
            self.lab_go(index)

    def action_lab_fold(self) -> None:
        for panel in self._app.query(LabPanel):
            panel.folded = not panel.folded
            panel.redraw()

    def lab_off(self) -> None:
        self.lab_index = None
        self._drop_lab_filter()
        for panel in self._app.query(LabPanel):
            panel.remove()
        self._guide_badge()

    def lab_go(self, index: int) -> None:
        total = stop_count()
        index = max(0, min(index, total))
        self.lab_index = index
        panel = self._lab_panel()
        if index == total:
            panel.stop = None
            panel.redraw()
            panel.update(coming_text(total))
            self._guide_badge()
            return
        panel.update(Text("reading the answer…", style="dim"))
        self._guide_badge()
        self._lab_answer(self._app.observed, index, open_pane=True)

    def _lab_panel(self) -> LabPanel:
        found = self._app.query(LabPanel)
        if found:
            return found.first()
        panel = LabPanel(id="lab-panel", classes="zoom-hides")
        panel.display = not self._app._zoomed  # zoomed (`z`), the pane has the screen
        panel.set_class(self._app.size.height < SHORT_SCREEN, "-short")
        self._app.mount(panel, after=self._app.query_one(ContentSwitcher))
        return panel

    @work(thread=True, exclusive=True, group="lab", exit_on_error=False)
    def _lab_answer(self, observed: Observed, index: int, open_pane: bool = False) -> None:
        from k8snet_tui.present.lab import present_stop

        try:
            stop = present_stop(observed, index)
        except Exception as exc:  # a bug in one answer must not end the lab
            self._app.call_from_thread(self._app.notify, f"lab: could not answer {index + 1}: {type(exc).__name__}: {exc}",
                                  title="lab", severity="error")
            return
        self._app.call_from_thread(self._lab_show, observed, index, stop, open_pane)

    def _lab_show(self, observed: Observed, index: int, stop: Stop, open_pane: bool) -> None:
        if self.lab_index != index:
            return  # the user moved on meanwhile
        self._lab_answer_for = (observed, index)
        self._lab_panel().show_stop(stop, index, stop_count())
        if open_pane:
            self._drop_lab_filter()
            pane: Any = self._app.navigator.open_pane(stop.pane)  # a pane: it has active_filter
            before = pane.active_filter()
            if stop.arg:
                pane.handle_command(stop.verb, stop.arg)
            after = pane.active_filter()
            self._lab_filter = (pane, after) if after and after != before else None
            if stop.select:
                self._app.call_after_refresh(self._lab_select, stop.select)
            self._app.call_after_refresh(self._app.show_filter)  # a stop's `:svc NAME` filters the list
            self._app.call_after_refresh(self._app.current_pane.refresh_by_hand)

    def _drop_lab_filter(self) -> None:
        """A stop's filter (`:svc kube-dns` narrows the Services to one) belongs to that stop: the
        next stop, or the lab's end, takes it away, unless the user has changed it since."""
        if self._lab_filter is None:
            return
        pane, text = self._lab_filter
        self._lab_filter = None
        if pane.active_filter() == text:
            pane.apply_filter("")
            self._app.call_after_refresh(self._app.show_filter)

    def _lab_select(self, key: str) -> None:
        """Put the cursor on the stop's row, in whichever table of the pane shows it."""
        for table in self._app.current_pane.query(ResourceTable):
            shown: list[str] = table.keys
            if table.display and key in shown:
                table.move_cursor(row=table.get_row_index(key))
                return

    def guide_tick(self) -> None:
        """New data (live): answer the stop shown again, without moving the pane, at most every
        REANSWER_S seconds (an answer may parse the node's whole ruleset)."""
        index = self.lab_index
        if index is None or index >= stop_count() or self._lab_answer_for is None:
            return
        now = time.monotonic()
        if self._lab_answer_for[0] is not self._app.observed and now - self._lab_answered_at >= REANSWER_S:
            self._lab_answered_at = now
            self._lab_answer_for = (self._app.observed, index)
            self._lab_answer(self._app.observed, index)

    def _guide_badge(self) -> None:
        from k8snet_tui.widgets.status_bar import StatusBar

        words = []
        if self.lab_index is not None:
            words.append("LAB " + (present_label(self.lab_index)))
        if self._app.pane_context.view.by_hand:
            words.append("CMDS")
        for status in self._app.query(StatusBar):  # none once the app is closing
            status.badges = " · ".join(words)


def coming_label() -> str:
    """The steps still coming, as the coming page is labelled: `6`, or `5-6` for two."""
    from k8snet_tui.present.lab import COMING

    steps = [c.step for c in COMING]
    if not steps:
        return "end"
    return str(steps[0]) if len(steps) == 1 else f"{steps[0]}-{steps[-1]}"


def present_label(index: int) -> str:
    """`2.3` for a stop's index, the coming steps (`6`) for the coming page."""
    from k8snet_tui.present.lab import STOPS

    if index >= len(STOPS):
        return coming_label()
    step = STOPS[index].step
    return f"{step}.{sum(1 for s in STOPS[:index + 1] if s.step == step)}"


def lab_index_of(word: str) -> int | None:
    """The stop `word` names: `2.3`, a step (`3`: its first stop; a step still coming: the coming page)."""
    from k8snet_tui.present.lab import COMING, STOPS

    for i in range(len(STOPS)):
        if present_label(i) == word:
            return i
    if word.isdigit():
        step = int(word)
        if step in {c.step for c in COMING}:
            return len(STOPS)
        return next((i for i, s in enumerate(STOPS) if s.step == step), None)
    return None


__all__ = ["GUIDE_BINDINGS", "LAB_WORDS", "GuideActions", "LabPanel", "lab_index_of"]

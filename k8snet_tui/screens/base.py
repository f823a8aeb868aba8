"""The pane contract every lab topic implements.

A pane receives an `Observed` (what the API and the node said) and renders the view model a
pure domain function builds from it; `k8snet show <pane> --json` prints the same model. Panes
are only refreshed while visible; a hidden pane remembers that it is out of date.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from k8snet_tui.domain.model import Observed
from k8snet_tui.sources.kinds import BY_NAME
from k8snet_tui.widgets.explain import ExplainDrawer


class Pane(Vertical, can_focus=False):
    PANE_ID: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""
    KEY: ClassVar[str] = ""
    EXPLAIN: ClassVar[str] = ""
    NEEDS: ClassVar[tuple[str, ...]] = ()  # API kinds whose absence (RBAC) the pane must mention
    HELP: ClassVar[tuple[tuple[str, str], ...]] = ()  # (key, what it does) for this pane

    BINDINGS: ClassVar[list[Binding]] = []
    ALLOW_MAXIMIZE = True  # `z` zooms a pane to the whole screen for projectors

    def __init__(self) -> None:
        super().__init__(id=f"pane-{self.PANE_ID}", classes="pane")
        self.observed: Observed | None = None
        self.dirty = True

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
        self.render_view(observed)

    def render_view(self, observed: Observed) -> None:
        """Subclasses fill their widgets from the view model here."""

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

"""The what-if box over the Services trace: `r` pretend requests, `x` a pretend pod deletion.

A thin screen: the lines come from `present/whatif.py` and are drawn as data (never markup).
Nothing here reaches the cluster; in a live session the box says "WHAT IF" like on a snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from k8snet_tui.domain.datapath.backend import Datapath
from k8snet_tui.domain.model import Observed
from k8snet_tui.domain.services import EndpointTrace, ServiceTrace
from k8snet_tui.present.whatif import WhatIfView, deletion_view, pick_port, request_view
from k8snet_tui.widgets.safe import data_text


class WhatIfScreen(ModalScreen[None]):
    """One what-if view; `build(n)` makes the view for the n-th press (None: no more presses)."""

    BINDINGS = [
        Binding("escape,q", "dismiss_box", "Close", id="whatif.close"),
        Binding("r", "more(1)", "Another", id="whatif.more"),
        Binding("m", "more(100)", "+100", id="whatif.hundred"),
    ]
    DEFAULT_CSS = """
    WhatIfScreen { align: center middle; }
    WhatIfScreen #whatif-box { width: 100%; max-width: 110; height: 100%; border: heavy $warning;
                               background: $surface; }
    WhatIfScreen #whatif-title { height: 1; padding: 0 1; background: $warning; color: $background;
                                 text-style: bold; }
    WhatIfScreen #whatif-body { padding: 0 1; }
    WhatIfScreen #whatif-keys { height: 1; padding: 0 1; background: $panel; }
    """

    def __init__(self, build: Callable[[int], WhatIfView], *, repeatable: bool) -> None:
        super().__init__()
        self._build = build
        self._repeatable = repeatable
        self._count = 1

    def compose(self) -> ComposeResult:
        with Vertical(id="whatif-box"):
            yield Static(id="whatif-title")
            with VerticalScroll(id="whatif-body-scroll"):
                yield Static(id="whatif-body")
            keys = "r: another request · m: 100 more · esc: close" if self._repeatable else "esc: close"
            yield Static(Text(keys), id="whatif-keys")

    def on_mount(self) -> None:
        self._draw()
        self.query_one("#whatif-body-scroll", VerticalScroll).focus()

    def _draw(self) -> None:
        view = self._build(self._count)
        self.query_one("#whatif-title", Static).update(data_text(view.title))
        body = Text()
        for i, line in enumerate(view.lines):
            if i:
                body.append("\n")
            if line:  # an empty line stays empty (data_text would draw a dash for "no value")
                body.append_text(data_text(line, "bold" if i == 0 else ""))
        self.query_one("#whatif-body", Static).update(body)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "more":
            return self._repeatable
        return True

    def action_more(self, n: int) -> None:
        self._count = min(self._count + n, 100_000)
        self._draw()

    def action_dismiss_box(self) -> None:
        self.dismiss(None)



def open_request(app: App[Any], observed: Observed, trace: ServiceTrace, endpoint: EndpointTrace | None) -> None:
    """`r` on a trace: pretend requests to the port the cursor is on (else the first)."""
    port = pick_port(trace, endpoint.address if endpoint else None)
    if port is not None:
        app.push_screen(WhatIfScreen(lambda n: request_view(observed.cluster, trace, port, n), repeatable=True))


def open_deletion(app: App[Any], notify: Callable[..., object], observed: Observed, datapath: Datapath | None,
                  endpoint: EndpointTrace | None) -> None:
    """`x` on an endpoint line: what kube-proxy would program once that endpoint's pod is gone."""
    if endpoint is None or not endpoint.pod:
        notify("move the cursor to an endpoint line (⇒) with a pod first", title="what if", severity="warning")
        return
    view = deletion_view(observed.cluster, observed.local, endpoint.pod, datapath)
    app.push_screen(WhatIfScreen(lambda _n: view, repeatable=False))

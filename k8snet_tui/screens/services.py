"""Pane 4: Services."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from k8snet_tui.screens import explain_text
from k8snet_tui.screens.base import Pane


class ServicesPane(Pane):
    PANE_ID = "services"
    TITLE = "Services"
    KEY = "4"
    EXPLAIN = explain_text.SERVICES
    NEEDS = ("Service", "EndpointSlice", "Pod")

    def compose_body(self) -> ComposeResult:
        yield Static("This pane will show every Service with its ports and endpoints, and the trace of one through the node's datapath.", classes="placeholder")

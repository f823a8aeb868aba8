"""Pane 2: Host/VPC."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from k8snet_tui.screens import explain_text
from k8snet_tui.screens.base import Pane


class HostPane(Pane):
    PANE_ID = "host"
    TITLE = "Host/VPC"
    KEY = "2"
    EXPLAIN = explain_text.HOST
    NEEDS = ("Node",)

    def compose_body(self) -> ComposeResult:
        yield Static("This pane will show the node's interfaces, addresses, routes and neighbours, and the other nodes' host addresses.", classes="placeholder")

"""Pane 6: Ingress."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from k8snet_tui.screens import explain_text
from k8snet_tui.screens.base import Pane


class IngressPane(Pane):
    PANE_ID = "ingress"
    TITLE = "Ingress"
    KEY = "6"
    EXPLAIN = explain_text.INGRESS
    NEEDS = ("Service", "Ingress", "IngressClass")

    def compose_body(self) -> ComposeResult:
        yield Static("This pane will show every way into the cluster, the route table, and which rule a URL hits.", classes="placeholder")

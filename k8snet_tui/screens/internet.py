"""Pane 1: Internet."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from k8snet_tui.screens import explain_text
from k8snet_tui.screens.base import Pane


class InternetPane(Pane):
    PANE_ID = "internet"
    TITLE = "Internet"
    KEY = "1"
    EXPLAIN = explain_text.INTERNET
    NEEDS = ()

    def compose_body(self) -> ComposeResult:
        yield Static("This pane will show the node's public address (cloud metadata), its outbound (SNAT) address on request, and whether they match.", classes="placeholder")

"""Pane 3: Pod network."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from k8snet_tui.screens import explain_text
from k8snet_tui.screens.base import Pane


class PodNetworkPane(Pane):
    PANE_ID = "pods"
    TITLE = "Pod network"
    KEY = "3"
    EXPLAIN = explain_text.PODS
    NEEDS = ("Pod", "Node")

    def compose_body(self) -> ComposeResult:
        yield Static("This pane will show pods and their IPs, the CNI's cluster pool and per-node CIDRs, and how two pods reach each other.", classes="placeholder")

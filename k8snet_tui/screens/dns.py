"""Pane 5: DNS."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from k8snet_tui.screens import explain_text
from k8snet_tui.screens.base import Pane


class DnsPane(Pane):
    PANE_ID = "dns"
    TITLE = "DNS"
    KEY = "5"
    EXPLAIN = explain_text.DNS
    NEEDS = ("Service", "EndpointSlice", "Pod", "ConfigMap")

    def compose_body(self) -> ComposeResult:
        yield Static("This pane will show a pod's resolver config, the queries a lookup makes, and the answers CoreDNS should give.", classes="placeholder")

"""Per-endpoint packet deltas between two polls: counted, reset, or unknown; and their history."""

from __future__ import annotations

from k8snet_tui.domain.packet_deltas import extend_history, packet_deltas
from k8snet_tui.domain.services import EndpointTrace, PortTrace, ServiceTrace


def _trace(*packets):
    eps = tuple(EndpointTrace(f"10.0.0.{i}", 80, None, None, None, None, None, True, p, None, True, True)
                for i, p in enumerate(packets, 1))
    port = PortTrace("http", "TCP", 80, None, "10.96.0.1", "80", (), {}, eps, (), (), "")
    return ServiceTrace("ns/web", "node-1", "iptables-nft", (port,))


def test_deltas_count_reset_and_unknown():
    deltas = packet_deltas(_trace(5, 9, None, 4), _trace(7, 9, 3, 1))
    assert deltas == {("http", "10.0.0.1", 80): 2, ("http", "10.0.0.2", 80): 0,
                      ("http", "10.0.0.3", 80): None,  # no counter before
                      ("http", "10.0.0.4", 80): None}  # went down: counters reset, not -3


def test_no_previous_poll_means_unknown():
    assert set(packet_deltas(None, _trace(1)).values()) == {None}


def test_history_keeps_the_last_polls():
    h: dict = {}
    for d in range(12):
        h = extend_history(h, {("p", "a", 1): d}, limit=10)
    assert h[("p", "a", 1)] == tuple(range(2, 12))

"""Live mode's "which pod did you hit?": per-endpoint packet deltas between two node polls.

kube-proxy's iptables DNAT rules count packets per endpoint. Tracing the same Service on the
previous poll's node state and on this one, the difference per endpoint is the packets that
endpoint got in between. A counter that went down (rules rewritten, counters reset) or that
one side lacks gives None: unknown, never a made-up number.
"""

from __future__ import annotations

from collections.abc import Mapping

from .services import EndpointTrace, PortTrace, ServiceTrace

EndpointKey = tuple[str, str, int]  # (port name or number, address, port)
HISTORY = 10  # polls of deltas kept per endpoint


def endpoint_key(port: PortTrace, ep: EndpointTrace) -> EndpointKey:
    return (port.name or str(port.port), ep.address, ep.port)


def packet_deltas(before: ServiceTrace | None, now: ServiceTrace) -> dict[EndpointKey, int | None]:
    """Packets each endpoint of `now` counted since `before` (None: unknown for that endpoint)."""
    was: dict[EndpointKey, int | None] = {}
    for p in before.ports if before is not None else ():
        for e in p.endpoints:
            was[endpoint_key(p, e)] = e.packets
    out: dict[EndpointKey, int | None] = {}
    for p in now.ports:
        for e in p.endpoints:
            key = endpoint_key(p, e)
            old = was.get(key)
            out[key] = None if e.packets is None or old is None or e.packets < old else e.packets - old
    return out


def extend_history(history: Mapping[EndpointKey, tuple[int | None, ...]], deltas: Mapping[EndpointKey, int | None],
                   limit: int = HISTORY) -> dict[EndpointKey, tuple[int | None, ...]]:
    """`history` with one more poll's `deltas` appended per endpoint, the oldest dropped past `limit`."""
    out = dict(history)
    for key, delta in deltas.items():
        out[key] = (*out.get(key, ()), delta)[-limit:]
    return out

"""Live mode's "which pod did you hit", for a stream of requests to a LoadBalancer address:
per pod, what the entry nodes counted since a starting point.

kube-proxy's iptables DNAT rules count packets per endpoint (`packet_deltas`, the trace's own
reading of them); nftables, IPVS and Cilium keep no per-endpoint counter in what is read, so
there the conntrack entries to the Service's entry points are counted per endpoint instead
(new entries since the start, as far as the table still holds them). Unknown stays None.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Observed
from ..packet_deltas import packet_deltas
from ..services import count_connections, trace_service


@dataclass(frozen=True)
class Measured:
    how: str  # "DNAT packet counters" | "conntrack entries" | "" (nothing could be counted)
    counts: tuple[tuple[str, int, int | None], ...]  # (address, port, count since the start; None: unknown)
    nodes: tuple[str, ...]  # the entry nodes read
    missing: tuple[str, ...]  # entry nodes whose kernel state is not held at both ends


def measure(start: Observed, now: Observed, namespace: str, name: str, port: int,
            nodes: tuple[str, ...]) -> Measured:
    totals: dict[tuple[str, int], int | None] = {}
    how = ""
    read, missing = [], []
    for node in nodes:
        a, b = start.nodes.get(node), now.nodes.get(node)
        if a is None or b is None or not b.has_kernel_state:
            missing.append(node)
            continue
        read.append(node)
        before = trace_service(start.cluster, a, namespace, name, str(port))
        after = trace_service(now.cluster, b, namespace, name, str(port))
        deltas = packet_deltas(before, after)
        if any(v is not None for v in deltas.values()):
            how = how or "DNAT packet counters"
            for (_, address, ep_port), value in deltas.items():
                old = totals.get((address, ep_port), 0)
                totals[(address, ep_port)] = None if value is None or old is None else old + value
            continue
        how = how or "conntrack entries"
        for p in after.ports:
            was = count_connections(a.conntrack, p)
            for key, count in count_connections(b.conntrack, p).items():
                old = totals.get(key, 0)
                totals[key] = None if old is None else old + max(0, count - was.get(key, 0))
    counts = tuple((addr, p, c) for (addr, p), c in totals.items())
    return Measured(how, counts, tuple(read), tuple(missing))

"""N pretend requests to a LoadBalancer address: an entry node by the node shares, then a pod
by that node's own datapath (the what-if request picker, `whatif.request.send_requests`), with
ClientIP affinity honoured per node, as kube-proxy keeps its affinity table per node.

Seeded: the node draws come from `random.Random(seed)`, each node's picks from a seed derived
from (seed, node name), so the same seed gives the same counts. Nothing is sent.
"""

from __future__ import annotations

import random
import zlib

from ..whatif.request import Request, send_requests
from .model import NodeCount, SimCount, Simulation
from .spread import PortPlan

MAX_REQUESTS = 1_000_000
MAX_CLIENTS = 10_000
GAP_SECONDS = 0.05  # between two requests: well inside any affinity timeout


def client_address(i: int) -> str:
    """The i-th pretend client (0-based), in TEST-NET-2 (198.51.100.0/24 and on)."""
    return f"198.51.{100 + i // 250}.{i % 250 + 1}"


def chi_square(counts: tuple[SimCount, ...]) -> float:
    """Pearson's statistic of the counts against the expected shares, over the answered requests."""
    answered = sum(c.count for c in counts)
    total = sum(c.expected for c in counts)
    stat = 0.0
    for c in counts:
        expected = answered * c.expected / total if total else 0.0
        if expected > 0:
            stat += (c.count - expected) ** 2 / expected
    return stat


def simulate(plan: PortPlan, requests: int, *, seed: int, clients: int = 1, affinity_seconds: int | None = None,
             service: str = "") -> Simulation:
    requests = max(0, min(requests, MAX_REQUESTS))
    clients = max(1, min(clients, MAX_CLIENTS))
    rng = random.Random(seed)
    per_node: dict[str, list[Request]] = {n.node: [] for n in plan.nodes}
    lost = 0
    for i in range(requests):
        u = rng.random()
        picked = None
        for n in plan.nodes:
            if u < n.share:
                picked = n.node
                break
            u -= n.share
        if picked is None:  # no entry node (or shares short of 1): nothing answers
            lost += 1
            continue
        per_node[picked].append(Request(client_address(i % clients), i * GAP_SECONDS))
    counts: dict[tuple[str, int], int] = {}
    for n in plan.nodes:
        reqs = per_node[n.node]
        if not reqs:
            continue
        node_seed = zlib.crc32(f"{seed}/{n.node}".encode())
        run = send_requests(n.port, n.backend, reqs, seed=node_seed, service=service, path="external",
                            affinity_seconds=affinity_seconds, through=n.path)
        lost += run.lost
        for t in run.tally:
            counts[(t.address, t.port)] = counts.get((t.address, t.port), 0) + t.count
    rows = tuple(SimCount(p.pod, p.address, p.port, p.node, p.share, counts.get((p.address, p.port), 0))
                 for p in plan.spread.pods)
    by_node = tuple(NodeCount(n.node, len(per_node[n.node])) for n in plan.nodes)
    label = plan.spread.name or str(plan.spread.port)
    return Simulation(label, requests, seed, clients, lost, chi_square(rows), rows, by_node)

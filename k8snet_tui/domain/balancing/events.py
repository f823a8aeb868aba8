"""The core Events about Services that say who allocated an address and who announces it.

Only these reasons are read (the capture keeps no others): MetalLB's controller writes
`IPAllocated` ("Assigned IP [...]") and `AllocationFailed`; its speaker `nodeAssigned`
("announcing from node \"N\" with protocol \"layer2\"", older releases without the protocol);
cloud controllers `EnsuringLoadBalancer`, `EnsuredLoadBalancer` and `SyncLoadBalancerFailed`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import ClusterState, dig_str

REASONS = frozenset({"IPAllocated", "AllocationFailed", "nodeAssigned", "ClearAssignment",
                     "EnsuringLoadBalancer", "EnsuredLoadBalancer", "SyncLoadBalancerFailed"})
MAX_PER_SERVICE = 20
# A node name is a DNS subdomain: anything else in the quotes is not a node (and not believed).
_NODE = re.compile(r'announcing from node "([a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?)"(?: with protocol "([a-z0-9-]{1,32})")?')


@dataclass(frozen=True)
class ServiceEvent:
    reason: str
    message: str
    when: str  # lastTimestamp, else eventTime, else firstTimestamp ("" when none)
    component: str  # source.component or reportingComponent
    count: int


def announced_node(event: ServiceEvent) -> tuple[str, str] | None:
    """(node, protocol) from a speaker's nodeAssigned message; protocol "" when the release omits it."""
    if event.reason != "nodeAssigned":
        return None
    m = _NODE.search(event.message)
    return (m.group(1), m.group(2) or "") if m else None


def service_events(cluster: ClusterState, namespace: str, name: str) -> tuple[ServiceEvent, ...]:
    """The Service's events of the read reasons, oldest first, at most MAX_PER_SERVICE (the newest)."""
    return cluster.memo(_by_service).get((namespace, name), ())


def _by_service(cluster: ClusterState) -> dict[tuple[str, str], tuple[ServiceEvent, ...]]:
    out: dict[tuple[str, str], list[ServiceEvent]] = {}
    for ev in cluster.of("Event"):
        if dig_str(ev, "involvedObject", "kind") != "Service":
            continue
        reason = dig_str(ev, "reason")
        if reason not in REASONS:
            continue
        ns = dig_str(ev, "involvedObject", "namespace") or dig_str(ev, "metadata", "namespace")
        when = dig_str(ev, "lastTimestamp") or dig_str(ev, "eventTime") or dig_str(ev, "firstTimestamp")
        count = ev.get("count") if isinstance(ev, dict) else None
        out.setdefault((ns, dig_str(ev, "involvedObject", "name")), []).append(ServiceEvent(
            reason, dig_str(ev, "message")[:500], when,
            dig_str(ev, "source", "component") or dig_str(ev, "reportingComponent"),
            count if isinstance(count, int) and not isinstance(count, bool) else 1))
    # RFC 3339 times in one zone sort as text; events without a time keep their list order first
    return {k: tuple(sorted(v, key=lambda e: e.when)[-MAX_PER_SERVICE:]) for k, v in out.items()}

"""What the balancing view answers for one LoadBalancer Service, as plain frozen data.

The JSON of `k8snet balance NS/SVC --json` is these fields through the one serializer
(docs/json.md); the fields only the pane draws are marked out with `json_field(None)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..datapath.trace_model import Finding
from ..json_meta import json_field

SHARE = json_field(digits=7)
_TUI_ONLY = json_field(None)


@dataclass(frozen=True)
class Allocation:
    state: str  # allocated | pending
    allocator: str  # metallb | cilium-lb-ipam | kube-vip | cloud | none | unknown
    load_balancer_class: str | None
    pool: str | None
    requested: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class Announce:
    mode: str  # layer2 | bgp | cilium-l2 | kube-vip | cloud | none | unknown
    nodes: tuple[str, ...]
    evidence: tuple[str, ...]
    peers: tuple[str, ...] = ()
    candidates: tuple[str, ...] = field(default=(), metadata=_TUI_ONLY)  # eligible when the one is unknown


@dataclass(frozen=True)
class PodShare:
    pod: str | None
    address: str
    port: int
    node: str | None
    share: float = field(metadata=SHARE)


@dataclass(frozen=True)
class NodeSpread:
    node: str
    share: float = field(metadata=SHARE)
    source: str  # kernel | api
    backend: str
    local_endpoints: int
    lost: float = field(metadata=SHARE)
    pods: tuple[PodShare, ...]
    how: str = field(default="", metadata=_TUI_ONLY)  # the node's pick in words: "1/2 each (statistic random)"
    chain: str | None = field(default=None, metadata=_TUI_ONLY)  # the first chain LB traffic enters
    masquerade: bool = field(default=False, metadata=_TUI_ONLY)


@dataclass(frozen=True)
class PortSpread:
    name: str
    protocol: str
    port: int
    node_port: int | None
    nodes: tuple[NodeSpread, ...]
    pods: tuple[PodShare, ...]
    lost: float = field(metadata=SHARE)


@dataclass(frozen=True)
class SimCount:
    pod: str | None
    address: str
    port: int
    node: str | None
    expected: float = field(metadata=SHARE)
    count: int


@dataclass(frozen=True)
class NodeCount:
    node: str
    count: int


@dataclass(frozen=True)
class Simulation:
    port: str
    requests: int
    seed: int
    clients: int
    lost: int
    chi_square: float = field(metadata=json_field(digits=4))
    counts: tuple[SimCount, ...]
    by_node: tuple[NodeCount, ...]


@dataclass(frozen=True)
class Balance:
    """One LoadBalancer Service, from its address to the pods (docs/json.md, `balance`)."""

    service: str
    type: str
    addresses: tuple[str, ...]
    hostnames: tuple[str, ...]
    allocation: Allocation
    ip_mode: str | None
    allocate_node_ports: bool
    source_ranges: tuple[str, ...]
    external_traffic_policy: str
    health_check_node_port: int | None
    session_affinity: str
    affinity_seconds: int | None
    client_ip_preserved: bool
    announce: Announce
    ports: tuple[PortSpread, ...]
    simulation: Simulation | None
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class ServiceLine:
    """One row of `show balancing`."""

    service: str
    addresses: tuple[str, ...]
    state: str
    allocator: str
    pool: str | None
    announce_mode: str
    nodes: tuple[str, ...]
    external_traffic_policy: str
    ip_mode: str | None
    summary: str


@dataclass(frozen=True)
class PoolLine:
    pool: str
    kind: str
    ranges: tuple[str, ...]
    auto_assign: bool
    advertised: str  # layer2, bgp, layer2+bgp, none (MetalLB); "" for Cilium
    used: tuple[str, ...]
    problems: tuple[str, ...]

"""The synthetic cluster every generated artefact describes (API lists, iptables, nftables).

One `Cluster` is built per scale from a seeded RNG; the API-list, iptables-save and nft writers
all read it, so the dump's chains and the EndpointSlices always name the same endpoints.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

CLUSTER_CIDR = "10.64.0.0/10"  # pods: node n owns 10.64.0.0 + n*4096 /20
SERVICE_CIDR = "10.96.0.0/12"
_POD_BASE = (10 << 24) | (64 << 16)
_SVC_BASE = (10 << 24) | (96 << 16)


@dataclass(frozen=True)
class Scale:
    name: str
    services: int  # including default/kubernetes and kube-system/kube-dns
    pods: int  # workload pods (2 CoreDNS pods come on top)
    nodes: int
    endpoints: int  # endpoints per ordinary service


SCALES: dict[str, Scale] = {
    "S": Scale("S", 100, 1_000, 10, 5),
    "M": Scale("M", 1_000, 10_000, 30, 5),
    "L": Scale("L", 10_000, 30_000, 100, 10),
    "XL": Scale("XL", 10_000, 30_000, 100, 15),
}


def ip4(n: int) -> str:
    return f"{n >> 24 & 255}.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


@dataclass(frozen=True)
class Port:
    name: str  # "" for the unnamed port of a one-port service
    protocol: str  # "TCP" / "UDP"
    port: int
    target_port: int
    node_port: int | None = None


@dataclass(frozen=True)
class Endpoint:
    ip: str
    pod: str  # pod name (same namespace as the service)
    node: str


@dataclass(frozen=True)
class Service:
    namespace: str
    name: str
    cluster_ip: str
    ports: tuple[Port, ...]
    endpoints: tuple[Endpoint, ...]  # all ready; every port is served by every endpoint
    type: str = "ClusterIP"
    affinity_seconds: int | None = None  # sessionAffinity ClientIP
    selector: dict[str, str] | None = None
    uid: str = ""


@dataclass(frozen=True)
class Pod:
    namespace: str
    name: str
    app: str
    ip: str
    node: str
    uid: str


@dataclass(frozen=True)
class Node:
    name: str
    ip: str
    pod_cidr: str
    uid: str


@dataclass
class Cluster:
    scale: Scale
    nodes: list[Node] = field(default_factory=list)
    pods: list[Pod] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)

    @property
    def endpoint_count(self) -> int:
        return sum(len(s.endpoints) for s in self.services)

    @property
    def large_cluster_mode(self) -> bool:
        # kube-proxy's largeClusterEndpointsThreshold: comments go when endpoints exceed 1000.
        return self.endpoint_count > 1000

    @property
    def local_node(self) -> str:
        return self.nodes[0].name


def _uid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def build_cluster(scale: Scale, seed: str | None = None) -> Cluster:
    """The deterministic cluster of a scale (same seed -> byte-identical outputs)."""
    rng = random.Random(seed or f"k8snet-bench-{scale.name}")
    c = Cluster(scale)
    for n in range(scale.nodes):
        base = _POD_BASE + n * 4096
        c.nodes.append(Node(f"node-{n:03d}", f"172.20.{n // 200}.{n % 200 + 10}", f"{ip4(base)}/20", _uid(rng)))

    eps = scale.endpoints
    deployments = max(1, scale.pods // eps)
    n_ns = max(2, deployments // 20)
    c.namespaces = ["default", "kube-system"] + [f"team-{k:03d}" for k in range(n_ns)]
    per_node = [0] * scale.nodes
    dep_pods: list[list[Pod]] = [[] for _ in range(deployments)]
    for j in range(scale.pods):
        d = min(j // eps, deployments - 1)
        ni = j % scale.nodes
        node = c.nodes[ni]
        ip = ip4(_POD_BASE + ni * 4096 + 2 + per_node[ni])
        per_node[ni] += 1
        ns = f"team-{d % n_ns:03d}"
        pod = Pod(ns, f"app-{d:05d}-{rng.getrandbits(40):010x}", f"app-{d:05d}", ip, node.name, _uid(rng))
        c.pods.append(pod)
        dep_pods[d].append(pod)
    dns_pods = []
    for k in range(2):
        ni = k % scale.nodes
        ip = ip4(_POD_BASE + ni * 4096 + 2 + per_node[ni])
        per_node[ni] += 1
        p = Pod("kube-system", f"coredns-5d78c9869d-{rng.getrandbits(24):06x}", "kube-dns", ip, c.nodes[ni].name, _uid(rng))
        c.pods.append(p)
        dns_pods.append(p)

    masters = c.nodes[: min(3, len(c.nodes))]
    c.services.append(Service(
        "default", "kubernetes", ip4(_SVC_BASE + 1), (Port("https", "TCP", 443, 6443),),
        tuple(Endpoint(m.ip, "", m.name) for m in masters), uid=_uid(rng)))
    c.services.append(Service(
        "kube-system", "kube-dns", ip4(_SVC_BASE + 10),
        (Port("dns", "UDP", 53, 53), Port("dns-tcp", "TCP", 53, 53), Port("metrics", "TCP", 9153, 9153)),
        tuple(Endpoint(p.ip, p.name, p.node) for p in dns_pods), selector={"k8s-app": "kube-dns"}, uid=_uid(rng)))

    next_node_port = 30000
    for i in range(scale.services - 2):
        d = i % deployments
        pods = dep_pods[d]
        ns = pods[0].namespace if pods else "default"
        if i % 10 == 0:
            ports = [Port("http", "TCP", 80, 8080), Port("metrics", "TCP", 9090, 9090)]
        elif i % 25 == 1:
            ports = [Port("", "TCP", 80, 8080)]
        else:
            ports = [Port("http", "TCP", 80, 8080)]
        stype = "ClusterIP"
        if i % 10 == 3 and next_node_port <= 32767:
            stype = "NodePort"
            ports = [Port(p.name, p.protocol, p.port, p.target_port, next_node_port) for p in ports]
            next_node_port += 1
        endpoints: tuple[Endpoint, ...] = ()
        selector = {"app": f"app-{d:05d}"}
        if i % 100 != 7:  # every 100th service selects nothing: no endpoints, REJECT
            endpoints = tuple(Endpoint(p.ip, p.name, p.node) for p in pods)
        else:
            selector = {"app": f"gone-{i:05d}"}
        affinity = 10800 if i % 50 == 5 else None
        c.services.append(Service(ns, f"svc-{i:05d}", ip4(_SVC_BASE + 16 + i), tuple(ports), endpoints,
                                  stype, affinity, selector, _uid(rng)))
    return c

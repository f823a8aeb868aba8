"""What every hop reads: the state, the source, the destination, and what earlier hops found.

The address index (which Service, node or pod owns an address) is built once per cluster state,
its pod part only when an address is no Service's (so a diagnosis to a Service never reads the
30,000 pods of a big cluster); a node's parsed datapath once per node state (kept with it), so a
second diagnosis on the same state costs lookups, not parses.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..datapath.backend import Datapath, parse_node_datapath
from ..datapath.endpoints import ServicePort, cluster_ips, external_ips, lb_ingress_ips, service_ports
from ..layers.podnet import pod_ips
from ..model import ClusterState, NodeState, Obj, Observed, dig_list, dig_str, key_of, name_of
from .model import Endpoint, Target
from .target import Source


@dataclass(frozen=True)
class AddressIndex:
    """Address -> what owns it: Services (by ClusterIP, external IP, LB IP), nodes, pods."""

    services: Mapping[str, tuple[tuple[str, Obj], ...]]  # ip -> ((entry kind, Service), ...)
    nodes: Mapping[str, str]  # ip -> node name
    node_ports: Mapping[int, tuple[Obj, ...]]  # NodePort -> Services


def _norm(ip: str) -> str:
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        return ip


def _build_addresses(cluster: ClusterState) -> AddressIndex:
    services: dict[str, list[tuple[str, Obj]]] = {}
    node_ports: dict[int, list[Obj]] = {}
    for svc in cluster.of("Service"):
        for kind, ips in (("cluster-ip", cluster_ips(svc)), ("external-ip", external_ips(svc)),
                          ("load-balancer", lb_ingress_ips(svc))):
            for ip in ips:
                services.setdefault(_norm(ip), []).append((kind, svc))
        for p in service_ports(svc):
            if p.node_port:
                node_ports.setdefault(p.node_port, []).append(svc)
    nodes: dict[str, str] = {}
    for node in cluster.of("Node"):
        for a in dig_list(node, "status", "addresses"):
            if dig_str(a, "type") in ("InternalIP", "ExternalIP") and dig_str(a, "address"):
                nodes.setdefault(_norm(dig_str(a, "address")), name_of(node))
    return AddressIndex({k: tuple(v) for k, v in services.items()}, nodes,
                        {k: tuple(v) for k, v in node_ports.items()})


def _build_pod_addresses(cluster: ClusterState) -> Mapping[str, tuple[Obj, ...]]:
    pods: dict[str, list[Obj]] = {}
    for pod in cluster.of("Pod"):
        for ip in pod_ips(pod):
            pods.setdefault(_norm(ip), []).append(pod)
    return {k: tuple(v) for k, v in pods.items()}


def address_index(cluster: ClusterState) -> AddressIndex:
    return cluster.memo(_build_addresses)


def pod_addresses(cluster: ClusterState) -> Mapping[str, tuple[Obj, ...]]:
    """ip -> pods (host-network pods share their node's), built on first use like the address index."""
    return cluster.memo(_build_pod_addresses)


def node_ip(cluster: ClusterState, node: str) -> str:
    obj = cluster.get("Node", "", node) if node else None
    for a in dig_list(obj, "status", "addresses"):
        if dig_str(a, "type") == "InternalIP" and dig_str(a, "address"):
            return dig_str(a, "address")
    return ""


def datapath_of(node: NodeState, cluster: ClusterState) -> Datapath:
    """The node's parsed datapath, parsed once per (node state, cluster state) and kept with the node
    state (states never change; a new poll is a new object)."""
    held = node.__dict__.get("_path_datapath")
    if isinstance(held, tuple) and held[0] is cluster and isinstance(held[1], Datapath):
        return held[1]
    dp = parse_node_datapath(node, cluster)
    node.__dict__["_path_datapath"] = (cluster, dp)  # frozen: bypass __setattr__, as ClusterState.memo does
    return dp


@dataclass
class Resolved:
    """What the service hop found the packet is sent to, for the hops after it.

    kind: service (a ClusterIP, external or LB IP of a Service), node-port (a node address and
    one of its NodePorts), pod (a pod IP), headless (DNS gave pod IPs), node (a node's own
    address, not a NodePort), external-name, outside (no object has the address)."""

    kind: str
    address: str
    port: int | None
    service: Obj | None = None
    service_port: ServicePort | None = None
    entry: str = ""  # cluster-ip | node-port | external-ip | load-balancer
    pods: tuple[Obj, ...] = ()  # pod / headless: the pods dialled
    node: str = ""  # node-port / node: the node whose address was dialled
    assumed: str = ""  # set when DNS failed and the walk goes on with the Service it most likely meant

    @property
    def service_key(self) -> str:
        return key_of(self.service) if self.service is not None else ""


@dataclass
class Walk:
    observed: Observed
    source: Source
    target: Target
    node: str  # the node whose datapath is read
    node_errors: Mapping[str, str] = field(default_factory=dict)
    datapath: Datapath | None = None
    resolved: Resolved | None = None
    endpoints: tuple[Endpoint, ...] = ()  # routable endpoints, once the endpoints/port hops ran
    endpoint_pods: dict[str, Obj] = field(default_factory=dict)

    @property
    def cluster(self) -> ClusterState:
        return self.observed.cluster

    def node_state(self, name: str) -> NodeState | None:
        state = self.observed.nodes.get(name) if name else None
        return state if state is not None and state.has_kernel_state else None

    def missing_node(self, name: str) -> str:
        """Why `name`'s kernel state is not there, in words."""
        if not name:
            return "the node is not known"
        why = self.node_errors.get(name)
        if why:
            return why
        held = ", ".join(sorted(n for n, s in self.observed.nodes.items() if s.has_kernel_state)) or "none"
        return (f"no kernel state of node {name} was read (nodes with state: {held}); run k8snet on that node, "
                "apply the node agent, or pick another node with --node")

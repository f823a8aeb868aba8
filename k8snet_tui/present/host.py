"""Pane 2: the node's interfaces, routes, rules and neighbours, and the nodes the API knows."""

from __future__ import annotations

from dataclasses import dataclass, field

from k8snet_tui.domain.layers import build_host_view
from k8snet_tui.domain.layers.cidr import KIND_WORDS
from k8snet_tui.domain.layers.host import PodCidrRoute
from k8snet_tui.domain.layers.kernel import Address, Interface, Route, Rule
from k8snet_tui.domain.layers.nodes import ApiNode
from k8snet_tui.domain.model import Observed

from .common import node_for
from .selection import Selection
from .serialize import JsonModel, json_field


@dataclass(frozen=True, slots=True)
class AddressRow:
    """JSON: address, prefixlen, family, scope, kind (rfc1918, cgnat, link-local, public...),
    kind_words (the kind for people)."""

    address: str
    prefixlen: int | None
    family: str
    scope: str
    kind: str
    kind_words: str

    @property
    def cidr(self) -> str:
        return self.address if self.prefixlen is None else f"{self.address}/{self.prefixlen}"


@dataclass(frozen=True, slots=True)
class InterfaceRow:
    """One device; the fields of the domain's `Interface` (see its docstring)."""

    ifindex: int | None
    name: str
    kind: str
    kind_from: str
    role: str
    state: str
    mtu: int | None
    mac: str
    master: str
    peer_ifindex: int | None
    peer_netnsid: int | None
    peer_name: str
    addresses: tuple[AddressRow, ...]
    udp_port: int | None

    @property
    def key(self) -> str:
        return f"{self.ifindex}:{self.name}"


@dataclass(frozen=True, slots=True)
class NeighbourRow:
    """JSON: ip, dev, mac, state, is (who the neighbour is: a node, the gateway, ...)."""

    ip: str
    dev: str
    mac: str
    state: str
    who: str = field(metadata=json_field("is"))

    @property
    def key(self) -> str:
        return f"{self.ip}@{self.dev}"


@dataclass(frozen=True)
class HostModel(JsonModel):
    """`k8snet show host --json`."""

    node: str
    has_kernel_state: bool
    more: str
    interfaces: tuple[InterfaceRow, ...]
    routes: tuple[Route, ...]
    rules: tuple[Rule, ...]
    default_gateways: tuple[str, ...]
    pod_cidr_routes: tuple[PodCidrRoute, ...]
    neighbours: tuple[NeighbourRow, ...]
    nodes: tuple[ApiNode, ...]
    errors: tuple[str, ...]


def _address(a: Address) -> AddressRow:
    return AddressRow(a.address, a.prefixlen, a.family, a.scope, a.kind, KIND_WORDS.get(a.kind, a.kind))


def _interface(i: Interface) -> InterfaceRow:
    return InterfaceRow(i.ifindex, i.name, i.kind, i.kind_from, i.role, i.state, i.mtu, i.mac, i.master,
                        i.peer_ifindex, i.peer_netnsid, i.peer_name, tuple(_address(a) for a in i.addresses),
                        i.udp_port)


def present(observed: Observed, selection: Selection) -> HostModel:
    view = build_host_view(observed.cluster, node_for(observed, selection.node))
    return HostModel(
        view.node, view.has_kernel_state, view.more, tuple(_interface(i) for i in view.interfaces),
        view.routes, view.rules, view.default_gateways, view.pod_cidr_routes,
        tuple(NeighbourRow(n.neighbour.ip, n.neighbour.dev, n.neighbour.mac, n.neighbour.state, n.who)
              for n in view.neighbours),
        view.nodes, view.errors)

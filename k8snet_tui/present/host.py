"""Pane 2: the node's interfaces, routes, rules and neighbours, and the nodes the API knows."""

from __future__ import annotations

from dataclasses import dataclass, field

from k8snet_tui.domain.layers import build_host_view
from k8snet_tui.domain.layers.host import PodCidrRoute
from k8snet_tui.domain.layers.kernel import Interface, Route, Rule
from k8snet_tui.domain.layers.nodes import ApiNode
from k8snet_tui.domain.model import Observed

from .common import node_for
from .selection import Selection
from .serialize import JsonModel, json_field


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
    interfaces: tuple[Interface, ...]  # the domain's devices, as they are
    routes: tuple[Route, ...]
    rules: tuple[Rule, ...]
    default_gateways: tuple[str, ...]
    pod_cidr_routes: tuple[PodCidrRoute, ...]
    neighbours: tuple[NeighbourRow, ...]
    nodes: tuple[ApiNode, ...]
    errors: tuple[str, ...]


def present(observed: Observed, selection: Selection) -> HostModel:
    view = build_host_view(observed.cluster, node_for(observed, selection.node))
    return HostModel(
        view.node, view.has_kernel_state, view.more, view.interfaces,
        view.routes, view.rules, view.default_gateways, view.pod_cidr_routes,
        tuple(NeighbourRow(n.neighbour.ip, n.neighbour.dev, n.neighbour.mac, n.neighbour.state, n.who)
              for n in view.neighbours),
        view.nodes, view.errors)

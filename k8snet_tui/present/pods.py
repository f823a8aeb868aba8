"""Pane 3: the pod network: pod IPs, the pool and per-node CIDRs, the CNI and how pods talk."""

from __future__ import annotations

from dataclasses import dataclass

from k8snet_tui.domain.consistency import POD_NETWORK_TOPICS, ConsistencyReport, check_consistency
from k8snet_tui.domain.layers import build_podnet_view
from k8snet_tui.domain.layers.cidr import family_of, prefix_size, subnet_count
from k8snet_tui.domain.layers.cni import CiliumSettings, CniGuess
from k8snet_tui.domain.layers.podcidrs import CidrFact
from k8snet_tui.domain.layers.podnet import PodRow
from k8snet_tui.domain.model import Observed

from .common import node_for
from .selection import Selection
from .serialize import JsonModel


@dataclass(frozen=True, slots=True)
class CidrRow:
    """One pod CIDR. JSON: cidr (as written), valid, family (inet|inet6|""), size (addresses),
    source, node ("" for cluster-wide), per_node_mask, nodes_fit (how many node slices fit), note."""

    cidr: str
    valid: bool
    family: str
    size: int
    source: str
    node: str
    per_node_mask: int | None
    nodes_fit: int | None
    note: str


@dataclass(frozen=True, slots=True)
class CiliumRow:
    """Cilium's settings (see the domain's `CiliumSettings`), with overlay_port and
    replaces_kube_proxy worked out."""

    source: str
    ipam: str
    pool_ipv4: str
    mask_size_ipv4: str
    routing_mode: str
    tunnel_protocol: str
    overlay_port: int | None
    routing_from: str
    kube_proxy_replacement: str
    replaces_kube_proxy: bool | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class PodsModel(JsonModel):
    """`k8snet show pods --json` (`pods` narrowed to the selected namespace); `consistency`: the
    config vs kernel checks of the tunnel and pod CIDRs on the node shown (`k8snet check`'s shape)."""

    node: str
    more: str
    cni: str
    cni_evidence: tuple[CniGuess, ...]
    cilium: CiliumRow | None
    cluster_cidrs: tuple[CidrRow, ...]
    node_cidrs: tuple[CidrRow, ...]
    pods: tuple[PodRow, ...]
    same_node: str
    cross_node: str
    notes: tuple[str, ...]
    errors: tuple[str, ...]
    consistency: ConsistencyReport


def cidr_row(fact: CidrFact) -> CidrRow:
    valid = fact.valid
    fits = subnet_count(fact.cidr, fact.per_node_mask) if fact.per_node_mask is not None else None
    return CidrRow(fact.cidr, valid, family_of(fact.cidr) if valid else "", prefix_size(fact.cidr) if valid else 0,
                   fact.source, fact.node, fact.per_node_mask, fits, fact.note)


def _cilium(c: CiliumSettings) -> CiliumRow:
    return CiliumRow(c.source, c.ipam, c.pool_ipv4, c.mask_size_ipv4, c.routing_mode, c.tunnel_protocol,
                     c.overlay_port, c.routing_from, c.kube_proxy_replacement, c.replaces_kube_proxy, c.notes)


def present(observed: Observed, selection: Selection) -> PodsModel:
    node = node_for(observed, selection.node)
    view = build_podnet_view(observed.cluster, node)
    ns = selection.namespace
    pods = view.pods if not ns else tuple(p for p in view.pods if p.namespace == ns)
    return PodsModel(
        view.node, view.more, view.cni, view.cni_evidence, _cilium(view.cilium) if view.cilium else None,
        tuple(cidr_row(c) for c in view.cluster_cidrs), tuple(cidr_row(c) for c in view.node_cidrs),
        pods, view.same_node, view.cross_node, view.notes, view.errors,
        check_consistency(observed.cluster, {node.node: node}, local_node=node.node, topics=POD_NETWORK_TOPICS))

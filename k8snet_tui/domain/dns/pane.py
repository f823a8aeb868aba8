"""The DNS pane: the cluster's DNS address and domain, the Corefile in brief, the names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model import ClusterState, NodeState
from .catalog import DnsNameRow, service_dns_names
from .corefile import block_summary
from .oracle import build_dns_model
from .resolv_conf import parse_resolv_conf


@dataclass(frozen=True)
class DnsView:
    cluster_dns: dict[str, Any]
    corefile_source: str
    corefile_blocks: tuple[dict[str, Any], ...]
    corefile_problems: tuple[dict[str, Any], ...]
    names: tuple[DnsNameRow, ...]
    node_resolv_conf: dict[str, Any] | None
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"cluster_dns": self.cluster_dns, "corefile": {
                    "source": self.corefile_source, "blocks": list(self.corefile_blocks),
                    "problems": list(self.corefile_problems)},
                "names": [r.to_json() for r in self.names],
                "node_resolv_conf": self.node_resolv_conf, "notes": list(self.notes)}


def build_dns_view(cluster: ClusterState, node: NodeState | None = None) -> DnsView:
    model = build_dns_model(cluster)
    node_rc = None
    if node is not None and node.resolv_conf is not None:
        rc = parse_resolv_conf(node.resolv_conf)
        node_rc = dict(rc.to_json(), problems=[p.to_json() for p in rc.problems])
    return DnsView(
        cluster_dns=model.dns.to_json(),
        corefile_source=model.corefile_source,
        corefile_blocks=tuple(block_summary(b) for b in model.corefile.blocks),
        corefile_problems=tuple(p.to_json() for p in model.corefile.problems),
        names=service_dns_names(cluster, model),
        node_resolv_conf=node_rc,
        notes=model.notes)

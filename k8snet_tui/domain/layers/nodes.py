"""Nodes as the API describes them: their addresses and their pod CIDRs.

The host view sets them beside the local kernel's addresses to show which nodes share the local
subnet (reachable directly, one hop) and which need a gateway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model import ClusterState, NodeState, dig_list, dig_str, name_of
from ..sanitize import clean
from . import cidr
from .kernel import Kernel


@dataclass(frozen=True)
class ApiNode:
    """One Node object.

    JSON: name, internal_ips, external_ips, hostnames, pod_cidrs (spec.podCIDRs, else spec.podCIDR),
    local (this is the node whose kernel we read), shares_subnet_with (local `dev addr/len`
    entries whose subnet holds one of the node's InternalIPs).
    """

    name: str
    internal_ips: tuple[str, ...]
    external_ips: tuple[str, ...]
    hostnames: tuple[str, ...]
    pod_cidrs: tuple[str, ...]
    local: bool = False
    shares_subnet_with: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "internal_ips": list(self.internal_ips),
            "external_ips": list(self.external_ips),
            "hostnames": list(self.hostnames),
            "pod_cidrs": list(self.pod_cidrs),
            "local": self.local,
            "shares_subnet_with": list(self.shares_subnet_with),
        }


def node_pod_cidrs(obj: object) -> tuple[str, ...]:
    cidrs = [c for c in dig_list(obj, "spec", "podCIDRs") if isinstance(c, str)]
    if not cidrs and dig_str(obj, "spec", "podCIDR"):
        cidrs = [dig_str(obj, "spec", "podCIDR")]
    return tuple(clean(c) for c in cidrs)


def _addresses(obj: object, kind: str) -> tuple[str, ...]:
    return tuple(
        clean(dig_str(a, "address"))
        for a in dig_list(obj, "status", "addresses")
        if dig_str(a, "type") == kind and dig_str(a, "address")
    )


def is_local(node_name: str, obj: object, node: NodeState | None, local_ips: set[str]) -> bool:
    if node is not None and node_name and node_name in (node.node, node.hostname):
        return True
    return bool(local_ips & set(_addresses(obj, "InternalIP")))


def api_nodes(cluster: ClusterState | None, node: NodeState | None, kernel: Kernel) -> tuple[ApiNode, ...]:
    """Every Node object, marked local or not, with the local subnets each one shares."""
    if cluster is None:
        return ()
    local_ips = {a.address for _, a in kernel.local_addresses()}
    subnets = [
        (iface.name, addr)
        for iface, addr in kernel.local_addresses()
        if addr.prefixlen is not None and addr.kind not in (cidr.LOOPBACK, cidr.LINK_LOCAL)
        and addr.prefixlen < (32 if addr.family == "inet" else 128)
    ]
    out = []
    for obj in cluster.of("Node"):
        name = clean(name_of(obj))
        internal = _addresses(obj, "InternalIP")
        shares = tuple(
            f"{dev} {addr.cidr}"
            for dev, addr in subnets
            if any(cidr.prefix_contains(addr.cidr, ip) for ip in internal)
        )
        out.append(
            ApiNode(
                name=name,
                internal_ips=internal,
                external_ips=_addresses(obj, "ExternalIP"),
                hostnames=_addresses(obj, "Hostname"),
                pod_cidrs=node_pod_cidrs(obj),
                local=is_local(name_of(obj), obj, node, local_ips),
                shares_subnet_with=shares,
            )
        )
    return tuple(out)

"""Builders for the balancing tests.

The Services, EndpointSlices and kernel rules come from kube-proxy's own proxier tests
(tests/domain/fixtures/realworld/, each with its provenance). The MetalLB objects around them
are hand-made: their shape is MetalLB's CRDs (go.universe.tf/metallb api/v1beta1:
ipaddresspool_types.go, l2advertisement_types.go, bgpadvertisement_types.go, bgppeer_types.go,
servicel2status_types.go) and the event is the one its speaker writes ("nodeAssigned",
`announcing from node %q with protocol %q`, speaker/main.go). The Cilium pool's shape is
cilium.io/v2alpha1 CiliumLoadBalancerIPPool (spec.blocks[].cidr / start / stop).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from k8snet_tui.domain.model import ClusterState, NodeState, Observed

REALWORLD = Path(__file__).resolve().parents[1] / "fixtures" / "realworld"
NS = "metallb-system"


def realworld(fid: str) -> tuple[list[dict[str, Any]], NodeState]:
    meta = json.loads((REALWORLD / f"{fid}.json").read_text())
    if meta["mode"] == "iptables":
        node = NodeState(node=meta["node"], iptables={"nft": (REALWORLD / f"{fid}.iptables-save.txt").read_text()})
    else:
        node = NodeState(node=meta["node"], nft_ruleset=json.loads((REALWORLD / f"{fid}.nft.json").read_text()))
    return meta["objects"], node


def pool(name: str, *addresses: Any, auto_assign: bool | None = None, allocation: dict | None = None,
         labels: dict | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"addresses": list(addresses)}
    if auto_assign is not None:
        spec["autoAssign"] = auto_assign
    if allocation is not None:
        spec["serviceAllocation"] = allocation
    return {"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool",
            "metadata": {"name": name, "namespace": NS, **({"labels": labels} if labels else {})}, "spec": spec}


def l2adv(name: str, pools: list[str] | None = None, node_selectors: list | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if pools is not None:
        spec["ipAddressPools"] = pools
    if node_selectors is not None:
        spec["nodeSelectors"] = node_selectors
    return {"apiVersion": "metallb.io/v1beta1", "kind": "L2Advertisement",
            "metadata": {"name": name, "namespace": NS}, "spec": spec}


def bgpadv(name: str, pools: list[str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "metallb.io/v1beta1", "kind": "BGPAdvertisement",
            "metadata": {"name": name, "namespace": NS}, "spec": {"ipAddressPools": pools or []}}


def bgppeer(name: str, address: str, asn: int) -> dict[str, Any]:
    return {"apiVersion": "metallb.io/v1beta2", "kind": "BGPPeer", "metadata": {"name": name, "namespace": NS},
            "spec": {"peerAddress": address, "peerASN": asn, "myASN": 64512}}


def l2status(ns: str, svc: str, node: str, iface: str = "eth0") -> dict[str, Any]:
    return {"apiVersion": "metallb.io/v1beta1", "kind": "ServiceL2Status",
            "metadata": {"name": f"l2-{svc}", "namespace": NS, "labels": {"metallb.io/node": node}},
            "status": {"node": node, "serviceName": svc, "serviceNamespace": ns, "interfaces": [{"name": iface}]}}


def node_assigned(ns: str, svc: str, node: str, when: str = "2026-12-01T10:00:00Z") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Event", "metadata": {"name": f"{svc}.{node}", "namespace": ns},
            "involvedObject": {"kind": "Service", "namespace": ns, "name": svc}, "reason": "nodeAssigned",
            "message": f'announcing from node "{node}" with protocol "layer2"', "type": "Normal",
            "source": {"component": "metallb-speaker"}, "lastTimestamp": when, "count": 1}


def node(name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                                                                       **labels}}}


def lb_service(ns: str, name: str, *, ip: str | None = None, policy: str = "Cluster", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"type": "LoadBalancer", "clusterIP": "10.96.0.50", "externalTrafficPolicy": policy,
                     "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080, "nodePort": 31080}],
                     **spec},
            "status": {"loadBalancer": {"ingress": [{"ip": ip}]} if ip else {}}}


def slice_(ns: str, svc: str, endpoints: list[tuple[str, str, bool]]) -> dict[str, Any]:
    """endpoints: (address, node, ready); each a pod named after its address."""
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
            "metadata": {"name": f"{svc}-1", "namespace": ns, "labels": {"kubernetes.io/service-name": svc}},
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
            "endpoints": [{"addresses": [a], "conditions": {"ready": r}, "nodeName": n,
                           "targetRef": {"kind": "Pod", "namespace": ns, "name": "pod-" + a.replace(".", "-")}}
                          for a, n, r in endpoints]}


def observed(objects: list[dict[str, Any]], nodes: dict[str, NodeState] | None = None) -> Observed:
    return Observed(cluster=ClusterState.from_objects(objects), nodes=nodes or {})

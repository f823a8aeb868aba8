"""The consistency check over REAL `ip -j` output of a node dressed in Cilium's tunnel layout.

A throwaway network namespace gets what a Cilium agent in tunnel mode builds (Cilium's
pkg/datapath/linux/node.go createNodeRouteSpec: every pod CIDR `via <router IP> dev cilium_host
src <router IP>`, the remote ones with the tunnel's MTU; a `cilium_host`/`cilium_net` veth pair
holding the router IP; a collect-metadata `cilium_vxlan` on UDP 8472; one `lxc*` veth per pod,
its other end `eth0` in the pod's namespace). The kernel's own dumps are fed to the check, then
the layout is broken for real (a native route, the VXLAN device deleted) and read again. Only
kernel tables are written; no packet is sent.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid

import pytest

from k8snet_tui.domain.consistency import AGREE, DISAGREE, check_consistency
from k8snet_tui.domain.model import ClusterState, NodeState

pytestmark = pytest.mark.root

TOPICS = ("tunnel", "pod-cidr", "service-cidr")


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=20)


def _read(ns: str) -> NodeState:
    def dump(*args: str):
        return tuple(json.loads(_ip("-n", ns, "-j", *args).stdout or "[]"))
    return NodeState(node="node-a", links=dump("-d", "link", "show"), addresses=dump("addr", "show"),
                     routes=dump("route", "show", "table", "all"), source="test")


def _cluster(routing_mode: str = "tunnel") -> ClusterState:
    def node(name, ip, pod_cidr):
        return [{"kind": "Node", "metadata": {"name": name}, "spec": {"podCIDRs": [pod_cidr]},
                 "status": {"addresses": [{"type": "InternalIP", "address": ip}]}},
                {"kind": "CiliumNode", "metadata": {"name": name}, "spec": {"ipam": {"podCIDRs": [pod_cidr]}}}]

    def pod(name, node_name, ip):
        return {"kind": "Pod", "metadata": {"namespace": "default", "name": name},
                "spec": {"nodeName": node_name}, "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]}}

    return ClusterState.from_objects([
        {"kind": "ConfigMap", "metadata": {"namespace": "kube-system", "name": "cilium-config"},
         "data": {"ipam": "cluster-pool", "cluster-pool-ipv4-cidr": "10.0.0.0/8", "cluster-pool-ipv4-mask-size": "24",
                  "routing-mode": routing_mode, "tunnel-protocol": "vxlan", "kube-proxy-replacement": "false"}},
        {"kind": "ServiceCIDR", "metadata": {"name": "kubernetes"}, "spec": {"cidrs": ["10.96.0.0/12"]}},
        *node("node-a", "172.31.24.84", "10.0.0.0/24"), *node("node-b", "172.31.24.122", "10.0.1.0/24"),
        pod("web", "node-a", "10.0.0.5"), pod("far", "node-b", "10.0.1.7"),
    ])


@pytest.fixture()
def cilium_node():
    if os.geteuid() != 0:
        pytest.skip("needs root to create network namespaces")
    tag = uuid.uuid4().hex[:6]
    host, pod = f"k8snet-ch-{tag}", f"k8snet-cp-{tag}"
    if _ip("netns", "add", host, check=False).returncode:
        pytest.skip("cannot create network namespaces here")
    _ip("netns", "add", pod)
    try:
        steps = [
            "link set lo up",
            "link add eth0 type veth peer name eth0peer",  # stands in for the NIC
            "addr add 172.31.24.84/20 dev eth0", "link set eth0 up", "link set eth0peer up",
            "route add default via 172.31.16.1 dev eth0",
            "link add cilium_host type veth peer name cilium_net",
            "addr add 10.0.0.10/32 dev cilium_host", "link set cilium_host up", "link set cilium_net up",
            "link add cilium_vxlan type vxlan external dstport 8472", "link set cilium_vxlan up",
            "route add 10.0.0.10 dev cilium_host scope link",
            "route add 10.0.0.0/24 via 10.0.0.10 dev cilium_host src 10.0.0.10",
            "route add 10.0.1.0/24 via 10.0.0.10 dev cilium_host src 10.0.0.10 mtu 1450",
            f"link add lxc5e2f0a1b type veth peer name eth0 netns {pod}", "link set lxc5e2f0a1b up",
        ]
        for step in steps:
            _ip("-n", host, *step.split())
        _ip("-n", pod, "addr", "add", "10.0.0.5/32", "dev", "eth0")
        yield host
    finally:
        _ip("netns", "delete", pod, check=False)
        _ip("netns", "delete", host, check=False)


def _status(report, code):
    found = [c.status for c in report.checks if c.code == code and c.node == "node-a"]
    assert len(found) == 1, [(c.code, c.status) for c in report.checks]
    return found[0]


def test_cilium_tunnel_layout_has_no_disagreement(cilium_node):
    report = check_consistency(_cluster(), {"node-a": _read(cilium_node)}, local_node="node-a", topics=TOPICS)
    assert report.disagreements == 0, [c.headline() for c in report.findings]
    for code in ("tunnel-device", "tunnel-port", "host-device", "router-address", "pod-devices",
                 "remote-pod-cidr", "local-pods-routed", "pods-in-node-cidr", "service-cidr-route"):
        assert _status(report, code) == AGREE, code


def test_native_config_on_the_tunnel_layout_disagrees(cilium_node):
    report = check_consistency(_cluster("native"), {"node-a": _read(cilium_node)}, local_node="node-a", topics=TOPICS)
    assert _status(report, "remote-pod-cidr") == DISAGREE


def test_broken_for_real_native_route_and_no_vxlan(cilium_node):
    _ip("-n", cilium_node, "route", "replace", "10.0.1.0/24", "via", "172.31.24.122", "dev", "eth0")
    _ip("-n", cilium_node, "link", "del", "cilium_vxlan")
    report = check_consistency(_cluster(), {"node-a": _read(cilium_node)}, local_node="node-a", topics=TOPICS)
    assert _status(report, "remote-pod-cidr") == DISAGREE
    assert _status(report, "tunnel-device") == DISAGREE
    assert _status(report, "host-device") == AGREE  # cilium_host is still there


def test_wrong_vxlan_port_for_real(cilium_node):
    _ip("-n", cilium_node, "link", "del", "cilium_vxlan")
    _ip("-n", cilium_node, "link", "add", "cilium_vxlan", "type", "vxlan", "external", "dstport", "4789")
    report = check_consistency(_cluster(), {"node-a": _read(cilium_node)}, local_node="node-a", topics=TOPICS)
    assert _status(report, "tunnel-port") == DISAGREE

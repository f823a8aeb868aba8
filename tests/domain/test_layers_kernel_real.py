"""Host view and pod host ends over REAL `ip -j` output.

A throwaway network namespace is dressed like a node (a NIC stand-in, a bridge, a pod veth into a
second namespace, a VXLAN device, routes, a neighbour, a policy rule) and its `ip -j` output is
fed to the pure builders, so the JSON shapes are the kernel's, not ours. Nothing here sends
traffic anywhere: adding links, addresses and routes only writes kernel tables.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid

import pytest

from k8snet_tui.domain.layers import build_host_view, build_podnet_view, pod_path
from k8snet_tui.domain.model import ClusterState, NodeState

pytestmark = pytest.mark.root


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=20)


def _json(ns: str, *args: str):
    return json.loads(_ip("-n", ns, "-j", *args).stdout or "[]")


@pytest.fixture(scope="module")
def node_ns():
    if os.geteuid() != 0:
        pytest.skip("needs root to create network namespaces")
    tag = uuid.uuid4().hex[:6]
    host, pod = f"k8snet-lh-{tag}", f"k8snet-lp-{tag}"
    if _ip("netns", "add", host, check=False).returncode:
        pytest.skip("cannot create network namespaces here")
    _ip("netns", "add", pod)
    try:
        steps = [
            "link set lo up",
            # No real NIC can be made in a namespace: a veth named like one stands in for it.
            "link add ens5 type veth peer name ens5peer",
            "addr add 172.31.24.84/20 dev ens5",
            "link set ens5 up",
            "link set ens5peer up",
            "route add default via 172.31.16.1 dev ens5",
            "route add 10.244.1.0/24 via 172.31.24.122 dev ens5",
            "neigh add 172.31.24.122 lladdr 02:00:00:00:00:7a dev ens5",
            "link add cni0 type bridge",
            "addr add 10.244.0.1/24 dev cni0",
            "link set cni0 up",
            "link add vethbr type veth peer name vethbr-p",
            "link set vethbr master cni0",
            f"link add lxc12ab type veth peer name eth0 netns {pod}",
            "link set lxc12ab up",
            "route add 10.244.0.5/32 dev lxc12ab",
            "rule add fwmark 0x200/0xf00 table 2004 pref 9",
        ]
        for step in steps:
            _ip("-n", host, *step.split())
        _ip("-n", pod, "addr", "add", "10.244.0.5/32", "dev", "eth0")
        _ip("-n", pod, "link", "set", "eth0", "up")
        has_vxlan = _ip("-n", host, "link", "add", "flannel.1", "type", "vxlan", "id", "1", "dstport", "8472",
                        "dev", "ens5", check=False).returncode == 0
        if has_vxlan:
            _ip("-n", host, "addr", "add", "10.244.0.0/32", "dev", "flannel.1")
            _ip("-n", host, "link", "set", "flannel.1", "up")
            _ip("-n", host, "route", "add", "10.244.2.0/24", "via", "10.244.2.0", "dev", "flannel.1", "onlink")
        state = NodeState(
            node="node-a",
            links=tuple(_json(host, "-d", "link", "show")),
            addresses=tuple(_json(host, "addr", "show")),
            routes=tuple(_json(host, "route", "show", "table", "all")),
            rules=tuple(_json(host, "rule", "show")),
            neighbours=tuple(_json(host, "neigh", "show")),
            source="test",
        )
        plain_links = tuple(_json(host, "link", "show"))
        pod_links = _json(pod, "link", "show")
        yield {"state": state, "plain_links": plain_links, "pod_links": pod_links, "vxlan": has_vxlan}
    finally:
        _ip("netns", "del", pod, check=False)
        _ip("netns", "del", host, check=False)


def _node(name, ip, cidrs):
    return {"kind": "Node", "metadata": {"name": name},
            "spec": {"podCIDRs": cidrs} if cidrs else {},
            "status": {"addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}]}}


CLUSTER = ClusterState.from_objects(
    [
        _node("node-a", "172.31.24.84", ["10.244.0.0/24"]),
        _node("node-b", "172.31.24.122", ["10.244.1.0/24"]),
        _node("node-c", "10.50.0.7", ["10.244.2.0/24"]),
        _node("node-d", "10.50.0.8", []),
        {"kind": "Pod", "metadata": {"namespace": "default", "name": "web"},
         "spec": {"nodeName": "node-a"}, "status": {"podIP": "10.244.0.5", "phase": "Running"}},
        {"kind": "Pod", "metadata": {"namespace": "default", "name": "client"},
         "spec": {"nodeName": "node-b"}, "status": {"podIP": "10.244.1.9", "phase": "Running"}},
    ]
)


def test_interfaces_from_real_ip_json(node_ns):
    view = build_host_view(CLUSTER, node_ns["state"])
    by_name = {i.name: i for i in view.interfaces}
    assert by_name["lo"].kind == "loopback"
    assert (by_name["cni0"].kind, by_name["cni0"].kind_from) == ("bridge", "name")
    assert by_name["ens5"].kind == "veth" and by_name["ens5"].kind_from == "linkinfo"
    assert by_name["vethbr"].master == "cni0"
    lxc = by_name["lxc12ab"]
    assert lxc.kind == "lxc" and lxc.peer_netnsid is not None
    pod_eth0 = next(link for link in node_ns["pod_links"] if link["ifname"] == "eth0")
    assert lxc.peer_ifindex == pod_eth0["ifindex"]
    ens5 = by_name["ens5"]
    assert [(a.address, a.prefixlen, a.kind) for a in ens5.addresses if a.family == "inet"] == [
        ("172.31.24.84", 20, "rfc1918")
    ]
    assert ens5.mac and ens5.mtu == 1500
    if node_ns["vxlan"]:
        assert by_name["flannel.1"].kind == "flannel.1"
        assert by_name["flannel.1"].udp_port == 8472


def test_plain_ip_link_without_details_still_classifies(node_ns):
    state = NodeState(node="node-a", links=node_ns["plain_links"])
    kinds = {i.name: (i.kind, i.kind_from) for i in build_host_view(None, state).interfaces}
    assert kinds["lxc12ab"] == ("lxc", "name")
    assert kinds["ens5"] == ("veth", "guess")  # its peer shows without -d
    assert kinds["lo"][0] == "loopback"


def test_routes_gateway_rules_and_neighbours(node_ns):
    view = build_host_view(CLUSTER, node_ns["state"])
    assert view.has_kernel_state and view.more == ""
    assert view.default_gateways == ("172.31.16.1 dev ens5",)
    assert any(r.table == "local" for r in view.routes)
    fw = [r for r in view.rules if "fwmark" in r.selector]
    # as `ip rule` prints it
    assert [(r.priority, r.selector, r.table) for r in fw] == [(9, "from all fwmark 0x200/0xf00", "2004")]
    neigh = [n for n in view.neighbours if n.neighbour.ip == "172.31.24.122"]
    assert neigh and neigh[0].who == "node node-b" and neigh[0].neighbour.mac == "02:00:00:00:00:7a"


def test_where_each_pod_cidr_goes(node_ns):
    view = build_host_view(CLUSTER, node_ns["state"])
    routes = {r.node: r for r in view.pod_cidr_routes}
    assert routes["node-a"].local and routes["node-a"].dev == "cni0"
    assert routes["node-a"].more_specific == 1  # the /32 towards the pod's veth
    assert routes["node-b"].gateway_node == "node-b" and "native" in routes["node-b"].words
    if node_ns["vxlan"]:
        assert routes["node-c"].dev == "flannel.1" and "overlay" in routes["node-c"].words
    assert "node-d" not in routes


def test_nodes_sharing_the_local_subnet(node_ns):
    nodes = {n.name: n for n in build_host_view(CLUSTER, node_ns["state"]).nodes}
    assert nodes["node-a"].local and not nodes["node-b"].local
    assert nodes["node-b"].shares_subnet_with == ("ens5 172.31.24.84/20",)
    assert nodes["node-c"].shares_subnet_with == ()


def test_local_pod_paired_to_its_host_veth(node_ns):
    view = build_podnet_view(CLUSTER, node_ns["state"])
    pods = {p.key: p for p in view.pods}
    end = pods["default/web"].host_end
    assert end is not None and end.interface == "lxc12ab" and end.kind == "lxc"
    assert end.found_by.startswith("route 10.244.0.5")
    assert pods["default/client"].host_end is None  # not on this node
    assert pods["default/web"].in_cidr == "10.244.0.0/24"


def test_pod_path_across_nodes_uses_the_local_route(node_ns):
    path = pod_path(CLUSTER, node_ns["state"], "default/web", "default/client")
    assert path.kind == "cross-node" and path.mechanism == "native"
    assert "172.31.24.122" in path.decided_by
    assert "lxc12ab" in path.steps[0]


def test_view_json_is_plain_data(node_ns):
    doc = build_host_view(CLUSTER, node_ns["state"]).to_json()
    assert json.loads(json.dumps(doc)) == doc

"""Issue 5 "Done when", against the test cluster: the host pane's view of node-1 read by the real
probe in node-1's namespace, the pod network's per-node /24s out of 10.0.0.0/8, and the
reachability check from node-1 (a website pod answers; an address with no pod fails cleanly)."""

from __future__ import annotations

import ipaddress

import pytest

from k8snet_tui import views
from k8snet_tui.domain.model import Observed
from k8snet_tui.sources.reachability import check_pod

from tests.cluster.live_reads import api_state, read_node

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def observed(lab_cluster):
    node = read_node(lab_cluster, "node-1")
    return Observed(cluster=api_state(lab_cluster), nodes={"node-1": node}, local_node="node-1", mode="live")


def website_pods_on(observed, node):
    return [p for p in observed.cluster.of("Pod")
            if p["metadata"]["name"].startswith("website-") and p["spec"].get("nodeName") == node
            and p.get("status", {}).get("podIP")]


def test_host_view_lists_node_1s_interfaces_and_the_pod_veths(lab_cluster, observed):
    host = views.build("host", observed).to_json()
    assert host["has_kernel_state"] is True
    by_name = {i["name"]: i for i in host["interfaces"]}
    addresses = {a["address"]: name for name, i in by_name.items() for a in i["addresses"]}
    assert addresses.get(lab_cluster.nodes["node-1"].host_ip), addresses  # the node's host link
    veths = [i for i in host["interfaces"] if i["kind"] in ("veth", "lxc")]  # lxc: Cilium's pod veths
    local_pods = [p for p in observed.cluster.of("Pod")
                  if p["spec"].get("nodeName") == "node-1" and p.get("status", {}).get("podIP")
                  and not p["spec"].get("hostNetwork")]
    assert len(veths) >= len(local_pods) > 0  # one host end per networked pod on node-1
    api_nodes = {n["name"] for n in host["nodes"]}
    assert api_nodes == {"node-1", "node-2"}


def test_pod_view_pairs_each_local_pod_with_its_host_veth(observed):
    pods = views.build("pods", observed).to_json()
    host = views.build("host", observed).to_json()
    veth_names = {i["name"] for i in host["interfaces"] if i["kind"] in ("veth", "lxc")}
    local = [p for p in pods["pods"] if p["local"] and p["ips"] and not p["host_network"]]
    assert local
    for pod in local:
        end = pod["host_end"]
        assert end is not None, pod["name"]
        assert end["interface"] in veth_names, (pod["name"], end)


def test_pod_view_shows_both_nodes_24s_out_of_10_0_0_0_8(lab_cluster, observed):
    pods = views.build("pods", observed).to_json()
    pool = ipaddress.ip_network("10.0.0.0/8")
    assert any(c["cidr"] == "10.0.0.0/8" for c in pods["cluster_cidrs"]), pods["cluster_cidrs"]
    per_node = {}
    for fact in pods["node_cidrs"]:
        net = ipaddress.ip_network(fact["cidr"])
        assert net.prefixlen == 24 and net.subnet_of(pool), fact
        per_node.setdefault(fact["node"], set()).add(fact["cidr"])
    # Each node's /24 as kube-controller-manager allocated it (the harness records them).
    for node, cidr in lab_cluster.pod_cidrs.items():
        assert cidr in per_node.get(node, set()), (node, cidr, per_node)
    assert len({c for cs in per_node.values() for c in cs}) == 2


def test_reachability_succeeds_for_a_website_pod_and_fails_cleanly_for_no_pod(lab_cluster, observed):
    netns = lab_cluster.nodes["node-1"].netns
    pod = website_pods_on(observed, "node-1")[0]
    ok = check_pod(pod["status"]["podIP"], 80, timeout=2.0, netns=netns)
    assert ok.icmp.ok is True, ok.icmp.words
    assert ok.http.ok is True and ok.http.status == 200, ok.http.words
    node_cidr = ipaddress.ip_network(lab_cluster.pod_cidrs["node-1"])
    used = {p["status"].get("podIP") for p in observed.cluster.of("Pod")}
    used.add(str(node_cidr.broadcast_address - 1))  # the node's router address, on cilium_host
    empty = next(str(ip) for ip in reversed(list(node_cidr.hosts())) if str(ip) not in used)
    bad = check_pod(empty, 80, timeout=1.0, netns=netns)
    assert bad.icmp.ok is False and bad.http.ok is False
    assert bad.icmp.words and bad.http.words  # said in words, not raised

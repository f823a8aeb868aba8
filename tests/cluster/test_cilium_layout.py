"""The test cluster's pod network is Cilium's tunnel layout, for real (harness/net.py).

Each node namespace holds what `ip a` / `ip route` show on a Cilium node in VXLAN tunnel mode:
cilium_host/cilium_net (a veth pair, the router address from the node's pod CIDR on
cilium_host), cilium_vxlan (VXLAN, UDP 8472, an fdb entry toward the other node), one lxc...
veth per pod whose other end is the pod's eth0, and every pod CIDR routed via cilium_host.
Node-to-node pod traffic really crosses cilium_vxlan (its counters move on both ends). The
kube-system pods are the lab's, the hostNetwork ones on their node's address. k8snet's own
consistency check, fed both nodes' probes and the live API, finds no disagreement.
"""

from __future__ import annotations

import ipaddress
import json
import re

import pytest

from k8snet_tui.domain.consistency import DISAGREE, check_consistency

from .harness import net
from .live_reads import api_state, read_node

pytestmark = pytest.mark.cluster


def _ipj(cluster, node: str, *args: str):
    proc = cluster.run_in_node(node, ["ip", "-j", *args])
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout or "[]")


def _link(cluster, node: str, name: str) -> dict:
    found = [lk for lk in _ipj(cluster, node, "-d", "-s", "link", "show") if lk["ifname"] == name]
    assert found, f"{node} has no {name}"
    return found[0]


def _pods(cluster) -> list[dict]:
    return [p for p in cluster.api.get("/api/v1/pods")["items"]
            if not p["metadata"].get("deletionTimestamp") and p.get("status", {}).get("podIP")]


@pytest.mark.parametrize("node", ["node-1", "node-2"])
def test_every_node_has_ciliums_devices_and_tunnel_routes(lab_cluster, node):
    own = lab_cluster.pod_cidrs[node]
    other = next(n for n in lab_cluster.nodes if n != node)
    router = net.router_ip(own)
    assert ipaddress.ip_address(router) in ipaddress.ip_network(own)

    host = _link(lab_cluster, node, "cilium_host")
    assert host["linkinfo"]["info_kind"] == "veth" and host.get("link") == "cilium_net"
    addrs = {(a["local"], a["prefixlen"]) for lk in _ipj(lab_cluster, node, "addr", "show", "dev", "cilium_host")
             for a in lk.get("addr_info", [])}
    assert addrs == {(router, 32)}
    vxlan = _link(lab_cluster, node, "cilium_vxlan")
    info = vxlan["linkinfo"]
    assert info["info_kind"] == "vxlan"
    assert info["info_data"]["id"] == 2 and info["info_data"]["port"] == 8472
    fdb = lab_cluster.run_in_node(node, ["bridge", "fdb", "show", "dev", "cilium_vxlan"]).stdout
    assert f"dst {lab_cluster.nodes[other].host_ip}" in fdb

    routes = {r["dst"]: r for r in _ipj(lab_cluster, node, "route", "show")}
    for cidr, src in ((own, router), (lab_cluster.pod_cidrs[other], lab_cluster.nodes[node].host_ip)):
        r = routes[cidr]
        assert (r["dev"], r.get("gateway"), r.get("prefsrc")) == ("cilium_host", router, src), r
    assert any(m.get("mtu") == 1450 for m in routes[lab_cluster.pod_cidrs[other]].get("metrics", []))
    assert not any(r.get("gateway") == lab_cluster.nodes[other].host_ip for r in routes.values()), \
        "a peer's pod CIDR is still routed natively"


def test_each_pod_has_an_lxc_veth_and_its_route_and_gateway(lab_cluster):
    links = {n: {lk["ifname"]: lk for lk in _ipj(lab_cluster, n, "link", "show")} for n in lab_cluster.nodes}
    routes = {n: {r["dst"]: r for r in _ipj(lab_cluster, n, "route", "show")} for n in lab_cluster.nodes}
    checked = 0
    for pod in _pods(lab_cluster):
        md, node = pod["metadata"], pod["spec"]["nodeName"]
        if pod["spec"].get("hostNetwork"):
            continue
        pn = lab_cluster.agent.find(md["namespace"], md["name"])
        assert pn is not None, md["name"]
        assert re.fullmatch(r"lxc[0-9a-f]{12}", pn.host_link)
        assert pn.host_link in links[node], f"{md['name']}: no {pn.host_link} on {node}"
        assert "link_netnsid" in links[node][pn.host_link]  # the other end is in the pod's namespace
        assert routes[node][pod["status"]["podIP"]]["dev"] == pn.host_link
        inside = json.loads(lab_cluster.run_in_pod(md["namespace"], md["name"],
                                                   ["ip", "-j", "route", "show"]).stdout)
        default = next(r for r in inside if r["dst"] == "default")
        assert (default["dev"], default["gateway"]) == ("eth0", net.router_ip(lab_cluster.pod_cidrs[node]))
        checked += 1
    assert checked >= 10


def test_node_to_node_pod_traffic_crosses_cilium_vxlan(lab_cluster):
    target = next(p for p in _pods(lab_cluster)
                  if p["spec"]["nodeName"] == "node-2" and p["metadata"]["name"].startswith("website-"))

    def counters():
        return (_link(lab_cluster, "node-1", "cilium_vxlan")["stats64"]["tx"]["packets"],
                _link(lab_cluster, "node-2", "cilium_vxlan")["stats64"]["rx"]["packets"])

    before = counters()
    answers = lab_cluster.http("node-1", f"http://{target['status']['podIP']}/", count=3)
    assert [a.get("pod") for a in answers] == [target["metadata"]["name"]] * 3, answers
    after = counters()
    # three TCP connections: at least a SYN, the request and an ACK each way, through the tunnel
    assert after[0] - before[0] >= 9 and after[1] - before[1] >= 9, (before, after)


def test_kube_system_pods_are_the_labs(lab_cluster):
    pods = [p for p in _pods(lab_cluster) if p["metadata"]["namespace"] == "kube-system"]
    names = sorted(p["metadata"]["name"] for p in pods)
    for static in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        assert f"{static}-node-1" in names
    for prefix, count in (("cilium-operator-", 1), ("coredns-", 2)):
        assert sum(n.startswith(prefix) for n in names) == count, names
    for ds in ("cilium", "kube-proxy"):
        on = sorted(p["spec"]["nodeName"] for p in pods
                    if any(o["kind"] == "DaemonSet" and o["name"] == ds
                           for o in p["metadata"].get("ownerReferences", [])))
        assert on == ["node-1", "node-2"], (ds, on)
    for p in pods:
        if p["spec"].get("hostNetwork"):
            node = p["spec"]["nodeName"]
            assert p["status"]["podIP"] == lab_cluster.nodes[node].host_ip
            assert lab_cluster.agent.find("kube-system", p["metadata"]["name"]) is None


def test_the_live_cluster_has_no_consistency_finding(lab_cluster, kube_proxy_mode):
    nodes = {n: read_node(lab_cluster, n) for n in lab_cluster.nodes}
    report = check_consistency(api_state(lab_cluster), nodes, local_node="node-1")
    assert report.nodes == ("node-1", "node-2")
    assert [c for c in report.checks if c.status == DISAGREE] == []
    agreeing = {c.code for c in report.checks if c.status == "agree"}
    assert {"tunnel-device", "host-device", "remote-pod-cidr", "proxy-mode"} <= agreeing

"""Each consistency rule, on states made from real tool output.

The base is the bundled lab: node-1's `ip -j -d link`, `ip -j route show table all` and
iptables-legacy-save were captured from the test cluster's node namespace with a real kube-proxy.
Each test changes the API side (a ConfigMap) or drops/edits entries of those real dumps, so every
shape stays the kernel's. The nftables dump is kube-proxy's own 1.36 expectation loaded into a
real nft (tests/domain/fixtures/realworld/README.md). The lab's pods, nodes and layout are read by
role (tests/lab_roles.py): "native routes" are node-1's routes with node-2's pod CIDR sent via
node-2's address on eth0 and no tunnel device (`natively_routed`), whichever layout was captured.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from k8snet_tui.domain.consistency import AGREE, DISAGREE, NOT_CHECKED, check_consistency
from k8snet_tui.domain.model import ClusterState, NodeState
from k8snet_tui.snapshot_state import open_state

from tests import lab_roles as roles
from tests.lab_roles import natively_routed, without_links

NFT = Path(__file__).parent / "fixtures" / "realworld" / "v1.36-nft-overall.nft.json"


@pytest.fixture(scope="module")
def lab():
    observed, _, _ = open_state("lab", report=False)
    objects = [o for objs in observed.cluster.objects.values() for o in objs]
    return objects, observed.nodes["node-1"]


def with_configmap(objects, name, data):
    """The lab's objects with ConfigMap kube-system/NAME's data replaced (None: the ConfigMap removed)."""
    out = [o for o in objects if not (o.get("kind") == "ConfigMap" and o["metadata"]["name"] == name)]
    if data is not None:
        out.append({"kind": "ConfigMap", "metadata": {"namespace": "kube-system", "name": name}, "data": data})
    return out


def cilium(**keys):
    base = {"cluster-pool-ipv4-cidr": "10.0.0.0/8", "cluster-pool-ipv4-mask-size": "24", "ipam": "cluster-pool",
            "kube-proxy-replacement": "disabled"}
    return {**base, **keys}


def kube_proxy(mode):
    return {"config.conf": f"apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n"
                           f"clusterCIDR: 10.0.0.0/8\nmode: {mode}\n"}


def run(objects, node, topics=None):
    cluster = ClusterState.from_objects(objects)
    kw = {"topics": topics} if topics else {}
    return check_consistency(cluster, {"node-1": node}, local_node="node-1", **kw)


def only(report, code, node="node-1"):
    found = [c for c in report.checks if c.code == code and c.node == node]
    assert len(found) == 1, [(c.code, c.node, c.status) for c in report.checks]
    return found[0]


def without_routes(node: NodeState, dst: str) -> NodeState:
    return replace(node, routes=tuple(r for r in node.routes if r.get("dst") != dst))


# -- tunnel mode vs devices and routes ------------------------------------------------------------

OTHER = roles.other_node()
REMOTE_CIDR = roles.pod_cidr(OTHER)  # node-2's pod CIDR, 10.0.1.0/24
NATIVE_ROUTE = f"{REMOTE_CIDR} via {roles.node_ip(OTHER)} dev eth0"


def test_tunnel_config_on_native_routes_disagrees(lab):
    objects, node = lab
    report = run(with_configmap(objects, "cilium-config", cilium(**{"routing-mode": "tunnel",
                                                                    "tunnel-protocol": "vxlan"})),
                 natively_routed(node))
    device = only(report, "tunnel-device")
    assert device.status == DISAGREE and "cilium_vxlan" in device.kernel
    remote = only(report, "remote-pod-cidr")
    assert remote.status == DISAGREE
    assert NATIVE_ROUTE in remote.kernel and OTHER in remote.kernel
    first = REMOTE_CIDR.rsplit(".", 1)[0] + ".1"  # the first address of node-2's pod CIDR
    assert remote.why and remote.next and first in remote.next  # what to run: ip route get


def test_native_config_on_native_routes_agrees_on_mode(lab):
    objects, node = lab
    native = natively_routed(node)
    report = run(with_configmap(objects, "cilium-config", cilium(**{"routing-mode": "native"})), native)
    assert only(report, "tunnel-device").status == AGREE
    assert only(report, "remote-pod-cidr").status == AGREE
    # Still Cilium: without its own devices (cilium_host, the pods' lxc veths) it disagrees either way.
    bare = run(with_configmap(objects, "cilium-config", cilium(**{"routing-mode": "native"})),
               without_links(native, "cilium_host", "cilium_net", "lxc*"))
    assert only(bare, "host-device").status == DISAGREE
    assert only(bare, "pod-devices").status == DISAGREE


def test_geneve_config_expects_cilium_geneve(lab):
    objects, node = lab
    report = run(with_configmap(objects, "cilium-config", cilium(**{"routing-mode": "tunnel",
                                                                    "tunnel-protocol": "geneve"})), node)
    device = only(report, "tunnel-device")
    assert device.status == DISAGREE and "cilium_geneve" in device.kernel and "UDP 6081" in device.config


def test_native_mode_with_no_route_to_the_other_node_disagrees(lab):
    objects, node = lab
    report = run(with_configmap(objects, "cilium-config", cilium(**{"routing-mode": "native"})),
                 without_routes(node, "10.0.1.0/24"))
    remote = only(report, "remote-pod-cidr")
    assert remote.status == DISAGREE and remote.kernel == "no route covers it"


def test_native_mode_behind_a_default_route_is_not_checked(lab):
    objects, node = lab
    routes = [r for r in node.routes if r.get("dst") != "10.0.1.0/24"]
    routes.append({"dst": "default", "gateway": "172.31.16.1", "dev": "eth0", "flags": []})  # `ip -j route` shape
    report = run(with_configmap(objects, "cilium-config", cilium(**{"routing-mode": "native"})),
                 replace(node, routes=tuple(routes)))
    remote = only(report, "remote-pod-cidr")
    assert remote.status == NOT_CHECKED and "default route" in remote.kernel


def test_unknown_cni_still_checks_reachability(lab):
    objects, node = lab
    report = run(with_configmap(objects, "cilium-config", None), without_routes(node, "10.0.1.0/24"))
    assert only(report, "tunnel-mode").status == NOT_CHECKED
    assert only(report, "remote-pod-cidr").status == DISAGREE


def test_local_pod_routed_away_disagrees(lab):
    objects, node = lab
    pod = roles.website_pod()  # a pod on node-1
    ip = roles.pod_ip(pod)
    routes = [dict(r, dev="eth0", gateway="172.31.16.1") if r.get("dst") == ip else r for r in node.routes]
    report = run(objects, replace(node, routes=tuple(routes)))
    local = only(report, "local-pods-routed")
    assert local.status == DISAGREE and ip in local.kernel and pod.split("/")[1] in local.kernel


def test_pod_outside_its_node_cidr_disagrees(lab):
    objects, node = lab
    name = roles.pod_on(roles.captured_node(), namespace="default").split("/")[1]  # a pod on node-1
    moved = []
    for o in objects:
        if o.get("kind") == "Pod" and o["metadata"]["name"] == name:
            o = json.loads(json.dumps(o))
            o["status"]["podIP"] = "10.0.7.9"
            o["status"]["podIPs"] = [{"ip": "10.0.7.9"}]
        moved.append(o)
    check = only(run(moved, node), "pods-in-node-cidr")
    assert check.status == DISAGREE and f"{name} 10.0.7.9" in check.kernel


def test_flannel_vxlan_without_flannel_device_disagrees(lab):
    objects, node = lab
    node = natively_routed(node)  # no VXLAN device of any name (a captured cilium_vxlan would do)
    objects = with_configmap(objects, "cilium-config", None)
    objects = with_configmap(objects, "kube-flannel-cfg",
                             {"net-conf.json": json.dumps({"Network": "10.0.0.0/8", "Backend": {"Type": "vxlan"}})})
    report = run(objects, node)
    device = only(report, "tunnel-device")
    assert device.status == DISAGREE and "flannel.1" in device.kernel and "Flannel" in device.config
    host_gw = with_configmap(objects, "kube-flannel-cfg",
                             {"net-conf.json": json.dumps({"Network": "10.0.0.0/8", "Backend": {"Type": "host-gw"}})})
    assert only(run(host_gw, node), "remote-pod-cidr").status == AGREE  # host-gw: via the node's IP


def test_calico_ipip_always_expects_tunl0(lab):
    objects, node = lab
    objects = with_configmap(objects, "cilium-config", None) + [
        {"kind": "IPPool", "metadata": {"name": "default-ipv4-ippool"},
         "spec": {"cidr": "10.0.0.0/8", "ipipMode": "Always", "vxlanMode": "Never"}}]
    report = run(objects, node)
    assert only(report, "tunnel-device").status == DISAGREE and "tunl0" in only(report, "tunnel-device").kernel
    assert only(report, "remote-pod-cidr").status == DISAGREE


# -- kube-proxy mode vs rules ---------------------------------------------------------------------

def test_iptables_mode_agrees_with_the_labs_real_rules(lab):
    objects, node = lab
    check = only(run(objects, node, ("proxy",)), "proxy-mode")
    assert check.status == AGREE and "iptables-legacy" in check.kernel


def test_configmap_saying_nftables_over_iptables_rules_disagrees(lab):
    objects, node = lab
    check = only(run(with_configmap(objects, "kube-proxy", kube_proxy("nftables")), node, ("proxy",)), "proxy-mode")
    assert check.status == DISAGREE and "mode: nftables" in check.config and "KUBE-SERVICES" in check.kernel


def test_nftables_rules_agree_with_nftables_mode_and_not_iptables(lab):
    objects, node = lab
    nft_node = replace(node, iptables={}, nft_ruleset=json.loads(NFT.read_text()))
    assert only(run(with_configmap(objects, "kube-proxy", kube_proxy("nftables")), nft_node, ("proxy",)),
                "proxy-mode").status == AGREE
    wrong = only(run(with_configmap(objects, "kube-proxy", kube_proxy("iptables")), nft_node, ("proxy",)), "proxy-mode")
    assert wrong.status == DISAGREE and "ip kube-proxy" in wrong.kernel


def test_empty_mode_means_iptables(lab):
    objects, node = lab
    check = only(run(with_configmap(objects, "kube-proxy", kube_proxy('""')), node, ("proxy",)), "proxy-mode")
    assert check.status == AGREE and "(empty: iptables)" in check.config


def test_leftover_rules_of_another_mode_disagree(lab):
    objects, node = lab
    both = replace(node, nft_ruleset=json.loads(NFT.read_text()))
    report = run(with_configmap(objects, "kube-proxy", kube_proxy("nftables")), both, ("proxy",))
    assert only(report, "proxy-mode").status == AGREE
    assert only(report, "proxy-leftovers").status == DISAGREE


def test_no_rules_at_all_disagrees_with_a_configured_mode(lab):
    objects, node = lab
    check = only(run(objects, replace(node, iptables={"legacy": "*nat\nCOMMIT\n"}, nft_ruleset=None), ("proxy",)),
                 "proxy-mode")
    assert check.status == DISAGREE and "no kube-proxy or Cilium service state" in check.kernel


def test_kube_proxy_replacement_with_kube_proxy_rules_disagrees(lab):
    objects, node = lab
    objects = with_configmap(objects, "cilium-config", cilium(**{"kube-proxy-replacement": "true", "tunnel": "vxlan"}))
    check = only(run(objects, node, ("proxy",)), "proxy-mode")
    assert check.status == DISAGREE and "kube-proxy-replacement" in check.config
    # The same node with kube-proxy's rules gone (an iptables dump that holds none of them).
    clean = only(run(objects, replace(node, iptables={"legacy": "*nat\nCOMMIT\n"}, nft_ruleset=None), ("proxy",)),
                 "proxy-mode")
    assert clean.status == AGREE


def test_missing_dumps_and_missing_configmap_are_not_checked(lab):
    objects, node = lab
    assert only(run(objects, replace(node, iptables={}, nft_ruleset=None), ("proxy",)),
                "proxy-mode").status == NOT_CHECKED
    check = only(run(with_configmap(objects, "kube-proxy", None), node, ("proxy",)), "proxy-mode")
    assert check.status == NOT_CHECKED and "no ConfigMap kube-system/kube-proxy" in check.config


# -- Service CIDR vs routes -----------------------------------------------------------------------

def test_service_cidr_route(lab):
    objects, node = lab
    assert only(run(objects, node, ("service-cidr",)), "service-cidr-route").status == AGREE
    check = only(run(objects, without_routes(node, "10.96.0.0/12"), ("service-cidr",)), "service-cidr-route")
    assert check.status == DISAGREE and "network unreachable" in check.why


# -- what was not read ----------------------------------------------------------------------------

def test_nodes_without_state_are_not_checked_never_consistent(lab):
    objects, node = lab
    report = run(objects, node)
    node2 = [c for c in report.checks if c.node == "node-2"]
    assert node2 and all(c.status == NOT_CHECKED for c in node2)
    empty = check_consistency(ClusterState.from_objects(objects), {}, local_node="node-1")
    assert empty.agreed == 0 and empty.disagreements == 0 and empty.not_checked >= 1
    assert empty.nodes == ()


def test_tunnel_port_needs_detailed_links(lab):
    """A plain `ip -j link` (no -d) has no port: not checked, never assumed right."""
    objects, node = lab
    vxlan = {"ifindex": 9, "ifname": "cilium_vxlan", "flags": ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
             "mtu": 1500, "operstate": "UNKNOWN", "link_type": "ether", "address": "8e:1f:35:7c:2a:01",
             "linkinfo": {"info_kind": "vxlan"}}  # `ip -j link` entry of a vxlan device; -d would add info_data
    objects = with_configmap(objects, "cilium-config", cilium(**{"routing-mode": "tunnel"}))
    node = without_links(node, "cilium_vxlan")  # the captured one, if any, is the detailed kind
    report = run(objects, replace(node, links=node.links + (vxlan,)))
    assert only(report, "tunnel-device").status == AGREE
    assert only(report, "tunnel-port").status == NOT_CHECKED
    detailed = dict(vxlan, linkinfo={"info_kind": "vxlan", "info_data": {"id": 0, "port": 4789}})
    port = only(run(objects, replace(node, links=node.links + (detailed,))), "tunnel-port")
    assert port.status == DISAGREE and "UDP 4789" in port.kernel and "UDP 8472" in port.config


def test_the_route_table_answers_as_best_route(lab):
    """The indexed lookup the checks use gives `best_route`'s answer (longest prefix, then metric)."""
    from k8snet_tui.domain.consistency.podnet import _RouteTable
    from k8snet_tui.domain.layers.kernel import best_route, read_kernel

    _, node = lab
    extra = ({"dst": "default", "gateway": "172.31.16.1", "dev": "eth0", "flags": []},
             {"dst": "10.0.0.0/16", "dev": "eth0", "metric": 100, "flags": []},
             {"dst": "10.0.0.0/16", "dev": "kv1", "metric": 50, "flags": []},
             {"dst": "fd00::/64", "dev": "eth0", "flags": []})
    kernel = read_kernel(replace(node, routes=node.routes + extra))
    table = _RouteTable(kernel.routes)
    targets = ["10.0.0.2", "10.0.0.9", "10.0.0.0/24", "10.0.1.0/24", "10.0.1.7", "10.96.0.1", "10.96.0.0/12",
               "10.0.0.0/8", "8.8.8.8", "127.0.0.1", "fd00::5", "fd00::/48", "not-an-address"]
    for target in targets:
        assert table.lookup(target) == best_route(kernel.routes, target), target


def test_hostile_strings_reach_no_check_raw(lab):
    """Cluster text in a check's words is cleaned: no control character survives to a terminal."""
    objects, node = lab
    evil = "\x1b[31mred\x1b]0;title\x07\u202e"
    objects = with_configmap(objects, "cilium-config", None)
    objects = with_configmap(objects, "kube-flannel-cfg", {"net-conf.json": json.dumps({"Backend": {"Type": evil}})})
    objects = with_configmap(objects, "kube-proxy", kube_proxy(evil.replace("\x1b", "\x1bx")))
    objects = [dict(o, metadata=dict(o["metadata"], name="node-2" + evil)) if o.get("kind") == "Node"
               and o["metadata"]["name"] == "node-2" else o for o in objects]
    report = run(objects, node)
    assert report.checks
    for check in report.checks:
        for text in (check.node, check.config, check.kernel, check.where, check.why, check.next):
            assert not any(ord(ch) < 32 or ch in "\x7f\u202e" for ch in text), (check.code, text)

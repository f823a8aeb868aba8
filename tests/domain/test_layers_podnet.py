"""Pod ranges and their sources, CNI detection, Cilium settings and pod paths (hand-written API objects).

Kinds that cannot be created in a test namespace (Cilium's devices, geneve, dummy) come as
hand-written `ip -j` entries shaped like the kernel's.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from k8snet_tui.domain.layers import build_host_view, build_podnet_view, pod_path
from k8snet_tui.domain.layers.cni import cilium_settings
from k8snet_tui.domain.layers.links import link_kind
from k8snet_tui.domain.layers.podcidrs import yaml_block_value
from k8snet_tui.domain.model import ClusterState, NodeState

KUBEADM = """apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
# podSubnet: 192.168.0.0/16 (commented out on purpose)
controllerManager: {}
networking:
  dnsDomain: cluster.local
  podSubnet: "10.244.0.0/16"   # flannel's default
  serviceSubnet: 10.96.0.0/12
scheduler: {}
"""


def cm(ns, name, data):
    return {"kind": "ConfigMap", "metadata": {"namespace": ns, "name": name}, "data": data}


def node(name, ip, cidrs=()):
    return {"kind": "Node", "metadata": {"name": name}, "spec": {"podCIDRs": list(cidrs)},
            "status": {"addresses": [{"type": "InternalIP", "address": ip}]}}


def pod(ns, name, node_name, ip, host_network=False, ready="True"):
    return {"kind": "Pod", "metadata": {"namespace": ns, "name": name},
            "spec": {"nodeName": node_name, "hostNetwork": host_network},
            "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                       "conditions": [{"type": "Ready", "status": ready}]}}


def cilium_cluster(config):
    return ClusterState.from_objects([
        cm("kube-system", "cilium-config", config),
        {"kind": "DaemonSet", "metadata": {"namespace": "kube-system", "name": "cilium"},
         "spec": {"template": {"spec": {"containers": [{"image": "quay.io/cilium/cilium:v1.16.0"}]}}}},
        node("n1", "172.31.24.84", ["10.244.0.0/24"]),
        node("n2", "172.31.24.122", ["10.244.1.0/24"]),
        {"kind": "CiliumNode", "metadata": {"name": "n1"}, "spec": {"ipam": {"podCIDRs": ["10.0.0.0/24"]}}},
        {"kind": "CiliumNode", "metadata": {"name": "n2"}, "spec": {"ipam": {"podCIDRs": ["10.0.1.0/24"]}}},
        pod("default", "web", "n1", "10.0.0.128"),
        pod("default", "client", "n1", "10.0.0.231"),
        pod("default", "far", "n2", "10.0.1.7"),
        pod("kube-system", "kube-proxy-x", "n1", "172.31.24.84", host_network=True),
    ])


LAB_CONFIG = {"ipam": "cluster-pool", "cluster-pool-ipv4-cidr": "10.0.0.0/8",
              "cluster-pool-ipv4-mask-size": "24", "tunnel": "vxlan", "kube-proxy-replacement": "disabled"}


def test_kubeadm_reader_finds_pod_subnet_only_under_networking():
    assert yaml_block_value(KUBEADM, "networking", "podSubnet") == "10.244.0.0/16"
    assert yaml_block_value(KUBEADM, "networking", "serviceSubnet") == "10.96.0.0/12"
    assert yaml_block_value(KUBEADM, "scheduler", "podSubnet") is None
    assert yaml_block_value("networking: {podSubnet: 10.0.0.0/8}", "networking", "podSubnet") is None


@given(st.text(max_size=300))
def test_kubeadm_reader_never_raises(text):
    value = yaml_block_value(text, "networking", "podSubnet")
    assert value is None or isinstance(value, str)


@given(st.from_regex(r"[0-9a-f:./]{1,30}", fullmatch=True), st.integers(1, 8))
def test_kubeadm_reader_returns_what_was_written(value, indent):
    text = f"kind: ClusterConfiguration\nnetworking:\n{' ' * indent}dnsDomain: x\n{' ' * indent}podSubnet: {value}\n"
    assert yaml_block_value(text, "networking", "podSubnet") == value


def test_every_source_of_pod_cidrs_is_named():
    cluster = ClusterState.from_objects([
        cm("kube-system", "cilium-config", LAB_CONFIG),
        cm("kube-system", "kubeadm-config", {"ClusterConfiguration": KUBEADM}),
        {"kind": "Pod", "metadata": {"namespace": "kube-system", "name": "kube-controller-manager-n1",
                                     "labels": {"component": "kube-controller-manager"}},
         "spec": {"containers": [{"command": ["kube-controller-manager", "--allocate-node-cidrs=true",
                                              "--cluster-cidr=10.244.0.0/16,fd00:10:244::/56",
                                              "--node-cidr-mask-size", "24"]}]}},
        node("n1", "172.31.24.84", ["10.244.0.0/24"]),
        {"kind": "CiliumNode", "metadata": {"name": "n1"}, "spec": {"ipam": {"podCIDRs": ["10.0.0.0/24"]}}},
    ])
    view = build_podnet_view(cluster, None)
    found = {(c.cidr, c.source.split()[0], c.per_node_mask) for c in view.cluster_cidrs}
    assert ("10.0.0.0/8", "ConfigMap", 24) in found
    assert ("10.244.0.0/16", "ConfigMap", None) in found
    assert ("10.244.0.0/16", "Pod", 24) in found
    assert ("fd00:10:244::/56", "Pod", 24) in found
    assert {(c.node, c.cidr, c.source) for c in view.node_cidrs} == {
        ("n1", "10.244.0.0/24", "Node spec.podCIDRs"), ("n1", "10.0.0.0/24", "CiliumNode spec.ipam.podCIDRs")}
    assert any("different cluster pod ranges" in n for n in view.notes)
    assert any("CiliumNode" in n for n in view.notes)
    pool = next(c for c in view.cluster_cidrs if c.cidr == "10.0.0.0/8").to_json()
    assert pool["nodes_fit"] == 65536 and pool["size"] == 2**24


def test_lab_cilium_config_old_tunnel_key():
    settings = cilium_settings(cilium_cluster(LAB_CONFIG))
    assert (settings.ipam, settings.pool_ipv4, settings.mask_size_ipv4) == ("cluster-pool", "10.0.0.0/8", "24")
    assert (settings.routing_mode, settings.tunnel_protocol, settings.overlay_port) == ("tunnel", "vxlan", 8472)
    assert "pre-1.15" in settings.routing_from
    assert settings.replaces_kube_proxy is False


@pytest.mark.parametrize(
    "config, mode, proto, port",
    [
        ({"routing-mode": "tunnel", "tunnel-protocol": "geneve"}, "tunnel", "geneve", 6081),
        ({"routing-mode": "native"}, "native", "", None),
        ({"tunnel": "disabled"}, "native", "", None),
        ({"routing-mode": "tunnel"}, "tunnel", "vxlan", 8472),
        ({}, "tunnel", "vxlan", 8472),
    ],
)
def test_cilium_routing_modes(config, mode, proto, port):
    settings = cilium_settings(cilium_cluster(config))
    assert (settings.routing_mode, settings.tunnel_protocol, settings.overlay_port) == (mode, proto, port)


def test_cilium_detected_with_evidence_and_pods_listed():
    lxc = {"ifindex": 12, "ifname": "lxc8f3e", "link_index": 11, "link_netnsid": 1, "link_type": "ether",
           "flags": ["UP"], "operstate": "UP", "linkinfo": {"info_kind": "veth"}}
    # Hand-written: cilium_host/cilium_net need the Cilium agent to exist.
    host = {"ifindex": 3, "ifname": "cilium_host", "link": "cilium_net", "link_type": "ether",
            "operstate": "UP", "flags": ["UP"], "linkinfo": {"info_kind": "veth"}}
    state = NodeState(node="n1", links=(lxc, host),
                      routes=({"dst": "10.0.0.128", "dev": "lxc8f3e", "scope": "link", "flags": []},))
    view = build_podnet_view(cilium_cluster(LAB_CONFIG), state)
    assert view.cni == "Cilium"
    evidence = " | ".join(view.cni_evidence[0].evidence)
    assert "DaemonSet kube-system/cilium" in evidence and "cilium-config" in evidence and "lxc8f3e" in evidence
    pods = {p.key: p for p in view.pods}
    assert pods["default/web"].host_end.interface == "lxc8f3e"
    assert pods["default/web"].host_end.peer_ifindex == 11
    assert pods["default/web"].in_cidr == "10.0.0.0/24"
    assert pods["kube-system/kube-proxy-x"].host_network and pods["kube-system/kube-proxy-x"].host_end is None
    assert pods["default/far"].local is False and pods["default/web"].ready is True
    assert "8472" in view.cross_node
    assert json.loads(json.dumps(view.to_json())) == view.to_json()


def test_without_kernel_state_the_view_says_what_to_run():
    view = build_podnet_view(cilium_cluster(LAB_CONFIG), NodeState(node="n1", errors=("permission denied",)))
    assert "sudo k8snet probe" in view.more and "permission denied" in view.more
    assert all(p.host_end is None for p in view.pods)
    host = build_host_view(cilium_cluster(LAB_CONFIG), NodeState(node="n1"))
    assert not host.has_kernel_state and "k8snet capture" in host.more


@pytest.mark.parametrize(
    "objects, devices, expected",
    [
        ([{"kind": "DaemonSet", "metadata": {"namespace": "kube-system", "name": "calico-node"}}], [], "Calico"),
        ([], ["cali1234", "tunl0"], "Calico"),
        ([cm("kube-flannel", "kube-flannel-cfg", {})], ["flannel.1", "cni0"], "Flannel"),
        ([{"kind": "DaemonSet", "metadata": {"namespace": "kube-system", "name": "kindnet"}}], [], "kindnet"),
        ([{"kind": "DaemonSet", "metadata": {"namespace": "kube-system", "name": "aws-node"}}], ["eni3a"], "AWS VPC CNI"),
        ([{"kind": "DaemonSet", "metadata": {"namespace": "kube-system", "name": "weave-net"}}], ["weave"], "Weave Net"),
        ([{"kind": "DaemonSet", "metadata": {"namespace": "kube-system", "name": "antrea-agent"}}], [], "Antrea"),
        ([{"kind": "DaemonSet", "metadata": {"namespace": "kube-system", "name": "kube-router"}}], ["kube-bridge"],
         "kube-router"),
        ([], [], ""),
    ],
)
def test_cni_detection(objects, devices, expected):
    links = tuple({"ifindex": i + 2, "ifname": d, "link_type": "ether"} for i, d in enumerate(devices))
    view = build_podnet_view(ClusterState.from_objects(objects), NodeState(node="n1", links=links))
    assert view.cni == expected


@pytest.mark.parametrize(
    "entry, kind",
    [
        # Hand-written: this test host's kernel cannot create geneve or dummy devices.
        ({"ifname": "cilium_geneve", "link_type": "ether", "linkinfo": {"info_kind": "geneve"}}, "geneve"),
        ({"ifname": "kube-ipvs0", "link_type": "ether", "linkinfo": {"info_kind": "dummy"}}, "kube-ipvs0"),
        ({"ifname": "nodelocaldns", "link_type": "ether", "linkinfo": {"info_kind": "dummy"}}, "dummy"),
        ({"ifname": "cilium_net", "link_type": "ether", "linkinfo": {"info_kind": "veth"}}, "cilium_net"),
        ({"ifname": "tun0", "link_type": "none", "flags": ["POINTOPOINT", "UP"]}, "tun"),
        ({"ifname": "eth0", "link_type": "ether", "min_mtu": 68, "parentbus": "pci"}, "physical"),
        ({"ifname": 7}, "unknown"),
    ],
)
def test_link_kinds_for_devices_we_cannot_create(entry, kind):
    assert link_kind(entry).kind == kind


def test_pod_paths():
    cluster = cilium_cluster(LAB_CONFIG)
    same = pod_path(cluster, None, "default/web", "default/client")
    assert (same.kind, same.mechanism) == ("same-node", "kernel")
    far = pod_path(cluster, None, "default/web", "default/far")
    assert (far.kind, far.mechanism, far.protocol, far.udp_port) == ("cross-node", "overlay", "vxlan", 8472)
    assert any("172.31.24.84 -> 172.31.24.122" in s for s in far.steps)
    assert any("10.0.0.128 -> 10.0.1.7" in s for s in far.steps)
    native = pod_path(cilium_cluster({"routing-mode": "native"}), None, "default/web", "default/far")
    assert native.mechanism == "native" and native.udp_port is None
    missing = pod_path(cluster, None, "default/web", "default/nope")
    assert missing.error and "default/nope" in missing.error
    assert pod_path(cluster, None, "default/web", "default/web").kind == "same-pod"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=20,
)


@given(st.lists(json_values, max_size=6), st.lists(json_values, max_size=6), st.lists(json_values, max_size=6))
def test_malformed_input_degrades(objects, links, routes):
    cluster = ClusterState.from_objects([o for o in objects if isinstance(o, dict)])
    state = NodeState(node="n1", links=tuple(links), addresses=tuple(links), routes=tuple(routes),
                      neighbours=tuple(routes), rules=tuple(routes))
    json.dumps(build_podnet_view(cluster, state).to_json())
    json.dumps(build_host_view(cluster, state).to_json())
    json.dumps(pod_path(cluster, state, "a/b", "c/d").to_json())


@given(st.lists(st.fixed_dictionaries({
    "kind": st.sampled_from(["Node", "Pod", "ConfigMap", "CiliumNode", "DaemonSet"]),
    "metadata": st.fixed_dictionaries({"name": json_values, "namespace": json_values}),
    "spec": json_values, "status": json_values, "data": json_values}), max_size=6))
def test_malformed_api_objects_degrade(objects):
    cluster = ClusterState.from_objects(objects)
    json.dumps(build_podnet_view(cluster, None).to_json())
    json.dumps(build_host_view(cluster, None).to_json())


def test_pod_cidr_without_any_routes_read_is_unknown_not_unreachable():
    cluster = cilium_cluster(LAB_CONFIG)
    addr_only = NodeState(node="n1", addresses=({"ifindex": 2, "ifname": "ens5", "link_type": "ether",
                                                 "addr_info": [{"family": "inet", "local": "172.31.24.84", "prefixlen": 20}]},))
    words = {r.node: r.words for r in build_host_view(cluster, addr_only).pod_cidr_routes}
    assert words["n1"].startswith("unknown")
    with_routes = NodeState(node="n1", routes=({"dst": "192.0.2.0/24", "dev": "ens5"},))
    words = {r.node: r.words for r in build_host_view(cluster, with_routes).pod_cidr_routes}
    assert words["n2"].startswith("no route")

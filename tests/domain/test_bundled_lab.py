"""The bundled lab (k8snet_tui/data/lab) is the lab, whole, and agrees with itself.

It was captured from the test cluster with Cilium's tunnel layout built for real and the cloud
metadata emulator answering (scripts/make-lab-snapshot). These are the lab's step 1 facts: the
public address 1:1 NATed to the host IP and the same address outbound; the kube-system pods of
`kubectl get pod -A`; Cilium's devices and tunnel routes on node-1 (that the configuration and
the kernel agree is tests/domain/test_consistency_lab.py).
"""

from __future__ import annotations

import ipaddress

import pytest

from k8snet_tui.domain.layers.internet import build_internet_view
from k8snet_tui.domain.layers.kernel import best_route, read_kernel
from k8snet_tui.domain.model import dig_str, name_of, namespace_of
from k8snet_tui.present.common import cloud_of
from k8snet_tui.snapshot_state import open_state

from tests import lab_roles as roles


@pytest.fixture(scope="module")
def lab():
    observed, _, problems = open_state("lab", report=False)
    assert problems == ()
    return observed


def _pods(observed, namespace):
    return [p for p in observed.cluster.of("Pod") if namespace_of(p) == namespace]


def test_the_internet_pane_answers_the_labs_first_questions(lab):
    facts = cloud_of(lab, None)
    view = build_internet_view(facts, lab.nodes[roles.captured_node()], lab.cluster)
    assert (view.status, view.provider, view.region) == ("ok", "aws", "eu-central-1")
    public = ipaddress.ip_address(view.public_ipv4)
    assert public in ipaddress.ip_network("203.0.113.0/24")  # documentation range: data only
    assert view.private_ipv4 == roles.node_ip(roles.captured_node()) == "172.31.24.84"
    assert view.outbound_ipv4 == view.public_ipv4  # "In our case they are the same."
    assert view.nat == "1:1" and not view.public_on_interface


def test_kube_system_has_the_pods_the_lab_lists(lab):
    pods = _pods(lab, "kube-system")
    names = [name_of(p) for p in pods]
    for static in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        assert f"{static}-node-1" in names
    assert sum(n.startswith("cilium-operator-") for n in names) == 1
    assert sum(n.startswith("coredns-") for n in names) == 2
    node_ip = {node: roles.node_ip(node) for node in roles.nodes()}
    for ds in ("cilium", "kube-proxy"):
        mine = [p for p in pods if any(o.get("kind") == "DaemonSet" and o.get("name") == ds
                                       for o in p["metadata"].get("ownerReferences", []))]
        assert sorted(dig_str(p, "spec", "nodeName") for p in mine) == list(roles.nodes()), ds
    host_net = [p for p in pods if p.get("spec", {}).get("hostNetwork")]
    assert len(host_net) == 1 + 2 + 2 + 4  # operator, the two DaemonSets, the static pods
    for p in host_net:
        assert dig_str(p, "status", "podIP") == node_ip[dig_str(p, "spec", "nodeName")], name_of(p)
    assert {name_of(d) for d in lab.cluster.of("DaemonSet")} >= {"cilium", "kube-proxy"}


def test_node_1_holds_ciliums_tunnel_layout(lab):
    node = roles.captured_node()
    kernel = read_kernel(lab.nodes[node])
    host, vxlan = kernel.interface("cilium_host"), kernel.interface("cilium_vxlan")
    assert host is not None and vxlan is not None
    assert vxlan.kind == "vxlan" and vxlan.udp_port == 8472
    assert [a.cidr for a in host.addresses] == ["10.0.0.254/32"]
    remote = best_route(kernel.routes, roles.pod_cidr(roles.other_node()))
    assert (remote.dev, remote.gateway) == ("cilium_host", "10.0.0.254")
    local_pods = [p for p in lab.cluster.of("Pod")
                  if dig_str(p, "spec", "nodeName") == node and not p.get("spec", {}).get("hostNetwork")]
    lxc = [i for i in kernel.interfaces if i.name.startswith("lxc")]
    assert len(lxc) == len(local_pods) >= 3
    for p in local_pods:
        assert best_route(kernel.routes, dig_str(p, "status", "podIP")).dev.startswith("lxc")

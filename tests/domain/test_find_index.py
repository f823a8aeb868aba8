"""Find from anywhere on the bundled lab, and on hand-written policies."""

import ipaddress
import json

import pytest

from k8snet_tui.collect.session import SnapshotSession
from k8snet_tui.domain.find import find
from k8snet_tui.domain.model import ClusterState, Observed
from k8snet_tui.sources.snapshot import load_snapshot

from tests import lab_roles as roles


@pytest.fixture(scope="module")
def lab():
    return SnapshotSession(load_snapshot("lab")).observed()


def _captured_routes() -> list[dict]:
    return json.loads((roles.lab_dir() / "nodes" / roles.captured_node() / "ip-route.json").read_text())


def kinds(hits):
    return [(h.kind, h.subject) for h in hits]


def test_an_address_finds_its_pod_endpoints_chain_route_node_and_names(lab):
    node = roles.captured_node()
    pod_ref = roles.website_pod(node)  # a website pod on the node whose rules and routes the lab holds
    ip, name = roles.pod_ip(pod_ref), pod_ref.split("/")[1]
    hits, more = find(lab, ip)
    assert more == 0
    got = kinds(hits)
    assert got[0] == ("pod", pod_ref)
    assert ("endpoint", f"default/website:http -> {ip}:80") in got
    assert ("chain", roles.sep_chain(ip)) in got
    assert ("route", f"{ip} dev {roles.pod_route_device(ip)} on {node}") in got
    assert ("node", node) in got  # its pod CIDR holds the address
    assert ("dns", f"{ip.replace('.', '-')}.headlesswebsite.default.svc.cluster.local A") in got
    assert ("node", roles.other_node()) not in got
    # the partial hits are only what holds the address in a range: the node's pod CIDR, and a route
    # to a range (Cilium's `10.0.0.0/24 via <router> dev cilium_host`) when the node has one
    covering = [r for r in _captured_routes() if r.get("dst", "default") != "default"
                and "/" in r["dst"] and ipaddress.ip_address(ip) in ipaddress.ip_network(r["dst"], strict=False)]
    assert [h.kind for h in hits if not h.exact] == ["node"] + ["route"] * len(covering)
    assert [h.subject.split()[0] for h in hits if not h.exact and h.kind == "route"] == [r["dst"] for r in covering]
    pod = hits[0]
    assert (pod.jump.pane, pod.jump.verb, pod.jump.arg) == ("pods", "pods", name)
    chain = next(h for h in hits if h.kind == "chain")
    assert (chain.jump.pane, chain.jump.verb, chain.jump.arg) == ("services", "trace", "default/website:http")


def test_a_cluster_ip_finds_the_service_its_chain_and_its_name(lab):
    got = kinds(find(lab, roles.cluster_ip("default", "website"))[0])
    assert got[:3] == [("service", "default/website"), ("chain", roles.svc_chain("default", "website", "http")),
                       ("dns", "website.default.svc.cluster.local A")]
    assert ("route", f"10.96.0.0/12 dev eth0 on {roles.captured_node()}") in got


def test_a_chain_name_says_what_it_means(lab):
    ip = roles.pod_ip(roles.website_pod())
    (hit,), _ = find(lab, roles.sep_chain(ip).lower())
    assert hit.kind == "chain" and hit.exact
    assert f"{ip}:80" in hit.detail and "default/website:http" in hit.detail
    ext_chain = roles.svc_chain("default", "website", "http").replace("KUBE-SVC-", "KUBE-EXT-")
    assert f":{ext_chain} " in roles.iptables_save()  # the lab's rules declare the external chain
    ext = find(lab, ext_chain)[0]
    assert [h.detail for h in ext] == [f"the external chain of default/website:http on {roles.captured_node()}"]


def test_a_name_finds_exact_first_then_the_rest(lab):
    hits, _ = find(lab, "website")
    assert kinds(hits)[:2] == [("service", "default/website"), ("dns", "website.default.svc.cluster.local A")]
    assert {h.kind for h in hits} >= {"pod", "service", "endpoint", "dns"}
    assert find(lab, "node-2")[0][0].jump.section == "nodes"
    assert find(lab, "x")[0] == ()  # one letter is not a search
    assert find(lab, "no-such-thing-here")[0] == ()


def test_policies_by_ip_block_and_by_the_pods_they_select():
    objs = [
        {"kind": "Pod", "metadata": {"name": "api", "namespace": "shop", "labels": {"app": "api"}},
         "spec": {"nodeName": "n1"}, "status": {"podIP": "10.4.0.7"}},
        {"kind": "NetworkPolicy", "metadata": {"name": "api-in", "namespace": "shop"},
         "spec": {"podSelector": {"matchLabels": {"app": "api"}},
                  "ingress": [{"from": [{"ipBlock": {"cidr": "192.0.2.0/24"}}]}]}},
        {"kind": "NetworkPolicy", "metadata": {"name": "other", "namespace": "shop"},
         "spec": {"podSelector": {"matchLabels": {"app": "db"}}}},
    ]
    o = Observed(cluster=ClusterState.from_objects(objs))
    assert kinds(find(o, "10.4.0.7")[0]) == [("pod", "shop/api"), ("policy", "shop/api-in")]
    (hit,), _ = find(o, "192.0.2.9")
    assert hit.kind == "policy" and not hit.exact and "192.0.2.0/24" in hit.detail
    assert hit.jump.pane == "policy" and hit.jump.section == "policies"
    assert kinds(find(o, "other")[0]) == [("policy", "shop/other")]

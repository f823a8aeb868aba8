"""Find from anywhere on the bundled lab, and on hand-written policies."""

import pytest

from k8snet_tui.collect.session import SnapshotSession
from k8snet_tui.domain.find import find
from k8snet_tui.domain.model import ClusterState, Observed
from k8snet_tui.sources.snapshot import load_snapshot


@pytest.fixture(scope="module")
def lab():
    return SnapshotSession(load_snapshot("lab")).observed()


def kinds(hits):
    return [(h.kind, h.subject) for h in hits]


def test_an_address_finds_its_pod_endpoints_chain_route_node_and_names(lab):
    hits, more = find(lab, "10.0.0.3")
    assert more == 0
    got = kinds(hits)
    assert got[0] == ("pod", "default/website-67cdc95f5f-gmn95")
    assert ("endpoint", "default/website:http -> 10.0.0.3:80") in got
    assert ("chain", "KUBE-SEP-N7VSNWLSIFJSRFBL") in got
    assert ("route", "10.0.0.3 dev kv5 on node-1") in got
    assert ("node", "node-1") in got  # its pod CIDR holds the address
    assert ("dns", "10-0-0-3.headlesswebsite.default.svc.cluster.local A") in got
    assert ("node", "node-2") not in got
    exact = [h for h in hits if h.exact]
    assert [h.kind for h in hits if not h.exact] == ["node"]  # only the CIDR is a partial hit
    assert len(exact) == len(hits) - 1
    pod = hits[0]
    assert (pod.jump.pane, pod.jump.verb, pod.jump.arg) == ("pods", "pods", "website-67cdc95f5f-gmn95")
    chain = next(h for h in hits if h.kind == "chain")
    assert (chain.jump.pane, chain.jump.verb, chain.jump.arg) == ("services", "trace", "default/website:http")


def test_a_cluster_ip_finds_the_service_its_chain_and_its_name(lab):
    got = kinds(find(lab, "10.97.71.81")[0])
    assert got[:3] == [("service", "default/website"), ("chain", "KUBE-SVC-RYQJBQ5TR32XWAUN"),
                       ("dns", "website.default.svc.cluster.local A")]
    assert ("route", "10.96.0.0/12 dev eth0 on node-1") in got


def test_a_chain_name_says_what_it_means(lab):
    (hit,), _ = find(lab, "kube-sep-n7vsnwlsifjsrfbl")
    assert hit.kind == "chain" and hit.exact
    assert "10.0.0.3:80" in hit.detail and "default/website:http" in hit.detail
    ext = find(lab, "KUBE-EXT-RYQJBQ5TR32XWAUN")[0]
    assert [h.detail for h in ext] == ["the external chain of default/website:http on node-1"]


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

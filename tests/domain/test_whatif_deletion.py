"""What-if "delete this pod": the endpoints, chains and probabilities kube-proxy would program."""

import json
from pathlib import Path

from test_services_trace import LAB_IPS, NODE, lab_cluster, lab_node

from k8snet_tui.domain.datapath.chain_names import iptables_endpoint_chain
from k8snet_tui.domain.model import ClusterState, NodeState
from k8snet_tui.domain.whatif import predict_pod_deletion
from k8snet_tui.domain.whatif.deletion import printed_probability

FIX = Path(__file__).parent / "fixtures" / "datapath"
VICTIM = "website-5746f499f-qzjjq"  # 10.0.0.1


def test_printed_probabilities_are_what_iptables_save_shows():
    # the lab dump's own texts for 3 and 2 endpoints left
    assert printed_probability(3) == "0.33333333349"
    assert printed_probability(2) == "0.50000000000"
    assert printed_probability(4) == "0.25000000000"
    assert printed_probability(1) == "1.00000000000"


def test_deleting_one_of_three_gives_the_other_two_half_each():
    p = predict_pod_deletion(lab_cluster(), lab_node(), "default", VICTIM)
    assert p.found and p.backend == "iptables-legacy" and p.addresses == ("10.0.0.1",)
    (port,) = p.ports
    assert (port.service, port.port, port.role, port.chain) == ("default/website", "http", "service",
                                                                "KUBE-SVC-RYQJBQ5TR32XWAUN")
    assert [(e.address, e.chain, e.probability) for e in port.before] == [
        ("10.0.0.177", "KUBE-SEP-SUZPWGKL5FHWPETE", "0.33333333349"),
        ("10.0.0.1", "KUBE-SEP-FFKEUBR5SKHPYVCQ", "0.50000000000"),
        ("10.0.0.202", "KUBE-SEP-OPDTLPWI6RF27F2I", None)]
    # the two left keep their chains (the same hash), in IP:port text order, 1/2 then the rest
    assert [(e.address, e.chain, e.probability, e.share) for e in port.after] == [
        ("10.0.0.177", "KUBE-SEP-SUZPWGKL5FHWPETE", "0.50000000000", 0.5),
        ("10.0.0.202", "KUBE-SEP-OPDTLPWI6RF27F2I", None, 0.5)]
    changes = {(c.change, c.address): c for c in port.changes}
    assert set(changes) == {("removed", "10.0.0.1"), ("share", "10.0.0.177"), ("share", "10.0.0.202")}
    assert changes[("removed", "10.0.0.1")].chain == "KUBE-SEP-FFKEUBR5SKHPYVCQ"
    assert changes[("share", "10.0.0.177")].before == "1/3 (probability 0.33333333349)"
    assert changes[("share", "10.0.0.177")].after == "1/2 (probability 0.50000000000)"
    assert not port.rejects_after


def test_order_is_the_ip_port_text_order():
    # "10.0.0.100:80" < "10.0.0.10:80" < "10.0.0.2:80": a string sort (":" sorts after the digits)
    ips = {"a": "10.0.0.2", "b": "10.0.0.10", "c": "10.0.0.9", "d": "10.0.0.100"}
    from test_services_trace import pod, slice_, website
    cluster = ClusterState.from_objects([website(), slice_(ips)] + [pod(n, ip) for n, ip in ips.items()])
    p = predict_pod_deletion(cluster, lab_node(), "default", "c")
    (port,) = p.ports
    assert [e.address for e in port.after] == ["10.0.0.100", "10.0.0.10", "10.0.0.2"]
    assert [e.probability for e in port.after] == ["0.33333333349", "0.50000000000", None]
    assert [e.chain for e in port.after] == [
        iptables_endpoint_chain("default/website:http", "tcp", ip, 80) for ip in ("10.0.0.100", "10.0.0.10", "10.0.0.2")]


def test_the_last_pod_leaves_a_rejecting_service():
    one = {VICTIM: "10.0.0.1"}
    from test_services_trace import pod, slice_, website
    cluster = ClusterState.from_objects([website(), slice_(one)] + [pod(n, ip) for n, ip in one.items()])
    (port,) = predict_pod_deletion(cluster, lab_node(), "default", VICTIM).ports
    assert port.after == () and port.rejects_after


def test_not_ready_endpoints_stay_out_and_unrelated_pods_change_nothing():
    from test_services_trace import pod, slice_
    extra = [pod("lonely", "10.0.9.9")]
    p = predict_pod_deletion(lab_cluster(extra), lab_node(), "default", "lonely")
    assert p.found and p.ports == () and "no Service" in p.notes[0]
    missing = predict_pod_deletion(lab_cluster(), lab_node(), "default", "nope")
    assert not missing.found and missing.ports == ()
    # a not-ready endpoint is not programmed after either
    ips = dict(LAB_IPS)
    sl = slice_(ips)
    sl["endpoints"][2]["conditions"]["ready"] = False
    cluster = ClusterState.from_objects([lab_cluster().of("Service")[0], sl] + list(lab_cluster().of("Pod")))
    (port,) = predict_pod_deletion(cluster, lab_node(), "default", VICTIM).ports
    assert [e.address for e in port.after] == ["10.0.0.177"] and port.after[0].probability is None


def test_replica_set_pods_say_they_will_be_replaced():
    cluster = lab_cluster()
    pods = [dict(p) for p in cluster.of("Pod")]
    for p in pods:
        p["metadata"] = {**p["metadata"], "ownerReferences": [
            {"kind": "ReplicaSet", "name": "website-5746f499f", "controller": True}]}
    cluster = ClusterState.from_objects(list(cluster.of("Service")) + list(cluster.of("EndpointSlice")) + pods)
    p = predict_pod_deletion(cluster, lab_node(), "default", VICTIM)
    assert any("ReplicaSet website-5746f499f creates a replacement" in n for n in p.notes)


def test_nftables_vmap_names_endpoint_chains_and_equal_shares():
    node = NodeState(node=NODE, nft_ruleset=json.loads((FIX / "nft-kube-proxy-vmap.json").read_text()))
    p = predict_pod_deletion(lab_cluster(), node, "default", VICTIM)
    (port,) = p.ports
    assert p.backend == "nftables" and port.chain.startswith("service-")
    assert {e.address for e in port.after} == {"10.0.0.177", "10.0.0.202"}
    before = {e.address: e.chain for e in port.before}
    assert all(e.probability is None and e.share == 0.5 for e in port.after)
    assert all(before[e.address] == e.chain for e in port.after)  # the same names kube-proxy wrote
    node = NodeState(node=NODE, nft_ruleset=json.loads((FIX / "nft-kube-proxy-map.json").read_text()))
    (port,) = predict_pod_deletion(lab_cluster(), node, "default", VICTIM).ports
    assert all(e.chain is None for e in port.after)

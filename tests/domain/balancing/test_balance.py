"""The balancing view: allocation, the announcing node, the node and pod shares, the simulation.

Tolerance of the simulation checks: Pearson's chi-square at p = 0.001 (critical values below by
degrees of freedom) over a fixed seeded request count, as the what-if request tests use.
"""

from __future__ import annotations

import hashlib

import pytest

from k8snet_tui.domain.balancing import balance_service, balancing_overview
from k8snet_tui.domain.model import NodeState
from k8snet_tui.snapshot_state import open_state

from .fixtures import (
    bgpadv,
    bgppeer,
    l2adv,
    l2status,
    lb_service,
    node,
    node_assigned,
    observed,
    pool,
    realworld,
    slice_,
)
from tests.support.metallb_lab import bundled_lb_addresses

CRITICAL = {1: 10.828, 2: 13.816, 3: 16.266}
N = 3000


def _codes(b):
    return [f.code for f in b.findings]


def test_the_labs_emissary_service_is_pending_and_says_why():
    obs, _, _ = open_state("lab", report=False)
    b = balance_service(obs, "emissary", "emissary-ingress")
    real = bundled_lb_addresses()
    if real:  # a lab captured with its MetalLB: the address is the status's, allocated by MetalLB
        assert b.addresses == tuple(real) and b.allocation.state == "allocated", b.allocation
        return
    assert b.allocation.state == "pending" and b.allocation.allocator == "none"
    assert b.addresses == () and b.announce.nodes == ()
    (f,) = [f for f in b.findings if f.code == "pending-no-allocator"]
    assert "no MetalLB IPAddressPool" in f.message and "NodePort 31211" in f.message
    assert all(p.lost == 1.0 and p.pods == () for p in b.ports)


def _metallb_l2_local():
    objects, kernel = realworld("v1.26-etp-local-ready")  # ns1/svc1, LB 1.2.3.4, ETP Local, ClientIP
    objects = objects + [pool("lab", "1.2.3.0/28"), l2adv("l2", ["lab"]), l2status("ns1", "svc1", "test-hostname"),
                         node_assigned("ns1", "svc1", "test-hostname"), node("test-hostname"), node("host-1")]
    return observed(objects, {"test-hostname": kernel})


def test_metallb_layer2_with_local_policy_on_kube_proxys_own_rules():
    b = balance_service(_metallb_l2_local(), "ns1", "svc1")
    assert b.allocation.allocator == "metallb" and b.allocation.pool == "metallb-system/lab"
    assert b.announce.mode == "layer2" and b.announce.nodes == ("test-hostname",)
    assert any("ServiceL2Status" in e for e in b.announce.evidence)
    assert any("nodeAssigned" in e for e in b.announce.evidence)
    (port,) = b.ports
    (n,) = port.nodes
    assert (n.node, n.share, n.source, n.backend) == ("test-hostname", 1.0, "kernel", "iptables-nft")
    # kube-proxy's flow test: external to LB -> 10.0.1.1:80, 10.0.1.2:80 (the local ready ones)
    assert {(p.address, round(p.share, 6)) for p in port.pods} == {("10.0.1.1", 0.5), ("10.0.1.2", 0.5)}
    assert port.lost == 0.0
    assert b.client_ip_preserved is True and b.external_traffic_policy == "Local"
    assert b.health_check_node_port == 30000 and b.session_affinity == "ClientIP"


def test_simulation_matches_the_expected_shares_and_affinity_holds_one_client():
    obs = _metallb_l2_local()
    many = balance_service(obs, "ns1", "svc1", requests=N, seed=3, clients=N)
    sim = many.simulation
    assert sim is not None and sim.lost == 0 and sum(c.count for c in sim.counts) == N
    print(f"chi-square {sim.chi_square:.2f} over {N} (critical {CRITICAL[1]})")
    assert sim.chi_square < CRITICAL[1]
    again = balance_service(obs, "ns1", "svc1", requests=N, seed=3, clients=N)
    assert again.simulation == sim
    one = balance_service(obs, "ns1", "svc1", requests=200, seed=3, clients=1).simulation
    assert one is not None and sorted(c.count for c in one.counts) == [0, 200]  # ClientIP: one pod


def test_cluster_policy_on_kube_proxys_rules_spreads_over_every_ready_endpoint():
    objects, kernel = realworld("v1.23-overall")  # ns2b/svc2b: LB 1.2.3.5, Cluster
    objects = objects + [pool("p", "1.2.3.0-1.2.3.15"), l2adv("l2"), l2status("ns2b", "svc2b", "test-hostname")]
    b = balance_service(observed(objects, {"test-hostname": kernel}), "ns2b", "svc2b", requests=N, seed=5, clients=N)
    (port,) = b.ports
    assert port.nodes[0].source == "kernel" and port.nodes[0].masquerade is True
    assert b.client_ip_preserved is False
    assert abs(sum(p.share for p in port.pods) - 1.0) < 1e-9
    assert b.simulation is not None
    df = max(1, len(port.pods) - 1)
    assert b.simulation.chi_square < CRITICAL.get(df, 20.0)


def _two_nodes(policy: str, mode: str):
    svc = lb_service("web", "shop", ip="192.0.2.10", policy=policy)
    eps = slice_("web", "shop", [("10.1.0.1", "a", True), ("10.1.0.2", "a", True), ("10.2.0.1", "b", True),
                                 ("10.2.0.9", "b", False)])
    adv = [l2adv("l2"), l2status("web", "shop", "a")] if mode == "l2" else [bgpadv("bgp", ["p"]),
                                                                            bgppeer("tor", "192.0.2.1", 65001)]
    return observed([svc, eps, pool("p", "192.0.2.0/28"), node("a"), node("b"), *adv])


def test_bgp_with_local_policy_on_two_nodes_with_uneven_endpoints():
    b = balance_service(_two_nodes("Local", "bgp"), "web", "shop", requests=N, seed=11, clients=N)
    assert b.announce.mode == "bgp" and set(b.announce.nodes) == {"a", "b"}
    assert b.announce.peers and "192.0.2.1" in b.announce.peers[0]
    (port,) = b.ports
    assert {n.node: n.share for n in port.nodes} == {"a": 0.5, "b": 0.5}
    assert all(n.source == "api" for n in port.nodes)
    shares = {p.address: round(p.share, 6) for p in port.pods}
    assert shares == {"10.1.0.1": 0.25, "10.1.0.2": 0.25, "10.2.0.1": 0.5}
    assert b.client_ip_preserved is True
    assert b.simulation is not None and b.simulation.chi_square < CRITICAL[2]


def test_layer2_local_takes_only_the_announcers_pods_and_cluster_takes_all():
    local = balance_service(_two_nodes("Local", "l2"), "web", "shop")
    assert {p.address: round(p.share, 6) for p in local.ports[0].pods} == {"10.1.0.1": 0.5, "10.1.0.2": 0.5}
    cluster = balance_service(_two_nodes("Cluster", "l2"), "web", "shop")
    assert {p.address: round(p.share, 6) for p in cluster.ports[0].pods} == {
        "10.1.0.1": round(1 / 3, 6), "10.1.0.2": round(1 / 3, 6), "10.2.0.1": round(1 / 3, 6)}
    assert cluster.client_ip_preserved is False


def test_announcer_without_endpoints_under_local_is_a_finding():
    objects = _two_nodes("Local", "bgp").cluster.of("Service") + _two_nodes("Local", "l2").cluster.of("EndpointSlice")
    obs = observed([*objects, pool("p", "192.0.2.0/28"), node("a"), node("b"), node("c"), l2adv("l2"),
                    l2status("web", "shop", "c")])
    b = balance_service(obs, "web", "shop")
    assert "local-no-endpoints-on-announcer" in _codes(b)
    assert b.ports[0].lost == 1.0 and b.ports[0].pods == ()


@pytest.mark.parametrize(("extra", "svc_kw", "code"), [
    ([pool("a", "192.0.2.0/24"), pool("b", "192.0.2.128/25")], {}, "pools-overlap"),
    ([pool("a", "192.0.2.0/28")], {"loadBalancerIP": "198.51.100.7"}, "requested-ip-outside-pools"),
    ([pool("a", "192.0.2.0/33", "10.0.0.9-10.0.0.1", "bogus")], {}, "pool-bad-cidr"),
    ([pool("a", "192.0.2.0/28")], {"loadBalancerClass": "example.com/nobody"}, "pending-class-unserved"),
    ([pool("a", "192.0.2.0/28", auto_assign=False)], {}, "pending-no-allocator"),
    ([pool("a", "192.0.2.0/28", allocation={"namespaces": ["other"]})], {}, "pending-no-allocator"),
    ([pool("a", "192.0.2.0/28")], {}, "no-endpoints"),
])
def test_bad_input_is_a_finding_in_words(extra, svc_kw, code):
    obs = observed([lb_service("web", "shop", **svc_kw), *extra, node("a")])
    b = balance_service(obs, "web", "shop", requests=50)
    found = [f for f in b.findings if f.code == code]
    assert found, _codes(b)
    assert all(len(f.message) > 20 for f in found)
    services, pools, findings = balancing_overview(obs)
    assert services[0].service == "web/shop" and len(pools) == len(extra)
    if code in ("pools-overlap", "pool-bad-cidr"):  # the pool findings are the overview's too
        assert code in [f.code for f in findings]


def test_pool_for_an_address_outside_every_pool_is_named():
    obs = observed([lb_service("web", "shop", ip="203.0.113.9"), pool("a", "192.0.2.0/28"), node("a")])
    b = balance_service(obs, "web", "shop")
    assert b.allocation.allocator == "unknown" and "address-outside-pools" in _codes(b)


def _election(nodes, ip):
    """MetalLB's layer-2 rule, as its speaker states it: the lowest sha256(node#ip) wins."""
    return min(nodes, key=lambda n: hashlib.sha256(f"{n}#{ip}".encode()).digest())


def test_without_a_record_the_layer2_announcer_is_metallbs_election():
    svc = lb_service("web", "shop", ip="192.0.2.10")
    eps = slice_("web", "shop", [("10.1.0.1", "a", True), ("10.2.0.1", "b", True)])
    names = ["a", "b", "c", "d"]
    b = balance_service(observed([svc, eps, pool("p", "192.0.2.0/28"), l2adv("l2"), *map(node, names)]),
                        "web", "shop")
    winner = _election(names, "192.0.2.10")
    assert b.announce.nodes == (winner,) and any("predicted" in e for e in b.announce.evidence)
    # the node MetalLB leaves out (the label, or its network down) never wins; Local: only nodes with endpoints
    excluded = {**node(winner), "metadata": {"name": winner, "labels": {
        "node.kubernetes.io/exclude-from-external-load-balancers": ""}}}
    others = [node(n) for n in names if n != winner]
    b = balance_service(observed([svc, eps, pool("p", "192.0.2.0/28"), l2adv("l2"), excluded, *others]), "web", "shop")
    assert b.announce.nodes == (_election([n for n in names if n != winner], "192.0.2.10"),)
    local = lb_service("web", "shop", ip="192.0.2.10", policy="Local")
    b = balance_service(observed([local, eps, pool("p", "192.0.2.0/28"), l2adv("l2"), *map(node, names)]), "web", "shop")
    assert b.announce.nodes == (_election(["a", "b"], "192.0.2.10"),)


def test_nobody_announces_without_a_serving_endpoint():
    svc = lb_service("web", "shop", ip="192.0.2.10")
    eps = slice_("web", "shop", [("10.1.0.1", "a", False)])
    b = balance_service(observed([svc, eps, pool("p", "192.0.2.0/28"), l2adv("l2"), node("a")]), "web", "shop")
    assert b.announce.nodes == () and "no-announcer" in _codes(b) and b.ports[0].lost == 1.0


def test_pool_without_advertisement_is_a_finding():
    svc = lb_service("web", "shop", ip="192.0.2.10")
    b = balance_service(observed([svc, pool("p", "192.0.2.0/28")]), "web", "shop")
    assert "pool-no-advertisement" in _codes(b) and b.ports[0].lost == 1.0


def test_hostile_shapes_never_crash():
    junk = [{"kind": "IPAddressPool", "metadata": {"name": "x", "namespace": NS_}, "spec": {"addresses": "1.2.3.4"}},
            {"kind": "IPAddressPool", "metadata": "nope", "spec": {"addresses": [None, 7, {"a": 1}, "x" * 500]}},
            {"kind": "L2Advertisement", "metadata": {"namespace": NS_}, "spec": {"ipAddressPools": "x",
                                                                               "nodeSelectors": [7]}},
            {"kind": "ServiceL2Status", "status": {"node": ["a"], "serviceName": 3}},
            {"kind": "Event", "involvedObject": {"kind": "Service", "name": "shop", "namespace": "web"},
             "reason": "nodeAssigned", "message": "announcing from node \"" + "n" * 400 + "\""},
            {"kind": "CiliumLoadBalancerIPPool", "metadata": {"name": "c"}, "spec": {"blocks": [{"cidr": "zz"}, 5]}},
            lb_service("web", "shop", ip="not-an-ip", loadBalancerSourceRanges="x", healthCheckNodePort=True)]
    b = balance_service(observed(junk), "web", "shop", requests=10)
    assert b.service == "web/shop"
    balancing_overview(observed(junk))


NS_ = "metallb-system"


def test_cilium_pool_allocates():
    svc = lb_service("web", "shop", ip="172.18.0.5")
    cpool = {"apiVersion": "cilium.io/v2alpha1", "kind": "CiliumLoadBalancerIPPool", "metadata": {"name": "blue"},
             "spec": {"blocks": [{"start": "172.18.0.1", "stop": "172.18.0.50"}]}}
    b = balance_service(observed([svc, cpool, node("a")]), "web", "shop")
    assert b.allocation.allocator == "cilium-lb-ipam" and b.allocation.pool == "blue"


def test_cloud_nodes_and_local_health_check():
    svc = lb_service("web", "shop", ip="34.1.2.3", policy="Local", healthCheckNodePort=32000)
    eps = slice_("web", "shop", [("10.1.0.1", "a", True)])
    cloud_node = {**node("a"), "spec": {"providerID": "gce://proj/zone/a"}}
    b = balance_service(observed([svc, eps, cloud_node, {**node("b"), "spec": {"providerID": "gce://proj/zone/b"}}]),
                        "web", "shop")
    assert b.allocation.allocator == "cloud" and b.announce.nodes == ("a",)
    assert b.health_check_node_port == 32000


def test_kernel_state_without_a_rule_for_the_address_is_said():
    objects, kernel = realworld("v1.26-etp-local-ready")
    svc = lb_service("web", "shop", ip="192.0.2.10")
    obs = observed([*objects, svc, pool("p", "192.0.2.0/28"), l2adv("l2"), l2status("web", "shop", "test-hostname")],
                   {"test-hostname": kernel})
    b = balance_service(obs, "web", "shop")
    assert "no-lb-rule" in _codes(b) and b.ports[0].nodes[0].source == "api"


def test_local_with_endpoints_only_on_a_node_that_may_not_announce():
    """The real MetalLB's case (tests/cluster/test_balancing_real.py): Local, the one pod on a node
    labelled out of load balancers: nobody answers ARP, and the finding says why."""
    svc = lb_service("web", "shop", ip="192.0.2.10", policy="Local")
    eps = slice_("web", "shop", [("10.1.0.1", "a", True)])
    out = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "a", "labels": {
        "node.kubernetes.io/exclude-from-external-load-balancers": ""}}}
    b = balance_service(observed([svc, eps, pool("p", "192.0.2.0/28"), l2adv("l2"), out, node("b")]), "web", "shop")
    assert b.announce.nodes == () and "local-no-endpoints-on-announcer" in _codes(b)
    assert b.ports[0].lost == 1.0 and b.ports[0].pods == ()


IPVS_LB = """IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.96.0.50:80 wrr
  -> 10.1.0.1:8080                Masq    3      0          0
  -> 10.1.0.2:8080                Masq    1      0          0
TCP  192.0.2.10:80 wrr
  -> 10.1.0.1:8080                Masq    3      0          0
  -> 10.1.0.2:8080                Masq    1      0          0
"""  # `ipvsadm -Ln`'s layout (tests/domain/fixtures/datapath/ipvsadm-Ln.txt), weights set by hand


def test_an_ipvs_node_spreads_by_its_weights_and_the_simulation_follows_wrr():
    svc = lb_service("web", "shop", ip="192.0.2.10")
    eps = slice_("web", "shop", [("10.1.0.1", "n1", True), ("10.1.0.2", "n1", True)])
    obs = observed([svc, eps, pool("p", "192.0.2.0/28"), l2adv("l2"), l2status("web", "shop", "n1"), node("n1")],
                   {"n1": NodeState(node="n1", ipvsadm=IPVS_LB)})
    b = balance_service(obs, "web", "shop", requests=400, seed=1, clients=400)
    (n,) = b.ports[0].nodes
    assert (n.source, n.backend) == ("kernel", "ipvs") and "IPVS scheduler wrr" in n.how
    assert {p.address: p.share for p in b.ports[0].pods} == {"10.1.0.1": 0.75, "10.1.0.2": 0.25}
    assert b.simulation is not None
    assert [c.count for c in b.simulation.counts] == [300, 100]  # wrr goes round by weight: exact


def test_a_cilium_node_names_maglev_from_its_config():
    svc = lb_service("web", "shop", ip="192.0.2.10")
    eps = slice_("web", "shop", [("10.1.0.1", "n1", True), ("10.1.0.2", "n1", True)])
    backends = [{"ip": a, "port": 8080, "protocol": "TCP", "state": "active", "weight": 1}
                for a in ("10.1.0.1", "10.1.0.2")]
    frontend = {"spec": {"id": 3, "frontend-address": {"ip": "192.0.2.10", "port": 80, "protocol": "TCP"},
                         "backend-addresses": backends,
                         "flags": {"type": "LoadBalancer", "name": "shop", "namespace": "web"}}}
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cilium-config", "namespace": "kube-system"},
              "data": {"kube-proxy-replacement": "true", "bpf-lb-algorithm": "maglev"}}
    obs = observed([svc, eps, config, pool("p", "192.0.2.0/28"), l2adv("l2"), l2status("web", "shop", "n1"),
                    node("n1")], {"n1": NodeState(node="n1", cilium_services=(frontend,))})
    (n,) = balance_service(obs, "web", "shop").ports[0].nodes
    assert (n.source, n.backend) == ("kernel", "cilium") and "Maglev" in n.how
    assert [p.share for p in n.pods] == [0.5, 0.5]

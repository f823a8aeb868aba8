"""nftables, IPVS and Cilium parsers and traces, and backend detection."""

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_services_trace import LAB_IPS, NODE, lab_cluster, slice_, website

from k8snet_tui.domain.datapath.backend import parse_node_datapath
from k8snet_tui.domain.datapath.cilium import parse_cilium_services
from k8snet_tui.domain.datapath.ipvsadm import parse_ipvsadm
from k8snet_tui.domain.datapath.nft_json import parse_nft_json
from k8snet_tui.domain.model import ClusterState, NodeState
from k8snet_tui.domain.services import trace_service

FIX = Path(__file__).parent / "fixtures" / "datapath"
SVC_CHAIN = "service-" + __import__("k8snet_tui.domain.datapath.chain_names", fromlist=["x"]).nft_chain_base(
    "default", "website", "tcp", "http")


def nft(form):
    return json.loads((FIX / f"nft-kube-proxy-{form}.json").read_text())


def test_nft_parse_structure():
    rs = parse_nft_json(nft("vmap"))
    assert not rs.problems and rs.version == "1.0.6"
    assert rs.has_table("ip", "kube-proxy")
    sips = rs.set("ip", "kube-proxy", "service-ips")
    assert sips.is_map and sips.key_type == ("ipv4_addr", "inet_proto", "inet_service")
    keys = {k for k, _, _ in sips.elements}
    assert ("10.111.148.30", "tcp", 80) in keys
    noep = rs.set("ip", "kube-proxy", "no-endpoint-services")
    assert noep.elements[0][2] == "default/empty:http"
    assert rs.chain("ip", "kube-proxy", "nat-prerouting").hook == "prerouting"


def _sticky_objs():
    svc = website(node_port=None, ports=[{"name": "web", "port": 80, "protocol": "TCP"}])
    svc["metadata"]["name"] = "sticky"
    svc["spec"]["clusterIP"] = "10.96.7.7"
    svc["spec"]["sessionAffinity"] = "ClientIP"
    return [svc, slice_({"s1": "10.0.1.5", "s2": "10.0.1.6"}, name="sticky", port_name="web", port=8080)]


def test_nft_trace_both_forms_agree():
    cluster = lab_cluster()
    results = {}
    for form in ("vmap", "map"):
        node = NodeState(node=NODE, nft_ruleset=nft(form))
        t = trace_service(cluster, node, "default", "website")
        assert t.backend == "nftables"
        p = t.ports[0]
        results[form] = [(e.address, e.port, round(e.share, 6)) for e in p.endpoints]
        assert p.chains["service"].startswith("service-") and p.chains["service"].endswith("-default/website/tcp/http")
        assert p.chains["external"].startswith("external-")
        assert all(e.pod and e.in_api for e in p.endpoints)
        assert all(e.packets is None for e in p.endpoints)
        assert any(s.chain == "service-nodeports" for s in p.steps)
        assert not [f for f in p.findings if f.severity != "info"], p.findings
    assert results["vmap"] == results["map"]
    assert sorted(a for a, _, _ in results["map"]) == sorted(LAB_IPS.values())
    assert {s for _, _, s in results["map"]} == {round(1 / 3, 6)}
    vmap_port = trace_service(cluster, NodeState(node=NODE, nft_ruleset=nft("vmap")), "default", "website").ports[0]
    assert all(e.chain and e.chain.startswith("endpoint-") for e in vmap_port.endpoints)


def test_nft_affinity_and_no_endpoints():
    cluster = ClusterState.from_objects(_sticky_objs() + [
        {"kind": "Service", "metadata": {"name": "empty", "namespace": "default"},
         "spec": {"clusterIP": "10.96.8.8", "ports": [{"name": "http", "port": 80}]}}])
    node = NodeState(node="n", nft_ruleset=nft("map"))
    sticky = trace_service(cluster, node, "default", "sticky").ports[0]
    assert [e.port for e in sticky.endpoints] == [8080, 8080]
    assert "session-affinity" in {f.code for f in sticky.findings}
    assert sum(1 for s in sticky.steps if s.kind == "affinity") == 2
    empty = trace_service(cluster, node, "default", "empty").ports[0]
    assert empty.findings[0].code == "no-endpoints" and "rejects" in empty.findings[0].message


def test_ipvs_parse_and_trace():
    table = parse_ipvsadm((FIX / "ipvsadm-Ln.txt").read_text())
    assert not table.problems
    dns = table.find("udp", "10.96.0.10", 53)
    assert dns.persistent == 10800 and [r.weight for r in dns.real_servers] == [1, 0]
    assert table.find("TCP", "fd00:10:96::a", 53).real_servers == ()
    assert table.services[-1].protocol == "FWM" and table.services[-1].scheduler == "wrr"
    node = NodeState(node=NODE, ipvsadm=(FIX / "ipvsadm-Ln.txt").read_text())
    t = trace_service(lab_cluster(), node, "default", "website")
    assert t.backend == "ipvs"
    p = t.ports[0]
    assert sorted(e.address for e in p.endpoints) == sorted(LAB_IPS.values())
    assert abs(sum(e.share for e in p.endpoints) - 1) < 1e-9
    assert p.chains == {"service": None, "local": None, "external": None, "firewall": None}
    paths = {(x.entry.kind, x.entry.address, x.entry.port): x for x in p.paths}
    assert set(paths) == {("cluster-ip", "10.111.148.30", 80), ("node-port", "", 31100)}
    for path in paths.values():
        assert sorted(e.address for e in path.endpoints) == sorted(LAB_IPS.values())
        assert sum(e.share for e in path.endpoints) == pytest.approx(1.0) and path.dropped == 0


def test_ipvs_bad_lines():
    t = parse_ipvsadm("  -> 1.2.3.4:80 Masq 1 0 0\nTCP 1.2.3.4 rr\nTCP 1.2.3.4:80 rr\n  -> x Masq a b c\nwhat\n")
    assert [p.line for p in t.problems] == [1, 2, 4, 5]
    assert len(t.services) == 1


def test_cilium_parse_and_trace():
    items = json.loads((FIX / "cilium-service-list.json").read_text())
    cs = parse_cilium_services(items)
    assert not cs.problems and cs.services[-1].protocol == "" and cs.services[-1].backends[0].weight is None
    cluster = lab_cluster([{"kind": "ConfigMap", "metadata": {"name": "cilium-config", "namespace": "kube-system"},
                            "data": {"kube-proxy-replacement": "true"}}])
    t = trace_service(cluster, NodeState(node=NODE, cilium_services=tuple(items)), "default", "website")
    assert t.backend == "cilium"
    p = t.ports[0]
    active = [e for e in p.endpoints if e.in_kernel]
    assert [e.address for e in active] == ["10.0.0.177", "10.0.0.1"]  # the terminating backend gets nothing
    assert [e.share for e in active] == [0.5, 0.5]
    paths = {(x.entry.kind, x.entry.port): x for x in p.paths}
    assert set(paths) == {("cluster-ip", 80), ("node-port", 31100)}
    for path in paths.values():  # the terminating backend is in neither path
        assert [(e.address, e.share) for e in path.endpoints] == [("10.0.0.177", 0.5), ("10.0.0.1", 0.5)]
    assert paths[("cluster-ip", 80)].path == "cluster" and paths[("node-port", 31100)].path == "external"


def test_cilium_local_policy_without_local_backends_drops():
    items = json.loads((FIX / "cilium-service-list.json").read_text())
    for x in items:
        if x["spec"]["flags"].get("type") == "NodePort" and x["spec"]["flags"].get("name") == "website":
            x["spec"]["flags"]["extTrafficPolicy"] = "Local"
            x["spec"]["backend-addresses"] = []
    cluster = lab_cluster([{"kind": "ConfigMap", "metadata": {"name": "cilium-config", "namespace": "kube-system"},
                            "data": {"kube-proxy-replacement": "true"}}])
    p = trace_service(cluster, NodeState(node=NODE, cilium_services=tuple(items)), "default", "website").ports[0]
    (np,) = [x for x in p.paths if x.entry.kind == "node-port"]
    assert np.dropped == 1.0 and np.endpoints == ()
    assert "local-only-drop" in {f.code for f in p.findings}


def test_backend_detection():
    lab = (FIX / "lab-1.24-iptables-save.txt").read_text()
    assert parse_node_datapath(NodeState(iptables={"legacy": lab})).backend == "iptables-legacy"
    both = parse_node_datapath(NodeState(iptables={"nft": lab, "legacy": "*nat\n:X - [0:0]\nCOMMIT\n"}))
    assert both.backend == "iptables-nft"
    hinted = "*mangle\n:KUBE-IPTABLES-HINT - [0:0]\nCOMMIT\n" + lab
    two = parse_node_datapath(NodeState(iptables={"legacy": lab, "nft": hinted}))
    assert two.backend == "iptables-nft" and two.detected[1] == "iptables-legacy"
    assert parse_node_datapath(NodeState(iptables={"legacy": hinted, "nft": lab})).backend == "iptables-legacy"
    dp = parse_node_datapath(NodeState(iptables={"nft": lab}, nft_ruleset=nft("map")))
    assert dp.backend == "nftables" and "iptables-nft" in dp.detected
    assert parse_node_datapath(NodeState()).backend == "none"
    ipvs_rules = "*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT\nCOMMIT\n"
    assert parse_node_datapath(NodeState(iptables={"legacy": ipvs_rules})).backend == "ipvs"
    off = ClusterState.from_objects([{"kind": "ConfigMap", "metadata": {"name": "cilium-config", "namespace": "kube-system"},
                                      "data": {"kube-proxy-replacement": "disabled"}}])
    assert parse_node_datapath(NodeState(iptables={"legacy": lab}, cilium_services=()), off).backend == "iptables-legacy"


def test_nft_malformed_objects_degrade():
    doc = {"nftables": [1, {"a": 1, "b": 2}, {"table": "x"}, {"chain": {"family": "ip"}},
                        {"rule": {"family": "ip", "table": "t", "chain": "c", "expr": "no"}},
                        {"map": {"family": "ip", "table": "t", "name": "m", "map": "verdict", "elem": [1, [2]]}},
                        {"rule": {"family": "ip", "table": "t", "chain": "c", "expr": [{"weird": [1, {"x": None}]}, 5]}}]}
    rs = parse_nft_json(doc)
    assert len(rs.problems) == 7
    assert rs.chain("ip", "t", "c").rules[0].text
    assert parse_nft_json(None).chains == {} and parse_nft_json([1]).problems


json_values = st.recursive(
    # strings of digits int() would read (or isdigit() accept) beside plain ones: "²", "٣", "１"
    st.none() | st.booleans() | st.integers() | st.text(max_size=8)
    | st.text(alphabet="0123456789²٣١１", min_size=1, max_size=6),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["nftables", "rule", "chain", "map", "set", "table", "family", "table", "name", "chain",
                         "expr", "elem", "vmap", "dnat", "numgen", "mod", "key", "data", "addr", "port", "goto",
                         "target", "concat", "match", "left", "right", "spec", "frontend-address", "ip",
                         "backend-addresses", "flags"]), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_json_parsers_never_raise(doc):
    parse_nft_json(doc)
    parse_nft_json({"nftables": doc if isinstance(doc, list) else [doc]})
    parse_cilium_services(doc)
    parse_cilium_services([doc])


@settings(max_examples=100, deadline=None)
@given(json_values)
def test_trace_never_raises_on_garbage_rulesets(doc):
    node = NodeState(node="n", nft_ruleset={"nftables": [{"table": {"family": "ip", "name": "kube-proxy"}},
                                                          {"map": {"family": "ip", "table": "kube-proxy", "name": "service-ips",
                                                                   "map": "verdict", "elem": [[doc, doc]]}},
                                                          {"rule": {"family": "ip", "table": "kube-proxy",
                                                                    "chain": SVC_CHAIN,
                                                                    "expr": [doc, {"vmap": doc}, {"dnat": doc}]}}]},
                     cilium_services=(doc,))
    trace_service(lab_cluster(), node, "default", "website")


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_ipvsadm_garbage_never_raises(text):
    parse_ipvsadm(text)
    parse_ipvsadm("TCP 1.2.3.4:80 rr\n" + text)

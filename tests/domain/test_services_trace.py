"""The service trace over the lab's iptables dump, and its findings."""

from pathlib import Path

from k8snet_tui.domain.datapath.backend import parse_node_datapath
from k8snet_tui.domain.model import ClusterState, NodeState
from k8snet_tui.domain.services import count_connections, find_service, trace_service, with_connections
from k8snet_tui.present.serialize import to_jsonable

FIX = Path(__file__).parent / "fixtures" / "datapath"
LAB_IPS = {"website-5746f499f-f967r": "10.0.0.177", "website-5746f499f-qzjjq": "10.0.0.1",
           "website-5746f499f-v9shz": "10.0.0.202"}
NODE = "ip-172-31-24-84"


def pod(name, ip, ready=True, ns="default"):
    return {"kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": {"app": "website"}},
            "spec": {"nodeName": NODE},
            "status": {"podIP": ip, "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


def website(node_port=31100, ports=None):
    return {"kind": "Service", "metadata": {"name": "website", "namespace": "default"},
            "spec": {"type": "NodePort" if node_port else "ClusterIP", "clusterIP": "10.111.148.30",
                     "ports": ports or [{"name": "http", "port": 80, "protocol": "TCP", "nodePort": node_port}],
                     "selector": {"app": "website"}}}


def slice_(ips, ready=True, name="website", port_name="http", port=80):
    return {"kind": "EndpointSlice", "metadata": {"name": f"{name}-abc", "namespace": "default",
                                                  "labels": {"kubernetes.io/service-name": name}},
            "addressType": "IPv4", "ports": [{"name": port_name, "port": port, "protocol": "TCP"}],
            "endpoints": [{"addresses": [ip], "conditions": {"ready": ready}, "nodeName": NODE,
                           "targetRef": {"kind": "Pod", "namespace": "default", "name": n}}
                          for n, ip in ips.items()]}


def lab_cluster(extra=()):
    objs = [website(), slice_(LAB_IPS)] + [pod(n, ip) for n, ip in LAB_IPS.items()]
    return ClusterState.from_objects(objs + list(extra))


def lab_node():
    return NodeState(node=NODE, iptables={"legacy": (FIX / "lab-1.24-iptables-save.txt").read_text()})


def test_lab_trace_matches_the_contract():
    t = trace_service(lab_cluster(), lab_node(), "default", "website")
    j = to_jsonable(t)
    assert j["service"] == "default/website" and j["node"] == NODE and j["backend"] == "iptables-legacy"
    (p,) = j["ports"]
    assert set(p) == {"name", "protocol", "port", "node_port", "cluster_ip", "chains", "endpoints", "paths",
                      "traffic_policy", "health_check_node_port", "findings"}
    assert p["traffic_policy"] == {"external": "Cluster", "internal": "Cluster"} and p["health_check_node_port"] is None
    cluster, nodeport = p["paths"]
    assert (cluster["path"], cluster["entry"], cluster["chain"], cluster["masquerade"]) == (
        "cluster", {"kind": "cluster-ip", "address": "10.111.148.30", "port": 80}, "KUBE-SVC-RYQJBQ5TR32XWAUN", False)
    assert (nodeport["path"], nodeport["entry"], nodeport["chain"], nodeport["masquerade"]) == (
        "external", {"kind": "node-port", "address": "", "port": 31100}, "KUBE-EXT-RYQJBQ5TR32XWAUN", True)
    for path in (cluster, nodeport):
        assert [(e["address"], e["local"], e["condition"]) for e in path["endpoints"]] == [
            ("10.0.0.177", True, "ready"), ("10.0.0.1", True, "ready"), ("10.0.0.202", True, "ready")]
        assert abs(sum(e["share"] for e in path["endpoints"]) - 1) < 1e-6
        assert path["dropped"] == path["rejected"] == path["unhandled"] == 0
    assert (p["name"], p["protocol"], p["port"], p["node_port"], p["cluster_ip"]) == ("http", "TCP", 80, 31100, "10.111.148.30")
    assert p["chains"] == {"service": "KUBE-SVC-RYQJBQ5TR32XWAUN", "local": None,
                           "external": "KUBE-EXT-RYQJBQ5TR32XWAUN", "firewall": None}
    eps = p["endpoints"]
    assert [e["address"] for e in eps] == ["10.0.0.177", "10.0.0.1", "10.0.0.202"]
    assert [e["chain"] for e in eps] == ["KUBE-SEP-SUZPWGKL5FHWPETE", "KUBE-SEP-FFKEUBR5SKHPYVCQ", "KUBE-SEP-OPDTLPWI6RF27F2I"]
    assert [e["probability"] for e in eps] == ["0.33333333349", "0.50000000000", None]
    assert abs(sum(e["share"] for e in eps) - 1) < 1e-6
    assert all(abs(e["share"] - 1 / 3) < 1e-6 for e in eps)
    hit = eps[1]
    assert hit["pod"] == "default/website-5746f499f-qzjjq" and hit["node"] == NODE and hit["ready"] is True
    assert (hit["packets"], hit["bytes"]) == (1, 60)
    assert p["findings"] == []


def test_steps_and_explanation():
    t = trace_service(lab_cluster(), lab_node(), "default", "website")
    port = t.ports[0]
    assert port.explanation == "1/3, then 1/2 of the rest, then the remainder"
    kinds = [(s.kind, s.chain) for s in port.steps]
    assert ("entry", "KUBE-SERVICES") in kinds and ("entry", "KUBE-NODEPORTS") in kinds
    assert ("dnat", "KUBE-SEP-FFKEUBR5SKHPYVCQ") in kinds
    assert ("masquerade", "KUBE-EXT-RYQJBQ5TR32XWAUN") in kinds
    assert {e.kind for e in port.entry_points} == {"cluster-ip", "node-port"}


def test_comment_less_dump_traces_the_same():
    text = "\n".join(
        line if line.startswith("#") else " ".join(_drop_comment(line.split(" ")))
        for line in (FIX / "lab-1.24-iptables-save.txt").read_text().splitlines()
    )
    node = NodeState(node=NODE, iptables={"nft": text})
    port = trace_service(lab_cluster(), node, "default", "website").ports[0]
    assert [e.address for e in port.endpoints] == ["10.0.0.177", "10.0.0.1", "10.0.0.202"]
    assert "comments-dropped" in {f.code for f in port.findings}


def _drop_comment(toks):
    out = []
    i = 0
    while i < len(toks):
        if toks[i] == "-m" and i + 1 < len(toks) and toks[i + 1] == "comment":
            i += 3  # now at the first word of the quoted comment
            while i < len(toks) and not toks[i].endswith('"'):
                i += 1
            i += 1
            continue
        out.append(toks[i])
        i += 1
    return out


def test_not_ready_pod_and_api_only_endpoint():
    extra_ips = dict(LAB_IPS, **{"website-new": "10.0.0.12"})
    objs = [website(), slice_(extra_ips)] + [pod(n, ip) for n, ip in extra_ips.items()]
    port = trace_service(ClusterState.from_objects(objs), lab_node(), "default", "website").ports[0]
    missing = next(e for e in port.endpoints if e.address == "10.0.0.12")
    assert not missing.in_kernel and missing.share == 0.0 and missing.chain is None
    assert "endpoint-not-in-kernel" in {f.code for f in port.findings}


def test_kernel_endpoint_missing_from_api_and_not_ready():
    ips = {k: v for k, v in LAB_IPS.items() if v != "10.0.0.202"}
    objs = [website(), slice_(ips)] + [pod(n, ip, ready=(ip != "10.0.0.1")) for n, ip in LAB_IPS.items()]
    objs[1]["endpoints"][1]["conditions"]["ready"] = False
    port = trace_service(ClusterState.from_objects(objs), lab_node(), "default", "website").ports[0]
    codes = {f.code for f in port.findings}
    assert "kernel-endpoint-not-in-api" in codes and "endpoint-to-not-ready-pod" in codes
    stale = next(e for e in port.endpoints if e.address == "10.0.0.202")
    assert stale.pod == "default/website-5746f499f-v9shz"  # joined by pod IP instead


def test_no_endpoints_and_reject_rule():
    text = (
        "*filter\n:KUBE-SERVICES - [0:0]\n"
        '-A KUBE-SERVICES -d 10.111.148.30/32 -p tcp -m comment --comment "default/website:http has no endpoints" '
        "-m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable\nCOMMIT\n"
        "*nat\n:KUBE-SERVICES - [0:0]\n"
        '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports" -m addrtype --dst-type LOCAL '
        "-j KUBE-NODEPORTS\nCOMMIT\n"
    )
    cluster = ClusterState.from_objects([website(node_port=None)])
    port = trace_service(cluster, NodeState(node="n", iptables={"nft": text}), "default", "website").ports[0]
    assert port.findings[0].code == "no-endpoints" and "rejects" in port.findings[0].message
    assert any(s.kind == "reject" for s in port.steps)
    assert port.endpoints == ()


def test_no_datapath_and_nodeport_collision():
    other = website()
    other["metadata"] = {"name": "clash", "namespace": "other"}
    port = trace_service(lab_cluster([other]), NodeState(node="n"), "default", "website").ports[0]
    codes = [f.code for f in port.findings]
    assert "no-kube-proxy-rules" in codes and "nodeport-collision" in codes
    assert all(e.share is None for e in port.endpoints)


def test_unnamed_port_uses_hash_without_colon():
    from k8snet_tui.domain.datapath.chain_names import iptables_chain_names
    svc = website(node_port=None, ports=[{"port": 80, "protocol": "TCP"}])
    name = iptables_chain_names("default/website", "tcp")["service"]
    text = (f"*nat\n:KUBE-SERVICES - [0:0]\n:{name} - [0:0]\n:KUBE-SEP-X - [0:0]\n"
            f"-A KUBE-SERVICES -d 10.111.148.30/32 -p tcp -m tcp --dport 80 -j {name}\n-A {name} -j KUBE-SEP-X\n"
            "-A KUBE-SEP-X -p tcp -j DNAT --to-destination 10.0.0.1:80\nCOMMIT\n")
    cluster = ClusterState.from_objects([svc, slice_({"p": "10.0.0.1"}, port_name="")])
    port = trace_service(cluster, NodeState(node="n", iptables={"legacy": text}), "default", "website").ports[0]
    assert port.chains["service"] == name
    assert [(e.address, e.share, e.in_api) for e in port.endpoints] == [("10.0.0.1", 1.0, True)]


def test_find_service_suggests():
    c = lab_cluster()
    assert find_service(c, "default/website").service is not None
    assert find_service(c, "website").service is not None
    miss = find_service(c, "default/websit")
    assert miss.service is None and "default/website" in miss.suggestions
    t = trace_service(c, lab_node(), "default", "websit")
    assert t.ports[0].findings[0].code == "service-not-found" and "default/website" in t.ports[0].findings[0].message


def test_port_filter_and_cached_datapath():
    c, node = lab_cluster(), lab_node()
    dp = parse_node_datapath(node, c)
    assert trace_service(c, node, "default", "website", port="http", datapath=dp).ports[0].name == "http"
    assert trace_service(c, node, "default", "website", port=81, datapath=dp).ports == ()


def test_conntrack_join():
    t = trace_service(lab_cluster(), lab_node(), "default", "website")
    ct = [
        {"proto": "tcp", "orig_dst": "10.111.148.30", "orig_dport": 80, "reply_src": "10.0.0.1", "reply_sport": 80},
        {"proto": "tcp", "orig_dst": "10.111.148.30", "orig_dport": "80", "reply_src": "10.0.0.1", "reply_sport": "80"},
        {"proto": "tcp", "orig_dst": "172.31.24.84", "orig_dport": 31100, "reply_src": "10.0.0.202", "reply_sport": 80},
        {"proto": "udp", "orig_dst": "10.111.148.30", "orig_dport": 80, "reply_src": "10.0.0.177", "reply_sport": 80},
        {"proto": "tcp", "orig_dst": "10.96.0.1", "orig_dport": 443, "reply_src": "172.31.24.84", "reply_sport": 6443},
        {"proto": "tcp", "orig_dport": "x"}, "junk",
    ]
    assert count_connections(ct, t.ports[0]) == {("10.0.0.1", 80): 2, ("10.0.0.202", 80): 1}
    t2 = with_connections(t, ct)
    assert [e.connections for e in t2.ports[0].endpoints] == [0, 2, 1]


def test_a_dump_without_an_attribute_dict_still_traces():
    """The per-dump indexes are kept beside a dump that has no __dict__ (slotted, lazy ones)."""
    from k8snet_tui.domain.datapath.endpoints import service_ports
    from k8snet_tui.domain.datapath.iptables_save import parse_iptables_save
    from k8snet_tui.domain.datapath.trace_iptables import trace_iptables_port

    real = parse_iptables_save((FIX / "lab-1.24-iptables-save.txt").read_text())

    class Slotted:
        __slots__ = ("__weakref__", "_dump")

        def __init__(self, dump):
            self._dump = dump

        def rules(self, table, chain):
            return self._dump.rules(table, chain)

        def chain(self, table, name):
            return self._dump.chain(table, name)

        def jumps_to(self, table, target):
            return self._dump.jumps_to(table, target)

    (port,) = service_ports(website())
    entries = (("cluster-ip", "10.111.148.30"),)
    want = trace_iptables_port(real, "default", "website", port, entries)
    slotted = Slotted(real)
    for _ in range(2):  # built, then reused
        got = trace_iptables_port(slotted, "default", "website", port, entries)  # type: ignore[arg-type]
        assert got.paths == want.paths and got.endpoints == want.endpoints and got.chains == want.chains


def test_the_trace_reads_endpoints_through_the_service_index(monkeypatch):
    """Readiness is read in one place: change the index's reading and the trace follows it."""
    from k8snet_tui.domain import service_index

    monkeypatch.setattr(service_index, "endpoint_conditions", lambda ep: service_index.Conditions(False, False, False))
    port = trace_service(lab_cluster(), lab_node(), "default", "website").ports[0]
    assert [e.ready for e in port.endpoints] == [False, False, False]
    assert "no-endpoints" in {f.code for f in port.findings}

"""The Services table view model, service CIDR discovery, and big comment-less dumps."""


from test_services_trace import LAB_IPS, lab_cluster, lab_node, slice_, website

from k8snet_tui.domain.datapath.chain_names import iptables_chain_names, iptables_endpoint_chain
from k8snet_tui.domain.model import ClusterState, NodeState
from k8snet_tui.domain.service_cidr import binary_breakdown, find_service_cidrs
from k8snet_tui.domain.services import build_services_view, trace_service


def test_services_view_rows():
    objs = list(lab_cluster().of("Service")) + list(lab_cluster().of("EndpointSlice"))
    extra = slice_({"x": "10.0.0.99"}, ready=False)
    extra["metadata"]["name"] = "website-def"
    multi = {"kind": "Service", "metadata": {"name": "dns", "namespace": "kube-system"},
             "spec": {"clusterIP": "10.96.0.10", "ports": [{"name": "dns", "port": 53, "protocol": "UDP"},
                                                           {"name": "dns-tcp", "port": 53}]}}
    view = build_services_view(ClusterState.from_objects(objs + [extra, multi, {"kind": "Service"}]), lab_node())
    rows = {r.key: r for r in view.rows}
    w = rows["default/website"]
    assert (w.type, w.cluster_ip, w.ports, w.ready, w.total) == ("NodePort", "10.111.148.30", "80->31100/TCP", 3, 4)
    assert rows["kube-system/dns"].ports == "53/UDP, 53/TCP"
    assert rows["kube-system/dns"].total == 0
    j = view.to_json()
    assert j["backend"] == "iptables-legacy" and j["rows"][0]["namespace"] == ""  # the nameless one sorts first
    assert {"namespace", "name", "type", "cluster_ip", "ports", "ready", "total", "backend"} <= set(j["rows"][1])


def test_services_view_namespace_filter():
    c = ClusterState(objects=lab_cluster().objects, namespace="kube-system")
    assert build_services_view(c).rows == ()


def test_big_comment_less_service():
    n = 1200
    spn, proto = "default/website:http", "tcp"
    svc_chain = iptables_chain_names(spn, proto)["service"]
    lines = ["*nat", ":KUBE-SERVICES - [0:0]", f":{svc_chain} - [0:0]",
             f"-A KUBE-SERVICES -d 10.111.148.30/32 -p tcp -m tcp --dport 80 -j {svc_chain}"]
    ips = [f"10.1.{i // 250}.{i % 250 + 1}" for i in range(n)]
    for i, ip in enumerate(ips):
        sep = iptables_endpoint_chain(spn, proto, ip, 80)
        lines.append(f":{sep} - [0:0]")
        prob = f"-m statistic --mode random --probability {1 / (n - i):.11f} " if i < n - 1 else ""
        lines.append(f"-A {svc_chain} {prob}-j {sep}")
        lines.append(f"-A {sep} -s {ip}/32 -j KUBE-MARK-MASQ")
        lines.append(f"-A {sep} -p tcp -m tcp -j DNAT --to-destination {ip}:80")
    lines.append("COMMIT")
    cluster = ClusterState.from_objects([website(node_port=None), slice_({f"p{i}": ip for i, ip in enumerate(ips)})])
    port = trace_service(cluster, NodeState(node="n", iptables={"nft": "\n".join(lines)}), "default", "website").ports[0]
    assert len(port.endpoints) == n and all(e.in_api and e.in_kernel for e in port.endpoints)
    assert abs(sum(e.share for e in port.endpoints) - 1) < 1e-9
    assert max(e.share for e in port.endpoints) < 2.0 / n
    assert "comments-dropped" in {f.code for f in port.findings}
    assert not [f for f in port.findings if f.severity != "info"]


def test_external_traffic_policy_local_chains():
    spn = "default/website:http"
    names = iptables_chain_names(spn, "tcp")
    sep = iptables_endpoint_chain(spn, "tcp", "10.0.0.1", 80)
    sep2 = iptables_endpoint_chain(spn, "tcp", "10.0.0.202", 80)
    text = "\n".join([
        "*nat", ":KUBE-SERVICES - [0:0]", ":KUBE-NODEPORTS - [0:0]", *[f":{c} - [0:0]" for c in names.values()],
        f":{sep} - [0:0]", f":{sep2} - [0:0]",
        f"-A KUBE-SERVICES -d 10.111.148.30/32 -p tcp -m tcp --dport 80 -j {names['service']}",
        f"-A KUBE-NODEPORTS -p tcp -m tcp --dport 31100 -j {names['external']}",
        f'-A {names["external"]} -s 10.0.0.0/8 -m comment --comment "pod traffic for {spn} external destinations" '
        f'-j {names["service"]}',
        f'-A {names["external"]} -m comment --comment "masquerade LOCAL traffic for {spn} external destinations" '
        '-m addrtype --src-type LOCAL -j KUBE-MARK-MASQ',
        f'-A {names["external"]} -m comment --comment "route LOCAL traffic for {spn} external destinations" '
        f'-m addrtype --src-type LOCAL -j {names["service"]}',
        f"-A {names['external']} -j {names['local']}",
        f"-A {names['service']} -m statistic --mode random --probability 0.50000000000 -j {sep}",
        f"-A {names['service']} -j {sep2}",
        f"-A {names['local']} -j {sep}",
        f"-A {sep} -p tcp -m tcp -j DNAT --to-destination 10.0.0.1:80",
        f"-A {sep2} -p tcp -m tcp -j DNAT --to-destination 10.0.0.202:80",
        "COMMIT"])
    ips = {k: v for k, v in LAB_IPS.items() if v != "10.0.0.177"}
    cluster = ClusterState.from_objects([website(), slice_(ips)])
    port = trace_service(cluster, NodeState(node="n", iptables={"nft": text}), "default", "website").ports[0]
    assert port.chains["local"] == names["local"] and port.chains["external"] == names["external"]
    assert [(e.address, e.share) for e in port.endpoints] == [("10.0.0.1", 0.5), ("10.0.0.202", 0.5)]
    assert sum(1 for s in port.steps if s.chain == names["local"]) == 1


def test_service_cidr_sources_in_order():
    apiserver = {"kind": "Pod", "metadata": {"name": "kube-apiserver-cp", "namespace": "kube-system",
                                             "labels": {"component": "kube-apiserver"}},
                 "spec": {"containers": [{"command": ["kube-apiserver", "--service-cluster-ip-range=10.96.0.0/12,fd00::/108"]}]}}
    kubesvc = {"kind": "Service", "metadata": {"name": "kubernetes", "namespace": "default"}, "spec": {"clusterIP": "10.43.0.1"}}
    scidr = {"kind": "ServiceCIDR", "metadata": {"name": "kubernetes"}, "spec": {"cidrs": ["10.100.0.0/16", "bad"]}}
    r = find_service_cidrs(ClusterState.from_objects([apiserver, kubesvc, scidr]))
    assert (r.cidrs, r.source, r.certain) == (("10.100.0.0/16",), "ServiceCIDR", True)
    r = find_service_cidrs(ClusterState.from_objects([apiserver, kubesvc]))
    assert r.cidrs == ("10.96.0.0/12", "fd00::/108") and r.source == "kube-apiserver flag"
    r = find_service_cidrs(ClusterState.from_objects([kubesvc]))
    assert r.source == "guess" and not r.certain and r.cidrs == ("10.32.0.0/12",)
    assert find_service_cidrs(ClusterState()).cidrs == ()


def test_binary_breakdown_as_the_lab_does_it():
    b = binary_breakdown("10.96.0.0/12", "10.111.148.30")
    assert [o.bits for o in b.network_octets] == ["0000 1010", "0110 0000", "0000 0000", "0000 0000"]
    assert [o.bits for o in b.ip_octets] == ["0000 1010", "0110 1111", "1001 0100", "0001 1110"]
    assert [o.prefix_bits for o in b.ip_octets] == [8, 4, 0, 0]
    assert b.contains is True and b.last == "10.111.255.255"
    assert binary_breakdown("10.96.0.0/12", "10.112.0.1").contains is False
    assert binary_breakdown("nonsense") is None and binary_breakdown("10.0.0.0/8", "x") is None
    assert binary_breakdown("fd00::/108", "10.0.0.1").contains is False

"""The lab's cluster (section 3) as raw API objects, shared by the DNS tests."""

from __future__ import annotations

from k8snet_tui.domain.dns import dns_lookup_view
from k8snet_tui.domain.model import ClusterState, NodeState
from k8snet_tui.present.dns import lookup_model
from k8snet_tui.present.serialize import to_jsonable


def lookup_json(*args, **kwargs):
    """A lookup as `k8snet dns --json` prints it."""
    return to_jsonable(lookup_model(dns_lookup_view(*args, **kwargs)))

NODE_RESOLV = "nameserver 172.31.0.2\nsearch eu-central-1.compute.internal\n"


def ns(name):
    return {"kind": "Namespace", "metadata": {"name": name}}


def service(namespace, name, cluster_ip, ports, type_="ClusterIP", **spec):
    ips = [] if cluster_ip is None else [cluster_ip]
    body = {"type": type_, "ports": ports, **spec}
    if cluster_ip is not None:
        body["clusterIP"] = cluster_ip
        body["clusterIPs"] = ips
    return {"kind": "Service", "metadata": {"namespace": namespace, "name": name}, "spec": body}


def eps(namespace, svc, endpoints, ports, name=None, address_type="IPv4"):
    return {"kind": "EndpointSlice", "addressType": address_type,
            "metadata": {"namespace": namespace, "name": name or f"{svc}-abcde",
                         "labels": {"kubernetes.io/service-name": svc}},
            "endpoints": endpoints, "ports": ports}


def ep(ip, ready=True, hostname=None, pod=None):
    out = {"addresses": [ip], "conditions": {"ready": ready}}
    if hostname:
        out["hostname"] = hostname
    if pod:
        out["targetRef"] = {"kind": "Pod", "name": pod, "namespace": "default"}
    return out


def pod(namespace, name, ip=None, **spec):
    obj = {"kind": "Pod", "metadata": {"namespace": namespace, "name": name},
           "spec": {"dnsPolicy": "ClusterFirst", **spec}}
    if ip:
        obj["status"] = {"podIP": ip, "podIPs": [{"ip": ip}]}
    return obj


def lab_objects():
    return [
        ns("default"), ns("kube-system"),
        service("default", "kubernetes", "10.96.0.1", [{"name": "https", "port": 443, "protocol": "TCP"}]),
        service("kube-system", "kube-dns", "10.96.0.10", [
            {"name": "dns", "port": 53, "protocol": "UDP"},
            {"name": "dns-tcp", "port": 53, "protocol": "TCP"},
            {"name": "metrics", "port": 9153, "protocol": "TCP"}]),
        service("default", "website", "10.111.148.30", [{"port": 80, "protocol": "TCP", "nodePort": 31100}],
                type_="NodePort"),
        eps("default", "website", [ep("10.0.0.12", pod="website-5746f499f-nnpxc"),
                                   ep("10.0.0.202", pod="website-5746f499f-v9shz")],
            [{"name": "", "port": 80, "protocol": "TCP"}]),
        service("default", "headlesswebsite", "None", [{"name": "http", "port": 80, "protocol": "TCP"}]),
        eps("default", "headlesswebsite", [ep("10.0.0.202", pod="website-5746f499f-v9shz"),
                                           ep("10.0.0.12", pod="website-5746f499f-nnpxc")],
            [{"name": "http", "port": 80, "protocol": "TCP"}]),
        service("default", "webstate", "None", [{"name": "webstate", "port": 80, "protocol": "TCP"}]),
        eps("default", "webstate", [ep("10.0.0.58", hostname="webstate-0", pod="webstate-0"),
                                    ep("10.0.0.38", hostname="webstate-1", pod="webstate-1"),
                                    ep("10.0.0.52", hostname="webstate-2", pod="webstate-2")],
            [{"name": "webstate", "port": 80, "protocol": "TCP"}]),
        pod("default", "client", "10.0.0.99"),
        pod("default", "webstate-0", "10.0.0.58", hostname="webstate-0", subdomain="webstate"),
    ]


def lab_cluster(extra=(), drop=()):
    objs = [o for o in lab_objects() if (o["kind"], o["metadata"]["name"]) not in drop]
    return ClusterState.from_objects(objs + list(extra))


def lab_node(resolv=NODE_RESOLV):
    return NodeState(node="ip-172-31-24-84", resolv_conf=resolv)


# --- the lab's section 3, end to end ----------------------------------------------------------


def test_lab_client_resolv_conf_matches_the_lab_output():
    v = dns_lookup_view(lab_cluster(), lab_node(), "website", pod="default/client")
    assert v.resolv_conf.render() == (
        "search default.svc.cluster.local svc.cluster.local cluster.local eu-central-1.compute.internal\n"
        "nameserver 10.96.0.10\noptions ndots:5\n")


def test_lab_wget_website_answers_on_the_first_search_domain():
    j = lookup_json(lab_cluster(), lab_node(), "website", pod="default/client")
    assert j["queries"] == [{"fqdn": "website.default.svc.cluster.local.", "type": "A",
                             "expected": {"rcode": "NOERROR", "answers": ["10.111.148.30"], "note": "",
                                          "partial": False, "fallthrough": False},
                             "actual": None, "mismatch": None}]
    assert j["answered_by"] == 0 and j["pod"] == "default/client"


def test_lab_website_default_answers_on_the_second_domain():
    j = lookup_json(lab_cluster(), lab_node(), "website.default", pod="default/client")
    assert [q["fqdn"] for q in j["queries"]] == ["website.default.default.svc.cluster.local.",
                                                 "website.default.svc.cluster.local."]
    assert j["queries"][0]["expected"]["rcode"] == "NXDOMAIN"
    assert j["answered_by"] == 1 and j["wasted_queries"] == 1
    assert any("website.default.svc.cluster.local." in a for a in j["advice"])


def test_lab_website_kube_system_is_a_bad_address():
    for resolver in ("glibc", "musl"):
        j = lookup_json(lab_cluster(), lab_node(), "website.kube-system", pod="default/client",
                            resolver=resolver)
        assert j["answered_by"] is None
        assert [q["expected"]["rcode"] for q in j["queries"][:3]] == ["NXDOMAIN"] * 3
        assert j["queries"][3]["expected"]["rcode"] is None  # the AWS search domain goes upstream


def test_lab_busybox_nslookup_headless_sends_every_search_domain_a_then_aaaa():
    j = lookup_json(lab_cluster(), lab_node(), "headlesswebsite", pod="default/client",
                        resolver="busybox", qtype="A+AAAA")
    names = [(q["fqdn"], q["type"]) for q in j["queries"]]
    domains = ["default.svc.cluster.local.", "svc.cluster.local.", "cluster.local.",
               "eu-central-1.compute.internal."]
    assert sorted(names) == sorted([(f"headlesswebsite.{d}", t) for d in domains for t in ("A", "AAAA")])
    first = j["queries"][j["answered_by"]]
    assert first["fqdn"] == "headlesswebsite.default.svc.cluster.local." and first["type"] == "A"
    assert sorted(first["expected"]["answers"]) == ["10.0.0.12", "10.0.0.202"]


def test_lab_srv_on_headless_service_lists_endpoints_by_dashed_ip_weight_50():
    j = lookup_json(lab_cluster(), lab_node(), "headlesswebsite", pod="default/client",
                        resolver="busybox", qtype="SRV")
    got = sorted(j["queries"][0]["expected"]["answers"])
    assert got == ["0 50 80 10-0-0-12.headlesswebsite.default.svc.cluster.local.",
                   "0 50 80 10-0-0-202.headlesswebsite.default.svc.cluster.local."]


def test_lab_statefulset_srv_uses_pod_hostnames_weight_33():
    j = lookup_json(lab_cluster(), lab_node(), "webstate.default.svc.cluster.local",
                        pod="default/client", resolver="busybox", qtype="SRV")
    assert len(j["queries"]) == 1  # a dotted name: busybox sends it only as-is
    got = sorted(j["queries"][0]["expected"]["answers"])
    assert got == [f"0 33 80 webstate-{i}.webstate.default.svc.cluster.local." for i in range(3)]


def test_lab_webstate_1_resolves_to_its_own_pod():
    j = lookup_json(lab_cluster(), lab_node(), "webstate-1.webstate.default.svc.cluster.local",
                        pod="default/client", resolver="musl")
    assert j["queries"][j["answered_by"]]["expected"]["answers"] == ["10.0.0.38"]

"""The lab's datapath, end to end, in each kube-proxy mode: ClusterIP and NodePort traffic
from a node namespace reaches real pod namespaces through kube-proxy's real rules, and cluster
DNS answers through the kube-dns ClusterIP (so through kube-proxy's DNAT too)."""

import pytest

from tests.cluster.harness import DNS_IP, svc_chain_hash

pytestmark = pytest.mark.cluster

IT_WORKS = "<html><body><h1>It works!</h1></body></html>"
WEBSITE_CHAIN = "KUBE-SVC-RYQJBQ5TR32XWAUN"  # default/website:http tcp, as in the lab


def pods(cluster, namespace, selector):
    items = cluster.api.get(f"/api/v1/namespaces/{namespace}/pods", labelSelector=selector)["items"]
    return {p["metadata"]["name"]: p["status"].get("podIP") for p in items
            if not p["metadata"].get("deletionTimestamp")}


def cluster_ip(cluster, namespace, name):
    return cluster.api.get(f"/api/v1/namespaces/{namespace}/services/{name}")["spec"]["clusterIP"]


def test_lab_chain_name_matches_the_lab():
    # the hash our rule checks rely on, against the chain name printed in the lab
    assert svc_chain_hash("default/website:http", "tcp") == "RYQJBQ5TR32XWAUN"


def test_website_cluster_ip_answers_from_all_three_pods(lab_cluster, kube_proxy_mode):
    ip = cluster_ip(lab_cluster, "default", "website")
    website_pods = set(pods(lab_cluster, "default", "app=website"))
    assert len(website_pods) == 3
    answers = lab_cluster.http("node-1", f"http://{ip}/", count=40)
    errors = [a for a in answers if "error" in a]
    assert not errors, errors
    assert all(a["status"] == 200 and a["body"].strip() == IT_WORKS for a in answers)
    served_by = {a["pod"] for a in answers}
    print(f"{kube_proxy_mode}: 40 requests to {ip} served by "
          + ", ".join(f"{p}={sum(a['pod'] == p for a in answers)}" for p in sorted(served_by)))
    # 40 random picks miss one of three endpoints with probability 3*(2/3)^40 < 1e-6
    assert served_by == website_pods


def test_nodeport_31100_from_the_node_namespaces(lab_cluster, kube_proxy_mode):
    website_pods = set(pods(lab_cluster, "default", "app=website"))
    for node in ("node-1", "node-2"):
        host_ip = lab_cluster.nodes[node].host_ip
        answers = lab_cluster.http(node, f"http://{host_ip}:31100/", count=6)
        assert all(a.get("status") == 200 for a in answers), answers
        assert all(a["body"].strip() == IT_WORKS for a in answers)
        assert {a["pod"] for a in answers} <= website_pods


def test_engine_service_serves_the_nginx_page_from_node_2(lab_cluster, kube_proxy_mode):
    ip = cluster_ip(lab_cluster, "default", "engine")
    (answer,) = lab_cluster.http("node-2", f"http://{ip}/")
    assert answer.get("status") == 200, answer
    assert "<title>Welcome to nginx!</title>" in answer["body"]
    assert answer["pod"].startswith("engine-")


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_cluster_dns_through_the_kube_dns_service(lab_cluster, kube_proxy_mode, tcp):
    def q(name, t="A"):
        return lab_cluster.dns("node-1", name, t, server=DNS_IP, tcp=tcp)

    website = q("website.default.svc.cluster.local")
    assert website["rcode"] == "NOERROR"
    assert website["answers"] == [cluster_ip(lab_cluster, "default", "website")]

    srv = q("_http._tcp.website.default.svc.cluster.local", "SRV")
    assert srv["rcode"] == "NOERROR"
    assert [a.split()[2:] for a in srv["answers"]] == [["80", "website.default.svc.cluster.local."]]

    webstate = pods(lab_cluster, "default", "app=webstate")
    one = q("webstate-1.webstate.default.svc.cluster.local")
    assert one["answers"] == [webstate["webstate-1"]]

    sts_srv = q("webstate.default.svc.cluster.local", "SRV")
    assert sorted(a.split()[3] for a in sts_srv["answers"]) == [
        f"webstate-{i}.webstate.default.svc.cluster.local." for i in range(3)]

    headless = q("headlesswebsite.default.svc.cluster.local")
    assert sorted(headless["answers"]) == sorted(pods(lab_cluster, "default", "app=website").values())

    missing = q("website.kube-system.svc.cluster.local")
    assert missing["rcode"] == "NXDOMAIN"


def test_kube_proxy_rules_live_in_the_mode_backend_only(lab_cluster, kube_proxy_mode):
    legacy = lab_cluster.iptables_save("node-1", "legacy")
    nft_compat = lab_cluster.iptables_save("node-1", "nft")
    table = lab_cluster.nft_kube_proxy_table("node-1")
    in_backend = {"iptables-legacy": WEBSITE_CHAIN in legacy,
                  "iptables-nft": WEBSITE_CHAIN in nft_compat,
                  "nftables": "default/website/tcp/http" in table}
    assert in_backend == {m: m == kube_proxy_mode for m in in_backend}
    assert lab_cluster.service_rule_endpoints("node-1", "default", "website", "http") == 3

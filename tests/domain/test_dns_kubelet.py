from test_dns_lab import NODE_RESOLV, lab_cluster, pod

from k8snet_tui.domain.dns.kubelet import (
    ClusterDns,
    cluster_dns,
    parse_kubelet_config,
    pod_dns,
)
from k8snet_tui.domain.model import ClusterState

DNS = ClusterDns(("10.96.0.10",), "cluster.local", "test")


def derive(spec=None, node=NODE_RESOLV, dns=DNS, ns="team"):
    p = pod(ns, "p", **(spec or {}))
    return pod_dns(p, dns, node)


def test_cluster_first_builds_search_from_namespace_then_node():
    d = derive()
    assert d.resolv_conf.nameservers == ("10.96.0.10",)
    assert d.resolv_conf.search == ("team.svc.cluster.local", "svc.cluster.local", "cluster.local",
                                    "eu-central-1.compute.internal")
    assert d.resolv_conf.option_strings() == ("ndots:5",)


def test_node_search_domains_duplicating_cluster_ones_are_dropped():
    d = derive(node="search cluster.local. corp.example cluster.local\nnameserver 1.1.1.1\noptions rotate\n")
    assert d.resolv_conf.search == ("team.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example")
    assert d.resolv_conf.option_strings() == ("ndots:5",)  # the node's options are not carried over
    assert any("duplicate" in s for s in d.steps)


def test_kubelet_ignores_domain_lines_of_the_node():
    d = derive(node="domain corp.example\nnameserver 1.1.1.1\n")
    assert "corp.example" not in d.resolv_conf.search


def test_default_policy_copies_the_node_file():
    d = derive({"dnsPolicy": "Default"}, node="nameserver 1.1.1.1\nsearch a.example\noptions edns0\n")
    assert d.effective == "host"
    assert d.resolv_conf.nameservers == ("1.1.1.1",) and d.resolv_conf.search == ("a.example",)
    assert d.resolv_conf.has_option("edns0")


def test_cluster_first_on_host_network_falls_back_to_default():
    d = derive({"hostNetwork": True})
    assert d.effective == "host" and d.resolv_conf.nameservers == ("172.31.0.2",)


def test_cluster_first_with_host_net_keeps_cluster_dns():
    d = derive({"dnsPolicy": "ClusterFirstWithHostNet", "hostNetwork": True})
    assert d.effective == "cluster" and d.resolv_conf.nameservers == ("10.96.0.10",)


def test_none_uses_only_dns_config_and_options_merge_by_name():
    d = derive({"dnsPolicy": "None", "dnsConfig": {
        "nameservers": ["9.9.9.9", "9.9.9.9"], "searches": ["x.example"],
        "options": [{"name": "ndots", "value": "2"}, {"name": "edns0"}]}})
    rc = d.resolv_conf
    assert rc.nameservers == ("9.9.9.9",) and rc.search == ("x.example",)
    assert dict(rc.options) == {"ndots": "2", "edns0": None}


def test_dns_config_appends_and_overrides_ndots():
    d = derive({"dnsConfig": {"nameservers": ["10.96.0.10", "8.8.8.8"], "searches": ["svc.cluster.local", "y.example"],
                              "options": [{"name": "ndots", "value": "1"}]}})
    assert d.resolv_conf.nameservers == ("10.96.0.10", "8.8.8.8")
    assert d.resolv_conf.search[-1] == "y.example" and d.resolv_conf.search.count("svc.cluster.local") == 1
    assert d.resolv_conf.option("ndots") == "1"


def test_nameserver_limit_trims_to_three_with_an_event():
    d = derive({"dnsConfig": {"nameservers": ["1.1.1.1", "2.2.2.2", "3.3.3.3"]}})
    assert d.resolv_conf.nameservers == ("10.96.0.10", "1.1.1.1", "2.2.2.2")
    assert any(e.startswith("DNSConfigForming: Nameserver limits") for e in d.events)


def test_search_limits_32_domains_and_2048_characters():
    many = [f"s{i}.example" for i in range(40)]
    d = derive({"dnsConfig": {"searches": many}}, node=None)
    assert len(d.resolv_conf.search) == 32
    assert any("Search Line limits" in e for e in d.events)
    long = ["x" * 60 + f".d{i}.example" for i in range(29)]
    d = derive({"dnsConfig": {"searches": long}}, node=None)
    composed = ["team.svc.cluster.local", "svc.cluster.local", "cluster.local"] + long
    kept = list(d.resolv_conf.search)
    assert kept == composed[: len(kept)] and len(kept) < len(composed)
    assert len(" ".join(kept)) <= 2048 < len(" ".join(composed[: len(kept) + 1]))
    d = derive({"dnsConfig": {"searches": ["a" * 254, "ok.example"]}}, node=None)
    assert "ok.example" in d.resolv_conf.search and all(len(s) <= 253 for s in d.resolv_conf.search)


def test_missing_cluster_dns_falls_back_to_default_with_event():
    d = derive(dns=ClusterDns((), "cluster.local", "unknown"))
    assert d.effective == "host" and any(e.startswith("MissingClusterDNS") for e in d.events)


def test_unknown_node_file_is_said_not_guessed():
    d = derive(node=None)
    assert d.resolv_conf.search == ("team.svc.cluster.local", "svc.cluster.local", "cluster.local")
    assert any("unknown" in s for s in d.steps)


def test_unknown_policy_uses_cluster_dns_even_on_host_network():
    d = derive({"dnsPolicy": "Weird", "hostNetwork": True})
    assert d.effective == "cluster"


def test_cluster_dns_from_kube_dns_service_and_kubelet_configmap():
    assert cluster_dns(lab_cluster()).ips == ("10.96.0.10",)
    cm = {"kind": "ConfigMap", "metadata": {"namespace": "kube-system", "name": "kubelet-config"},
          "data": {"kubelet": "apiVersion: kubelet.config.k8s.io/v1beta1\nclusterDNS:\n- 10.32.0.10\n"
                              "clusterDomain: k8s.example\nkind: KubeletConfiguration\n"}}
    c = lab_cluster(extra=[cm])
    dns = cluster_dns(c)
    assert dns.ips == ("10.32.0.10",) and dns.domain == "k8s.example"
    assert any("differs" in n for n in dns.notes)
    assert cluster_dns(ClusterState()).ips == ()


def test_parse_kubelet_config_flow_and_json_forms():
    assert parse_kubelet_config("clusterDNS: [10.0.0.10, '10.0.0.11']\n") == (("10.0.0.10", "10.0.0.11"), None)
    assert parse_kubelet_config('{"clusterDNS": ["fd00::a"], "clusterDomain": "c.l"}') == (("fd00::a",), "c.l")
    assert parse_kubelet_config(":::\n- - -\n") == (None, None)


def test_an_unset_dns_policy_is_cluster_first_as_the_api_defaults_it():
    from k8snet_tui.domain.dns import ClusterDns, pod_dns

    pod = {"metadata": {"namespace": "web", "name": "p"}, "spec": {}}
    result = pod_dns(pod, ClusterDns(ips=("10.96.0.10",), domain="cluster.local", source="test"), None)
    text = " ".join(result.steps)
    assert "not one the kubelet knows" not in text
    assert "unset" in text
    assert result.resolv_conf.search[0] == "web.svc.cluster.local"

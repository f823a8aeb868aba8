"""Chain-name hashes against vectors seen in real kube-proxy output and kube-proxy's own tests."""

import pytest

from k8snet_tui.domain.datapath.chain_names import (
    hash_and_truncate,
    iptables_chain_names,
    iptables_endpoint_chain,
    join_host_port,
    nft_chain_names,
    nft_endpoint_chain,
    port_proto_hash,
    service_port_name,
)


@pytest.mark.parametrize(
    "spn, proto, chain",
    [
        ("default/kubernetes:https", "tcp", "KUBE-SVC-NPX46M4PTMTKRN6Y"),
        ("kube-system/kube-dns:dns", "udp", "KUBE-SVC-TCOU7JCQXEZGVUNU"),
        ("default/website:http", "tcp", "KUBE-SVC-RYQJBQ5TR32XWAUN"),  # lab, section 2
    ],
)
def test_service_chain_vectors(spn, proto, chain):
    assert iptables_chain_names(spn, proto)["service"] == chain


def test_protocol_case_does_not_matter():
    assert port_proto_hash("default/website:http", "TCP") == port_proto_hash("default/website:http", "tcp")


def test_all_four_chains_share_the_hash():
    names = iptables_chain_names("default/website:http", "tcp")
    assert names["external"] == "KUBE-EXT-RYQJBQ5TR32XWAUN"  # lab, section 4 (NodePort)
    assert {n.rsplit("-", 1)[1] for n in names.values()} == {"RYQJBQ5TR32XWAUN"}


@pytest.mark.parametrize(
    "ip, chain",
    [
        ("10.0.0.177", "KUBE-SEP-SUZPWGKL5FHWPETE"),
        ("10.0.0.1", "KUBE-SEP-FFKEUBR5SKHPYVCQ"),
        ("10.0.0.202", "KUBE-SEP-OPDTLPWI6RF27F2I"),
    ],
)
def test_endpoint_chain_vectors_from_the_lab(ip, chain):
    assert iptables_endpoint_chain("default/website:http", "tcp", ip, 80) == chain


def test_unnamed_port_has_no_colon_and_a_different_hash():
    assert service_port_name("ns", "svc") == "ns/svc"
    assert service_port_name("ns", "svc", "p") == "ns/svc:p"
    assert port_proto_hash("ns/svc", "tcp") != port_proto_hash("ns/svc:", "tcp")


def test_ipv6_endpoint_is_bracketed():
    assert join_host_port("fd00::1", 80) == "[fd00::1]:80"
    assert iptables_endpoint_chain("a/b:c", "tcp", "fd00::1", 80) != iptables_endpoint_chain("a/b:c", "tcp", "fd00::1:80", "")


def test_nft_names_match_kube_proxy_test_vectors():
    # From pkg/proxy/nftables/proxier_test.go (TestOverallNFTablesRules).
    assert nft_chain_names("ns1", "svc1", "tcp", "p80")["service"] == "service-ULMVA6XW-ns1/svc1/tcp/p80"
    assert nft_chain_names("ns2", "svc2", "TCP", "p80")["local"] == "local-42NFTM6N-ns2/svc2/tcp/p80"
    assert (nft_endpoint_chain("ns1", "svc1", "tcp", "p80", "10.180.0.1", 80)
            == "endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80")
    assert nft_endpoint_chain("ns4", "svc4", "tcp", "p80", "10.0.4.1", 80) == "endpoint-WAHRBT2B-ns4/svc4/tcp/p80__10.0.4.1/80"


def test_nft_ipv6_endpoint_uses_dots_and_long_names_truncate():
    assert "__fd00..1/80" in nft_endpoint_chain("a", "b", "tcp", "c", "fd00::1", 80)
    long = hash_and_truncate("x" * 300)
    assert len(long) == 240 and long.endswith("...")
    assert len(hash_and_truncate("short")) == len("short") + 9

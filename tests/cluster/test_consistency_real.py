"""The consistency check against the live test cluster: a real kube-proxy in each mode.

Both nodes are read the way the product reads them (the API through LiveApi, each node with the
real probe inside its namespace). In every mode the kube-proxy ConfigMap (which the harness keeps
truthful) must agree with the rules the running kube-proxy wrote, read back here with the mode's
own tools independently of the product; then the ConfigMap is made to name the other mode, which
must give a `proxy-mode` disagreement naming both, and is put back.
"""

from __future__ import annotations

import copy

import pytest

from k8snet_tui.domain.consistency import AGREE, DISAGREE, check_consistency

from tests.cluster.live_reads import api_state, read_node

pytestmark = pytest.mark.cluster

CM_PATH = "/api/v1/namespaces/kube-system/configmaps/kube-proxy"
KERNEL_WORDS = {"iptables-legacy": "nat KUBE-SERVICES rules (iptables-legacy)",
                "iptables-nft": "nat KUBE-SERVICES rules (iptables-nft)",
                "nftables": "the nftables table `ip kube-proxy`"}


def _proxy_checks(cluster, nodes):
    report = check_consistency(api_state(cluster), nodes, local_node="node-1", topics=("proxy", "service-cidr"))
    return {(c.node, c.code): c for c in report.checks}, report


def _rules_really_there(cluster, mode: str, node: str) -> bool:
    """What kube-proxy wrote, read with the mode's own tool (not through the product)."""
    if mode == "nftables":
        return "chain services" in cluster.nft_kube_proxy_table(node)
    backend = "legacy" if mode == "iptables-legacy" else "nft"
    return "-A KUBE-SERVICES" in cluster.iptables_save(node, backend)


def test_proxy_mode_agrees_with_the_running_kube_proxy(lab_cluster, kube_proxy_mode):
    nodes = {n: read_node(lab_cluster, n) for n in ("node-1", "node-2")}
    checks, report = _proxy_checks(lab_cluster, nodes)
    assert report.nodes == ("node-1", "node-2")
    for node in nodes:
        assert _rules_really_there(lab_cluster, kube_proxy_mode, node)
        check = checks[(node, "proxy-mode")]
        assert check.status == AGREE, check
        assert KERNEL_WORDS[kube_proxy_mode] in check.kernel
        expected = "nftables" if kube_proxy_mode == "nftables" else "iptables"
        assert f"mode: {expected}" in check.config
        assert (node, "proxy-leftovers") not in checks  # --cleanup removed the previous mode's rules
        assert checks[(node, "service-cidr-route")].status == AGREE


def test_a_configmap_naming_the_other_mode_disagrees(lab_cluster, kube_proxy_mode):
    original = lab_cluster.api.get(CM_PATH)
    wrong = "iptables" if kube_proxy_mode == "nftables" else "nftables"
    edited = copy.deepcopy(original)
    text = edited["data"]["config.conf"]
    right = "nftables" if kube_proxy_mode == "nftables" else "iptables"
    assert f"mode: {right}" in text
    edited["data"]["config.conf"] = text.replace(f"mode: {right}", f"mode: {wrong}")
    lab_cluster.api.request("PUT", CM_PATH, edited)
    try:
        nodes = {"node-1": read_node(lab_cluster, "node-1")}
        checks, report = _proxy_checks(lab_cluster, nodes)
        check = checks[("node-1", "proxy-mode")]
        assert check.status == DISAGREE, check
        assert f"mode: {wrong}" in check.config and KERNEL_WORDS[kube_proxy_mode] in check.kernel
        assert check.next and check.why
        assert report.disagreements >= 1
    finally:
        current = lab_cluster.api.get(CM_PATH)
        current["data"] = original["data"]
        lab_cluster.api.request("PUT", CM_PATH, current)
    checks, _ = _proxy_checks(lab_cluster, {"node-1": read_node(lab_cluster, "node-1")})
    assert checks[("node-1", "proxy-mode")].status == AGREE

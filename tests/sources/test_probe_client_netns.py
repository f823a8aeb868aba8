"""run_probe against the real probe, inside a network namespace this test creates."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid

import pytest

from k8snet_tui.sources.probe_client import run_probe

pytestmark = pytest.mark.root

RULES = """*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-TCOU7JCQXEZGVUNU - [0:0]
:KUBE-SEP-CCCCCCCCCCCCCCCC - [0:0]
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU
-A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment "kube-system/kube-dns:dns -> 10.244.0.5:53" -j KUBE-SEP-CCCCCCCCCCCCCCCC
-A KUBE-SEP-CCCCCCCCCCCCCCCC -p udp -m comment --comment "kube-system/kube-dns:dns" -m udp -j DNAT --to-destination 10.244.0.5:53
COMMIT
"""  # noqa: E501 - verbatim iptables-save lines, as kube-proxy writes them


@pytest.fixture
def ns_name():
    if os.geteuid() != 0 or shutil.which("iptables-nft-restore") is None:
        pytest.skip("needs root, ip netns and iptables-nft-restore")
    name = f"k8sclient-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        # both ends of the veth pair stay inside the namespace
        ip = ["ip", "-n", name]
        subprocess.run([*ip, "link", "add", "pod0", "type", "veth", "peer", "name", "host0"], check=True)
        subprocess.run([*ip, "addr", "add", "10.244.0.1/24", "dev", "host0"], check=True)
        subprocess.run([*ip, "link", "set", "pod0", "up"], check=True)
        subprocess.run([*ip, "link", "set", "host0", "up"], check=True)
        subprocess.run(["ip", "netns", "exec", name, "iptables-nft-restore"], input=RULES.encode(), check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def test_real_probe_fills_node_state(ns_name):
    argv = ["ip", "netns", "exec", ns_name, sys.executable, "-m", "k8snet_tui.probe"]
    state = run_probe(argv, timeout=120)
    assert state.errors == ()
    assert state.source == "probe"
    assert state.node == state.hostname != ""
    assert isinstance(state.captured_at, float)
    assert {link["ifname"] for link in state.links} == {"lo", "pod0", "host0"}
    veth = next(link for link in state.links if link["ifname"] == "host0")
    assert veth["linkinfo"]["info_kind"] == "veth"  # `ip -d` details are there
    host0 = next(a for a in state.addresses if a["ifname"] == "host0")
    v4 = [(i["local"], i["prefixlen"]) for i in host0["addr_info"] if i.get("family") == "inet"]
    assert v4 == [("10.244.0.1", 24)]
    assert any(r.get("dst") == "10.244.0.0/24" and r.get("dev") == "host0" for r in state.routes)
    assert set(state.iptables) == {"nft"}
    assert "-j DNAT --to-destination 10.244.0.5:53" in state.iptables["nft"]
    assert state.nft_ruleset is not None
    names = {i["table"]["name"] for i in state.nft_ruleset["nftables"] if "table" in i}
    assert names == {"nat"}
    assert isinstance(state.resolv_conf, str)
    assert state.has_kernel_state

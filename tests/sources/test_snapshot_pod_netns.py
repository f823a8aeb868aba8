"""A node's pod-namespace readings (the probe's `pod_netns`) survive capture -> snapshot, from
probe.json and from their own file, and a malformed file is a problem, not a crash."""

from __future__ import annotations

import json
from pathlib import Path

from k8snet_tui.domain.model import ClusterState, NodeState, Observed
from k8snet_tui.sources.capture import write_snapshot
from k8snet_tui.sources.probe_client import node_state_from_probe
from k8snet_tui.sources.snapshot import load_snapshot

READING = {"path": "/run/netns/cni-1", "inode": 4026532999, "pids": [42], "names": ["cni-1"],
           "addresses": ["10.0.1.7", "127.0.0.1"],
           "iptables": {"nft": "*nat\n:OUTPUT ACCEPT [0:0]\n:ISTIO_OUTPUT - [0:0]\n-A OUTPUT -j ISTIO_OUTPUT\nCOMMIT\n"},
           "ip6tables": {}, "nft_ruleset": None, "errors": []}
GONE = {"path": "/proc/99/ns/net", "inode": 4026533000, "error": "could not enter the namespace: gone"}


def test_capture_writes_and_snapshot_reads_pod_netns(tmp_path: Path) -> None:
    node = NodeState(node="n1", pod_netns=(READING, GONE), resolv_conf="nameserver 10.96.0.10\n")
    obs = Observed(cluster=ClusterState.from_objects([]), nodes={"n1": node}, local_node="n1")
    out = tmp_path / "snap"
    write_snapshot(out, obs, source="test")
    assert json.loads((out / "nodes/n1/pod-netns.json").read_text())[0]["addresses"][0] == "10.0.1.7"
    snap = load_snapshot(out)
    assert snap.nodes["n1"].pod_netns == (READING, GONE)


def test_probe_document_carries_pod_netns() -> None:
    state = node_state_from_probe({"format": "k8snet.probe/v1", "pod_netns": [READING, "junk"]}, source="t")
    assert state.pod_netns == (READING,)
    assert any("pod_netns" in e for e in state.errors)


def test_a_malformed_pod_netns_file_is_a_problem(tmp_path: Path) -> None:
    node = NodeState(node="n1", resolv_conf="x\n")
    out = tmp_path / "snap"
    write_snapshot(out, Observed(cluster=ClusterState.from_objects([]), nodes={"n1": node}, local_node="n1"),
                   source="test")
    (out / "nodes/n1/pod-netns.json").write_text('{"not": "a list"}')
    snap = load_snapshot(out)
    assert snap.nodes["n1"].pod_netns == ()
    assert any("pod-netns.json" in str(p) for p in snap.problems)

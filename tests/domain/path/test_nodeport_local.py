"""The NodePort with `externalTrafficPolicy: Local` at a node without endpoints, on kube-proxy's own
expected rules (tests/domain/fixtures/realworld: `TestOverallIPTablesRules` of v1.36 for ns2/svc2,
whose one endpoint runs elsewhere, so the node DROPs external traffic; `TestOnlyLocalNodePorts`
of v1.23, whose node has a local endpoint). The Node objects, with an address a client dials,
are hand-made: the proxier tests have none (name from the test's hostname, address chosen)."""

from __future__ import annotations

import json
from pathlib import Path

from k8snet_tui.domain.model import ClusterState, NodeState, Observed
from k8snet_tui.domain.path import diagnose

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "realworld"


def _observed(fid: str, node_ip: str) -> Observed:
    meta = json.loads((FIX / f"{fid}.json").read_text())
    node = {"kind": "Node", "metadata": {"name": meta["node"]},
            "status": {"addresses": [{"type": "InternalIP", "address": node_ip}]}}
    state = NodeState(node=meta["node"], iptables={"nft": (FIX / f"{fid}.iptables-save.txt").read_text()})
    return Observed(cluster=ClusterState.from_objects([*meta["objects"], node]), nodes={meta["node"]: state},
                    local_node=meta["node"])


def test_outside_to_a_local_nodeport_on_a_node_without_endpoints_fails_the_datapath():
    d = diagnose(_observed("v1.36-overall", "192.168.0.2"), "outside", "192.168.0.2:3001")
    assert d.hop("service").verdict == "ok" and "NodePort 3001 of Service ns2/svc2" in d.hop("service").summary
    assert d.hop("endpoints").verdict == "ok"
    assert d.first_failure.hop == "datapath"
    assert "externalTrafficPolicy Local" in d.first_failure.summary
    assert "externalTrafficPolicy: Cluster" in d.first_failure.fix


def test_a_pod_on_that_node_still_gets_through_the_cluster_path():
    # kube-proxy sends pod- and node-sourced traffic of a Local NodePort to the cluster chain
    d = diagnose(_observed("v1.36-overall", "192.168.0.2"), "node/test-node", "172.30.0.42:80")
    assert d.hop("datapath").verdict == "ok", d.hop("datapath")


def test_outside_to_a_local_nodeport_on_a_node_with_an_endpoint_is_ok():
    d = diagnose(_observed("v1.23-only-local-nodeports", "192.168.0.3"), "outside", "192.168.0.3:3001")
    dp = d.hop("datapath")
    assert dp.verdict == "ok", dp
    assert "10.180.2.1" in " ".join(e.text for e in dp.evidence)  # the local endpoint only

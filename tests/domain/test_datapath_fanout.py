"""The trace stays linear on the fan-out dump: N service-chain rules into one endpoint chain of N rules.

Counts, not timings: each endpoint chain's rules are listed once, the rules into it add up to
one endpoint with the whole share, and the step list is capped with a finding.
"""

from collections import Counter

import pytest

from k8snet_tui.domain.datapath import trace_model
from k8snet_tui.domain.model import ClusterState, NodeState
from k8snet_tui.domain.services import trace_service

from bench.gen.fanout import NAME, NAMESPACE, POD_IP, fanout_iptables, fanout_nft, fanout_objects

N = 4000


def _node(mode, n):
    if mode == "iptables":
        return NodeState(node="n", iptables={"legacy": fanout_iptables(n)})
    return NodeState(node="n", nft_ruleset=fanout_nft(n))


@pytest.mark.parametrize("mode", ["iptables", "nftables"])
def test_fanout_walks_the_endpoint_chain_once(mode):
    port = trace_service(ClusterState.from_objects(fanout_objects()), _node(mode, N), NAMESPACE, NAME).ports[0]
    assert [(e.address, e.port, e.in_kernel, e.in_api) for e in port.endpoints] == [(POD_IP, 80, True, True)]
    assert port.endpoints[0].share == pytest.approx(1.0)
    # N balancing rules + N endpoint-chain rules + the entry (rule or map element); no N^2.
    assert 2 * N <= len(port.steps) <= 2 * N + 5
    per_chain = Counter(s.chain for s in port.steps if s.chain.startswith(("KUBE-SEP-", "endpoint-")))
    assert list(per_chain.values()) == [N]  # one endpoint chain, each of its rules once
    assert "trace-truncated" not in {f.code for f in port.findings}


@pytest.mark.parametrize("mode", ["iptables", "nftables"])
def test_step_cap_gives_a_finding_and_keeps_the_shares(mode, monkeypatch):
    cluster, node = ClusterState.from_objects(fanout_objects()), _node(mode, N)
    whole = len(trace_service(cluster, node, NAMESPACE, NAME).ports[0].steps)
    monkeypatch.setattr(trace_model, "MAX_STEPS", 500)
    port = trace_service(cluster, node, NAMESPACE, NAME).ports[0]
    assert len(port.steps) == 500
    (cut,) = [f for f in port.findings if f.code == "trace-truncated"]
    assert "after 500;" in cut.message and f" {whole - 500:,} more " in cut.message
    assert port.endpoints[0].share == pytest.approx(1.0)

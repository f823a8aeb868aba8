"""`--node NAME` on a live cluster: that node's state through its agent, never this machine's
probe relabelled; this machine's probe only when this machine is that node; otherwise exit 4
with what is missing. (The real thing: tests/cluster/test_nodes_exec.py.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from k8snet_tui.domain.model import ClusterState, NodeState, Observed
from k8snet_tui.errors import EXIT_NODE_STATE, NodeStateUnavailable, UsageError
from k8snet_tui.observe import _with_node
from k8snet_tui.sources.node_exec import NodeStateResult


def node(name: str, ip: str) -> dict:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
            "status": {"addresses": [{"type": "InternalIP", "address": ip}]}}


def state(name: str, ip: str) -> NodeState:
    return NodeState(node=name, addresses=({"ifname": "eth0", "addr_info": [{"local": ip, "prefixlen": 20}]},),
                     iptables={"legacy": f"# {name}\n"}, source="probe")


@dataclass
class FakeSession:
    results: dict[str, NodeStateResult]
    asked: list[str] = field(default_factory=list)

    def node_state(self, name: str, *, refresh: bool = False) -> NodeStateResult:
        self.asked.append(name)
        return self.results[name]


CLUSTER = ClusterState.from_objects([node("node-1", "172.31.24.84"), node("node-2", "172.31.24.122")])
OBSERVED = Observed(cluster=CLUSTER, nodes={}, local_node="laptop", mode="live")


def test_the_node_read_through_its_agent_is_the_one_every_command_reads():
    remote = state("node-2", "172.31.24.122")
    session = FakeSession({"node-2": NodeStateResult("node-2", state=remote, fetched_at=1.0, source="agent x")})
    probed: list[str] = []
    out = _with_node(OBSERVED, session, "node-2", lambda: probed.append("local") or state("laptop", "192.0.2.9"))
    assert out.local is remote and out.local_node == "node-2"
    assert probed == []  # this machine's probe was not run at all


def test_without_the_agent_the_command_stops_with_what_is_missing(capsys):
    why = ("node node-2's state could not be read through agent-x: exec into the agent pod is forbidden for you: "
           "ask for the Role from `k8snet agent manifest --reader-role`")
    session = FakeSession({"node-2": NodeStateResult("node-2", error=why, fetched_at=1.0)})
    with pytest.raises(NodeStateUnavailable) as caught:
        _with_node(OBSERVED, session, "node-2", lambda: state("laptop", "192.0.2.9"))
    assert caught.value.exit_code == EXIT_NODE_STATE == 4
    assert "forbidden" in str(caught.value) and "--reader-role" in str(caught.value)


def test_this_machines_probe_stands_in_only_when_this_machine_is_that_node(capsys):
    why = "node node-2's state is missing: no k8snet agent runs in namespace k8snet-agent"
    session = FakeSession({"node-2": NodeStateResult("node-2", error=why, fetched_at=1.0)})
    mine = state("ip-172-31-24-122", "172.31.24.122")  # the hostname differs from the node name
    out = _with_node(OBSERVED, session, "node-2", lambda: mine)
    assert out.local.node == "node-2" and out.local.iptables == mine.iptables
    err = capsys.readouterr().err
    assert "no k8snet agent" in err and "172.31.24.122" in err and "its own probe" in err


def test_an_unknown_node_is_a_usage_error_naming_the_nodes():
    with pytest.raises(UsageError) as caught:
        _with_node(OBSERVED, FakeSession({}), "node-9", None)
    assert caught.value.exit_code == 2 and "node-1, node-2" in str(caught.value)

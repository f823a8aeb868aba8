"""The node picker's model: every node, whether its state is here (and how, how old), or why
not in a few words; where the picker starts; the one-line notice of a node pane."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass

import pytest

from k8snet_tui.domain.model import ClusterState, NodeState, Observed
from k8snet_tui.present.node_picker import NOT_READ, age_words, missing_notice, present_nodes
from k8snet_tui.sources.node_exec import REASONS, NodeStateResult

from tests.present.fixtures import node_obj, pod

NOW = 1_000_000.0
CLUSTER = ClusterState.from_objects([
    node_obj("node-1", "172.31.24.84", "10.0.0.0/24"), node_obj("node-2", "172.31.24.122", "10.0.1.0/24"),
    node_obj("node-3", "172.31.24.130", "10.0.2.0/24"), node_obj("node-4", "172.31.24.131", "10.0.3.0/24"),
    pod("default", "client", "10.0.1.6", node="node-2"), pod("default", "web", "10.0.0.2", node="node-1")])
LOCAL = NodeState(node="node-1", source="probe", captured_at=NOW - 3)
LIVE = Observed(cluster=CLUSTER, nodes={"node-1": LOCAL}, local_node="node-1", mode="live")


def result(node: str, **kw) -> NodeStateResult:
    return NodeStateResult(node, fetched_at=kw.pop("fetched_at", NOW - 75), **kw)


READINGS = {
    "node-2": result("node-2", state=NodeState(node="node-2"), source="agent k8snet-agent/a-2 via pods/exec"),
    "node-3": result("node-3", error="exec into the agent pod is forbidden for you: ...", reason="forbidden"),
    "node-4": None,
}


def test_each_node_says_whether_its_state_is_here_how_and_how_old():
    model = present_nodes(LIVE, READINGS, shown="node-1", now=NOW)
    rows = {r.name: r for r in model.rows}
    assert [r.name for r in model.rows] == ["node-1", "node-2", "node-3", "node-4"]
    assert (rows["node-1"].here, rows["node-1"].where, rows["node-1"].age, rows["node-1"].shown) == \
        (True, "local probe", "3s", True)
    assert (rows["node-2"].here, rows["node-2"].where, rows["node-2"].age) == (True, "agent", "1m")
    assert (rows["node-3"].here, rows["node-3"].why) == (False, "exec forbidden")
    assert "forbidden" in rows["node-3"].detail
    assert (rows["node-4"].here, rows["node-4"].why) == (False, NOT_READ)
    assert rows["node-1"].cells() == ("▶ node-1", "✔ local probe", "3s")
    assert rows["node-3"].cells() == ("  node-3", "✖ exec forbidden", "1m")


def test_it_starts_on_the_selected_pods_node():
    model = present_nodes(LIVE, READINGS, shown="node-1", selected_pod="default/client", now=NOW)
    assert model.default == "node-2" and model.rows[0].name == "node-2"
    assert model.default_why == "the node of pod default/client" and model.rows[0].pod_node
    assert model.rows[0].cells()[0] == "  node-2 (pod's)"


def test_else_on_the_node_shown_then_on_the_node_k8snet_runs_on_or_the_snapshots():
    assert present_nodes(LIVE, READINGS, shown="node-3", now=NOW).default_why == "the node shown now"
    own = present_nodes(LIVE, READINGS, shown="node-1", selected_pod="default/gone", now=NOW)
    assert (own.default, own.default_why) == ("node-1", "the node k8snet runs on")
    snap = Observed(cluster=CLUSTER, nodes={"node-1": NodeState(node="node-1", source="snapshot:lab")},
                    local_node="node-1", mode="snapshot")
    model = present_nodes(snap, {"node-2": result("node-2", error="no state", reason="snapshot")}, shown="node-1",
                          now=NOW)
    assert model.default_why == "the snapshot's node"
    assert model.row("node-1").where == "snapshot" and model.row("node-2").why == "not in the snapshot"


def test_every_reason_word_has_words_and_something_to_do():
    for reason in REASONS:
        if reason == "other-version":
            continue
        line = missing_notice("node-2", result("node-2", error="x", reason=reason), instead="node-1",
                              instead_where="local probe")
        assert line.startswith("⚠ node node-2's state is missing (") and "showing node-1's (local probe)" in line
        assert "To have it: " in line and not line.endswith("To have it: ")


def test_the_notice_says_which_node_is_missing_and_what_to_apply():
    line = missing_notice("node-2", result("node-2", error="...", reason="no-agents"), instead="node-1",
                          instead_where="local probe")
    assert line == ("⚠ node node-2's state is missing (no agent in the cluster); showing node-1's (local probe) "
                    "instead. To have it: apply `k8snet agent manifest | kubectl apply -f -`")
    assert missing_notice("node-2", None, instead="node-1", instead_where="snapshot", reading_now=True).startswith(
        "⏳ reading node node-2's state")


def test_an_agent_of_another_version_is_here_and_says_so():
    old = result("node-2", state=NodeState(node="node-2"), source="agent a via pods/exec", reason="other-version",
                 notes=("the agent on node node-2 is k8snet 0.0.1",))
    row = present_nodes(LIVE, {"node-2": old}, shown="node-1", now=NOW).row("node-2")
    assert row.here and row.why == "other version" and "0.0.1" in row.detail
    assert row.cells()[1] == "✔ agent (other version)"


def test_hostile_node_names_are_cleaned():
    cluster = ClusterState.from_objects([node_obj("evil\x1b]8;;x\x07[red]n", "10.1.1.1", "10.9.0.0/24")])
    model = present_nodes(Observed(cluster=cluster), {}, shown="", now=NOW)
    assert all("\x1b" not in r.name and "\x07" not in r.name for r in model.rows)


def test_the_model_is_frozen_and_typed():
    model = present_nodes(LIVE, READINGS, shown="node-1", now=NOW)
    with pytest.raises(FrozenInstanceError):
        model.default = "x"  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        model.rows[0].here = False  # type: ignore[misc]


@pytest.mark.parametrize(("seconds", "words"), [(None, ""), (0.4, "0s"), (59, "59s"), (60, "1m"), (3599, "59m"),
                                                (3600, "1h"), (86400 * 3, "3d")])
def test_ages_in_few_characters(seconds, words):
    assert age_words(seconds) == words


@dataclass(frozen=True)
class OtherReading:  # any object with the reading's fields will do (a test fake, a future source)
    node: str
    state: NodeState | None = None
    error: str = ""
    source: str = ""
    fetched_at: float = 0.0
    reason: str = ""
    notes: tuple[str, ...] = ()


def test_readings_are_a_protocol_not_the_source_type():
    row = present_nodes(LIVE, {"node-2": OtherReading("node-2", error="gone", reason="timeout")}, shown="node-1",
                        now=NOW).row("node-2")
    assert row.why == "timeout" and row.detail == "gone"


def test_a_reader_who_may_not_list_nodes_sees_where_pods_run():
    pods_only = ClusterState.from_objects([pod("default", "client", "10.0.1.6", node="node-2"),
                                           pod("default", "web", "10.0.0.2", node="node-1")])
    observed = Observed(cluster=pods_only, nodes={}, local_node="laptop", mode="live")
    model = present_nodes(observed, {}, shown="laptop", now=NOW)
    assert [r.name for r in model.rows] == ["laptop", "node-1", "node-2"]
    assert model.row("node-2").why == NOT_READ


def test_a_machine_that_is_not_a_node_is_told_how_to_read_one():
    from k8snet_tui.present.node_picker import not_a_node_notice

    laptop = Observed(cluster=CLUSTER, nodes={}, local_node="laptop", mode="live")
    assert "this machine (laptop) is not one of the cluster's nodes" in not_a_node_notice(laptop)
    assert "k8snet agent manifest | kubectl apply -f -" in not_a_node_notice(laptop)
    assert not_a_node_notice(LIVE) == ""  # node-1 is a node
    assert not_a_node_notice(Observed(cluster=CLUSTER, local_node="laptop", mode="snapshot")) == ""

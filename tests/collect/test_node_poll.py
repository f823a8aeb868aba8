"""NodePoller keeps the previous reading next to the current one (for per-rule packet deltas)."""

from __future__ import annotations

import pytest

from k8snet_tui.collect.node_poll import NodePoller
from k8snet_tui.collect.session import LiveSession, SnapshotSession
from k8snet_tui.domain.model import NodeState
from k8snet_tui.sources.snapshot import load_snapshot


def readings(*texts: str):
    it = iter(NodeState(node="n1", iptables={"legacy": t}) for t in texts)
    return lambda: next(it)


def test_previous_and_current_shift_on_each_poll() -> None:
    poller = NodePoller(readings("one", "two", "three"), interval=5.0)
    assert poller.current is None and poller.previous is None and poller.polls == 0
    first = poller.poll()
    assert poller.current is first and poller.previous is None
    second = poller.poll()
    assert poller.previous is first and poller.current is second
    poller.poll()
    assert poller.previous is second and poller.current.iptables["legacy"] == "three"
    assert poller.polls == 3 and poller.interval == 5.0


def test_a_failing_read_keeps_the_last_good_state() -> None:
    def boom() -> NodeState:
        raise RuntimeError("probe died")

    poller = NodePoller(readings("one"))
    good = poller.poll()
    poller._read = boom
    with pytest.raises(RuntimeError):
        poller.poll()
    assert poller.current is good and poller.polls == 1


class _NoCluster:
    def list_page(self, *a, **k):  # pragma: no cover - never called in these tests
        raise AssertionError("no API calls expected")

    watch = list_page


def test_live_session_version_moves_with_store_and_polls() -> None:
    session = LiveSession(_NoCluster(), "ctx", read_node=readings("a", "b"), local_node="n1")
    v0 = session.version
    session.poller.poll()
    assert session.version > v0
    v1 = session.version
    session.store.replace_kind("Pod", [{"kind": "Pod", "metadata": {"name": "p", "uid": "1"}}])
    assert session.version > v1
    obs = session.observed()
    assert obs.mode == "live" and obs.local.iptables == {"legacy": "a"}
    assert len(obs.cluster.of("Pod")) == 1
    assert session.label == "LIVE ctx"


def test_snapshot_session_namespace_bumps_version() -> None:
    session = SnapshotSession(load_snapshot("lab"))
    v = session.version
    session.with_namespace("kube-system")
    assert session.version == v + 1
    obs = session.observed()
    assert obs.cluster.namespace == "kube-system" and obs.mode == "snapshot"
    assert all(o["metadata"]["namespace"] == "kube-system" for o in obs.cluster.in_namespace("Service"))


def _addressed(node: str, address: str) -> NodeState:
    return NodeState(node=node, iptables={"legacy": "x"},
                     addresses=[{"ifname": "eth0", "addr_info": [{"family": "inet", "local": address}]}])


def test_relabelled_local_probe_keeps_this_machines_name_and_stands_in_for_its_node_by_address() -> None:
    # `k8snet --node node-2` on a machine called "laptop": the probe's state is shown as laptop's,
    # never as node-2's; node-2 is read through its agent, and only if this machine *is* node-2
    # (one of node-2's addresses is on its interfaces) does the probe answer when no agent does.
    session = LiveSession(_NoCluster(), "ctx", read_node=lambda: _addressed("node-2", "172.31.9.2"),
                          local_node="node-2")
    session.relabel_local("laptop")
    session.poller.poll()
    obs = session.observed()
    assert obs.local_node == "laptop" and set(obs.nodes) == {"laptop"}
    session.store.replace_kind("Node", [
        {"kind": "Node", "metadata": {"name": "node-2", "uid": "2"},
         "status": {"addresses": [{"type": "InternalIP", "address": "172.31.9.2"}]}},
        {"kind": "Node", "metadata": {"name": "node-3", "uid": "3"},
         "status": {"addresses": [{"type": "InternalIP", "address": "172.31.9.3"}]}}])
    here = session.node_state("node-2")  # no API connection here: the agent read fails
    assert here.ok and here.state.node == "node-2" and here.source == "local probe"
    elsewhere = session.node_state("node-3")
    assert not elsewhere.ok and "pods/exec" in elsewhere.error

"""`N`, the node picker, driven with Pilot at 80x24 and read off the rendered screen.

On the bundled lab (one node captured): node-2 is listed as not in the snapshot, and picking it
makes every node pane say so, with what to apply, while it shows node-1's state. With a session
whose node-2 is read "through an agent" (a fake standing in for pods/exec, with node-2's own
rules: one endpoint chain renamed), the Services trace runs on node-2's rules.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace

from k8snet_tui.app import make_app
from k8snet_tui.collect.session import SnapshotSession
from k8snet_tui.config import Settings
from k8snet_tui.domain.model import NodeState
from k8snet_tui.sources.node_exec import NodeStateResult
from k8snet_tui.sources.snapshot import load_snapshot

from tests import lab_roles as roles
from tests.ui.conftest import screen_text, screen_words, settle

NODE1_CHAIN = roles.sep_chain(roles.svc_endpoints_in_rule_order()[0])  # website's first endpoint in node-1's rules
NODE2_CHAIN = "KUBE-SEP-ONNODE2ONLYXXXXX"  # the same endpoint's chain in node-2's (made-up) rules
APPLY = "k8snet agent manifest | kubectl apply -f -"


@dataclass
class AgentLab(SnapshotSession):
    """The lab, whose node-2 is read through an "agent" (after `gate` opens) and node-3 is forbidden."""

    gate: threading.Event = field(default_factory=threading.Event)
    asked: list[tuple[str, bool]] = field(default_factory=list)
    _held: dict[str, NodeStateResult] = field(default_factory=dict)

    def node_state(self, name: str, *, refresh: bool = False) -> NodeStateResult:
        self.asked.append((name, refresh))
        if name in self.snapshot.nodes:
            return super().node_state(name)
        if name == "node-2":
            assert self.gate.wait(20), "the test never opened the gate"
            own = self.snapshot.nodes["node-1"]
            rules = {k: v.replace(NODE1_CHAIN, NODE2_CHAIN) for k, v in own.iptables.items()}
            state: NodeState = replace(own, node="node-2", iptables=rules, source="agent")
            result = NodeStateResult("node-2", state=state, fetched_at=__import__("time").time(),
                                     source="agent k8snet-agent/k8snet-agent-x2 via pods/exec")
        else:
            result = NodeStateResult(name, fetched_at=__import__("time").time(), reason="forbidden",
                                     error=f"node {name}'s state could not be read through k8snet-agent-x3: exec "
                                           "into the agent pod is forbidden for you: ask for the Role from "
                                           "`k8snet agent manifest --reader-role`")
        self._held[name] = result
        return result

    def cached_node_state(self, name: str) -> NodeStateResult | None:
        return super().node_state(name) if name in self.snapshot.nodes else self._held.get(name)


def lab_app(tmp_path, session=None):
    session = session or SnapshotSession(load_snapshot("lab"), banner="SNAPSHOT lab (node picker test)")
    return make_app(Settings(offline=True), session, save_dir=str(tmp_path / "saved"))


def agent_lab() -> AgentLab:
    snap = load_snapshot("lab")
    cluster = snap.cluster
    node3 = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-3"},
             "status": {"addresses": [{"type": "InternalIP", "address": "172.31.24.130"}]}}
    snap = replace(snap, cluster=replace(cluster, objects={**cluster.objects,
                                                           "Node": (*cluster.of("Node"), node3)}))
    return AgentLab(snap, banner="SNAPSHOT lab (agent fake)")


async def pick(pilot, *keys: str) -> None:
    await pilot.press("N")
    await settle(pilot)
    await pilot.press(*keys, "enter")
    await settle(pilot)


async def test_N_lists_every_node_with_whether_its_state_is_here(tmp_path, monkeypatch):
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    app = lab_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "node-1 snapshot" in screen_text(app).splitlines()[0]  # the header's node badge
        await pilot.press("N")
        await settle(pilot)
        text = screen_text(app)
        lines = text.splitlines()
        assert len(lines) == 24 and all(len(ln) <= 80 for ln in lines)
        row1 = next(ln for ln in lines if "node-1" in ln and "✔" in ln)
        row2 = next(ln for ln in lines if "node-2" in ln and "✖" in ln)
        assert "▶ node-1" in row1 and "✔ snapshot" in row1
        assert "✖ not in the snapshot" in row2
        assert "starts on the snapshot's node" in text
        await pilot.press("escape")
        await settle(pilot)
        assert "not in the snapshot" not in screen_text(app)
        assert "node-1 snapshot" in screen_text(app).splitlines()[0]


async def test_a_missing_node_is_named_on_every_node_pane_with_what_to_apply(tmp_path, monkeypatch):
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    app = lab_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pick(pilot, "down")  # node-2
        assert "node-2 missing" in screen_text(app).splitlines()[0]
        for key in ("4", "2", "3"):
            await pilot.press(key)
            await settle(pilot)
            words = screen_words(app)
            assert "⚠ node node-2's state is missing (not in the snapshot); showing node-1's (snapshot) instead" \
                in words, (key, screen_text(app))
            assert APPLY in words, (key, screen_text(app))
        await pilot.press("2")
        await settle(pilot)
        assert "node node-1" in screen_words(app)  # Host falls back to the state the snapshot has
        await pilot.press("5")  # DNS reads no node's datapath: nothing to say there
        await settle(pilot)
        assert "node-2's state is missing" not in screen_words(app)
        assert len(screen_text(app).splitlines()[:2]) == 2 and "node-2 missing" in screen_text(app).splitlines()[0]
        # back to the snapshot's own node: the first entry of the picker now
        await pick(pilot, "home")
        await pilot.press("4")
        await settle(pilot)
        assert "missing" not in screen_words(app)
        assert "node-1 snapshot" in screen_text(app).splitlines()[0]


async def test_the_trace_runs_on_the_picked_nodes_rules_read_off_the_ui_thread(tmp_path, monkeypatch):
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    session = agent_lab()
    app = lab_app(tmp_path, session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("N")
        await settle(pilot)
        assert "not read yet" in screen_text(app)
        await pilot.press("down", "enter")  # node-2: the read waits on the gate, the UI does not
        await pilot.pause()
        text = screen_text(app)
        assert "node-2 reading" in text.splitlines()[0]
        assert "reading node node-2's state through its agent pod" in screen_words(app)
        await pilot.press("2")  # the app answers keys while the node is read
        await pilot.pause()
        assert "2 Host/VPC" in screen_text(app).splitlines()[0]
        session.gate.set()
        await settle(pilot)
        header = screen_text(app).splitlines()[0]
        assert "node-2 agent 0s" in header or "node-2 agent 1s" in header, header
        assert "node node-2's state read (agent" in screen_words(app)
        assert "node node-2" in screen_words(app)  # Host shows node-2's state
        await pilot.press("colon", *"trace default/website", "enter")
        await settle(pilot)
        words = screen_words(app)
        assert "on node node-2" in words
        trace = app.query_one("#svc-trace").plain_text()
        assert NODE2_CHAIN in trace and NODE1_CHAIN not in trace
        # Picking it again reads it again (refresh); the picker shows it held, by the agent
        await pilot.press("N")
        await settle(pilot)
        row = next(ln for ln in screen_text(app).splitlines() if "node-2" in ln and "✔" in ln)
        assert "▶ node-2" in row and "✔ agent" in row
        await pilot.press("escape")
        await settle(pilot)
    assert session.asked == [("node-2", False)]


async def test_a_forbidden_node_says_what_to_ask_for_and_other_nodes_go_on(tmp_path, monkeypatch):
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    session = agent_lab()
    session.gate.set()
    app = lab_app(tmp_path, session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pick(pilot, "down", "down")  # node-3
        words = screen_words(app)
        assert "node node-3's state is missing (exec forbidden)" in words
        assert "k8snet agent manifest --reader-role" in words
        await pilot.press("N")
        await settle(pilot)
        row3 = next(ln for ln in screen_text(app).splitlines() if "node-3" in ln and "✖" in ln)
        assert "✖ exec forbidden" in row3
        await pilot.press("escape")
        await settle(pilot)
        await pick(pilot, "down")  # node-2 still reads
        assert "on node node-2" in screen_words(app) or "node-2 agent" in screen_text(app).splitlines()[0]
        assert "missing" not in screen_text(app).splitlines()[0]


async def test_the_picker_starts_on_the_selected_pods_node(tmp_path, monkeypatch):
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    app = lab_app(tmp_path, agent_lab())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        table = app.query_one("#pods-table")
        table.focus()
        on_node2 = roles.pod_on("node-2", namespace="default")  # a pod the scheduler put on node-2
        table.move_cursor(row=table.get_row_index(on_node2))
        await settle(pilot)
        await pilot.press("N")
        await settle(pilot)
        text = screen_text(app)
        assert f"starts on the node of pod {on_node2}" in screen_words(app)
        assert "node-2 (pod's)" in text
        await pilot.press("enter")  # the highlighted row: node-2
        await settle(pilot)
        assert "node-2" in screen_text(app).splitlines()[0]


async def test_the_monkey_reaches_the_node_picker():
    from tests.ui.test_monkey import vocabulary

    assert "N" in vocabulary()
    app = make_app(Settings(offline=True), SnapshotSession(load_snapshot("lab")))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "Node" in [c.title for c in app.get_system_commands(app.screen)]


@dataclass
class NoAgentLive(SnapshotSession):
    """A live-looking session on a laptop (not a node) in a cluster where no agent runs."""

    def observed(self):
        import time

        base = super().observed()
        here = NodeState(node="laptop", source="probe", captured_at=time.time(), hostname="laptop")
        return replace(base, mode="live", local_node="laptop", nodes={"laptop": here})

    def node_state(self, name: str, *, refresh: bool = False) -> NodeStateResult:
        return NodeStateResult(name, fetched_at=1.0, reason="no-agents",
                               error=f"node {name}'s state is missing: no k8snet agent runs in namespace "
                                     "k8snet-agent (no DaemonSet, or you cannot see its pods): apply it with "
                                     "`k8snet agent manifest | kubectl apply -f -`")

    def cached_node_state(self, name: str) -> NodeStateResult | None:
        return None


async def test_no_agent_every_node_pane_says_what_to_apply_and_shows_the_local_probe(tmp_path, monkeypatch):
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    app = lab_app(tmp_path, NoAgentLive(load_snapshot("lab")))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "laptop local probe" in screen_text(app).splitlines()[0]
        hint = ("ⓘ this machine (laptop) is not one of the cluster's nodes: N reads a node through its agent pod "
                f"(if none runs: apply `{APPLY}`)")
        assert hint in screen_words(app), screen_text(app)
        await pick(pilot, "down", "down")  # laptop, node-1, node-2
        for key in ("4", "2", "3"):
            await pilot.press(key)
            await settle(pilot)
            words = screen_words(app)
            assert ("⚠ node node-2's state is missing (no agent in the cluster); showing laptop's (local probe) "
                    f"instead. To have it: apply `{APPLY}`") in words, (key, screen_text(app))
        await pilot.press("4")
        await settle(pilot)
        assert "Node laptop:" in screen_words(app)  # the local probe's state, said as such
        await pilot.press("5")
        await settle(pilot)
        words = screen_words(app)  # (the toast of the read may still be up: it is not the pane's notice)
        assert "state is missing (no agent" not in words and "not one of the cluster's nodes" not in words


async def test_hostile_node_names_show_as_their_characters(tmp_path, monkeypatch):
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    snap = load_snapshot("lab")
    evil = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "[bold]evil\x1b[31m\x07[/bold]"}}
    snap = replace(snap, cluster=replace(snap.cluster, objects={**snap.cluster.objects,
                                                                "Node": (*snap.cluster.of("Node"), evil)}))
    app = lab_app(tmp_path, SnapshotSession(snap, banner="hostile"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("N")
        await settle(pilot)
        text = screen_text(app)
        shown = "[bold]evil\ufffd[31m\ufffd[/bold]"  # each control character replaced, the markup kept as text
        assert shown in text and "\x1b" not in text and "\x07" not in text, text
        await pilot.press("down", "enter")  # pick it (after node-1): the notice says the name inert
        await settle(pilot)
        text = screen_text(app)
        assert f"node {shown}'s state is missing" in " ".join(text.split()), text
        assert "\x1b" not in text


class InlineJobs:
    """A JobRunner stand-in that runs the work at once (NodeChoice's own rules, no app)."""

    def __init__(self) -> None:
        self.started: list[str] = []

    def start(self, name, work, done, *, failed=None, description=""):
        self.started.append(description)
        done(work())


def test_a_held_state_is_shown_at_once_when_fresh_and_read_again_when_stale():
    import time

    from k8snet_tui.screens.node_picker import NodeChoice

    session = agent_lab()
    session.gate.set()
    notes: list[str] = []
    choice = NodeChoice(session, lambda message, **kw: notes.append(message))
    jobs = InlineJobs()
    own = session.observed()
    session._held["node-2"] = NodeStateResult("node-2", state=NodeState(node="node-2"), source="agent x",
                                              fetched_at=time.time() - 5)
    choice.pick("node-2", jobs, lambda: None)
    assert jobs.started == [] and session.asked == [] and choice.shown(own) == "node-2"
    choice.back_to_own(lambda: None)
    session._held["node-2"] = replace(session._held["node-2"], fetched_at=time.time() - 600)
    choice.pick("node-2", jobs, lambda: None)
    assert jobs.started == ["node node-2's state"] and session.asked == [("node-2", False)]
    assert choice.badge(own).startswith("node node-2 agent")
    choice.pick("node-2", jobs, lambda: None)  # the node shown, picked again: read afresh
    assert session.asked[-1] == ("node-2", True)


async def test_started_with_a_node_it_is_picked_as_with_N(tmp_path, monkeypatch):
    # `k8snet --node node-2` on a live cluster: node-2 is read through its agent from the start
    # (the local probe keeps this machine's name); the header and the trace say node-2.
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    session = agent_lab()
    session.gate.set()
    app = make_app(Settings(offline=True), session, save_dir=str(tmp_path / "saved"), start_node="node-2")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        header = screen_text(app).splitlines()[0]
        assert "node-2 agent" in header, header
        await pilot.press("colon", *"trace default/website", "enter")
        await settle(pilot)
        assert "on node node-2" in screen_words(app)
        trace = app.query_one("#svc-trace").plain_text()
        assert NODE2_CHAIN in trace and NODE1_CHAIN not in trace
    assert session.asked[0] == ("node-2", False)

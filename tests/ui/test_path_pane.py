"""Pane 8 on the rendered screen at 80x24: the source defaults to a pod, a destination typed in
the box gives the chain of hops (✓ ✗ ?), the first failure marked and opened, the hops after it
shown; enter on a hop opens the pane that shows it and esc comes back; `c` says why no real
attempt is made from a snapshot; cluster text stays inert."""

from __future__ import annotations

from k8snet_tui.sources.snapshot import bundled_lab_path

from tests import lab_roles as roles
from tests.ui.conftest import screen_text, screen_words
from tests.ui.conftest import settle as _settle

LAB = str(bundled_lab_path())
ON_NODE_1 = roles.website_pod()  # a website pod on node-1, the node whose state the lab holds
OFF_NODE = roles.pod_on(roles.other_node(), namespace="default")  # a pod on node-2: no state captured
WEBSITE_IP = roles.cluster_ip("default", "website")


async def settle(pilot) -> None:
    """The shared settle, then one more frame: the chain grows when a hop opens, and the screen
    is read after the layout that growth asks for."""
    await _settle(pilot)
    await pilot.pause(0.05)
    await _settle(pilot)


async def _ask(app, pilot, src: str | None, dst: str) -> None:
    await settle(pilot)
    await pilot.press("8")
    await settle(pilot)
    if src is not None:
        await pilot.press("s")
        box = app.query_one("#path-src")
        box.value = ""
        await pilot.press(*src)
    await pilot.press("escape")  # out of the source box, back on the chain
    await pilot.press("d")
    await settle(pilot)
    await pilot.press(*dst, "enter")
    await settle(pilot)


async def test_a_working_path_shows_every_hop_ok_at_80x24(make_lab_app):
    app = make_lab_app(snapshot=LAB)
    async with app.run_test(size=(80, 24)) as pilot:
        await _ask(app, pilot, ON_NODE_1, "website:80")
        text = screen_text(app)
        assert f"✓ reachable: dials {WEBSITE_IP}:80" in text
        for hop in ("dns", "service", "endpoints", "port", "datapath", "network", "policy"):
            assert f"✓ {hop}" in text, hop
        assert "✗" not in text.split("reachable", 1)[1]


async def test_the_first_failure_is_marked_and_opened_and_later_hops_still_shown(make_lab_app):
    app = make_lab_app(snapshot=LAB)
    async with app.run_test(size=(80, 24)) as pilot:
        await _ask(app, pilot, ON_NODE_1, "website:8080")
        text = screen_text(app)
        assert "the service hop fails" in text
        assert "✗ service" in text and "◀ first" in text
        assert "fix: Service default/website has no port 8080" in text  # opened by itself
        assert "? network" in text  # after the failure, still listed


async def test_space_opens_a_hop_and_enter_opens_its_pane_with_esc_back(make_lab_app):
    app = make_lab_app(snapshot=LAB)
    async with app.run_test(size=(80, 24)) as pilot:
        await _ask(app, pilot, ON_NODE_1, "website:80")
        await pilot.press("space")  # the cursor starts on dns
        await settle(pilot)
        assert f"A website.default.svc.cluster.local.: answer: {WEBSITE_IP}" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        text = screen_text(app)
        assert "5 DNS" in text and "website.default.svc.cluster.local" in text
        await pilot.press("escape")
        await settle(pilot)
        text = screen_text(app)
        assert "8 Path" in text and "✓ reachable" in text
        await pilot.press("down", "down", "down", "down", "enter")  # datapath: the trace
        await settle(pilot)
        text = screen_text(app)
        assert roles.svc_chain("default", "website", "http") in text
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert "8 Path" in screen_text(app)


async def test_a_node_without_state_is_unknown_with_the_reason(make_lab_app):
    app = make_lab_app(snapshot=LAB)
    async with app.run_test(size=(80, 24)) as pilot:
        await _ask(app, pilot, OFF_NODE, "website:80")
        text = screen_text(app)
        assert "? cannot tell" in text and "? datapath" in text
        await pilot.press("down", "down", "down", "down", "space")
        await settle(pilot)
        assert f"the snapshot holds no state of node {roles.other_node()}" in screen_words(app)


async def test_c_says_why_no_real_attempt_is_made_from_a_snapshot(make_lab_app):
    app = make_lab_app(snapshot=LAB)
    async with app.run_test(size=(80, 24)) as pilot:
        await _ask(app, pilot, ON_NODE_1, "website:80")
        await pilot.press("c")
        await settle(pilot)
        await settle(pilot)
        assert "check: not attempted: this is a snapshot" in screen_words(app)


async def test_bad_input_is_one_line_in_words(make_lab_app):
    app = make_lab_app(snapshot=LAB)
    async with app.run_test(size=(80, 24)) as pilot:
        await _ask(app, pilot, "default/nope", "website:80")
        assert "no pod default/nope" in screen_text(app)


async def test_colon_path_runs_in_the_pane(make_lab_app):
    app = make_lab_app(snapshot=LAB)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(":", *f"path {ON_NODE_1} engine:80", "enter")
        await settle(pilot)
        text = screen_text(app)
        assert "8 Path" in text and "✓ reachable" in text and "engine" in text


async def test_the_source_nodes_state_is_read_through_the_session(tmp_path, monkeypatch):
    """A pod on node-2, whose state the lab does not hold: the pane asks the session for it (as
    the node picker does) and judges the datapath on what comes back."""
    from dataclasses import replace

    from k8snet_tui.app import make_app
    from k8snet_tui.collect.session import SnapshotSession
    from k8snet_tui.config import Settings
    from k8snet_tui.sources.node_exec import NodeStateResult
    from k8snet_tui.sources.snapshot import load_snapshot

    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "none.toml"))
    snap = load_snapshot(LAB)
    other = roles.other_node()
    asked = []

    class Agent(SnapshotSession):
        def node_state(self, name, *, refresh=False):
            asked.append(name)
            if name == other:  # node-1's capture stands in for what an agent would read there
                return NodeStateResult(name, state=replace(snap.nodes[roles.captured_node()], node=other),
                                       source="agent")
            return super().node_state(name)

        def cached_node_state(self, name):
            return None

    app = make_app(Settings(offline=True), Agent(snap, banner="test"), save_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await _ask(app, pilot, OFF_NODE, "website:80")
        assert other in asked
        text = screen_text(app)
        assert "✓ datapath" in text and f"on {other}" in text


async def test_hostile_names_in_the_chain_stay_inert(tmp_path, monkeypatch):
    """Every label and annotation of the lab carries the injection corpus, and Services are named
    with it: the chain, its details and the notifications show it as typed, and nothing reaches
    the terminal as markup, a link or a control character."""
    import html
    import re

    from k8snet_tui.app import make_app
    from k8snet_tui.collect.session import SnapshotSession
    from k8snet_tui.config import Settings
    from k8snet_tui.sources.snapshot import load_snapshot

    from tests.support.hostile import FORBIDDEN_BYTES, hostile_lab

    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "none.toml"))
    app = make_app(Settings(offline=True), SnapshotSession(load_snapshot(hostile_lab(tmp_path))),
                   save_dir=str(tmp_path / "saved"))
    async with app.run_test(size=(160, 50)) as pilot:
        await _ask(app, pilot, ON_NODE_1, "10.96.200.1:80")  # the ClusterIP of evil-markup-[bold red]pwn[/]
        for key in ("space", "down", "space", "down", "space"):
            await pilot.press(key)
        await settle(pilot)
        svg = app.export_screenshot()
        assert "<a " not in svg
        text = html.unescape("".join(re.findall(r">([^<]*)</text>", svg))).replace("\xa0", " ")
        assert "evil-markup-[bold red]pwn[/]" in text
        assert not any(b in text for b in FORBIDDEN_BYTES)

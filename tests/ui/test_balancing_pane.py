"""Pane 9 on the rendered screen at 80x24: the lab's pending LoadBalancer Service says who would
allocate its address and why nobody does; with MetalLB objects the picture runs address ->
announcing node -> pods with shares; `s` draws the simulated counts beside the expected shares;
`m` says it needs a live cluster on a snapshot; `w` opens the why; `:balance` selects."""

from __future__ import annotations

from k8snet_tui.sources.snapshot import bundled_lab_path

from tests.support.metallb_lab import LB_IP, bundled_lb_addresses, emissary_http_rule, emissary_pods, metallb_lab
from tests.ui.conftest import press_and_settle, screen_text, screen_words, settle

LAB = str(bundled_lab_path())
POD = emissary_pods()[0][0]  # the lab's one emissary pod, from its EndpointSlice


async def _open(pilot) -> None:
    await settle(pilot)
    await press_and_settle(pilot, "9")


async def test_the_labs_pending_service_says_why_at_80x24(make_lab_app):
    real = bundled_lb_addresses()
    app = make_lab_app(snapshot=LAB)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot)
        words = screen_words(app)
        if real:  # a lab captured with its MetalLB: the picture starts at the real address
            assert f"{real[0]}:80/TCP" in screen_text(app) and "metallb" in words
            return
        assert "emissary/emissary-ingress" in words and "<pending>" in words
        assert "nobody allocates LoadBalancer addresses" in words
        assert "NodePort 31211" in words
        await press_and_settle(pilot, "s")
        assert "1,000 requests (seed 1): 0 answered, 1,000 lost" in screen_words(app)
        await press_and_settle(pilot, "m")
        assert "m counts on a live cluster" in screen_words(app)


async def test_metallb_picture_simulation_and_why(make_lab_app, tmp_path):
    app = make_lab_app(snapshot=str(metallb_lab(tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot)
        text = screen_text(app)
        assert f"{LB_IP}:80/TCP" in text and "layer2: node-1" in text
        assert "100.0% node-1" in text
        assert POD in text
        assert "simulated" not in text
        await press_and_settle(pilot, "s")
        text = screen_text(app)
        assert "expected" in text and "simulated" in text
        assert " 1000  " + POD in text  # one pod: every simulated request lands on it
        assert "1,000 answered, 0 lost" in screen_words(app)
        await press_and_settle(pilot, "w")
        words = screen_words(app)
        assert "Who gave the address: MetalLB's controller assigned" in words
        await press_and_settle(pilot, "p")
        assert f"{LB_IP}:443/TCP" in screen_text(app)


async def test_colon_balance_opens_the_pane_on_the_service(make_lab_app, tmp_path):
    app = make_lab_app(snapshot=str(metallb_lab(tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press_and_settle(pilot, ":", *"balance emissary/emissary-ingress --requests 200", "enter")
        text = screen_text(app)
        assert f"{LB_IP}:80/TCP" in text
        assert "  200  " + POD in text


async def test_m_counts_per_pod_since_it_was_pressed_on_a_live_session(tmp_path, monkeypatch):
    """A live session whose node polls show the emissary pod's DNAT counter moving: after `m`,
    the picture counts what the announcing node's counter gained since the key was pressed."""
    from dataclasses import dataclass, replace

    from k8snet_tui.app import make_app
    from k8snet_tui.config import Settings
    from k8snet_tui.domain.model import Observed
    from k8snet_tui.sources.snapshot import load_snapshot

    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "no-config.toml"))
    snap = load_snapshot(str(metallb_lab(tmp_path)))
    node = snap.nodes["node-1"]
    backend = next(iter(node.iptables))
    prefix, rule = emissary_http_rule(node.iptables[backend])  # emissary/emissary-ingress:http's DNAT

    def counted(n: int):
        text = node.iptables[backend].replace(f"{prefix} {rule}", f"[{n}:{60 * n}] {rule}")
        return replace(node, iptables={**node.iptables, backend: text})

    @dataclass
    class Live:
        polls: tuple
        poll: int = 0
        mode: str = "live"
        banner: str = ""
        label: str = "LIVE fake"
        pod_logs = None
        watchers = ()
        poller = None

        @property
        def version(self) -> int:
            return self.poll

        def observed(self) -> Observed:
            return Observed(cluster=snap.cluster, nodes={"node-1": self.polls[self.poll]}, local_node="node-1",
                            mode="live")

        def with_namespace(self, namespace):
            pass

        def node_state(self, name, *, refresh=False):
            raise AssertionError("not asked")

        def cached_node_state(self, name):
            return None

    session = Live((counted(3), counted(3), counted(10)))
    app = make_app(Settings(offline=True), session, save_dir=str(tmp_path / "saved"))
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot)
        await press_and_settle(pilot, "m")
        assert "measuring: send requests" in screen_words(app)
        session.poll = 2  # seven requests reached the pod since m
        app.refresh_data()
        await settle(pilot)
        text = screen_text(app)
        assert "measured since m (DNAT packet counters on node-1): 7 in all" in text
        assert "7  100.0%  " + POD in text


async def test_hostile_names_in_the_picture_stay_inert(tmp_path, monkeypatch):
    """A LoadBalancer Service, its pool and the announcing node's event message carry the
    injection corpus: pane 9 and its notifications show it as typed, nothing reaches the
    terminal as markup, a link or a control character."""
    import html
    import json
    import re

    from tests.support.hostile import ALL, FORBIDDEN_BYTES

    root = metallb_lab(tmp_path)
    api = root / "api"
    services = json.loads((api / "services.json").read_text())
    evil = "evil-[bold red]pwn[/]"
    for svc in services["items"]:
        if svc["metadata"]["name"] == "emissary-ingress":
            svc["metadata"]["name"] = evil
    (api / "services.json").write_text(json.dumps(services))
    events = json.loads((api / "events.json").read_text())
    events["items"][0]["involvedObject"]["name"] = evil
    events["items"][0]["message"] = f'announcing from node "node-1{ALL}"'
    (api / "events.json").write_text(json.dumps(events))
    (api / "servicel2statuses.json").unlink()
    pools = json.loads((api / "ipaddresspools.json").read_text())
    pools["items"][0]["spec"]["addresses"].append(ALL)
    (api / "ipaddresspools.json").write_text(json.dumps(pools))
    from k8snet_tui.app import make_app
    from k8snet_tui.collect.session import SnapshotSession
    from k8snet_tui.config import Settings
    from k8snet_tui.sources.snapshot import load_snapshot

    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "none.toml"))
    app = make_app(Settings(offline=True), SnapshotSession(load_snapshot(str(root))), save_dir=str(tmp_path / "s"))
    async with app.run_test(size=(160, 50)) as pilot:
        await _open(pilot)
        await press_and_settle(pilot, "s", "w")
        svg = app.export_screenshot()
        assert "<a " not in svg
        text = html.unescape("".join(re.findall(r">([^<]*)</text>", svg))).replace("\xa0", " ")
        assert f"emissary/{evil}" in text
        assert "too long to be an address range" in text  # the pool's hostile range, named as data
        assert "layer2: node-1[bold" not in text  # a node name that is not one is not believed
        assert not any(b in text for b in FORBIDDEN_BYTES)


async def test_live_the_announcing_nodes_own_rules_are_read_through_the_session(tmp_path, monkeypatch):
    """The announcing node is not the one the session polls: the pane asks the session for its
    state (the agent pod, as the node picker does) and draws that node's own kube-proxy rules.
    Rules and objects: kube-proxy's own proxier test (tests/domain/fixtures/realworld/)."""
    from dataclasses import dataclass, field

    from k8snet_tui.app import make_app
    from k8snet_tui.config import Settings
    from k8snet_tui.domain.model import ClusterState, NodeState, Observed
    from k8snet_tui.sources.node_exec import NodeStateResult

    from tests.domain.balancing.fixtures import l2adv, l2status, node, pool, realworld

    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "no-config.toml"))
    objects, kernel = realworld("v1.26-etp-local-ready")  # ns1/svc1: LB 1.2.3.4, Local, on test-hostname
    cluster = ClusterState.from_objects([*objects, pool("lab", "1.2.3.0/28"), l2adv("l2"),
                                         l2status("ns1", "svc1", "test-hostname"), node("test-hostname"),
                                         node("host-1")])

    @dataclass
    class Live:
        mode: str = "live"
        banner: str = ""
        label: str = "LIVE fake"
        version: int = 1
        pod_logs = None
        watchers = ()
        poller = None
        asked: list = field(default_factory=list)

        def observed(self) -> Observed:
            return Observed(cluster=cluster, nodes={"host-1": NodeState(node="host-1")}, local_node="host-1",
                            mode="live")

        def with_namespace(self, namespace):
            pass

        def node_state(self, name, *, refresh=False):
            self.asked.append(name)
            return NodeStateResult(name, state=kernel, source="agent")

        def cached_node_state(self, name):
            return None

    session = Live()
    app = make_app(Settings(offline=True), session, save_dir=str(tmp_path / "saved"))
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot)
        await settle(pilot)
        assert session.asked == ["test-hostname"]
        text = screen_text(app)
        assert "1.2.3.4:80/TCP  ->  layer2: test-hostname" in text
        assert "100.0% test-hostname  (its iptables-nft rules; 2 ready pod(s) here)" in text
        assert "50.0% 10.0.1.1:80" in text and "50.0% 10.0.1.2:80" in text


async def test_the_filter_narrows_the_services(make_lab_app, tmp_path):
    app = make_lab_app(snapshot=str(metallb_lab(tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot)
        await press_and_settle(pilot, "slash", *"nothing-like-it", "enter")
        table = screen_text(app).split("service", 1)[1].split("───", 1)[0]
        assert "emissary/emissary-ingress" not in table


async def test_m_on_an_announcing_node_read_through_the_session_reads_it_again(tmp_path, monkeypatch):
    """The announcing node is not the polled one: while `m` counts, the pane reads it again
    through the session, and its DNAT counter's gain shows per pod. Rules: kube-proxy's own test
    (tests/domain/fixtures/realworld/), with a packet counter written in front of one DNAT rule."""
    from dataclasses import dataclass, field, replace

    from k8snet_tui.app import make_app
    from k8snet_tui.config import Settings
    from k8snet_tui.domain.model import ClusterState, NodeState, Observed
    from k8snet_tui.sources.node_exec import NodeStateResult

    from tests.domain.balancing.fixtures import l2adv, l2status, node, pool, realworld

    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "no-config.toml"))
    objects, kernel = realworld("v1.26-etp-local-ready")
    rule = "-A KUBE-SEP-3JOIVZTXZZRGORX4 -p tcp"  # ns1/svc1 -> 10.0.1.1:80

    def counted(n: int) -> NodeState:
        text = kernel.iptables["nft"]
        assert rule in text
        return replace(kernel, iptables={"nft": text.replace(rule, f"[{n}:{60 * n}] {rule}")})

    cluster = ClusterState.from_objects([*objects, pool("lab", "1.2.3.0/28"), l2adv("l2"),
                                         l2status("ns1", "svc1", "test-hostname"), node("test-hostname"),
                                         node("host-1")])

    @dataclass
    class Live:
        mode: str = "live"
        banner: str = ""
        label: str = "LIVE fake"
        version: int = 1
        pod_logs = None
        watchers = ()
        poller = None
        reads: list = field(default_factory=list)

        def observed(self) -> Observed:
            return Observed(cluster=cluster, nodes={"host-1": NodeState(node="host-1")}, local_node="host-1",
                            mode="live")

        def with_namespace(self, namespace):
            pass

        def node_state(self, name, *, refresh=False):
            self.reads.append(refresh)
            return NodeStateResult(name, state=counted(5 * (len(self.reads) - 1)), source="agent")

        def cached_node_state(self, name):
            return None

    session = Live()
    app = make_app(Settings(offline=True), session, save_dir=str(tmp_path / "saved"))
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot)
        await settle(pilot)
        await press_and_settle(pilot, "m")
        session.version = 2  # the next poll: the pane reads the announcing node again
        app.refresh_data()
        await settle(pilot)
        assert session.reads[0] is False and True in session.reads[1:]
        text = screen_text(app)
        assert "measured since m (DNAT packet counters on test-hostname): 5 in all" in text
        assert "5  100.0%  10.0.1.1" in text
        assert "?    0.0%  10.0.1.2" in text  # no counter on its rule in this dump: unknown, not 0


def _pending_lab(tmp_path):
    """The bundled lab with its LoadBalancer Service pending whatever its capture holds: no
    address in its status, no pool, advertisement, status or event of an allocator."""
    import json
    import shutil

    out = tmp_path / "pending-lab"
    shutil.copytree(LAB, out)
    services = json.loads((out / "api" / "services.json").read_text())
    for svc in services["items"]:
        if svc["metadata"]["name"] == "emissary-ingress":
            svc["status"] = {"loadBalancer": {}}
            svc["metadata"].get("annotations", {}).pop("metallb.io/ip-allocated-from-pool", None)
    (out / "api" / "services.json").write_text(json.dumps(services))
    for name in ("ipaddresspools.json", "l2advertisements.json", "servicel2statuses.json", "events.json",
                 "ciliumloadbalancerippools.json", "bgpadvertisements.json", "bgppeers.json"):
        (out / "api" / name).unlink(missing_ok=True)
    return str(out)


async def test_a_simulation_where_every_request_is_lost_claims_no_fit(make_lab_app, tmp_path):
    """A pending Service loses all 1,000 requests: a chi-square of 0.00 read as a perfect spread."""
    app = make_lab_app(snapshot=_pending_lab(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot)
        assert "<pending>" in screen_words(app)
        await press_and_settle(pilot, "s")
        words = screen_words(app)
        assert "all 1000 lost: no pod answered, so there is no spread to compare" in words
        assert "0 answered, 1,000 lost; nothing to compare" in words
        assert "chi-square" not in words


async def test_wrapped_why_lines_keep_their_indent(make_lab_app, tmp_path):
    """A sentence of the why broken at a space: its next line starts at the indent, not one deeper."""
    app = make_lab_app(snapshot=_pending_lab(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot)
        await press_and_settle(pilot, "w")
        lines = screen_text(app).splitlines()
        at = next(i for i, line in enumerate(lines) if "externalTrafficPolicy Cluster:" in line)
        first, nxt = lines[at], lines[at + 1]
        assert nxt.strip() and not nxt.lstrip().startswith("externalTrafficPolicy")
        assert len(nxt) - len(nxt.lstrip()) == len(first) - len(first.lstrip()) + 4


async def test_enter_goes_into_the_picture_and_esc_back_to_the_list(make_lab_app, tmp_path):
    app = make_lab_app(snapshot=str(metallb_lab(tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot)
        await press_and_settle(pilot, "w")
        top = f"{LB_IP}:80/TCP"
        assert top in screen_text(app)
        await press_and_settle(pilot, "enter", "end")
        assert top not in screen_text(app)  # the picture scrolled: its first line went up
        assert "emissary/emissary-ingress" in screen_text(app)  # still on pane 9, the list above
        await press_and_settle(pilot, "escape", "home")
        assert top not in screen_text(app)  # home went to the list, not to the picture


async def test_a_filter_that_hides_every_service_hides_its_picture(make_lab_app, tmp_path):
    app = make_lab_app(snapshot=str(metallb_lab(tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot)
        assert f"{LB_IP}:80/TCP" in screen_text(app)
        await press_and_settle(pilot, "slash", *"nothing-like-it", "enter")
        assert "No LoadBalancer Service matches /nothing-like-it" in screen_words(app)
        assert LB_IP not in screen_text(app) and POD not in screen_text(app)
        await press_and_settle(pilot, "s")
        assert "no LoadBalancer Service to simulate" in screen_words(app)
        assert "simulated" not in screen_text(app)


async def test_colon_balance_on_a_wrong_service_says_why_and_keeps_the_picture(make_lab_app, tmp_path):
    """`:balance` on an unknown Service, or on one that is not a LoadBalancer, said nothing and
    left the picture blank; it gives the words `k8snet balance` gives, and the shown one stays."""
    app = make_lab_app(snapshot=str(metallb_lab(tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot)
        await press_and_settle(pilot, ":", *"balance default/kubernetes", "enter")
        words = screen_words(app)
        assert "default/kubernetes is a ClusterIP Service, not a LoadBalancer" in words
        assert f"{LB_IP}:80/TCP" in screen_text(app)
        await press_and_settle(pilot, ":", *"balance nope/nope", "enter")
        assert "unknown service nope/nope" in screen_words(app)
        assert f"{LB_IP}:80/TCP" in screen_text(app)

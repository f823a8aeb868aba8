"""The Services pane and the datapath trace, driven by keys on the lab snapshot and tmp copies of it."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from textual.widgets import ContentSwitcher

from k8snet_tui.app import make_app
from k8snet_tui.config import Settings
from k8snet_tui.domain.model import NodeState, Observed
from k8snet_tui.screens import services as services_mod
from k8snet_tui.screens.services import ServicesPane
from k8snet_tui.sources.ports import ApiFailure
from k8snet_tui.sources.snapshot import load_snapshot
from k8snet_tui.widgets.resource_table import ResourceTable
from k8snet_tui.widgets.trace_view import TraceView

from tests.support.paths import LAB_PRINTED
from tests.ui.conftest import screen_text

NODE = "ip-172-31-24-84"
WEBSITE_SVC = "KUBE-SVC-RYQJBQ5TR32XWAUN"
SEPS = ("KUBE-SEP-SUZPWGKL5FHWPETE", "KUBE-SEP-FFKEUBR5SKHPYVCQ", "KUBE-SEP-OPDTLPWI6RF27F2I")
PODS = ("website-5746f499f-f967r", "website-5746f499f-qzjjq", "website-5746f499f-v9shz")


def pane(app) -> ServicesPane:
    return app.query_one(ServicesPane)


def table(app) -> ResourceTable:
    return app.query_one("#svc-table", ResourceTable)


def trace_text(app) -> str:
    return app.query_one("#svc-trace", TraceView).plain_text()


def line_of(app, line_id: str) -> str:
    for ln in app.query_one("#svc-trace", TraceView).lines:
        if ln.id == line_id:
            return ln.text.plain
    raise AssertionError(f"no trace line {line_id}: {[ln.id for ln in app.query_one('#svc-trace', TraceView).lines]}")


def copy_lab(tmp_path: Path, name: str = "snap") -> Path:
    dest = tmp_path / name
    shutil.copytree(LAB_PRINTED, dest)
    return dest


def iptables_file(root: Path) -> Path:
    return root / "nodes" / NODE / "iptables-save.txt"


async def open_website(pilot, app) -> None:
    t = table(app)
    t.focus()
    t.move_cursor(row=t.get_row_index("default/website"))
    await pilot.press("enter")
    await pilot.pause()


# -- the table -------------------------------------------------------------------------------


async def test_table_lists_services_with_ports_endpoints_backend_and_summary(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        text = pane(app).plain_text()
        assert "default\twebsite\tNodePort\t10.111.148.30\t80->31100/TCP\t3/3\tiptables-legacy" in text
        assert "kube-system\tkube-dns\tClusterIP\t10.96.0.10\t53/UDP, 53/TCP, 9153/TCP\t1/1" in text
        # the summary: node, backend and why, Service CIDR and where it came from
        assert f"Node {NODE}: iptables-legacy — nat KUBE-SERVICES has rules in the iptables-legacy backend" in text
        assert "Service CIDR 10.96.0.0/12 (guessed) — guess: default/kubernetes has 10.96.0.1" in text
        assert table(app).row_count == 3


async def test_filter_narrows_the_table_and_clears(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"dns")
        await pilot.pause()
        t = table(app)
        assert [r.key.value for r in t.ordered_rows] == ["kube-system/kube-dns"]
        await pilot.press("escape")
        await pilot.pause()
        assert t.row_count == 3


# -- the trace -------------------------------------------------------------------------------


async def test_enter_traces_website_through_the_chains_with_shares_counters_and_pods(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await open_website(pilot, app)
        assert app.query_one("#svc-trace", TraceView).display
        assert not table(app).display
        text = trace_text(app)
        assert WEBSITE_SVC in text and "KUBE-EXT-RYQJBQ5TR32XWAUN" in text
        for sep in SEPS:
            assert sep in text
        for pod in PODS:
            assert f"pod default/{pod}" in text
        assert "probability 0.33333333349" in text
        assert "probability 0.50000000000" in text
        assert "Balancing: 1/3, then 1/2 of the rest, then the remainder" in text
        assert text.count("share 33.3% (1/3)") == 3
        assert "Entry points: ClusterIP 10.111.148.30:80 · NodePort <any node address>:31100" in text
        assert "KUBE-NODEPORTS #1  entry: tcp dpt:31100" in text
        assert "mark for masquerade" in text
        assert "→ DNAT to 10.0.0.1:80  [1 pkt, 60 B]" in text
        # the endpoint line of 10.0.0.1 (qzjjq) carries its counters: the lab's one curl
        ep = line_of(app, "ep:p0:10.0.0.1:80")
        assert "pod default/website-5746f499f-qzjjq" in ep and "ready" in ep
        assert "packets 1, bytes 60" in ep
        assert "packets 0, bytes 0" in line_of(app, "ep:p0:10.0.0.177:80")
        assert "SNAPSHOT: counters are totals" in text
        assert "Findings: none" in text


async def test_trace_shows_service_cidr_binary_breakdown(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await open_website(pilot, app)
        text = trace_text(app)
        assert "Range 10.96.0.0/12 from a GUESS" in text
        # the lab's hand-worked octets: 10.111.148.30 against the /12
        assert "0110|0000     0110|1111     = 111" in text
        assert "1001 0100     = 148" in text
        assert "0001 1110     = 30" in text
        assert "10.111.148.30 is inside the range ✔" in text


async def test_escape_returns_to_the_table_with_the_cursor_on_the_service(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await open_website(pilot, app)
        await pilot.press("down", "down", "down")
        await pilot.press("escape")
        await pilot.pause()
        t = table(app)
        assert t.display and not app.query_one("#svc-trace", TraceView).display
        assert t.selected_key() == "default/website"
        assert t.has_focus


async def test_trace_command_opens_trace_and_unknown_shows_suggestions(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.run_command("trace default/websit")
        await pilot.pause()
        text = trace_text(app)
        assert "unknown service default/websit" in text
        assert "did you mean: default/website" in text
        app.run_command("trace default/website:http")
        await pilot.pause()
        assert WEBSITE_SVC in trace_text(app)
        app.run_command("trace default/website:9999")
        await pilot.pause()
        assert "has no port 9999" in trace_text(app)
        pane(app).handle_command("svc", "")
        await pilot.pause()
        assert table(app).display


async def test_trace_command_from_another_pane_switches_here(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("5")
        await pilot.pause()
        app.run_command("trace default/website")
        await pilot.pause()
        assert app.query_one(ContentSwitcher).current == "pane-services"
        assert WEBSITE_SVC in trace_text(app)
        assert app.query_one("#svc-trace", TraceView).has_focus


async def test_save_view_writes_the_trace_as_text(make_lab_app, tmp_path):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await open_website(pilot, app)
        await pilot.press("ctrl+s")
        await pilot.pause()
    saved = list((tmp_path / "saved").glob("k8snet-services-*.txt"))
    assert saved
    body = saved[0].read_text(encoding="utf-8")
    assert WEBSITE_SVC in body and "probability 0.33333333349" in body


async def test_help_lists_the_pane_keys(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        keys = [k for k, _ in ServicesPane.PANE_KEYS]
        assert "enter" in keys and "l" in keys and ":trace NS/NAME[:PORT]" in keys


# -- live mode: which pod did you hit? --------------------------------------------------------


def _with_counters(node: NodeState, **dnat: str) -> NodeState:
    """The node state with the DNAT rule counters of chains replaced: KUBE-SEP-X="[p:b]"."""
    (backend, text), = node.iptables.items()
    lines = []
    for line in text.splitlines():
        for chain, counters in dnat.items():
            if f"-A {chain} " in line and "DNAT" in line:
                line = counters + line[line.index("]") + 1:]
        lines.append(line)
    return NodeState(**{**node.__dict__, "iptables": {backend: "\n".join(lines) + "\n"}})


class FakeLog:
    def __init__(self, text: str = "", status: int = 0) -> None:
        self.text, self.status, self.calls = text, status, []

    def pod_log(self, namespace: str, name: str, tail_lines: int = 50) -> str:
        self.calls.append((namespace, name, tail_lines))
        if self.status:
            raise ApiFailure(self.status, "Forbidden", 'pods "x" is forbidden: cannot get resource "pods/log"')
        return self.text


@dataclass
class FakeLiveSession:
    """The SnapshotSession interface in live clothes: each `advance()` is one node poll."""

    cluster: object
    polls: list[NodeState]
    source: object = None
    banner: str = ""
    mode: str = "live"
    label: str = "LIVE fake"
    poll: int = 1
    namespace: str | None = field(default=None)

    @property
    def version(self) -> int:
        return self.poll

    def observed(self) -> Observed:
        prev = {NODE: self.polls[self.poll - 1]} if self.poll else {}
        return Observed(cluster=self.cluster, nodes={NODE: self.polls[self.poll]}, local_node=NODE,
                        mode="live", previous=prev)

    @property
    def pod_logs(self):
        return self.source  # the fake log source, or None: no logs (a Session capability)

    watchers = ()  # the test drives the polls itself (advance): no background work
    poller = None

    def with_namespace(self, namespace: str | None) -> None:
        self.namespace = namespace

    def advance(self) -> None:
        self.poll += 1


def live_app(tmp_path, monkeypatch, source=None):
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    snap = load_snapshot(LAB_PRINTED)
    lab = snap.nodes[NODE]
    polls = [
        _with_counters(lab, **{SEPS[1]: "[0:0]"}),  # before the curl
        lab,  # the lab: one packet to 10.0.0.1 (qzjjq), 3 to 10.0.0.202
        _with_counters(lab, **{SEPS[2]: "[5:260]"}),  # two more, to 10.0.0.202 (v9shz)
    ]
    session = FakeLiveSession(snap.cluster, polls, source=source)
    return make_app(Settings(offline=True), session, save_dir=str(tmp_path / "saved")), session


async def test_live_trace_marks_the_endpoint_whose_counter_moved(tmp_path, monkeypatch):
    app, session = live_app(tmp_path, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.run_command("trace default/website")
        await pilot.pause()
        hit = line_of(app, "ep:p0:10.0.0.1:80")
        assert "◀ hit +1" in hit
        assert "packets +1 since last poll (total 1)" in hit
        for quiet in ("ep:p0:10.0.0.177:80", "ep:p0:10.0.0.202:80"):
            assert "◀ hit" not in line_of(app, quiet)
            assert "packets +0 since last poll" in line_of(app, quiet)
        assert "LIVE: packets since the previous poll" in trace_text(app)

        # the next poll: two new connections went to 10.0.0.202; the mark moves there
        session.advance()
        app.refresh_data()
        await pilot.pause()
        assert "◀ hit +2" in line_of(app, "ep:p0:10.0.0.202:80")
        assert "◀ hit" not in line_of(app, "ep:p0:10.0.0.1:80")
        # the history of the last polls is kept in the pane, oldest first
        assert "last polls: 1 0" in line_of(app, "ep:p0:10.0.0.1:80")
        assert "last polls: 0 2" in line_of(app, "ep:p0:10.0.0.202:80")


async def test_live_refresh_keeps_the_trace_cursor_on_its_line(tmp_path, monkeypatch):
    app, session = live_app(tmp_path, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.run_command("trace default/website")
        await pilot.pause()
        view = app.query_one("#svc-trace", TraceView)
        assert view.move_to("ep:p0:10.0.0.202:80")
        session.advance()
        app.refresh_data()
        await pilot.pause()
        assert view.current_line().id == "ep:p0:10.0.0.202:80"
        assert "◀ hit +2" in view.current_line().text.plain


async def test_l_tails_the_pod_log_in_live_mode(tmp_path, monkeypatch):
    log = FakeLog('172.31.24.84 - - [18/May/2022:21:45:00 +0000] "GET / HTTP/1.1" 200 45\n\x1b[31mred?\n')
    app, _ = live_app(tmp_path, monkeypatch, source=log)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.run_command("trace default/website")
        await pilot.pause()
        view = app.query_one("#svc-trace", TraceView)
        view.move_to("ep:p0:10.0.0.1:80")
        await pilot.pause()
        await pilot.press("l")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert log.calls == [("default", "website-5746f499f-qzjjq", 50)]
        text = pane(app).plain_text()
        assert "log of default/website-5746f499f-qzjjq" in text
        assert '"GET / HTTP/1.1" 200 45' in text
        assert "\ufffd[31mred?" in text  # the log's escape is shown inert
        assert app.query_one("#svc-log").display
        await pilot.press("escape")
        await pilot.pause()
        assert not app.query_one("#svc-log").display and view.display


async def test_l_says_forbidden_when_rbac_denies_pods_log(tmp_path, monkeypatch):
    app, _ = live_app(tmp_path, monkeypatch, source=FakeLog(status=403))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.run_command("trace default/website")
        await pilot.pause()
        app.query_one("#svc-trace", TraceView).move_to("ep:p0:10.0.0.177:80")
        await pilot.press("l")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "forbidden: get pods/log" in pane(app).plain_text()


async def test_l_in_snapshot_mode_says_logs_are_not_in_snapshots(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await open_website(pilot, app)
        app.query_one("#svc-trace", TraceView).move_to("ep:p0:10.0.0.1:80")
        await pilot.press("l")
        await pilot.pause()
        assert "logs are not in snapshots" in pane(app).plain_text()


# -- big dumps are read in a worker, once per node state ---------------------------------------


async def test_big_dump_is_parsed_in_a_worker_once_per_node_state(make_lab_app, monkeypatch):
    import threading

    gate = threading.Event()
    calls = []
    real = services_mod.parse_node_datapath

    def slow_parse(node, cluster=None):
        calls.append(threading.current_thread() is threading.main_thread())
        gate.wait(10)
        return real(node, cluster)

    monkeypatch.setattr(services_mod, "parse_node_datapath", slow_parse)
    monkeypatch.setattr(services_mod, "SYNC_PARSE_CHARS", 0)
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "reading the node's rules..." in pane(app).plain_text()
        assert "…reading" in table(app).plain_text()
        app.run_command("trace default/website")
        await pilot.pause()
        assert "reading the node's rules..." in trace_text(app)
        gate.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert calls == [False]  # parsed once, off the event loop
        assert "iptables-legacy" in table(app).plain_text()
        assert "reading the node's rules" not in pane(app).plain_text()
        assert WEBSITE_SVC in trace_text(app)
        pane(app).show_observed(app.observed)  # same NodeState: the cached datapath is reused
        await pilot.pause()
        assert calls == [False]


# -- other backends ---------------------------------------------------------------------------

IPVSADM = """IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.111.148.30:80 rr
  -> 10.0.0.1:80                  Masq    1      0          0
  -> 10.0.0.177:80                Masq    1      0          0
  -> 10.0.0.202:80                Masq    1      0          0
"""


async def test_ipvs_trace_says_no_counters_and_counts_conntrack_connections(make_lab_app, tmp_path):
    root = copy_lab(tmp_path)
    iptables_file(root).unlink()
    (root / "nodes" / NODE / "ipvsadm.txt").write_text(IPVSADM)
    conn = [{"proto": "tcp", "orig_src": "172.31.24.84", "orig_dst": "10.111.148.30", "orig_dport": 80,
             "reply_src": "10.0.0.177", "reply_sport": 80}] * 2
    (root / "nodes" / NODE / "conntrack.json").write_text(json.dumps(conn))
    app = make_lab_app(snapshot=str(root))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "backend ipvs" not in trace_text(app)
        app.run_command("trace default/website")
        await pilot.pause()
        text = trace_text(app)
        assert "backend ipvs" in text
        assert "the ipvs datapath keeps no per-rule packet counters; connections per endpoint come from" in text
        assert "IPVS scheduler rr: 1/3 each" in text
        assert "conntrack connections 2" in line_of(app, "ep:p0:10.0.0.177:80")
        assert "conntrack connections 0" in line_of(app, "ep:p0:10.0.0.1:80")
        assert "pod default/website-5746f499f-qzjjq" in line_of(app, "ep:p0:10.0.0.1:80")


# -- hostile strings and small terminals -----------------------------------------------------

HOSTILE = "[bold red]x[/] [link=http://e]x [ \x1b[31mred \x1b]8;;http://e\x07osc\x1b]8;;\x07 \r cr \u202e rlo \u200b zw"
HOSTILE_COMMENT = "[bold red]x[/] [link=http://e]x [ \x1b[31mred \x1b]8;;http://e\x07osc\x1b]8;;\x07 \u202e rlo \u200b zw"
INERT = "[bold red]x[/] [link=http://e]x [ \ufffd[31mred \ufffd]8;;http://e\ufffdosc\ufffd]8;;\ufffd"


def _hostile_snapshot(tmp_path: Path) -> Path:
    root = copy_lab(tmp_path)
    services = json.loads((root / "api" / "services.json").read_text())
    items = services["items"] if isinstance(services, dict) else services
    evil = json.loads(json.dumps(next(s for s in items if s["metadata"]["name"] == "kubernetes")))
    evil["metadata"]["name"] = HOSTILE
    evil["metadata"]["labels"] = {"evil": HOSTILE}
    evil["metadata"]["uid"] = "evil-uid"
    evil["spec"]["clusterIP"] = "10.96.0.99"
    evil["spec"]["clusterIPs"] = ["10.96.0.99"]
    items.append(evil)
    (root / "api" / "services.json").write_text(json.dumps(services))
    path = iptables_file(root)
    text = path.read_text()
    old = '--comment "default/website:http cluster IP" -m tcp --dport 80 -j KUBE-SVC'
    assert old in text
    path.write_text(text.replace(old, f'--comment "{HOSTILE_COMMENT}" -m tcp --dport 80 -j KUBE-SVC', 1))
    return root


def _assert_inert(text_obj, allowed_styles=("", "bold", "italic", "dim")) -> None:
    for span in text_obj.spans:
        assert str(span.style) in allowed_styles, f"unexpected style {span.style!r} in {text_obj.plain!r}"
    assert "\x1b" not in text_obj.plain and "\r" not in text_obj.plain and "\u202e" not in text_obj.plain
    assert "\u200b" not in text_obj.plain


async def test_hostile_names_and_comments_show_inert(make_lab_app, tmp_path):
    app = make_lab_app(snapshot=str(_hostile_snapshot(tmp_path)))
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        t = table(app)
        key = f"default/{HOSTILE}"
        row = t.get_row(key)
        assert row[1].plain.startswith(INERT)  # literal brackets, escapes as U+FFFD
        assert "\ufffd cr \ufffd rlo \ufffd zw" in row[1].plain
        for cell in row:
            _assert_inert(cell)
        shot = app.export_screenshot()
        assert "\x1b" not in shot and "\u202e" not in shot

        # its trace: the name in the header stays literal
        t.focus()
        t.move_cursor(row=t.get_row_index(key))
        await pilot.press("enter")
        await pilot.pause()
        view = app.query_one("#svc-trace", TraceView)
        head = view.lines[0]
        assert INERT in head.text.plain
        _assert_inert(head.text)
        assert "\x1b" not in app.export_screenshot()
        await pilot.press("escape")
        await pilot.pause()
        assert t.selected_key() == key

        # website's trace: the iptables comment is shown literally, never styled or linked
        app.run_command("trace default/website")
        await pilot.pause()
        entry = line_of(app, "p0snat:KUBE-SERVICES#1@0")
        assert f"/* {INERT} \ufffd rlo \ufffd zw */" in entry
        for ln in view.lines:
            _assert_inert(ln.text, ("", "bold", "italic", "dim", "underline", "bold reverse"))
            for span in ln.text.spans:
                assert "link" not in str(span.style)
        shot = app.export_screenshot()
        assert "\x1b" not in shot and "\u202e" not in shot


async def test_usable_at_80x24_trace_scrolls_to_the_cidr_section(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        t = table(app)
        assert t.region.height >= 10 and t.region.width >= 70
        summary = app.query_one("#svc-summary")
        assert summary.region.height >= 1 and summary.region.y < t.region.y
        await open_website(pilot, app)
        view = app.query_one("#svc-trace", TraceView)
        status = app.query_one("#svc-trace-status")
        assert view.has_focus and view.region.height >= 10
        assert status.region.height == 1 and status.region.y < 24
        assert view.max_scroll_y > 0  # more than a screen: it scrolls
        await pilot.press("end")
        await pilot.pause()
        assert view.current_line().id.endswith("-verdict")
        assert view.scroll_y == view.max_scroll_y
        # keys alone reach an endpoint and say so in words on the status line
        await pilot.press("home")
        for _ in range(40):
            if view.current_line().endpoint is not None:
                break
            await pilot.press("down")
        await pilot.pause()
        assert view.current_line().endpoint is not None
        assert "on endpoint 10.0.0.177:80" in str(status.render())


async def test_filter_typed_in_a_trace_returns_to_the_table_and_keeps_typing(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await open_website(pilot, app)
        await pilot.press("slash", *"dns")
        await pilot.pause()
        box = app.query_one("#filter-input")
        assert box.has_focus and box.value == "dns"
        assert table(app).display
        assert [r.key.value for r in table(app).ordered_rows] == ["kube-system/kube-dns"]


async def test_filter_on_a_big_table_keeps_the_cursor_on_its_service(make_lab_app, tmp_path):
    root = copy_lab(tmp_path)
    services = json.loads((root / "api" / "services.json").read_text())
    items = services["items"] if isinstance(services, dict) else services
    for i in range(400):
        items.append({"apiVersion": "v1", "kind": "Service",
                      "metadata": {"name": f"svc-{i:03d}", "namespace": "bulk", "uid": f"u{i}"},
                      "spec": {"type": "ClusterIP", "clusterIP": f"10.100.{i // 250}.{i % 250}",
                               "ports": [{"port": 80, "protocol": "TCP"}]}})
    (root / "api" / "services.json").write_text(json.dumps(services))
    app = make_lab_app(snapshot=str(root))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        t = table(app)
        assert t.row_count == 403
        t.move_cursor(row=t.get_row_index("bulk/svc-250"))
        pane(app).apply_filter("svc-2")  # hides 300 of 403 rows at once
        await pilot.pause()
        assert t.row_count == 100
        assert t.selected_key() == "bulk/svc-250"
        pane(app).apply_filter("")
        await pilot.pause()
        assert t.row_count == 403 and t.selected_key() == "bulk/svc-250"
        assert [r.key.value for r in t.ordered_rows][:3] == ["bulk/svc-000", "bulk/svc-001", "bulk/svc-002"]


async def test_colon_svc_returns_from_a_trace_to_the_table(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("colon", *"trace default/website", "enter")
        await pilot.pause()
        pane = app.current_pane
        assert pane.PANE_ID == "services"
        text = screen_text(app)
        assert "KUBE-SVC-" in text and "esc: back to the table" in text  # the trace, not the table
        await pilot.press("colon", *"svc", "enter")
        await pilot.pause()
        text = screen_text(app)
        assert "KUBE-SVC-" not in text and "cluster IP" in text and "endpoints" in text  # the table


async def test_a_node_state_warning_clears_once_the_node_is_read(tmp_path, monkeypatch):
    """Live start: the first render has no node state yet (a warning); the first good poll must
    clear it, not leave it next to a backend that was read."""
    from k8snet_tui.app import make_app
    from k8snet_tui.config import Settings
    from k8snet_tui.domain.model import Observed

    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "none.toml"))
    snap = load_snapshot(LAB_PRINTED)

    class Session:
        mode, banner, label = "live", "", "LIVE fake"
        version = 0
        read = False
        pod_logs, watchers, poller = None, (), None  # no logs, no background work

        def observed(self):
            nodes = dict(snap.nodes) if self.read else {}
            return Observed(cluster=snap.cluster, nodes=nodes, local_node=snap.local_node, mode="live")

        def with_namespace(self, namespace):
            self.version += 1

    session = Session()
    app = make_app(Settings(offline=True), session, save_dir=str(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert "no node state" in screen_text(app)
        session.read = True
        session.version += 1
        app.refresh_data()
        await pilot.pause()
        await pilot.pause()
        text = screen_text(app)
        assert "no node state" not in text
        assert "iptables-legacy" in text


async def test_the_pod_log_key_is_offered_only_on_a_trace(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        pane = app.current_pane
        assert pane.check_action("pod_log", ()) is False
        assert "l" not in {key for key, active in app.screen.active_bindings.items() if active.enabled}
        await pilot.press("colon", *"trace default/website", "enter")
        await pilot.pause()
        assert pane.check_action("pod_log", ()) is True


async def test_a_wrapped_trace_line_hangs_under_its_own_indent_at_80_columns(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await open_website(pilot, app)
        await pilot.pause()
        rows = [ln.lstrip("▊").rstrip("▎ ") for ln in screen_text(app).splitlines()]
        at = next(i for i, ln in enumerate(rows) if "mark for masquerade" in ln)
        indent = len(rows[at]) - len(rows[at].lstrip(" "))
        assert indent >= 2, rows[at]  # a rule of the SVC chain, one level under KUBE-SERVICES
        follow = rows[at + 1]
        # the rule runs past 80 columns: its next screen line continues it, further right
        assert "tcp dpt:80" in follow, rows[at:at + 3]
        assert len(follow) - len(follow.lstrip(" ")) >= indent + 2, rows[at:at + 3]

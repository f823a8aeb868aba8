"""The DNS pane (5), driven by keys on the lab snapshot, and once on a live-like session whose
DNS server is a tiny authoritative server of ours on 127.0.0.1 (no other address is contacted)."""

from __future__ import annotations

import json
import re
import shutil
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import dns.message
import dns.rcode
import dns.rrset
import pytest

from k8snet_tui.app import make_app
from k8snet_tui.config import Settings
from k8snet_tui.domain.model import Observed
from k8snet_tui.screens.dns import DnsPane, PodPicker
from k8snet_tui.screens.modals import HelpScreen
from k8snet_tui.sources.snapshot import load_snapshot

from tests.support.paths import LAB_PRINTED
from tests.ui.conftest import screen_text

# The lab's printed facts (website at 10.111.148.30, three website pods); the app fixture opens the same.
LAB = LAB_PRINTED
WEBSITE = "website.default.svc.cluster.local."


def pane_of(app) -> DnsPane:
    pane = app.current_pane
    assert isinstance(pane, DnsPane)
    return pane


def plan_rows(app) -> list[list[str]]:
    text = app.query_one("#dns-plan-table").plain_text().splitlines()
    return [line.split("\t") for line in text[1:]]


def summary(app) -> str:
    return app.query_one("#dns-summary").render().plain


async def open_dns(pilot) -> None:
    await pilot.pause()
    await pilot.press("5")
    await pilot.pause()


async def look_up(pilot, name: str) -> None:
    await pilot.press("i")
    await pilot.press(*name)
    await pilot.press("enter")
    await pilot.pause()


async def test_typing_website_shows_the_plan_answered_by_the_first_query(make_lab_app):
    app = make_lab_app(snapshot=str(LAB))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_dns(pilot)
        assert plan_rows(app) == []
        await look_up(pilot, "website")
        rows = plan_rows(app)
        assert rows[0][2] == WEBSITE
        assert rows[0][3] == "A"
        assert rows[0][4] == "10.111.148.30"
        assert rows[0][0] == "0 ◀"  # answered_by 0, marked by a sign, not a colour
        assert len(rows) == 1
        assert pane_of(app).lookup.answered_by == 0
        text = summary(app)
        assert "1 query" in text and "#0 ◀ answers" in text
        assert "wasted queries: 0" in text
        assert "real answers need a live cluster" in text
        # focus left the box: the global keys work again
        await pilot.press("4")
        await pilot.pause()
        assert app.current_pane.PANE_ID == "services"


async def test_website_kube_system_walks_through_nxdomain(make_lab_app):
    app = make_lab_app(snapshot=str(LAB))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_dns(pilot)
        await look_up(pilot, "website.kube-system")
        rows = plan_rows(app)
        assert [r[2] for r in rows[:3]] == ["website.kube-system.default.svc.cluster.local.",
                                            "website.kube-system.svc.cluster.local.",
                                            "website.kube-system.cluster.local."]
        assert [r[4] for r in rows[:3]] == ["NXDOMAIN"] * 3
        assert not any("◀" in r[0] for r in rows)
        assert pane_of(app).lookup.answered_by is None
        assert "none is answered from cluster data" in summary(app)
        assert "wasted queries: 5" in summary(app)


async def test_switching_resolver_changes_the_plan(make_lab_app):
    name = "foo.bar.baz.qux.quux.example.com"
    app = make_lab_app(snapshot=str(LAB))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_dns(pilot)
        await look_up(pilot, name)
        glibc = [r[2] for r in plan_rows(app)]
        assert pane_of(app).resolver == "glibc"
        assert glibc[0] == name + "." and len(glibc) == 5  # as-is first, then every search domain
        await pilot.press("r")
        await pilot.pause()
        assert pane_of(app).resolver == "musl"
        assert [r[2] for r in plan_rows(app)] == [name + "."]  # musl: only the absolute name
        assert "resolver musl" in app.query_one("#dns-controls").render().plain
        await pilot.press("r")
        await pilot.pause()
        assert pane_of(app).resolver == "busybox"
        await pilot.press("r")
        await pilot.pause()
        assert [r[2] for r in plan_rows(app)] == glibc


async def test_query_type_key_cycles_and_replans(make_lab_app):
    app = make_lab_app(snapshot=str(LAB))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_dns(pilot)
        await look_up(pilot, "website")
        await pilot.press("t")
        await pilot.pause()
        rows = plan_rows(app)
        assert rows[0][3] == "AAAA" and rows[0][4] == "NODATA"


async def test_picking_a_name_from_the_list_runs_it(make_lab_app):
    app = make_lab_app(snapshot=str(LAB))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_dns(pilot)
        await pilot.press("l")
        await pilot.pause()
        table = app.query_one("#dns-names-table")
        assert table.has_focus
        names = [line.split("\t")[0] for line in table.plain_text().splitlines()[1:]]
        assert "_http._tcp.website.default.svc.cluster.local." in names
        target = names.index("_http._tcp.website.default.svc.cluster.local.")
        for _ in range(target):
            await pilot.press("down")
        await pilot.press("enter")
        await pilot.pause()
        pane = pane_of(app)
        assert pane.view_id == "plan"
        assert app.query_one("#dns-name").value == "_http._tcp.website.default.svc.cluster.local."
        assert pane.qtype == "SRV"
        rows = plan_rows(app)
        assert rows[0][2] == "_http._tcp.website.default.svc.cluster.local." and rows[0][3] == "SRV"
        assert rows[0][4] == "0 100 80 website.default.svc.cluster.local."
        assert rows[0][0] == "0 ◀"


@pytest.mark.parametrize("bad, words", [("a..b", "label 2 is empty"),
                                        ("x" * 300, "at most 253")])
async def test_an_invalid_name_is_explained_and_sends_nothing(make_lab_app, bad, words):
    app = make_lab_app(snapshot=str(LAB))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_dns(pilot)
        pane_of(app).run_lookup(bad)  # 300 key presses would only slow the test down
        await pilot.pause()
        assert plan_rows(app) == []
        text = summary(app)
        assert "not a name a resolver would send" in text
        assert words in text
        assert "No queries" in text


async def test_dns_command_runs_a_lookup(make_lab_app):
    app = make_lab_app(snapshot=str(LAB))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.current_pane.PANE_ID == "services"
        await pilot.press("colon", *"dns website.default", "enter")
        await pilot.pause()
        rows = plan_rows(app)
        assert app.current_pane.PANE_ID == "dns"
        # glibc: 1 dot < ndots 5, so the search list first: website.default + default.svc... is NXDOMAIN
        assert rows[0][2] == "website.default.default.svc.cluster.local." and rows[0][4] == "NXDOMAIN"
        assert rows[1][2] == WEBSITE and rows[1][0] == "1 ◀"


async def test_pod_picker_chooses_the_pod_and_the_derivation_names_it(make_lab_app):
    app = make_lab_app(snapshot=str(LAB))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_dns(pilot)
        await look_up(pilot, "website")
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, PodPicker)
        # the picker's lines as shown: "a ClusterFirst pod in default" first, then NS/POD lines
        keys = re.findall(r"\b[a-z0-9-]+/[a-z0-9.-]+", screen_text(app).split("ClusterFirst", 1)[1])
        assert "default/website-5746f499f-f967r" in keys
        # "a ClusterFirst pod in default" comes first, then the pods
        for _ in range(keys.index("default/website-5746f499f-f967r") + 1):
            await pilot.press("down")
        await pilot.press("enter")
        await pilot.pause()
        pane = pane_of(app)
        assert pane.pod == "default/website-5746f499f-f967r"
        assert pane.lookup.pod == "default/website-5746f499f-f967r"
        assert plan_rows(app)[0][2] == WEBSITE
        await pilot.press("v")
        await pilot.pause()
        text = app.query_one("#dns-resolv-text").render().plain
        assert "default/website-5746f499f-f967r" in text
        assert "nameserver 10.96.0.10" in text
        assert "search default.svc.cluster.local svc.cluster.local cluster.local eu-central-1.compute.internal" in text
        assert "How it was derived" in text
        await pilot.press("escape")
        await pilot.pause()
        assert pane.view_id == "plan"


async def test_corefile_view_summarises_the_kubernetes_plugin(make_lab_app):
    app = make_lab_app(snapshot=str(LAB))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_dns(pilot)
        await pilot.press("c")
        await pilot.pause()
        text = app.query_one("#dns-corefile-text").render().plain
        assert "server block .:53" in text
        assert "kubernetes: zones cluster.local. in-addr.arpa. ip6.arpa.; pods insecure" in text
        assert "forward . → /etc/resolv.conf" in text
        assert "As written:" in text and "kubernetes cluster.local in-addr.arpa ip6.arpa {" in text


async def test_help_and_saved_text(make_lab_app, tmp_path):
    app = make_lab_app(snapshot=str(LAB))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_dns(pilot)
        await look_up(pilot, "website")
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        # the first column of the help box, as shown
        keys = re.findall(r"^│\s+(\S+)\s{2,}", screen_text(app), flags=re.M)
        assert {"i", "p", "r", "t", "l", "c", "v"} <= set(keys)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        saved = list((tmp_path / "saved").glob("k8snet-dns-*.txt"))
        assert len(saved) == 1
        text = saved[0].read_text(encoding="utf-8")
        assert WEBSITE in text and "10.111.148.30" in text
        assert "options ndots:5" in text and "Corefile" in text
        assert "_http._tcp.website.default.svc.cluster.local." in text


async def test_usable_at_80x24_by_keyboard(make_lab_app):
    app = make_lab_app(snapshot=str(LAB))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_dns(pilot)
        await look_up(pilot, "website")
        pane = pane_of(app)
        for widget_id in ("#dns-controls", "#dns-summary", "#dns-plan-table", "#dns-name"):
            region = app.query_one(widget_id).region
            assert region.height >= 1 and region.y + region.height <= 23, widget_id
        assert app.query_one("#dns-plan-table").region.height >= 3
        assert pane.query_one("#dns-plan-table").row_count == 1
        for key, view in (("v", "resolv"), ("c", "corefile"), ("l", "names"), ("a", "plan")):
            await pilot.press(key)
            await pilot.pause()
            assert pane.view_id == view
            assert app.query_one(f"#dns-{view}").region.height >= 5


# -- live-like: a session that claims live, a DNS server on 127.0.0.1 ---------------------------


class LoopbackDns:
    """Answers from a dict {(name, type): [(type, rdata)] | "silent"}; NXDOMAIN for the rest."""

    def __init__(self, records: dict) -> None:
        self.records = records
        self.asked: list[tuple[str, str]] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            query = dns.message.from_wire(data)
            q = query.question[0]
            key = (q.name.to_text(), dns.rdatatype.to_text(q.rdtype))
            self.asked.append(key)
            what = self.records.get(key)
            if what == "silent":
                continue
            resp = dns.message.make_response(query)
            if what is None:
                resp.set_rcode(dns.rcode.NXDOMAIN)
            else:
                for rtype, rdata in what:
                    resp.answer.append(dns.rrset.from_text(q.name, 30, "IN", rtype, rdata))
            self.sock.sendto(resp.to_wire(), peer)

    def close(self) -> None:
        self.sock.close()


@dataclass
class FakeLiveSession:
    """The SnapshotSession interface, claiming to be live."""

    observed_value: Observed
    label: str = "LIVE test"
    banner: str = ""
    mode: str = "live"
    version: int = 0
    pod_logs: None = None  # no pod logs here (a Session capability)
    watchers: tuple[()] = ()  # no background work
    poller: None = None

    def observed(self) -> Observed:
        return self.observed_value

    def with_namespace(self, namespace) -> None:
        self.version += 1


@pytest.fixture
def live_app(tmp_path, monkeypatch):
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    monkeypatch.delenv("K8SNET_DNS_SERVER", raising=False)
    servers = []

    def build(records: dict, *, via_env: bool = True):
        server = LoopbackDns(records)
        servers.append(server)
        if via_env:
            monkeypatch.setenv("K8SNET_DNS_SERVER", server.address)
        snap = load_snapshot(str(LAB))
        observed = Observed(cluster=snap.cluster, nodes=snap.nodes, local_node=snap.local_node, mode="live")
        app = make_app(Settings(offline=True), FakeLiveSession(observed), save_dir=str(tmp_path / "saved"))
        return app, server

    yield build
    for s in servers:
        s.close()


async def wait_for(pilot, predicate, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await pilot.pause(0.05)
        if predicate():
            return
    raise AssertionError("timed out waiting for the pane")


async def test_live_answers_are_attached_and_a_stale_record_is_flagged(live_app):
    # The server says .31 where the API says the ClusterIP is .30: a stale record.
    app, server = live_app({(WEBSITE, "A"): [("A", "10.111.148.31")]})
    async with app.run_test(size=(80, 24)) as pilot:
        await open_dns(pilot)
        await look_up(pilot, "website")
        pane = pane_of(app)
        await wait_for(pilot, lambda: pane.lookup.queries[0].actual is not None)
        rows = plan_rows(app)
        assert rows[0][1] == "✗ differs"
        assert rows[0][4] == "10.111.148.30" and rows[0][5] == "10.111.148.31"
        assert rows[0][6] == "30"
        assert "missing 10.111.148.30" in rows[0][8] and "unexpected 10.111.148.31" in rows[0][8]
        assert pane.lookup.mismatches == (0,)
        text = summary(app)
        assert f"real answers from {server.address} (K8SNET_DNS_SERVER)" in text
        assert "✗ 1 differ" in text
        assert server.asked == [(WEBSITE, "A")]  # exactly the plan, nothing else


async def test_live_answers_that_match_are_ticked(live_app):
    app, server = live_app({(WEBSITE, "A"): [("A", "10.111.148.30")]}, via_env=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_dns(pilot)
        pane = pane_of(app)
        pane.dns_server = server.address  # the pane attribute works as well as the variable
        await look_up(pilot, "website.default")
        await wait_for(pilot, lambda: all(q.actual is not None for q in pane.lookup.queries))
        rows = plan_rows(app)
        assert [r[1] for r in rows] == ["✓", "✓"]
        assert rows[0][5] == "NXDOMAIN" and rows[1][5] == "10.111.148.30"
        assert "✓ all as expected" in summary(app)
        # The queries go out concurrently (at most 8 in flight), so their arrival order varies.
        assert sorted(server.asked) == sorted([("website.default.default.svc.cluster.local.", "A"), (WEBSITE, "A")])


async def test_live_ui_never_waits_on_a_silent_server(live_app):
    app, server = live_app({(WEBSITE, "A"): "silent"})
    async with app.run_test(size=(80, 24)) as pilot:
        await open_dns(pilot)
        pane = pane_of(app)
        pane.dns_timeout = 2.0
        await look_up(pilot, "website")
        assert f"asking {server.address}" in summary(app)
        assert plan_rows(app)[0][1] == "…"
        await pilot.press("c")  # the UI answers keys while the query still waits
        await pilot.pause()
        assert pane.view_id == "corefile"
        assert pane.lookup.queries[0].actual is None
        await pilot.press("a")
        await wait_for(pilot, lambda: pane.lookup.queries[0].actual is not None)
        rows = plan_rows(app)
        assert rows[0][1] == "✗ differs" and rows[0][5] == "✗ error"
        assert f"no answer from {server.address} within 2 s" in rows[0][8]
        assert "asking" not in summary(app)


# -- hostile strings ---------------------------------------------------------------------------

HOSTILE = "[bold red]x[/]-[link=http://e]y-[-\x1b[31mz-\x1b]8;;http://e\x07w\x1b]8;;\x07-\r-\u202ed-\u200bq"


def hostile_snapshot(tmp_path: Path) -> Path:
    snap = tmp_path / "hostile"
    shutil.copytree(LAB, snap)
    services = json.loads((snap / "api" / "services.json").read_text())
    items = services["items"] if isinstance(services, dict) else services
    victim = next(s for s in items if s["metadata"]["name"] == "website")
    victim["metadata"]["name"] = HOSTILE
    (snap / "api" / "services.json").write_text(json.dumps(services))
    cms = json.loads((snap / "api" / "configmaps.json").read_text())
    cm_items = cms["items"] if isinstance(cms, dict) else cms
    core = next(c for c in cm_items if c["metadata"]["name"] == "coredns")
    core["data"]["Corefile"] = core["data"]["Corefile"].replace("errors", "errors\n    # " + HOSTILE, 1)
    (snap / "api" / "configmaps.json").write_text(json.dumps(cms))
    return snap


async def test_hostile_strings_are_shown_inert(make_lab_app, tmp_path):
    app = make_lab_app(snapshot=str(hostile_snapshot(tmp_path)))
    async with app.run_test(size=(160, 50)) as pilot:
        await open_dns(pilot)
        await pilot.press("l")
        await pilot.pause()
        names = app.query_one("#dns-names-table").plain_text()
        assert "[bold red]x[/]-[link=http://e]y-[-" in names  # markup shown as the characters it is
        for raw in ("\x1b", "\r", "\u202e", "\u200b", "\x07"):
            assert raw not in names
        svg = app.export_screenshot()
        assert "\x1b" not in svg
        assert "[bold&#160;red]x[/]" in svg  # shown as characters, not applied as a style
        await pilot.press("c")
        await pilot.pause()
        core = app.query_one("#dns-corefile-text").render().plain
        assert "# [bold red]x[/]-[link=http://e]y-[-" in core
        for raw in ("\x1b", "\r", "\u202e", "\u200b", "\x07"):
            assert raw not in core
        assert "\x1b" not in app.export_screenshot()
        await pilot.press("ctrl+s")
        await pilot.pause()
        saved = next((tmp_path / "saved").glob("k8snet-dns-*.txt")).read_text(encoding="utf-8")
        assert "[link=http://e]y" in saved
        for raw in ("\x1b", "\r", "\u202e", "\u200b", "\x07"):
            assert raw not in saved


async def test_filter_narrows_the_names_and_esc_leaves_the_name_box(make_lab_app):
    app = make_lab_app(snapshot=str(LAB))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_dns(pilot)
        await pilot.press("l")
        await pilot.pause()
        await pilot.press("slash", *"kube-dns", "enter")
        await pilot.pause()
        names = [line.split("\t")[0] for line in app.query_one("#dns-names-table").plain_text().splitlines()[1:]]
        assert names and all("kube-dns" in n for n in names)
        assert "website.default.svc.cluster.local." not in names
        await pilot.press("i", *"web")
        await pilot.pause()
        box = app.query_one("#dns-name")
        assert box.has_focus and box.value == "web"
        await pilot.press("escape")
        await pilot.pause()
        assert not box.has_focus
        assert pane_of(app).view_id == "names"

"""The Services pane and the datapath trace, driven by keys on the lab snapshot and tmp copies of it."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from textual.widgets import ContentSwitcher

from k8snet_tui.app import make_app
from k8snet_tui.collect.session import SnapshotSession
from k8snet_tui.config import Settings
from k8snet_tui.domain.model import NodeState, Observed
from k8snet_tui.screens import services as services_mod
from k8snet_tui.screens.services import ServicesPane
from k8snet_tui.sources.ports import ApiFailure
from k8snet_tui.sources.snapshot import bundled_lab_path, load_snapshot
from k8snet_tui.widgets.resource_table import ResourceTable
from k8snet_tui.widgets.trace_view import TraceView

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
    shutil.copytree(bundled_lab_path(), dest)
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
        keys = [k for k, _ in ServicesPane.HELP]
        assert "enter" in keys and "l" in keys and ":trace NS/NAME[:PORT]" in keys

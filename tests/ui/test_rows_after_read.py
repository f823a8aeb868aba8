"""A big snapshot read in the background: the Services rows that come after the read count each
Service's own slices, and the hidden panes are mounted only once those rows are built.

The snapshot is the benchmark generator's scale S (100 Services and the two of kube-system and default) with its EndpointSlices
rewritten so that the counts differ from Service to Service (0 to 6 endpoints, some not
ready, some Services split over two slices): a slice read for the wrong Service, or one read
twice or not at all, shows on screen as a wrong `ready/total`. Slices are deferred (decoded
when read) as in every snapshot; the whole table reads them in one pass.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from k8snet_tui import runtime
from k8snet_tui.app import make_app
from k8snet_tui.cli import build_parser
from k8snet_tui.config import Settings
from k8snet_tui.registry import PANES
from k8snet_tui.screens.base import Pane

from bench.gen import generate
from tests.ui.conftest import screen_lines, screen_text, settle, wait_for

SERVICE_LABEL = "kubernetes.io/service-name"
ROW = re.compile(r"^\s*(\S+)\s+(\S+)\s.*\s(\d+)/(\d+)(?: [!⚠])?\s+\S+\s*$")


@pytest.fixture(scope="module")
def varied_snapshot(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("scale-s")
    snap = root / "snapshot"
    shutil.copytree(generate("S", root / "gen", log=lambda *_: None) / "snapshot", snap)
    path = snap / "api" / "endpointslices.json"
    doc = json.loads(path.read_text())
    items = []
    for i, s in enumerate(doc["items"]):
        endpoints = s.get("endpoints") or []
        extra = endpoints[:1] * (i % 3 == 0)  # every third Service: one more endpoint, in a second slice
        s["endpoints"] = endpoints[: i % 7]
        for j, ep in enumerate(s["endpoints"]):
            ep.setdefault("conditions", {})["ready"] = (i + j) % 4 != 0
        items.append(s)
        if extra:
            twin = json.loads(json.dumps(s))
            twin["metadata"]["name"] += "-b"
            ep = json.loads(json.dumps(extra[0]))
            ep["addresses"] = [f"10.250.{i // 250}.{i % 250}"]
            ep["conditions"] = {"ready": i % 2 == 0}
            twin["endpoints"] = [ep]
            items.append(twin)
    doc["items"] = items
    path.write_text(json.dumps(doc))
    return snap


def expected_counts(snap: Path) -> dict[tuple[str, str], tuple[int, int]]:
    """(namespace, name) -> (ready, total) distinct addresses, read from the JSON itself."""
    ready: dict[tuple[str, str], set[str]] = {}
    total: dict[tuple[str, str], set[str]] = {}
    for s in json.loads((snap / "api" / "endpointslices.json").read_text())["items"]:
        key = (s["metadata"]["namespace"], s["metadata"]["labels"][SERVICE_LABEL])
        for ep in s.get("endpoints") or []:
            total.setdefault(key, set()).update(ep["addresses"])
            if ep.get("conditions", {}).get("ready") is not False:
                ready.setdefault(key, set()).update(ep["addresses"])
    services = json.loads((snap / "api" / "services.json").read_text())["items"]
    return {(m["namespace"], m["name"]): (len(ready.get((m["namespace"], m["name"]), ())),
                                          len(total.get((m["namespace"], m["name"]), ())))
            for m in (svc["metadata"] for svc in services)}


def shown_counts(app) -> dict[tuple[str, str], tuple[int, int]]:
    found = {}
    for line in screen_lines(app):
        m = ROW.match(line.strip("│┃▌ "))
        if m and m.group(1) != "namespace":
            found[(m.group(1), m.group(2))] = (int(m.group(3)), int(m.group(4)))
    return found


def start(snap: Path):
    args = build_parser().parse_args(["--snapshot", str(snap)])
    return make_app(Settings(offline=True), runtime.tui_session(args, Settings(offline=True)), start_pane="services")


async def test_every_row_counts_its_own_slices(varied_snapshot, held_read, monkeypatch) -> None:
    from k8snet_tui.screens import services

    monkeypatch.setattr(services, "FIRST_ROWS", 10)  # a first screenful, then the whole table
    expected = expected_counts(varied_snapshot)
    assert len(set(expected.values())) > 5  # the counts tell the Services apart
    app = start(varied_snapshot)
    async with app.run_test(size=(150, 130)) as pilot:
        await pilot.pause(0.2)
        assert "Reading the snapshot" in screen_text(app)
        held_read.set()
        await wait_for(pilot, app, "svc-00000")
        await settle(pilot)
        shown = shown_counts(app)
        assert len(shown) == len(expected), screen_text(app)
        assert shown == expected
        app.exit(0)


async def test_the_hidden_panes_are_mounted_once_the_rows_are_built(varied_snapshot, held_read) -> None:
    app = start(varied_snapshot)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.3)
        # While the read goes on, only the pane shown is mounted (the others would hold the GIL).
        assert [p.PANE_ID for p in app.query(Pane)] == ["services"]
        held_read.set()
        await wait_for(pilot, app, "svc-00000")
        await settle(pilot)
        assert sorted(p.PANE_ID for p in app.query(Pane)) == sorted(spec.id for spec in PANES)
        await pilot.press("3")
        await settle(pilot)
        assert "Pods" in screen_text(app) and "app-00000-" in screen_text(app), screen_text(app)
        app.exit(0)

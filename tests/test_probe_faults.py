"""Issue 9: a node probe that hangs, dies by a signal, prints garbage or prints JSON of the wrong
shape. `run_probe` turns each into a NodeState whose errors say what happened; in the live app
the Host pane shows that error while the API panes carry on (driven with Pilot).

The fake probes are small Python programs run the way the real probe is run (an argv prefix, no
shell); none needs root or a network.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time

import pytest

from k8snet_tui.app import make_app
from k8snet_tui.collect.session import LiveSession
from k8snet_tui.config import Settings
from k8snet_tui.sources.kinds import Kind
from k8snet_tui.sources.ports import ListPage, WatchEvent
from k8snet_tui.sources.probe_client import run_probe
from k8snet_tui.sources.snapshot import load_snapshot
from k8snet_tui.widgets.resource_table import ResourceTable


def fake(code: str) -> list[str]:
    return [sys.executable, "-c", code]


HANG = fake("import time; time.sleep(600)")
KILLED = fake("import os, sys; sys.stderr.write('probe: about to crash\\n'); sys.stderr.flush(); "
              "os.kill(os.getpid(), 9)")
SEGV = fake("import os; os.kill(os.getpid(), 11)")
GARBAGE = fake("import sys; sys.stdout.buffer.write(b'\\x1b[2J\\xff\\xfe not json {' * 50)")
# Valid JSON, with the right format marker, and every field of the wrong type.
WRONG_SHAPE_DOC = {"format": "k8snet.probe/v1", "hostname": ["node-1"], "links": "eth0", "addresses": {"a": 1},
                   "routes": 7, "iptables": ["*nat"], "nft_ruleset": "table ip nat", "resolv_conf": 53,
                   "errors": "not a list", "captured_at": "yesterday"}
WRONG_SHAPE = fake(f"print({json.dumps(WRONG_SHAPE_DOC)!r})")
NOT_A_DOC = fake("print(json.dumps([{'format': 'k8snet.probe/v1'}]))".replace("json.dumps", "__import__('json').dumps"))


def test_hang_is_stopped_at_the_timeout_and_says_so():
    t0 = time.monotonic()
    state = run_probe(HANG, timeout=1.0)
    assert time.monotonic() - t0 < 6, "the hung probe was waited on past its timeout and grace"
    (err,) = state.errors
    assert "did not finish within 1 s" in err and "stopped" in err
    assert not state.has_kernel_state


@pytest.mark.parametrize("argv, sig", [(KILLED, signal.SIGKILL), (SEGV, signal.SIGSEGV)], ids=["SIGKILL", "SIGSEGV"])
def test_death_by_signal_is_named(argv, sig):
    state = run_probe(argv, timeout=10)
    (err,) = state.errors
    # "exited with status -9" hides what happened: a user needs to read that a signal killed it
    assert sig.name in err or f"signal {int(sig)}" in err, err
    if argv is KILLED:
        assert "about to crash" in err  # the stderr tail comes along


def test_garbage_is_reported_and_nothing_is_made_up():
    state = run_probe(GARBAGE, timeout=10)
    (err,) = state.errors
    assert "printed no probe JSON" in err
    assert not state.has_kernel_state and state.links == () and state.iptables == {}


DEEP = fake("import sys; sys.stdout.write('[' * 200000)")


def test_json_nested_past_the_parsers_depth_is_garbage_not_a_crash():
    state = run_probe(DEEP, timeout=10)
    (err,) = state.errors
    assert "printed no probe JSON" in err
    assert not state.has_kernel_state


def test_wrong_shape_json_names_every_bad_field():
    state = run_probe(WRONG_SHAPE, timeout=10)
    text = "\n".join(state.errors)
    for field in ("hostname", "links", "addresses", "routes", "iptables", "nft_ruleset", "resolv_conf", "errors"):
        assert f"'{field}'" in text, f"no error names field {field!r}:\n{text}"
    assert state.links == () and state.routes == () and state.nft_ruleset is None


def test_json_list_is_not_a_probe_document():
    (err,) = run_probe(NOT_A_DOC, timeout=10).errors
    assert "printed no probe JSON" in err


# -- the app: API panes carry on while the node probe misbehaves ------------------------------


class LabSource:
    """A ClusterSource that serves the bundled lab snapshot's objects; watches stay quiet."""

    def __init__(self) -> None:
        self.snap = load_snapshot("lab")

    def list_page(self, kind: Kind, namespace, *, limit: int = 500, continue_token: str = "",
                  name: str = "") -> ListPage:
        items = [dict(o) for o in self.snap.cluster.of(kind.kind)
                 if not name or o.get("metadata", {}).get("name") == name]
        return ListPage(items, "1", "")

    def watch(self, kind: Kind, namespace, *, resource_version: str, timeout_seconds: int = 300,
              name: str = ""):
        def quiet():
            time.sleep(0.5)
            return
            yield WatchEvent("BOOKMARK", {})  # pragma: no cover
        return quiet()


def host_text(app) -> str:
    return app.current_pane.plain_text()


def service_rows(app) -> set[str]:
    return set(app.query_one("#svc-table", ResourceTable).keys)


async def until(pilot, cond, timeout, what):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await pilot.pause(0.1)


@pytest.mark.parametrize("argv, expect", [
    (HANG, "did not finish within 1 s"),
    (KILLED, "probe"),
    (GARBAGE, "printed no probe JSON"),
    (WRONG_SHAPE, "probe field 'links' is str"),
], ids=["hang", "killed", "garbage", "wrong-shape"])
async def test_host_pane_shows_the_probe_error_and_services_carry_on(argv, expect, tmp_path, monkeypatch):
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    polls = []

    def read_node():
        polls.append(threading.current_thread().name)
        return run_probe(argv, timeout=1.0, node="node-1")

    session = LiveSession(LabSource(), "fake", read_node=read_node, interval=0.5, local_node="node-1")
    app = make_app(Settings(offline=True), session, start_pane="services", save_dir=str(tmp_path / "saved"))
    async with app.run_test(size=(140, 45)) as pilot:
        await until(pilot, lambda: "default/website" in service_rows(app), 10, "the lab's Services")
        await until(pilot, lambda: app.observed.nodes.get("node-1") is not None
                    and app.observed.nodes["node-1"].errors, 10, "a node reading with errors")
        assert polls and all(name != "MainThread" for name in polls), "the probe ran on the UI thread"
        await pilot.press("2")
        await until(pilot, lambda: expect in host_text(app), 5, f"the Host pane to say {expect!r}")
        text = host_text(app)
        assert "\x1b" not in text
        if argv is KILLED:
            assert "SIGKILL" in text or "signal 9" in text, text
        # keys still work and the API panes still show the cluster
        await pilot.press("4")
        await pilot.pause(0.2)
        assert {"default/website", "kube-system/kube-dns"} <= service_rows(app)
        await pilot.press("3")
        await pilot.pause(0.2)
        assert "website" in app.current_pane.plain_text()
        await pilot.press("q")

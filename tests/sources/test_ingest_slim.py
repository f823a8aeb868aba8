"""Objects slimmed at ingest (snapshot loader, live store) answer exactly as the objects as sent.

The allow-list of `k8snet capture` (sources/allowlist.py) now also decides what the live store
keeps, and what the snapshot loader keeps (`load_snapshot(path)`; `slim=False` keeps them whole).
Every `show PANE --json`, every trace, lookup and route of the bundled lab, with the kinds
and fields it lacks added (the extras of test_capture_allowlist),
must give the same JSON whether the objects were slimmed or kept whole.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_capture_allowlist import MARKER, clean_env, commands, extra_objects, outputs, raw_snapshot  # noqa: F401

from k8snet_tui import runtime, views
from k8snet_tui.cli import PANES
from k8snet_tui.collect import store as store_module
from k8snet_tui.collect.store import Store
from k8snet_tui.domain.model import Observed
from k8snet_tui.present.serialize import to_jsonable
from k8snet_tui.sources import snapshot as snapshot_module
from k8snet_tui.sources.snapshot import load_snapshot


def _whole(obj):
    return obj


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    # The extras carry MARKER in fields the panes do not read: slimming must drop them unseen.
    return raw_snapshot(tmp_path, extra_objects(), drop=("servicecidrs",))


def test_the_snapshot_loader_keeps_only_allow_listed_fields(raw: Path) -> None:
    slim_cluster = load_snapshot(raw, slim=True).cluster
    whole_cluster = load_snapshot(raw, slim=False).cluster
    assert MARKER in json.dumps(dict(whole_cluster.objects), default=list)
    assert MARKER not in json.dumps(dict(slim_cluster.objects), default=list)
    assert {k: len(v) for k, v in slim_cluster.objects.items()} == {k: len(v) for k, v in whole_cluster.objects.items()}


def test_every_answer_is_the_same_from_slimmed_snapshot_objects(raw: Path, capsys, monkeypatch) -> None:
    argvs = commands(load_snapshot(raw).cluster)
    plain_load = snapshot_module.load_snapshot
    monkeypatch.setattr(runtime, "load_snapshot", lambda path: plain_load(path, slim=False))
    whole = [outputs(argv, raw, capsys) for argv in argvs]
    monkeypatch.setattr(runtime, "load_snapshot", lambda path: plain_load(path, slim=True))
    slimmed = [outputs(argv, raw, capsys) for argv in argvs]
    assert MARKER not in json.dumps(dict(runtime.load_snapshot(raw).cluster.objects), default=list)
    for argv, a, b in zip(argvs, slimmed, whole, strict=True):
        assert a == b, argv
    assert sum(code == 0 for code, _, _ in whole) >= len(argvs) - 3  # real answers, not two errors


def _store_views(objects: dict, snap) -> list[str]:
    store = Store()
    for kind, items in objects.items():
        store.replace_kind(kind, [json.loads(json.dumps(o)) for o in items])  # as a watcher hands them over
    observed = Observed(cluster=store.snapshot(), nodes=snap.nodes, local_node=snap.local_node, cloud=snap.cloud)
    out = []
    for pane in PANES:
        model = views.build(pane, observed)
        out.append(json.dumps(model.to_json() if hasattr(model, "to_json") else model, sort_keys=True, default=str))
    for svc in observed.cluster.of("Service"):
        ref = f"{svc['metadata']['namespace']}/{svc['metadata']['name']}"
        out.append(json.dumps(to_jsonable(views.trace(observed, ref)), sort_keys=True, default=str))
    return out


def test_every_pane_is_the_same_from_a_store_that_slims(raw: Path, monkeypatch) -> None:
    snap = load_snapshot(raw, slim=False)  # objects as sent
    objects = {k: list(v) for k, v in snap.cluster.objects.items()}
    slimmed = _store_views(objects, snap)
    store = Store()
    store.replace_kind("Pod", objects["Pod"])
    assert MARKER not in json.dumps(store.dump(), default=list)
    monkeypatch.setattr(store_module, "_kept", _whole)
    assert _store_views(objects, snap) == slimmed
    assert MARKER in json.dumps({k: list(v) for k, v in objects.items()})


def test_the_store_keeps_kinds_the_allow_list_does_not_name_whole() -> None:
    store = Store()
    secret = {"kind": "Secret", "metadata": {"name": "s", "namespace": "d", "uid": "1"}, "data": {"k": "v"}}
    widget = {"metadata": {"name": "w", "uid": "2"}, "spec": {"x": 1}}
    store.replace_kind("Secret", [secret])
    store.apply("Widget", "ADDED", widget)
    assert store.dump() == {"Secret": {"1": secret}, "Widget": {"2": widget}}
    pod = {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "p", "namespace": "d", "uid": "3",
                                                           "annotations": {"x": MARKER}},
           "spec": {"nodeName": "n", "containers": [{"name": "c", "env": [{"name": "E", "value": MARKER}]}]}}
    store.apply("Pod", "ADDED", pod)
    kept = store.dump()["Pod"]["3"]
    assert kept["spec"]["nodeName"] == "n" and MARKER not in json.dumps(kept)

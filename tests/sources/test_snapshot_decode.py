"""The typed decode of API lists (sources/snapshot_decode.py) gives exactly what json.loads + slim() give.

Its promise: for any file, the loader's objects and problems are the same whether a list was
decoded straight into its allow-listed shape or decoded whole and slimmed in Python; where it
cannot be sure, it declines and the old path answers. Checked on the bundled lab and the bench
scales (the fast path must really be taken there), on hand-made awkward lists (NaN, lone
surrogates, a BOM, values of the wrong shape, mixed kinds, kind-less items, big numbers,
duplicate keys, command lines), and on 400 random mutations of the lab's lists.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from k8snet_tui.domain.datapath.endpoints import shared_pod_index
from k8snet_tui.domain.service_index import service_index
from k8snet_tui.sources import snapshot_decode
from k8snet_tui.sources.allowlist import slim
from k8snet_tui.sources.snapshot import bundled_lab_path, load_snapshot

from bench.gen import generate

pytestmark = pytest.mark.skipif(not snapshot_decode.available(), reason="msgspec is not installed")


def old_path(path: Path, monkeypatch) -> tuple[dict, tuple]:
    """What the loader gives with slimming done in Python (the path before the typed decode)."""
    with monkeypatch.context() as m:
        m.setattr(snapshot_decode, "msgspec", None)
        snap = load_snapshot(path, slim=True)
    return dict(snap.cluster.objects), snap.problems


def fast_path(path: Path) -> tuple[dict, tuple]:
    """The typed decode's objects and problems; the deferred load (pods and slices decoded one
    by one) must give the very same, through its indexes first and then read whole."""
    snap = load_snapshot(path, slim=True, defer=False)
    lazy = load_snapshot(path, slim=True)
    assert lazy.problems == snap.problems
    same_indexes(lazy.cluster, snap.cluster)
    assert list(lazy.cluster.objects) == list(snap.cluster.objects)  # kinds in the same order
    assert dict(lazy.cluster.objects) == dict(snap.cluster.objects)
    for kind, objects in snap.cluster.objects.items():  # read whole, a deferred list still counts its items
        deferred = lazy.cluster.deferred(kind)
        assert deferred is None or (len(deferred) == len(objects) and list(deferred.heads()) == list(objects))
    return dict(snap.cluster.objects), snap.problems


def same_indexes(lazy, eager) -> None:
    """The pod and Service indexes of a fresh deferred state answer as the eager state's."""
    lazy_pods, eager_pods = shared_pod_index(lazy), shared_pod_index(eager)
    for got, want in zip(lazy_pods, eager_pods, strict=True):
        assert list(got) == list(want)
        assert all(got[k] == want[k] for k in want) and all(got.get(k) == want.get(k) for k in ("", "x/y"))
    lazy_index, eager_index = service_index(lazy), service_index(eager)
    keys = list(eager_index.labelled()) + [("default", "nope")]
    for ns, name in keys:
        assert lazy_index.count(ns, name) == eager_index.count(ns, name)
    assert [lazy_index.slices(*k) for k in keys] == [eager_index.slices(*k) for k in keys]
    assert dict(lazy_index.labelled()) == dict(eager_index.labelled())


def counting(monkeypatch) -> list[str]:
    """Names of the files the typed decode answered for."""
    taken: list[str] = []
    real = snapshot_decode.decode_list

    def spy(data: bytes, path: str):
        items = real(data, path)
        if items is not None:
            taken.append(path)
        return items

    monkeypatch.setattr(snapshot_decode, "decode_list", spy)
    return taken


def test_slim_is_the_default_and_whole_objects_stay_available(tmp_path) -> None:
    # `k8snet capture` writes slim objects, so the lab's first Pod gets back fields the API sends
    # and slim drops: a generation and a container's environment
    lab = tmp_path / "lab"
    shutil.copytree(bundled_lab_path(), lab)
    doc = json.loads((lab / "api/pods.json").read_text())
    doc["items"][0]["metadata"]["generation"] = 1
    doc["items"][0]["spec"]["containers"][0]["env"] = [{"name": "TOKEN", "value": "not-for-a-snapshot"}]
    (lab / "api/pods.json").write_text(json.dumps(doc))
    pod = load_snapshot(lab).cluster.of("Pod")[0]
    whole = load_snapshot(lab, slim=False).cluster.of("Pod")[0]
    assert pod == slim(whole) and pod != whole
    assert "generation" in whole["metadata"] and "generation" not in pod["metadata"]
    assert "not-for-a-snapshot" in json.dumps(whole) and "not-for-a-snapshot" not in json.dumps(pod)


def test_the_lab_decodes_typed_as_slim_would(monkeypatch) -> None:
    expected = old_path(bundled_lab_path(), monkeypatch)
    assert fast_path(bundled_lab_path()) == expected
    taken = counting(monkeypatch)
    load_snapshot(bundled_lab_path(), defer=False)
    # Every list but the ConfigMaps (kept by name, not by field) took the typed path.
    assert len(taken) == len(list((bundled_lab_path() / "api").glob("*.json"))) - 1
    assert "api/configmaps.json" not in taken


@pytest.mark.parametrize("scale", ["S", "M"])
def test_the_bench_scales_decode_typed_as_slim_would(scale, tmp_path, monkeypatch) -> None:
    snap_dir = generate(scale, tmp_path, log=lambda *_: None) / "snapshot"
    whole = load_snapshot(snap_dir, slim=False)
    expected = {kind: tuple(slim(o) or o for o in objs) for kind, objs in whole.cluster.objects.items()}
    assert fast_path(snap_dir) == (expected, whole.problems)
    taken = counting(monkeypatch)
    load_snapshot(snap_dir, defer=False)
    assert sorted(taken) == sorted(f"api/{p.name}" for p in (snap_dir / "api").glob("*.json"))


def write_list(root: Path, name: str, text: str) -> Path:
    snap = root / "snap"
    (snap / "api").mkdir(parents=True, exist_ok=True)
    (snap / "meta.json").write_text('{"format": "k8snet.snapshot/v1"}')
    (snap / "api" / name).write_text(text, encoding="utf-8", errors="surrogatepass")
    return snap


POD = {"metadata": {"name": "p", "namespace": "default", "labels": {"app": "a"}, "managedFields": [{}]},
       "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "i", "env": [{"name": "X"}],
                                                  "ports": [{"containerPort": 80, "protocol": "TCP"}]}]},
       "status": {"podIP": "10.0.0.5", "podIPs": [{"ip": "10.0.0.5"}], "phase": "Running"}}


def pod_list(*items: object, kind: str = "PodList") -> str:
    return json.dumps({"kind": kind, "apiVersion": "v1", "items": list(items)})


def changed(path: str, value: object) -> dict:
    pod = json.loads(json.dumps(POD))
    *parents, last = path.split(".")
    cur = pod
    for key in parents:
        cur = cur[int(key)] if isinstance(cur, list) else cur[key]
    if isinstance(cur, list):
        cur[int(last)] = value
    else:
        cur[last] = value
    return pod


AWKWARD = {
    "plain": pod_list(POD),
    "kubectl List, kinds on the items": pod_list({**POD, "kind": "Pod", "apiVersion": "v1"}, kind="List"),
    "List without item kinds": pod_list(POD, kind="List"),
    "an item of another kind": pod_list(POD, {"kind": "Service", "apiVersion": "v1", "metadata": {"name": "s"}}),
    "an empty item kind": pod_list({**POD, "kind": ""}),
    "a numeric item kind": pod_list({**POD, "kind": 7}),
    "an item that is not an object": pod_list(POD, 5),
    "items not a list": json.dumps({"kind": "PodList", "items": {"a": 1}}),
    "a single object": json.dumps({**POD, "kind": "Pod", "apiVersion": "v1"}),
    "top level is a list": json.dumps([POD]),
    "metadata a string": pod_list(changed("metadata", "x")),
    "a KEEP field holding an object": pod_list(changed("spec.nodeName", {"a": 1})),
    "a KEEP list holding an object": pod_list(changed("status.podIPs", [{"ip": "1"}, 3])),
    "labels holding a list": pod_list(changed("metadata.labels", {"a": [1, {"b": 2}]})),
    "command lines": pod_list(changed("spec.containers.0", {
        "name": "api", "command": ["kube-apiserver", "--service-cluster-ip-range", "10.96.0.0/12", "--token=x"],
        "args": ["--cluster-cidr=10.244.0.0/16", "--secret", "s", 5]})),
    "a flag split between command and args": pod_list(changed("spec.containers.0", {
        "name": "c", "command": ["x", "--cluster-cidr"], "args": ["10.0.0.0/8", "--other"]})),
    "command a string": pod_list(changed("spec.containers.0", {"name": "c", "command": "sh -c x"})),
    "a huge integer": pod_list(changed("spec.containers.0.ports.0.containerPort", 10**30)),
    "a float port": pod_list(changed("spec.containers.0.ports.0.containerPort", 80.0)),
    "booleans and nulls": pod_list(changed("spec.nodeName", None), changed("spec.nodeName", True)),
    "annotations, some kept": pod_list(changed("metadata.annotations", {
        "linkerd.io/inject": "enabled", "secret/thing": "x", "kubernetes.io/egress-bandwidth": 5})),
    "unicode": pod_list(changed("metadata.name", "p\u00e9\u4e2d\U0001F600")),
    "control characters escaped": pod_list(changed("metadata.name", "a\u0000b\u001b[31m")),
    # for the deferred load: a kind on the item, no apiVersion, and a shape the typed decode refuses
    "its own kind, no apiVersion, a wrong shape": pod_list(POD, {**changed("status.podIPs", "x"), "kind": "Pod"}),
    "a null kind": pod_list(POD, {**POD, "kind": None}),
    "an empty kind": pod_list(POD, {**POD, "kind": ""}),
    "a kind that is a number": pod_list(POD, {**POD, "kind": 7}),
    "a wrong shape in a head field": pod_list(POD, changed("metadata.name", {"a": 1}), changed("status.podIPs", 5)),
}
RAW_AWKWARD = {
    "NaN": pod_list(POD).replace('"Running"', "NaN"),
    "Infinity": pod_list(POD).replace("80", "1e400"),
    "a lone surrogate": pod_list(POD).replace('"Running"', '"\\ud800"'),
    "a BOM": "\ufeff" + pod_list(POD),
    "duplicate keys": pod_list(POD).replace('"nodeName": "n1"', '"nodeName": "n1", "nodeName": "n2"'),
    "trailing garbage": pod_list(POD) + " x",
    "truncated": pod_list(POD)[:-7],
    "deeply nested": pod_list(changed("metadata.labels", "X")).replace('"X"', "[" * 5000 + "]" * 5000),
    "tabs and newlines between tokens": pod_list(POD).replace(", ", ",\n\t"),
    "a raw control character in a string": pod_list(POD).replace('"Running"', '"Run\x01ning"'),
    "invalid UTF-8": pod_list(POD).replace('"Running"', '"Run\udcffning"'),
}


@pytest.mark.parametrize("name", sorted({**AWKWARD, **RAW_AWKWARD}))
def test_awkward_lists_give_the_same_objects_and_problems(name, tmp_path, monkeypatch) -> None:
    text = {**AWKWARD, **RAW_AWKWARD}[name]
    snap = write_list(tmp_path, "pods.json", text)
    assert fast_path(snap) == old_path(snap, monkeypatch)


def test_the_typed_path_answers_only_when_sure(monkeypatch, tmp_path) -> None:
    taken = counting(monkeypatch)
    for name in ("plain", "kubectl List, kinds on the items", "command lines", "a huge integer"):
        fast_path(write_list(tmp_path / name.replace(" ", "_"), "pods.json", AWKWARD[name]))
    assert len(taken) == 4
    taken.clear()
    for name in ("an item of another kind", "metadata a string", "a KEEP field holding an object", "single"):
        fast_path(write_list(tmp_path / name.replace(" ", "_"), "pods.json", AWKWARD.get(name, AWKWARD["a single object"])))
    for name in ("NaN", "a lone surrogate", "a BOM", "truncated"):
        fast_path(write_list(tmp_path / name.replace(" ", "_"), "pods.json", RAW_AWKWARD[name]))
    assert taken == []


def _random_value(rng: random.Random, depth: int = 0) -> object:
    choice = rng.randrange(9 if depth < 2 else 6)
    return [None, True, rng.randint(-2**70, 2**70), rng.random() * 1e6, "", "x\u00e9",
            [1, "a", None], {"k": "v", "n": 1}, [{"ip": "10.1.1.1"}, "z"]][choice]


def _paths(value: object, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def test_random_mutations_of_the_lab_lists_give_the_same_objects(tmp_path, monkeypatch) -> None:
    rng = random.Random(22)
    lab_api = bundled_lab_path() / "api"
    docs = {p.name: json.loads(p.read_text()) for p in lab_api.glob("*.json") if p.name != "configmaps.json"}
    for round_ in range(400):
        name = rng.choice(sorted(docs))
        doc = json.loads(json.dumps(docs[name]))
        for _ in range(rng.randint(1, 3)):
            paths = _paths(doc)
            path = rng.choice(paths)
            cur = doc
            for step in path[:-1]:
                cur = cur[step]
            if rng.random() < 0.15 and isinstance(cur, dict):
                del cur[path[-1]]
            else:
                cur[path[-1]] = _random_value(rng)
        root = tmp_path / f"r{round_}"
        snap = write_list(root, name, json.dumps(doc))
        assert fast_path(snap) == old_path(snap, monkeypatch), (round_, name)
        shutil.rmtree(root)

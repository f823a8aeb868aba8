"""The one-shot commands answer the same on the fast path and on the full one, at every bench scale.

Fast: what `k8snet trace|dns|route|show` now does (API lists decoded straight into their
allow-listed shape by `snapshot_decode`, the iptables dump indexed lazily, the cyclic collector
off). Full: every object decoded whole by `json.loads` and kept as sent, every rule of the dump
parsed. Compared as JSON text, on S and M (`K8SNET_LAZY_SCALES=S,M,L,XL` adds the big ones):
traces of the services (every one at S, a spread of them above), DNS lookups from a pod,
routes to NodePorts, the Services pane, and the CLI's own stdout for each command.
"""

from __future__ import annotations

import json
import os

import pytest

from k8snet_tui import cli, runtime, views
from k8snet_tui.domain.datapath import backend
from k8snet_tui.domain.datapath.backend import parse_node_datapath
from k8snet_tui.domain.datapath.iptables_lazy import LazyIptablesDump
from k8snet_tui.domain.datapath.iptables_save import parse_iptables_save
from k8snet_tui.domain.model import Observed, name_of, namespace_of
from k8snet_tui.present.serialize import to_jsonable
from k8snet_tui.sources import snapshot_decode
from k8snet_tui.sources.snapshot import load_snapshot

from bench.gen import generate

SCALES = [s.strip() for s in os.environ.get("K8SNET_LAZY_SCALES", "S,M").split(",") if s.strip()]
TRACED = {"S": 1, "M": 7, "L": 97, "XL": 97}  # every Nth service (and the lab's two)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench-data")
    small = {s: generate(s, root, log=lambda *_: None) for s in SCALES if s in ("S", "M")}
    return {**small, **{s: generate(s, log=lambda *_: None) for s in SCALES if s not in small}}  # cached bench/.data


def observed_of(snap) -> Observed:
    return Observed(cluster=snap.cluster, nodes=snap.nodes, local_node=snap.local_node)


def as_text(value: object) -> str:
    return json.dumps(to_jsonable(value))  # key order included: the CLI prints it as built


def answers(obs: Observed, datapath, step: int) -> list[str]:
    services = obs.cluster.of("Service")
    picked = [s for i, s in enumerate(services) if i < 2 or i % step == 0]
    out = [as_text(views.trace(obs, f"{namespace_of(s)}/{name_of(s)}", datapath=datapath)) for s in picked]
    pods = obs.cluster.of("Pod")
    client = f"{namespace_of(pods[-1])}/{name_of(pods[-1])}"
    for s in picked[:12]:
        for name in (name_of(s), f"{name_of(s)}.{namespace_of(s)}", f"{name_of(s)}.{namespace_of(s)}.svc.cluster.local"):
            out.append(as_text(views.dns_lookup(obs, name, pod=client)))
    node_ip = next(a["address"] for a in obs.cluster.of("Node")[0]["status"]["addresses"] if a["type"] == "InternalIP")
    ports = [p["nodePort"] for s in picked for p in s["spec"]["ports"] if p.get("nodePort")][:10]
    out += [as_text(views.route(obs, f"http://{node_ip}:{port}/x")) for port in ports]
    out.append(as_text(views.build("services", obs)))
    return out


@pytest.mark.skipif(not snapshot_decode.available(), reason="msgspec is not installed")
@pytest.mark.parametrize("scale", SCALES)
def test_fast_and_full_paths_give_identical_json_on_every_bench_scale(data, scale, monkeypatch) -> None:
    snap_dir = data[scale] / "snapshot"
    fast_snap = load_snapshot(snap_dir)
    fast_dp = parse_node_datapath(fast_snap.local, fast_snap.cluster)
    assert isinstance(fast_dp.iptables_dump, LazyIptablesDump)
    assert "containerStatuses" not in json.dumps(fast_snap.cluster.of("Pod")[0])  # really slimmed
    fast = answers(observed_of(fast_snap), fast_dp, TRACED[scale])
    del fast_snap, fast_dp

    monkeypatch.setattr(snapshot_decode, "msgspec", None)  # json.loads, every object whole
    monkeypatch.setattr(backend, "index_iptables_save", parse_iptables_save)  # every rule parsed
    full_snap = load_snapshot(snap_dir)
    full_dp = parse_node_datapath(full_snap.local, full_snap.cluster)
    assert not isinstance(full_dp.iptables_dump, LazyIptablesDump)
    assert "containerStatuses" in json.dumps(full_snap.cluster.of("Pod")[0])
    full = answers(observed_of(full_snap), full_dp, TRACED[scale])

    assert len(fast) == len(full) > 20
    for a, b in zip(fast, full, strict=True):
        assert a == b
    assert sum('"endpoints": [{' in t for t in fast) >= 10  # real traces with endpoints, not empty answers
    assert any('"answers": [' in t and '"answers": []' not in t for t in fast)


def cli_outputs(snap_dir, capsys) -> list[tuple[int, str, str]]:
    snap = str(snap_dir)
    svc = json.loads((snap_dir / "api" / "services.json").read_text())["items"][5]
    ref = f"{svc['metadata']['namespace']}/{svc['metadata']['name']}"
    argvs = [["trace", ref, "-o", "json"], ["trace", ref], ["show", "services", "-o", "json"],
             ["dns", svc["metadata"]["name"], "--pod", "default/" + "x", "-o", "json"],
             ["dns", f"{svc['metadata']['name']}.{svc['metadata']['namespace']}", "-o", "json"],
             ["route", "/anything", "-o", "json"], ["route", f"http://172.20.0.10:{30000}/x", "-o", "json"]]
    out = []
    for argv in argvs:
        code = cli.main([*argv, "--snapshot", snap])
        got = capsys.readouterr()
        out.append((code, got.out, got.err))
    return out


@pytest.mark.skipif(not snapshot_decode.available(), reason="msgspec is not installed")
def test_the_cli_prints_the_same_on_both_paths(data, capsys, monkeypatch) -> None:
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    snap_dir = data[SCALES[0]] / "snapshot"
    fast = cli_outputs(snap_dir, capsys)
    monkeypatch.setattr(snapshot_decode, "msgspec", None)
    plain = runtime.load_snapshot
    monkeypatch.setattr(runtime, "load_snapshot", lambda path: plain(path, slim=False))
    monkeypatch.setattr(backend, "index_iptables_save", parse_iptables_save)
    full = cli_outputs(snap_dir, capsys)
    assert fast == full
    assert [code for code, _, _ in fast].count(0) >= 5 and len(fast[0][1]) > 500


@pytest.mark.parametrize("scale", SCALES)
def test_a_trace_reads_only_its_services_slices_and_answers_as_with_every_slice_read(data, scale,
                                                                                      monkeypatch) -> None:
    from dataclasses import replace

    from k8snet_tui.domain import service_index as index_module

    snap = load_snapshot(data[scale] / "snapshot")
    dp = parse_node_datapath(snap.local, snap.cluster)
    services = snap.cluster.of("Service")
    picked = [s for i, s in enumerate(services) if i < 2 or i % (TRACED[scale] * 10) == 0][:8]
    everything = replace(snap.cluster)  # a state of its own: its index is read whole first
    assert index_module.service_index(everything).slices_by_service
    read: list[str] = []
    real = index_module.index_slice
    monkeypatch.setattr(index_module, "index_slice", lambda obj: read.append(obj["metadata"]["name"]) or real(obj))
    for svc in picked:
        ref = f"{namespace_of(svc)}/{name_of(svc)}"
        whole = as_text(views.trace(Observed(cluster=everything, nodes=snap.nodes, local_node=snap.local_node),
                                    ref, datapath=dp))
        assert read == []  # the whole index was read before, nothing more
        fresh = replace(snap.cluster)
        alone = as_text(views.trace(Observed(cluster=fresh, nodes=snap.nodes, local_node=snap.local_node),
                                    ref, datapath=dp))
        own = [sl["metadata"]["name"] for sl in snap.cluster.of("EndpointSlice")
               if sl["metadata"].get("labels", {}).get("kubernetes.io/service-name") == name_of(svc)
               and namespace_of(sl) == namespace_of(svc)]
        assert alone == whole
        assert sorted(read) == sorted(own) and own  # that Service's slices, and only them
        read.clear()


@pytest.mark.skipif(not snapshot_decode.available(), reason="msgspec is not installed")
@pytest.mark.parametrize("scale", SCALES)
def test_a_trace_on_a_fresh_snapshot_decodes_only_its_pods_and_slices(data, scale) -> None:
    """Pods and slices are decoded one by one when read: a trace of one Service decodes its own
    pods and slices only, and answers as when every object was decoded at load."""
    eager = load_snapshot(data[scale] / "snapshot", defer=False)
    eager_dp = parse_node_datapath(eager.local, eager.cluster)
    services = eager.cluster.of("Service")
    picked = [s for i, s in enumerate(services) if i < 2 or i % (TRACED[scale] * 10) == 0][:8]
    traced = 0
    for svc in picked:
        ref = f"{namespace_of(svc)}/{name_of(svc)}"
        lazy = load_snapshot(data[scale] / "snapshot")
        pods, slices = lazy.cluster.deferred("Pod"), lazy.cluster.deferred("EndpointSlice")
        assert pods is not None and slices is not None and pods.decoded == slices.decoded == 0
        lazy_dp = parse_node_datapath(lazy.local, lazy.cluster)
        got = as_text(views.trace(observed_of(lazy), ref, datapath=lazy_dp))
        assert got == as_text(views.trace(observed_of(eager), ref, datapath=eager_dp))
        own = [sl for sl in eager.cluster.of("EndpointSlice")
               if sl["metadata"].get("labels", {}).get("kubernetes.io/service-name") == name_of(svc)
               and namespace_of(sl) == namespace_of(svc)]
        behind = {ep["targetRef"]["name"] for sl in own for ep in sl.get("endpoints") or () if ep.get("targetRef")}
        assert slices.decoded == len(own)
        assert pods.decoded == len(behind) < len(pods)  # the pods behind its endpoints, looked up by key
        traced += bool(behind)
    assert traced >= 2

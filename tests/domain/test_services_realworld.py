"""The trace against kube-proxy's own proxier-test rulesets, from several releases.

Each fixture in fixtures/realworld/ records, with its provenance (release, file, test, line):
the rules the kube-proxy test asserts (`rules`, verbatim), what was added or changed to load
them (`prelude`, `hooks`, `load_edits`, with the reason), the API objects the test builds
(written out as JSON), kube-proxy's own packet-flow expectations where the test has them
(`flows`), and per service port the outcome expected here: chains per role, per-path endpoints
with their shares, drops, rejects, masquerade, findings. The rules were loaded with the real
`iptables-restore` / `nft -f` in a scratch network namespace and read back with `iptables-save`
/ `nft -j list ruleset`; that output is the `.iptables-save.txt` / `.nft.json` beside each
fixture, and the last test here reloads them to prove it (when it may create a namespace).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from k8snet_tui.domain.model import ClusterState, NodeState
from k8snet_tui.domain.services import trace_service
from k8snet_tui.present.serialize import to_jsonable

FIX = Path(__file__).parent / "fixtures" / "realworld"
FIXTURES = sorted(p.stem for p in FIX.glob("*.json") if not p.name.endswith(".nft.json"))
POD_SOURCE = "10.0.0.2"  # the pod kube-proxy's flow tests dial from


def _meta(fid: str) -> dict:
    return json.loads((FIX / f"{fid}.json").read_text())


def _node(fid: str, meta: dict) -> NodeState:
    if meta["mode"] == "iptables":
        return NodeState(node=meta["node"], iptables={"nft": (FIX / f"{fid}.iptables-save.txt").read_text()})
    return NodeState(node=meta["node"], nft_ruleset=json.loads((FIX / f"{fid}.nft.json").read_text()))


def _trace(fid: str):
    meta = _meta(fid)
    cluster = ClusterState.from_objects(meta["objects"])
    node = _node(fid, meta)
    return meta, {c["service"]: trace_service(cluster, node, *c["service"].split("/")) for c in meta["cases"]}


def _port(trace, name: str):
    (port,) = [p for p in trace.ports if p.name == name]
    return port


CASES = [(fid, i, c["service"]) for fid in FIXTURES for i, c in enumerate(_meta(fid)["cases"])]


def test_the_corpus_is_wide_enough():
    releases = {_meta(f)["provenance"]["release"] for f in FIXTURES}
    assert {"v1.23.17", "v1.26.15", "v1.29.14", "v1.36.3"} <= releases
    assert len(CASES) >= 20
    assert {_meta(f)["mode"] for f in FIXTURES} == {"iptables", "nftables"}


@pytest.mark.parametrize("fid, index, service", CASES, ids=[f"{f}-{s}" for f, _, s in CASES])
def test_case_matches_what_kube_proxy_expects(fid, index, service):
    meta, traces = _trace(fid)
    case = meta["cases"][index]
    trace = traces[service]
    port = _port(trace, case["port"])
    want_chains = {role: case["chains"].get(role) for role in ("service", "local", "external", "firewall")}
    assert port.chains == want_chains
    got = {(p.entry.kind, p.entry.address, p.entry.port): p for p in port.paths}
    want = {(p["entry"], p["address"], p["port"]): p for p in case["paths"]}
    assert set(got) == set(want), f"paths: {sorted(got)}"
    for key, w in want.items():
        g = got[key]
        shares = {f"{e.address}:{e.port}": e.share for e in g.endpoints}
        assert shares == pytest.approx(w["endpoints"], abs=1e-6), key
        assert (round(g.dropped, 6), round(g.rejected, 6)) == (w["dropped"], w["rejected"]), key
        assert g.masquerade is w["masquerade"], key
        assert list(g.source_ranges) == w["source_ranges"], key
        assert g.path == ("cluster" if key[0] == "cluster-ip" else "external")
    codes = {f.code for f in port.findings}
    assert set(case.get("findings", [])) <= codes, codes
    for absent in case.get("absent_findings", []):
        code, _, subject = absent.partition(":")
        assert not [f for f in port.findings if f.code == code and subject in f.message], absent
    if "node_port" in case:
        assert port.node_port == case["node_port"]
        assert to_jsonable(port)["node_port"] is None
    if "health_check_node_port" in case:
        assert port.health_check_node_port == case["health_check_node_port"]
    if "affinity_seconds" in case:
        assert port.affinity_seconds == case["affinity_seconds"]
        (aff,) = [f for f in port.findings if f.code == "session-affinity"]
        assert str(case["affinity_seconds"]) in aff.message
    assert "no-kube-proxy-rules" not in codes and "endpoint-not-in-kernel" not in codes
    json.dumps(to_jsonable(trace))  # plain data all the way down


FLOWS = [(fid, f) for fid in FIXTURES for f in _meta(fid)["flows"]]


@pytest.mark.parametrize("fid, flow", FLOWS, ids=[f"{f}-{fl['name']}" for f, fl in FLOWS])
def test_trace_agrees_with_kube_proxys_packet_flow_tests(fid, flow):
    """kube-proxy's tests run packets through its rules; the trace must reach the same endpoints."""
    _, traces = _trace(fid)
    paths = [p for t in traces.values() for port in t.ports for p in port.paths
             if p.entry.address == flow["dest"] and p.entry.port == flow["port"]]
    if flow["source"] == POD_SOURCE:
        paths = [p for p in paths if p.entry.kind == "cluster-ip"]
    else:
        paths = [p for p in paths if p.entry.kind != "cluster-ip"]
    assert paths, flow
    path = paths[0]
    out = flow["output"]
    if out in ("DROP", "REJECT"):
        assert not path.endpoints
        assert (path.dropped if out == "DROP" else path.rejected) == pytest.approx(1.0)
    else:
        assert sorted(f"{e.address}:{e.port}" for e in path.endpoints) == sorted(out.split(", "))
        assert sum(e.share for e in path.endpoints) == pytest.approx(1.0)
        assert path.masquerade is flow["masq"]


def _load(meta: dict) -> str:
    body = meta["rules"]
    for edit in meta["load_edits"]:
        body = re.sub(edit["pattern"], edit["replace"], body)
    ns = "k8snet-rw-" + uuid.uuid4().hex[:8]
    if meta["mode"] == "iptables":
        load, save = ["iptables-restore", "--noflush"], ["iptables-save"]
    else:
        order = {"table": 0, "set": 1, "map": 1, "chain": 2}
        lines = [ln for ln in body.split("\n") if ln.strip() and not ln.lstrip().startswith("#")]
        body = "\n".join(sorted(lines, key=lambda ln: order.get(ln.split()[1], 3))) + "\n"
        load, save = ["nft", "-f", "-"], ["nft", "-j", "list", "ruleset"]
    if subprocess.run(["ip", "netns", "add", ns], capture_output=True).returncode:
        pytest.skip("cannot create a network namespace here")
    try:
        subprocess.run(["ip", "netns", "exec", ns, *load], input=meta["prelude"] + body + meta["hooks"],
                       text=True, check=True, capture_output=True)
        return subprocess.run(["ip", "netns", "exec", ns, *save], capture_output=True, text=True, check=True).stdout
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


@pytest.mark.parametrize("fid", FIXTURES)
def test_saved_rules_are_what_the_real_tools_give(fid):
    meta = _meta(fid)
    tool = "iptables-restore" if meta["mode"] == "iptables" else "nft"
    if os.geteuid() != 0 or shutil.which(tool) is None or shutil.which("ip") is None:
        pytest.skip(f"needs root, ip and {tool}")
    saved = _load(meta)
    if meta["mode"] == "iptables":
        strip = "\n".join(ln for ln in saved.split("\n") if not ln.startswith("# "))
        assert strip == (FIX / f"{fid}.iptables-save.txt").read_text()
    else:
        drop_meta = lambda doc: [x for x in doc["nftables"] if "metainfo" not in x]  # noqa: E731
        assert drop_meta(json.loads(saved)) == drop_meta(json.loads((FIX / f"{fid}.nft.json").read_text()))

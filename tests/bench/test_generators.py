"""The benchmark generators: consistent with each other and with k8snet's own parsers.

Never timings: these check that the generated dump, ruleset and API lists describe one cluster,
in the formats the real tools print.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from k8snet_tui.domain.datapath import (
    iptables_chain_names,
    iptables_endpoint_chain,
    nft_chain_names,
    parse_iptables_save,
    parse_nft_json,
    parse_node_datapath,
    service_port_name,
)
from k8snet_tui.domain.services import trace_service
from k8snet_tui.sources.snapshot import load_snapshot

from bench.gen import generate, manifest
from bench.gen.iptables import iptables_probability
from bench.gen.model import SCALES, build_cluster


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench-data")
    return {name: generate(name, root, log=lambda *_: None) for name in ("S", "M")}


def _expected_chains(scale: str) -> tuple[set[str], set[str]]:
    svc, sep = set(), set()
    for s in build_cluster(SCALES[scale]).services:
        if not s.endpoints:
            continue
        for p in s.ports:
            spn = service_port_name(s.namespace, s.name, p.name)
            svc.add(iptables_chain_names(spn, p.protocol)["service"])
            sep |= {iptables_endpoint_chain(spn, p.protocol, e.ip, p.target_port) for e in s.endpoints}
    return svc, sep


@pytest.mark.parametrize("scale", ["S", "M"])
def test_dump_chain_names_are_kube_proxy_hashes(data, scale):
    dump = parse_iptables_save((data[scale] / "iptables-save.txt").read_text(), "legacy")
    assert not dump.problems
    names = set(dump.chain_names("nat"))
    want_svc, want_sep = _expected_chains(scale)
    assert {n for n in names if n.startswith("KUBE-SVC-")} == want_svc
    assert {n for n in names if n.startswith("KUBE-SEP-")} == want_sep
    # Known vectors from kube-proxy itself.
    assert {"KUBE-SVC-NPX46M4PTMTKRN6Y", "KUBE-SVC-TCOU7JCQXEZGVUNU"} <= names
    assert dump.rules("nat", "KUBE-SERVICES")[-1].target == "KUBE-NODEPORTS"
    m = manifest(scale, data[scale].parent)
    assert dump.rule_count == m["iptables_rules"]
    assert dump.line_count == m["iptables_lines"]


def test_comments_dropped_only_above_1000_endpoints(data):
    small = parse_iptables_save((data["S"] / "iptables-save.txt").read_text())
    big = parse_iptables_save((data["M"] / "iptables-save.txt").read_text())
    assert manifest("S", data["S"].parent)["endpoints"] <= 1000 < manifest("M", data["M"].parent)["endpoints"]

    def sep_rules(d):
        return [r for n in d.chain_names("nat") if n.startswith("KUBE-SEP-") for r in d.rules("nat", n)]

    assert all(r.comment for r in sep_rules(small))
    assert not any(r.comment for r in sep_rules(big))
    # KUBE-SERVICES keeps its "<spn> cluster IP" comments in both.
    assert all(r.comment for r in big.rules("nat", "KUBE-SERVICES"))


def test_probabilities_as_iptables_prints_them():
    want = {2: "0.50000000000", 3: "0.33333333349", 4: "0.25000000000", 5: "0.20000000019",
            6: "0.16666666651", 7: "0.14285714272", 10: "0.10000000009"}
    assert {n: iptables_probability(n) for n in want} == want


def test_nft_ruleset_has_a_chain_per_service_port(data):
    doc = json.loads((data["S"] / "nft-ruleset.json").read_text())
    rs = parse_nft_json(doc)
    assert not rs.problems
    cluster = build_cluster(SCALES["S"])
    chains = {k[2] for k in rs.chains}
    targets = {v[1] for _, v, _ in rs.set("ip", "kube-proxy", "service-ips").elements}
    for s in cluster.services:
        for p in s.ports:
            name = nft_chain_names(s.namespace, s.name, p.protocol, p.name)["service"]
            assert (name in chains) == bool(s.endpoints)
            assert (name in targets) == bool(s.endpoints)


@pytest.mark.parametrize("snapdir,backend", [("snapshot", "iptables-legacy"), ("snapshot-nft", "nftables")])
def test_snapshot_traces_match_the_api(data, snapdir, backend):
    snap = load_snapshot(data["S"] / snapdir)
    assert snap.problems == ()
    dp = parse_node_datapath(snap.local, snap.cluster)
    assert dp.backend == backend
    for s in build_cluster(SCALES["S"]).services[:40]:
        tr = trace_service(snap.cluster, snap.local, s.namespace, s.name, datapath=dp)
        assert len(tr.ports) == len(s.ports)
        for pt, port in zip(tr.ports, s.ports, strict=True):
            got = sorted((e.address, e.port) for e in pt.endpoints if e.in_kernel and e.in_api)
            assert got == sorted((e.ip, port.target_port) for e in s.endpoints)
            if s.endpoints:
                assert sum(e.share for e in pt.endpoints) == pytest.approx(1.0)
                assert not [f for f in pt.findings if f.severity != "info"]


def test_outputs_are_deterministic(data, tmp_path):
    again = generate("S", tmp_path, log=lambda *_: None)
    for f in ("iptables-save.txt", "nft-ruleset.json", "api/pods.json", "api/endpointslices.json"):
        assert (again / f).read_bytes() == (data["S"] / f).read_bytes(), f


def _tables(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    cur = ""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        if line.startswith("*"):
            cur = line
            out[cur] = []
        else:
            out[cur].append(line)
    return out


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("iptables-legacy-restore") or not shutil.which("ip"),
                    reason="needs root, ip and iptables-legacy")
def test_dump_round_trips_through_iptables_legacy(data):
    """iptables-legacy-restore then -save in a scratch namespace gives back the same text."""
    ns = f"k8snet-benchtest-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        for scale in ("S", "M"):
            text = (data[scale] / "iptables-save.txt").read_text()
            subprocess.run(["ip", "netns", "exec", ns, "iptables-legacy-restore", "-c"], input=text.encode(), check=True)
            saved = subprocess.run(["ip", "netns", "exec", ns, "iptables-legacy-save", "-c"],
                                   capture_output=True, check=True).stdout.decode()
            assert _tables(saved) == _tables(text)
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)

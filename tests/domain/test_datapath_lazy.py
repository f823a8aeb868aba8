"""The lazily parsed iptables dump answers exactly as the full parse does, and parses only what is read.

- on hand-made and generated hostile dumps: every chain, rule, problem, count and index;
- on every bench scale (S and M here; `K8SNET_LAZY_SCALES=S,M,L,XL` adds the big ones, which
  take minutes and ~1 GiB): the dump, and the JSON of a trace of every service, lazy vs full;
- after one trace of one service, most chains of the dump are still unparsed.
"""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k8snet_tui.domain.datapath import backend
from k8snet_tui.domain.datapath.backend import parse_node_datapath
from k8snet_tui.domain.datapath.iptables_lazy import LazyIptablesDump, index_iptables_save
from k8snet_tui.domain.datapath.iptables_save import IptablesDump, parse_iptables_save
from k8snet_tui.domain.model import name_of, namespace_of
from k8snet_tui.domain.services import trace_service
from k8snet_tui.present.serialize import to_jsonable
from k8snet_tui.sources.snapshot import load_snapshot

from bench.gen import generate


def picture(d: IptablesDump) -> dict:
    """Everything a dump says, as plain data (rules by their JSON, indexes by rule line)."""
    return {
        "tables": {t: {n: (c.policy, c.packets, c.bytes, c.line, [r.to_json() for r in c.rules])
                       for n, c in cs.items()} for t, cs in d.tables.items()},
        "order": {t: list(cs) for t, cs in d.tables.items()},
        "problems": [p.to_json() for p in d.problems],
        "counts": (d.rule_count, d.line_count, d.has_counters, d.warnings, d.is_empty, d.backend),
        "jumps": {f"{t} {g}": [r.line for r in rs] for (t, g), rs in d._jumps.items()},
        "dnat": {k: [r.line for r in rs] for k, rs in d._dnat.items()},
        "names": {t: d.chain_names(t) for t in d.tables},
    }


def same_as_full(text: str) -> LazyIptablesDump:
    full = parse_iptables_save(text, "legacy")
    lazy = index_iptables_save(text, "legacy")
    assert isinstance(lazy, LazyIptablesDump)
    # Chain by chain first (the lazy way in), then the whole dump.
    names = {(t, n) for t, cs in full.tables.items() for n in cs} | {("nat", "NOPE"), ("nope", "X")}
    for t, n in sorted(names):
        want = full.chain(t, n)
        got = lazy.chain(t, n)
        assert (got is None) == (want is None), (t, n)
        assert lazy.rules(t, n) == full.rules(t, n), (t, n)
        if want is not None and got is not None:
            assert (got.policy, got.packets, got.bytes, got.line) == (want.policy, want.packets, want.bytes, want.line)
    for t, target in {(t, r.target) for t, cs in full.tables.items() for c in cs.values() for r in c.rules}:
        assert lazy.jumps_to(t, target) == full.jumps_to(t, target)
    assert picture(lazy) == picture(full)
    return lazy


HOSTILE = [
    "",
    "\n\n",
    "# only a comment\n",
    "*nat\n:KUBE-X - [0:0]\n-A KUBE-X -j DROP\nCOMMIT\n",
    # a rule before its chain's declaration: the chain is undeclared, the late declaration ignored
    "*nat\n-A KUBE-X -j DROP\n:KUBE-X ACCEPT [1:2]\n-A KUBE-X -j RETURN\nCOMMIT\n",
    # a bad rule before the declaration does not create the chain; the declaration does
    '*nat\n-A KUBE-X -m comment --comment "open\n:KUBE-X ACCEPT [1:2]\n-A KUBE-X -j RETURN\nCOMMIT\n',
    # an undeclared chain with bad rules only does not exist
    '*nat\n:A - [0:0]\n-A GHOST -m comment --comment "open\n[x:y] -A GHOST -j DROP\n-A A -j GHOST\nCOMMIT\n',
    # a table twice, its chains merged; rules interleaved between chains
    "*nat\n:A - [0:0]\n:B - [0:0]\n-A A -j B\n-A B -j DROP\n-A A -j RETURN\nCOMMIT\n"
    "*filter\n:A - [0:0]\n-A A -j ACCEPT\nCOMMIT\n"
    "*nat\n:C - [0:0]\n-A B -j C\n-A C -j DNAT --to-destination 10.0.0.1:80\nCOMMIT\n",
    # counters, good and bad, on rules and chains; a rule outside any table; an empty table name
    "[1:2] -A OUT -j DROP\n*\n:Z - [0:0]\n-A Z -j DROP\n*nat\n:A ACCEPT [٣:0]\n:B - [x]\n[1:2] -A A -j DROP\n"
    "[1:x] -A A -j DROP\n[1:2]-A A -j DROP\n[3:4]   -A   A   -j   RETURN\n[5:6] -A\n-A\n-A \nCOMMIT\n",
    # quotes in chain names and values, escapes, tabs, CRLF, Unicode blanks and digits
    '*nat\n:"Q R" - [0:0]\n-A "Q R" -j DROP\n-A A"B -j DROP\n-A\tT -j DROP\n-A T\t-j DROP\r\n'
    '-A T -m comment --comment "a \\"b\\" c" -j DROP\n-A T -m comment --comment "x\u2028y" -j DROP\n'
    "-A T -p tcp --dport ８０ -j DNAT --to-destination 10.0.0.1:８０\n-A T --append U\n--append T -j RETURN\nCOMMIT\n",
    # junk lines of every kind; no COMMIT at the end; no trailing newline
    "*mangle\n:KUBE-IPTABLES-HINT - [0:0]\nnonsense\n: \n:\n#Warning: iptables-legacy tables present\n"
    "-A KUBE-IPTABLES-HINT -m unknown --opt ! -x -j MARK --set-xmark 0x1/0x1\n-A KUBE-IPTABLES-HINT -m\n"
    "-A KUBE-IPTABLES-HINT -j\n-A KUBE-IPTABLES-HINT bogus\n-A KUBE-IPTABLES-HINT -p",
    # declarations as kube-proxy writes them, twice, late, with other counters, quoted, empty
    "*nat\n:A - [0:0]\n:A ACCEPT [0:0]\n:B DROP [1:1]\n-A C -j A\n:C ACCEPT [0:0]\n:\"D - [0:0]\n: - [0:0]\n"
    ":E - [0:0] extra\n:F - [0:0x]\n-A E -j B\nCOMMIT\n:G - [0:0]\n",
    # a rule line that is a continuation of a run, then interrupted by a blank and a comment
    "*nat\n:A - [0:0]\n-A A -j DROP\n\n-A A -j DROP\n# c\n-A A -j DROP\n-A B -j DROP\n-A A -j DROP\nCOMMIT\n",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_dumps_read_lazily_as_in_full(text: str) -> None:
    same_as_full(text)


WORDS = ["*nat", "*filter", "COMMIT", ":A - [0:0]", ":B ACCEPT [1:2]", ":C", "-A A", "-A B", "-A C",
         "[1:2] -A A", "[x] -A B", "--append C", "-j", "DROP", "B", "C", "-m", "comment", "--comment",
         '"', '"a b"', "\\", "-p", "tcp", "--dport", "80", "٣", "\t", " ", "\r", "\u2028", "!", "-s",
         "DNAT", "--to-destination", "10.0.0.1:80", "#", "Warning", "-g", "RETURN"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join), max_size=14))
def test_any_dump_reads_lazily_as_in_full(lines: list[str]) -> None:
    same_as_full("\n".join(lines))


def test_iterable_lines_are_parsed_in_full() -> None:
    dump = index_iptables_save(["*nat", ":A - [0:0]", "-A A -j DROP", "COMMIT"])
    assert not isinstance(dump, LazyIptablesDump) and dump.rules("nat", "A")[0].target == "DROP"


# ---- the bench scales ---------------------------------------------------------------------------

SCALES = [s.strip() for s in os.environ.get("K8SNET_LAZY_SCALES", "S,M").split(",") if s.strip()]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    big = [s for s in SCALES if s not in ("S", "M")]
    root = tmp_path_factory.mktemp("bench-data")
    out = {s: generate(s, root, log=lambda *_: None) for s in SCALES if s in ("S", "M")}
    out.update({s: generate(s, log=lambda *_: None) for s in big})  # the cached bench/.data
    return out


def traces(snap, datapath) -> list[str]:
    return [json.dumps(to_jsonable(trace_service(snap.cluster, snap.local, namespace_of(s), name_of(s), datapath=datapath)),
                       sort_keys=True) for s in snap.cluster.of("Service")]


@pytest.mark.parametrize("scale", SCALES)
def test_lazy_and_full_give_identical_answers_on_every_bench_scale(data, scale, monkeypatch) -> None:
    text = (data[scale] / "iptables-save.txt").read_text()
    same_as_full(text)
    snap = load_snapshot(data[scale] / "snapshot")
    lazy_dp = parse_node_datapath(snap.local, snap.cluster)
    assert isinstance(lazy_dp.iptables_dump, LazyIptablesDump)
    lazy = traces(snap, lazy_dp)
    lazy_json = json.dumps(lazy_dp.to_json(), sort_keys=True)
    monkeypatch.setattr(backend, "index_iptables_save", parse_iptables_save)  # the full path, as before
    full_dp = parse_node_datapath(snap.local, snap.cluster)
    assert not isinstance(full_dp.iptables_dump, LazyIptablesDump)
    assert lazy == traces(snap, full_dp)
    assert lazy_json == json.dumps(full_dp.to_json(), sort_keys=True)
    assert any('"endpoints": [{' in t for t in lazy)  # real answers, not two empty ones


def test_one_trace_parses_few_chains(data) -> None:
    snap = load_snapshot(data["M"] / "snapshot") if "M" in data else pytest.skip("M not in K8SNET_LAZY_SCALES")
    dp = parse_node_datapath(snap.local, snap.cluster)
    dump = dp.iptables_dump
    assert isinstance(dump, LazyIptablesDump)
    svc = snap.cluster.of("Service")[5]
    tr = trace_service(snap.cluster, snap.local, namespace_of(svc), name_of(svc), datapath=dp)
    assert to_jsonable(tr)["ports"][0]["endpoints"]
    declared = len(dump._decls)
    assert declared > 1000
    assert dump.parsed_chains < 50 < declared  # its own SVC/SEP chains and the entry chains, not the dump
    dump.full()
    assert dump.parsed_chains >= declared

"""The lazily parsed iptables dump answers exactly as the full parse does, and parses only what is read.

- on hand-made and generated hostile dumps: every chain, rule, problem, count and index;
- on every bench scale (S and M here; `K8SNET_LAZY_SCALES=S,M,L,XL` adds the big ones, which
  take minutes and ~1 GiB): the dump, and the JSON of a trace of every service, lazy vs full;
- after one trace of one service, most chains of the dump are still unparsed.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k8snet_tui.domain.datapath import backend, iptables_lazy
from k8snet_tui.domain.datapath.backend import parse_node_datapath
from k8snet_tui.domain.datapath.iptables_lazy import LazyIptablesDump, index_iptables_save
from k8snet_tui.domain.datapath.iptables_save import IptablesDump, parse_iptables_save, splits_at_spaces_only
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


def same_as_full(text: str, *, found: bool | None = None) -> LazyIptablesDump:
    """`found`: whether its chains must be found in the text (True) or through the line index (False)."""
    full = parse_iptables_save(text, "legacy")
    lazy = index_iptables_save(text, "legacy")
    assert isinstance(lazy, LazyIptablesDump)
    if found is not None:
        assert lazy.lines_indexed is not found
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
    # plain words, chain words quoted (the tokenizer names the chain), escapes, quotes in names
    '*nat\n:Q - [0:0]\n-A "Q" -j DROP\n-A Q"" -j RETURN\n-A  "Q" -j ACCEPT\n[1:1] -A "Q" -j DROP\nCOMMIT\n',
    '*nat\n:A - [0:0]\n--append "A" -j DROP\n--append  A"" -j RETURN\nCOMMIT\n',
    '*nat\n:A - [0:0]\n-A "A" -j DROP\n-A "\\"A" -j DROP\n-A "A\\\\" -j DROP\n-A Q"R -j A\n:"S - [0:0]\n-A "S -j A\n'
    '-A "x -A A" -j A\n-A ""A -j A\n-A "" A -j A\n-A "A"B -j A\nCOMMIT\n',
    # an escape inside a quoted chain word: `"A\B"` is chain AB, spelled nowhere as it is
    '*nat\n:AB - [0:0]\n-A AB -j DROP\n-A "A\\B" -j RETURN\n-A "\\AB" -j ACCEPT\n-A AB -j A\\B\nCOMMIT\n',
    # a rule line that is a continuation of a run, then interrupted by a blank and a comment
    "*nat\n:A - [0:0]\n-A A -j DROP\n\n-A A -j DROP\n# c\n-A A -j DROP\n-A B -j DROP\n-A A -j DROP\nCOMMIT\n",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_dumps_read_lazily_as_in_full(text: str) -> None:
    same_as_full(text)


H1, H2 = "KUBE-SEP-AAAAAAAAAAAAAAAA", "KUBE-SVC-BBBBBBBBBBBBBBBB"  # kube-proxy's hashed names
# Dumps whose chains are found in the text (plain words, no quoted chain word), with everything
# else a finder could get wrong.
FINDABLE = [
    # blanks: leading, doubled, trailing; --append; a blank after a declaration's colon; tables
    # and COMMIT lines indented; a `*` and a COMMIT inside rules
    "  *nat\n :A - [0:0]\n:  B ACCEPT [1:1]\n  -A A -j B\n-A   A  -j  DROP \n[1:2]   -A  B -j A\n--append A -j C\n"
    "  [3:4] --append B -j RETURN\n-A A -m comment --comment COMMIT -j DROP\n-A B -j *x\n  COMMIT  \n"
    "-A A -j DROP\n *filter\n-A A -j ACCEPT\n COMMIT\n",
    # counters on a run's second line only: the dump has counters
    "*nat\n-A X -j DROP\n[3:4] -A X -j DROP\nCOMMIT\n",
    # a chain word right after -j, as a jump, and as the word after -A; one with -g
    "*nat\n:A - [0:0]\n-A B -j A\n-A B -g A\n-A A -j A\n-A  A\n-A -j A\nCOMMIT\n",
    HOSTILE[3], HOSTILE[4],
    # names that are prefixes of others; `-A NAME` inside a comment, after a word, at a line's end
    '*nat\n:KUBE-SVC-A - [0:0]\n:KUBE-SVC-AB - [0:0]\n-A KUBE-SVC-AB -j DROP\n-A KUBE-SVC-A\n'
    '-A KUBE-SVC-AB -m comment --comment "x -A KUBE-SVC-A -j y" -j RETURN\nfoo -A KUBE-SVC-A -j DROP\n'
    '-A KUBE-SVC-A -j KUBE-SVC-AB\nCOMMIT\n',
    # counters words, good and bad and unclosed; a counters word with a blank inside; outside a table
    "[1:2] -A OUT -j DROP\n*nat\n:A ACCEPT [3:4]\n[1:2] -A A -j DROP\n[x] -A A -j DROP\n[1:2 -A A -j DROP\n"
    "[1: 2] -A A -j DROP\n[5:6]-A A -j DROP\nCOMMIT\n-A A -j DROP\n[7:8] -A A -j RETURN\n",
    # a table twice and one in between; an empty table name; COMMITTED is no COMMIT; no final newline
    "*nat\n:A - [0:0]\n-A A -j B\nCOMMIT\n*filter\n:A - [0:0]\n-A A -j ACCEPT\nCOMMITTED\n-A A -j DROP\n"
    "COMMIT\n*\n:Z - [0:0]\n-A Z -j DROP\n*nat\n:A ACCEPT [9:9]\n:C - [0:0]\n-A A -j C\n*mangle\n-A A -j X",
    # declarations: twice, late, with other counters, bare, with extra words; one as a word of a rule
    "*nat\n:A - [0:0]\n:A ACCEPT [0:0]\n-A C -j A\n:C ACCEPT [0:0]\n:E - [0:0] extra\n:F\n:F - [1:1]\n"
    "-A E -j B\n-A F -j :A\n:G - [0:0x]\nCOMMIT\n:H - [0:0]\n",
    # runs broken by blanks, comments, other chains; the same chain again much later
    "*nat\n:A - [0:0]\n-A A -j DROP\n\n-A A -j DROP\n# -A A\n-A A -j DROP\n-A B -j DROP\n-A A -j DROP\n"
    + "-A B -j RETURN\n" * 50 + "-A A -p tcp --dport 80 -j DNAT --to-destination 10.0.0.1:80\nCOMMIT\n",
    # hashed names: met as jumps, in comments, as a prefix, declared twice and late, in two tables,
    # after counters, as the first line of a table, at the very end
    f"*nat\n:{H1} - [0:0]\n-A {H2} -j {H1}\n-A {H2} -m comment --comment \"-A {H1} x\" -j {H1}X\n"
    f"[1:2] -A {H1} -j DROP\n[1:2]-A {H1} -j DROP\nx -A {H1}\n-A {H1}\n-A {H1}X -j DROP\n:{H1} ACCEPT [5:5]\n"
    f"-A {H2} -j RETURN\n:{H1}:\n-A {H1} -p tcp -j DNAT --to-destination 10.0.0.1:80\nCOMMIT\n"
    f"*filter\n-A {H1} -j ACCEPT\n:{H2} - [0:0]\nCOMMIT\n*mangle\n:{H2}\n-A {H2}",
]


@pytest.mark.parametrize("text", FINDABLE)
def test_chains_found_in_the_text_read_as_in_full(text: str) -> None:
    same_as_full(text, found=True)


def test_quoted_chain_words_are_found_unless_an_escape_may_spell_them() -> None:
    quoted = [t for t in HOSTILE if splits_at_spaces_only(t) and re.search(r'(?:-A|--append) +"', t)]
    assert len(quoted) == 4
    for text in quoted:
        same_as_full(text, found="\\" not in text)


FINDABLE_WORDS = [" ", "  *nat", " COMMIT", "--append A", "--append", ": A", ":  B - [0:0]", "-g",
                  "*nat", "*filter", "*", "COMMIT", "COMMITTED", ":A - [0:0]", ":B ACCEPT [1:2]", ":C", ":AB",
                  "-A A", "-A B", "-A AB", "-A C", "[1:2] -A A", "[x] -A B", "[1:2 -A AB", "-j", "DROP", "A", "B",
                  "AB", "-m", "comment", "--comment", '"a', 'b"', "-p", "tcp", "--dport", "80", "!", "-s",
                  "DNAT", "--to-destination", "10.0.0.1:80", "#", "Warning", "-g", "RETURN", "",
                  f"-A {H1}", f":{H1}", H1, f"-A {H2}", f":{H2} - [0:0]", H2, f"{H1}X", f"[3:4] -A {H2}"]
# (no tab, no non-ASCII digit: those need the line index, see findable())


def findable(text: str) -> bool:
    """Whether chains are found in the text: plain words (ASCII, lines cut at spaces only), and
    no rule line quoting its chain word in a dump holding a backslash."""
    return splits_at_spaces_only(text) and not ("\\" in text and re.search(r'(?:-A|--append) +[^ \n"]*"', text))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(st.sampled_from(FINDABLE_WORDS), min_size=1, max_size=8).map(" ".join), max_size=14))
def test_any_dump_found_in_the_text_reads_as_in_full(lines: list[str]) -> None:
    text = "\n".join(lines)
    same_as_full(text, found=findable(text))


WORDS = ["*nat", "*filter", "COMMIT", ":A - [0:0]", ":B ACCEPT [1:2]", ":C", "-A A", "-A B", "-A C",
         "[1:2] -A A", "[x] -A B", "--append C", "-j", "DROP", "B", "C", "-m", "comment", "--comment",
         '"', '"a b"', "\\", "-p", "tcp", "--dport", "80", "٣", "\t", " ", "\r", "\u2028", "!", "-s",
         "DNAT", "--to-destination", "10.0.0.1:80", "#", "Warning", "-g", "RETURN"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join), max_size=14))
def test_any_dump_reads_lazily_as_in_full(lines: list[str]) -> None:
    text = "\n".join(lines)
    same_as_full(text, found=findable(text))


def test_many_chains_read_one_by_one_switch_to_the_line_index() -> None:
    names = [f"KUBE-SEP-{i:016d}" for i in range(iptables_lazy.FINDS_BEFORE_INDEX + 5)]
    text = "*nat\n" + "".join(f":{n} - [0:0]\n" for n in names) + "".join(f"-A {n} -j DROP\n" for n in names)
    dump = index_iptables_save(text + "COMMIT\n", "legacy")
    for i, name in enumerate(names):
        assert dump.rules("nat", name)[0].target == "DROP"
        assert dump.lines_indexed is (i >= iptables_lazy.FINDS_BEFORE_INDEX)  # found, then through the index
    same_as_full(text)


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
    declared = sum(len(cs) for cs in parse_iptables_save(snap.local.iptables["legacy"]).tables.values())
    assert declared > 1000
    assert dump.parsed_chains < 50 < declared  # its own SVC/SEP chains and the entry chains, not the dump
    assert not dump.lines_indexed  # its chains were found in the text, not through an index of every line
    dump.full()
    assert dump.lines_indexed
    assert dump.parsed_chains >= declared


# ---- a chain's rules holding a word, read without parsing the chain -------------------------------

FIXTURES = Path(__file__).parent / "fixtures"
# Real kube-proxy output (iptables-save after iptables-restore of kube-proxy's own test rules, at
# several releases) and the lab's dumps.
REAL_DUMPS = sorted((FIXTURES / "realworld").glob("*.iptables-save.txt")) + [
    FIXTURES / "datapath" / "lab-1.24-iptables-save.txt",
    Path(__file__).parents[1] / "fixtures" / "lab-printed" / "nodes" / "ip-172-31-24-84" / "iptables-save.txt"]
ENTRY_CHAINS = [("nat", "KUBE-SERVICES"), ("nat", "KUBE-NODEPORTS"), ("filter", "KUBE-SERVICES"),
                ("filter", "KUBE-NODEPORTS"), ("filter", "KUBE-EXTERNAL-SERVICES"), ("filter", "KUBE-PROXY-FIREWALL")]


def holding_as_in_full(text: str, chains: list[tuple[str, str]] | None = None) -> int:
    """`rules_holding` (for every word of a chain's rules) and `has_rules` give the full parse's
    answer or None; how many times they answered. The chains read that way are then read whole
    and the dump compared with the full parse as `same_as_full` does."""
    full = parse_iptables_save(text, "legacy")
    lazy = index_iptables_save(text, "legacy")
    assert isinstance(lazy, LazyIptablesDump)
    if chains is None:
        chains = sorted({(t, n) for t, cs in full.tables.items() for n in cs} | {("nat", "NOPE")})
    answered = 0
    for t, n in chains:
        rules = full.rules(t, n)
        has = lazy.has_rules(t, n)
        assert has is None or has is bool(rules), (t, n)
        answered += has is not None
        words = sorted({w for r in rules for w in r.text.replace('"', " ").split()} | {n, "KUBE-CLUSTER-IP", "-j"})
        for word in words[::max(1, len(words) // 300)]:  # (a bench dump's: 300 of them, evenly)
            got = lazy.rules_holding(t, n, word)
            if got is not None:
                answered += 1
                assert got == tuple(r for r in rules if word in r.text), (t, n, word)
    for t, n in chains:  # then parsed, the lazy way in: the same rules as the full parse
        assert lazy.rules(t, n) == full.rules(t, n)
    assert picture(lazy) == picture(full)
    return answered


@pytest.mark.parametrize("path", REAL_DUMPS, ids=lambda p: p.name)
def test_real_kube_proxy_dumps_read_the_rules_holding_a_word_as_in_full(path: Path) -> None:
    text = path.read_text()
    answered = holding_as_in_full(text, ENTRY_CHAINS)
    lazy = index_iptables_save(text, "legacy")
    assert lazy.has_rules("nat", "KUBE-SERVICES") is True  # kube-proxy's lines: read without the parse
    assert answered > len(ENTRY_CHAINS)


@pytest.mark.parametrize("text", HOSTILE + FINDABLE)
def test_hostile_dumps_read_the_rules_holding_a_word_as_in_full(text: str) -> None:
    holding_as_in_full(text)


# Lines of one chain with everything that makes a line not a rule, or a rule of another shape:
# -f takes no value, a quoted value may read as an option, `!` alone, a jump without a target,
# counters good and bad, doubled blanks, quotes left open.
RULE_WORDS = ["-d", "10.0.0.1/32", "10.0.0.10", "-p", "tcp", "-m", "comment", "--comment", '"a b"', '"-d"',
              '"!"', '""', '"x', "!", "-f", "--fragment", "--dport", "80", "8080", "-j", "--jump", "-g", "DROP",
              "KUBE-SVC-X", "KUBE-CLUSTER-IP", "--match-set", "set", "-5", "x", " ", "--to-destination",
              "10.0.0.1:80", "DNAT"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["", "[1:2] ", "[x] ", "[1:2]  "]),
                          st.lists(st.sampled_from(RULE_WORDS), max_size=9).map(" ".join)), max_size=10))
def test_any_chain_reads_the_rules_holding_a_word_as_in_full(lines: list[tuple[str, str]]) -> None:
    text = "*nat\n:C - [0:0]\n" + "".join(f"{counters}-A C {rest}\n" for counters, rest in lines) + "COMMIT\n"
    holding_as_in_full(text, [("nat", "C")])


# Lines shaped as kube-proxy's (pairs of an option and a value, then a jump), with the options
# and values that make such a line a refused one or read otherwise: -f takes no value, a quoted
# `-d` or `-j` is an option, a `!` may stand alone.
PAIR_OPTIONS = ["-d", "! -d", "-p", "-m", "--comment", "--dport", "! --dport", "-f", "--fragment", "-s", "--match",
                "--jump", "-g", "-j", "--to", "!", "-5"]
PAIR_VALUES = ["10.0.0.1/32", "tcp", "comment", '"a b"', '"-d"', '"-j"', '"!"', '""', '"-f"', '"x"', "x", "-5", "!", "80",
               "10.0.0.1", '"10.0.0.1/32 -j"']


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["", "[1:2] ", "[x] "]),
                          st.lists(st.tuples(st.sampled_from(PAIR_OPTIONS), st.sampled_from(PAIR_VALUES))
                                   .map(" ".join), max_size=4).map(" ".join),
                          st.sampled_from([" -j KUBE-SVC-X", " -j DNAT --to-destination 10.0.0.1:80", " -j", ""])),
                min_size=1, max_size=8))
def test_any_kube_proxy_shaped_chain_reads_the_rules_holding_a_word_as_in_full(lines) -> None:
    text = "*nat\n:C - [0:0]\n" + "".join(f"{c}-A C {pairs}{jump}\n".replace("C  -", "C -")
                                         for c, pairs, jump in lines) + "-A C -d 10.0.0.1/32 -j DROP\nCOMMIT\n"
    holding_as_in_full(text, [("nat", "C")])


def test_a_chain_with_a_line_not_surely_a_rule_is_parsed_to_tell() -> None:
    sure = "*nat\n:C - [0:0]\n-A C -d 10.0.0.1/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-X\n"
    for line in ["-A C -f -d 10.0.0.1/32 -j DROP", "-A C -d 10.0.0.1/32 x -j DROP", '-A C -m comment --comment "-d" x -j A',
                 "-A C -f x -j DROP", '-A C --comment "-d" -j A', "-A C --fragment x -j DROP", '-A C -p "!" -j', "-A C -g A",
                 "-A C  -d 10.0.0.1/32 -j DROP", "-A C -d 10.0.0.1/32"]:
        lazy = index_iptables_save(f"{sure}{line}\n-A C -d 10.0.0.1/32 -j DROP\nCOMMIT\n", "legacy")
        assert lazy.rules_holding("nat", "C", "10.0.0.1") is None, line  # (its index needs the line)
        assert lazy.rules_holding("nat", "C", "KUBE-SVC-X") == lazy.rules("nat", "C")[:1], line  # (it does not)
        assert lazy.has_rules("nat", "C") is True, line  # the first line is surely a rule
        first = index_iptables_save(f"*nat\n:C - [0:0]\n{line}\n-A C -d 10.0.0.1/32 -j DROP\nCOMMIT\n", "legacy")
        assert first.has_rules("nat", "C") is None and first.rules_holding("nat", "C", "10.0.0.1") is None, line
        assert first.rules_holding("nat", "C", "NOWHERE") == (), line  # no line holds it: no rule does
    lazy = index_iptables_save(sure + "-A C -d 10.0.0.1/32 -j DROP\nCOMMIT\n", "legacy")
    got = lazy.rules_holding("nat", "C", "10.0.0.1")
    assert got is not None and [r.index for r in got] == [1, 2] and lazy.parsed_chains == 0
    assert index_iptables_save(sure.replace("80", "8\\0") + "COMMIT\n", "legacy").rules_holding("nat", "C", "x") is None


@pytest.mark.parametrize("scale", SCALES)
def test_bench_dumps_read_the_rules_holding_a_word_as_in_full(data, scale) -> None:
    text = (data[scale] / "iptables-save.txt").read_text()
    assert holding_as_in_full(text, ENTRY_CHAINS) > 300
    assert index_iptables_save(text, "legacy").has_rules("nat", "KUBE-SERVICES") is True


# ---- chains found together --------------------------------------------------------------------------

def found_together_as_one_by_one(text: str) -> int:
    """`locate_many` finds each chain as `locate` does, in every table, for the dump's chain names
    and names that are prefixes, extensions or parts of them; how many names were compared."""
    finder = iptables_lazy._ChainFinder.of(text, splits_at_spaces_only(text))
    if finder is None:
        return 0
    full = parse_iptables_save(text, "legacy")
    names = {n for cs in full.tables.values() for n in cs} | {r.target for cs in full.tables.values()
                                                             for c in cs.values() for r in c.rules}
    names |= {n[:-1] for n in names} | {n + "X" for n in names} | {"A", "B", "AB", "end", "NOPE", H1, H2}
    simple = sorted(n for n in names if iptables_lazy._SIMPLE_NAME.fullmatch(n))
    for table in [*full.tables, "nope"]:
        assert finder.locate_many(table, simple) == {n: finder.locate(table, n) for n in simple}, table
    return len(simple)


@pytest.mark.parametrize("text", FINDABLE + [p.read_text() for p in REAL_DUMPS], ids=range(len(FINDABLE) + len(REAL_DUMPS)))
def test_chains_found_together_are_found_as_one_by_one(text: str) -> None:
    assert found_together_as_one_by_one(text) > 3


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(FINDABLE_WORDS + ["--append end", "-A end", ":end - [0:0]", "-j end"]),
                         min_size=1, max_size=8).map(" ".join), max_size=14))
def test_any_dump_finds_chains_together_as_one_by_one(lines: list[str]) -> None:
    found_together_as_one_by_one("\n".join(lines))


def test_a_chain_read_brings_its_targets_and_they_read_as_in_full() -> None:
    seps = [f"KUBE-SEP-{c * 16}" for c in "ABCDE"]
    text = (f"*nat\n:{H2} - [0:0]\n" + "".join(f":{s} - [0:0]\n" for s in seps)
            + "".join(f"-A {H2} -m statistic --mode random --probability 0.5 -j {s}\n" for s in seps)
            + "".join(f"-A {s} -p tcp -m tcp -j DNAT --to-destination 10.0.0.{i}:80\n" for i, s in enumerate(seps))
            + "COMMIT\n")
    lazy = index_iptables_save(text, "legacy")
    assert len(lazy.rules("nat", H2)) == 5 and lazy.parsed_chains == 6  # the SVC chain and its five SEPs
    assert not lazy.lines_indexed
    same_as_full(text, found=True)

"""iptables-save parsing: structure, tokens, counters, tolerance."""

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from k8snet_tui.domain.datapath.iptables_save import parse_iptables_save, tokenize

FIX = Path(__file__).parent / "fixtures" / "datapath"


def lab():
    return parse_iptables_save((FIX / "lab-1.24-iptables-save.txt").read_text(), "legacy")


def test_lab_dump_structure_and_counters():
    d = lab()
    assert not d.problems
    assert d.has_counters
    svc = d.chain("nat", "KUBE-SVC-RYQJBQ5TR32XWAUN")
    assert [r.index for r in svc.rules] == [1, 2, 3, 4]
    r = svc.rules[2]
    assert (r.packets, r.bytes) == (1, 60)
    assert r.comment == "default/website:http -> 10.0.0.1:80"
    assert r.probability == "0.50000000000"
    assert r.target == "KUBE-SEP-FFKEUBR5SKHPYVCQ"
    assert d.chain("nat", "PREROUTING").policy == "ACCEPT"
    assert d.chain("nat", "PREROUTING").packets == 10


def test_core_matches_negation_and_target_args():
    d = lab()
    masq = d.rules("nat", "KUBE-SVC-RYQJBQ5TR32XWAUN")[0]
    src = next(m for m in masq.matches if m.option == "-s")
    assert src.negated and src.value == "10.0.0.0/8"
    assert masq.destination == "10.111.148.30/32" and masq.protocol == "tcp" and masq.dport == "80"
    post = d.rules("nat", "KUBE-POSTROUTING")[0]
    mark = next(m for m in post.matches if m.module == "mark")
    assert mark.negated and mark.value == "0x4000/0x4000"
    assert d.rules("nat", "KUBE-MARK-MASQ")[0].target_args == ("--set-xmark", "0x4000/0x4000")


def test_indexes():
    d = lab()
    jumpers = d.jumps_to("nat", "KUBE-SVC-RYQJBQ5TR32XWAUN")
    assert {r.chain for r in jumpers} == {"KUBE-SERVICES", "KUBE-EXT-RYQJBQ5TR32XWAUN"}
    (dnat,) = d.dnat_to("10.0.0.202:80")
    assert dnat.chain == "KUBE-SEP-OPDTLPWI6RF27F2I"
    assert d.dnat_to("10.9.9.9:80") == ()
    nodeports = d.rules("nat", "KUBE-SERVICES")[-1]
    assert nodeports.option("--dst-type", "addrtype") == "LOCAL"


def test_without_counters_and_warning_line():
    text = (
        "# Warning: iptables-legacy tables present, use iptables-legacy-save to see them\n"
        "*filter\n:INPUT ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n"
        '-A KUBE-SERVICES -d 10.96.5.5/32 -p tcp -m comment --comment "ns/x:web has no endpoints" '
        "-m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable\nCOMMIT\n"
    )
    d = parse_iptables_save(text, "nft")
    assert not d.has_counters and not d.problems
    assert d.warnings and "iptables-legacy tables present" in d.warnings[0]
    (r,) = d.rules("filter", "KUBE-SERVICES")
    assert r.packets is None and r.target == "REJECT"
    assert r.comment == "ns/x:web has no endpoints"


def test_recent_and_unknown_modules_are_kept():
    text = (
        "*nat\n:KUBE-SVC-A - [0:0]\n"
        "-A KUBE-SVC-A -m recent --name KUBE-SEP-B --mask 255.255.255.255 --rsource --rcheck --seconds 10800 "
        "--reap -j KUBE-SEP-B\n"
        "-A KUBE-SVC-A -m frobnicate --wobble 3 4 --flag -j ACCEPT\nCOMMIT\n"
    )
    d = parse_iptables_save(text)
    r1, r2 = d.rules("nat", "KUBE-SVC-A")
    assert r1.option("--seconds", "recent") == "10800"
    assert r1.option("--rcheck", "recent") == ""
    assert ("frobnicate", "--wobble", "3 4", False) in r2.matches
    assert r2.option("--flag", "frobnicate") == ""


def test_quoted_comment_with_escapes():
    assert tokenize('-A X -m comment --comment "a \\"b\\" c\\\\" -j Y') == [
        "-A", "X", "-m", "comment", "--comment", 'a "b" c\\', "-j", "Y"]
    assert tokenize('-A X --comment "open') is None


def test_bad_lines_are_counted_with_line_numbers():
    text = "*nat\n:A - [0:0]\nthis is junk\n[x:y] -A A -j B\n-A A -m\n-A B -j C\nCOMMIT\n-A A -j D\n"
    d = parse_iptables_save(text, "legacy")
    lines = sorted(p.line for p in d.problems)
    assert lines == [3, 4, 5, 6, 8]
    assert all(p.source == "iptables-save:legacy" for p in d.problems)
    assert [r.target for r in d.rules("nat", "B")] == ["C"]  # undeclared chain: kept, and reported


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_garbage_never_raises(text):
    d = parse_iptables_save(text)
    # Lines end at "\n" only (iptables-restore's reading); a final newline starts no line.
    assert d.line_count == text.count("\n") + (0 if text.endswith("\n") or not text else 1)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["*nat", ":A - [0:0]", "-A A", "-j", "!", "-m", "comment", "--comment",
                                 '"x y"', '"', "[1:2]", "-s", "COMMIT", "--dport", "80", "\\",
                                 # digits int() or isdigit() take and iptables never prints, and line breaks
                                 # other than \n (data inside a rule)
                                 "[²:3]", "[٣:1]", ":A - [１:0]", "--probability", "0.٥", "--to-destination",
                                 "10.0.0.1:²", "-j DNAT", "--seconds", "٣", "\u2028", "\x85", "\r"]), max_size=30))
def test_token_soup_never_raises(tokens):
    d = parse_iptables_save(" ".join(tokens) + "\n" + "\n".join(tokens))
    for rule in (r for t in d.tables for c in d.chain_names(t) for r in d.rules(t, c)):
        assert rule.packets is None or isinstance(rule.packets, int)

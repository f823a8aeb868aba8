"""The faster full parse (`parse_iptables_save`) gives what the parser before it gave, exactly.

The parser before it is kept verbatim in tests/support/iptables_save_reference.py. Compared:
every table, chain (policy, counters, line), rule (its JSON: table, chain, index, line,
counters, matches, target, goto, target arguments, text), problem, count, warning and index
(jumps, DNAT destinations), on hand-made hostile dumps, the real kube-proxy dumps of
tests/domain/fixtures/realworld, the bench scales (S and M; `K8SNET_LAZY_SCALES` adds more),
dumps given as an iterable of lines, and generated dumps (hypothesis).
"""

from __future__ import annotations

import dataclasses
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k8snet_tui.domain.datapath import iptables_save
from k8snet_tui.domain.datapath.iptables_save import Match, Rule, parse_iptables_save

from bench.gen import generate
from tests.domain.test_datapath_lazy import FINDABLE, FINDABLE_WORDS, HOSTILE, REAL_DUMPS, WORDS, picture
from tests.support import iptables_save_reference as reference

SCALES = [s.strip() for s in os.environ.get("K8SNET_LAZY_SCALES", "S,M").split(",") if s.strip()]


def same_as_before(text, backend: str = "legacy") -> None:
    new = parse_iptables_save(text if isinstance(text, str) else list(text), backend)
    old = reference.parse_iptables_save(text if isinstance(text, str) else list(text), backend)
    assert picture(new) == picture(old)
    # the objects themselves: Rules and Matches of the shipped types, the same fields
    for t, cs in new.tables.items():
        for name, chain in cs.items():
            for rule, was in zip(chain.rules, old.tables[t][name].rules, strict=True):
                assert type(rule) is Rule
                assert [(type(m), m._asdict()) for m in rule.matches] == [(Match, m._asdict()) for m in was.matches]
                assert rule.matches == was.matches and rule.target_args == was.target_args


@pytest.mark.parametrize("text", HOSTILE + FINDABLE)
def test_hand_made_dumps_parse_as_before(text: str) -> None:
    same_as_before(text)
    same_as_before(text.split("\n"))  # lines handed over one by one (no whole text to point into)


@pytest.mark.parametrize("path", REAL_DUMPS, ids=lambda p: p.name)
def test_real_kube_proxy_dumps_parse_as_before(path) -> None:
    text = path.read_text()
    same_as_before(text)
    same_as_before(text.replace("\n", "\r\n"))  # CRLF: not a plain dump, the careful path
    same_as_before(text.replace(" -j ", "\t-j "))  # a tab: not plain either


@pytest.mark.parametrize("scale", SCALES)
def test_the_bench_scales_parse_as_before(scale) -> None:
    text = (generate(scale) / "iptables-save.txt").read_text()
    same_as_before(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join), max_size=14))
def test_any_dump_parses_as_before(lines: list[str]) -> None:
    same_as_before("\n".join(lines))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(FINDABLE_WORDS), min_size=1, max_size=8).map(" ".join), max_size=14))
def test_any_plain_dump_parses_as_before(lines: list[str]) -> None:
    same_as_before("\n".join(lines))


COUNTERS = ["[0:0]", "[1:2]", "[12345678901234567890:1]", "[123456789012345678901:1]", "[1:123456789012345678901]",
            "[1:]", "[:1]", "[1:2:3]", "[a:1]", "[1 :2]", "[-1:2]", "[+1:2]", "[1:2", "1:2]", "[]", "[1]", "[1_0:2]"]


@pytest.mark.parametrize("counters", COUNTERS)
def test_rule_and_chain_counters_read_as_before(counters: str) -> None:
    same_as_before(f"*nat\n:A - {counters}\n{counters} -A A -j DROP\n[1:1] -A A -j RETURN\nCOMMIT\n")


def test_a_parsed_rule_is_a_frozen_rule_equal_to_one_made_by_hand() -> None:
    dump = parse_iptables_save("*nat\n:A - [0:0]\n[3:4] -A A -p tcp -m tcp --dport 80 -j DNAT --to-destination "
                               "10.0.0.1:80\nCOMMIT\n")
    (rule,) = dump.rules("nat", "A")
    by_hand = Rule("nat", "A", 1, 3, 3, 4, (Match("", "-p", "tcp"), Match("tcp", "--dport", "80")), "DNAT", False,
                   ("--to-destination", "10.0.0.1:80"), "-A A -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.0.0.1:80")
    assert rule == by_hand and hash(rule) == hash(by_hand) and repr(rule) == repr(by_hand)
    assert rule.to_json() == by_hand.to_json()
    assert rule.dnat_destination == "10.0.0.1:80" and rule.dport == "80" and rule.protocol == "tcp"
    with pytest.raises(dataclasses.FrozenInstanceError):
        rule.target = "ACCEPT"  # type: ignore[misc]
    assert [f.name for f in dataclasses.fields(Rule)] == list(iptables_save._RuleInTheMaking.__slots__)

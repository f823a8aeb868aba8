"""The policy evaluator's parts on their own (selectors, ports, ipBlocks), and hostile input:
whatever a policy object holds, compiling and evaluating it answers, never raises."""

from __future__ import annotations

import ipaddress
import random

from test_policy_evaluator import World

from k8snet_tui.domain.policy import UNKNOWN, compile_policy, evaluate
from k8snet_tui.domain.policy.ipblocks import parse_ipblock
from k8snet_tui.domain.policy.ports import named_ports_of, parse_port, valid_port_name
from k8snet_tui.domain.policy.selectors import parse_selector


def test_null_and_empty_selectors_match_everything():
    for raw in (None, {}, {"matchLabels": None}, {"matchLabels": {}, "matchExpressions": []}):
        s = parse_selector(raw, "ns/p", "spec.podSelector")
        assert s.empty and s.matches({}) is True and s.matches({"a": "b"}) is True


def test_selector_text_and_problem_paths():
    s = parse_selector({"matchLabels": {"app": "web"}, "matchExpressions": [
        {"key": "tier", "operator": "NotIn", "values": ["be", "db"]}, {"key": "x", "operator": "DoesNotExist"}]},
        "ns/p", "spec.podSelector")
    assert s.text() == "app in (web),tier notin (be,db),!x"
    bad = parse_selector({"matchLabels": {"app": 3}}, "ns/p", "spec.podSelector")
    assert bad.matches({"app": "3"}) is None and bad.problems[0].path == "spec.podSelector.matchLabels.app"


def test_ports_parse_and_match():
    assert parse_port({}, "p", "x").text() == "TCP all ports"
    assert parse_port({"port": 80, "protocol": "UDP"}, "p", "x").matches(80, "UDP", None) is True
    spec = parse_port({"port": 1000, "endPort": 2000}, "p", "x")
    assert (spec.matches(999, "TCP", None), spec.matches(2000, "TCP", None)) == (False, True)
    assert spec.text() == "TCP 1000-2000"
    named = parse_port({"port": "http"}, "p", "x")
    assert named.matches(8080, "TCP", {("http", "TCP"): (8080,)}) is True
    assert named.matches(8080, "TCP", {("http", "UDP"): (8080,)}) is False  # the name is per protocol
    assert named.matches(8080, "TCP", None) is False  # not a pod: no names
    assert parse_port({"port": True}, "p", "x").problem.code == "wrong-type"
    assert [valid_port_name(n) for n in ("http", "dns-tcp", "a1", "1234", "-a", "a--b", "x" * 16, "HTTP")] == \
        [True, True, True, False, False, False, False, False]


def test_named_ports_of_a_pod_include_init_containers_and_default_tcp():
    pod = {"spec": {"containers": [{"ports": [{"name": "http", "containerPort": 80}]}],
                    "initContainers": [{"ports": [{"name": "dns", "containerPort": 53, "protocol": "UDP"}]}]}}
    assert named_ports_of(pod) == {("http", "TCP"): (80,), ("dns", "UDP"): (53,)}
    assert named_ports_of({"spec": {"containers": "nope"}}) == {}


def test_ipblocks():
    b = parse_ipblock({"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}, "p", "x")
    a = ipaddress.ip_address
    assert (b.contains(a("10.2.0.1")), b.contains(a("10.1.2.3")), b.contains(a("11.0.0.1"))) == (True, False, False)
    assert b.contains(a("::1")) is False and b.contains(None) is False
    assert b.text() == "10.0.0.0/8 except 10.1.0.0/16"
    v6 = parse_ipblock({"cidr": "2001:db8::/32", "except": ["2001:db8:1::/48"]}, "p", "x")
    assert v6.contains(a("2001:db8::1")) is True and v6.contains(a("2001:db8:1::1")) is False
    assert parse_ipblock({"cidr": "10.0.0.1/8"}, "p", "x").contains(a("10.9.9.9")) is True  # host bits: accepted
    assert parse_ipblock({"cidr": "10.0.0.0/8", "except": ["2001:db8::/32"]}, "p", "x").problem.code == "except-outside-cidr"


def test_a_policy_that_is_not_an_object_or_has_wrong_types_is_unknown_not_an_allow():
    for spec in ("nope", {"podSelector": [], "ingress": [{}]}, {"podSelector": {}, "ingress": {"from": []}},
                 {"podSelector": {}, "policyTypes": "Ingress"}):
        w = World().ns("default").pod("default", "a", {}).pod("default", "b", {})
        w.add({"kind": "NetworkPolicy", "metadata": {"namespace": "default", "name": "odd"}, "spec": spec})
        assert evaluate(w.index(), "default/a", "default/b", 80).verdict == UNKNOWN, spec


def _junk(rng: random.Random, depth: int = 0):
    choices = [None, True, 0, -1, 70000, "", "x", "In", "10.0.0.0/8", "metrics", [], {}]
    if depth < 4:
        choices += [[_junk(rng, depth + 1) for _ in range(rng.randint(0, 3))],
                    {k: _junk(rng, depth + 1) for k in rng.sample(
                        ["podSelector", "namespaceSelector", "ipBlock", "ingress", "egress", "from", "to", "ports",
                         "port", "endPort", "protocol", "policyTypes", "matchLabels", "matchExpressions", "key",
                         "operator", "values", "cidr", "except"], rng.randint(0, 5))}]
    return rng.choice(choices)


def test_random_junk_never_raises():
    rng = random.Random(1515)
    w = World().ns("default").pod("default", "a", {"app": "a"}).pod("default", "b", {"app": "b"}, ports=(("metrics", 9, "TCP"),))
    for i in range(400):
        w.add({"kind": "NetworkPolicy", "metadata": {"namespace": "default", "name": f"j{i}"}, "spec": _junk(rng)})
    idx = w.index()
    for src, dst in (("default/a", "default/b"), ("default/b", "default/a"), ("ip:10.0.0.1", "default/a")):
        for port in (9, 80, "metrics" if dst == "default/b" else 80):
            assert evaluate(idx, src, dst, port).verdict in ("allow", "deny", "unknown")
    assert all(p.code for p in idx.problems())
    assert compile_policy({"metadata": "x", "spec": None}).key == "/"


def test_oversized_selectors_and_rule_lists_are_problems_not_work():
    huge = {"matchExpressions": [{"key": f"k{i}", "operator": "Exists"} for i in range(5000)]}
    s = parse_selector(huge, "ns/p", "spec.podSelector")
    assert s.matches({}) is None and "5000 terms" in s.problems[0].message
    pol = compile_policy({"metadata": {"namespace": "ns", "name": "p"},
                          "spec": {"podSelector": {}, "ingress": [{}] * 1500}})
    assert pol.ingress_unknown and len(pol.ingress) == 1000

"""The NetworkPolicy evaluator, one spec point per test (networking.k8s.io/v1 semantics as the
Kubernetes docs state them). `World` builds the API objects; other policy tests import it."""

from __future__ import annotations

import json
from itertools import count
from typing import Any

import pytest

from k8snet_tui.domain.model import ClusterState
from k8snet_tui.domain.policy import (
    ALLOW,
    DENY,
    EGRESS,
    INGRESS,
    UNKNOWN,
    PolicyInputError,
    build_index,
    evaluate,
)


class World:
    """A cluster as API objects: namespaces, nodes, pods, policies."""

    def __init__(self) -> None:
        self.objs: list[dict[str, Any]] = []
        self._n = count(10)
        self.node("n1", "192.168.0.1")
        self.node("n2", "192.168.0.2")

    def node(self, name: str, ip: str) -> None:
        self.objs.append({"kind": "Node", "metadata": {"name": name},
                          "status": {"addresses": [{"type": "InternalIP", "address": ip}]}})

    def ns(self, name: str, **labels: str) -> World:
        self.objs.append({"kind": "Namespace", "metadata": {"name": name, "labels": labels}})
        return self

    def pod(self, ns: str, name: str, labels: dict[str, str] | None = None, *, ip: str | None = "auto",
            node: str = "n1", ports: tuple[tuple[str, int, str], ...] = (), host_network: bool = False
            ) -> World:
        if ip == "auto":
            ip = ("192.168.0.1" if node == "n1" else "192.168.0.2") if host_network else f"10.0.1.{next(self._n)}"
        spec: dict[str, Any] = {"nodeName": node, "containers": [
            {"name": "c", "ports": [{"name": n, "containerPort": p, "protocol": pr} for n, p, pr in ports]}]}
        if host_network:
            spec["hostNetwork"] = True
        status = {"phase": "Running", **({"podIP": ip} if ip else {})}
        self.objs.append({"kind": "Pod", "metadata": {"namespace": ns, "name": name, "labels": labels or {}},
                          "spec": spec, "status": status})
        return self

    def policy(self, ns: str, name: str, spec: dict[str, Any], kind: str = "NetworkPolicy") -> World:
        self.objs.append({"kind": kind, "metadata": {"namespace": ns, "name": name}, "spec": spec})
        return self

    def add(self, obj: dict[str, Any]) -> World:
        self.objs.append(obj)
        return self

    def index(self):
        return build_index(ClusterState.from_objects(self.objs))

    def check(self, src: str, dst: str, port: int | str | None = 80, protocol: str = "TCP"):
        return evaluate(self.index(), src, dst, port, protocol)


def two_namespaces() -> World:
    return (World().ns("default").ns("other", team="ops")
            .pod("default", "web", {"app": "web"}).pod("default", "client", {"app": "client"})
            .pod("other", "client", {"app": "client"}).pod("other", "mon", {"type": "monitoring"}))


def test_no_policy_means_everything_is_allowed():
    v = two_namespaces().check("default/client", "default/web")
    assert v.verdict == ALLOW
    assert v.egress.isolated is False and v.ingress.isolated is False
    assert "not isolated" in v.ingress.reason


def test_pod_selector_selects_only_in_the_policys_namespace():
    w = two_namespaces().policy("other", "deny-all", {"podSelector": {}, "policyTypes": ["Ingress"]})
    assert w.check("default/client", "default/web").verdict == ALLOW
    v = w.check("default/client", "other/client")
    assert v.verdict == DENY and v.ingress.policies == ("other/deny-all",)


def test_selected_by_an_ingress_policy_isolates_ingress_only():
    w = two_namespaces().policy("default", "web-deny", {"podSelector": {"matchLabels": {"app": "web"}},
                                                        "policyTypes": ["Ingress"]})
    v = w.check("default/client", "default/web")
    assert (v.verdict, v.ingress.verdict, v.egress.verdict) == (DENY, DENY, ALLOW)
    assert v.ingress.reason.startswith("no rule allows it") and "default/web-deny" in v.ingress.reason
    # web's own egress is untouched
    assert w.check("default/web", "default/client").verdict == ALLOW


def test_selected_by_an_egress_policy_isolates_egress_only():
    w = two_namespaces().policy("default", "web-no-egress", {"podSelector": {"matchLabels": {"app": "web"}},
                                                             "policyTypes": ["Egress"]})
    v = w.check("default/web", "default/client")
    assert (v.verdict, v.egress.verdict, v.ingress.verdict) == (DENY, DENY, ALLOW)
    assert w.check("default/client", "default/web").verdict == ALLOW  # ingress not isolated


def test_policy_types_default_to_ingress_and_to_egress_when_egress_rules_exist():
    w = two_namespaces().policy("default", "only-ingress-rules", {
        "podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{"from": [{"podSelector": {}}]}]})
    idx = w.index()
    pol = idx.policy("default/only-ingress-rules")
    assert (pol.ingress_type, pol.egress_type) == (True, False)
    assert evaluate(idx, "default/web", "other/client", 80).verdict == ALLOW  # egress not isolated
    w2 = two_namespaces().policy("default", "has-egress", {
        "podSelector": {"matchLabels": {"app": "web"}}, "egress": [{"to": [{"podSelector": {}}]}]})
    idx2 = w2.index()
    pol2 = idx2.policy("default/has-egress")
    assert (pol2.ingress_type, pol2.egress_type) == (True, True)
    assert evaluate(idx2, "default/web", "other/client", 80).verdict == DENY  # egress isolated now
    assert evaluate(idx2, "default/web", "default/client", 80).verdict == ALLOW
    # and Ingress is on with no ingress rules: nobody gets in
    assert evaluate(idx2, "default/client", "default/web", 80).verdict == DENY


def test_allow_is_the_union_of_every_policy_that_selects_the_pod():
    w = (two_namespaces()
         .policy("default", "from-client", {"podSelector": {"matchLabels": {"app": "web"}},
                                            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "client"}}}]}]})
         .policy("default", "from-ops", {"podSelector": {}, "ingress": [{"from": [
             {"namespaceSelector": {"matchLabels": {"team": "ops"}}}]}]}))
    a, b = w.check("default/client", "default/web"), w.check("other/mon", "default/web")
    assert a.verdict == b.verdict == ALLOW
    assert a.ingress.rule.policy == "default/from-client" and b.ingress.rule.policy == "default/from-ops"
    assert set(a.ingress.policies) == {"default/from-client", "default/from-ops"}


def test_namespace_and_pod_selector_in_one_peer_is_and_in_two_peers_is_or():
    sel_ns, sel_pod = {"matchLabels": {"team": "ops"}}, {"matchLabels": {"type": "monitoring"}}
    base = lambda: two_namespaces().pod("default", "mon", {"type": "monitoring"})  # noqa: E731
    w_and = base().policy("default", "and", {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [
        {"from": [{"namespaceSelector": sel_ns, "podSelector": sel_pod}]}]})
    assert w_and.check("other/mon", "default/web").verdict == ALLOW
    assert w_and.check("other/client", "default/web").verdict == DENY  # right namespace, wrong pod
    assert w_and.check("default/mon", "default/web").verdict == DENY  # right pod, wrong namespace
    w_or = base().policy("default", "or", {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [
        {"from": [{"namespaceSelector": sel_ns}, {"podSelector": sel_pod}]}]})
    a, b = w_or.check("other/client", "default/web"), w_or.check("default/mon", "default/web")
    assert a.verdict == b.verdict == ALLOW
    assert (a.ingress.rule.peer, b.ingress.rule.peer) == (0, 1)
    assert w_or.check("default/client", "default/web").verdict == DENY


def test_pod_selector_alone_means_the_same_namespace_and_empty_namespace_selector_all():
    w = two_namespaces().policy("default", "same-ns", {"podSelector": {"matchLabels": {"app": "web"}},
                                                       "ingress": [{"from": [{"podSelector": {}}]}]})
    assert w.check("default/client", "default/web").verdict == ALLOW
    assert w.check("other/client", "default/web").verdict == DENY
    w2 = two_namespaces().policy("default", "all-ns", {"podSelector": {"matchLabels": {"app": "web"}},
                                                       "ingress": [{"from": [{"namespaceSelector": {}}]}]})
    assert w2.check("other/client", "default/web").verdict == ALLOW
    assert w2.check("ip:203.0.113.9", "default/web").verdict == DENY  # selectors pick pods only


def test_empty_from_and_ingress_list_of_one_empty_rule_allow_everything():
    for spec in ({"ingress": [{}]}, {"ingress": [{"from": []}]}, {"ingress": [{"from": None, "ports": []}]}):
        w = two_namespaces().policy("default", "all", {"podSelector": {}, **spec})
        for src in ("other/client", "ip:203.0.113.9", "default/client"):
            v = w.check(src, "default/web", 8080)
            assert v.verdict == ALLOW, (spec, src)
            assert v.ingress.rule.peer is None and v.ingress.rule.port is None


def test_ip_block_cidr_and_except_for_outside_addresses():
    w = two_namespaces().policy("default", "ipb", {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [
        {"from": [{"ipBlock": {"cidr": "172.17.0.0/16", "except": ["172.17.1.0/24"]}}]}]})
    assert w.check("ip:172.17.0.9", "default/web").verdict == ALLOW
    assert w.check("ip:172.17.2.200", "default/web").verdict == ALLOW
    v = w.check("ip:172.17.1.5", "default/web")
    assert v.verdict == DENY and "no rule allows it" in v.ingress.reason
    assert w.check("ip:172.18.0.1", "default/web").verdict == DENY
    ok = w.check("ip:172.17.0.9", "default/web")
    assert ok.egress.pod is None and "not a pod" in ok.egress.reason
    assert ok.ingress.implementation_defined == ()  # an outside address: nothing plugin-specific


def test_ip_block_holding_a_pod_ip_matches_and_says_it_is_up_to_the_plugin():
    w = (World().ns("default").pod("default", "web", {"app": "web"}, ip="10.0.1.10")
         .pod("default", "a", {}, ip="10.0.2.5").pod("default", "b", {}, ip="10.0.3.5")
         .policy("default", "ipb", {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [
             {"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.0.3.0/24"]}}]}]}))
    a, b = w.check("default/a", "default/web"), w.check("default/b", "default/web")
    assert a.verdict == ALLOW and a.ingress.implementation_defined
    assert "up to the network plugin" in a.ingress.implementation_defined[0]
    assert b.verdict == DENY  # in the except range


def test_numeric_ports_end_port_and_protocol_default_tcp():
    w = two_namespaces().policy("default", "ports", {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [
        {"ports": [{"port": 80}, {"protocol": "UDP", "port": 53}, {"port": 32000, "endPort": 32768}]}]})
    assert w.check("default/client", "default/web", 80).verdict == ALLOW
    assert w.check("default/client", "default/web", 80, "UDP").verdict == DENY  # default is TCP
    assert w.check("default/client", "default/web", 53, "UDP").verdict == ALLOW
    assert w.check("default/client", "default/web", 53, "TCP").verdict == DENY
    for p, want in ((31999, DENY), (32000, ALLOW), (32500, ALLOW), (32768, ALLOW), (32769, DENY)):
        assert w.check("default/client", "default/web", p).verdict == want, p
    assert w.check("default/client", "default/web", 32500).ingress.rule.port == 2


def test_sctp_is_its_own_protocol():
    w = two_namespaces().policy("default", "sctp", {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [
        {"ports": [{"protocol": "SCTP", "port": 9000}]}]})
    assert w.check("default/client", "default/web", 9000, "SCTP").verdict == ALLOW
    assert w.check("default/client", "default/web", 9000, "TCP").verdict == DENY
    assert w.check("default/client", "default/web", 9000, "sctp").verdict == ALLOW  # case of the question


def test_named_ports_resolve_on_each_destination_pod():
    w = (World().ns("default").pod("default", "client", {})
         .pod("default", "api-1", {"app": "api"}, ports=(("metrics", 5000, "TCP"),))
         .pod("default", "api-2", {"app": "api"}, ports=(("metrics", 9100, "TCP"),))
         .pod("default", "api-3", {"app": "api"})
         .policy("default", "metrics", {"podSelector": {"matchLabels": {"app": "api"}}, "ingress": [
             {"ports": [{"port": "metrics"}]}]}))
    assert w.check("default/client", "default/api-1", 5000).verdict == ALLOW
    assert w.check("default/client", "default/api-1", 9100).verdict == DENY
    assert w.check("default/client", "default/api-2", 9100).verdict == ALLOW
    assert w.check("default/client", "default/api-2", 5000).verdict == DENY
    assert w.check("default/client", "default/api-3", 5000).verdict == DENY  # no such name there
    named = w.check("default/client", "default/api-2", "metrics")
    assert named.port == 9100 and named.verdict == ALLOW
    with pytest.raises(PolicyInputError, match="no TCP container port named"):
        w.check("default/client", "default/api-3", "metrics")
    # `²`.isdigit() is true, but it is no port number: a name that no pod declares, not a crash
    with pytest.raises(PolicyInputError, match="no TCP container port named"):
        w.check("default/client", "default/api-2", "²")


def test_named_port_in_egress_resolves_on_the_destination_and_never_on_an_address():
    w = (World().ns("default").pod("default", "client", {"app": "client"})
         .pod("default", "db", {"app": "db"}, ports=(("pg", 5432, "TCP"),))
         .policy("default", "out", {"podSelector": {"matchLabels": {"app": "client"}}, "policyTypes": ["Egress"],
                                    "egress": [{"ports": [{"port": "pg"}]}]}))
    assert w.check("default/client", "default/db", 5432).verdict == ALLOW
    assert w.check("default/client", "ip:203.0.113.7", 5432).verdict == DENY


def test_both_directions_must_allow():
    w = (two_namespaces()
         .policy("default", "client-egress", {"podSelector": {"matchLabels": {"app": "client"}},
                                              "policyTypes": ["Egress"], "egress": [{"ports": [{"port": 80}]}]})
         .policy("default", "web-ingress", {"podSelector": {"matchLabels": {"app": "web"}},
                                            "ingress": [{"ports": [{"port": 8080}]}]}))
    v80, v8080 = w.check("default/client", "default/web", 80), w.check("default/client", "default/web", 8080)
    assert (v80.egress.verdict, v80.ingress.verdict, v80.verdict) == (ALLOW, DENY, DENY)
    assert (v8080.egress.verdict, v8080.ingress.verdict, v8080.verdict) == (DENY, ALLOW, DENY)
    assert v8080.egress.rule is None and v8080.egress.policies == ("default/client-egress",)


def test_host_network_pods_are_not_subject_to_policies_and_not_matched_by_selectors():
    w = (World().ns("default").pod("default", "web", {"app": "web"}, node="n1")
         .pod("default", "agent", {"app": "agent"}, node="n2", host_network=True)
         .pod("default", "local-agent", {"app": "agent"}, node="n1", host_network=True)
         .policy("default", "deny-all", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
         .policy("default", "from-agents", {"podSelector": {"matchLabels": {"app": "web"}},
                                            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "agent"}}}]}]}))
    to_host = w.check("default/web", "default/agent")
    assert to_host.ingress.verdict == ALLOW and "host network" in to_host.ingress.reason
    assert to_host.egress.verdict == DENY  # web itself is isolated for egress
    from_host = w.check("default/agent", "default/web")
    assert from_host.egress.verdict == ALLOW and "host network" in from_host.egress.reason
    assert from_host.ingress.verdict == DENY  # the podSelector does not pick a host-network pod
    # ... but the node's own host-network pod reaches it: a pod's node is always allowed
    local = w.check("default/local-agent", "default/web")
    assert local.verdict == ALLOW and "own node" in local.ingress.reason
    w.policy("default", "from-node-2", {"podSelector": {"matchLabels": {"app": "web"}},
                                        "ingress": [{"from": [{"ipBlock": {"cidr": "192.168.0.2/32"}}]}]})
    assert w.check("default/agent", "default/web").verdict == ALLOW  # ipBlock with the node IP


def test_traffic_from_the_pods_own_node_and_to_itself_is_always_allowed():
    w = two_namespaces().policy("default", "deny-all", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
    assert w.check("ip:192.168.0.1", "default/web").verdict == ALLOW  # web runs on n1
    assert w.check("ip:192.168.0.2", "default/web").verdict == DENY  # another node is not
    v = w.check("default/web", "default/web")
    assert v.verdict == ALLOW and "itself" in v.egress.reason


def test_a_pod_without_an_ip_is_judged_by_its_labels_and_says_so():
    w = (two_namespaces().pod("default", "pending", {"app": "client"}, ip=None)
         .policy("default", "web", {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [
             {"from": [{"podSelector": {"matchLabels": {"app": "client"}}}]}]}))
    v = w.check("default/pending", "default/web")
    assert v.verdict == ALLOW and any("has no IP yet" in n for n in v.notes)
    w.policy("default", "ipb", {"podSelector": {"matchLabels": {"app": "client"}}, "ingress": [
        {"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]})
    assert w.check("default/web", "default/pending").verdict == ALLOW  # web has an IP


def test_egress_isolated_pod_without_dns_allowance_is_a_finding():
    base = lambda: (two_namespaces().ns("kube-system")  # noqa: E731
                    .pod("kube-system", "coredns-1", {"k8s-app": "kube-dns"},
                         ports=(("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"))))
    deny = base().policy("default", "deny-egress", {"podSelector": {}, "policyTypes": ["Egress"]})
    v = deny.check("default/client", "default/web")
    assert v.verdict == DENY
    assert any("DNS (UDP 53)" in f and "every name lookup will fail" in f for f in v.findings)
    dns_ok = base().policy("default", "deny-egress", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [
        {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                 "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
         "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}]})
    v2 = dns_ok.check("default/client", "kube-system/coredns-1", 53, "UDP")
    assert v2.verdict == ALLOW and v2.findings == ()
    udp_only = base().policy("default", "udp-dns", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [
        {"to": [{"namespaceSelector": {}}], "ports": [{"port": 53, "protocol": "UDP"}]}]})
    (f,) = udp_only.check("default/client", "default/web").findings
    assert "TCP 53" in f
    # not egress-isolated: no finding at all
    assert two_namespaces().check("default/client", "default/web").findings == ()


@pytest.mark.parametrize("operator,values,labels,want", [
    ("In", ["a", "b"], {"k": "b"}, ALLOW), ("In", ["a"], {"k": "c"}, DENY), ("In", ["a"], {}, DENY),
    ("NotIn", ["a"], {"k": "b"}, ALLOW), ("NotIn", ["a"], {}, ALLOW), ("NotIn", ["a"], {"k": "a"}, DENY),
    ("Exists", None, {"k": ""}, ALLOW), ("Exists", None, {}, DENY),
    ("DoesNotExist", None, {}, ALLOW), ("DoesNotExist", None, {"k": "x"}, DENY),
])
def test_match_expressions_operators(operator, values, labels, want):
    expr = {"key": "k", "operator": operator, **({"values": values} if values is not None else {})}
    w = (World().ns("default").pod("default", "web", {"app": "web"}).pod("default", "src", labels)
         .policy("default", "p", {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [
             {"from": [{"podSelector": {"matchExpressions": [expr]}}]}]}))
    assert w.check("default/src", "default/web").verdict == want


def test_match_labels_and_expressions_are_anded():
    w = (World().ns("default").pod("default", "web", {"app": "web"})
         .pod("default", "yes", {"app": "c", "tier": "fe"}).pod("default", "no", {"app": "c", "tier": "be"})
         .policy("default", "p", {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{"from": [
             {"podSelector": {"matchLabels": {"app": "c"},
                              "matchExpressions": [{"key": "tier", "operator": "In", "values": ["fe"]}]}}]}]}))
    assert w.check("default/yes", "default/web").verdict == ALLOW
    assert w.check("default/no", "default/web").verdict == DENY


@pytest.mark.parametrize("bad_rule,code", [
    ({"from": [{"podSelector": {"matchExpressions": [{"key": "a", "operator": "Like", "values": ["x"]}]}}]},
     "bad-selector-operator"),
    ({"from": [{"podSelector": {"matchExpressions": [{"key": "a", "operator": "In"}]}}]}, "selector-values-missing"),
    ({"from": [{"podSelector": {"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}}]},
     "selector-values-forbidden"),
    ({"ports": [{"port": 70000}]}, "port-out-of-range"),
    ({"ports": [{"port": 0}]}, "port-out-of-range"),
    ({"ports": [{"port": 100, "endPort": 90}]}, "endport-below-port"),
    ({"ports": [{"endPort": 90}]}, "endport-without-port"),
    ({"ports": [{"port": "http", "endPort": 90}]}, "endport-named-port"),
    ({"ports": [{"port": "Not_A_Name"}]}, "bad-named-port"),
    ({"ports": [{"port": 80, "protocol": "ICMP"}]}, "bad-protocol"),
    ({"from": [{"ipBlock": {"cidr": "10.0.0.0/33"}}]}, "bad-cidr"),
    ({"from": [{"ipBlock": {"cidr": "not-a-cidr"}}]}, "bad-cidr"),
    ({"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["11.0.0.0/8"]}}]}, "except-outside-cidr"),
    ({"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}]}, "ipblock-with-selector"),
    ({"from": [{}]}, "empty-peer"),
    ({"from": "everyone"}, "wrong-type"),
])
def test_malformed_rule_is_a_named_problem_and_an_unknown_verdict_never_an_allow(bad_rule, code):
    w = two_namespaces().policy("default", "bad", {"podSelector": {"matchLabels": {"app": "web"}},
                                                   "ingress": [bad_rule]})
    idx = w.index()
    problems = idx.policy("default/bad").problems
    assert [p.code for p in problems if p.blocks] == [code]
    assert problems[0].policy == "default/bad" and problems[0].path.startswith("spec.ingress[0]")
    v = evaluate(idx, "default/client", "default/web", 80)
    assert v.verdict == UNKNOWN and v.ingress.verdict == UNKNOWN
    assert "default/bad ingress[0]" in v.ingress.reason and code in v.ingress.reason


def test_the_rest_is_still_evaluated_next_to_a_malformed_policy():
    w = (two_namespaces()
         .policy("default", "bad", {"podSelector": {"matchLabels": {"app": "web"}},
                                    "ingress": [{"ports": [{"port": 99999}]}]})
         .policy("default", "good", {"podSelector": {"matchLabels": {"app": "web"}},
                                     "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "client"}}}]}]}))
    v = w.check("default/client", "default/web")
    assert v.verdict == ALLOW and v.ingress.rule.policy == "default/good"  # a certain allow stands
    assert v.ingress.unknown_reasons  # and the bad rule is still reported
    assert w.check("other/client", "default/web").verdict == UNKNOWN  # only the bad rule could allow
    # a pod the broken policy does not select is evaluated normally
    assert w.check("default/web", "default/client").verdict == ALLOW


def test_malformed_pod_selector_makes_isolation_unknown():
    w = two_namespaces().policy("default", "bad-sel", {
        "podSelector": {"matchExpressions": [{"key": "app", "operator": "Equals", "values": ["web"]}]},
        "policyTypes": ["Ingress"]})
    v = w.check("default/client", "default/web")
    assert v.verdict == UNKNOWN and v.ingress.isolated is None
    assert v.ingress.maybe_policies == ("default/bad-sel",) and "cannot tell whether" in v.ingress.reason
    # a certain deny elsewhere still wins over the unknown
    w.policy("default", "no-egress", {"podSelector": {"matchLabels": {"app": "client"}}, "policyTypes": ["Egress"]})
    assert w.check("default/client", "default/web").verdict == DENY


def test_bad_policy_type_and_unknown_fields():
    w = two_namespaces().policy("default", "typo", {"podSelector": {}, "policyTypes": ["Ingres"],
                                                    "ingres": [{}]})
    idx = w.index()
    codes = {p.code: p.blocks for p in idx.policy("default/typo").problems}
    assert codes == {"bad-policy-type": True, "unknown-field": False}
    assert evaluate(idx, "default/client", "default/web", 80).verdict == UNKNOWN
    w2 = two_namespaces().policy("default", "extra", {"podSelector": {}, "ingress": [{"from": [
        {"podSelector": {}, "colour": "blue"}]}]})
    idx2 = w2.index()
    assert [p.code for p in idx2.policy("default/extra").problems] == ["unknown-field"]
    assert evaluate(idx2, "default/client", "default/web", 80).verdict == ALLOW  # changes nothing


@pytest.mark.parametrize("kind,ns", [("AdminNetworkPolicy", ""), ("BaselineAdminNetworkPolicy", ""),
                                     ("CiliumNetworkPolicy", "default"), ("CiliumClusterwideNetworkPolicy", "")])
def test_other_policy_kinds_are_listed_and_make_the_verdict_incomplete(kind, ns):
    obj = {"kind": kind, "metadata": {"name": "x", **({"namespace": ns} if ns else {})}, "spec": {}}
    w = two_namespaces().add(obj)
    v = w.check("default/client", "default/web")
    assert v.verdict == ALLOW and v.incomplete
    assert v.not_evaluated == (f"{kind} {(ns + '/') if ns else ''}x: not evaluated",)
    assert v.as_dict()["incomplete"] is True
    if ns:  # a namespaced Cilium policy elsewhere does not touch these pods
        assert not w.check("other/client", "other/mon").incomplete


def test_namespace_labels_unread_are_unknown_except_the_name_label():
    w = (World().pod("default", "web", {"app": "web"}).pod("prod", "c", {})
         .policy("default", "p", {"podSelector": {}, "ingress": [
             {"from": [{"namespaceSelector": {"matchLabels": {"purpose": "production"}}}]}]}))
    assert w.check("prod/c", "default/web").verdict == UNKNOWN  # no Namespace objects were read
    w2 = (World().pod("default", "web", {"app": "web"}).pod("prod", "c", {})
          .policy("default", "p", {"podSelector": {}, "ingress": [
              {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "prod"}}}]}]}))
    assert w2.check("prod/c", "default/web").verdict == ALLOW


def test_answer_names_the_allowing_rule_peer_and_port_and_is_json_ready():
    w = two_namespaces().policy("default", "p", {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [
        {"from": [{"ipBlock": {"cidr": "203.0.113.0/24"}}], "ports": [{"port": 443}]},
        {"from": [{"namespaceSelector": {}}, {"podSelector": {"matchLabels": {"app": "client"}}}],
         "ports": [{"port": 8443}, {"port": 80}]}]})
    v = w.check("default/client", "default/web", 80)
    r = v.ingress.rule
    assert (r.policy, r.direction, r.rule, r.peer, r.port) == ("default/p", INGRESS, 1, 0, 1)
    assert r.port_text == "TCP 80" and r.peer_text == "every pod in every namespace"
    doc = json.loads(json.dumps(v.as_dict()))
    assert doc["verdict"] == "allow" and doc["egress"]["verdict"] == "allow"
    assert doc["ingress"]["rule"] == {"policy": "default/p", "direction": "ingress", "rule": 1, "peer": 0,
                                      "port": 1, "peer_text": "every pod in every namespace",
                                      "port_text": "TCP 80"}
    denied = w.check("default/client", "default/web", 22).as_dict()
    assert denied["verdict"] == "deny" and denied["ingress"]["rule"] is None
    assert denied["ingress"]["reason"] == ("no rule allows it; default/web is isolated for ingress "
                                           "by default/p")
    assert denied["ingress"]["policies"] == ["default/p"] and denied["egress"]["direction"] == EGRESS


def test_bad_questions_are_errors_for_people():
    w = two_namespaces()
    for src, dst, port, proto, msg in (("default/nope", "default/web", 80, "TCP", "no pod default/nope"),
                                       ("web", "default/web", 80, "TCP", "NAMESPACE/NAME"),
                                       ("ip:10.0.0.300", "default/web", 80, "TCP", "not an IP address"),
                                       ("default/web", "default/client", 0, "TCP", "outside 1-65535"),
                                       ("default/web", "default/client", 80, "ICMP", "not TCP, UDP or SCTP"),
                                       ("default/web", "ip:1.2.3.4", "http", "TCP", "needs a destination pod")):
        with pytest.raises(PolicyInputError, match=msg):
            w.check(src, dst, port, proto)


def test_an_address_that_is_a_pod_ip_is_that_pod():
    w = two_namespaces().policy("default", "p", {"podSelector": {"matchLabels": {"app": "web"}},
                                                 "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "client"}}}]}]})
    idx = w.index()
    client_ip = str(idx.pod("default/client").ip)
    v = evaluate(idx, f"ip:{client_ip}", "default/web", 80)
    assert v.src == "default/client" and v.verdict == ALLOW


def test_a_service_cluster_ip_is_an_address_with_a_note_to_ask_for_its_pods():
    w = two_namespaces().add({"kind": "Service", "metadata": {"namespace": "default", "name": "web"},
                              "spec": {"clusterIP": "10.96.0.20", "clusterIPs": ["10.96.0.20"]}})
    v = w.check("default/client", "ip:10.96.0.20")
    assert v.dst == "10.96.0.20" and any("ClusterIP of Service default/web" in n for n in v.notes)

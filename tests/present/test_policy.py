"""The Policy pane's presenter on fixtures: pods grouped by identical policy treatment, each
policy in words, the notice for a namespace without policies, and an explanation in words that
names the allowing rule or the isolating policies."""

from __future__ import annotations

import json

import pytest

from k8snet_tui.domain.model import ClusterState, Observed
from k8snet_tui.errors import UsageError
from k8snet_tui.present import Selection
from k8snet_tui.present.policy import NO_POLICY, check, present
from k8snet_tui.present.serialize import to_jsonable
from k8snet_tui.sources.snapshot import load_snapshot

from tests import lab_roles as roles
from tests.support.policy_lab import LAB, policy_lab


def _pod(ns, name, labels, ip, ports=()):
    return {"kind": "Pod", "metadata": {"namespace": ns, "name": name, "labels": labels},
            "spec": {"nodeName": "node-1", "containers": [{"name": "c", "ports": [
                {"name": n, "containerPort": p, "protocol": "TCP"} for n, p in ports]}]},
            "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]}}


def _ns(name):
    return {"kind": "Namespace", "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}}}


def _policy(ns, name, spec):
    return {"kind": "NetworkPolicy", "metadata": {"namespace": ns, "name": name}, "spec": spec}


def shop() -> Observed:
    objs = [_ns("shop"), _ns("kube-system")]
    objs += [_pod("shop", f"web-{i}", {"app": "web"}, f"10.0.0.{i + 1}", (("http", 8080),)) for i in range(5)]
    objs += [_pod("shop", f"api-{i}", {"app": "api"}, f"10.0.1.{i + 1}") for i in range(3)]
    objs += [_pod("shop", "db-0", {"app": "db"}, "10.0.2.1")]
    objs += [
        _policy("shop", "deny", {"podSelector": {}, "policyTypes": ["Ingress"]}),
        _policy("shop", "web-from-all", {"podSelector": {"matchLabels": {"app": "web"}},
                                         "ingress": [{"ports": [{"port": "http"}]}]}),
        _policy("shop", "db-from-api", {"podSelector": {"matchLabels": {"app": "db"}}, "ingress": [
            {"from": [{"podSelector": {"matchLabels": {"app": "api"}}}], "ports": [{"port": 5432}]}]}),
    ]
    return Observed(cluster=ClusterState.from_objects(objs))


def test_pods_treated_alike_share_a_group_and_each_group_says_what_isolates_it():
    m = present(shop(), Selection(namespace="shop"))
    assert sorted(len(g.pods) for g in m.groups) == [1, 3, 5]
    web = next(g for g in m.groups if "shop/web-3" in g.pods)
    assert web.label == "web-0 +4" and web.common_labels == ("app=web",)
    assert web.text == "isolated for ingress by shop/deny, shop/web-from-all; not isolated for egress"
    assert [g.name for g in m.groups] == ["G1", "G2", "G3"]
    # one cell per (source group, destination group, port), the named port resolved to 8080
    assert (8080, "TCP") in [(p.port, p.protocol) for p in m.ports]
    assert len(m.cells) == len(m.groups) ** 2 * len(m.ports)


def test_the_cells_follow_the_policies():
    m = present(shop(), Selection(namespace="shop"))
    group = {g.label.split()[0].rsplit("-", 1)[0]: g for g in m.groups}
    port = next(p for p in m.ports if p.port == 8080)
    db_port = next(p for p in m.ports if p.port == 5432)
    assert m.cell(group["api"].id, group["web"].id, port).verdict == "allow"  # web admits anyone on http
    assert m.cell(group["web"].id, group["api"].id, port).verdict == "deny"  # api: only deny applies
    assert m.cell(group["api"].id, group["db"].id, db_port).verdict == "allow"
    assert m.cell(group["web"].id, group["db"].id, db_port).verdict == "deny"


def test_each_policy_in_words():
    m = present(shop(), Selection(namespace="shop"))
    words = {p.key: p.text for p in m.policies}
    assert words["shop/deny"] == "isolates ingress of 9 pods in shop, allowing nothing"
    assert words["shop/web-from-all"] == "isolates ingress of 5 pods in shop"
    assert m.notice == "3 NetworkPolicies in shop"


def test_no_policy_says_so_and_the_matrix_is_all_allow():
    m = present(load_snapshot(str(LAB)), Selection())
    assert m.namespace == "default"  # all namespaces chosen: the matrix is of default
    assert m.notice == NO_POLICY and m.policies == ()
    assert m.cells and {c.verdict for c in m.cells} == {"allow"}


def test_the_explanation_names_the_allowing_rule_or_the_isolating_policies():
    observed = shop()
    ok = check(observed, "shop/api-1", "shop/db-0", 5432)
    assert ok.verdict == "allow"
    assert ok.explanation[0] == "allow: shop/api-1 may reach shop/db-0 on TCP port 5432"
    assert ok.ingress.rule is not None and ok.ingress.rule.policy == "shop/db-from-api"
    assert any("allowed by shop/db-from-api ingress[0]" in line for line in ok.explanation)
    no = check(observed, "shop/web-0", "shop/db-0", 5432)
    assert no.verdict == "deny"
    assert no.explanation[0] == "deny: shop/web-0 may not reach shop/db-0 on TCP port 5432"
    assert "no rule allows it; shop/db-0 is isolated for ingress by shop/deny, shop/db-from-api" in \
        no.explanation[2]
    assert no.egress.verdict == "allow" and set(no.ingress.policies) == {"shop/db-from-api", "shop/deny"}


def test_an_egress_policy_without_dns_is_a_finding(tmp_path):
    observed = load_snapshot(str(policy_lab(tmp_path)))
    result = check(observed, "default/client", roles.website_pod(), 80)
    assert result.verdict == "allow"
    assert any(line.startswith("finding: default/client is isolated for egress and no egress rule allows DNS")
               for line in result.explanation)


def test_a_question_that_cannot_be_asked_is_a_usage_error_in_words():
    with pytest.raises(UsageError, match="no pod shop/ghost"):
        check(shop(), "shop/web-0", "shop/ghost", 80)
    with pytest.raises(UsageError, match="is not an IP address"):
        check(shop(), "ip:nope", "shop/web-0", 80)


def test_models_serialize_by_their_types():
    doc = json.loads(json.dumps(to_jsonable(present(shop(), Selection(namespace="shop")))))
    assert list(doc)[:3] == ["namespace", "notice", "policies"]
    c = json.loads(json.dumps(to_jsonable(check(shop(), "shop/api-0", "shop/db-0", 5432))))
    assert c["verdict"] == "allow" and c["ingress"]["rule"]["policy"] == "shop/db-from-api"
    assert c["egress"]["verdict"] == "allow" and c["explanation"][0].startswith("allow:")

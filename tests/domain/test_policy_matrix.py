"""The who-can-talk matrix: pods grouped by identical policy treatment, one verdict per pair of
groups and port, equal to evaluating every pair of pods one by one."""

from __future__ import annotations

import json

from test_policy_evaluator import World

from k8snet_tui.domain.policy import ALLOW, DENY, evaluate, matrix


def shop() -> World:
    w = World().ns("shop").ns("kube-system")
    for i in range(4):
        w.pod("shop", f"web-{i}", {"app": "web"}, ports=(("http", 8080, "TCP"),))
    for i in range(3):
        w.pod("shop", f"api-{i}", {"app": "api"})
    w.pod("shop", "db-0", {"app": "db"})
    w.pod("shop", "job-0", {"app": "job"}).add({"kind": "Pod", "metadata": {"namespace": "shop", "name": "done"},
                                                "spec": {}, "status": {"phase": "Succeeded", "podIP": "10.9.9.9"}})
    w.policy("shop", "deny", {"podSelector": {}, "policyTypes": ["Ingress"]})
    w.policy("shop", "web-from-all", {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{"ports": [{"port": "http"}]}]})
    w.policy("shop", "api-from-web", {"podSelector": {"matchLabels": {"app": "api"}}, "ingress": [
        {"from": [{"podSelector": {"matchLabels": {"app": "web"}}}], "ports": [{"port": 8080}]}]})
    w.policy("shop", "db-from-api", {"podSelector": {"matchLabels": {"app": "db"}}, "ingress": [
        {"from": [{"podSelector": {"matchLabels": {"app": "api"}}}], "ports": [{"port": 5432}]}]})
    w.policy("shop", "job-egress", {"podSelector": {"matchLabels": {"app": "job"}}, "policyTypes": ["Egress"],
                                    "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "db"}}}]}]})
    return w


def test_pods_with_identical_treatment_share_a_group_and_finished_pods_are_left_out():
    m = matrix(shop().index(), "shop", [(8080, "TCP"), (5432, "TCP")])
    sizes = sorted(len(g.pods) for g in m.groups)
    assert sizes == [1, 1, 3, 4]  # web x4, api x3, db, job; "done" has finished
    web = m.group_of("shop/web-2")
    assert web.label == "web-0 +3" and dict(web.common_labels) == {"app": "web"}
    assert set(web.ingress_policies) == {"shop/deny", "shop/web-from-all"} and web.egress_policies == ()
    assert m.group_of("shop/done") is None


def test_every_cell_equals_evaluating_every_pair_of_its_pods():
    w = shop()
    idx = w.index()
    ports = [(8080, "TCP"), (5432, "TCP"), (80, "TCP")]
    m = matrix(idx, "shop", ports)
    seen = set()
    for gs in m.groups:
        for gd in m.groups:
            for port, proto in ports:
                cell = m.cell(gs.id, gd.id, port, proto)
                for s in gs.pods:
                    for d in gd.pods:
                        if s == d:
                            continue
                        assert evaluate(idx, s, d, port, proto).verdict == cell.verdict, (s, d, port)
                        seen.add(cell.verdict)
    assert seen == {ALLOW, DENY}
    web, api, db = (m.group_of(f"shop/{n}") for n in ("web-0", "api-0", "db-0"))
    assert m.cell(web.id, api.id, 8080).verdict == ALLOW
    assert m.cell(api.id, web.id, 8080).verdict == ALLOW  # web's named port http = 8080
    assert m.cell(api.id, db.id, 5432).verdict == ALLOW and m.cell(web.id, db.id, 5432).verdict == DENY
    assert m.cell(web.id, web.id, 8080).src_pod != m.cell(web.id, web.id, 8080).dst_pod


def test_a_group_of_one_to_itself_is_the_pod_reaching_itself():
    m = matrix(shop().index(), "shop", [(5432, "TCP")])
    db = m.group_of("shop/db-0")
    c = m.cell(db.id, db.id, 5432)
    assert c.verdict == ALLOW and "itself" in c.reason


def test_named_ports_split_groups_when_the_numbers_differ():
    w = World().ns("ns")
    w.pod("ns", "a", {"app": "x"}, ports=(("http", 8080, "TCP"),)).pod("ns", "b", {"app": "x"}, ports=(("http", 9090, "TCP"),))
    w.pod("ns", "c", {"app": "client"})
    w.policy("ns", "p", {"podSelector": {"matchLabels": {"app": "x"}}, "ingress": [{"ports": [{"port": "http"}]}]})
    m = matrix(w.index(), "ns", [(8080, "TCP")])
    assert len(m.groups) == 3
    client = m.group_of("ns/c")
    assert m.cell(client.id, m.group_of("ns/a").id, 8080).verdict == ALLOW
    assert m.cell(client.id, m.group_of("ns/b").id, 8080).verdict == DENY


def test_findings_and_json():
    w = shop()
    m = matrix(w.index(), "shop", [(5432, "TCP")])
    assert any("shop/job-0" in f and "DNS (UDP 53)" in f for f in m.findings)
    doc = json.loads(json.dumps(m.as_dict()))
    assert doc["namespace"] == "shop" and len(doc["cells"]) == len(m.groups) ** 2
    assert {c["verdict"] for c in doc["cells"]} == {ALLOW, DENY}
    w.add({"kind": "AdminNetworkPolicy", "metadata": {"name": "cluster-guard"}, "spec": {}})
    assert matrix(w.index(), "shop", [(80, "TCP")]).not_evaluated == ("AdminNetworkPolicy cluster-guard: not evaluated",)


def test_each_policy_in_words():
    from k8snet_tui.domain.policy import summaries

    w = shop()
    w.policy("shop", "broken", {"podSelector": {"matchExpressions": [{"key": "app", "operator": "Is"}]}})
    w.add({"kind": "BaselineAdminNetworkPolicy", "metadata": {"name": "default"}, "spec": {}})
    by_key = {s.key: s for s in summaries(w.index(), "shop")}
    assert by_key["shop/deny"].text == "isolates ingress of 9 pods in shop, allowing nothing"
    assert len(by_key["shop/deny"].selected) == 9  # the finished pod is left out
    web = by_key["shop/web-from-all"]
    assert web.text == "isolates ingress of 4 pods in shop" and web.rules == ("ingress[0]: from every peer; TCP http",)
    job = by_key["shop/job-egress"]
    assert job.directions == ("egress",) and job.rules == ("egress[0]: to pods app in (db) in namespace shop; every port",)
    broken = by_key["shop/broken"]
    assert broken.text.startswith("may isolate ingress of 9 pods") and broken.problems[0].code == "bad-selector-operator"
    assert by_key["default"].evaluated is False and "not evaluated" in by_key["default"].text
    assert by_key["shop/deny"].as_dict()["selected"][0] == "shop/api-0"


def test_ports_of_interest_come_from_the_policies_then_the_pods():
    from k8snet_tui.domain.policy import ports_of_interest

    assert ports_of_interest(shop().index(), "shop") == ((8080, "TCP"), (5432, "TCP"))
    assert ports_of_interest(World().ns("empty").index(), "empty") == ((80, "TCP"),)

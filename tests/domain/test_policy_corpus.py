"""The public examples as test cases: every recipe of ahmetb/kubernetes-network-policy-recipes
and the Kubernetes docs' NetworkPolicy examples (fixtures/policy/*.json, each case with its
provenance), with the connections each says work and the ones it says time out.

A case is steps; each step applies some of the case's policies (by name) to its pods and
namespaces and lists expected verdicts. Where a source's text contradicts the spec, the case
keeps the spec's answer and says why (`disagrees`).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from k8snet_tui.domain.model import ClusterState
from k8snet_tui.domain.policy import build_index, evaluate

FIXTURES = Path(__file__).parent / "fixtures" / "policy"
COLLECTIONS = {p.stem: json.loads(p.read_text()) for p in sorted(FIXTURES.glob("*.json"))}
NODES = {"n1": "192.168.0.1", "n2": "192.168.0.2"}


def steps():
    for name, doc in COLLECTIONS.items():
        for case in doc["cases"]:
            for i, step in enumerate(case["steps"]):
                yield pytest.param(case, step, id=f"{name}:{case['id']}:step{i}")


def cluster_for(case, applied: list[str]) -> ClusterState:
    objs = [{"kind": "Node", "metadata": {"name": n}, "status": {"addresses": [{"type": "InternalIP", "address": ip}]}}
            for n, ip in NODES.items()]
    for ns, labels in case["namespaces"].items():
        objs.append({"kind": "Namespace", "metadata": {"name": ns, "labels": labels}})
    for i, p in enumerate(case["pods"]):
        objs.append({"kind": "Pod", "metadata": {"namespace": p["namespace"], "name": p["name"], "labels": p["labels"]},
                     "spec": {"nodeName": p["node"], "containers": [{"name": "c", "ports": [
                         {"name": n, "containerPort": port, "protocol": proto} for n, port, proto in p["ports"]]}]},
                     "status": {"phase": "Running", "podIP": f"10.244.{i // 200}.{i % 200 + 10}"}})
    by_name = {pol["metadata"]["name"]: pol for pol in case["policies"]}
    for name in applied:
        pol = copy.deepcopy(by_name[name])
        pol["metadata"].setdefault("namespace", "default")  # `kubectl apply` without -n
        objs.append(pol)
    return ClusterState.from_objects(objs)


@pytest.mark.parametrize("case,step", list(steps()))
def test_corpus_step(case, step):
    index = build_index(cluster_for(case, step["apply"]))
    assert not index.problems(), [p.as_dict() for p in index.problems()]
    for e in step["expect"]:
        v = evaluate(index, e["src"], e["dst"], e["port"], e["protocol"])
        what = f"{case['provenance']}: {e['src']} -> {e['dst']}:{e['port']}/{e['protocol']} ({e['source_says']})"
        assert v.verdict == e["verdict"], f"{what}: got {v.verdict}; {v.egress.reason} / {v.ingress.reason}"
        if "finding" in e:
            assert any(e["finding"] in f for f in v.findings), (what, v.findings)


def test_every_case_has_provenance_and_both_outcomes():
    for name, doc in COLLECTIONS.items():
        verdicts = set()
        for case in doc["cases"]:
            assert case["provenance"] and case["id"], case
            verdicts |= {e["verdict"] for s in case["steps"] for e in s["expect"]}
        assert verdicts == {"allow", "deny"}, name
    recipes = {c["provenance"].split()[-1] for c in COLLECTIONS["recipes"]["cases"]}
    assert len(recipes) == 14  # every recipe file of the collection (00 only creates a cluster)


def test_where_a_recipe_disagrees_with_the_spec_the_case_says_why():
    disagreeing = [(c["id"], e) for c in COLLECTIONS["recipes"]["cases"] for s in c["steps"]
                   for e in s["expect"] if "disagrees" in e]
    assert [cid for cid, _ in disagreeing] == ["recipe-14"]
    (_, e), = disagreeing
    assert e["verdict"] == "deny" and "allowed" in e["source_says"]

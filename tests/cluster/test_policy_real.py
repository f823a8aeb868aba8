"""NetworkPolicy verdicts against a real enforcer: kube-router's network policy controller on
both nodes of the test cluster (harness/enforcer.py). A set of policies covering every spec
point the evaluator knows; then every (source, destination, port) pair's real TCP connect from
the source pod's network namespace (1 s timeout) must equal k8snet's verdict.

What the real kernel cannot show here: UDP/SCTP verdicts (TCP connects only), host-network pods
(the harness gives them no namespace; the nodes themselves stand in as sources), pods without
an IP. Those are unit-tested (tests/domain/test_policy_evaluator.py).
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from k8snet_tui.domain.model import ClusterState
from k8snet_tui.domain.policy import ALLOW, DENY, build_index, evaluate

from tests.cluster.harness.enforcer import KubeRouter, Listeners, connect_from, connect_from_node

pytestmark = pytest.mark.cluster

NAMESPACES = {"pol-a": {"team": "alpha"}, "pol-b": {"team": "beta", "env": "prod"}, "pol-c": {}}
PORTS = (80, 5000, 8080, 9100)
# name -> (namespace, node, labels, named container ports)
PODS = {
    "web": ("pol-a", "node-1", {"app": "web", "tier": "fe"}, {"metrics": 9100}),
    "web2": ("pol-a", "node-2", {"app": "web", "tier": "fe"}, {"metrics": 5000}),  # same name, other number
    "db": ("pol-a", "node-2", {"app": "db"}, {}),
    "client": ("pol-a", "node-1", {"app": "client", "role": "frontend"}, {}),
    "locked": ("pol-a", "node-1", {"app": "locked"}, {}),
    "ranged": ("pol-a", "node-2", {"app": "ranged"}, {}),
    "mon": ("pol-b", "node-2", {"type": "monitoring"}, {}),
    "other": ("pol-b", "node-1", {"app": "other"}, {}),
    "cmon": ("pol-c", "node-1", {"type": "monitoring"}, {}),
    "ipc": ("pol-c", "node-2", {"app": "ipc"}, {}),
}


def np(namespace: str, name: str, spec: dict) -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"namespace": namespace, "name": name}, "spec": spec}


def policies(ips: dict[str, str]) -> list[dict]:
    """Every spec point, each named after what it shows."""
    dns_peer = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}
    return [
        # podSelector {} + policyTypes [Ingress]: every pod of pol-a isolated for ingress, no rules
        np("pol-a", "default-deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]}),
        # union across policies; pod selector alone = same namespace; namespace AND pod in one peer;
        # a named port that each web pod numbers differently
        np("pol-a", "web-from-frontend", {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [
            {"from": [{"podSelector": {"matchLabels": {"role": "frontend"}}}], "ports": [{"port": 80}]}]}),
        np("pol-a", "web-metrics-from-beta-monitoring", {"podSelector": {"matchLabels": {"tier": "fe"}}, "ingress": [
            {"from": [{"namespaceSelector": {"matchLabels": {"team": "beta"}},
                       "podSelector": {"matchLabels": {"type": "monitoring"}}}],
             "ports": [{"port": "metrics"}]}]}),
        # two peers = OR; matchExpressions NotIn on the namespace side
        np("pol-a", "db-from-web-or-prod", {"podSelector": {"matchLabels": {"app": "db"}}, "ingress": [
            {"from": [{"podSelector": {"matchLabels": {"app": "web"}}},
                      {"namespaceSelector": {"matchExpressions": [
                          {"key": "env", "operator": "In", "values": ["prod"]},
                          {"key": "team", "operator": "NotIn", "values": ["alpha"]}]}}],
             "ports": [{"protocol": "TCP", "port": 5000}]}]}),
        # ipBlock with except on pod IPs (implementation-defined; kube-router matches pod IPs)
        np("pol-a", "client-from-cluster-but-ipc", {"podSelector": {"matchLabels": {"app": "client"}}, "ingress": [
            {"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": [f"{ips['ipc']}/32"]}}],
             "ports": [{"port": 8080}]}]}),
        # egress isolation with only DNS allowed (recipes 11/14)
        np("pol-a", "locked-dns-only", {"podSelector": {"matchLabels": {"app": "locked"}}, "policyTypes": ["Egress"],
                                        "egress": [{"to": [dns_peer], "ports": [{"port": 53, "protocol": "UDP"},
                                                                                {"port": 53, "protocol": "TCP"}]}]}),
        # endPort range, no `to` = every destination; no DNS: a finding
        np("pol-a", "ranged-egress", {"podSelector": {"matchLabels": {"app": "ranged"}}, "policyTypes": ["Egress"],
                                      "egress": [{"ports": [{"port": 5000, "endPort": 8080}]}]}),
        # pol-b: ingress denied except for pods with an app label, which allow everything (`[{}]`)
        np("pol-b", "deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]}),
        np("pol-b", "app-pods-open", {"podSelector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]},
                                      "ingress": [{}]}),
        # pol-b's egress only to namespaces team In (alpha, beta), DNS too
        np("pol-b", "egress-to-alpha-beta", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [
            {"to": [{"namespaceSelector": {"matchExpressions": [
                {"key": "team", "operator": "In", "values": ["alpha", "beta"]}]}}]},
            {"to": [dns_peer], "ports": [{"port": 53, "protocol": "UDP"}]}]}),
        # no policyTypes but an egress section: Ingress and Egress both; `to` every namespace's pods
        np("pol-c", "ipc-defaults", {"podSelector": {"matchLabels": {"app": "ipc"}},
                                     "egress": [{"to": [{"namespaceSelector": {}}]}]}),
        # DoesNotExist: pol-c pods without an app label allow port 80 from every namespace's pods
        np("pol-c", "no-app-port-80", {"podSelector": {"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]},
                                       "ingress": [{"from": [{"namespaceSelector": {}}], "ports": [{"port": 80}]}]}),
    ]


def pod_manifest(name: str) -> dict:
    ns, node, labels, named = PODS[name]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"namespace": ns, "name": name, "labels": labels},
            "spec": {"nodeName": node, "containers": [{
                "name": "app", "image": "registry.k8s.io/pause:3.10",
                "ports": [{"name": n, "containerPort": p, "protocol": "TCP"} for n, p in named.items()]}]}}


def cluster_state(cluster) -> ClusterState:
    objs = []
    for kind, path in (("Pod", "/api/v1/pods"), ("Namespace", "/api/v1/namespaces"), ("Node", "/api/v1/nodes"),
                       ("NetworkPolicy", "/apis/networking.k8s.io/v1/networkpolicies")):
        for o in cluster.api.get(path)["items"]:
            objs.append({**o, "kind": kind})
    return ClusterState.from_objects(objs)


def policy_count(cluster) -> int:
    return len(cluster.api.get("/apis/networking.k8s.io/v1/networkpolicies")["items"])


def dns_lookup_from(cluster, namespace: str, pod: str) -> dict:
    nstool = Path(__file__).resolve().parent / "nstool.py"
    proc = subprocess.run(["ip", "netns", "exec", cluster.pod_netns(namespace, pod), sys.executable, str(nstool),
                           "dns", "kubernetes.default.svc.cluster.local", "--server", "10.96.0.10", "--timeout", "2"],
                          capture_output=True, text=True, timeout=30, check=False)
    return {"rc": proc.returncode, "out": proc.stdout.strip(), "err": proc.stderr.strip()[-200:]}


@pytest.fixture(scope="module")
def enforced(lab_cluster):
    """The pods, their listeners, kube-router on both nodes and the policies; torn down after."""
    c = lab_cluster
    listeners = Listeners(c)
    kr: KubeRouter | None = None
    try:
        c.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}}
                 for ns, labels in NAMESPACES.items()])
        c.apply([pod_manifest(n) for n in PODS])
        c._wait("the policy test pods' network namespaces",
                lambda: all(c.agent.find(PODS[n][0], n) for n in PODS), 60)
        ips = {n: c.agent.find(PODS[n][0], n).ip for n in PODS}
        for n, (ns, _, _, _) in PODS.items():
            listeners.start(ns, n, list(PORTS))
        dns_ips = c.ready_endpoints("kube-system", "kube-dns")
        targets = {f"{ip}:{p}": (f"{PODS[n][0]}/{n}", p) for n, ip in ips.items() for p in PORTS}
        targets.update({f"{ip}:53": (f"ip:{ip}", 53) for ip in dns_ips})
        # Before any enforcer: every listener answers every source (so a refusal later is policy).
        baseline = {n: connect_from(c, PODS[n][0], n, list(targets)) for n in PODS}
        closed = {(s, t): r for s, rs in baseline.items() for t, r in rs.items() if r != "open"}
        assert not closed, f"connections fail before any policy exists: {closed}"
        kr = KubeRouter(c)
        kr.start()
        docs = policies(ips)
        c.apply(docs)
        kr.wait_settled(lambda: policy_count(c))
        yield c, kr, ips, targets
    finally:
        if kr is not None:
            kr.stop()
        listeners.stop()
        for ns in NAMESPACES:
            c.delete("Namespace", ns, None, "v1", grace_seconds=0)
        # gone before the next module looks at the cluster (this one's and the corpus cases')
        c._wait("the policy tests' namespaces to be deleted", lambda: not [
            n for n in c.api.get("/api/v1/namespaces")["items"]
            if n["metadata"]["name"] in NAMESPACES or n["metadata"]["name"].startswith("rc")], 120)


def test_kube_router_enforces_and_every_connection_matches_the_verdict(enforced):
    c, _, _, targets = enforced
    index = build_index(cluster_state(c))
    node_sources = {f"ip:{n.host_ip}": n.name for n in c.nodes.values()}
    mismatches, counted = [], {ALLOW: 0, DENY: 0}
    for src in PODS:
        ns = PODS[src][0]
        real = connect_from(c, ns, src, list(targets))
        for target, outcome in real.items():
            dst, port = targets[target]
            v = evaluate(index, f"{ns}/{src}", dst, port, "TCP")
            assert v.verdict in (ALLOW, DENY), (src, dst, port, v.as_dict())
            counted[v.verdict] += 1
            if (outcome == "open") != (v.verdict == ALLOW):
                mismatches.append(f"{ns}/{src} -> {dst}:{port}: real {outcome}, k8snet {v.verdict} "
                                  f"(egress: {v.egress.reason}; ingress: {v.ingress.reason})")
    for src_ip, node in node_sources.items():  # the nodes themselves: own pods always, others by ipBlock
        real = connect_from_node(c, node, list(targets))
        for target, outcome in real.items():
            dst, port = targets[target]
            v = evaluate(index, src_ip, dst, port, "TCP")
            counted[v.verdict] += 1
            if (outcome == "open") != (v.verdict == ALLOW):
                mismatches.append(f"{node} -> {dst}:{port}: real {outcome}, k8snet {v.verdict} "
                                  f"(ingress: {v.ingress.reason})")
    assert not mismatches, f"{len(mismatches)} of {sum(counted.values())} pairs differ:\n" + "\n".join(mismatches)
    # the set exercises both outcomes plenty (not a matrix of all-open or all-closed)
    assert counted[ALLOW] >= 50 and counted[DENY] >= 50, counted


def test_the_dns_finding_is_what_a_real_lookup_sees(enforced):
    c, _, _, _ = enforced
    index = build_index(cluster_state(c))
    flagged = evaluate(index, "pol-a/ranged", "pol-a/db", 5000).findings
    assert any("DNS (UDP 53)" in f for f in flagged), flagged
    assert evaluate(index, "pol-a/locked", "pol-a/db", 5000).findings == ()
    ranged, locked = dns_lookup_from(c, "pol-a", "ranged"), dns_lookup_from(c, "pol-a", "locked")
    assert '"rcode": "NOERROR"' in locked["out"], locked
    assert "NOERROR" not in ranged["out"], ranged


def test_stopping_the_enforcer_leaves_nothing_behind(enforced):
    c, kr, _, _ = enforced
    kr.stop()
    assert all(kr.leftovers(n) == [] for n in c.nodes), {n: kr.leftovers(n) for n in c.nodes}
    kr.start()  # as it was, for whichever test runs next; the fixture's teardown stops it again
    kr.wait_settled(lambda: policy_count(c))


# --- the public examples on the real enforcer ----------------------------------------------
CORPUS = Path(__file__).resolve().parents[1] / "domain" / "fixtures" / "policy"
CORPUS_CASES = [case for f in sorted(CORPUS.glob("*.json")) for case in json.loads(f.read_text())["cases"]]


def _real_pair(e: dict) -> bool:
    """Expectations a TCP connect between the case's own pods (or to CoreDNS) can show; the
    cases' outside and node addresses are stand-ins that exist nowhere here."""
    return e["protocol"] == "TCP" and not e["src"].startswith("ip:") and not e["dst"].startswith("ip:")


@pytest.mark.parametrize("case", [c for c in CORPUS_CASES if any(_real_pair(e) for s in c["steps"] for e in s["expect"])],
                         ids=lambda c: c["id"])
def test_the_public_examples_hold_on_the_real_enforcer(enforced, case):
    """Each recipe and docs example in its own namespaces (prefixed), its steps applied in turn:
    every pod-to-pod connection the source says works or times out does so here too, and the
    evaluator on the live objects says the same."""
    c, kr, _, _ = enforced
    n = CORPUS_CASES.index(case)
    nsmap = {ns: ns if ns == "kube-system" else f"rc{n}-{ns}" for ns in case["namespaces"]}
    dns_ip = c.ready_endpoints("kube-system", "kube-dns")[0]
    pods = [p for p in case["pods"] if p["namespace"] != "kube-system"]  # the real CoreDNS stands in
    ports = sorted({e["port"] for s in case["steps"] for e in s["expect"] if _real_pair(e)} - {53}) or [80]
    listeners = Listeners(c)
    try:
        c.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": nsmap[ns], "labels": labels}}
                 for ns, labels in case["namespaces"].items() if ns != "kube-system"])
        c.apply([{"apiVersion": "v1", "kind": "Pod",
                  "metadata": {"namespace": nsmap[p["namespace"]], "name": p["name"], "labels": p["labels"]},
                  "spec": {"nodeName": "node-1" if p["node"] == "n1" else "node-2", "containers": [{
                      "name": "app", "image": "registry.k8s.io/pause:3.10",
                      "ports": [{"name": a, "containerPort": b, "protocol": pr} for a, b, pr in p["ports"]]}]}}
                 for p in pods])
        c._wait(f"{case['id']}'s pods", lambda: all(c.agent.find(nsmap[p["namespace"]], p["name"]) for p in pods), 60)
        for p in pods:
            listeners.start(nsmap[p["namespace"]], p["name"], ports)
        by_name = {pol["metadata"]["name"]: pol for pol in case["policies"]}
        applied: set[str] = set()
        mismatches = []
        for i, step in enumerate(case["steps"]):
            for name in applied - set(step["apply"]):
                pol = by_name[name]
                c.delete("NetworkPolicy", name, nsmap[pol["metadata"].get("namespace", "default")],
                         "networking.k8s.io/v1")
            for name in step["apply"]:
                pol = copy.deepcopy(by_name[name])
                pol["metadata"]["namespace"] = nsmap[pol["metadata"].get("namespace", "default")]
                c.apply(pol)
            applied = set(step["apply"])
            kr.wait_settled(lambda: policy_count(c))
            index = build_index(cluster_state(c))
            for e in (e for e in step["expect"] if _real_pair(e)):
                sns, sname = e["src"].split("/")
                dns_, dname = e["dst"].split("/")
                if dns_ == "kube-system":
                    target, dst_spec = f"{dns_ip}:{e['port']}", f"ip:{dns_ip}"
                else:
                    target = f"{c.agent.find(nsmap[dns_], dname).ip}:{e['port']}"
                    dst_spec = f"{nsmap[dns_]}/{dname}"
                outcome = connect_from(c, nsmap[sns], sname, [target])[target]
                v = evaluate(index, f"{nsmap[sns]}/{sname}", dst_spec, e["port"], "TCP")
                if (outcome == "open") != (e["verdict"] == ALLOW) or v.verdict != e["verdict"]:
                    mismatches.append(f"step {i}: {e['src']} -> {e['dst']}:{e['port']}: expected {e['verdict']} "
                                      f"({e['source_says']}), real {outcome}, k8snet {v.verdict}")
        assert not mismatches, f"{case['provenance']}:\n" + "\n".join(mismatches)
    finally:
        listeners.stop()
        for ns in nsmap.values():
            if ns != "kube-system":
                c.delete("Namespace", ns, None, "v1", grace_seconds=0)

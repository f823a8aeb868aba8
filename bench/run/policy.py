"""NetworkPolicy: one check after indexing, and the who-can-talk matrix of a 200-pod namespace.

The synthetic L cluster (30,000 pods in ~100 namespaces, 100 nodes) plus 2,000 NetworkPolicies
of the usual shapes (default deny, allow from an app, from a labelled namespace, ipBlock with
except, named and ranged ports, egress with DNS), and one namespace of 200 pods (20 apps of 10)
with 20 of those policies for the matrix. Numbers, never assertions (docs/performance.md).
"""

from __future__ import annotations

import gc
import random
import statistics
import time
from typing import Any

from k8snet_tui.domain.model import ClusterState, gc_paused
from k8snet_tui.domain.policy import build_index, evaluate, matrix

from bench.gen import SCALES
from bench.gen import api as gen_api
from bench.gen.model import build_cluster

POLICIES = 2000
MATRIX_NS, MATRIX_APPS, MATRIX_PER_APP = "bench-matrix", 20, 10


def _policy(rng: random.Random, ns: str, i: int, apps: list[str], namespaces: list[str]) -> dict[str, Any]:
    app = rng.choice(apps)
    peer_app = rng.choice(apps)
    shapes = [
        {"podSelector": {}, "policyTypes": ["Ingress"]},
        {"podSelector": {"matchLabels": {"app": app}}, "ingress": [
            {"from": [{"podSelector": {"matchLabels": {"app": peer_app}}}], "ports": [{"port": 8080}]}]},
        {"podSelector": {"matchLabels": {"app": app}}, "ingress": [
            {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": rng.choice(namespaces)}},
                       "podSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": [peer_app, app]}]}}],
             "ports": [{"port": "http"}, {"port": 9000, "endPort": 9100}]}]},
        {"podSelector": {"matchLabels": {"app": app}}, "ingress": [
            {"from": [{"ipBlock": {"cidr": "10.64.0.0/10", "except": [f"10.{64 + rng.randrange(64)}.0.0/16"]}}]}]},
        {"podSelector": {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": [app]}]},
         "policyTypes": ["Egress"], "egress": [
             {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                      "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
              "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]},
             {"to": [{"podSelector": {}}]}]},
    ]
    return {"kind": "NetworkPolicy", "metadata": {"namespace": ns, "name": f"np-{i:04d}"},
            "spec": shapes[i % len(shapes)]}


def build_objects(seed: int = 15) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    c = build_cluster(SCALES["L"], None)
    objs: list[dict[str, Any]] = []
    for kind, fn in (("Namespace", gen_api.namespaces), ("Node", gen_api.nodes), ("Pod", gen_api.pods)):
        objs.extend({**o, "kind": kind} for o in fn(c)["items"])
    rng = random.Random(seed)
    apps_by_ns: dict[str, list[str]] = {}
    for p in c.pods:
        apps_by_ns.setdefault(p.namespace, []).append(p.app)
    for pod in objs:
        if pod["kind"] == "Pod":
            pod.setdefault("spec", {}).setdefault("containers", [{"name": "c"}])[0]["ports"] = [
                {"name": "http", "containerPort": 8080}]
    # the matrix namespace: 20 apps x 10 pods on 10 nodes
    objs.append({"kind": "Namespace", "metadata": {"name": MATRIX_NS, "labels": {"kubernetes.io/metadata.name": MATRIX_NS}}})
    matrix_apps = [f"svc-{a:02d}" for a in range(MATRIX_APPS)]
    for a, app in enumerate(matrix_apps):
        for k in range(MATRIX_PER_APP):
            objs.append({"kind": "Pod", "metadata": {"namespace": MATRIX_NS, "name": f"{app}-{k}", "labels": {"app": app}},
                         "spec": {"nodeName": f"node-{k:03d}", "containers": [{"name": "c", "ports": [
                             {"name": "http", "containerPort": 8080 + a % 3}]}]},
                         "status": {"phase": "Running", "podIP": f"10.200.{a}.{k + 10}"}})
    namespaces = [n for n in c.namespaces if n.startswith("team-")]
    for i in range(POLICIES - MATRIX_APPS):
        ns = namespaces[i % len(namespaces)]
        objs.append(_policy(rng, ns, i, sorted(set(apps_by_ns.get(ns, ["none"]))), namespaces))
    for i in range(MATRIX_APPS):
        objs.append(_policy(rng, MATRIX_NS, POLICIES + i, matrix_apps, namespaces + [MATRIX_NS]))
    pods = [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in objs if o["kind"] == "Pod"]
    return objs, pods


def bench_policy(checks: int = 2000) -> dict[str, Any]:
    objs, pods = build_objects()
    state = ClusterState.from_objects(objs)
    t0, c0 = time.perf_counter(), time.process_time()
    with gc_paused():  # as ClusterState.memo builds it in the app
        index = build_index(state)
    t_index, c_index = time.perf_counter() - t0, time.process_time() - c0
    gc.freeze()  # as the app does once a state is loaded: a full collection over 30,000 pods costs ~0.5 s
    rng = random.Random(7)
    by_ns: dict[str, list[str]] = {}
    for ns, name in pods:
        by_ns.setdefault(ns, []).append(f"{ns}/{name}")
    keys = [f"{ns}/{n}" for ns, n in pods]
    times, cpu, verdicts = [], [], {"allow": 0, "deny": 0, "unknown": 0}
    for i in range(checks):
        src = rng.choice(keys)
        # half within the source's namespace (where policies bite), half anywhere
        dst = rng.choice(by_ns[src.split("/", 1)[0]]) if i % 2 else rng.choice(keys)
        port = rng.choice((8080, 9050, 53, 80))
        t, c0 = time.perf_counter(), time.process_time()
        v = evaluate(index, src, dst, port, "TCP")
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c0)  # without the waits a loaded machine adds
        verdicts[v.verdict] += 1
    times.sort()
    cpu.sort()
    ports = [(8080, "TCP"), (8081, "TCP"), (9050, "TCP")]
    t = time.perf_counter()
    m = matrix(index, MATRIX_NS, ports)
    t_matrix_cold = time.perf_counter() - t
    warm = []
    for _ in range(3):
        with gc_paused():
            fresh = build_index(state)  # the matrix on a new index: no selection cache from before
        t = time.perf_counter()
        matrix(fresh, MATRIX_NS, ports)
        warm.append(time.perf_counter() - t)
    return {"pods": len(pods), "policies": sum(len(v) for v in index.policies.values()),
            "index_build_ms": round(t_index * 1000, 1), "index_build_cpu_ms": round(c_index * 1000, 1),
            "checks": checks,
            "check_median_ms": round(statistics.median(times) * 1000, 3),
            "check_p99_ms": round(times[int(len(times) * 0.99)] * 1000, 3),
            "check_max_ms": round(times[-1] * 1000, 3),
            "check_cpu_p99_ms": round(cpu[int(len(cpu) * 0.99)] * 1000, 3), "verdicts": verdicts,
            "matrix_namespace_pods": MATRIX_APPS * MATRIX_PER_APP, "matrix_ports": len(ports),
            "matrix_groups": len(m.groups), "matrix_cells": len(m.cells),
            "matrix_first_ms": round(t_matrix_cold * 1000, 1),
            "matrix_fresh_index_median_ms": round(statistics.median(warm) * 1000, 1)}
    # (gc.unfreeze is left to the caller: bench.run runs this last or in its own process)


if __name__ == "__main__":
    import json
    import os

    print(json.dumps({"load": os.getloadavg(), **bench_policy()}, indent=1))

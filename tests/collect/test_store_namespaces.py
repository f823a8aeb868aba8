"""The store's states hand out each namespace's objects on their own, and a build that read only
one namespace keeps its result while objects change elsewhere."""

from __future__ import annotations

import random

from k8snet_tui.collect.store import Store
from k8snet_tui.domain.consistency import podnet as consistency_podnet
from k8snet_tui.domain.layers.podcidrs import cluster_pod_cidrs
from k8snet_tui.domain.model import ClusterState, namespace_of
from k8snet_tui.domain.service_cidr import find_service_cidrs
from k8snet_tui.sources.snapshot import load_snapshot

from bench.gen import generate

NAMESPACES = ("default", "kube-system", "shop", "")


def pod(i: int, ns: str, rv: int = 1, node: str = "n1", ip: str | None = None) -> dict:
    return {"kind": "Pod", "metadata": {"name": f"p{i}", "namespace": ns, "uid": f"u{i}", "resourceVersion": str(rv)},
            "spec": {"nodeName": node}, "status": {"phase": "Running", "podIP": ip or f"10.1.{i // 250}.{i % 250}"}}


def apiserver(flag: str, rv: int = 1) -> dict:
    return {"kind": "Pod", "metadata": {"name": "kube-apiserver-n1", "namespace": "kube-system", "uid": "api",
                                        "labels": {"component": "kube-apiserver"}, "resourceVersion": str(rv)},
            "spec": {"nodeName": "n1", "containers": [{"name": "kube-apiserver",
                                                       "command": ["kube-apiserver", f"--service-cluster-ip-range={flag}"]}]},
            "status": {"phase": "Running", "podIP": "192.168.0.10"}}


def filtered(state: ClusterState, ns: str) -> tuple:
    return tuple(p for p in state.of("Pod") if namespace_of(p) == ns)


def test_each_namespace_is_the_kinds_objects_in_that_namespace_in_list_order() -> None:
    rng = random.Random(7)
    store = Store()
    store.replace_kind("Pod", [pod(i, rng.choice(NAMESPACES)) for i in range(40)])
    for step in range(300):
        roll = rng.random()
        i = rng.randrange(60)
        if roll < 0.05:
            store.replace_kind("Pod", [pod(j, rng.choice(NAMESPACES), rv=step) for j in rng.sample(range(60), 30)])
        elif roll < 0.1:  # a part (one namespace's watcher, say) re-listed on its own
            store.replace_kind("Pod", [pod(100 + j, "shop", rv=step) for j in range(rng.randrange(4))], part="shop")
        elif roll < 0.3:
            store.apply("Pod", "DELETED", pod(i, "default"))
        else:  # an update in place, or an object that comes back in another namespace
            store.apply_many("Pod", [("MODIFIED", pod(i, rng.choice(NAMESPACES), rv=step))
                                     for _ in range(rng.randrange(1, 4))])
        if rng.random() < 0.5:
            state = store.snapshot()
            for ns in ("default", "kube-system", "shop", "nowhere"):  # "" asks for every namespace
                assert state.in_namespace("Pod", ns) == filtered(state, ns), (step, ns)


def test_a_build_reading_kube_system_pods_outlives_updates_of_other_pods() -> None:
    store = Store()
    store.replace_kind("Pod", [apiserver("10.96.0.0/12")] + [pod(i, "default") for i in range(50)])
    store.replace_kind("Service", [])
    first = store.snapshot()
    cidrs = first.memo(find_service_cidrs)
    assert cidrs.cidrs == ("10.96.0.0/12",)
    store.apply("Pod", "MODIFIED", pod(3, "default", rv=2, ip="10.9.9.9"))
    second = store.snapshot()
    assert second.of("Pod") is not first.of("Pod")
    assert second.memo(find_service_cidrs) is cidrs  # kept: no kube-system pod changed
    store.apply("Pod", "MODIFIED", apiserver("10.100.0.0/16", rv=2))
    third = store.snapshot()
    assert third.memo(find_service_cidrs).cidrs == ("10.100.0.0/16",)  # a kube-system change is seen
    store.apply("Pod", "DELETED", apiserver("10.100.0.0/16"))
    assert store.snapshot().memo(find_service_cidrs).source != "kube-apiserver flag"


def test_controller_manager_flags_are_read_from_kube_system_only() -> None:
    def manager(ns: str) -> dict:
        return {"kind": "Pod", "metadata": {"name": "kube-controller-manager-n1", "namespace": ns, "uid": f"m-{ns}",
                                            "labels": {"component": "kube-controller-manager"}},
                "spec": {"containers": [{"command": ["kube-controller-manager", f"--cluster-cidr=10.{len(ns)}.0.0/16"]}]}}

    store = Store()
    store.replace_kind("Pod", [manager("default"), manager("kube-system"), pod(1, "kube-system")])
    facts = cluster_pod_cidrs(store.snapshot())
    assert [(f.cidr, f.source) for f in facts] == [("10.11.0.0/16", "Pod kube-system/kube-controller-manager-n1 "
                                                                    "--cluster-cidr")]


def test_node_facts_reused_per_pod_equal_facts_read_afresh() -> None:
    store = Store()
    store.replace_kind("Node", [{"kind": "Node", "metadata": {"name": n}} for n in ("n1", "n2")])
    store.replace_kind("Pod", [pod(i, "default", node="n1" if i % 2 else "n2") for i in range(30)])
    for step in range(5):
        state = store.snapshot()
        kept = consistency_podnet.node_facts(state, None)
        consistency_podnet._LAST_PODS.clear()  # what a first build reads
        assert consistency_podnet.node_facts(state, None) == kept
        store.apply_many("Pod", [("MODIFIED", pod(i, "default", rv=step + 2, node="n1", ip=f"10.7.{step}.{i}"))
                                 for i in range(step, 30, 7)])
        store.apply("Pod", "DELETED", pod(29 - step, "default"))
    facts = consistency_podnet.node_facts(store.snapshot(), None)
    assert ("default/p4", "10.7.4.4") in facts["n1"].pod_ips
    assert all(name != "default/p25" for name, _ in facts["n1"].pod_ips + facts["n2"].pod_ips)


def test_a_big_snapshots_namespace_is_read_from_the_heads_decoding_only_its_pods(tmp_path) -> None:
    snap_dir = generate("S", tmp_path, log=lambda *_: None) / "snapshot"
    lazy = load_snapshot(snap_dir)
    pods = lazy.cluster.deferred("Pod")
    assert pods is not None and pods.decoded == 0
    system = lazy.cluster.in_namespace("Pod", "kube-system")
    assert 0 < pods.decoded == len(system) < len(pods)  # only kube-system's pods decoded
    assert lazy.cluster.memo(find_service_cidrs) == find_service_cidrs(load_snapshot(snap_dir, defer=False).cluster)
    everything = lazy.cluster.of("Pod")  # the whole kind, decoded: the same objects, in its order
    assert system == tuple(p for p in everything if namespace_of(p) == "kube-system")
    assert all(a is b for a, b in zip(system, (p for p in everything if namespace_of(p) == "kube-system"), strict=True))

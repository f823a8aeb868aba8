"""Store: exact replacement per kind, event application, cached snapshots, forbidden/stale marks."""

from __future__ import annotations

import threading

import pytest

from k8snet_tui.collect.store import Store, object_key


def obj(name: str, uid: str | None = None, ns: str = "default", rv: str = "1", **extra) -> dict:
    meta = {"name": name, "namespace": ns, "resourceVersion": rv}
    if uid is not None:
        meta["uid"] = uid
    return {"kind": "Pod", "metadata": meta, **extra}


def names(store: Store, kind: str = "Pod") -> list[str]:
    return sorted(o["metadata"]["name"] for o in store.snapshot().of(kind))


def test_object_key_prefers_uid() -> None:
    assert object_key(obj("a", uid="u-1")) == "u-1"
    assert object_key(obj("a", ns="shop")) == "shop/a"
    assert object_key({"kind": "Node", "metadata": {"name": "n1"}}) == "/n1"


def test_replace_kind_is_exact() -> None:
    s = Store()
    s.replace_kind("Pod", [obj("a", "1"), obj("b", "2"), obj("c", "3")])
    s.replace_kind("Service", [{"kind": "Service", "metadata": {"name": "web", "uid": "s"}}])
    s.replace_kind("Pod", [obj("b", "2", rv="9"), obj("d", "4")])
    assert names(s) == ["b", "d"]  # a and c are gone: no ghosts
    assert s.dump()["Pod"]["2"]["metadata"]["resourceVersion"] == "9"
    assert len(s.snapshot().of("Service")) == 1  # other kinds untouched
    s.replace_kind("Pod", [])
    assert s.snapshot().of("Pod") == () and s.count("Pod") == 0


def test_replace_kind_with_duplicate_keys_keeps_the_last() -> None:
    s = Store()
    s.replace_kind("Pod", [obj("a", "1", rv="1"), obj("a", "1", rv="2")])
    assert s.count("Pod") == 1 and s.snapshot().of("Pod")[0]["metadata"]["resourceVersion"] == "2"


def test_apply_added_modified_deleted() -> None:
    s = Store()
    s.apply("Pod", "ADDED", obj("a", "1"))
    s.apply("Pod", "ADDED", obj("b", "2"))
    s.apply("Pod", "MODIFIED", obj("a", "1", rv="5", status={"podIP": "10.0.0.9"}))
    assert names(s) == ["a", "b"]
    assert s.dump()["Pod"]["1"]["status"]["podIP"] == "10.0.0.9"
    s.apply("Pod", "DELETED", obj("b", "2"))
    s.apply("Pod", "DELETED", obj("never-seen", "zz"))  # deleting the unknown is harmless
    assert names(s) == ["a"]


def test_apply_many_is_one_version_step() -> None:
    s = Store()
    v0 = s.version
    s.apply_many("Pod", [("ADDED", obj("a", "1")), ("ADDED", obj("b", "2")), ("DELETED", obj("a", "1"))])
    assert names(s) == ["b"] and s.version == v0 + 1


def test_snapshot_is_cached_until_something_changes() -> None:
    s = Store()
    s.replace_kind("Pod", [obj("a", "1")])
    first = s.snapshot()
    assert s.snapshot() is first
    s.apply("Pod", "ADDED", obj("b", "2"))
    second = s.snapshot()
    assert second is not first and len(second.of("Pod")) == 2
    assert len(first.of("Pod")) == 1  # an earlier snapshot never changes under its reader


def test_snapshot_is_immutable_for_readers() -> None:
    s = Store()
    s.replace_kind("Pod", [obj("a", "1")])
    snap = s.snapshot()
    with pytest.raises(TypeError):
        snap.objects["Pod"] = ()  # type: ignore[index]
    with pytest.raises(TypeError):
        snap.forbidden["Pod"] = "x"  # type: ignore[index]
    assert len(s.snapshot().of("Pod")) == 1


def test_forbidden_marks_and_their_clearing() -> None:
    s = Store()
    s.mark_forbidden("Pod", "forbidden: list pods (cluster-wide)")
    v = s.version
    s.mark_forbidden("Pod", "forbidden: list pods (cluster-wide)")  # same reason: no change
    assert s.version == v
    assert s.snapshot().forbidden == {"Pod": "forbidden: list pods (cluster-wide)"}
    s.replace_kind("Pod", [obj("a", "1")])  # a successful list clears it
    assert s.snapshot().forbidden == {}


def test_stale_marks_keep_the_earliest_time() -> None:
    s = Store()
    assert s.snapshot().stale_since is None
    s.mark_stale("Pod", since=200.0)
    s.mark_stale("Pod", since=300.0)  # already stale: the first time stays
    s.mark_stale("Service", since=150.0)
    assert s.snapshot().stale_since == 150.0
    s.mark_fresh("Service")
    assert s.snapshot().stale_since == 200.0
    v = s.version
    s.mark_fresh("Service")  # already fresh: no change
    assert s.version == v
    s.replace_kind("Pod", [])
    assert s.snapshot().stale_since is None


def test_set_namespace_narrows_snapshots_only() -> None:
    s = Store()
    s.replace_kind("Pod", [obj("a", "1", ns="one"), obj("b", "2", ns="two")])
    s.set_namespace("one")
    snap = s.snapshot()
    assert snap.namespace == "one"
    assert [o["metadata"]["name"] for o in snap.in_namespace("Pod")] == ["a"]
    assert s.count("Pod") == 2


def test_concurrent_writers_lose_nothing() -> None:
    s = Store()

    def writer(prefix: str) -> None:
        for i in range(300):
            s.apply("Pod", "ADDED", obj(f"{prefix}{i}", f"{prefix}{i}"))
            s.snapshot()

    threads = [threading.Thread(target=writer, args=(p,)) for p in "abcd"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert s.count("Pod") == 1200 and len(s.snapshot().of("Pod")) == 1200


def cm(name: str, ns: str = "kube-system", rv: str = "1") -> dict:
    return {"kind": "ConfigMap", "metadata": {"name": name, "namespace": ns, "uid": f"cm-{name}", "resourceVersion": rv}}


def test_parts_of_a_kind_are_replaced_on_their_own() -> None:
    s = Store()
    s.replace_kind("ConfigMap", [cm("coredns")], part="coredns")
    s.replace_kind("ConfigMap", [cm("kube-proxy")], part="kube-proxy")
    s.replace_kind("ConfigMap", [cm("coredns", rv="2")], part="coredns")  # a re-list of one part
    names = sorted((o["metadata"]["name"], o["metadata"]["resourceVersion"]) for o in s.snapshot().of("ConfigMap"))
    assert names == [("coredns", "2"), ("kube-proxy", "1")]
    s.apply("ConfigMap", "DELETED", cm("kube-proxy"), part="kube-proxy")
    s.apply("ConfigMap", "ADDED", cm("kube-proxy", rv="5"), part="kube-proxy")
    s.replace_kind("ConfigMap", [], part="coredns")
    assert [o["metadata"]["name"] for o in s.snapshot().of("ConfigMap")] == ["kube-proxy"]
    assert s.count("ConfigMap") == 1


def test_forbidden_and_stale_parts_show_as_their_kind() -> None:
    s = Store()
    s.mark_forbidden("ConfigMap", "forbidden: list configmaps kube-system/coredns", part="coredns")
    s.mark_forbidden("ConfigMap", "forbidden: list configmaps kube-system/kube-proxy", part="kube-proxy")
    assert s.snapshot().forbidden["ConfigMap"] == ("forbidden: list configmaps kube-system/coredns; "
                                                    "forbidden: list configmaps kube-system/kube-proxy")
    s.replace_kind("ConfigMap", [cm("coredns")], part="coredns")
    assert s.snapshot().forbidden["ConfigMap"] == "forbidden: list configmaps kube-system/kube-proxy"
    s.mark_stale("ConfigMap", since=10.0)  # the kind as a whole (the app does so when credentials fail)
    s.mark_stale("ConfigMap", since=20.0, part="coredns")
    assert s.stale_kinds() == ["ConfigMap"] and s.snapshot().stale_since == 10.0
    s.mark_fresh("ConfigMap", part="coredns")  # the part's watch was accepted again
    assert s.stale_kinds() == [] and s.snapshot().stale_since is None


# -- a kind's tuple and the indexes built on it outlive updates of other kinds -----------------

def _svc(name: str) -> dict:
    return {"kind": "Service", "metadata": {"name": name, "namespace": "default", "uid": "s-" + name}}


def _service_names(cluster) -> tuple[str, ...]:
    return tuple(sorted(o["metadata"]["name"] for o in cluster.of("Service")))


def _pod_versions(cluster) -> tuple[str, ...]:
    return tuple(o["metadata"]["resourceVersion"] for o in cluster.of("Pod"))


def _names_and_pods(cluster) -> tuple:
    return cluster.memo(_service_names), cluster.memo(_pod_versions)


def _every_kind(cluster) -> int:
    return sum(len(objs) for objs in cluster.objects.values())


def _pod_store() -> Store:
    s = Store()
    s.replace_kind("Service", [_svc("web"), _svc("db")])
    s.replace_kind("Pod", [obj("a", uid="u-a")])
    return s


def test_pod_updates_keep_the_service_indexes_and_rebuild_the_pod_ones() -> None:
    s = _pod_store()
    first = s.snapshot()
    names_first = first.memo(_service_names)
    pods_first = first.memo(_pod_versions)
    both_first = first.memo(_names_and_pods)
    for rv in ("2", "3"):  # two updates between reads: one new state
        s.apply("Pod", "MODIFIED", obj("a", uid="u-a", rv=rv))
    second = s.snapshot()
    assert second is not first
    assert second.of("Service") is first.of("Service")  # the same tuple, not a copy
    assert second.memo(_service_names) is names_first  # kept, not rebuilt
    assert second.memo(_pod_versions) == ("3",) and pods_first == ("1",)
    # A build that read pods through another memoised build is rebuilt too.
    assert second.memo(_names_and_pods) == (("db", "web"), ("3",)) != both_first


def test_a_build_reading_every_kind_or_a_new_namespace_keeps_nothing() -> None:
    s = _pod_store()
    first = s.snapshot()
    total = first.memo(_every_kind)
    names_first = first.memo(_service_names)
    s.apply("Pod", "ADDED", obj("b", uid="u-b"))
    second = s.snapshot()
    assert (total, second.memo(_every_kind)) == (3, 4)
    assert second.memo(_service_names) is names_first
    s.set_namespace("shop")
    third = s.snapshot()
    assert third.memo(_service_names) == names_first and third.memo(_service_names) is not names_first
    s.replace_kind("Service", [_svc("web")])
    assert s.snapshot().memo(_service_names) == ("web",)


def _running(name: str, ip: str, rv: str = "1", phase: str = "Running") -> dict:
    return obj(name, uid="u-" + name, rv=rv, spec={"nodeName": "n1"},
               status={"phase": phase, "podIP": ip, "podIPs": [{"ip": ip}]})


def test_a_pod_update_rebuilds_only_that_pods_row_of_the_pod_view() -> None:
    from k8snet_tui.domain.layers import build_podnet_view
    from k8snet_tui.domain.model import NodeState

    s = Store()
    s.replace_kind("Pod", [_running(f"p{i}", f"10.0.0.{i + 1}") for i in range(50)])
    node = NodeState(node="n1")  # p0..p49 run here: their rows are the node's (local) ones
    first = build_podnet_view(s.snapshot(), node).pods
    s.apply("Pod", "MODIFIED", _running("p7", "10.0.0.8", rv="2", phase="Failed"))
    s.apply("Pod", "DELETED", _running("p9", "10.0.0.10"))
    s.apply("Pod", "ADDED", _running("new", "10.0.1.1"))
    second = build_podnet_view(s.snapshot(), node).pods
    by_name = {row.name: row for row in first}
    rebuilt = [row.name for row in second if by_name.get(row.name) is not row]
    assert rebuilt == ["p7", "new"]  # every other row is the very object of the last build
    assert [r.phase for r in second if r.name in ("p6", "p7")] == ["Running", "Failed"]
    assert "p9" not in {r.name for r in second} and all(r.local for r in second)
    # A new poll of the node (another NodeState) redoes the node's rows; the values stay the same.
    third = build_podnet_view(s.snapshot(), NodeState(node="n1")).pods
    assert third == second and all(a is not b for a, b in zip(third, second, strict=True))


def test_a_build_finished_on_an_older_state_reaches_the_next_one() -> None:
    # Under a watch a new state is made at every key press and tick, while a big table's build
    # on the state it started from takes a second: its result must not be lost to the newer ones.
    s = _pod_store()
    first = s.snapshot()
    s.apply("Pod", "MODIFIED", obj("a", uid="u-a", rv="2"))
    second = s.snapshot()  # made while a build on `first` still runs
    names_first = first.memo(_service_names)  # ... which ends now
    pods_first = first.memo(_pod_versions)
    s.apply("Pod", "MODIFIED", obj("a", uid="u-a", rv="3"))
    third = s.snapshot()
    assert third.memo(_service_names) is names_first  # taken over, not built again
    assert third.memo(_pod_versions) == ("3",) and pods_first == ("1",)  # pods changed since: rebuilt
    assert second.memo(_service_names) == names_first
    s.replace_kind("Service", [_svc("web")])
    s.apply("Pod", "MODIFIED", obj("a", uid="u-a", rv="4"))
    assert s.snapshot().memo(_service_names) == ("web",)  # a Service change since: nothing old kept


def test_the_services_rows_for_the_nodes_backend_reuse_the_rows_built_before_it_was_read(monkeypatch) -> None:
    # The table is built once with backend "unknown" (a big dump is still being parsed), then
    # for the backend found: that second table must not count every Service's endpoints again.
    from k8snet_tui.domain.service_index import ServiceIndex
    from k8snet_tui.present.services import service_rows
    from k8snet_tui.sources.snapshot import load_snapshot

    from tests.support.paths import LAB_PRINTED

    counted: list[tuple[str, str]] = []
    count = ServiceIndex.count
    monkeypatch.setattr(ServiceIndex, "count", lambda self, ns, name: counted.append((ns, name)) or count(self, ns, name))
    s = Store()
    for kind, objs in load_snapshot(str(LAB_PRINTED)).cluster.objects.items():
        s.replace_kind(kind, objs)
    state = s.snapshot()
    before = service_rows(state, "unknown", None)
    assert len(counted) == len(before) == 3
    after = service_rows(state, "iptables", None)
    assert len(counted) == 3  # no Service counted again
    assert [r.backend for r in after] == ["iptables"] * 3
    assert [(r.key, r.endpoints, r.ports) for r in after] == [(r.key, r.endpoints, r.ports) for r in before]

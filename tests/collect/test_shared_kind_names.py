"""Two API groups with one kind name (Istio's and Linkerd's AuthorizationPolicy, Gateway API's and
Linkerd's HTTPRoute) are both watched live, and one group's re-list or deletions never touch the
other's objects in the store."""

from __future__ import annotations

from k8snet_tui.collect.store import Store
from k8snet_tui.collect.watch import KindWatcher, forbidden_reason
from k8snet_tui.sources.kinds import BY_GROUP_KIND, BY_NAME, KINDS, LIST_KINDS, read_scopes, store_part
from k8snet_tui.sources.ports import ApiFailure, ListPage, WatchEvent

from tests.collect.test_watch import ScriptedSource, Sleeper

ISTIO_AP = BY_GROUP_KIND[("security.istio.io", "AuthorizationPolicy")]
LINKERD_AP = BY_GROUP_KIND[("policy.linkerd.io", "AuthorizationPolicy")]
GATEWAY_ROUTE = BY_GROUP_KIND[("gateway.networking.k8s.io", "HTTPRoute")]
LINKERD_ROUTE = BY_GROUP_KIND[("policy.linkerd.io", "HTTPRoute")]


def ap(api: str, name: str, rv: str = "1") -> dict:
    return {"apiVersion": api, "kind": "AuthorizationPolicy",
            "metadata": {"namespace": "shop", "name": name, "uid": f"{api}-{name}", "resourceVersion": rv},
            "spec": {}}


def watch(store: Store, kind, lists, watches) -> KindWatcher:
    source = ScriptedSource(lists, watches)
    watcher = KindWatcher(source, store, kind, None, sleep=Sleeper(source), watch_seconds=5)
    watcher.run(lambda: source.stop)
    return watcher


def names(store: Store) -> list[tuple[str, str]]:
    return sorted((o["apiVersion"], o["metadata"]["name"]) for o in store.snapshot().of("AuthorizationPolicy"))


def test_both_groups_of_a_shared_kind_name_are_in_the_table_and_the_bare_name_means_the_first():
    assert [k.group for k in KINDS if k.kind == "AuthorizationPolicy"] == ["security.istio.io", "policy.linkerd.io"]
    assert [k.group for k in KINDS if k.kind == "HTTPRoute"] == ["gateway.networking.k8s.io", "policy.linkerd.io"]
    assert BY_NAME["AuthorizationPolicy"] is ISTIO_AP and BY_NAME["HTTPRoute"] is GATEWAY_ROUTE
    assert LIST_KINDS["HTTPRouteList"] is GATEWAY_ROUTE
    assert LINKERD_ROUTE.path("shop") == "/apis/policy.linkerd.io/v1beta3/namespaces/shop/httproutes"
    assert LINKERD_AP.path() == "/apis/policy.linkerd.io/v1alpha1/authorizationpolicies"
    assert {store_part(k) for k in (ISTIO_AP, LINKERD_AP, GATEWAY_ROUTE, LINKERD_ROUTE)} == {
        "security.istio.io", "policy.linkerd.io", "gateway.networking.k8s.io"}
    assert store_part(BY_NAME["Pod"]) == "" and store_part(BY_NAME["ConfigMap"], "kube-system", "coredns") \
        == "kube-system/coredns"
    # Each group's refusal names its own group, as the RBAC rule that would allow it must.
    assert forbidden_reason(GATEWAY_ROUTE, "shop").startswith("forbidden: list httproutes in namespace shop")
    assert "httproutes.gateway.networking.k8s.io" in forbidden_reason(GATEWAY_ROUTE, "shop")
    assert "httproutes.policy.linkerd.io" in forbidden_reason(LINKERD_ROUTE, "shop")


def test_a_refusal_names_the_rule_to_ask_for():
    pods = forbidden_reason(BY_NAME["Pod"], None)
    assert pods.startswith("forbidden: list pods (cluster-wide)")
    assert "get, list and watch on pods in core/v1" in pods and 'apiGroups [""]' in pods
    assert "a ClusterRole" in pods  # cluster-wide needs a cluster-wide grant
    route = forbidden_reason(GATEWAY_ROUTE, "shop")
    assert "get, list and watch on httproutes.gateway.networking.k8s.io" in route
    assert "apiGroups [gateway.networking.k8s.io]" in route and "a Role in namespace shop" in route
    coredns = forbidden_reason(BY_NAME["ConfigMap"], "kube-system", "coredns")
    assert coredns.startswith("forbidden: list configmaps kube-system/coredns")
    assert "resourceNames [coredns]" in coredns and "docs/security.md" in coredns


def test_one_groups_relist_and_deletions_keep_the_other_groups_objects():
    store = Store()
    watch(store, ISTIO_AP, [ListPage([ap("security.istio.io/v1", "allow-pp")], "5", "")], [])
    watch(store, LINKERD_AP, [ListPage([ap("policy.linkerd.io/v1alpha1", "pp-in"),
                                        ap("policy.linkerd.io/v1alpha1", "old")], "7", "")],
          [[WatchEvent("DELETED", ap("policy.linkerd.io/v1alpha1", "old", "8")),
            WatchEvent("ADDED", ap("policy.linkerd.io/v1alpha1", "new", "9"))]])
    assert names(store) == [("policy.linkerd.io/v1alpha1", "new"), ("policy.linkerd.io/v1alpha1", "pp-in"),
                            ("security.istio.io/v1", "allow-pp")]
    # Istio's watch expires (410) and re-lists to nothing: Linkerd's objects stay.
    watch(store, ISTIO_AP, [ListPage([], "20", "")], [])
    assert names(store) == [("policy.linkerd.io/v1alpha1", "new"), ("policy.linkerd.io/v1alpha1", "pp-in")]
    # Linkerd's CRD is removed (404 on an optional kind): only its part empties.
    watch(store, ISTIO_AP, [ListPage([ap("security.istio.io/v1", "deny-all")], "21", "")], [])
    watch(store, LINKERD_AP, [ApiFailure(404, "NotFound", "the server could not find the requested resource")], [])
    assert names(store) == [("security.istio.io/v1", "deny-all")]


def test_the_live_session_watches_both_groups():
    from k8snet_tui.collect.session import LiveSession

    session = LiveSession(ScriptedSource([], []), "ctx")
    watched = {(w.kind.group, w.kind.kind) for w in session.watchers if hasattr(w, "kind")}
    assert {("security.istio.io", "AuthorizationPolicy"), ("policy.linkerd.io", "AuthorizationPolicy"),
            ("gateway.networking.k8s.io", "HTTPRoute"), ("policy.linkerd.io", "HTTPRoute"),
            ("crd.projectcalico.org", "IPPool")} <= watched
    assert read_scopes(LINKERD_ROUTE, "shop") == (("shop", ""),)

"""Kinds whose names two API groups share are both read live from the real API server: Linkerd's
policy.linkerd.io HTTPRoute beside Gateway API's HTTPRoute, and Linkerd's AuthorizationPolicy beside
Istio's; with them Calico's IPPool, which the consistency check compares with the node.

Gateway API's and Istio's CRDs come from the Go module cache (as test_mesh_config_real.py installs
them). Linkerd's and Calico's charts are not in it: their CRDs here are of the real group, version,
kind and plural with an open schema, which is all a list or a watch depends on. The watchers are the
ones a LiveSession starts, run on the admin kubeconfig; objects made after the watch began must
arrive by the watch (no re-list), and deleting one group's object leaves the other group's.
"""

from __future__ import annotations

import threading

import pytest

from k8snet_tui.collect.session import LiveSession
from k8snet_tui.sources.kubeconfig import check_context, resolve_kubeconfig
from k8snet_tui.sources.live_api import LiveApi

from tests.cluster.harness.mesh import mesh_crds
from tests.cluster.live_reads import api_state
from tests.cluster.test_live_source import wait_for

pytestmark = pytest.mark.cluster

NS = "meshkinds"
ISTIO = "security.istio.io/v1"
LINKERD_AP = "policy.linkerd.io/v1alpha1"
LINKERD_ROUTE = "policy.linkerd.io/v1beta3"
GATEWAY = "gateway.networking.k8s.io/v1"


def open_crd(group: str, version: str, kind: str, plural: str, scope: str = "Namespaced") -> dict:
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.{group}"},
            "spec": {"group": group, "scope": scope,
                     "names": {"kind": kind, "plural": plural, "singular": kind.lower(), "listKind": f"{kind}List"},
                     "versions": [{"name": version, "served": True, "storage": True,
                                   "schema": {"openAPIV3Schema": {"type": "object",
                                                                  "x-kubernetes-preserve-unknown-fields": True}}}]}}


OWN_CRDS = [open_crd("policy.linkerd.io", "v1beta3", "HTTPRoute", "httproutes"),
            open_crd("policy.linkerd.io", "v1alpha1", "AuthorizationPolicy", "authorizationpolicies"),
            open_crd("crd.projectcalico.org", "v1", "IPPool", "ippools", scope="Cluster")]


def istio_ap(name: str) -> dict:
    return {"apiVersion": ISTIO, "kind": "AuthorizationPolicy", "metadata": {"namespace": NS, "name": name},
            "spec": {"action": "ALLOW", "rules": [{"from": [{"source": {"namespaces": ["shop"]}}]}]}}


def linkerd_ap(name: str) -> dict:
    return {"apiVersion": LINKERD_AP, "kind": "AuthorizationPolicy", "metadata": {"namespace": NS, "name": name},
            "spec": {"targetRef": {"group": "policy.linkerd.io", "kind": "Server", "name": "reviews-http"},
                     "requiredAuthenticationRefs": [{"group": "policy.linkerd.io", "kind": "MeshTLSAuthentication",
                                                     "name": "productpage"}]}}


def gateway_route(name: str) -> dict:
    return {"apiVersion": GATEWAY, "kind": "HTTPRoute", "metadata": {"namespace": NS, "name": name},
            "spec": {"parentRefs": [{"group": "", "kind": "Service", "name": "reviews", "port": 9080}],
                     "rules": [{"backendRefs": [{"name": "reviews-v1", "port": 9080}]}]}}


def linkerd_route(name: str) -> dict:
    return {"apiVersion": LINKERD_ROUTE, "kind": "HTTPRoute", "metadata": {"namespace": NS, "name": name},
            "spec": {"parentRefs": [{"group": "policy.linkerd.io", "kind": "Server", "name": "reviews-http"}],
                     "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/api"}}]}]}}


POOL = {"apiVersion": "crd.projectcalico.org/v1", "kind": "IPPool", "metadata": {"name": "k8snet-test-pool"},
        "spec": {"cidr": "10.250.0.0/16", "ipipMode": "Always", "vxlanMode": "Never"}}


def seen(store, kind: str) -> set[tuple[str, str]]:
    return {(o["apiVersion"], o["metadata"]["name"]) for o in store.snapshot().of(kind)
            if o["metadata"].get("namespace") in (NS, None)}


@pytest.fixture
def kinds_world(lab_cluster):
    c = lab_cluster
    wanted = [d for d in mesh_crds(c.bin) if d["metadata"]["name"] in (
        "httproutes.gateway.networking.k8s.io", "authorizationpolicies.security.istio.io")]
    assert len(wanted) == 2, [d["metadata"]["name"] for d in wanted]
    c.apply(wanted + OWN_CRDS)
    c.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}])
    first = [istio_ap("istio-first"), linkerd_ap("linkerd-first"), gateway_route("gateway-first"),
             linkerd_route("linkerd-first"), POOL]
    c.apply(first)
    try:
        yield c
    finally:
        # The other cluster tests must not see a Calico configuration, nor these routes.
        for crd in OWN_CRDS:
            c.delete("CustomResourceDefinition", crd["metadata"]["name"], None, "apiextensions.k8s.io/v1")
        c.delete("Namespace", NS)


def test_both_groups_of_a_shared_kind_name_are_listed_and_watched(kinds_world):
    c = kinds_world
    choice = resolve_kubeconfig(str(c.kubeconfig), env={})
    api = LiveApi(choice, check_context(choice, None))
    session = LiveSession(api, "test")
    wanted = {"AuthorizationPolicy", "HTTPRoute", "IPPool"}
    watchers = [w for w in session.watchers if getattr(w, "kind", None) is not None and w.kind.kind in wanted]
    assert sorted((w.kind.group, w.kind.kind) for w in watchers) == [
        ("crd.projectcalico.org", "IPPool"), ("gateway.networking.k8s.io", "HTTPRoute"),
        ("policy.linkerd.io", "AuthorizationPolicy"), ("policy.linkerd.io", "HTTPRoute"),
        ("security.istio.io", "AuthorizationPolicy")]
    for w in watchers:
        w.watch_seconds = 4
    stop = threading.Event()
    threads = [threading.Thread(target=w.run, args=(stop.is_set,), daemon=True) for w in watchers]
    for t in threads:
        t.start()
    store = session.store
    try:
        wait_for(lambda: seen(store, "AuthorizationPolicy") == {(ISTIO, "istio-first"), (LINKERD_AP, "linkerd-first")},
                 20, "both AuthorizationPolicies listed")
        wait_for(lambda: seen(store, "HTTPRoute") == {(GATEWAY, "gateway-first"), (LINKERD_ROUTE, "linkerd-first")},
                 20, "both HTTPRoutes listed")
        wait_for(lambda: seen(store, "IPPool") == {("crd.projectcalico.org/v1", "k8snet-test-pool")}, 20,
                 "Calico's IPPool listed")
        relists = [w.relists for w in watchers]

        c.apply([istio_ap("istio-later"), linkerd_ap("linkerd-later"), gateway_route("gateway-later"),
                 linkerd_route("linkerd-later")])
        wait_for(lambda: seen(store, "AuthorizationPolicy") >= {(ISTIO, "istio-later"), (LINKERD_AP, "linkerd-later")},
                 20, "both AuthorizationPolicies made later watched")
        wait_for(lambda: seen(store, "HTTPRoute") >= {(GATEWAY, "gateway-later"), (LINKERD_ROUTE, "linkerd-later")},
                 20, "both HTTPRoutes made later watched")

        c.delete("AuthorizationPolicy", "linkerd-first", NS, LINKERD_AP)
        c.delete("HTTPRoute", "gateway-first", NS, GATEWAY)
        wait_for(lambda: seen(store, "AuthorizationPolicy") == {(ISTIO, "istio-first"), (ISTIO, "istio-later"),
                                                               (LINKERD_AP, "linkerd-later")}, 20,
                 "Linkerd's deleted policy gone, Istio's kept")
        wait_for(lambda: seen(store, "HTTPRoute") == {(LINKERD_ROUTE, "linkerd-first"), (GATEWAY, "gateway-later"),
                                                     (LINKERD_ROUTE, "linkerd-later")}, 20,
                 "Gateway API's deleted route gone, Linkerd's kept")
        assert [w.relists for w in watchers] == relists, "a watch failed and re-listed"
        assert not store.snapshot().forbidden and store.snapshot().stale_since is None

        # The one-shot commands' single list (every kind of the table, as `k8snet show` reads).
        state = api_state(c)
        assert {o["apiVersion"] for o in state.in_namespace("HTTPRoute", NS)} == {GATEWAY, LINKERD_ROUTE}
        assert {o["apiVersion"] for o in state.in_namespace("AuthorizationPolicy", NS)} == {ISTIO, LINKERD_AP}
        linkerd = state.get("HTTPRoute", NS, "linkerd-later")
        assert linkerd is not None and linkerd["spec"]["parentRefs"][0]["kind"] == "Server"
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=20)
    assert not any(t.is_alive() for t in threads)

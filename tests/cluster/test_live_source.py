"""Issue 2's live source against the real API server: paginated lists of every kind, watchers
that keep a Store equal to the API object by object, RBAC marks for a restricted user, and the
one-shot CLI (`show`, `capture`) over the admin kubeconfig."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

import pytest

from k8snet_tui import cli, runtime, views
from k8snet_tui.collect import watch
from k8snet_tui.collect.session import SnapshotSession
from k8snet_tui.collect.store import Store
from k8snet_tui.collect.watch import KindWatcher
from k8snet_tui.present.serialize import to_jsonable
from k8snet_tui.sources.kinds import BY_NAME, KINDS, NETWORK_CONFIGMAPS
from k8snet_tui.sources.kubeconfig import check_context, resolve_kubeconfig
from k8snet_tui.sources.live_api import LiveApi
from k8snet_tui.sources.ports import ApiFailure
from k8snet_tui.sources.snapshot import load_snapshot

pytestmark = pytest.mark.cluster

SERVED_OPTIONAL = {"ServiceCIDR", "Mapping", "Listener", "Host", "CiliumNode"}  # the lab's CRDs + 1.33+ GA
ABSENT_OPTIONAL = {"Gateway", "HTTPRoute",  # no Gateway API CRDs in the lab, nor policy ones
                   "AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "CiliumNetworkPolicy",
                   "CiliumClusterwideNetworkPolicy", "IPPool"}  # nor Calico's
# Served only when another scenario on the same cluster has installed their CRDs (the mesh scenario
# installs Istio's), or never in the lab (Cilium's LB IPAM, Linkerd, GRPCRoute): either is right.
MAYBE_SERVED = {"CiliumLoadBalancerIPPool", "PeerAuthentication", "AuthorizationPolicy", "DestinationRule",
                "VirtualService", "GRPCRoute", "Server", "MeshTLSAuthentication", "NetworkAuthentication"}


def live_api(kubeconfig) -> LiveApi:
    choice = resolve_kubeconfig(str(kubeconfig), env={})
    return LiveApi(choice, check_context(choice, None))


def api_items(cluster, kind, namespace=None):
    """The same list through the harness's own raw client (no pagination), for comparison."""
    return cluster.api.get(kind.path(namespace))["items"]


def uids(items):
    return {o["metadata"]["uid"]: o["metadata"]["resourceVersion"] for o in items}


def wait_for(cond, timeout, what, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


@pytest.fixture
def cli_env(lab_cluster, monkeypatch, tmp_path):
    """KUBECONFIG = the admin kubeconfig, the probe run inside node-1's namespace, no user config."""
    monkeypatch.setenv("KUBECONFIG", str(lab_cluster.kubeconfig))
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("K8SNET_PROBE_CMD", f"ip netns exec {lab_cluster.nodes['node-1'].netns} "
                                           f"{sys.executable} -m k8snet_tui.probe")
    monkeypatch.delenv("K8SNET_DNS_SERVER", raising=False)
    return monkeypatch


def test_every_kind_lists_in_pages(lab_cluster):
    api = live_api(lab_cluster.kubeconfig)
    multi_page = []
    for kind in KINDS:
        pages, items, token = 0, [], ""
        try:
            while True:
                page = api.list_page(kind, None, limit=2, continue_token=token)
                pages += 1
                assert len(page.items) <= 2
                assert page.resource_version, kind.kind
                items.extend(page.items)
                token = page.continue_token
                if not token:
                    break
        except ApiFailure as exc:
            assert kind.optional and exc.not_served, f"{kind.kind}: {exc}"
            assert kind.kind in ABSENT_OPTIONAL | MAYBE_SERVED, f"{kind.kind} should be served in the lab: {exc}"
            continue
        assert kind.kind not in ABSENT_OPTIONAL
        assert all(o["kind"] == kind.kind and o["apiVersion"] == kind.api_version for o in items), kind.kind
        if kind.field_selector:
            # Only what the selector names leaves the server (Events about Services), and Events
            # come and go between two lists: each item must match it, the set is not compared.
            field, _, wanted = kind.field_selector.partition("=")
            for obj in items:
                value = obj
                for part in field.split("."):
                    value = value.get(part, {}) if isinstance(value, dict) else {}
                assert value == wanted, (kind.kind, field, value)
        else:
            assert set(uids(items)) == set(uids(api_items(lab_cluster, kind))), kind.kind
        assert len(items) == len(uids(items)), f"{kind.kind}: duplicates across pages"
        if pages > 2:
            multi_page.append(kind.kind)
    # the lab has dozens of pods, configmaps and slices: limit=2 forces real continue tokens
    assert {"Pod", "Service", "EndpointSlice", "ConfigMap"} <= set(multi_page), multi_page


def run_watchers(source, store, kinds, namespace=None):
    stop = threading.Event()
    watchers = [KindWatcher(source, store, BY_NAME[k], namespace, watch_seconds=4) for k in kinds]
    threads = [threading.Thread(target=w.run, args=(stop.is_set,), daemon=True, name=f"watch {w.kind.kind}")
               for w in watchers]
    for t in threads:
        t.start()
    return stop, watchers, threads


def store_matches_api(cluster, store, kinds):
    dump = store.dump()
    for k in kinds:
        mine = {o["metadata"]["uid"]: o["metadata"]["resourceVersion"] for o in dump.get(k, {}).values()}
        if mine != uids(api_items(cluster, BY_NAME[k])):
            return False
    return True


PROBE_SVC = {"apiVersion": "v1", "kind": "Service",
             "metadata": {"name": "k8snet-live-source", "namespace": "default"},
             "spec": {"selector": {"app": "website"}, "ports": [{"name": "http", "port": 8080, "targetPort": 80}]}}


def test_watchers_keep_a_store_equal_to_the_api(lab_cluster, monkeypatch):
    monkeypatch.setattr(watch, "PAGE_LIMIT", 3)  # several pages per kind
    kinds = ("Service", "Pod", "EndpointSlice")
    store = Store()
    api = live_api(lab_cluster.kubeconfig)
    stop, watchers, threads = run_watchers(api, store, kinds)
    try:
        wait_for(lambda: store_matches_api(lab_cluster, store, kinds), 15, "the store to equal the API")
        assert all(w.relists == 1 for w in watchers)
        assert api.requests >= 3 * 3  # more than one page each
        assert store.snapshot().stale_since is None and not store.snapshot().forbidden

        lab_cluster.apply(PROBE_SVC)
        t0 = time.monotonic()
        try:
            def added():
                svc = store.snapshot().get("Service", "default", "k8snet-live-source")
                slices = [s for s in store.snapshot().of("EndpointSlice")
                          if s["metadata"].get("labels", {}).get("kubernetes.io/service-name") == "k8snet-live-source"]
                return svc is not None and slices and len(slices[0].get("endpoints") or []) == 3
            wait_for(added, 5, "the new Service and its EndpointSlice in the store")
            print(f"new Service and its slice seen after {time.monotonic() - t0:.2f} s")
            wait_for(lambda: store_matches_api(lab_cluster, store, kinds), 5, "the store to equal the API")
        finally:
            lab_cluster.delete("Service", "k8snet-live-source", "default")
        wait_for(lambda: store.snapshot().get("Service", "default", "k8snet-live-source") is None, 5,
                 "the deleted Service to leave the store")
        wait_for(lambda: store_matches_api(lab_cluster, store, kinds), 5, "the store to equal the API")
        assert all(w.relists == 1 for w in watchers), "a watch failed and re-listed"
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=20)
    assert not any(t.is_alive() for t in threads)


def test_restricted_user_gets_forbidden_marks(lab_cluster):
    restricted = live_api(lab_cluster.users["restricted"].kubeconfig)
    # cluster-wide: even pods are forbidden
    store = Store()
    stop, _w, threads = run_watchers(restricted, store, ("Pod", "Node", "Service"))
    try:
        marks = wait_for(lambda: len(store.snapshot().forbidden) == 3 and store.snapshot().forbidden, 10,
                         "forbidden marks for every kind")
    finally:
        stop.set()
    assert dict(marks) == {k: watch.forbidden_reason(BY_NAME[k], None) for k in ("Pod", "Node", "Service")}
    # -n default: the namespaced reads it has work, cluster-scoped kinds stay forbidden
    store = Store(namespace="default")
    stop2, _w, threads2 = run_watchers(restricted, store, ("Pod", "Service", "EndpointSlice", "Node", "ConfigMap"),
                                       namespace="default")
    try:
        kinds = ("Pod", "Service", "EndpointSlice")

        def ready():
            snap = store.snapshot()
            return len(snap.forbidden) == 2 and all(
                {o["metadata"]["uid"] for o in snap.of(k)}
                == {o["metadata"]["uid"] for o in api_items(lab_cluster, BY_NAME[k], "default")} for k in kinds)
        wait_for(ready, 10, "default's pods, services and slices, and the marks")
        snap = store.snapshot()
        assert dict(snap.forbidden) == {"Node": watch.forbidden_reason(BY_NAME["Node"], "default"),
                                        "ConfigMap": watch.forbidden_reason(BY_NAME["ConfigMap"], "default")}
        assert any(p["metadata"]["name"] == "client" for p in snap.of("Pod"))
    finally:
        stop2.set()
        for t in threads + threads2:
            t.join(timeout=20)

    # the one-shot path (`k8snet show ... -n default`) marks the same way
    args = argparse.Namespace(snapshot=None, kubeconfig=str(lab_cluster.users["restricted"].kubeconfig),
                              context=None, namespace="default", all_namespaces=False, node="node-1")
    session = runtime.choose_session(args, runtime.Settings())
    session.read_node = None
    observed = runtime.list_once(session)
    forbidden = dict(observed.cluster.forbidden)
    assert forbidden["Node"] == watch.forbidden_reason(BY_NAME["Node"], None)
    assert forbidden["Namespace"] == watch.forbidden_reason(BY_NAME["Namespace"], None)
    # the networking ConfigMaps are read by name in kube-system, whatever -n says
    assert forbidden["ConfigMap"] == "; ".join(watch.forbidden_reason(BY_NAME["ConfigMap"], "kube-system", n)
                                               for n in sorted(NETWORK_CONFIGMAPS))
    assert not {"Pod", "Service", "EndpointSlice"} & set(forbidden)
    assert observed.cluster.get("Service", "default", "website") is not None


def test_show_services_json_over_the_admin_kubeconfig(lab_cluster, cli_env, capsys):
    rc = cli.main(["show", "services", "--json", "--node", "node-1"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    doc = json.loads(out)
    rows = {f"{r['namespace']}/{r['name']}": r for r in doc["rows"]}
    api = {f"{s['metadata']['namespace']}/{s['metadata']['name']}": s
           for s in lab_cluster.api.get("/api/v1/services")["items"]}
    assert set(rows) == set(api)
    assert all(rows[k]["cluster_ip"] == api[k]["spec"]["clusterIP"] for k in api)
    assert rows["default/website"]["ports"] == "80->31100/TCP"
    assert rows["default/website"]["endpoints"] == "3/3"
    assert (doc["node"], doc["backend"]) == ("node-1", lab_cluster.kube_proxy_mode)
    assert {"default/website", "default/headlesswebsite", "default/webstate", "default/engine",
            "kube-system/kube-dns", "emissary/emissary-ingress"} <= set(rows)


def all_tokens(cluster) -> set[str]:
    tokens = {cluster.admin_token} | {u.token for u in cluster.users.values()}
    csv = cluster.run_dir / "tokens.csv"
    if csv.is_file():
        tokens |= {line.split(",", 1)[0] for line in csv.read_text().splitlines() if line.strip()}
    return {t for t in tokens if len(t) >= 8}


def test_capture_writes_a_clean_snapshot_that_traces_like_live(lab_cluster, cli_env, tmp_path, capsys):
    out = tmp_path / "snap"
    rc = cli.main(["capture", "-o", str(out), "--node", "node-1", "--notes", "cluster test"])
    printed, err = capsys.readouterr()
    assert rc == 0, err
    assert "wrote" in printed
    args = argparse.Namespace(snapshot=None, kubeconfig=None, context=None, namespace=None,
                              all_namespaces=False, node="node-1")
    live = to_jsonable(views.trace(runtime.observe_once(args), "default/website", node="node-1"))

    snap = load_snapshot(str(out))
    assert snap.problems == (), snap.problems
    meta = json.loads((out / "meta.json").read_text())
    assert meta["local_node"] == "node-1" and meta["notes"] == "cluster test"
    assert (out / "nodes" / "node-1").is_dir()
    observed = SnapshotSession(snap).observed()
    assert observed.cluster.of("Secret") == ()
    assert to_jsonable(views.trace(observed, "default/website", node="node-1")) == live
    assert live["backend"] == lab_cluster.kube_proxy_mode
    assert len(live["ports"][0]["endpoints"]) == 3

    # no Secret and no credential anywhere in the files
    tokens = all_tokens(lab_cluster)
    assert len(tokens) >= 4
    files = [p for p in Path(out).rglob("*") if p.is_file()]
    assert not [p for p in files if "secret" in p.name.lower()]
    for p in files:
        text = p.read_text(errors="replace")
        assert '"kind": "Secret"' not in text, p
        leaked = [t[:6] + "..." for t in tokens if t in text]
        assert not leaked, f"{p} holds token(s) {leaked}"
    cms = json.loads((out / "api" / "configmaps.json").read_text())["items"]
    assert {c["metadata"]["name"] for c in cms} <= {"cilium-config", "coredns", "kube-proxy",
                                                   "kubelet-config", "kubeadm-config"}

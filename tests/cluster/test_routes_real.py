"""Issue 7 "Done when", on the lab scenario's real API objects (the Emissary CRDs served by the
real API server, in both getambassador.io versions): the route tester through the emissary-ingress
NodePort 31211 of node-1, and that NodePort as an entry point.

The objects come the way `k8snet route` gets them (runtime.observe_once over the admin kubeconfig).
Emissary itself is not running in the lab (its pod serves nothing), so there is no real HTTP to
compare with: the expectations are the lab's printed results.
"""

from __future__ import annotations

import argparse
import json

import pytest

from k8snet_tui import cli, runtime, views
from k8snet_tui.domain.routes import build_ingress_view
from k8snet_tui.present.ingress import route_model
from k8snet_tui.present.serialize import to_jsonable

pytestmark = pytest.mark.cluster

NODE1 = "172.31.24.84"
NODE2 = "172.31.24.122"
ENTRY = "emissary/emissary-ingress:80"


@pytest.fixture(scope="module")
def observed(lab_cluster):
    mp = pytest.MonkeyPatch()
    mp.setenv("KUBECONFIG", str(lab_cluster.kubeconfig))
    mp.setenv("K8SNET_CONFIG", "/nonexistent/k8snet-config.toml")
    mp.delenv("K8SNET_PROBE_CMD", raising=False)
    args = argparse.Namespace(snapshot=None, kubeconfig=None, context=None, namespace=None,
                              all_namespaces=False, node="node-1")
    session = runtime.choose_session(args, runtime.Settings())
    session.read_node = None  # routes need no kernel state
    try:
        yield runtime.list_once(session)
    finally:
        mp.undo()


def endpoints_of(cluster, ns, svc, port):
    out = []
    for sl in cluster.api.get(f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices",
                              labelSelector=f"kubernetes.io/service-name={svc}")["items"]:
        for ep in sl.get("endpoints") or []:
            if ep.get("conditions", {}).get("ready", True):
                out += [f"{a}:{port}" for a in ep["addresses"]]
    return sorted(out)


@pytest.mark.parametrize(("path", "status", "kind", "name", "upstream", "service"), [
    ("/web/", "routed", "Mapping", "default/website", "/", "default/website:80"),
    ("/web/x", "routed", "Mapping", "default/website", "/x", "default/website:80"),
    ("/web", "no-route-404", None, None, None, None),
    ("/engine", "routed", "Ingress", "default/web-ingress", "/", "default/engine:80"),
    ("/engine/", "routed", "Ingress", "default/web-ingress", "//", "default/engine:80"),
    ("/enginex", "routed", "Ingress", "default/web-ingress", "/x", "default/engine:80"),
    ("/nothing", "no-route-404", None, None, None, None),
])
def test_lab_urls_through_the_emissary_node_port(lab_cluster, observed, path, status, kind, name, upstream,
                                                service):
    result = views.route(observed, f"http://{NODE1}:31211{path}")
    doc = json.loads(json.dumps(to_jsonable(route_model(result))))  # what `route --json` prints
    assert doc["url"] == f"http://{NODE1}:31211{path}"
    assert doc["entry"] == ENTRY
    assert doc["status"] == status, doc
    codes = [f["code"] for f in doc["findings"]]
    assert "unknown-address" not in codes  # a real node address
    if kind is None:
        assert doc["matched"] is None
        assert doc["candidates"] and not any(c["matched"] for c in doc["candidates"])
        return
    m = doc["matched"]
    assert (m["kind"], m["name"], m["rewritten_path"], m["service"]) == (kind, name, upstream, service)
    ns, svc = service.split(":")[0].split("/")
    assert sorted(m["endpoints"]) == endpoints_of(lab_cluster, ns, svc, 80)
    pods = {f"default/{p['metadata']['name']}" for p in lab_cluster.api.get(
        "/api/v1/namespaces/default/pods", labelSelector=f"app={svc}")["items"]}
    assert set(m["pods"]) == pods and pods
    assert ("spec-departure" in codes) == (path == "/enginex"), codes
    if path == "/engine/":
        assert any(f["code"] == "ingress-rewrite" and "//" in f["message"] for f in doc["findings"])


def test_the_class_picks_the_same_entry(observed):
    result = views.route(observed, "http://anything.example/engine", entry="ambassador")
    assert result.entry == ENTRY
    assert result.matched.name == "default/web-ingress" and result.status == "routed"


def test_node_port_31100_goes_straight_to_the_website_service(observed):
    result = views.route(observed, f"http://{NODE2}:31100/whatever")
    assert result.status == "routed"
    assert (result.matched.kind, result.matched.name) == ("Service", "default/website")


def test_the_emissary_node_port_is_an_entry_point(observed):
    data = build_ingress_view(observed.cluster).to_json()
    node_ports = [e for e in data["entry_points"]
                  if e["kind"] == "NodePort" and e["name"] == "emissary/emissary-ingress"]
    http = [e for e in node_ports if e["port"] == "80:31211/TCP"]
    assert http, node_ports
    assert {f"{NODE1}:31211", f"{NODE2}:31211"} <= set(http[0]["addresses"])
    assert any(e["port"] == "443:31361/TCP" for e in node_ports)
    ctl = [e for e in data["entry_points"] if e["kind"] == "IngressController"]
    assert ctl and ctl[0]["name"] == "ambassador" and ctl[0]["target"] == "emissary/emissary-ingress"
    listeners = [e for e in data["entry_points"] if e["kind"] == "Listener"]
    assert listeners and listeners[0]["target"] == ENTRY
    rules = sorted((r["kind"], r["name"]) for r in data["rules"])
    assert rules == [("Ingress", "default/web-ingress"), ("Mapping", "default/website")]


def test_route_cli_json(lab_cluster, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("KUBECONFIG", str(lab_cluster.kubeconfig))
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("K8SNET_PROBE_CMD", f"ip netns exec {lab_cluster.nodes['node-1'].netns} true")
    rc = cli.main(["route", f"http://{NODE1}:31211/engine", "--json"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    doc = json.loads(out)
    assert doc["status"] == "routed" and doc["matched"]["rewritten_path"] == "/"
    assert doc["matched"]["service"] == "default/engine:80"

"""The lab's External Access section (Listener, Mapping /web/, Ingress /engine) as API objects."""

from __future__ import annotations

import json

import pytest

from k8snet_tui.domain.model import ClusterState
from k8snet_tui.domain.routes import build_ingress_view, route_url
from k8snet_tui.present.ingress import route_model
from k8snet_tui.present.serialize import to_jsonable

NODE_IP = "172.31.24.84"
PUBLIC = "18.185.35.194"


def _svc(ns, name, ports, type_="ClusterIP", selector=None, labels=None, cluster_ip="10.96.0.10"):
    return {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "namespace": ns, "labels": labels or {}},
        "spec": {"type": type_, "ports": ports, "selector": selector or {"app": name}, "clusterIP": cluster_ip},
        "status": {"loadBalancer": {}},
    }


def _slice(ns, service, ips, port, port_name="", ready=True):
    return {
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": f"{service}-abcde", "namespace": ns, "labels": {"kubernetes.io/service-name": service}},
        "addressType": "IPv4",
        "ports": [{"name": port_name, "port": port, "protocol": "TCP"}],
        "endpoints": [
            {"addresses": [ip], "conditions": {"ready": ready},
             "targetRef": {"kind": "Pod", "namespace": ns, "name": f"{service}-{i}"}}
            for i, ip in enumerate(ips)
        ],
    }


def lab_objects():
    return [
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "ip-172-31-24-84"},
         "status": {"addresses": [{"type": "InternalIP", "address": NODE_IP},
                                  {"type": "Hostname", "address": "ip-172-31-24-84"}]}},
        _svc("emissary", "emissary-ingress", [
            {"name": "http", "port": 80, "targetPort": 8080, "nodePort": 31211, "protocol": "TCP"},
            {"name": "https", "port": 443, "targetPort": 8443, "nodePort": 31361, "protocol": "TCP"},
        ], "LoadBalancer", labels={"app.kubernetes.io/name": "emissary-ingress"}, cluster_ip="10.107.25.56"),
        _svc("emissary", "emissary-ingress-admin", [
            {"name": "admin", "port": 8877, "nodePort": 30768}, {"name": "ambassador-snapshot", "port": 8005, "nodePort": 31779},
        ], "NodePort", labels={"app.kubernetes.io/name": "emissary-ingress"}, cluster_ip="10.105.156.190"),
        _slice("emissary", "emissary-ingress", ["10.0.0.3"], 8080, "http"),
        _svc("default", "website", [{"name": "http", "port": 80, "nodePort": 31100, "targetPort": 80}], "NodePort",
             cluster_ip="10.96.1.1"),
        _slice("default", "website", ["10.0.0.4", "10.0.0.5", "10.0.0.6"], 80, "http"),
        _svc("default", "engine", [{"port": 80, "targetPort": 80, "protocol": "TCP"}], cluster_ip="10.96.1.2"),
        _slice("default", "engine", ["10.0.0.7"], 80),
        {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "ambassador"},
         "spec": {"controller": "getambassador.io/ingress-controller"}},
        {"apiVersion": "getambassador.io/v3alpha1", "kind": "Listener",
         "metadata": {"name": "emissary-ingress-listener", "namespace": "emissary"},
         "spec": {"port": 80, "protocol": "HTTP", "securityModel": "XFP", "hostBinding": {"namespace": {"from": "ALL"}}}},
        {"apiVersion": "getambassador.io/v3alpha1", "kind": "Mapping", "metadata": {"name": "website", "namespace": "default"},
         "spec": {"hostname": "*", "prefix": "/web/", "service": "website"}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
         "metadata": {"name": "web-ingress", "namespace": "default",
                      "annotations": {"kubernetes.io/ingress.class": "ambassador"}},
         "spec": {"ingressClassName": "ambassador", "rules": [{"http": {"paths": [
             {"path": "/engine", "pathType": "Prefix", "backend": {"service": {"name": "engine", "port": {"number": 80}}}}]}}]}},
    ]


@pytest.fixture
def lab():
    return ClusterState.from_objects(lab_objects())


def test_contract_shape_for_engine(lab):
    result = route_url(lab, f"http://{PUBLIC}:31211/engine")
    got = json.loads(json.dumps(to_jsonable(route_model(result))))  # what `route --json` prints
    assert got["url"] == f"http://{PUBLIC}:31211/engine"
    assert got["entry"] == "emissary/emissary-ingress:80"
    assert got["status"] == "routed"
    m = got["matched"]
    assert {k: m[k] for k in ("kind", "name", "host", "path", "path_type", "rewritten_path", "service", "endpoints")} == {
        "kind": "Ingress", "name": "default/web-ingress", "host": None, "path": "/engine", "path_type": "Prefix",
        "rewritten_path": "/", "service": "default/engine:80", "endpoints": ["10.0.0.7:80"],
    }
    assert m["pods"] == ["default/engine-0"]
    first = {k: got["candidates"][0][k] for k in ("kind", "name", "matched")}
    assert first == {"kind": "Mapping", "name": "default/website", "matched": False} or any(
        c["kind"] == "Mapping" and not c["matched"] for c in got["candidates"]
    )
    for c in got["candidates"]:
        assert set(c) == {"kind", "name", "matched", "reason"}


@pytest.mark.parametrize(
    ("path", "status", "name", "upstream"),
    [
        ("/web/", "routed", "default/website", "/"),
        ("/web/x", "routed", "default/website", "/x"),
        ("/web", "no-route-404", None, None),
        ("/engine", "routed", "default/web-ingress", "/"),
        ("/engine/", "routed", "default/web-ingress", "//"),
        ("/enginex", "routed", "default/web-ingress", "/x"),
        ("/nothing", "no-route-404", None, None),
    ],
)
def test_lab_paths_through_the_node_port(lab, path, status, name, upstream):
    result = route_url(lab, f"http://{PUBLIC}:31211{path}")
    assert result.status == status
    if name is None:
        assert result.matched is None
        assert all(not c.matched for c in result.candidates)
    else:
        assert result.matched is not None
        assert (result.matched.name, result.matched.rewritten_path) == (name, upstream)


def test_website_endpoints_and_service(lab):
    result = route_url(lab, f"http://{PUBLIC}:31211/web/")
    assert result.matched is not None and result.matched.service == "default/website:80"
    matched = to_jsonable(route_model(result))["matched"]
    assert matched["endpoints"] == ["10.0.0.4:80", "10.0.0.5:80", "10.0.0.6:80"]


def test_enginex_is_flagged_as_a_departure_from_the_spec(lab):
    codes = [f.code for f in route_url(lab, f"http://{PUBLIC}:31211/enginex").findings]
    assert "spec-departure" in codes
    assert "spec-departure" not in [f.code for f in route_url(lab, f"http://{PUBLIC}:31211/engine/x").findings]


def test_engine_slash_notes_the_double_slash(lab):
    notes = [f.message for f in route_url(lab, f"http://{PUBLIC}:31211/engine/").findings if f.code == "ingress-rewrite"]
    assert notes and "//" in notes[0]


def test_public_address_is_assumed_to_be_nat(lab):
    assert "unknown-address" in [f.code for f in route_url(lab, f"http://{PUBLIC}:31211/web/").findings]
    assert "unknown-address" not in [f.code for f in route_url(lab, f"http://{NODE_IP}:31211/web/").findings]


def test_explicit_entry_by_ingress_class(lab):
    result = route_url(lab, "http://anything.example/engine", entry="ambassador")
    assert result.entry == "emissary/emissary-ingress:80"
    assert result.matched.name == "default/web-ingress"


def test_direct_node_port_to_a_plain_service(lab):
    result = route_url(lab, f"http://{PUBLIC}:31100/whatever")
    assert result.matched.kind == "Service"
    assert result.matched.name == "default/website"
    assert result.status == "routed"


def test_no_endpoints_gives_503():
    objs = [o for o in lab_objects() if not (o["kind"] == "EndpointSlice" and o["metadata"]["name"].startswith("engine"))]
    result = route_url(ClusterState.from_objects(objs), f"http://{PUBLIC}:31211/engine")
    assert result.status == "no-endpoints-503"
    assert "no-ready-endpoints" in [f.code for f in result.findings]


def test_not_ready_endpoints_do_not_count():
    objs = lab_objects()
    for o in objs:
        if o["kind"] == "EndpointSlice" and o["metadata"]["name"].startswith("engine"):
            o["endpoints"][0]["conditions"]["ready"] = False
    result = route_url(ClusterState.from_objects(objs), f"http://{PUBLIC}:31211/engine")
    assert result.status == "no-endpoints-503"


def test_view_lists_the_node_port_and_the_controller(lab):
    view = build_ingress_view(lab)
    data = view.to_json()
    node_ports = [e for e in data["entry_points"] if e["kind"] == "NodePort" and e["name"] == "emissary/emissary-ingress"]
    assert any(e["port"] == "80:31211/TCP" and f"{NODE_IP}:31211" in e["addresses"] for e in node_ports)
    lbs = [e for e in data["entry_points"] if e["kind"] == "LoadBalancer" and e["name"] == "emissary/emissary-ingress"]
    assert lbs and all(e["details"] == ["pending"] for e in lbs)
    ctl = [e for e in data["entry_points"] if e["kind"] == "IngressController"]
    assert ctl[0]["name"] == "ambassador" and ctl[0]["target"] == "emissary/emissary-ingress"
    listener = [e for e in data["entry_points"] if e["kind"] == "Listener"]
    assert listener[0]["target"] == "emissary/emissary-ingress:80"
    kinds = sorted((r["kind"], r["name"]) for r in data["rules"])
    assert kinds == [("Ingress", "default/web-ingress"), ("Mapping", "default/website")]
    json.dumps(data)

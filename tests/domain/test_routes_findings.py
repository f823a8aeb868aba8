"""Health findings on the route table: each built from a cluster that has exactly that problem."""

from __future__ import annotations

from k8snet_tui.domain.model import ClusterState
from k8snet_tui.domain.routes import build_ingress_view, build_route_table


def _ingress(name, paths, cls="nginx", ns="shop", host=None, annotations=None):
    rule = {"http": {"paths": [
        {"path": p, "pathType": "Prefix", "backend": {"service": {"name": svc, "port": port}}} for p, svc, port in paths
    ]}}
    if host:
        rule["host"] = host
    spec = {"rules": [rule]}
    if cls:
        spec["ingressClassName"] = cls
    return {"kind": "Ingress", "metadata": {"name": name, "namespace": ns, "annotations": annotations or {}}, "spec": spec}


NGINX = {"kind": "IngressClass", "metadata": {"name": "nginx"}, "spec": {"controller": "k8s.io/ingress-nginx"}}
SVC = {"kind": "Service", "metadata": {"name": "api", "namespace": "shop"}, "spec": {"ports": [{"name": "http", "port": 80}]}}
READY = {"kind": "EndpointSlice",
         "metadata": {"name": "api-1", "namespace": "shop", "labels": {"kubernetes.io/service-name": "api"}},
         "ports": [{"name": "http", "port": 8080}], "endpoints": [{"addresses": ["10.9.0.1"]}]}


def _codes(objs, **kw):
    return [f.code for f in build_route_table(ClusterState.from_objects(objs, **kw)).findings]


def test_healthy_ingress_has_no_errors():
    assert _codes([NGINX, SVC, READY, _ingress("ok", [("/", "api", {"number": 80})])]) == []


def test_unknown_service():
    assert "unknown-service" in _codes([NGINX, _ingress("x", [("/", "nope", {"number": 80})])])


def test_port_not_on_service_by_number_and_by_name():
    assert "port-not-on-service" in _codes([NGINX, SVC, READY, _ingress("x", [("/", "api", {"number": 81})])])
    assert "port-not-on-service" in _codes([NGINX, SVC, READY, _ingress("x", [("/", "api", {"name": "grpc"})])])
    assert "port-not-on-service" not in _codes([NGINX, SVC, READY, _ingress("x", [("/", "api", {"name": "http"})])])


def test_no_ready_endpoints():
    assert "no-ready-endpoints" in _codes([NGINX, SVC, _ingress("x", [("/", "api", {"number": 80})])])


def test_class_without_controller():
    assert "class-without-controller" in _codes([SVC, READY, _ingress("x", [("/", "api", {"number": 80})], cls="missing")])
    assert "class-without-controller" in _codes([SVC, READY, _ingress("x", [("/", "api", {"number": 80})], cls=None)])


def test_default_class_is_used():
    default = {"kind": "IngressClass",
               "metadata": {"name": "nginx", "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
               "spec": {"controller": "k8s.io/ingress-nginx"}}
    ingress = _ingress("x", [("/", "api", {"number": 80})], cls=None)
    table = build_route_table(ClusterState.from_objects([default, SVC, READY, ingress]))
    assert table.rules[0].ingress_class == "nginx" and table.rules[0].controller == "k8s.io/ingress-nginx"


def test_legacy_annotation_picks_the_class():
    table = build_route_table(ClusterState.from_objects(
        [NGINX, SVC, READY, _ingress("x", [("/", "api", {"number": 80})], cls=None,
                                     annotations={"kubernetes.io/ingress.class": "nginx"})]))
    assert table.rules[0].ingress_class == "nginx"
    assert "class-annotation" in [f.code for f in table.findings]


def test_invalid_regex():
    mapping = {"kind": "Mapping", "metadata": {"name": "m", "namespace": "shop"},
               "spec": {"prefix": "/api/(unclosed", "prefix_regex": True, "service": "api"}}
    assert "invalid-regex" in _codes([SVC, READY, mapping])


def test_duplicate_host_path():
    objs = [NGINX, SVC, READY, _ingress("a", [("/x", "api", {"number": 80})], host="h.example"),
            _ingress("b", [("/x", "api", {"number": 80})], host="h.example")]
    assert "duplicate-route" in _codes(objs)
    objs[-1] = _ingress("b", [("/x", "api", {"number": 80})], host="other.example")
    assert "duplicate-route" not in _codes(objs)


def test_conflicting_mappings():
    other = {"kind": "Service", "metadata": {"name": "api2", "namespace": "shop"}, "spec": {"ports": [{"port": 80}]}}
    m1 = {"kind": "Mapping", "metadata": {"name": "m1", "namespace": "shop"}, "spec": {"prefix": "/a/", "service": "api"}}
    m2 = {"kind": "Mapping", "metadata": {"name": "m2", "namespace": "shop"}, "spec": {"prefix": "/a/", "service": "api2"}}
    assert "conflicting-mappings" in _codes([SVC, other, READY, m1, m2])
    m2["spec"]["prefix"] = "/b/"
    assert "conflicting-mappings" not in _codes([SVC, other, READY, m1, m2])


def test_crds_missing_only_judged_when_crds_are_known():
    emissary = {"kind": "IngressClass", "metadata": {"name": "ambassador"},
                "spec": {"controller": "getambassador.io/ingress-controller"}}
    crd = {"kind": "CustomResourceDefinition", "metadata": {"name": "mappings.getambassador.io"}}
    assert "crd-missing" in _codes([emissary, crd])
    assert "crd-missing" not in _codes([emissary])


def test_forbidden_kind_is_reported():
    assert "forbidden" in _codes([NGINX], forbidden={"Ingress": "RBAC: cannot list"})


def test_view_collects_entry_point_findings():
    lb = {"kind": "Service", "metadata": {"name": "lb", "namespace": "x"},
          "spec": {"type": "LoadBalancer", "ports": [{"port": 80, "nodePort": 30080}]}}
    codes = [f["code"] for f in build_ingress_view(ClusterState.from_objects([lb])).to_json()["findings"]]
    assert "lb-pending" in codes
    lb["status"] = {"loadBalancer": {"ingress": [{"ip": "203.0.113.5"}]}}
    view = build_ingress_view(ClusterState.from_objects([lb])).to_json()
    assert "lb-pending" not in [f["code"] for f in view["findings"]]
    assert ["203.0.113.5:80"] in [e["addresses"] for e in view["entry_points"] if e["kind"] == "LoadBalancer"]


def test_external_ips_are_entry_points():
    svc = {"kind": "Service", "metadata": {"name": "e", "namespace": "x"},
           "spec": {"externalIPs": ["198.51.100.7"], "ports": [{"port": 8080}]}}
    entries = build_ingress_view(ClusterState.from_objects([svc])).to_json()["entry_points"]
    assert [e["addresses"] for e in entries if e["kind"] == "ExternalIP"] == [["198.51.100.7:8080"]]

"""Gateway API HTTPRoute precedence (the order the HTTPRouteRule docs prescribe), attachment, rewrites."""

from __future__ import annotations

import pytest

from k8snet_tui.domain.model import ClusterState
from k8snet_tui.domain.routes import build_ingress_view, route_url
from k8snet_tui.present.ingress import route_model
from k8snet_tui.present.serialize import to_jsonable

GW_IP = "192.0.2.10"


def _gateway(allowed="Same", hostname=None):
    listener = {"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": {"namespaces": {"from": allowed}}}
    if hostname:
        listener["hostname"] = hostname
    return {"kind": "Gateway", "metadata": {"name": "gw", "namespace": "web"},
            "spec": {"gatewayClassName": "eg", "listeners": [listener]},
            "status": {"addresses": [{"type": "IPAddress", "value": GW_IP}]}}


def _backends(n):
    objs = []
    for i in range(n):
        objs.append({"kind": "Service", "metadata": {"name": f"svc-{i}", "namespace": "web"},
                     "spec": {"ports": [{"port": 8080}]}})
        objs.append({"kind": "EndpointSlice",
                     "metadata": {"name": f"svc-{i}", "namespace": "web", "labels": {"kubernetes.io/service-name": f"svc-{i}"}},
                     "ports": [{"port": 8080}], "endpoints": [{"addresses": [f"10.3.0.{i + 1}"]}]})
    return objs


def _route(name, rules, hostnames=(), created="2024-01-01T00:00:00Z", namespace="web", parent="gw"):
    return {"kind": "HTTPRoute", "metadata": {"name": name, "namespace": namespace, "creationTimestamp": created},
            "spec": {"parentRefs": [{"name": parent, "namespace": "web"}], "hostnames": list(hostnames), "rules": rules}}


def _rule(svc, path=None, path_type="PathPrefix", **extra):
    match = dict(extra)
    if path is not None:
        match["path"] = {"type": path_type, "value": path}
    return {"matches": [match] if match else [], "backendRefs": [{"name": f"svc-{svc}", "port": 8080}]}


def _route_state(routes, gateway=None):
    return ClusterState.from_objects([gateway or _gateway()] + _backends(4) + routes)


CASES = [
    # Exact beats PathPrefix of the same value
    ([_route("a", [_rule(0, "/foo"), _rule(1, "/foo", "Exact")])], "/foo", {}, "GET", 1),
    # longest prefix
    ([_route("a", [_rule(0, "/foo"), _rule(1, "/foo/bar")])], "/foo/bar/baz", {}, "GET", 1),
    # prefixes compare whole elements
    ([_route("a", [_rule(0, "/foo")])], "/foobar", {}, "GET", None),
    ([_route("a", [_rule(0, "/foo/")])], "/foo", {}, "GET", 0),
    # no matches means PathPrefix "/"
    ([_route("a", [_rule(0)])], "/anything", {}, "GET", 0),
    # method match beats none
    ([_route("a", [_rule(0, "/"), _rule(1, "/", method="GET")])], "/", {}, "GET", 1),
    ([_route("a", [_rule(0, "/"), _rule(1, "/", method="POST")])], "/", {}, "GET", 0),
    # more header matches
    ([_route("a", [_rule(0, "/", headers=[{"name": "a", "value": "1"}]),
                   _rule(1, "/", headers=[{"name": "a", "value": "1"}, {"name": "b", "value": "2"}])])],
     "/", {"a": "1", "b": "2"}, "GET", 1),
    # more query matches
    ([_route("a", [_rule(0, "/"), _rule(1, "/", queryParams=[{"name": "v", "value": "2"}])])], "/?v=2", {}, "GET", 1),
    # ties across routes: the oldest route, then namespace/name
    ([_route("b", [_rule(0, "/")], created="2024-01-01T00:00:00Z"), _route("a", [_rule(1, "/")], created="2024-06-01T00:00:00Z")],
     "/", {}, "GET", 0),
    ([_route("b", [_rule(0, "/")]), _route("a", [_rule(1, "/")])], "/", {}, "GET", 1),
    # ties within a route: the first rule
    ([_route("a", [_rule(2, "/x"), _rule(3, "/x")])], "/x", {}, "GET", 2),
    # path beats header count
    ([_route("a", [_rule(0, "/", headers=[{"name": "a", "value": "1"}]), _rule(1, "/long")])], "/long", {"a": "1"}, "GET", 1),
]


@pytest.mark.parametrize(("routes", "path", "headers", "method", "winner"), CASES)
def test_httproute_precedence(routes, path, headers, method, winner):
    result = route_url(_route_state(routes), f"http://{GW_IP}{path}", headers=headers, method=method)
    assert result.entry == "Gateway/web/gw"
    if winner is None:
        assert result.status == "no-route-404"
    else:
        assert result.status == "routed"
        assert result.matched.service == f"web/svc-{winner}:8080"


def test_hostname_precedence_before_path():
    routes = [_route("wild", [_rule(0, "/longer/path")], hostnames=["*.example.com"]),
              _route("exact", [_rule(1, "/")], hostnames=["shop.example.com"])]
    result = route_url(_route_state(routes), "http://shop.example.com/longer/path", entry="Gateway/web/gw")
    assert result.matched.name == "web/exact"


@pytest.mark.parametrize(("pattern", "host", "ok"), [
    ("*.example.com", "a.example.com", True), ("*.example.com", "a.b.example.com", True), ("*.example.com", "example.com", False),
])
def test_gateway_wildcard_is_a_suffix(pattern, host, ok):
    result = route_url(_route_state([_route("a", [_rule(0, "/")], hostnames=[pattern])]), f"http://{host}/",
                       entry="Gateway/web/gw")
    assert (result.matched is not None) is ok


def test_route_in_other_namespace_needs_the_listener_to_allow_it():
    route = _route("a", [_rule(0, "/")], namespace="other")
    result = route_url(_route_state([route]), f"http://{GW_IP}/")
    assert result.status == "no-route-404"
    assert "route-not-attached" in [f["code"] for f in build_ingress_view(_route_state([route])).to_json()["findings"]]
    assert route_url(_route_state([route], _gateway(allowed="All")), f"http://{GW_IP}/").matched is not None


def test_replace_prefix_match():
    rule = _rule(0, "/foo")
    rule["filters"] = [{"type": "URLRewrite",
                        "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/xyz"}}}]
    state = _route_state([_route("a", [rule])])
    assert route_url(state, f"http://{GW_IP}/foo/bar").matched.rewritten_path == "/xyz/bar"
    assert route_url(state, f"http://{GW_IP}/foo").matched.rewritten_path == "/xyz"


def test_weighted_backends_are_all_listed():
    rule = {"backendRefs": [{"name": "svc-0", "port": 8080, "weight": 90}, {"name": "svc-1", "port": 8080, "weight": 10}]}
    data = to_jsonable(route_model(route_url(_route_state([_route("a", [rule])]), f"http://{GW_IP}/")))
    assert [(b["service"], b["weight"]) for b in data["matched"]["backends"]] == [("web/svc-0:8080", 90), ("web/svc-1:8080", 10)]


def test_gateway_appears_as_entry_point():
    entries = build_ingress_view(_route_state([])).to_json()["entry_points"]
    gw = [e for e in entries if e["kind"] == "Gateway"]
    assert gw and gw[0]["addresses"] == [GW_IP] and gw[0]["port"] == "80"

"""Emissary Mapping precedence, matching and rewriting, one case per row."""

from __future__ import annotations

import pytest

from k8snet_tui.domain.model import ClusterState
from k8snet_tui.domain.routes import route_url
from k8snet_tui.domain.routes.emissary import parse_service

CONTROLLER = {"kind": "IngressClass", "metadata": {"name": "ambassador"},
              "spec": {"controller": "getambassador.io/ingress-controller"}}


def _state(mappings: list[dict], extra: list[dict] | None = None) -> ClusterState:
    objs = [CONTROLLER] + (extra or [])
    for i, spec in enumerate(mappings):
        svc = f"svc-{i}"
        objs.append({"kind": "Service", "metadata": {"name": svc, "namespace": "apps"}, "spec": {"ports": [{"port": 80}]}})
        objs.append({
            "kind": "EndpointSlice",
            "metadata": {"name": svc, "namespace": "apps", "labels": {"kubernetes.io/service-name": svc}},
            "ports": [{"port": 80}], "endpoints": [{"addresses": [f"10.2.0.{i + 1}"]}],
        })
        objs.append({"kind": "Mapping", "metadata": {"name": f"m{i}", "namespace": "apps"}, "spec": {"service": svc, **spec}})
    return ClusterState.from_objects(objs)


# (mappings, path, headers, winner index or None)
CASES = [
    ([{"prefix": "/a/"}, {"prefix": "/a/b/"}], "/a/b/c", {}, 1),  # longer prefix first
    ([{"prefix": "/a/", "precedence": 10}, {"prefix": "/a/b/"}], "/a/b/c", {}, 0),  # precedence beats length
    ([{"prefix": "/a/b/", "precedence": -1}, {"prefix": "/a/"}], "/a/b/c", {}, 1),
    ([{"prefix": "/x/"}, {"prefix": "/x/", "headers": {"x-user": "ann"}}], "/x/1", {"x-user": "ann"}, 1),
    ([{"prefix": "/x/"}, {"prefix": "/x/", "headers": {"x-user": "ann"}}], "/x/1", {}, 0),
    ([{"prefix": "/q/"}, {"prefix": "/q/", "query_parameters": {"v": "2"}}], "/q/?v=2", {}, 1),
    ([{"prefix": "/web"}], "/website", {}, 0),  # a string prefix, not path elements
    ([{"prefix": "/web/"}], "/web", {}, None),
    ([{"prefix": "/exact", "prefix_exact": True}], "/exact", {}, 0),
    ([{"prefix": "/exact", "prefix_exact": True}], "/exact/", {}, None),
    ([{"prefix": "/api/v[0-9]+/.*", "prefix_regex": True}], "/api/v2/users", {}, 0),
    ([{"prefix": "/api/v[0-9]+/", "prefix_regex": True}], "/api/v2/users", {}, None),  # whole path
    ([{"prefix": "/", "hostname": "*.example.com"}], "/", {}, None),  # request host is shop.test
    ([{"prefix": "/", "method": "POST"}], "/", {}, None),
]


@pytest.mark.parametrize(("mappings", "path", "headers", "winner"), CASES)
def test_mapping_precedence(mappings, path, headers, winner):
    result = route_url(_state(mappings), f"http://shop.test{path}", entry="ambassador", headers=headers)
    if winner is None:
        assert result.status == "no-route-404"
    else:
        assert result.matched.name == f"apps/m{winner}"
        assert result.matched.service == f"apps/svc-{winner}:80"


@pytest.mark.parametrize(
    ("hostname", "host", "ok"),
    [("*", "a.b", True), ("*.example.com", "a.example.com", True), ("*.example.com", "a.b.example.com", True),
     ("*.example.com", "example.com", False), ("api.*", "api.example.com", True), ("api.example.com", "web.example.com", False)],
)
def test_hostname_glob(hostname, host, ok):
    result = route_url(_state([{"prefix": "/", "hostname": hostname}]), f"http://{host}/", entry="ambassador")
    assert (result.matched is not None) is ok


@pytest.mark.parametrize(
    ("spec", "path", "upstream"),
    [
        ({"prefix": "/web/"}, "/web/x/y", "/x/y"),  # rewrite defaults to "/"
        ({"prefix": "/web/", "rewrite": ""}, "/web/x", "/web/x"),  # "" turns rewriting off
        ({"prefix": "/web/", "rewrite": "/new/"}, "/web/x", "/new/x"),
        ({"prefix": "/engine"}, "/engine/", "//"),
        ({"prefix": "/v[0-9]/.*", "prefix_regex": True, "rewrite": "/r"}, "/v1/a", "/r"),
        ({"prefix": "/p/", "regex_rewrite": {"pattern": "^/p/(.*)$", "substitution": "/q/\\1"}}, "/p/z", "/q/z"),
    ],
)
def test_rewrite(spec, path, upstream):
    assert route_url(_state([spec]), f"http://h{path}", entry="ambassador").matched.rewritten_path == upstream


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("website", "apps/website:80"),
        ("website:8080", "apps/website:8080"),
        ("website.other", "other/website:80"),
        ("website.other:81", "other/website:81"),
        ("https://website.other", "other/website:443"),
        ("http://website.other.svc.cluster.local:82", "other/website:82"),
        ("www.example.com", "www.example.com"),
        ("10.0.0.1:80", "10.0.0.1:80"),
    ],
)
def test_service_field(text, label):
    assert parse_service(text, "apps").label == label


def test_every_losing_candidate_has_a_reason():
    result = route_url(_state([{"prefix": "/a/"}, {"prefix": "/a/b/"}, {"prefix": "/z/"}]), "http://h/a/b/c", entry="ambassador")
    by_name = {c.name: c for c in result.candidates}
    assert by_name["apps/m1"].reason.endswith("wins: path starts with /a/b/")
    assert "prefix length" in by_name["apps/m0"].reason and by_name["apps/m0"].matched
    assert not by_name["apps/m2"].matched and "/z/" in by_name["apps/m2"].reason


def test_exact_ingress_path_gets_precedence_one_under_emissary():
    ingress = {
        "kind": "Ingress", "metadata": {"name": "ing", "namespace": "apps"},
        "spec": {"ingressClassName": "ambassador", "rules": [{"http": {"paths": [
            {"path": "/a", "pathType": "Exact", "backend": {"service": {"name": "svc-0", "port": {"number": 80}}}}]}}]},
    }
    # A Mapping with a longer prefix would win on length, but Exact paths get precedence 1.
    state = _state([{"prefix": "/a"}], extra=[ingress])
    result = route_url(state, "http://h/a", entry="ambassador")
    assert (result.matched.kind, result.matched.name, result.matched.rewritten_path) == ("Ingress", "apps/ing", "/")


def test_prefix_with_trailing_slash_departs_from_spec_the_other_way():
    ingress = {
        "kind": "Ingress", "metadata": {"name": "ing", "namespace": "apps"},
        "spec": {"ingressClassName": "ambassador", "rules": [{"http": {"paths": [
            {"path": "/foo/", "pathType": "Prefix", "backend": {"service": {"name": "svc-0", "port": {"number": 80}}}}]}}]},
    }
    result = route_url(_state([{"prefix": "/unrelated/"}], extra=[ingress]), "http://h/foo", entry="ambassador")
    assert result.status == "no-route-404"
    assert "spec-departure" in [f.code for f in result.findings]


def test_ambassador_annotation_alone_selects_emissary():
    ingress = {
        "kind": "Ingress", "metadata": {"name": "old", "namespace": "apps",
                                        "annotations": {"kubernetes.io/ingress.class": "ambassador"}},
        "spec": {"rules": [{"http": {"paths": [{"path": "/old", "pathType": "Prefix",
                                                "backend": {"service": {"name": "svc-0", "port": {"number": 80}}}}]}}]},
    }
    without_class = [o for o in _state([{"prefix": "/m/"}], extra=[ingress]).objects.values()
                     for o in o if o["kind"] != "IngressClass"]
    result = route_url(ClusterState.from_objects(without_class), "http://h/oldx")  # no entry: each proxy is tried
    assert result.matched is not None and result.matched.name == "apps/old"
    assert result.matched.rewritten_path == "/x"


def test_host_redirect_is_noted():
    host = {"kind": "Host", "metadata": {"name": "main", "namespace": "apps"}, "spec": {"hostname": "shop.test"}}
    result = route_url(_state([{"prefix": "/"}], extra=[host]), "http://shop.test/", entry="ambassador")
    assert "host-redirect" in [f.code for f in result.findings]
    host["spec"]["requestPolicy"] = {"insecure": {"action": "Route"}}
    result = route_url(_state([{"prefix": "/"}], extra=[host]), "http://shop.test/", entry="ambassador")
    assert "host-redirect" not in [f.code for f in result.findings]

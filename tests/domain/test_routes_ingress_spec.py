"""The Kubernetes documentation's Ingress "Examples" table, run through a spec-conforming controller.

Rows come from concepts/services-networking/ingress (Examples): kind, rule path(s), request path,
and whether it matches; where several paths match, the row names the one that must win.
"""

from __future__ import annotations

import pytest

from k8snet_tui.domain.model import ClusterState
from k8snet_tui.domain.routes import route_url


def _state(paths: list[tuple[str, str]], host: str | None = None) -> ClusterState:
    objs = [{"kind": "IngressClass", "metadata": {"name": "nginx"}, "spec": {"controller": "k8s.io/ingress-nginx"}}]
    ingress_paths = []
    for i, (path_type, path) in enumerate(paths):
        svc = f"svc-{i}"
        objs.append({"kind": "Service", "metadata": {"name": svc, "namespace": "shop"}, "spec": {"ports": [{"port": 80}]}})
        objs.append({
            "kind": "EndpointSlice",
            "metadata": {"name": f"{svc}-x", "namespace": "shop", "labels": {"kubernetes.io/service-name": svc}},
            "ports": [{"port": 8080}], "endpoints": [{"addresses": [f"10.1.0.{i + 1}"]}],
        })
        ingress_paths.append({"path": path, "pathType": path_type, "backend": {"service": {"name": svc, "port": {"number": 80}}}})
    rule: dict = {"http": {"paths": ingress_paths}}
    if host:
        rule["host"] = host
    objs.append({"kind": "Ingress", "metadata": {"name": "shop", "namespace": "shop"}, "spec": {"ingressClassName": "nginx",
                                                                                                "rules": [rule]}})
    return ClusterState.from_objects(objs)


P, E = "Prefix", "Exact"
# (rules, request path, index of the winning rule or None for no match)
EXAMPLES = [
    ([(P, "/")], "/anything/at/all", 0),
    ([(E, "/foo")], "/foo", 0),
    ([(E, "/foo")], "/bar", None),
    ([(E, "/foo")], "/foo/", None),
    ([(E, "/foo/")], "/foo", None),
    ([(P, "/foo")], "/foo", 0),
    ([(P, "/foo")], "/foo/", 0),
    ([(P, "/foo/")], "/foo", 0),
    ([(P, "/foo/")], "/foo/", 0),
    ([(P, "/aaa/bb")], "/aaa/bbb", None),
    ([(P, "/aaa/bbb")], "/aaa/bbb", 0),
    ([(P, "/aaa/bbb/")], "/aaa/bbb", 0),
    ([(P, "/aaa/bbb")], "/aaa/bbb/", 0),
    ([(P, "/aaa/bbb")], "/aaa/bbb/ccc", 0),
    ([(P, "/aaa/bbb")], "/aaa/bbbxyz", None),
    ([(P, "/"), (P, "/aaa")], "/aaa/ccc", 1),
    ([(P, "/"), (P, "/aaa"), (P, "/aaa/bbb")], "/aaa/bbb", 2),
    ([(P, "/"), (P, "/aaa"), (P, "/aaa/bbb")], "/ccc", 0),
    ([(P, "/aaa")], "/ccc", None),
    ([(P, "/foo"), (E, "/foo")], "/foo", 1),
    ([(E, "/foo"), (P, "/foo")], "/foo", 0),
]


@pytest.mark.parametrize(("rules", "request_path", "winner"), EXAMPLES)
def test_ingress_examples_table(rules, request_path, winner):
    result = route_url(_state(rules), f"http://shop.example{request_path}", entry="nginx")
    if winner is None:
        assert result.status == "no-route-404"
        assert result.matched is None
    else:
        assert result.status == "routed"
        assert result.matched.service == f"shop/svc-{winner}:80"
        assert result.matched.path == rules[winner][1]
        assert result.matched.rewritten_path == request_path  # the spec forwards the path unchanged


@pytest.mark.parametrize(
    ("host", "request_host", "matches"),
    [
        ("*.foo.com", "bar.foo.com", True),
        ("*.foo.com", "baz.bar.foo.com", False),
        ("*.foo.com", "foo.com", False),
        ("foo.bar.com", "foo.bar.com", True),
        ("foo.bar.com", "FOO.bar.com", True),
        ("foo.bar.com", "bar.foo.com", False),
    ],
)
def test_ingress_host_wildcard_is_one_label(host, request_host, matches):
    result = route_url(_state([(P, "/")], host=host), f"http://{request_host}/", entry="IngressClass/nginx")
    assert (result.matched is not None) is matches


def test_losers_say_why():
    result = route_url(_state([(P, "/"), (P, "/aaa")]), "http://x/aaa/ccc", entry="nginx")
    loser = [c for c in result.candidates if c.matched and "svc-0" in (c.rule.service or "")]
    assert loser and "path length" in loser[0].reason

"""Garbage in, findings out: the route table, view and tester must survive any API object."""

from __future__ import annotations

import copy
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_routes_lab import lab_objects

from k8snet_tui.domain.model import ClusterState
from k8snet_tui.domain.routes import UrlError, build_ingress_view, route_url
from k8snet_tui.present.ingress import route_model
from k8snet_tui.present.serialize import to_jsonable

KINDS = ["Service", "EndpointSlice", "Pod", "Node", "Ingress", "IngressClass", "Mapping", "Host", "Listener",
         "Gateway", "HTTPRoute", "ReferenceGrant", "CustomResourceDefinition"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 70000) | st.text(max_size=12)
    | st.sampled_from(["/", "*", "Exact", "Prefix", "80", "http"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(
        ["name", "namespace", "port", "number", "path", "pathType", "rules", "http", "paths", "backend", "service",
         "prefix", "hostname", "host", "spec", "metadata", "labels", "ports", "nodePort", "endpoints", "addresses",
         "matches", "value", "type", "backendRefs", "parentRefs", "hostnames", "listeners", "status", "conditions",
         "ready", "precedence", "rewrite", "prefix_regex", "ingressClassName", "controller", "annotations"]), inner, max_size=5),
    max_leaves=25,
)

garbage_object = st.builds(
    lambda kind, meta, spec, rest: {"kind": kind, "metadata": meta, "spec": spec, **rest},
    st.sampled_from(KINDS), json_values, json_values,
    st.dictionaries(st.sampled_from(["status", "endpoints", "ports", "addressType"]), json_values, max_size=2),
)


def _exercise(objs):
    state = ClusterState.from_objects(objs)
    view = build_ingress_view(state)
    json.dumps(view.to_json())
    for url in ("http://18.185.35.194:31211/engine", "http://h/", "https://x.example/a/b?c=d"):
        try:
            json.dumps(to_jsonable(route_model(route_url(state, url))))
        except UrlError:
            raise AssertionError("valid URLs must not be refused") from None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(garbage_object, max_size=6))
def test_garbage_objects_never_crash(objs):
    _exercise(objs)


def _paths(value, prefix=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield prefix + (k,)
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield prefix + (i,)
            yield from _paths(v, prefix + (i,))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_damaged_lab_objects_never_crash(data):
    objs = copy.deepcopy(lab_objects())
    for _ in range(data.draw(st.integers(1, 4))):
        obj = objs[data.draw(st.integers(0, len(objs) - 1))]
        where = list(_paths(obj))
        if not where:
            continue
        path = data.draw(st.sampled_from(where))
        parent = obj
        for step in path[:-1]:
            parent = parent[step]
        parent[path[-1]] = data.draw(json_values)
    _exercise(objs)

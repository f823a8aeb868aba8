"""The Service index: the label join and the readiness rules, read the same by every consumer."""

from __future__ import annotations

from k8snet_tui.domain.dns.index import build_index
from k8snet_tui.domain.model import ClusterState
from k8snet_tui.domain.routes.backends import BackendRef, resolve
from k8snet_tui.domain.service_index import (
    SERVICE_NAME_LABEL,
    endpoint_conditions,
    routable_endpoints,
    service_index,
)


def _svc(ns, name, ports=({"name": "http", "port": 80},)):
    return {"kind": "Service", "metadata": {"namespace": ns, "name": name},
            "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.10", "ports": list(ports)}}


def _slice(ns, name, service, endpoints, ports=({"name": "http", "port": 8080, "protocol": "TCP"},), **extra):
    labels = {SERVICE_NAME_LABEL: service} if service else {}
    return {"kind": "EndpointSlice", "metadata": {"namespace": ns, "name": name, "labels": labels},
            "addressType": "IPv4", "ports": list(ports), "endpoints": endpoints, **extra}


def _ep(ip, pod=None, **conditions):
    ep = {"addresses": [ip], "conditions": conditions}
    if pod:
        ep["targetRef"] = {"kind": "Pod", "name": pod}
    return ep


def test_unset_conditions_follow_the_api_defaults():
    assert endpoint_conditions({}) == endpoint_conditions({"conditions": {}})
    c = endpoint_conditions({})
    assert (c.ready, c.serving, c.terminating) == (True, True, False)
    c = endpoint_conditions({"conditions": {"ready": False}})
    assert (c.ready, c.serving, c.terminating) == (False, False, False)  # serving follows ready
    c = endpoint_conditions({"conditions": {"ready": "yes", "serving": 1}})  # wrong types: unset
    assert (c.ready, c.serving) == (True, True)


def test_slices_join_by_label_in_their_own_namespace():
    cluster = ClusterState.from_objects([
        _svc("web", "site"), _svc("other", "site"),
        _slice("web", "site-a", "site", [_ep("10.0.0.1", "p1")]),
        _slice("web", "site-b", "site", [_ep("10.0.0.2", "p2", ready=False)]),
        _slice("other", "site-x", "site", [_ep("10.0.9.9")]),
        _slice("web", "orphan", "", [_ep("10.0.0.3")]),
    ])
    index = service_index(cluster)
    assert [s.name for s in index.slices("web", "site")] == ["site-a", "site-b"]
    assert [s.name for s in index.slices("other", "site")] == ["site-x"]
    count = index.count("web", "site")
    assert (count.ready, count.total) == (1, 2)
    assert index.ready_pods("web", "site") == ("web/p1",)
    assert all(s.name != "orphan" for s in index.all_slices())
    assert service_index(cluster) is index  # once per state


def test_routable_falls_back_to_serving_terminating_only_without_ready():
    eps = service_index(ClusterState.from_objects([
        _slice("ns", "s", "svc", [_ep("10.0.0.1", ready=False, serving=True, terminating=True),
                                  _ep("10.0.0.2", ready=False, serving=False, terminating=True)]),
    ])).endpoints("ns", "svc")
    assert [e.addresses for e in routable_endpoints(eps)] == [("10.0.0.1",)]
    with_ready = (*eps, *service_index(ClusterState.from_objects([
        _slice("ns", "t", "svc", [_ep("10.0.0.3")])])).endpoints("ns", "svc"))
    assert [e.addresses for e in routable_endpoints(with_ready)] == [("10.0.0.3",)]


def test_dns_and_ingress_backends_read_the_same_endpoints():
    cluster = ClusterState.from_objects([
        _svc("web", "site"),
        _slice("web", "site-a", "site", [_ep("10.0.0.1", "p1"), _ep("10.0.0.2", "p2", ready=False),
                                         _ep("10.0.0.4", "p4", serving=False)]),
    ])
    dns = build_index(cluster)
    dns_ips = sorted(a.ip for s in dns.endpoints("web", "site") for a in s.addresses)
    backend = resolve(cluster, BackendRef("web", "site", "http"), "test")
    assert dns_ips == ["10.0.0.1", "10.0.0.4"]
    assert sorted(e.partition(":")[0] for e in backend.endpoints) == dns_ips
    assert backend.not_ready == ("10.0.0.2:8080",)
    assert backend.pods == ("web/p1", "web/p4")


def test_malformed_entries_are_skipped():
    cluster = ClusterState.from_objects([
        _slice("ns", "s", "svc", ["not a dict", {"addresses": [5, "", "10.0.0.1"]}],
               ports=({"name": "http", "port": "eighty"}, "junk")),
    ])
    (sl,) = service_index(cluster).slices("ns", "svc")
    assert [p.port for p in sl.ports] == [None]
    assert [e.addresses for e in sl.endpoints] == [("10.0.0.1",)]

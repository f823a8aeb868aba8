"""The routes a client's proxy applies, in order, with weights and subsets down to pods.

Docs followed (each case names its section):
  VS   istio.io/latest/docs/reference/config/networking/virtual-service/ (VirtualService.hosts:
       short names read in the rule's namespace; VirtualService.gateways: "mesh" and its
       default; HTTPRoute: rules in order, first match wins; HTTPMatchRequest: AND within a
       block, OR across; HTTPRouteDestination.weight; HTTPRetry; HTTPFaultInjection; exportTo)
  DR   istio.io/latest/docs/reference/config/networking/destination-rule/ (Subset, TrafficPolicy,
       LoadBalancerSettings, exportTo, the lookup order client namespace, Service namespace,
       root namespace)
  GW   gateway-api.sigs.k8s.io/mesh/ (GAMMA: a Service parentRef; producer and consumer
       routes) and gateway-api.sigs.k8s.io/reference/spec/#httprouterule (match precedence,
       backendRef weight)
"""

from __future__ import annotations

import pytest

from .world import ask, obj, service, subsets_dr


def vs(ns: str = "shop", name: str = "reviews", *, hosts=("reviews",), **spec) -> dict:
    return obj("VirtualService", ns, name, {"hosts": list(hosts), **spec})


def to(subset: str, weight: int | None = None, host: str = "reviews") -> dict:
    d: dict = {"destination": {"host": host, "subset": subset}}
    if weight is not None:
        d["weight"] = weight
    return d


JASON = [{"match": [{"headers": {"end-user": {"exact": "jason"}}}], "route": [to("v2")]},
         {"route": [to("v1")]}]

CASES = [
    # (doc section, objects, request kwargs, chosen rule index or None, [(subset, percent, pods)])
    ("VS HTTPRouteDestination: 'route 25% ... to v2 and the remaining traffic (75%) to v1'",
     [subsets_dr(), vs(http=[{"route": [to("v1", 75), to("v2", 25)]}])], {}, 0,
     [("v1", 75.0, ("shop/reviews-v1",)), ("v2", 25.0, ("shop/reviews-v2",))]),
    ("VS HTTPRoute: first match wins; the header rule catches jason",
     [subsets_dr(), vs(http=JASON)], {"path": "/reviews/1", "headers": {"end-user": "jason"}}, 0,
     [("v2", 100.0, ("shop/reviews-v2",))]),
    ("VS HTTPRoute: anyone else falls through to the next rule",
     [subsets_dr(), vs(http=JASON)], {"path": "/reviews/1", "headers": {"end-user": "alice"}}, 1,
     [("v1", 100.0, ("shop/reviews-v1",))]),
    ("VS HTTPMatchRequest: every condition of one block must hold (uri AND method)",
     [subsets_dr(), vs(http=[{"match": [{"uri": {"prefix": "/api"}, "method": {"exact": "POST"}}], "route": [to("v3")]},
                             {"route": [to("v1")]}])], {"path": "/api/x", "method": "GET"}, 1,
     [("v1", 100.0, ("shop/reviews-v1",))]),
    ("VS HTTPRoute.match: any one block of the list will do (OR)",
     [subsets_dr(), vs(http=[{"match": [{"uri": {"exact": "/a"}}, {"uri": {"prefix": "/b"}}], "route": [to("v3")]},
                             {"route": [to("v1")]}])], {"path": "/b/c"}, 0,
     [("v3", 100.0, ("shop/reviews-v3",))]),
    ("VS VirtualService.hosts: 'reviews' in namespace other means reviews.other: not this Service",
     [subsets_dr(), vs(ns="other", http=[{"route": [to("v2")]}])], {}, 0,
     [("", 100.0, ("shop/reviews-v1", "shop/reviews-v2", "shop/reviews-v3"))]),
    ("VS VirtualService.gateways: a list without 'mesh' leaves the sidecars alone",
     [subsets_dr(), vs(gateways=["shop-gateway"], http=[{"route": [to("v2")]}])], {}, 0,
     [("", 100.0, ("shop/reviews-v1", "shop/reviews-v2", "shop/reviews-v3"))]),
    ("VS VirtualService.gateways: 'mesh' in the list applies to the sidecars too",
     [subsets_dr(), vs(gateways=["shop-gateway", "mesh"], http=[{"route": [to("v2")]}])], {}, 0,
     [("v2", 100.0, ("shop/reviews-v2",))]),
    ("VS HTTPMatchRequest.sourceLabels: only for clients carrying those labels",
     [subsets_dr(), vs(http=[{"match": [{"sourceLabels": {"app": "productpage"}}], "route": [to("v3")]},
                             {"route": [to("v1")]}])], {}, 0,
     [("v3", 100.0, ("shop/reviews-v3",))]),
    ("GW HTTPBackendRef weight: a share of the sum (3 and 1: 75% and 25%)",
     [service("shop", "reviews-v2", {"app": "reviews", "version": "v2"}, ip="10.96.0.52"),
      obj("HTTPRoute", "shop", "split", {"parentRefs": [{"group": "", "kind": "Service", "name": "reviews", "port": 9080}],
                                          "rules": [{"backendRefs": [{"name": "reviews", "port": 9080, "weight": 3},
                                                                     {"name": "reviews-v2", "port": 9080, "weight": 1}]}]})],
     {}, 0, [("", 75.0, ("shop/reviews-v1", "shop/reviews-v2", "shop/reviews-v3")), ("", 25.0, ("shop/reviews-v2",))]),
]


@pytest.mark.parametrize(("why", "objects", "req", "chosen", "dests"), CASES, ids=[c[0][:60] for c in CASES])
def test_documented_route_outcomes(why, objects, req, chosen, dests):
    got = ask(objects, **req)
    assert got.chosen == chosen, (why, got.route_words)
    assert [(d.subset, d.percent, d.pods) for d in got.destinations] == dests, why


def test_without_the_request_a_header_rule_is_undecided_and_said_so():
    """VS HTTPRoute: which rule applies depends on the request; without one nothing is guessed."""
    got = ask([subsets_dr(), vs(http=JASON)])
    assert got.chosen is None and "depends on the request" in got.route_words
    assert [r.matched for r in got.routes] == [None, True]


def test_no_rule_matching_is_a_404_from_the_proxy():
    """VS HTTPRoute: with a VirtualService for the host and no rule matching, the proxy has no
    route and answers 404 itself."""
    got = ask([subsets_dr(), vs(http=[{"match": [{"uri": {"prefix": "/api"}}], "route": [to("v1")]}])], path="/")
    assert got.chosen is None and "404" in got.route_words


def test_timeout_retries_and_fault_in_words():
    """VS HTTPRoute.timeout (disabled by default), HTTPRetry (attempts, perTryTimeout, retryOn),
    HTTPFaultInjection (delay / abort for a percentage)."""
    rule = {"route": [to("v1")], "timeout": "10s",
            "retries": {"attempts": 3, "perTryTimeout": "2s", "retryOn": "5xx"},
            "fault": {"delay": {"fixedDelay": "7s", "percentage": {"value": 10}},
                      "abort": {"httpStatus": 503, "percentage": {"value": 5}}}}
    got = ask([subsets_dr(), vs(http=[rule])])
    r = got.routes[0]
    assert (r.timeout, r.retries) == ("10s", "3 attempt(s), 2s each, on 5xx")
    assert r.fault == "delay 7s for 10% of requests; abort with 503 for 5% of requests"
    bare = ask([subsets_dr(), vs(http=[{"route": [to("v1")]}])]).routes[0]
    assert bare.timeout.startswith("none") and "default retry policy" in bare.retries


def test_export_to_dot_hides_a_virtual_service_from_other_namespaces():
    """VS VirtualService.exportTo: '.' is the rule's own namespace only."""
    rules = [subsets_dr(), vs(hosts=("reviews.shop.svc.cluster.local",), exportTo=["."], http=[{"route": [to("v2")]}])]
    assert ask(rules).destinations[0].subset == "v2"  # the client is in shop
    other = ask(rules, client="other/ratings")
    assert other.source == "default"


def test_destination_rule_lookup_prefers_the_clients_namespace():
    """DR: Istio looks for the rule in the client's namespace first, then the Service's, then the
    root namespace."""
    mine = obj("DestinationRule", "other", "reviews", {"host": "reviews.shop.svc.cluster.local",
                                                       "trafficPolicy": {"loadBalancer": {"simple": "RANDOM"}}})
    theirs = obj("DestinationRule", "shop", "reviews", {"host": "reviews",
                                                        "trafficPolicy": {"loadBalancer": {"simple": "ROUND_ROBIN"}}})
    assert ask([mine, theirs], client="other/ratings").destinations[0].load_balancer == "random"
    assert ask([mine, theirs]).destinations[0].load_balancer == "round robin"


def test_subset_traffic_policy_overrides_and_consistent_hash():
    """DR Subset.trafficPolicy overrides the rule's; LoadBalancerSettings.consistentHash."""
    dr = obj("DestinationRule", "shop", "reviews", {
        "host": "reviews", "trafficPolicy": {"loadBalancer": {"simple": "ROUND_ROBIN"}},
        "subsets": [{"name": "v1", "labels": {"version": "v1"},
                     "trafficPolicy": {"loadBalancer": {"consistentHash": {"httpHeaderName": "x-user"}}}},
                    {"name": "v2", "labels": {"version": "v2"}}]})
    got = ask([dr, vs(http=[{"route": [to("v1", 50), to("v2", 50)]}])])
    assert [d.load_balancer for d in got.destinations] == ["consistent hash on header x-user", "round robin"]


def test_gamma_exact_path_beats_a_longer_prefix_across_routes_and_ties_go_to_the_oldest():
    """GW HTTPRouteRule: precedence exact path, then the longest prefix; across routes with
    equal matches the oldest route wins."""
    parent = [{"kind": "Service", "name": "reviews"}]
    exact = obj("HTTPRoute", "shop", "z-exact", {"parentRefs": parent, "rules": [
        {"matches": [{"path": {"type": "Exact", "value": "/r"}}], "backendRefs": [{"name": "reviews", "port": 9080}]}]},
        created="2026-05-01T00:00:00Z")
    prefix = obj("HTTPRoute", "shop", "a-prefix", {"parentRefs": parent, "rules": [
        {"matches": [{"path": {"type": "PathPrefix", "value": "/"}}], "backendRefs": [{"name": "db", "port": 5432}]}]},
        created="2026-01-01T00:00:00Z")
    got = ask([exact, prefix], path="/r")
    assert got.routes[got.chosen].by.name == "z-exact"
    assert ask([exact, prefix], path="/x").routes[ask([exact, prefix], path="/x").chosen].by.name == "a-prefix"
    twin = obj("HTTPRoute", "shop", "b-twin", {"parentRefs": parent, "rules": [
        {"matches": [{"path": {"type": "Exact", "value": "/r"}}], "backendRefs": [{"name": "db", "port": 5432}]}]},
        created="2025-01-01T00:00:00Z")
    got = ask([exact, twin], path="/r")
    assert got.routes[got.chosen].by.name == "b-twin"


def test_gamma_consumer_route_applies_only_to_its_namespace():
    """GW mesh: a route in another namespace than the Service's is a consumer route, for clients
    in the route's namespace only."""
    route = obj("HTTPRoute", "other", "mine", {"parentRefs": [{"kind": "Service", "name": "reviews", "namespace": "shop"}],
                                               "rules": [{"backendRefs": [{"name": "db", "namespace": "shop", "port": 5432}]}]})
    assert ask([route], client="other/ratings").destinations[0].service == "shop/db"
    assert ask([route]).source == "default"


def test_grpc_route_method_match():
    """GW GRPCRoute: a method match names the service and method (/service/method)."""
    route = obj("GRPCRoute", "shop", "grpc", {"parentRefs": [{"kind": "Service", "name": "reviews"}], "rules": [
        {"matches": [{"method": {"service": "shop.Reviews", "method": "Get"}}],
         "backendRefs": [{"name": "db", "port": 5432}]}]})
    assert ask([route], path="/shop.Reviews/Get").chosen == 0
    assert ask([route], path="/shop.Reviews/Put").chosen is None

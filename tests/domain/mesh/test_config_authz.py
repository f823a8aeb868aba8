"""Is the connection allowed: Istio's AuthorizationPolicy and Linkerd's Server / AuthorizationPolicy.

Docs followed (each case names its section):
  AP   istio.io/latest/docs/reference/config/security/authorization-policy/ (the evaluation
       rules CUSTOM -> DENY -> ALLOW; "allow-nothing" spec {}; "allow-all" rules [{}]; Source
       principals from the peer certificate; Operation ports; the root namespace)
  ORD  istio.io/latest/docs/concepts/security/#authorization-policy-precedence ("ordering")
  L5D  linkerd.io/2/reference/authorization-policy/ (Server, AuthorizationPolicy,
       MeshTLSAuthentication, default inbound policies)
"""

from __future__ import annotations

import pytest

from .world import ask, obj, rules_by, service

SEL = {"selector": {"matchLabels": {"app": "reviews"}}}
PRODUCTPAGE = "cluster.local/ns/shop/sa/bookinfo-productpage"


def ap(name: str, spec: dict, ns: str = "shop", created: str = "2026-01-01T00:00:00Z") -> dict:
    return obj("AuthorizationPolicy", ns, name, spec, created=created)


CASES = [
    # (doc section, objects, client, request kwargs, answer, decider that must be named)
    ("AP 'If there are no ALLOW policies for the workload, allow the request'",
     [], "shop/productpage", {}, "allow", "no AuthorizationPolicy applies"),
    ("AP allow-nothing: an ALLOW policy with no rules matches nothing: denied",
     [ap("allow-nothing", {**SEL})], "shop/productpage", {}, "deny", "AuthorizationPolicy shop/allow-nothing spec.rules"),
    ("AP allow-all: rules [{}] matches every request",
     [ap("allow-all", {**SEL, "rules": [{}]})], "shop/productpage", {}, "allow",
     "AuthorizationPolicy shop/allow-all spec.rules[0]"),
    ("AP deny-all in the root namespace applies to every workload",
     [ap("deny-all", {"action": "DENY", "rules": [{}]}, ns="istio-system")], "shop/productpage", {}, "deny",
     "AuthorizationPolicy istio-system/deny-all spec.rules[0]"),
    ("ORD DENY is evaluated before ALLOW: a GET both would match is denied",
     [ap("allow-all", {**SEL, "rules": [{}]}),
      ap("no-get", {**SEL, "action": "DENY", "rules": [{"to": [{"operation": {"methods": ["GET"]}}]}]})],
     "shop/productpage", {"method": "GET", "path": "/"}, "deny", "AuthorizationPolicy shop/no-get spec.rules[0]"),
    ("ORD the same policies let a POST through the ALLOW",
     [ap("allow-all", {**SEL, "rules": [{}]}),
      ap("no-get", {**SEL, "action": "DENY", "rules": [{"to": [{"operation": {"methods": ["GET"]}}]}]})],
     "shop/productpage", {"method": "POST", "path": "/"}, "allow", "AuthorizationPolicy shop/allow-all"),
    ("AP Source.principals: the productpage service account over mTLS is allowed",
     [ap("from-pp", {**SEL, "rules": [{"from": [{"source": {"principals": [PRODUCTPAGE]}}]}]})],
     "shop/productpage", {}, "allow", "AuthorizationPolicy shop/from-pp spec.rules[0]"),
    ("AP Source.principals need mTLS: a plaintext client has no principal and is denied",
     [ap("from-pp", {**SEL, "rules": [{"from": [{"source": {"principals": [PRODUCTPAGE]}}]}]})],
     "legacy/curl", {}, "deny", "AuthorizationPolicy shop/from-pp spec.rules"),
    ("AP Source.namespaces with a prefix wildcard",
     [ap("from-sh", {**SEL, "rules": [{"from": [{"source": {"namespaces": ["sh*"]}}]}]})],
     "shop/productpage", {}, "allow", "AuthorizationPolicy shop/from-sh spec.rules[0]"),
    ("ORD CUSTOM is evaluated first: its external authorizer decides (not evaluated here)",
     [ap("ext", {**SEL, "action": "CUSTOM", "provider": {"name": "opa"}, "rules": [{}]}),
      ap("deny-all", {**SEL, "action": "DENY", "rules": [{}]})],
     "shop/productpage", {}, "unknown", "AuthorizationPolicy shop/ext spec.rules[0]"),
    ("AP AUDIT does not affect whether requests are allowed or denied",
     [ap("audit", {**SEL, "action": "AUDIT", "rules": [{}]})], "shop/productpage", {}, "allow",
     "no ALLOW policy applies"),
    ("AP Operation.methods needs the request: undecided without one",
     [ap("get-only", {**SEL, "rules": [{"to": [{"operation": {"methods": ["GET"]}}]}]})],
     "shop/productpage", {}, "unknown", "AuthorizationPolicy shop/get-only spec.rules[0]"),
    ("AP a policy selecting other workloads does not apply",
     [ap("ratings-only", {"selector": {"matchLabels": {"app": "ratings"}}})], "shop/productpage", {}, "allow",
     "no AuthorizationPolicy applies"),
]


@pytest.mark.parametrize(("why", "objects", "client", "req", "answer", "by"), CASES, ids=[c[0][:60] for c in CASES])
def test_documented_authorization_outcomes(why, objects, client, req, answer, by):
    got = ask(objects, client=client, **req)
    assert got.authz.answer == answer, (why, got.authz.words)
    assert any(by in w for w in rules_by(got.authz.by)), (why, rules_by(got.authz.by))


def test_operation_ports_are_the_workload_port():
    """AP Operation.ports: the port the workload listens on (the Service's 80 targets 9080)."""
    svc = service("shop", "reviews80", {"app": "reviews"}, port=80, target=9080, ip="10.96.0.51")
    for listed, answer in (("9080", "allow"), ("80", "deny")):
        pol = ap("port", {**SEL, "rules": [{"to": [{"operation": {"ports": [listed]}}]}]})
        assert ask([svc, pol], svc="shop/reviews80").authz.answer == answer, listed


def test_a_refused_connection_never_reaches_authorization():
    """A plaintext client to a STRICT server is refused at the TLS step; the allow-all policy
    does not make it allowed."""
    strict = obj("PeerAuthentication", "shop", "default", {"mtls": {"mode": "STRICT"}})
    got = ask([strict, ap("allow-all", {**SEL, "rules": [{}]})], client="legacy/curl")
    assert (got.tls.answer, got.authz.answer) == ("refused", "deny")
    assert "not reached" in got.authz.words


def server(name: str = "reviews-http", port: object = 9080) -> dict:
    return obj("Server", "shop", name, {"podSelector": {"matchLabels": {"app": "reviews"}}, "port": port,
                                        "proxyProtocol": "HTTP/1"})


def test_linkerd_default_policy_server_without_authorization_and_mesh_tls():
    """L5D: no Server on the port: the default policy (all-unauthenticated) lets everyone in; a
    Server with no AuthorizationPolicy denies; an AuthorizationPolicy whose MeshTLSAuthentication
    names the client's service account allows that meshed client and no other."""
    assert ask([], server_proxy="linkerd").authz.answer == "allow"
    assert ask([server()], server_proxy="linkerd").authz.answer == "deny"
    assert ask([server(port="http")], server_proxy="linkerd").authz.answer == "deny"  # a named port
    mtls = obj("MeshTLSAuthentication", "shop", "pp", {"identities": [
        "bookinfo-productpage.shop.serviceaccount.identity.linkerd.cluster.local"]})
    pol = obj("AuthorizationPolicy", "shop", "pp-in", {"targetRef": {"group": "policy.linkerd.io", "kind": "Server",
                                                                     "name": "reviews-http"},
                                                       "requiredAuthenticationRefs": [
                                                           {"group": "policy.linkerd.io", "kind": "MeshTLSAuthentication",
                                                            "name": "pp"}]},
              api="policy.linkerd.io/v1alpha1")
    got = ask([server(), mtls, pol], server_proxy="linkerd")
    assert got.authz.answer == "allow"
    assert "AuthorizationPolicy shop/pp-in spec.requiredAuthenticationRefs" in rules_by(got.authz.by)
    assert ask([server(), mtls, pol], server_proxy="linkerd", client="legacy/curl").authz.answer == "deny"
    assert ask([server(), mtls, pol], server_proxy="linkerd", client="other/ratings").authz.answer == "deny"


def test_linkerd_per_route_authorization_is_said_never_skipped():
    """L5D per-route policy (linkerd.io/2/tasks/configuring-per-route-policy/): an HTTPRoute whose
    parentRef is the Server makes authorization per route, and an AuthorizationPolicy may target
    that HTTPRoute. Neither the Server-wide allow nor the Server's deny is the answer then: the
    verdict is unknown and names the route and its policy."""
    mtls = obj("MeshTLSAuthentication", "shop", "pp", {"identities": [
        "bookinfo-productpage.shop.serviceaccount.identity.linkerd.cluster.local"]})
    route = obj("HTTPRoute", "shop", "reviews-get", {
        "parentRefs": [{"name": "reviews-http", "kind": "Server", "group": "policy.linkerd.io"}],
        "rules": [{"matches": [{"path": {"value": "/reviews/", "type": "PathPrefix"}, "method": "GET"}]}]},
        api="policy.linkerd.io/v1beta3")
    on_route = obj("AuthorizationPolicy", "shop", "reviews-get-pp", {
        "targetRef": {"group": "policy.linkerd.io", "kind": "HTTPRoute", "name": "reviews-get"},
        "requiredAuthenticationRefs": [{"group": "policy.linkerd.io", "kind": "MeshTLSAuthentication", "name": "pp"}]},
        api="policy.linkerd.io/v1alpha1")
    got = ask([server(), mtls, route, on_route], server_proxy="linkerd")
    assert got.authz.answer == "unknown", got.authz.words
    assert "HTTPRoute(s) shop/reviews-get are attached to Server reviews-http" in got.authz.words
    assert "shop/reviews-get-pp" in got.authz.words
    assert "HTTPRoute shop/reviews-get spec.parentRefs" in rules_by(got.authz.by)
    # a route of another Server changes nothing: the Server with no policy still denies
    other = obj("HTTPRoute", "shop", "elsewhere", {"parentRefs": [{"name": "other", "kind": "Server",
                                                                   "group": "policy.linkerd.io"}]},
                api="policy.linkerd.io/v1beta3")
    assert ask([server(), other], server_proxy="linkerd").authz.answer == "deny"


def test_linkerd_policy_is_not_read_as_istios():
    """An AuthorizationPolicy of policy.linkerd.io shares Istio's kind name; an Istio sidecar
    never reads it (an allow-nothing shape must not deny)."""
    l5d = obj("AuthorizationPolicy", "shop", "l5d", {"targetRef": {"kind": "Server", "name": "x"}},
              api="policy.linkerd.io/v1alpha1")
    assert ask([l5d]).authz.answer == "allow"

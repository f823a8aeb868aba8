"""Will the connection be mTLS: PeerAuthentication levels, port-level overrides, the client's
DestinationRule tls mode and auto mTLS, each case with the outcome Istio's docs give.

Docs followed (each case names its section):
  PA   istio.io/latest/docs/reference/config/security/peer_authentication/
  SEC  istio.io/latest/docs/concepts/security/#peer-authentication ("Peer authentication",
       policy precedence: workload over namespace over mesh; the oldest of several at one level;
       "Auto mutual TLS")
  DR   istio.io/latest/docs/reference/config/networking/destination-rule/#ClientTLSSettings-TLSmode
  L5D  linkerd.io/2/features/automatic-mtls/
"""

from __future__ import annotations

import pytest

from .world import ask, obj, rules_by

MESH_STRICT = obj("PeerAuthentication", "istio-system", "default", {"mtls": {"mode": "STRICT"}})
NS_PERMISSIVE = obj("PeerAuthentication", "shop", "default", {"mtls": {"mode": "PERMISSIVE"}})
NS_STRICT = obj("PeerAuthentication", "shop", "default", {"mtls": {"mode": "STRICT"}})
REVIEWS_STRICT = obj("PeerAuthentication", "shop", "reviews",
                     {"selector": {"matchLabels": {"app": "reviews"}}, "mtls": {"mode": "STRICT"}})


def dr_tls(mode: str) -> dict:
    return obj("DestinationRule", "shop", "reviews", {"host": "reviews", "trafficPolicy": {"tls": {"mode": mode}}})


CASES = [
    # (why / doc section, objects, client, expected answer, a decider that must be named)
    ("SEC Auto mutual TLS: no policies, both sidecars: mTLS (PERMISSIVE by default)",
     [], "shop/productpage", "mtls", "auto mTLS"),
    ("PA Mode PERMISSIVE is the default: a client without a proxy is accepted in plaintext",
     [], "legacy/curl", "plaintext", "Istio's default PERMISSIVE"),
    ("PA mesh level in the root namespace: STRICT refuses a plaintext client",
     [MESH_STRICT], "legacy/curl", "refused", "PeerAuthentication istio-system/default spec.mtls.mode (mesh)"),
    ("SEC namespace-wide policy overrides the mesh-wide one: PERMISSIVE accepts plaintext",
     [MESH_STRICT, NS_PERMISSIVE], "legacy/curl", "plaintext", "PeerAuthentication shop/default spec.mtls.mode (namespace)"),
    ("PA example 'require mTLS for workload finance': the workload policy beats the namespace's",
     [NS_PERMISSIVE, REVIEWS_STRICT], "legacy/curl", "refused", "PeerAuthentication shop/reviews spec.mtls.mode (workload)"),
    ("PA example 'leave port 8080 to plaintext': portLevelMtls DISABLE on the workload port",
     [obj("PeerAuthentication", "shop", "reviews", {"selector": {"matchLabels": {"app": "reviews"}},
                                                     "mtls": {"mode": "STRICT"},
                                                     "portLevelMtls": {"9080": {"mode": "DISABLE"}}})],
     "legacy/curl", "plaintext", "PeerAuthentication shop/reviews spec.portLevelMtls[9080]"),
    ("PA example 'inherit mTLS mode from namespace': UNSET inherits the namespace's STRICT",
     [NS_STRICT, obj("PeerAuthentication", "shop", "reviews", {"selector": {"matchLabels": {"app": "reviews"}},
                                                               "mtls": {"mode": "UNSET"}})],
     "legacy/curl", "refused", "PeerAuthentication shop/default spec.mtls.mode (namespace)"),
    ("SEC Auto mutual TLS: the client's sidecar sends mTLS, a STRICT server accepts it",
     [MESH_STRICT], "shop/productpage", "mtls", "PeerAuthentication istio-system/default"),
    ("DR TLSmode DISABLE: the client sends plaintext and a STRICT server refuses it",
     [NS_STRICT, dr_tls("DISABLE")], "shop/productpage", "refused", "DestinationRule shop/reviews spec.trafficPolicy.tls.mode"),
    ("DR TLSmode ISTIO_MUTUAL: the mesh's mTLS, whatever auto mTLS would pick",
     [dr_tls("ISTIO_MUTUAL")], "shop/productpage", "mtls", "DestinationRule shop/reviews spec.trafficPolicy.tls.mode"),
    ("DR TLSmode SIMPLE: TLS the proxy originates, not Istio's mTLS; PERMISSIVE passes it on",
     [dr_tls("SIMPLE")], "shop/productpage", "tls", "DestinationRule shop/reviews spec.trafficPolicy.tls.mode"),
    ("DR TLSmode SIMPLE to a STRICT server: refused, STRICT takes Istio's mTLS only",
     [NS_STRICT, dr_tls("SIMPLE")], "shop/productpage", "refused", "PeerAuthentication shop/default"),
    ("SEC Auto mutual TLS: plaintext when the server has its PeerAuthentication at DISABLE",
     [obj("PeerAuthentication", "shop", "default", {"mtls": {"mode": "DISABLE"}})], "shop/productpage", "plaintext",
     "PeerAuthentication shop/default spec.mtls.mode (namespace)"),
]


@pytest.mark.parametrize(("why", "objects", "client", "answer", "by"), CASES, ids=[c[0][:60] for c in CASES])
def test_documented_mtls_outcomes(why, objects, client, answer, by):
    got = ask(objects, client=client)
    assert got.tls.answer == answer, (why, got.tls.words)
    assert any(by in w for w in rules_by(got.tls.by)), (why, rules_by(got.tls.by))


def test_port_level_key_is_the_workload_port_not_the_service_port():
    """PA PeerAuthentication.portLevelMtls: 'the port refers to the port of the workload, not the
    port of the Kubernetes service'. The Service listens on 80 and targets 9080: a port-level
    DISABLE keyed 80 does nothing, one keyed 9080 applies."""
    from .world import service
    for key, answer in (("80", "refused"), ("9080", "plaintext")):
        pa = obj("PeerAuthentication", "shop", "reviews", {"selector": {"matchLabels": {"app": "reviews"}},
                                                           "mtls": {"mode": "STRICT"},
                                                           "portLevelMtls": {key: {"mode": "DISABLE"}}})
        svc = service("shop", "reviews80", {"app": "reviews"}, port=80, target="http", ip="10.96.0.51")
        got = ask([pa, svc], svc="shop/reviews80", client="legacy/curl")
        assert got.tls.answer == answer, (key, got.tls.words)


def test_port_level_without_selector_is_ignored():
    """PA portLevelMtls: 'These only apply when a workload selector is specified'."""
    pa = obj("PeerAuthentication", "shop", "default", {"mtls": {"mode": "STRICT"},
                                                       "portLevelMtls": {"9080": {"mode": "DISABLE"}}})
    got = ask([pa], client="legacy/curl")
    assert got.tls.answer == "refused"
    assert any("portLevelMtls without a workload selector" in f for f in got.findings)


def test_selector_in_root_namespace_is_ignored():
    """PA: 'PeerAuthentication policies with workload selectors are ignored when deployed in the
    root namespace'."""
    pa = obj("PeerAuthentication", "istio-system", "reviews", {"selector": {"matchLabels": {"app": "reviews"}},
                                                               "mtls": {"mode": "STRICT"}})
    got = ask([pa], client="legacy/curl")
    assert got.tls.answer == "plaintext"
    assert any("Istio ignores it" in f for f in got.findings)


def test_sidecar_client_to_a_server_without_sidecar_is_plaintext():
    """SEC Auto mutual TLS: plaintext to workloads without sidecars; a DestinationRule that forces
    ISTIO_MUTUAL there fails (nothing ends the TLS)."""
    assert ask([], svc="shop/db").tls.answer == "plaintext"
    forced = obj("DestinationRule", "shop", "db", {"host": "db", "trafficPolicy": {"tls": {"mode": "ISTIO_MUTUAL"}}})
    got = ask([forced], svc="shop/db")
    assert got.tls.answer == "refused" and "no sidecar" in got.tls.words


def test_oldest_peer_authentication_wins_at_one_level():
    """SEC 'If there is more than one mesh-wide (or namespace-wide) peer authentication policy,
    Istio applies the oldest one'. Swapping the ages swaps the answer, so it is the age that
    decides, not the order the objects were read in."""
    old, new = "2025-01-01T00:00:00Z", "2026-06-01T00:00:00Z"
    for strict_at, answer in ((old, "refused"), (new, "plaintext")):
        a = obj("PeerAuthentication", "shop", "a-strict", {"mtls": {"mode": "STRICT"}}, created=strict_at)
        b = obj("PeerAuthentication", "shop", "b-permissive", {"mtls": {"mode": "PERMISSIVE"}},
                created=new if strict_at == old else old)
        got = ask([a, b], client="legacy/curl")
        assert got.tls.answer == answer
        assert any("2 namespace-level PeerAuthentications" in f and "oldest" in f for f in got.findings)


def test_port_level_tls_of_a_destination_rule_overrides_its_top_level():
    """DR TrafficPolicy.portLevelSettings: 'port level settings will override the destination-level
    settings'."""
    dr = obj("DestinationRule", "shop", "reviews", {"host": "reviews", "trafficPolicy": {
        "tls": {"mode": "DISABLE"},
        "portLevelSettings": [{"port": {"number": 9080}, "tls": {"mode": "ISTIO_MUTUAL"}}]}})
    got = ask([obj("PeerAuthentication", "shop", "default", {"mtls": {"mode": "STRICT"}}), dr])
    assert got.tls.answer == "mtls"
    assert any("portLevelSettings[0].tls.mode" in w for w in rules_by(got.tls.by))


def test_linkerd_meshed_pods_talk_mtls_and_outsiders_plaintext():
    """L5D: 'Linkerd automatically enables mutually-authenticated TLS for all TCP traffic between
    meshed pods'; unmeshed clients talk plaintext."""
    assert ask([], server_proxy="linkerd").tls.answer == "mtls"
    assert ask([], server_proxy="linkerd", client="legacy/curl").tls.answer == "plaintext"


def test_undecided_route_still_uses_the_services_destination_rule_tls():
    """DR TLSmode at the rule's top level applies to the Service's own pods when which route the
    request takes is not known: DISABLE against STRICT is refused, not guessed as auto mTLS."""
    from .world import subsets_dr
    vs = obj("VirtualService", "shop", "reviews", {"hosts": ["reviews"], "http": [
        {"match": [{"uri": {"prefix": "/api"}}], "route": [{"destination": {"host": "reviews", "subset": "v2"}}]}]})
    dr = subsets_dr(trafficPolicy={"tls": {"mode": "DISABLE"}})
    got = ask([NS_STRICT, dr, vs])
    assert got.chosen is None
    assert got.tls.answer == "refused"

from hypothesis import given, settings
from hypothesis import strategies as st

from k8snet_tui.domain.dns.corefile import (
    block_summary,
    default_corefile,
    kubernetes_plugin,
    parse_corefile,
    parse_key,
    route,
)

KUBEADM = """.:53 {
    errors
    health {
       lameduck 5s
    }
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
"""


def test_kubeadm_corefile():
    cf = parse_corefile(KUBEADM)
    assert cf.problems == () and len(cf.blocks) == 1
    b = cf.blocks[0]
    assert [z.zone for z in b.zones] == ["."] and b.zones[0].port == 53
    k = kubernetes_plugin(b)
    assert k.zones == ("cluster.local.", "in-addr.arpa.", "ip6.arpa.")
    assert k.pods == "insecure" and k.ttl == 30
    assert k.falls_through("1.0.96.10.in-addr.arpa.") and not k.falls_through("x.cluster.local.")
    s = block_summary(b)
    assert s["forward"] == {"from": ".", "to": ["/etc/resolv.conf"]} and s["cache"] == 30
    assert s["run_order"].index("cache") < s["run_order"].index("kubernetes") < s["run_order"].index("forward")


def test_defaults_when_the_plugin_is_silent():
    cf = parse_corefile("cluster.local:53 {\n kubernetes\n}\n")
    k = kubernetes_plugin(cf.blocks[0])
    assert k.zones == ("cluster.local.",) and k.pods == "disabled" and k.ttl == 5 and k.fallthrough is None


def test_options_and_unknown_options_noted():
    cf = parse_corefile('.:53 {\n kubernetes c.l {\n  endpoint_pod_names\n  fallthrough\n  namespaces a b\n'
                        '  ignore empty_service\n  frobnicate 1\n  pods sometimes\n }\n}\n')
    k = kubernetes_plugin(cf.blocks[0])
    assert k.endpoint_pod_names and k.fallthrough == () and k.namespaces == ("a", "b")
    assert k.ignore_empty_service and k.pods == "disabled"
    assert any("frobnicate" in n for n in k.notes) and any("pods sometimes" in n for n in k.notes)
    assert k.falls_through("anything.c.l.")


def test_routing_picks_the_longest_zone_on_port_53():
    cf = parse_corefile(".:53 {\n forward . 1.1.1.1\n}\ncorp.example:53 {\n forward . 10.0.0.1\n}\n"
                        "tls://.:853 {\n whoami\n}\n")
    assert route(cf, "a.corp.example.").keys == ("corp.example:53",)
    assert route(cf, "cluster.local.").keys == (".:53",)
    assert route(parse_corefile("example.org {\n whoami\n}\n"), "other.net.") is None


def test_keys_quotes_comments_and_commas():
    cf = parse_corefile('# top\nexample.org:1053, dns://other.org {\n  hosts { # inline\n   10.0.0.1 "a.example.org"\n  }\n}\n')
    b = cf.blocks[0]
    assert [(z.zone, z.port) for z in b.zones] == [("example.org.", 1053), ("other.org.", 53)]
    assert b.plugin("hosts").block[0].args == ("a.example.org",)
    assert parse_key("[::1]:1053").port == 1053
    assert parse_key("x:notaport") is None


def test_broken_braces_are_reported_with_lines():
    cf = parse_corefile(".:53 {\n kubernetes cluster.local {\n  pods insecure\n}\n")
    assert cf.problems and all(p.line >= 1 for p in cf.problems)
    assert cf.blocks and kubernetes_plugin(cf.blocks[0]).pods == "insecure"
    cf = parse_corefile("}\n.:53 {\n whoami\n}\n")
    assert cf.problems[0].line == 1 and cf.blocks[0].plugin("whoami")


def test_snippets_and_imports_kept_with_a_note():
    cf = parse_corefile("(common) {\n errors\n}\n.:53 {\n import common\n forward . 1.1.1.1\n}\n")
    assert cf.snippets == ("common",)
    assert any("import" in p.reason for p in cf.problems)
    assert [b.keys for b in cf.blocks] == [(".:53",)]


def test_default_corefile_is_marked_assumed():
    cf = default_corefile("k8s.example")
    assert cf.assumed and kubernetes_plugin(cf.blocks[0]).zones[0] == "k8s.example."


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_never_raises_on_garbage(text):
    cf = parse_corefile(text)
    cf.to_json()
    for b in cf.blocks:
        block_summary(b), kubernetes_plugin(b), route(cf, "a.cluster.local.")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["{", "}", "\n", " ", '"', "#", ".:53", "kubernetes", "pods", "insecure",
                                 "fallthrough", "ttl", "99999", "forward", ".", ",", "cluster.local", "\\",
                                 # digits int() or isdigit() take and CoreDNS does not
                                 ".:²", "[::1]:٣", "cache", "²", "٣0", "１", "\u2028"]),
                max_size=60))
def test_never_raises_on_token_soup(parts):
    cf = parse_corefile(" ".join(parts))
    for b in cf.blocks:
        block_summary(b)

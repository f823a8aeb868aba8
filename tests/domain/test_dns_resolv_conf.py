from hypothesis import given, settings
from hypothesis import strategies as st

from k8snet_tui.domain.dns.resolv_conf import (
    ResolvConf,
    glibc_settings,
    musl_settings,
    parse_resolv_conf,
)


def test_lab_pod_file_parses():
    rc = parse_resolv_conf("nameserver 10.96.0.10\n"
                           "search default.svc.cluster.local svc.cluster.local cluster.local "
                           "eu-central-1.compute.internal\noptions ndots:5\n")
    assert rc.nameservers == ("10.96.0.10",)
    assert rc.search[-1] == "eu-central-1.compute.internal" and len(rc.search) == 4
    assert rc.to_json()["options"] == {"ndots": 5}
    assert rc.problems == ()


def test_comments_and_bad_lines_are_reported_with_line_numbers():
    rc = parse_resolv_conf("# hello\n; semi\nnameserver\nbogus line\noptions ndots:x frobnicate\n"
                           "nameserver 1.1.1.1\nnameserver not-an-ip\n")
    assert rc.comments == 2
    lines = sorted(p.line for p in rc.problems)
    assert lines == [3, 4, 5, 5, 7]
    assert rc.nameservers == ("1.1.1.1", "not-an-ip")
    assert glibc_settings(rc).nameservers == ("1.1.1.1",)


def test_search_and_domain_replace_each_other_last_wins():
    assert parse_resolv_conf("search a b\ndomain c\n").search == ("c",)
    assert parse_resolv_conf("domain c\nsearch a b\n").search == ("a", "b")


def test_options_merge_by_name_and_caps():
    rc = parse_resolv_conf("options ndots:2 edns0\noptions ndots:20 timeout:99 attempts:9\n")
    assert rc.option("ndots") == "20" and rc.has_option("edns0")
    g, m = glibc_settings(rc), musl_settings(rc)
    assert (g.ndots, g.timeout, g.attempts) == (15, 30, 5)
    assert (m.ndots, m.timeout, m.attempts) == (15, 60, 9)
    assert any("cap" in p.reason for p in rc.problems)


def test_defaults_without_a_file_body():
    g, m = glibc_settings(parse_resolv_conf("")), musl_settings(parse_resolv_conf(""))
    assert g.ndots == m.ndots == 1
    assert g.nameservers == m.nameservers == ("127.0.0.1",)


def test_glibc_uses_three_nameservers():
    rc = parse_resolv_conf("".join(f"nameserver 10.0.0.{i}\n" for i in range(1, 6)))
    assert glibc_settings(rc).nameservers == ("10.0.0.1", "10.0.0.2", "10.0.0.3")
    assert musl_settings(rc).nameservers == ("10.0.0.1", "10.0.0.2", "10.0.0.3")


def test_musl_skips_a_search_line_of_255_characters_or_more():
    domains = [f"d{i:03d}.example.internal" for i in range(12)]
    line = "search " + " ".join(domains)
    assert len(line) >= 255
    rc = parse_resolv_conf(f"nameserver 10.96.0.10\n{line}\n")
    assert glibc_settings(rc).search == tuple(domains)
    assert musl_settings(rc).search == ()
    short = parse_resolv_conf("search " + " ".join(domains[:3]) + "\n")
    assert musl_settings(short).search == tuple(domains[:3])


def test_inline_hash_is_data_not_a_comment():
    rc = parse_resolv_conf("search a.example # note\n")
    assert rc.search == ("a.example", "#", "note")
    assert any("not a comment" in p.reason for p in rc.problems)


def test_render_round_trips():
    rc = ResolvConf.build(["10.96.0.10"], ["default.svc.cluster.local", "svc.cluster.local"], ["ndots:5", "edns0"])
    again = parse_resolv_conf(rc.render())
    assert again.nameservers == rc.nameservers and again.search == rc.search
    assert again.options == rc.options


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_never_raises_on_garbage(text):
    rc = parse_resolv_conf(text)
    rc.render(), rc.to_json(), glibc_settings(rc), musl_settings(rc)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["nameserver", "search", "domain", "options", "ndots:", "#", ";", "\n",
                                 " ", "\t", "1.2.3.4", "a.b", ":", "ndots:999", "timeout:",
                                 # digits int() or isdigit() take and the libraries do not
                                 "²", "٣", "１", "ndots:²", "attempts:٣", "timeout:1１", "\u2028", "\x85", "\r"]),
                max_size=40))
def test_never_raises_on_keyword_soup(parts):
    rc = parse_resolv_conf("".join(parts))
    for p in rc.problems:
        assert p.line >= 1
    rc.to_json()
    for s in (glibc_settings(rc), musl_settings(rc)):
        assert all(isinstance(n, int) for n in (s.ndots, s.timeout, s.attempts))

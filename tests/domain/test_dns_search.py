from hypothesis import given, settings
from hypothesis import strategies as st

from k8snet_tui.domain.dns.answers import Expected
from k8snet_tui.domain.dns.names import check_name
from k8snet_tui.domain.dns.resolv_conf import parse_resolv_conf
from k8snet_tui.domain.dns.search import candidate_names, plan_lookup

RC = parse_resolv_conf("nameserver 10.96.0.10\nsearch ns.svc.c.l svc.c.l c.l\noptions ndots:3\n")
NX = Expected("NXDOMAIN")
NODATA = Expected("NOERROR")


def oracle(table):
    """Answers from a table of (fqdn, type) -> Expected; everything else NXDOMAIN."""
    return lambda name, qtype: table.get((name, qtype), NX)


def found(ip="10.0.0.1"):
    return Expected("NOERROR", (ip,))


def test_ndots_boundary_glibc():
    below, _ = candidate_names("a.b", RC, "glibc")  # 1 dot < 3
    assert below == ("a.b.ns.svc.c.l.", "a.b.svc.c.l.", "a.b.c.l.", "a.b.")
    at, _ = candidate_names("a.b.c.d", RC, "glibc")  # 3 dots == ndots: as-is first
    assert at == ("a.b.c.d.", "a.b.c.d.ns.svc.c.l.", "a.b.c.d.svc.c.l.", "a.b.c.d.c.l.")


def test_ndots_boundary_musl():
    assert candidate_names("a.b", RC, "musl")[0][-1] == "a.b."
    assert candidate_names("a.b.c.d", RC, "musl")[0] == ("a.b.c.d.",)


def test_trailing_dot_means_only_the_name():
    for r in ("glibc", "musl"):
        assert candidate_names("web.", RC, r)[0] == ("web.",)


def test_glibc_continues_past_nodata_musl_stops():
    table = {("web.ns.svc.c.l.", "A"): NODATA, ("web.svc.c.l.", "A"): found()}
    g = plan_lookup("web", RC, oracle(table), "glibc")
    m = plan_lookup("web", RC, oracle(table), "musl")
    assert g.answered_by == 1 and g.queries[1].fqdn == "web.svc.c.l."
    assert m.answered_by is None and len(m.queries) == 1 and "NODATA" in m.stop
    assert m.advice


def test_servfail_continues_in_glibc_stops_in_musl():
    table = {("web.ns.svc.c.l.", "A"): Expected("SERVFAIL"), ("web.svc.c.l.", "A"): found()}
    assert plan_lookup("web", RC, oracle(table), "glibc").answered_by == 1
    assert plan_lookup("web", RC, oracle(table), "musl").answered_by is None


def test_refused_stops_glibc():
    table = {("web.ns.svc.c.l.", "A"): Expected("REFUSED"), ("web.svc.c.l.", "A"): found()}
    p = plan_lookup("web", RC, oracle(table), "glibc")
    assert p.answered_by is None and len(p.queries) == 1


def test_musl_parallel_a_aaaa_and_stop_rules():
    table = {("web.ns.svc.c.l.", "A"): found(), ("web.ns.svc.c.l.", "AAAA"): NODATA}
    p = plan_lookup("web", RC, oracle(table), "musl", ("A", "AAAA"))
    assert [(q.fqdn, q.qtype) for q in p.queries] == [("web.ns.svc.c.l.", "A"), ("web.ns.svc.c.l.", "AAAA")]
    assert p.answered_by == 0
    # an NXDOMAIN beside an answer sends musl on (it checks rcodes before answers)
    odd = {("web.ns.svc.c.l.", "A"): found(), ("web.ns.svc.c.l.", "AAAA"): NX}
    p = plan_lookup("web", RC, oracle(odd), "musl", ("A", "AAAA"))
    assert p.answered_by is None and len(p.queries) == 8


def test_wasted_queries_and_fqdn_advice():
    table = {("web.c.l.", "A"): found()}
    p = plan_lookup("web", RC, oracle(table), "glibc", ("A", "AAAA"))
    assert p.queries[p.answered_by].fqdn == "web.c.l."
    assert p.wasted == 4  # two names before it, A and AAAA each
    assert any("web.c.l." in a for a in p.advice)


def test_as_is_answer_after_search_suggests_lower_ndots():
    table = {("api.example.com.", "A"): found("192.0.2.1")}
    p = plan_lookup("api.example.com", RC, oracle(table), "glibc")
    assert p.answered_by == 3 and p.wasted == 3
    assert any("ndots to 2" in a for a in p.advice)


def test_glibc_root_in_search_list_and_no_tld_query():
    rc = parse_resolv_conf("search a.example .\noptions no-tld-query\n")
    assert candidate_names("web", rc, "glibc")[0] == ("web.a.example.",)
    rc = parse_resolv_conf("search a.example .\n")
    assert candidate_names("web", rc, "glibc")[0] == ("web.a.example.", "web.")


def test_busybox_dotted_names_go_as_is_only():
    assert candidate_names("a.b", RC, "busybox")[0] == ("a.b.",)
    assert candidate_names("a", RC, "busybox")[0] == ("a.ns.svc.c.l.", "a.svc.c.l.", "a.c.l.")


def test_invalid_names_give_an_explanation_and_no_plan():
    for bad in ("", "a..b", "x" * 64 + ".com", ".".join(["abcdefghi"] * 30), "spa ce", "."):
        p = plan_lookup(bad, RC, oracle({}), "glibc")
        assert p.queries == () and p.problems, bad
    assert check_name("a" * 63 + ".example.").ok


def test_musl_refuses_underscore_names_glibc_does_not():
    assert plan_lookup("_http._tcp.web", RC, oracle({}), "musl").problems
    assert plan_lookup("_http._tcp.web", RC, oracle({}), "glibc", ("SRV",)).queries


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_name_check_never_raises(name):
    c = check_name(name)
    assert c.ok == (not c.problems)
    if c.ok:
        assert len(name.strip().rstrip(".")) <= 253


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="ab.-_1 ", max_size=40), st.sampled_from(["glibc", "musl", "busybox", "bogus"]))
def test_plan_never_raises_and_stops_within_the_walk(name, resolver):
    p = plan_lookup(name, RC, oracle({}), resolver, ("A", "AAAA"))
    assert len(p.queries) <= 2 * len(p.candidates)
    assert p.answered_by is None

"""Issue 6 "Done when": for the lab scenario, every answer the domain expects equals what the
real CoreDNS (behind kube-dns 10.96.0.10, reached from node-1's namespace) says, and the plans for
`website` from the `client` pod are what its real resolv.conf makes glibc and musl ask.

Real answers come two ways: the product's own `sources.dns_query.query_plan`, run inside node-1's
namespace, and dnspython through the harness's nstool (independent of the product's formatting).
Answers are compared as sets: CoreDNS's loadbalance plugin shuffles them.
"""

from __future__ import annotations

import ipaddress
import json
import sys

import pytest

from k8snet_tui.domain.dns import (
    build_dns_model,
    dns_lookup_view,
    parse_resolv_conf,
    plan_lookup,
)
from k8snet_tui.domain.dns.lookup import Actual, mismatch
from k8snet_tui.present.dns import lookup_model
from k8snet_tui.present.serialize import to_jsonable

from tests.cluster.harness import DNS_IP
from tests.cluster.live_reads import api_state

pytestmark = pytest.mark.cluster

ZONE = "cluster.local"

# Run inside node-1's namespace: the product's query_plan against the kube-dns ClusterIP.
ASK = r"""
import json, sys
from k8snet_tui.present.serialize import to_jsonable
from k8snet_tui.sources.dns_query import query_plan
queries = [tuple(q) for q in json.loads(sys.argv[2])]
print(json.dumps([to_jsonable(a) for a in query_plan(sys.argv[1], queries, timeout=3)]))
"""




@pytest.fixture(scope="module")
def lab(lab_cluster):
    state = api_state(lab_cluster)
    return state, build_dns_model(state)


def ask(cluster, queries) -> list[Actual]:
    """query_plan from inside node-1's namespace, in the plan's order."""
    proc = cluster.run_in_node("node-1", [sys.executable, "-c", ASK, DNS_IP, json.dumps(list(queries))],
                               timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return [Actual(rcode=a["rcode"], answers=tuple(a["answers"]), ttl=a["ttl"], error=a["error"])
            for a in json.loads(proc.stdout)]


def norm(answers):
    return {" ".join(a.lower().split()) for a in answers}


def pod_ip(state, ns, name):
    return state.get("Pod", ns, name)["status"]["podIP"]


def reverse(ip):
    return ipaddress.ip_address(ip).reverse_pointer + "."


def check(cluster, model, queries, upstream=()):
    """Each (fqdn, type): the domain's expectation equals the real answer, both ways of asking.

    Names in `upstream` are ones the kubernetes plugin passes on (fallthrough): the domain must
    say it cannot know, and the lab's CoreDNS, which forwards nowhere, answers SERVFAIL.
    """
    actuals = ask(cluster, queries)
    report, bad = [], []
    for (name, qtype), actual in zip(queries, actuals, strict=True):
        exp = model.expect(name, qtype)
        real = cluster.dns("node-1", name, qtype, server=DNS_IP)
        line = (name, qtype, "expected", exp.rcode, sorted(exp.answers), exp.note, "real", actual.rcode,
                sorted(actual.answers), actual.error, "nstool", real)
        report.append(line)
        if name in upstream:
            ok = exp.rcode is None and actual.rcode == real.get("rcode") == "SERVFAIL"
        else:
            ok = (actual.error is None and exp.rcode is not None and not exp.partial
                  and (actual.rcode, norm(actual.answers)) == (exp.rcode, norm(exp.answers))
                  and (real.get("rcode"), norm(real.get("answers", []))) == (exp.rcode, norm(exp.answers))
                  and mismatch(exp, actual) is None)
        if not ok:
            bad.append(line)
    for line in report:
        print(*line)
    assert not bad, "\n".join(map(str, bad))
    return actuals


def test_service_names_answer_as_expected(lab_cluster, lab):
    state, model = lab
    website_ip = state.get("Service", "default", "website")["spec"]["clusterIP"]
    actuals = check(lab_cluster, model, [
        (f"website.default.svc.{ZONE}.", "A"),
        (f"website.default.svc.{ZONE}.", "AAAA"),  # NODATA on an IPv4 cluster
        (f"website.kube-system.svc.{ZONE}.", "A"),  # NXDOMAIN
        (f"engine.default.svc.{ZONE}.", "A"),
        (f"kube-dns.kube-system.svc.{ZONE}.", "A"),
        (f"nothing-here.default.svc.{ZONE}.", "A"),
    ])
    assert actuals[0].answers == (website_ip,)
    assert actuals[1].rcode == "NOERROR" and actuals[1].answers == ()
    assert actuals[2].rcode == "NXDOMAIN"


def test_headless_and_statefulset_names(lab_cluster, lab):
    state, model = lab
    website_pods = {p["status"]["podIP"] for p in state.of("Pod")
                    if p["metadata"].get("labels", {}).get("app") == "website"}
    actuals = check(lab_cluster, model, [
        (f"headlesswebsite.default.svc.{ZONE}.", "A"),
        (f"webstate-1.webstate.default.svc.{ZONE}.", "A"),
        (f"webstate.default.svc.{ZONE}.", "A"),
    ])
    assert set(actuals[0].answers) == website_pods and len(website_pods) == 3
    assert actuals[1].answers == (pod_ip(state, "default", "webstate-1"),)
    assert len(actuals[2].answers) == 3


def test_srv_records(lab_cluster, lab):
    _state, model = lab
    actuals = check(lab_cluster, model, [
        (f"_http._tcp.website.default.svc.{ZONE}.", "SRV"),
        (f"webstate.default.svc.{ZONE}.", "SRV"),
        (f"_dns._udp.kube-dns.kube-system.svc.{ZONE}.", "SRV"),
        (f"_nope._tcp.website.default.svc.{ZONE}.", "SRV"),
    ])
    assert [a.split()[2:] for a in actuals[0].answers] == [["80", f"website.default.svc.{ZONE}."]]
    assert sorted(a.split()[3] for a in actuals[1].answers) == [
        f"webstate-{i}.webstate.default.svc.{ZONE}." for i in range(3)]


def test_ptr_records(lab_cluster, lab):
    state, model = lab
    website_ip = state.get("Service", "default", "website")["spec"]["clusterIP"]
    sts_pod = pod_ip(state, "default", "webstate-0")
    website_pod = min(p["status"]["podIP"] for p in state.of("Pod")
                      if p["metadata"].get("labels", {}).get("app") == "website")
    client = pod_ip(state, "default", "client")
    actuals = check(lab_cluster, model, [
        (reverse(website_ip), "PTR"),
        (reverse(sts_pod), "PTR"),
        (reverse(website_pod), "PTR"),
        (reverse(client), "PTR"),
    ], upstream={reverse(client)})
    assert actuals[0].answers == (f"website.default.svc.{ZONE}.",)
    assert f"webstate-0.webstate.default.svc.{ZONE}." in actuals[1].answers


@pytest.mark.parametrize("name", ["website", "website.default", "website.default.svc", "webstate-1.webstate"])
@pytest.mark.parametrize("qtype", ["A", "A+AAAA"])
def test_lookup_walks_match_the_real_answers(lab_cluster, lab, name, qtype):
    """Every query of the plan (as FQDNs), asked for real: rcode and answers as expected."""
    state, model = lab
    view = dns_lookup_view(state, None, name, namespace="default", qtype=qtype, model=model)
    assert view.valid and view.answered_by is not None, to_jsonable(lookup_model(view))
    queries = [(q.fqdn, q.type) for q in view.queries]
    actuals = ask(lab_cluster, queries)
    live = view.with_actuals(actuals)
    assert live.mismatches == (), [(q.fqdn, q.type, q.mismatch) for q in live.queries if q.mismatch]
    # the plan stops at the first query that answered for real, too
    answered = [i for i, a in enumerate(actuals) if a.rcode == "NOERROR" and a.answers]
    assert answered and answered[0] == view.answered_by, (answered, view.answered_by)


def test_client_pod_plans_are_what_its_resolv_conf_makes_glibc_and_musl_ask(lab_cluster, lab):
    state, model = lab
    real_text = lab_cluster.run_in_pod("default", "client", ["cat", "/etc/resolv.conf"]).stdout
    real = parse_resolv_conf(real_text)
    for resolver in ("glibc", "musl"):
        view = dns_lookup_view(state, None, "website", pod="default/client", resolver=resolver, model=model)
        rc = view.resolv_conf
        assert (rc.nameservers, rc.search, rc.option("ndots")) == (real.nameservers, real.search, real.option("ndots"))
        assert rc.nameservers == (DNS_IP,)
        assert rc.search == (f"default.svc.{ZONE}", f"svc.{ZONE}", ZONE)
        plan = plan_lookup("website", real, model.expect, resolver, ("A",))
        assert [(q.fqdn, q.type) for q in view.queries] == [(q.fqdn, q.qtype) for q in plan.queries]
        # ndots:5 and one label: the first search domain, which answers
        assert [(q.fqdn, q.type) for q in view.queries] == [(f"website.default.svc.{ZONE}.", "A")]
        assert view.answered_by == 0
        live = view.with_actuals(ask(lab_cluster, [(q.fqdn, q.type) for q in view.queries]))
        assert live.mismatches == ()
        # the walk past a miss: `website.kube-system` from the client pod
        walk = dns_lookup_view(state, None, "website.kube-system", pod="default/client", resolver=resolver,
                               model=model)
        live = walk.with_actuals(ask(lab_cluster, [(q.fqdn, q.type) for q in walk.queries]))
        assert live.mismatches == (), [(q.fqdn, q.mismatch) for q in live.queries]
        print(resolver, [(q.fqdn, q.expected.rcode) for q in walk.queries], walk.stop)

from test_dns_lab import ep, eps, lab_cluster, lab_node, pod, service

from k8snet_tui.domain.dns import (
    build_dns_model,
    build_dns_view,
    dns_lookup_view,
    service_dns_names,
)
from k8snet_tui.domain.dns.answers import Expected
from k8snet_tui.domain.dns.lookup import Actual, mismatch
from k8snet_tui.present.dns import lookup_model
from k8snet_tui.present.serialize import to_jsonable

Z = "default.svc.cluster.local."


def corefile(k8s_options="pods insecure\n fallthrough in-addr.arpa ip6.arpa"):
    text = (".:53 {\n kubernetes cluster.local in-addr.arpa ip6.arpa {\n " + k8s_options +
            "\n }\n forward . /etc/resolv.conf\n}\n")
    return {"kind": "ConfigMap", "metadata": {"namespace": "kube-system", "name": "coredns"},
            "data": {"Corefile": text}}


def model(extra=(), options=None):
    cm = corefile() if options is None else corefile(options)
    return build_dns_model(lab_cluster(extra=[cm, *extra]))


def test_cluster_ip_a_and_aaaa_nodata():
    m = model()
    assert m.expect(f"website.{Z}", "A") == Expected("NOERROR", ("10.111.148.30",))
    assert m.expect(f"website.{Z}", "AAAA").kind == "NODATA"


def test_missing_service_and_namespace_nxdomain_existing_namespace_nodata():
    m = model()
    assert m.expect(f"nope.{Z}", "A").kind == "NXDOMAIN"
    assert m.expect("default.svc.cluster.local.", "A").kind == "NODATA"
    assert m.expect("nosuchns.svc.cluster.local.", "A").kind == "NXDOMAIN"
    assert m.expect("website.cluster.local.", "A").kind == "NXDOMAIN"  # neither svc nor pod


def test_zone_apex_and_svc_label_are_nodata():
    m = model()
    for name in ("cluster.local.", "svc.cluster.local.", "pod.cluster.local."):
        assert m.expect(name, "A").kind == "NODATA", name
    assert m.expect("cluster.local.", "SOA").found
    assert m.expect("cluster.local.", "NS").answers == ("ns.dns.cluster.local.",)


def test_headless_only_ready_endpoints_and_nxdomain_when_none():
    nr = eps("default", "headlesswebsite", [ep("10.0.0.77", ready=False)],
             [{"name": "http", "port": 80, "protocol": "TCP"}], name="hw-2")
    m = model(extra=[nr])
    assert sorted(m.expect(f"headlesswebsite.{Z}", "A").answers) == ["10.0.0.12", "10.0.0.202"]
    empty = service("default", "lonely", "None", [{"name": "x", "port": 1, "protocol": "TCP"}])
    assert model(extra=[empty]).expect(f"lonely.{Z}", "A").kind == "NXDOMAIN"


def test_endpoint_names_dashed_ip_hostname_and_pod_names():
    m = model()
    assert m.expect(f"10-0-0-12.headlesswebsite.{Z}", "A").answers == ("10.0.0.12",)
    assert m.expect(f"webstate-2.webstate.{Z}", "A").answers == ("10.0.0.52",)
    assert m.expect(f"10-0-0-12.website.{Z}", "A").answers == ("10.0.0.12",)  # CoreDNS serves these for ClusterIP services too
    named = model(options="pods insecure\n endpoint_pod_names")
    assert named.expect(f"website-5746f499f-nnpxc.headlesswebsite.{Z}", "A").answers == ("10.0.0.12",)
    assert named.expect(f"10-0-0-12.headlesswebsite.{Z}", "A").kind == "NXDOMAIN"


def test_srv_named_ports_bare_query_and_unnamed():
    m = model()
    dns = m.expect("_dns._udp.kube-dns.kube-system.svc.cluster.local.", "SRV")
    assert dns.answers == ("0 100 53 kube-dns.kube-system.svc.cluster.local.",)
    bare = m.expect("kube-dns.kube-system.svc.cluster.local.", "SRV")
    # every port, weight shared among the three records
    assert sorted(bare.answers) == ["0 33 53 kube-dns.kube-system.svc.cluster.local.",
                                    "0 33 9153 kube-dns.kube-system.svc.cluster.local."]
    assert m.expect(f"_http._tcp.website.{Z}", "SRV").kind == "NXDOMAIN"  # website's port has no name
    assert m.expect(f"_http._tcp.headlesswebsite.{Z}", "SRV").answers[0].endswith(f"headlesswebsite.{Z}")


def test_external_name_is_a_cname_and_srv_is_nodata():
    ext = service("default", "db", None, [], type_="ExternalName", externalName="db.example.com")
    m = model(extra=[ext])
    a = m.expect(f"db.{Z}", "A")
    assert a.answers == ("CNAME db.example.com.",) and a.partial
    assert m.expect(f"db.{Z}", "CNAME").answers == ("CNAME db.example.com.",)
    assert m.expect(f"db.{Z}", "SRV").kind == "NODATA"
    inside = service("default", "alias", None, [], type_="ExternalName", externalName=f"website.{Z}")
    assert model(extra=[inside]).expect(f"alias.{Z}", "A").answers == (f"CNAME website.{Z}", "10.111.148.30")


def test_ptr_for_cluster_ip_and_endpoint_ip_and_upstream_otherwise():
    m = model()
    assert m.expect("30.148.111.10.in-addr.arpa.", "PTR").answers == (f"website.{Z}",)
    assert sorted(m.expect("12.0.0.10.in-addr.arpa.", "PTR").answers) == [
        f"10-0-0-12.headlesswebsite.{Z}", f"10-0-0-12.website.{Z}"]
    assert m.expect("58.0.0.10.in-addr.arpa.", "PTR").answers == (f"webstate-0.webstate.{Z}",)
    other = m.expect("8.8.8.8.in-addr.arpa.", "PTR")
    assert other.rcode is None and "upstream" in other.note


def test_pod_records_depend_on_pods_mode():
    assert model().expect("10-0-0-99.default.pod.cluster.local.", "A").answers == ("10.0.0.99",)
    assert model().expect("1-2-3-4.default.pod.cluster.local.", "A").answers == ("1.2.3.4",)  # insecure: no check
    verified = model(options="pods verified")
    assert verified.expect("10-0-0-99.default.pod.cluster.local.", "A").found
    assert verified.expect("1-2-3-4.default.pod.cluster.local.", "A").kind == "NXDOMAIN"
    disabled = model(options="pods disabled")
    assert disabled.expect("10-0-0-99.default.pod.cluster.local.", "A").kind == "NXDOMAIN"


def test_names_outside_the_zone_go_upstream_and_txt_version():
    m = model()
    e = m.expect("example.com.", "A")
    assert e.rcode is None and e.note == "forwarded upstream (unknown)"
    assert m.expect("dns-version.cluster.local.", "TXT").answers == ('"1.1.0"',)


def test_ignore_empty_service_and_namespaces_option():
    empty = service("default", "idle", "10.96.5.5", [{"port": 80, "protocol": "TCP"}])
    assert model(extra=[empty]).expect(f"idle.{Z}", "A").found
    assert model(extra=[empty], options="ignore empty_service").expect(f"idle.{Z}", "A").kind == "NXDOMAIN"
    assert model(options="namespaces kube-system").expect(f"website.{Z}", "A").kind == "NXDOMAIN"


def test_malformed_objects_degrade():
    junk = [{"kind": "Service", "metadata": {"namespace": "default", "name": "bad"}, "spec": "oops"},
            {"kind": "EndpointSlice", "metadata": {"namespace": "default", "labels": {
                "kubernetes.io/service-name": "bad"}}, "endpoints": [1, {"addresses": "x"}], "ports": "p"},
            {"kind": "Service", "metadata": "nope"}]
    m = model(extra=junk)
    assert m.expect(f"bad.{Z}", "A").kind in ("NXDOMAIN", "NODATA")
    assert m.expect(f"website.{Z}", "A").found


def test_mismatch_flags():
    exp = Expected("NOERROR", ("10.0.0.1", "10.0.0.2"))
    assert mismatch(exp, Actual("NOERROR", ("10.0.0.2", "10.0.0.1"))) is None
    assert "missing" in mismatch(exp, Actual("NOERROR", ("10.0.0.1",)))
    assert "rcode" in mismatch(exp, Actual("NXDOMAIN"))
    assert "timed out" in mismatch(exp, Actual(error="timed out"))
    assert mismatch(Expected(None), Actual("NOERROR", ("1.1.1.1",))) is None


def test_lookup_view_attaches_actuals():
    v = dns_lookup_view(lab_cluster(), lab_node(), "website", pod="default/client")
    v2 = v.with_actual(0, Actual("NOERROR", ("10.9.9.9",), ttl=30, latency_ms=1.5))
    assert v.queries[0].actual is None and v2.mismatches == (0,)
    j = to_jsonable(lookup_model(v2))["queries"][0]  # what `dns --json` prints
    assert j["actual"]["ttl"] == 30 and "unexpected 10.9.9.9" in j["mismatch"]
    assert v.with_actual(99, Actual("NOERROR")) is v


def test_names_list_and_pane_view():
    extra = [pod("default", "webstate-9", hostname="webstate-9", subdomain="webstate")]
    rows = service_dns_names(lab_cluster(extra=extra))
    by = {(r.fqdn, r.qtype): r for r in rows}
    assert by[(f"website.{Z}", "A")].answers == ("10.111.148.30",)
    assert (f"_http._tcp.headlesswebsite.{Z}", "SRV") in by
    assert by[(f"webstate-1.webstate.{Z}", "A")].kind == "pod-identity"
    assert "not a ready endpoint" in by[(f"webstate-9.webstate.{Z}", "A")].note
    j = build_dns_view(lab_cluster(), lab_node()).to_json()
    assert j["cluster_dns"]["ips"] == ["10.96.0.10"] and j["corefile"]["source"].startswith("assumed")
    assert j["node_resolv_conf"]["search"] == ["eu-central-1.compute.internal"]


def test_namespace_list_unknown_is_inferred_from_objects():
    c = lab_cluster(drop={("Namespace", "default"), ("Namespace", "kube-system")})
    m = build_dns_model(c)
    assert m.expect(f"website.{Z}", "A").found
    assert any("Namespaces not readable" in n for n in m.notes)

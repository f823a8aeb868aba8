"""`diagnose` on the bundled lab (a real capture) and on the Debug Services guide's classic causes
made from it (lab.py says how each is shaped): the first failing hop, its fix in words, and
that missing data is "unknown" with its reason, never "ok"."""

from __future__ import annotations

import pytest

from k8snet_tui.domain.path import KINDS, PathInputError, diagnose

from .lab import CLIENT, EMISSARY, OFF_NODE, ON_NODE_1, WEBSITE_PODS, declare_port, edited, find, lab, policy, website_slice
from tests import lab_roles as roles

WEBSITE_IP = roles.cluster_ip("default", "website")
NODE_1_IP = roles.node_ip(roles.captured_node())
INGRESS_NODEPORT = roles.node_port("emissary", "emissary-ingress", "http")


def verdicts(d):
    return {h.hop: h.verdict for h in d.hops}


def test_a_pod_on_the_captured_node_reaches_the_website_and_every_hop_is_ok():
    d = diagnose(lab(), ON_NODE_1, "website:80")
    assert d.reachable and d.verdict == "reachable" and d.first_failure is None
    assert [h.hop for h in d.hops] == ["dns", "service", "endpoints", "port", "datapath", "network", "policy"]
    assert set(verdicts(d).values()) == {"ok"}
    assert d.dial == f"{WEBSITE_IP}:80"
    assert roles.svc_chain("default", "website", "http") in d.hop("datapath").summary  # the real chain of the capture
    # the endpoints are the three website pods' addresses
    assert sorted(e.address for e in d.endpoints) == sorted(roles.pod_ip(f"default/{p}") for p in WEBSITE_PODS)
    assert len(d.endpoints) == 3


def test_the_full_name_and_the_namespaced_name_resolve_like_the_short_one():
    for name in ("website.default:80", "website.default.svc.cluster.local:80", "website:http"):
        d = diagnose(lab(), ON_NODE_1, name)
        assert d.reachable, (name, [(h.hop, h.summary) for h in d.hops])


def test_a_node_without_kernel_state_makes_the_datapath_unknown_with_the_reason_never_ok():
    d = diagnose(lab(), OFF_NODE, "website:80")  # a pod on node-2: only node-1 was captured
    dp = d.hop("datapath")
    assert dp.verdict == "unknown" and roles.other_node() in dp.reason
    assert not d.reachable and d.verdict == "unknown" and d.first_failure is None
    # the same question judged on node-1's rules (--node) is whole again
    assert diagnose(lab(), OFF_NODE, "website:80", node=roles.captured_node()).hop("datapath").verdict == "ok"


def test_a_forbidden_kind_is_unknown_with_the_reason():
    base = lab()
    from dataclasses import replace

    cluster = replace(base.cluster, forbidden={"NetworkPolicy": "networkpolicies is forbidden: User cannot list"})
    d = diagnose(replace(base, cluster=cluster), ON_NODE_1, "website:80")
    assert d.hop("policy").verdict == "unknown" and "forbidden" in d.hop("policy").reason


def test_an_address_no_object_has_is_unknown_when_services_cannot_be_read():
    base = lab()
    from dataclasses import replace

    assert diagnose(base, ON_NODE_1, "192.0.2.7:443").hop("service").verdict == "ok"  # outside the cluster
    cluster = replace(base.cluster, forbidden={"Service": "services is forbidden"})
    hop = diagnose(replace(base, cluster=cluster), ON_NODE_1, "192.0.2.7:443").hop("service")
    assert hop.verdict == "unknown" and "Service cannot be read" in hop.reason


# -- the Debug Services guide's classic causes -----------------------------------------------------


def test_selector_typo_fails_endpoints_and_the_fix_compares_the_selector_with_the_pod_labels():
    def typo(objs):
        find(objs, "Service", "default", "website")["spec"]["selector"] = {"app": "webiste"}
        return [o for o in objs if o is not website_slice(objs)]  # the controller deletes the slice

    d = diagnose(edited(typo), ON_NODE_1, "website:80")
    assert d.first_failure.hop == "endpoints"
    assert "selects app=webiste" in d.first_failure.fix and "labelled app=website" in d.first_failure.fix


def test_pods_not_ready_fail_endpoints_and_name_the_pods():
    def not_ready(objs):
        for ep in website_slice(objs)["endpoints"]:
            ep["conditions"] = {"ready": False, "serving": False, "terminating": False}
        for pod in WEBSITE_PODS:
            find(objs, "Pod", "default", pod)["status"]["conditions"] = [
                {"type": "Ready", "status": "False", "reason": "ReadinessProbeFailed"}]
        return objs

    d = diagnose(edited(not_ready), ON_NODE_1, "website:80")
    assert d.first_failure.hop == "endpoints"
    assert "none ready" in d.first_failure.summary and "ReadinessProbeFailed" in d.first_failure.fix


def test_a_numeric_target_port_the_pods_do_not_declare_fails_port():
    def bad_port(objs):
        declare_port(objs)
        find(objs, "Service", "default", "website")["spec"]["ports"][0]["targetPort"] = 8080
        website_slice(objs)["ports"][0]["port"] = 8080
        return objs

    d = diagnose(edited(bad_port), ON_NODE_1, "website:80")
    assert d.first_failure.hop == "port"
    assert "targetPort 8080" in d.first_failure.fix and "80/TCP (http)" in d.first_failure.fix


def test_a_named_target_port_missing_on_the_pods_fails_port():
    def bad_name(objs):
        declare_port(objs)  # the pods call it "http"
        find(objs, "Service", "default", "website")["spec"]["ports"][0]["targetPort"] = "web"
        website_slice(objs)["ports"] = []  # the controller cannot number "web" on these pods
        return objs

    d = diagnose(edited(bad_name), ON_NODE_1, "website:80")
    assert d.first_failure.hop == "port"
    assert "'web'" in d.first_failure.fix and "(http)" in d.first_failure.fix


def test_a_named_target_port_the_pods_declare_resolves_per_pod():
    def named(objs):
        declare_port(objs)
        find(objs, "Service", "default", "website")["spec"]["ports"][0]["targetPort"] = "http"
        return objs

    d = diagnose(edited(named), ON_NODE_1, "website:80")
    assert d.hop("port").verdict == "ok" and d.reachable


def test_the_wrong_client_port_fails_the_service_hop_and_names_the_right_one():
    d = diagnose(lab(), ON_NODE_1, "website:8080")
    assert d.first_failure.hop == "service" and "its ports: 80/TCP (http)" in d.first_failure.fix
    # the NodePort on the ClusterIP, and the targetPort instead of the port, say what they are
    d = diagnose(lab(), ON_NODE_1, f"website:{roles.node_port('default', 'website', 'http')}")
    assert "NodePort of default/website" in d.first_failure.fix
    d = diagnose(lab(), ON_NODE_1, "emissary-ingress.emissary:8080")
    assert "targetPort" in d.first_failure.fix and "port 80" in d.first_failure.fix


def test_a_short_name_from_another_namespace_fails_dns_with_the_name_to_use():
    d = diagnose(lab(), EMISSARY, "website:80")
    assert d.first_failure.hop == "dns"
    assert "website.default" in d.first_failure.fix
    assert d.dial is None  # the pod never learns the address: nothing to connect to
    # the later hops are still judged, for the Service it most likely meant
    assert d.hop("endpoints").verdict == "ok" and d.hop("endpoints").after_failure


def test_default_deny_ingress_on_the_destination_fails_policy():
    def deny(objs):
        return objs + [policy("default", "deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]})]

    d = diagnose(edited(deny), EMISSARY, "website.default:80")
    assert d.first_failure.hop == "policy"
    assert "isolated for ingress by default/deny-ingress" in d.first_failure.fix


def test_egress_default_deny_without_dns_fails_dns_first_and_policy_after():
    def deny(objs):
        return objs + [policy("default", "deny-egress", {"podSelector": {}, "policyTypes": ["Egress"]})]

    d = diagnose(edited(deny), ON_NODE_1, "website:80")
    assert d.first_failure.hop == "dns" and "UDP 53" in d.first_failure.fix
    assert d.hop("policy").verdict == "fail" and d.hop("policy").after_failure
    # dialled by address there is no lookup: policy is the answer
    d = diagnose(edited(deny), ON_NODE_1, f"{WEBSITE_IP}:80")
    assert d.first_failure.hop == "policy" and "egress" in d.first_failure.fix


def test_a_service_missing_from_the_node_rules_fails_the_datapath():
    def late(objs):
        svc = find(objs, "Service", "default", "engine")
        new = {**svc, "metadata": {**svc["metadata"], "name": "late"},
               "spec": {**svc["spec"], "clusterIP": "10.96.200.1", "clusterIPs": ["10.96.200.1"]}}
        eps = next(o for o in objs if o.get("kind") == "EndpointSlice"
                   and o["metadata"]["labels"]["kubernetes.io/service-name"] == "engine")
        new_eps = {**eps, "metadata": {**eps["metadata"], "name": "late-x",
                                       "labels": {"kubernetes.io/service-name": "late"}}}
        return objs + [new, new_eps]

    d = diagnose(edited(late), ON_NODE_1, "late:80")
    assert d.first_failure.hop == "datapath"
    assert "node-1" in d.first_failure.summary and "kube-proxy" in d.first_failure.fix


# -- other destinations ----------------------------------------------------------------------------


def test_a_pod_ip_has_no_service_and_no_datapath_hop():
    engine = roles.engine_pod()
    d = diagnose(lab(), ON_NODE_1, f"{roles.pod_ip(engine)}:80")
    assert [h.hop for h in d.hops] == ["service", "port", "network", "policy"]
    assert d.reachable and engine in d.hop("service").summary


def test_a_headless_service_goes_to_the_pods_directly():
    d = diagnose(lab(), ON_NODE_1, "webstate:80")
    assert "headless" in d.hop("service").summary and d.hop("datapath") is None
    assert len(d.endpoints) == 3


def test_an_ingress_url_from_outside_walks_the_nodeport_and_the_route():
    d = diagnose(lab(), "outside", f"http://{NODE_1_IP}:{INGRESS_NODEPORT}/engine")
    assert d.reachable and [h.hop for h in d.hops][-1] == "route"
    assert "default/engine:80" in d.hop("route").summary
    d = diagnose(lab(), "outside", f"http://{NODE_1_IP}:{INGRESS_NODEPORT}/nothing-here")
    assert d.first_failure.hop == "route" and "404" in d.first_failure.summary


def test_a_url_to_a_plain_service_from_a_pod_is_routed_by_that_service_not_by_an_ingress():
    # `http://website/` from a pod reaches the Service website itself: no proxy in between, so no
    # Ingress rule has to match "/" (the route tester asked on its own answered 404 here).
    d = diagnose(lab(), ON_NODE_1, "http://website/")
    assert d.reachable, [(h.hop, h.verdict, h.summary) for h in d.hops]
    assert d.hop("route").verdict == "ok" and "Service default/website" in d.hop("route").summary
    # Through the ingress controller's own Service its rules decide, a 404 included
    d = diagnose(lab(), ON_NODE_1, "http://emissary-ingress.emissary/nothing-here")
    assert d.first_failure.hop == "route" and "404" in d.first_failure.summary


def test_an_outside_client_cannot_dial_a_cluster_ip():
    d = diagnose(lab(), "outside", f"{WEBSITE_IP}:80")
    assert d.first_failure.hop == "service"
    assert f"NodePort {roles.node_port('default', 'website', 'http')}" in d.first_failure.fix


def test_every_hop_kind_is_a_known_kind_and_hops_come_in_order():
    for src, dst in ((ON_NODE_1, "website:80"), ("outside", f"http://{NODE_1_IP}:{INGRESS_NODEPORT}/engine"),
                     (CLIENT, "webstate:80"), (OFF_NODE, "webstate:80"),
                     (f"node/{roles.captured_node()}", f"{WEBSITE_IP}:80")):
        kinds = [h.hop for h in diagnose(lab(), src, dst).hops]
        assert kinds == sorted(kinds, key=KINDS.index), kinds


@pytest.mark.parametrize("src,dst,words", [
    ("default/nope", "website:80", "no pod default/nope"),
    ("default/clinet", "website:80", "did you mean default/client"),
    ("client", "website:80", "is not NS/POD"),
    (CLIENT, "", "a destination is needed"),
    (CLIENT, "10.0.0.1", "which port"),
    (CLIENT, "website:99999", "not a port"),
    (CLIENT, "web_site..x:80", "is not NAME[:PORT]"),
    (CLIENT, "ftp://x/", "is not a URL"),
    ("node/nope", "website:80", "no node nope"),
])
def test_questions_that_cannot_be_asked_say_why(src, dst, words):
    with pytest.raises(PathInputError, match=None) as exc:
        diagnose(lab(), src, dst)
    assert words in str(exc.value)


def test_a_pod_without_an_ip_cannot_be_a_source():
    def pending(objs):
        pod = find(objs, "Pod", "default", "client")
        pod["status"] = {"phase": "Pending"}
        return objs

    with pytest.raises(PathInputError, match="has no IP yet"):
        diagnose(edited(pending), CLIENT, "website:80")

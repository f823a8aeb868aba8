"""Mesh detection from pod specs as Istio's injector, Istio ambient, Linkerd's injector and
Cilium leave them; unknown versions, conflicting annotations and rules that match no layout are
findings, never guesses. Shapes follow Istio's injection template (istio.io/istio
manifests/charts/istio-control/istio-discovery/files/injection-template.yaml: istio-init, istio-proxy,
native sidecar as an init container with restartPolicy Always) and Linkerd's docs
(linkerd-init, linkerd-proxy, linkerd.io/inject, config.linkerd.io/skip-outbound-ports)."""

from __future__ import annotations

from k8snet_tui.domain.datapath.iptables_save import parse_iptables_save
from k8snet_tui.domain.mesh.detect import detect_pod, image_tag
from k8snet_tui.domain.mesh.layout import read_layout
from k8snet_tui.domain.mesh.view import build_mesh_view
from k8snet_tui.domain.mesh.walk import outbound_packet, walk
from k8snet_tui.domain.model import ClusterState, NodeState


def pod(name="p", *, containers=(), inits=(), labels=None, annotations=None, ip="10.0.0.9", node="n1"):
    return {"kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": name, "namespace": "ns", "labels": labels or {}, "annotations": annotations or {}},
            "spec": {"nodeName": node, "containers": [{"name": "app", "image": "app:1"}, *containers],
                     "initContainers": list(inits)},
            "status": {"podIP": ip}}


PROXY = {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.24.2"}
INIT = {"name": "istio-init", "image": "docker.io/istio/proxyv2:1.24.2"}


def test_istio_sidecar_with_version_and_annotations():
    got = detect_pod(pod(containers=[PROXY], inits=[INIT],
                         annotations={"traffic.sidecar.istio.io/excludeOutboundPorts": "5432"}))
    assert (got.mesh, got.mode, got.version, got.init) == ("istio", "sidecar", "1.24.2", "istio-init")
    assert got.annotations == (("traffic.sidecar.istio.io/excludeOutboundPorts", "5432"),)
    assert got.findings == ()


def test_native_sidecar_and_cni_plugin():
    native = {**PROXY, "restartPolicy": "Always"}
    got = detect_pod(pod(inits=[{"name": "istio-validation", "image": "x"}, native]))
    assert (got.mesh, got.mode, got.init) == ("istio", "native sidecar", "istio-validation")


def test_ambient_on_pod_or_namespace_and_the_opt_out():
    assert detect_pod(pod(labels={"istio.io/dataplane-mode": "ambient"})).mode == "ambient"
    assert detect_pod(pod(), {"istio.io/dataplane-mode": "ambient"}).mode == "ambient"
    assert not detect_pod(pod(labels={"istio.io/dataplane-mode": "none"}), {"istio.io/dataplane-mode": "ambient"}).meshed


def test_linkerd_and_cilium():
    lk = detect_pod(pod(containers=[{"name": "linkerd-proxy", "image": "cr.l5d.io/linkerd/proxy:edge-24.11.8"}],
                        inits=[{"name": "linkerd-init", "image": "cr.l5d.io/linkerd/proxy-init:v2.4.1"}]))
    assert (lk.mesh, lk.mode, lk.version, lk.init) == ("linkerd", "sidecar", "edge-24.11.8", "linkerd-init")
    assert lk.findings == ()
    cil = detect_pod(pod(annotations={"policy.cilium.io/proxy-visibility": "<Egress/53/UDP/DNS>"}))
    assert (cil.mesh, cil.mode) == ("cilium", "node proxy")


def test_unknown_versions_are_findings():
    latest = detect_pod(pod(containers=[{**PROXY, "image": "istio/proxyv2:latest"}], inits=[INIT]))
    assert latest.version == "unknown" and any("not an Istio release" in f for f in latest.findings)
    future = detect_pod(pod(containers=[{**PROXY, "image": "istio/proxyv2:1.99.0"}], inits=[INIT]))
    assert future.version == "1.99.0" and any("does not know" in f for f in future.findings)
    digest = detect_pod(pod(containers=[{**PROXY, "image": "istio/proxyv2@sha256:abc"}], inits=[INIT]))
    assert digest.version == "unknown" and any("no tag" in f for f in digest.findings)
    assert image_tag("reg:5000/istio/proxyv2:1.2.3@sha256:ff") == "1.2.3"


def test_conflicting_annotations_are_findings():
    f = detect_pod(pod(containers=[PROXY], inits=[INIT], labels={"sidecar.istio.io/inject": "false"})).findings
    assert any("inject is \"false\"" in x for x in f)
    both = detect_pod(pod(containers=[PROXY, {"name": "linkerd-proxy", "image": "l:stable-2.14.1"}], inits=[INIT]))
    assert any("two meshes" in x for x in both.findings)
    amb = detect_pod(pod(containers=[PROXY], inits=[INIT], labels={"istio.io/dataplane-mode": "ambient"}))
    assert amb.mode == "sidecar" and any("ztunnel leaves pods with a sidecar" in x for x in amb.findings)
    bad = detect_pod(pod(containers=[PROXY], inits=[INIT],
                         annotations={"traffic.sidecar.istio.io/excludeOutboundPorts": "http,5432"}))
    assert any("not a list of ports" in x for x in bad.findings)
    stray = detect_pod(pod(annotations={"traffic.sidecar.istio.io/excludeOutboundPorts": "5432"}))
    assert not stray.meshed and any("they do nothing" in x for x in stray.findings)
    late = detect_pod(pod(), {"istio-injection": "enabled"})
    assert not late.meshed and any("asks for Istio injection" in x for x in late.findings)
    assert detect_pod(pod(), {"istio-injection": "enabled"}).findings != detect_pod(pod()).findings


LINKERD_RULES = """*nat
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:PROXY_INIT_REDIRECT - [0:0]
:PROXY_INIT_OUTPUT - [0:0]
-A PREROUTING -m comment --comment "proxy-init/install-proxy-init-prerouting" -j PROXY_INIT_REDIRECT
-A OUTPUT -m comment --comment "proxy-init/install-proxy-init-output" -j PROXY_INIT_OUTPUT
-A PROXY_INIT_REDIRECT -p tcp -m multiport --dports 4190,4191,4567,4568 -m comment --comment "proxy-init/ignore-port" -j RETURN
-A PROXY_INIT_REDIRECT -p tcp -m comment --comment "proxy-init/redirect-all-incoming-to-proxy-port" -j REDIRECT --to-ports 4143
-A PROXY_INIT_OUTPUT -m owner --uid-owner 2102 -m comment --comment "proxy-init/ignore-proxy-user-id" -j RETURN
-A PROXY_INIT_OUTPUT -o lo -m comment --comment "proxy-init/ignore-loopback" -j RETURN
-A PROXY_INIT_OUTPUT -p tcp -m multiport --dports 25,587,3306 -m comment --comment "proxy-init/ignore-port" -j RETURN
-A PROXY_INIT_OUTPUT -p tcp -m comment --comment "proxy-init/redirect-all-outgoing-to-proxy-port" -j REDIRECT --to-ports 4140
COMMIT
"""


def test_linkerd_layout_from_its_rules():
    # Linkerd's proxy-init is not served by the module proxy here: these rules are written after
    # its documented layout (linkerd.io "Architecture: linkerd-init"), ports 4140/4143, uid 2102
    d = parse_iptables_save(LINKERD_RULES)
    lay = read_layout(d)
    assert (lay.mesh, lay.outbound_port, lay.inbound_port) == ("linkerd", 4140, 4143)
    assert lay.excluded_uids == ("2102",) and set(lay.excluded_out_ports) == {"25", "587", "3306"}
    assert walk(d, outbound_packet("10.1.1.1", 80, pod_ips=("10.0.0.9",))).port == 4140
    assert walk(d, outbound_packet("10.1.1.1", 3306, pod_ips=("10.0.0.9",))).verdict == "out"
    assert walk(d, outbound_packet("10.1.1.1", 80, uid=2102, pod_ips=("10.0.0.9",))).verdict == "out"


def test_rules_that_match_no_layout_are_shown_with_a_finding():
    odd = "*nat\n:OUTPUT ACCEPT [0:0]\n:ISTIO_WEIRD - [0:0]\n-A OUTPUT -j ISTIO_WEIRD\n-A ISTIO_WEIRD -j RETURN\nCOMMIT\n"
    lay = read_layout(parse_iptables_save(odd))
    assert lay.mesh == "unrecognised" and lay.other_rules == ("-A ISTIO_WEIRD -j RETURN",)
    assert lay.findings and "no layout known here" in lay.findings[0]
    extra = ("*nat\n:OUTPUT ACCEPT [0:0]\n:ISTIO_OUTPUT - [0:0]\n:ISTIO_REDIRECT - [0:0]\n-A OUTPUT -j ISTIO_OUTPUT\n"
             "-A ISTIO_OUTPUT -m mark --mark 0x9 -j MARK --set-mark 0x1\n-A ISTIO_OUTPUT -j ISTIO_REDIRECT\n"
             "-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001\nCOMMIT\n")
    d = parse_iptables_save(extra)
    lay = read_layout(d)
    assert lay.mesh == "istio" and any("match no part" in f for f in lay.findings)
    w = walk(d, outbound_packet("10.1.1.1", 80))
    assert w.verdict == "unknown" and "--mark" in w.reason  # a match it does not judge: said, not guessed


def test_the_view_joins_readings_by_ip_and_says_why_not():
    rules = ("*nat\n:OUTPUT ACCEPT [0:0]\n:ISTIO_OUTPUT - [0:0]\n:ISTIO_REDIRECT - [0:0]\n-A OUTPUT -j ISTIO_OUTPUT\n"
             "-A ISTIO_OUTPUT -j ISTIO_REDIRECT\n-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001\nCOMMIT\n")
    meshed = pod("a", containers=[PROXY], inits=[INIT], ip="10.0.0.9")
    stray = pod("b", ip="10.0.0.10")
    other = pod("c", containers=[PROXY], inits=[INIT], ip="10.0.9.9", node="n2")
    cluster = ClusterState.from_objects([meshed, stray, other])
    node = NodeState(node="n1", pod_netns=(
        {"path": "/run/netns/a", "addresses": ["10.0.0.9"], "iptables": {"nft": rules}},
        {"path": "/run/netns/b", "addresses": ["10.0.0.10"], "iptables": {"nft": rules}}))
    view = build_mesh_view(cluster, {"n1": node})
    a, b, c = (view.pod(f"ns/{n}") for n in "abc")
    assert a is not None and a.redirects.outbound_port == 15001 and a.findings == ()
    assert b is not None and any("proxy that is not there" in f for f in b.findings)
    assert c is not None and c.redirects.state == "not read" and "n2" in c.redirects.reason


def test_a_node_read_without_its_pod_namespaces_is_not_read_never_none():
    """The probe reads pod namespaces only with --pod-netns: a node state without them (every live
    poll) says how to read them, instead of claiming that no namespace holds the pod."""
    meshed = pod("a", containers=[PROXY], inits=[INIT], ip="10.0.0.9")
    view = build_mesh_view(ClusterState.from_objects([meshed]), {"n1": NodeState(node="n1")})
    a = view.pod("ns/a")
    assert a is not None and a.redirects.state == "not read", a.redirects
    assert "--pod-netns" in a.redirects.reason and "no network namespace" not in a.redirects.reason


def test_hostile_readings_and_pods_never_crash():
    from k8snet_tui.domain.mesh.datapath import pod_datapath

    for reading in ({"addresses": 7, "errors": 3, "iptables": "x", "nft_ruleset": []},
                    {"addresses": ["10.0.0.9"], "iptables": {"nft": "*nat\n-A OUTPUT -j ISTIO_X\x1b[31m\nCOMMIT\n",
                                                                "legacy": 5}, "nft_ruleset": {"nftables": 9}},
                    {"error": ["not", "text"]}):
        dp = pod_datapath(reading)
        dp.walk(outbound_packet("10.0.0.1", 80))
    loop = ("*nat\n:OUTPUT ACCEPT [0:0]\n:ISTIO_OUTPUT - [0:0]\n:ISTIO_A - [0:0]\n-A OUTPUT -j ISTIO_OUTPUT\n"
            "-A ISTIO_OUTPUT -j ISTIO_A\n-A ISTIO_A -j ISTIO_OUTPUT\nCOMMIT\n")
    w = walk(parse_iptables_save(loop), outbound_packet("10.0.0.1", 80))
    assert w.verdict == "unknown" and "loop" in w.reason
    weird = {"metadata": {"name": 5, "labels": "x", "annotations": []}, "spec": {"containers": "no",
                                                                                  "initContainers": [3]}}
    assert not detect_pod(weird).meshed
    cluster = ClusterState.from_objects([pod("a", containers=[PROXY], inits=[INIT])])
    node = NodeState(node="n1", pod_netns=({"addresses": "10.0.0.9"}, {"addresses": [None, 4]}))
    assert build_mesh_view(cluster, {"n1": node}).pod("ns/a") is not None

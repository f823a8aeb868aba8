"""What pane 0 reads survives the capture allow-list: a sidecar pod's proxy containers, its
native-sidecar restartPolicy and the annotations that shape its redirect rules; Istio's mesh
kinds are listed for the live watchers and keep their modes, hosts, subsets and weights."""

from __future__ import annotations

from k8snet_tui.domain.mesh.detect import detect_pod
from k8snet_tui.sources.allowlist import slim
from k8snet_tui.sources.kinds import BY_NAME

POD = {
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "a", "namespace": "ns", "labels": {"app": "a"},
                 "annotations": {"sidecar.istio.io/status": "{}",
                                 "traffic.sidecar.istio.io/includeOutboundIPRanges": "10.0.0.0/8",
                                 "kubectl.kubernetes.io/last-applied-configuration": "{secret}"}},
    "spec": {"nodeName": "n1", "containers": [{"name": "app", "image": "app:1", "env": [{"name": "K", "value": "v"}]}],
             "initContainers": [{"name": "istio-init", "image": "istio/proxyv2:1.31.0"},
                                {"name": "istio-proxy", "image": "istio/proxyv2:1.31.0", "restartPolicy": "Always"}]},
    "status": {"podIP": "10.0.0.9"},
}


def test_a_native_sidecar_pod_reads_the_same_after_the_allow_list():
    kept = slim(POD)
    assert kept is not None
    assert detect_pod(kept) == detect_pod(POD)
    assert detect_pod(kept).mode == "native sidecar"
    assert "last-applied-configuration" not in str(kept) and "env" not in str(kept)


def test_istio_kinds_are_watched_and_keep_what_routes_need():
    for kind in ("PeerAuthentication", "AuthorizationPolicy", "DestinationRule", "VirtualService"):
        assert BY_NAME[kind].optional and BY_NAME[kind].panes == ("mesh",)
    vs = {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
          "metadata": {"name": "r", "namespace": "ns"},
          "spec": {"hosts": ["web"], "http": [{"route": [{"destination": {"host": "web", "subset": "v1"}, "weight": 90},
                                                         {"destination": {"host": "web", "subset": "v2"}, "weight": 10}],
                                               "headers": {"request": {"set": {"x-token": "s3cret"}}}}]}}
    kept = slim(vs)
    assert kept is not None and kept["spec"]["http"][0]["route"][1]["weight"] == 10
    assert "s3cret" not in str(kept)
    pa = slim({"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "metadata": {"name": "d", "namespace": "ns"},
               "spec": {"mtls": {"mode": "STRICT"}}})
    assert pa is not None and pa["spec"]["mtls"]["mode"] == "STRICT"

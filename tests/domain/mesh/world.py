"""A small mesh world for the configuration tests: Bookinfo's reviews Service (three versions,
Istio sidecars) in namespace shop, its productpage client, a client outside the mesh in legacy,
a database without a sidecar, and builders for the Istio, Gateway API and Linkerd objects."""

from __future__ import annotations

from typing import Any

from k8snet_tui.domain.mesh.config import ServiceConfig, service_config
from k8snet_tui.domain.model import ClusterState

ISTIO = [{"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.24.2"}]
ISTIO_INIT = [{"name": "istio-init", "image": "docker.io/istio/proxyv2:1.24.2"}]
LINKERD = [{"name": "linkerd-proxy", "image": "cr.l5d.io/linkerd/proxy:stable-2.14.10"}]
LINKERD_INIT = [{"name": "linkerd-init", "image": "cr.l5d.io/linkerd/proxy-init:v2.2.3"}]


def pod(ns: str, name: str, labels: dict[str, str], ip: str, *, proxy: str = "istio", sa: str = "default",
        port: int = 9080) -> dict[str, Any]:
    sidecar = {"istio": ISTIO, "linkerd": LINKERD, "": []}[proxy]
    init = {"istio": ISTIO_INIT, "linkerd": LINKERD_INIT, "": []}[proxy]
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"namespace": ns, "name": name, "labels": labels},
            "spec": {"serviceAccountName": sa, "nodeName": "node-1", "initContainers": init,
                     "containers": [{"name": "app", "image": "app:1",
                                     "ports": [{"name": "http", "containerPort": port}]}, *sidecar]},
            "status": {"podIP": ip}}


def service(ns: str, name: str, selector: dict[str, str], port: int = 9080, target: int | str = 9080,
            ip: str = "10.96.0.50") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"namespace": ns, "name": name},
            "spec": {"selector": selector, "clusterIP": ip,
                     "ports": [{"name": "http", "port": port, "targetPort": target}]}}


def obj(kind: str, ns: str, name: str, spec: Any, *, api: str = "", created: str = "2026-01-01T00:00:00Z") -> dict[str, Any]:
    group = api or {"PeerAuthentication": "security.istio.io/v1", "AuthorizationPolicy": "security.istio.io/v1",
                    "DestinationRule": "networking.istio.io/v1", "VirtualService": "networking.istio.io/v1",
                    "HTTPRoute": "gateway.networking.k8s.io/v1", "GRPCRoute": "gateway.networking.k8s.io/v1",
                    "Server": "policy.linkerd.io/v1beta3", "MeshTLSAuthentication": "policy.linkerd.io/v1alpha1",
                    "NetworkAuthentication": "policy.linkerd.io/v1alpha1"}[kind]
    return {"apiVersion": group, "kind": kind,
            "metadata": {"namespace": ns, "name": name, "creationTimestamp": created}, "spec": spec}


def base(server_proxy: str = "istio") -> list[dict[str, Any]]:
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": {}}}
        for n in ("shop", "legacy", "istio-system", "other")
    ] + [
        service("shop", "reviews", {"app": "reviews"}),
        pod("shop", "reviews-v1", {"app": "reviews", "version": "v1"}, "10.0.1.11", proxy=server_proxy),
        pod("shop", "reviews-v2", {"app": "reviews", "version": "v2"}, "10.0.1.12", proxy=server_proxy),
        pod("shop", "reviews-v3", {"app": "reviews", "version": "v3"}, "10.0.1.13", proxy=server_proxy),
        pod("shop", "productpage", {"app": "productpage"}, "10.0.1.20", sa="bookinfo-productpage",
            proxy=server_proxy),
        pod("legacy", "curl", {"app": "curl"}, "10.0.2.5", proxy=""),
        pod("other", "ratings", {"app": "ratings"}, "10.0.3.7", proxy=server_proxy, sa="ratings"),
        service("shop", "db", {"app": "db"}, port=5432, target=5432, ip="10.96.0.60"),
        pod("shop", "db-0", {"app": "db"}, "10.0.1.30", proxy="", port=5432),
    ]


def ask(objects: list[dict[str, Any]], *, svc: str = "shop/reviews", client: str = "shop/productpage",
        server_proxy: str = "istio", **kw: Any) -> ServiceConfig:
    cluster = ClusterState.from_objects(base(server_proxy) + objects)
    ns, _, name = svc.partition("/")
    source = None
    if client:
        cns, _, cname = client.partition("/")
        source = cluster.get("Pod", cns, cname)
        assert source is not None
    return service_config(cluster, ns, name, source=source, **kw)


def subsets_dr(ns: str = "shop", name: str = "reviews", **extra: Any) -> dict[str, Any]:
    return obj("DestinationRule", ns, name, {
        "host": "reviews", **extra,
        "subsets": [{"name": v, "labels": {"version": v}} for v in ("v1", "v2", "v3")]})


def rules_by(verdict_by: tuple[Any, ...]) -> list[str]:
    return [d.words for d in verdict_by]

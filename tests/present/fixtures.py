"""Small hand-written clusters for the presenter tests: two namespaces, one of everything."""

from __future__ import annotations

from k8snet_tui.domain.model import ClusterState, NodeState, Observed

LABEL = "kubernetes.io/service-name"


def svc(ns, name, *, kind="ClusterIP", ip="10.96.0.5", ports=({"name": "http", "port": 80},)):
    return {"kind": "Service", "metadata": {"namespace": ns, "name": name},
            "spec": {"type": kind, "clusterIP": ip, "ports": [dict(p) for p in ports]}}


def eps(ns, service, *endpoints, name=None):
    return {"kind": "EndpointSlice", "metadata": {"namespace": ns, "name": name or f"{service}-x",
                                                  "labels": {LABEL: service}},
            "addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
            "endpoints": [{"addresses": [ip], "conditions": {"ready": ready},
                           "targetRef": {"kind": "Pod", "name": pod, "namespace": ns}}
                          for ip, pod, ready in endpoints]}


def pod(ns, name, ip, node="node-1", ready=True):
    return {"kind": "Pod", "metadata": {"namespace": ns, "name": name},
            "spec": {"nodeName": node},
            "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                       "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


def ingress(ns, name, service, path="/"):
    return {"kind": "Ingress", "metadata": {"namespace": ns, "name": name},
            "spec": {"ingressClassName": "nginx", "rules": [{"http": {"paths": [
                {"path": path, "pathType": "Prefix",
                 "backend": {"service": {"name": service, "port": {"name": "http"}}}}]}}]}}


def node_obj(name, ip, cidr):
    return {"kind": "Node", "metadata": {"name": name},
            "spec": {"podCIDR": cidr, "podCIDRs": [cidr]},
            "status": {"addresses": [{"type": "InternalIP", "address": ip}]}}


def objects():
    return [
        svc("web", "site"), svc("web", "empty", ip="10.96.0.6"), svc("shop", "cart", ip="10.96.0.7"),
        svc("web", "ext", kind="ExternalName", ip=""),
        eps("web", "site", ("10.0.0.1", "site-a", True), ("10.0.0.2", "site-b", False)),
        eps("shop", "cart", ("10.0.1.1", "cart-a", True)),
        pod("web", "site-a", "10.0.0.1"), pod("web", "site-b", "10.0.0.2", ready=False),
        pod("shop", "cart-a", "10.0.1.1", node="node-2"),
        ingress("web", "site-in", "site", "/site"), ingress("shop", "cart-in", "cart", "/cart"),
        ingress("shop", "ghost-in", "ghost", "/ghost"),
        node_obj("node-1", "192.168.1.10", "10.0.0.0/24"), node_obj("node-2", "192.168.1.11", "10.0.1.0/24"),
    ]


NODE = NodeState(
    node="node-1",
    addresses=({"ifindex": 2, "ifname": "eth0", "link_type": "ether", "operstate": "UP", "mtu": 1500,
                "address": "52:54:00:00:00:01",
                "addr_info": [{"family": "inet", "local": "192.168.1.10", "prefixlen": 24, "scope": "global"}]},),
    routes=({"dst": "default", "gateway": "192.168.1.1", "dev": "eth0", "family": "inet"},
            {"dst": "10.0.1.0/24", "gateway": "192.168.1.11", "dev": "eth0", "family": "inet"}),
    neighbours=({"dst": "192.168.1.11", "dev": "eth0", "lladdr": "52:54:00:00:00:02", "state": ["REACHABLE"]},),
    resolv_conf="nameserver 10.96.0.10\nsearch web.svc.cluster.local svc.cluster.local\noptions ndots:5 edns0\n",
)


def observed(extra=()):
    cluster = ClusterState.from_objects([*objects(), *extra])
    return Observed(cluster=cluster, nodes={"node-1": NODE}, local_node="node-1")

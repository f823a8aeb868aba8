"""API lists (what `kubectl get -o json` / the API server return) for a generated cluster."""

from __future__ import annotations

from typing import Any

from .model import Cluster

CREATED = "2026-11-20T08:00:00Z"


def _meta(name: str, uid: str, rv: int, namespace: str | None = None, **extra: Any) -> dict[str, Any]:
    m: dict[str, Any] = {"name": name}
    if namespace is not None:
        m["namespace"] = namespace
    m.update({"uid": uid, "resourceVersion": str(rv), "creationTimestamp": CREATED})
    m.update(extra)
    return m


def _list(kind: str, api_version: str, items: list[dict[str, Any]], rv: int) -> dict[str, Any]:
    return {"kind": kind, "apiVersion": api_version, "metadata": {"resourceVersion": str(rv)}, "items": items}


def namespaces(c: Cluster) -> dict[str, Any]:
    items = [{"metadata": _meta(ns, f"ns-{k:08d}-0000-0000-0000-000000000000", 100 + k,
                                labels={"kubernetes.io/metadata.name": ns}),
              "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}
             for k, ns in enumerate(c.namespaces)]
    return _list("NamespaceList", "v1", items, 1_000_000)


def nodes(c: Cluster) -> dict[str, Any]:
    items = []
    for k, n in enumerate(c.nodes):
        items.append({
            "metadata": _meta(n.name, n.uid, 2000 + k, labels={
                "kubernetes.io/hostname": n.name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                "topology.kubernetes.io/zone": f"zone-{k % 3}"}),
            "spec": {"podCIDR": n.pod_cidr, "podCIDRs": [n.pod_cidr], "providerID": f"kwok://{n.name}"},
            "status": {
                "addresses": [{"type": "InternalIP", "address": n.ip}, {"type": "Hostname", "address": n.name}],
                "capacity": {"cpu": "8", "memory": "32Gi", "pods": "330"},
                "allocatable": {"cpu": "8", "memory": "32Gi", "pods": "330"},
                "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                "message": "kubelet is posting ready status",
                                "lastHeartbeatTime": CREATED, "lastTransitionTime": CREATED}],
                "nodeInfo": {"architecture": "amd64", "bootID": n.uid, "containerRuntimeVersion": "containerd://1.7.22",
                             "kernelVersion": "6.1.0-28-amd64", "kubeProxyVersion": "v1.33.1",
                             "kubeletVersion": "v1.33.1", "machineID": n.uid.replace("-", ""),
                             "operatingSystem": "linux", "osImage": "Debian GNU/Linux 12 (bookworm)",
                             "systemUUID": n.uid},
            },
        })
    return _list("NodeList", "v1", items, 1_000_000)


def pods(c: Cluster) -> dict[str, Any]:
    items = []
    node_ip = {n.name: n.ip for n in c.nodes}
    for k, p in enumerate(c.pods):
        rs = p.name.rsplit("-", 1)[0]
        items.append({
            "metadata": _meta(p.name, p.uid, 10_000 + k, p.namespace,
                              labels={"app" if p.app != "kube-dns" else "k8s-app": p.app, "pod-template-hash": "5d78c9869d"},
                              ownerReferences=[{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs,
                                                "uid": p.uid[:-12] + "000000000000", "controller": True,
                                                "blockOwnerDeletion": True}]),
            "spec": {
                "containers": [{"name": "app", "image": "registry.example/app:1.4.2", "imagePullPolicy": "IfNotPresent",
                                "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"},
                                          {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}],
                                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                                              "limits": {"memory": "256Mi"}},
                                "terminationMessagePath": "/dev/termination-log",
                                "terminationMessagePolicy": "File"}],
                "nodeName": p.node, "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
                "serviceAccountName": "default", "schedulerName": "default-scheduler",
                "terminationGracePeriodSeconds": 30, "enableServiceLinks": True, "priority": 0,
            },
            "status": {
                "phase": "Running", "qosClass": "Burstable", "startTime": CREATED,
                "hostIP": node_ip[p.node],
                "podIP": p.ip, "podIPs": [{"ip": p.ip}],
                "conditions": [{"type": t, "status": "True", "lastTransitionTime": CREATED}
                               for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")],
                "containerStatuses": [{"name": "app", "ready": True, "restartCount": 0, "started": True,
                                       "image": "registry.example/app:1.4.2",
                                       "imageID": "registry.example/app@sha256:" + "ab" * 32,
                                       "containerID": "containerd://" + p.uid.replace("-", "") * 2,
                                       "state": {"running": {"startedAt": CREATED}}}],
            },
        })
    return _list("PodList", "v1", items, 1_000_000)


def services(c: Cluster) -> dict[str, Any]:
    items = []
    for k, s in enumerate(c.services):
        ports = []
        for p in s.ports:
            d: dict[str, Any] = {"protocol": p.protocol, "port": p.port, "targetPort": p.target_port}
            if p.name:
                d = {"name": p.name, **d}
            if p.node_port:
                d["nodePort"] = p.node_port
            ports.append(d)
        spec: dict[str, Any] = {"type": s.type, "clusterIP": s.cluster_ip, "clusterIPs": [s.cluster_ip],
                                "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "ports": ports,
                                "sessionAffinity": "ClientIP" if s.affinity_seconds else "None",
                                "internalTrafficPolicy": "Cluster"}
        if s.affinity_seconds:
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": s.affinity_seconds}}
        if s.type == "NodePort":
            spec["externalTrafficPolicy"] = "Cluster"
        if s.selector:
            spec["selector"] = s.selector
        items.append({"metadata": _meta(s.name, s.uid, 500_000 + k, s.namespace), "spec": spec,
                      "status": {"loadBalancer": {}}})
    return _list("ServiceList", "v1", items, 1_000_000)


def endpointslices(c: Cluster) -> dict[str, Any]:
    items = []
    pod_uid = {(p.namespace, p.name): p.uid for p in c.pods}
    for k, s in enumerate(c.services):
        eps = [{"addresses": [e.ip], "conditions": {"ready": True, "serving": True, "terminating": False},
                "nodeName": e.node,
                **({"targetRef": {"kind": "Pod", "namespace": s.namespace, "name": e.pod,
                                  "uid": pod_uid[(s.namespace, e.pod)]}} if e.pod else {})}
               for e in s.endpoints]
        ports = [{"name": p.name, "protocol": p.protocol, "port": p.target_port} for p in s.ports]
        # The API splits at 100 endpoints per slice; generated services stay below that.
        items.append({
            "metadata": _meta(f"{s.name}-{s.uid[:5]}", f"es-{s.uid[3:]}", 700_000 + k, s.namespace,
                              labels={"kubernetes.io/service-name": s.name,
                                      "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"},
                              ownerReferences=[{"apiVersion": "v1", "kind": "Service", "name": s.name, "uid": s.uid,
                                                "controller": True, "blockOwnerDeletion": True}]),
            "addressType": "IPv4", "endpoints": eps, "ports": ports,
        })
    return _list("EndpointSliceList", "discovery.k8s.io/v1", items, 1_000_000)


LISTS = {"namespaces": namespaces, "nodes": nodes, "pods": pods, "services": services,
         "endpointslices": endpointslices}

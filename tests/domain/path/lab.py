"""The bundled lab snapshot (a real capture: API objects and node-1's kernel, tests/../data/lab),
and the classic breakages of the Kubernetes "Debug Services" guide made on top of it.

Each breakage edits the captured objects the way the cause shows in the API: a selector typo
leaves the Service without EndpointSlices (the controller deletes them); a failing readiness
probe turns the pods' Ready condition and the slice conditions false; a named targetPort the
pods lack leaves the slice with an empty port list (the EndpointSlice controller keeps the pods
but cannot number the port); a Service created while kube-proxy was stopped exists in the API
and not in the node's rules (node-1's captured dump). The edited shapes follow the test
cluster's real scenarios (tests/cluster/scenarios/path/).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import lru_cache

from k8snet_tui.domain.model import ClusterState, Obj, Observed, name_of, namespace_of
from k8snet_tui.sources.snapshot import bundled_lab_path, load_snapshot

from tests import lab_roles as roles

# The lab's pods by role (tests/lab_roles.py reads them from the lab's files: names and placement
# change from one capture to the next).
WEBSITE_PODS = roles.website_pods()
ON_NODE_1 = roles.website_pod()  # a website pod on node-1: the node whose kernel state was captured
OFF_NODE = roles.pod_on(roles.other_node(), namespace="default")  # on node-2: no kernel state captured
CLIENT = roles.client()
EMISSARY = roles.pod_in_other_namespace_on(roles.captured_node())  # another namespace, on node-1


@lru_cache(maxsize=1)
def _lab() -> Observed:
    snap = load_snapshot(bundled_lab_path())
    return Observed(cluster=snap.cluster, nodes=snap.nodes, local_node=snap.local_node)


def lab() -> Observed:
    return _lab()


def edited(edit: Callable[[list[Obj]], list[Obj]]) -> Observed:
    """The lab with its API objects passed through `edit` (a deep copy: the cached lab stays whole)."""
    base = _lab()
    objects = [copy.deepcopy(o) for kind in base.cluster.objects for o in base.cluster.of(kind)]
    return Observed(cluster=ClusterState.from_objects(edit(objects)), nodes=base.nodes, local_node=base.local_node)


def find(objects: list[Obj], kind: str, ns: str, name: str) -> Obj:
    return next(o for o in objects if o.get("kind") == kind and namespace_of(o) == ns and name_of(o) == name)


def website_slice(objects: list[Obj]) -> Obj:
    return next(o for o in objects if o.get("kind") == "EndpointSlice"
                and o["metadata"].get("labels", {}).get("kubernetes.io/service-name") == "website")


def declare_port(objects: list[Obj], name: str = "http", number: int = 80) -> None:
    """The website pods declare one containerPort (the captured pods declare none)."""
    for pod in WEBSITE_PODS:
        find(objects, "Pod", "default", pod)["spec"]["containers"][0]["ports"] = [
            {"name": name, "containerPort": number, "protocol": "TCP"}]


def policy(ns: str, name: str, spec: dict) -> Obj:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"namespace": ns, "name": name}, "spec": spec}

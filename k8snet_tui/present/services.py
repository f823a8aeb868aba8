"""Pane 4's table: every Service with its type, address, ports and ready/total endpoints."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from k8snet_tui.domain.consistency import SERVICE_TOPICS, ConsistencyReport, check_consistency
from k8snet_tui.domain.datapath.backend import Datapath, parse_node_datapath
from k8snet_tui.domain.datapath.endpoints import service_ports
from k8snet_tui.domain.model import ClusterState, NodeState, Obj, Observed, dig_str, name_of, namespace_of
from k8snet_tui.domain.service_index import ServiceIndex, service_index

from .common import node_for, objects_in
from .selection import Selection
from .serialize import JsonModel, json_field

COLUMNS = ("namespace", "name", "type", "cluster IP", "ports", "endpoints", "backend")


@dataclass(frozen=True, slots=True)
class ServiceRow:
    """One Service. JSON: namespace, name, type, cluster_ip ("" for none), ports
    ("80->31100/TCP, 443/TCP"), ready, total (distinct endpoint addresses), endpoints
    ("ready/total"), backend (the node's service datapath)."""

    namespace: str
    name: str
    type: str
    cluster_ip: str
    ports: str
    ready: int
    total: int
    endpoints: str
    backend: str
    health: str = field(default="", metadata=json_field(None))  # " !" some not ready, " ⚠" none

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def cells(self, reading: bool = False) -> tuple[str, ...]:
        """The table's cells; `reading`: the node's rules are still being parsed."""
        return (self.namespace, self.name, self.type, self.cluster_ip or "None", self.ports,
                self.endpoints + self.health, "…reading" if reading else self.backend)


@dataclass(frozen=True)
class ServicesModel(JsonModel):
    """`k8snet show services --json`: node, backend, rows; consistency: kube-proxy's configured mode
    (or Cilium's replacement) and the Service CIDR against the node's rules and routes (`k8snet
    check`'s shape), null while the node's rules are still being read."""

    node: str
    backend: str
    rows: tuple[ServiceRow, ...]
    namespace: str | None = field(default=None, metadata=json_field(None))
    consistency: ConsistencyReport | None = None


def service_consistency(observed: Observed, node: NodeState, datapath: Datapath) -> ConsistencyReport:
    """The proxy and Service CIDR checks of the node shown, from the datapath already parsed."""
    return check_consistency(observed.cluster, {node.node: node}, local_node=node.node, topics=SERVICE_TOPICS,
                             datapath=lambda _: datapath)


def _ports_text(svc: Obj) -> str:
    parts = []
    for p in service_ports(svc):
        np = f"->{p.node_port}" if p.node_port else ""
        parts.append(f"{p.port}{np}/{p.protocol}")
    return ", ".join(parts)


def _health(kind: str, ready: int, total: int) -> str:
    if kind == "ExternalName":
        return ""
    if not total:
        return " ⚠"
    if ready < total:
        return " !" if ready else " ⚠"
    return ""


def service_rows(cluster: ClusterState, backend: str, namespace: str | None) -> tuple[ServiceRow, ...]:
    """The rows, sorted by namespace and name (kept with the state: the same state, backend and
    namespace give the same rows, so a node poll that changed no object costs nothing)."""
    return cluster.memo(_rows, backend, namespace)


def _rows(cluster: ClusterState, backend: str, namespace: str | None) -> tuple[ServiceRow, ...]:
    # The backend is one column: the rows for another backend (the node's rules read after the
    # first rows were built, "unknown" until then) are those rows with that column changed.
    rows = cluster.memo(_rows_for_any_backend, namespace)
    return tuple(replace(r, backend=backend) for r in rows) if rows and rows[0].backend != backend else rows


def _rows_for_any_backend(cluster: ClusterState, namespace: str | None) -> tuple[ServiceRow, ...]:
    index = service_index(cluster)
    if namespace is None and cluster.deferred("EndpointSlice") is not None:
        # Every Service is counted, so every slice is read: a big snapshot's deferred slices in
        # one typed pass over the list (~0.2 s at scale L) rather than one decode per slice as
        # each Service asks for its own (~0.5 s). The slices decoded before stay the same objects.
        cluster.of("EndpointSlice")
    rows = [_row(svc, index, "unknown") for svc in objects_in(cluster, "Service", namespace)]
    rows.sort(key=lambda r: (r.namespace, r.name))
    return tuple(rows)


def _row(svc: Obj, index: ServiceIndex, backend: str) -> ServiceRow:
    ns, name = namespace_of(svc), name_of(svc)
    count = index.count(ns, name)
    kind = dig_str(svc, "spec", "type") or "ClusterIP"
    return ServiceRow(ns, name, kind, dig_str(svc, "spec", "clusterIP") or "", _ports_text(svc),
                      count.ready, count.total, f"{count.ready}/{count.total}", backend,
                      _health(kind, count.ready, count.total))


def first_service_rows(cluster: ClusterState, backend: str, namespace: str | None,
                       limit: int) -> tuple[tuple[ServiceRow, ...], int]:
    """The first `limit` rows of `service_rows` (the same rows in the same order) and how many
    rows there are in all, reading only those Services' EndpointSlices: a screenful to show
    while the whole table is built."""
    services = sorted(objects_in(cluster, "Service", namespace), key=lambda s: (namespace_of(s), name_of(s)))
    index = service_index(cluster)
    return tuple(_row(svc, index, backend) for svc in services[:limit]), len(services)


def present(observed: Observed, selection: Selection) -> ServicesModel:
    node = node_for(observed, selection.node)
    datapath = selection.datapath
    if datapath is None:
        datapath = parse_node_datapath(node, observed.cluster)
    backend = datapath.backend
    rows = service_rows(observed.cluster, backend, selection.namespace)
    return ServicesModel(node.node or datapath.node, backend, rows, selection.namespace,
                         service_consistency(observed, node, datapath))

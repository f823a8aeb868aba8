"""Which endpoints kube-proxy programs on a node: ready / serving-terminating, local, topology hints.

The cases are kube-proxy's own TestCategorizeEndpoints (k8s.io/kubernetes v1.36.3,
pkg/proxy/topology_test.go), written as EndpointSlice endpoints and Services.
"""

import json
from pathlib import Path

import pytest

from k8snet_tui.domain.datapath.endpoints import ServicePort, endpoints_for_port, select_endpoints
from k8snet_tui.domain.model import ClusterState, NodeState
from k8snet_tui.domain.services import trace_service

NODE = "test-node"


def _eps(*rows):
    """rows: (ip, zone hints, ready, local[, serving, terminating][, node hints])."""
    out = []
    for row in rows:
        ip, zones, ready, local = row[:4]
        serving, terminating = (row[4], row[5]) if len(row) > 5 else (ready, False)
        nodes = row[6] if len(row) > 6 else ()
        ep = {"addresses": [ip], "conditions": {"ready": ready, "serving": serving, "terminating": terminating},
              "nodeName": NODE if local else "elsewhere"}
        if zones or nodes:
            ep["hints"] = {"forZones": [{"name": z} for z in zones], "forNodes": [{"name": n} for n in nodes]}
        out.append(ep)
    return [{"kind": "EndpointSlice", "metadata": {"name": "s", "namespace": "ns"}, "endpoints": out,
             "ports": [{"name": "", "port": 80, "protocol": "TCP"}]}]


def _svc(itp="Cluster", etp="Cluster", node_port=None):
    spec = {"type": "NodePort" if node_port else "ClusterIP", "clusterIP": "172.30.0.1", "internalTrafficPolicy": itp,
            "externalTrafficPolicy": etp, "ports": [{"port": 80, "nodePort": node_port}]}
    return {"kind": "Service", "metadata": {"name": "svc", "namespace": "ns"}, "spec": spec}


A, B, C = ("zone-a",), ("zone-b",), ("zone-c",)
CASES = [
    ("should use topology since all endpoints have hints ... endpoints for the node's zone", "zone-a", _svc(),
     [("10.1.2.3", A, True, False), ("10.1.2.4", B, True, False), ("10.1.2.5", C, True, False), ("10.1.2.6", A, True, False)],
     {"10.1.2.3", "10.1.2.6"}, None, "PreferSameZone"),
    ("externalTrafficPolicy: Local, topology ignored for Local endpoints", "zone-a", _svc(etp="Local", node_port=8080),
     [("10.1.2.3", A, True, True), ("10.1.2.4", B, True, True), ("10.1.2.5", C, True, False), ("10.1.2.6", A, True, False)],
     {"10.1.2.3", "10.1.2.6"}, {"10.1.2.3", "10.1.2.4"}, "PreferSameZone"),
    ("internalTrafficPolicy: Local, topology ignored for Local endpoints", "zone-a", _svc(itp="Local", node_port=8080),
     [("10.1.2.3", A, True, True), ("10.1.2.4", B, True, True), ("10.1.2.5", C, True, False), ("10.1.2.6", A, True, False)],
     {"10.1.2.3", "10.1.2.6"}, {"10.1.2.3", "10.1.2.4"}, "PreferSameZone"),
    ("empty node labels", "", _svc(), [("10.1.2.3", A, True, False)], {"10.1.2.3"}, None, ""),
    ("node in different zone, no endpoint filtering", "zone-b", _svc(), [("10.1.2.3", A, True, False)],
     {"10.1.2.3"}, None, ""),
    ("unready endpoint", "zone-a", _svc(),
     [("10.1.2.3", A, True, False), ("10.1.2.4", B, True, False), ("10.1.2.5", C, True, False), ("10.1.2.6", A, False, False)],
     {"10.1.2.3"}, None, "PreferSameZone"),
    ("only unready endpoints in same zone (should not filter)", "zone-a", _svc(),
     [("10.1.2.3", A, False, False), ("10.1.2.4", B, True, False), ("10.1.2.5", C, True, False), ("10.1.2.6", A, False, False)],
     {"10.1.2.4", "10.1.2.5"}, None, ""),
    ("missing hints, no filtering applied", "zone-a", _svc(),
     [("10.1.2.3", A, True, False), ("10.1.2.4", B, True, False), ("10.1.2.5", (), True, False), ("10.1.2.6", A, True, False)],
     {"10.1.2.3", "10.1.2.4", "10.1.2.5", "10.1.2.6"}, None, ""),
    ("multiple hints per endpoint, filtering includes any endpoint with zone included", "zone-c", _svc(),
     [("10.1.2.3", ("zone-a", "zone-b", "zone-c"), True, False), ("10.1.2.4", ("zone-b", "zone-c"), True, False),
      ("10.1.2.5", ("zone-b", "zone-d"), True, False), ("10.1.2.6", C, True, False)],
     {"10.1.2.3", "10.1.2.4", "10.1.2.6"}, None, "PreferSameZone"),
    ("PreferSameNode available", "zone-a", _svc(),
     [("10.1.2.3", A, True, False, True, False, (NODE,)), ("10.1.2.4", B, True, False, True, False, ("node-2",)),
      ("10.1.2.5", C, True, False, True, False, ("node-3",)), ("10.1.2.6", A, True, False, True, False, ("node-4",))],
     {"10.1.2.3"}, None, "PreferSameNode"),
    ("PreferSameNode falls back to PreferSameZone if no endpoint for node", "zone-a", _svc(),
     [("10.1.2.3", A, True, False, True, False, ("node-1",)), ("10.1.2.4", B, True, False, True, False, ("node-2",)),
      ("10.1.2.5", C, True, False, True, False, ("node-3",)), ("10.1.2.6", A, True, False, True, False, ("node-4",))],
     {"10.1.2.3", "10.1.2.6"}, None, "PreferSameZone"),
    ("conflicting topology and localness require merging allEndpoints", "zone-a", _svc(etp="Local", node_port=8080),
     [("10.0.0.0", A, True, True), ("10.0.0.1", B, True, True), ("10.0.0.2", A, True, False), ("10.0.0.3", B, True, False)],
     {"10.0.0.0", "10.0.0.2"}, {"10.0.0.0", "10.0.0.1"}, "PreferSameZone"),
    ("internalTrafficPolicy: Local, but all endpoints are remote", "", _svc(itp="Local"),
     [("10.0.0.0", (), True, False), ("10.0.0.1", (), True, False)], None, set(), ""),
    ("Cluster traffic policy, all endpoints are terminating", "", _svc(),
     [("10.0.0.0", (), False, True, True, True), ("10.0.0.1", (), False, False, True, True)],
     {"10.0.0.0", "10.0.0.1"}, None, ""),
    ("iTP: Cluster, eTP: Local, with terminating endpoints", "", _svc(etp="Local", node_port=8080),
     [("10.0.0.0", (), True, False), ("10.0.0.1", (), False, True, False, False), ("10.0.0.2", (), False, True, True, True),
      ("10.0.0.3", (), False, False, True, True)],
     {"10.0.0.0"}, {"10.0.0.2"}, ""),
    ("externalTrafficPolicy ignored if not externally accessible", "", _svc(etp="Local"),
     [("10.0.0.0", (), True, False), ("10.0.0.1", (), True, True)], {"10.0.0.0", "10.0.0.1"}, None, ""),
]


@pytest.mark.parametrize("name, zone, svc, rows, cluster, local, mode", CASES, ids=[c[0][:60] for c in CASES])
def test_endpoint_selection_is_kube_proxys(name, zone, svc, rows, cluster, local, mode):
    eps = endpoints_for_port(_eps(*rows), ServicePort("", "TCP", 80, "80", None))
    sel = select_endpoints(eps, svc, NODE, zone)
    assert sel.topology == mode
    if cluster is None:
        assert not sel.uses_cluster
    else:
        assert sel.uses_cluster and {e.address for e in sel.cluster} == cluster
    if local is None:
        assert not sel.uses_local
    else:
        assert sel.uses_local and {e.address for e in sel.local} == local


def test_hints_used_and_ignored_are_findings():
    """On kube-proxy 1.36's own ruleset: hints for this zone are used, for another zone ignored."""
    fix = Path(__file__).parent / "fixtures" / "realworld"
    meta = json.loads((fix / "v1.36-overall.json").read_text())
    node = NodeState(node="test-node", iptables={"nft": (fix / "v1.36-overall.iptables-save.txt").read_text()})
    objs = [o for o in meta["objects"]]
    for o in objs:
        if o["kind"] == "EndpointSlice" and o["metadata"]["namespace"] == "ns1":
            o["endpoints"][0]["hints"] = {"forZones": [{"name": "zone-a"}]}
    for zone, code in (("zone-a", "topology-hints-used"), ("zone-b", "topology-hints-ignored")):
        node_obj = {"kind": "Node", "metadata": {"name": "test-node", "labels": {"topology.kubernetes.io/zone": zone}}}
        port = trace_service(ClusterState.from_objects([*objs, node_obj]), node, "ns1", "svc1").ports[0]
        found = [f for f in port.findings if f.code.startswith("topology-hints")]
        assert [f.code for f in found] == [code]
        assert zone in found[0].message

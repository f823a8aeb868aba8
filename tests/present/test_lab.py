"""The guided lab's presenters on the bundled lab: every stop's answer comes from the data.

Expected values are read from the snapshot's own files (services.json, nodes.json, the
iptables dump) where they can be, and the answers are checked to change when the data does:
another cluster gets its own answer, never the lab's words.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from k8snet_tui.collect.session import SnapshotSession
from k8snet_tui.domain.model import ClusterState, Observed
from k8snet_tui.present import Selection
from k8snet_tui.present.lab import COMING, STOPS, present, present_stop
from k8snet_tui.present.serialize import to_jsonable
from k8snet_tui.sources.snapshot import load_snapshot

from tests.lab_roles import endpoint_addresses

LAB = Path(__file__).resolve().parents[2] / "k8snet_tui" / "data" / "lab"


@pytest.fixture(scope="module")
def lab() -> Observed:
    return SnapshotSession(load_snapshot("lab")).observed()


def api(kind: str) -> list[dict]:
    doc = json.loads((LAB / "api" / f"{kind}.json").read_text())
    return doc["items"] if isinstance(doc, dict) else doc


def _svc(name: str, ns: str = "default") -> dict:
    return next(s for s in api("services") if s["metadata"]["name"] == name and s["metadata"]["namespace"] == ns)


def stop(observed: Observed, label: str):
    for i in range(len(STOPS)):
        s = present_stop(observed, i)
        if s.label == label:
            return s
    raise AssertionError(f"no stop {label}")


def text(s) -> str:
    return "\n".join(s.answer.lines)


def test_steps_one_to_six_in_order_and_none_coming(lab):
    model = present(lab, Selection())
    assert [s.step for s in model.stops] == sorted(s.step for s in model.stops)
    assert {s.step for s in model.stops} == {1, 2, 3, 4, 5, 6}
    assert COMING == ()
    json.dumps(to_jsonable(model))  # typed all the way: the serializer takes it


def test_public_ip_not_in_snapshot_says_why_and_what_would_give_it(lab):
    s = stop(dataclasses.replace(lab, cloud=None), "1.1")  # a capture without cloud.json
    assert s.pane == "internet" and not s.answer.known
    assert "no cloud metadata" in text(s) and "k8snet capture" in text(s)
    host_ip = next(a["addr_info"] for a in json.loads((LAB / "nodes/node-1/ip-addr.json").read_text())
                   if a["ifname"] == "eth0")[0]["local"]
    assert host_ip in text(s)


def test_public_ip_comes_from_cloud_facts_when_there_are_some(lab):
    cloudy = dataclasses.replace(lab, cloud={"provider": "aws", "public_ipv4": "203.0.113.7",
                                             "private_ipv4": "172.31.24.84", "outbound_ipv4": "203.0.113.7"})
    s = stop(cloudy, "1.1")
    assert s.answer.known and "203.0.113.7" in text(s) and "172.31.24.84" in text(s)


def test_host_address_and_the_neighbours(lab):
    s = stop(lab, "1.2")
    nodes = {n["metadata"]["name"]: n for n in api("nodes")}
    node2_ip = next(a["address"] for a in nodes["node-2"]["status"]["addresses"] if a["type"] == "InternalIP")
    assert "eth0 has 172.31.24.84/20" in text(s) and "RFC 1918" in text(s)
    assert f"node-2 {node2_ip}" in text(s)


def test_pod_ranges_per_node_from_the_nodes(lab):
    s = stop(lab, "1.3")
    cfg = next(c for c in api("configmaps") if c["metadata"]["name"] == "cilium-config")["data"]
    assert cfg["cluster-pool-ipv4-cidr"] in text(s)
    for n in api("nodes"):
        assert f"{n['metadata']['name']} has {n['spec']['podCIDR']}" in text(s)
    assert s.lab_command == "cilium config view | grep cluster-pool"


def test_tunnel(lab):
    s = stop(lab, "1.4")
    cfg = next(c for c in api("configmaps") if c["metadata"]["name"] == "cilium-config")["data"]
    assert f"Tunnel: {cfg['tunnel']}, UDP 8472" in text(s)


def test_cluster_ip_and_endpoints(lab):
    s = stop(lab, "2.1")
    ip = _svc("website")["spec"]["clusterIP"]
    ready = sorted(e["addresses"][0] for sl in api("endpointslices")
                   if sl["metadata"]["labels"].get("kubernetes.io/service-name") == "website"
                   and sl["metadata"]["namespace"] == "default" for e in sl["endpoints"])
    assert f"cluster IP {ip}" in text(s)
    for addr in ready:
        assert f"{addr}:80" in text(s)
    assert (s.pane, s.verb, s.arg) == ("services", "svc", "website")


def test_svc_chain_and_probabilities_from_the_dump(lab):
    s = stop(lab, "2.2")
    # The chain of default/website:http is the lab's own (the hash of the service-port name).
    assert "KUBE-SVC-RYQJBQ5TR32XWAUN" in text(s)
    dump = (LAB / "nodes/node-1/iptables-legacy-save.txt").read_text()
    probs = re.findall(r"-A KUBE-SVC-RYQJBQ5TR32XWAUN .*--probability (\S+)", dump)
    assert probs and all(f"p={p}" in text(s) for p in probs)
    assert text(s).count("→ 33.3%") == 3
    assert s.lab_command.endswith("grep -A4 'Chain KUBE-SVC-RYQJBQ5TR32XWAUN'")


def test_counted_hit_is_the_busiest_endpoint_rule(lab):
    s = stop(lab, "2.3")
    dump = (LAB / "nodes/node-1/iptables-legacy-save.txt").read_text()
    counts = {ip: int(pk) for pk, ip in re.findall(r"^\[(\d+):\d+\] -A KUBE-SEP-\w+ .*website:http.*DNAT "
                                                     r"--to-destination (\S+):80", dump, re.M)}
    busiest = max(counts, key=counts.get)
    assert f"Most packets ({counts[busiest]})" in text(s) and f"at {busiest}:80" in text(s)


def test_counters_missing_is_said(lab):
    nodes = {k: dataclasses.replace(v, iptables={b: re.sub(r"^\[\d+:\d+\] ", "", t, flags=re.M)
                                                 for b, t in v.iptables.items()})
             for k, v in lab.nodes.items()}
    s = stop(dataclasses.replace(lab, nodes=nodes), "2.3")
    assert not s.answer.known and "without packet counters" in text(s)


def test_resolv_conf_and_query_count(lab):
    s = stop(lab, "3.1")
    dns_ip = _svc("kube-dns", "kube-system")["spec"]["clusterIP"]
    assert f"nameserver {dns_ip}" in text(s)
    assert "search default.svc.cluster.local svc.cluster.local cluster.local" in text(s)
    assert "costs 1 query" in text(s) and _svc("website")["spec"]["clusterIP"] in text(s)
    assert (s.pane, s.arg) == ("dns", "website --pod default/client")


def test_nameserver_is_kube_dns(lab):
    assert "kube-system/kube-dns" in text(stop(lab, "3.2"))


def test_headless_answers_pod_addresses(lab):
    s = stop(lab, "3.3")
    addresses = endpoint_addresses("default", "headlesswebsite")
    assert len(addresses) == 3  # the website pods'
    for addr in addresses:
        assert addr in text(s)


def test_node_port_and_ext_chain(lab):
    s = stop(lab, "4.1")
    np = _svc("website")["spec"]["ports"][0]["nodePort"]
    assert f"node port {np}" in text(s) and "KUBE-EXT-RYQJBQ5TR32XWAUN" in text(s)
    assert s.lab_command.endswith(f"grep {np}")


def test_gateway_routes(lab):
    s = stop(lab, "4.2")
    np = next(p["nodePort"] for p in _svc("emissary-ingress", "emissary")["spec"]["ports"] if p["port"] == 80)
    assert f":{np}" in text(s)
    assert "Mapping default/website → default/website:80" in text(s)
    assert "Ingress default/web-ingress → default/engine:80" in text(s)


def test_gateway_routes_go_through_the_public_address_the_cloud_names(lab):
    # The lab curls the node port on the public address; the cloud facts (cloud.json) map it 1:1
    # to node-1's own address, and the answer says so, as the route tester does.
    cloud = json.loads((LAB / "cloud.json").read_text())
    public, private = cloud["public_ipv4"], cloud["private_ipv4"]
    np = next(p["nodePort"] for p in _svc("emissary-ingress", "emissary")["spec"]["ports"] if p["port"] == 80)
    s = stop(lab, "4.2")
    assert f"Through the gateway at http://{public}:{np}:" in text(s)
    assert f"{public} is the public address of Node node-1: the cloud translates it 1:1 (NAT) to {private}" in text(s)
    assert f"http://{public}:{np}/web/" in s.lab_command
    assert "Mapping default/website → default/website:80" in text(s)
    # without the cloud facts the node's own address is the gateway, and no NAT is claimed
    s = stop(dataclasses.replace(lab, cloud=None), "4.2")
    assert f"Through the gateway at http://{private}:{np}:" in text(s) and "NAT" not in text(s)
    assert "Mapping default/website → default/website:80" in text(s)


def test_another_cluster_gets_its_own_answers(lab):
    # Without the lab's website the questions are answered for a stand-in Service, and say so.
    objects = [o for kind, items in lab.cluster.objects.items() for o in items
               if not (o.get("metadata", {}).get("name") == "website" and kind in ("Service", "EndpointSlice"))
               and not (kind == "EndpointSlice" and o["metadata"].get("labels", {}).get(
                   "kubernetes.io/service-name") == "website")]
    other = dataclasses.replace(lab, cluster=ClusterState.from_objects(objects))
    s = stop(other, "2.1")
    assert "has no Service named website" in text(s) and "website" not in s.arg
    assert _svc("website")["spec"]["clusterIP"] not in text(s)


def test_empty_cluster_never_fails_and_says_what_is_missing():
    for i in range(len(STOPS)):
        s = present_stop(Observed(), i)
        assert s.answer.lines, s.label
    assert not present_stop(Observed(), 4).answer.known


def test_step_five_is_answered_from_the_balancing_view(lab, tmp_path):
    """On the lab the LoadBalancer Service is pending and says why; with MetalLB objects the
    three answers name the address, the pool, the announcing node and each pod's share."""
    from k8snet_tui.snapshot_state import open_state

    from tests.support.metallb_lab import LB_IP, bundled_lb_addresses, emissary_pods, metallb_lab

    first = stop(lab, "5.1")
    assert first.pane == "balancing" and first.arg == "emissary/emissary-ingress"
    real = bundled_lb_addresses()
    if real:  # a lab captured with its MetalLB
        assert f"EXTERNAL-IP {real[0]}" in text(first) and stop(lab, "5.2").answer.known
    else:
        assert "<pending>" in text(first) and "nobody allocates" in text(first)
        assert not stop(lab, "5.2").answer.known
    metallb, _, _ = open_state(str(metallb_lab(tmp_path, announcer="node-2")), report=False)
    assert LB_IP in text(stop(metallb, "5.1")) and "metallb-system/lab-pool" in text(stop(metallb, "5.1"))
    assert text(stop(metallb, "5.2")).startswith(f"node-2 answers for {LB_IP}")
    pods = emissary_pods()
    for pod, node in pods:
        assert f"{pod} on {node}:" in text(stop(metallb, "5.3"))


def test_step_six_is_answered_from_the_mesh_pane(lab, tmp_path):
    """On the bundled lab no pod is meshed and the answers say so (not known); on the mesh lab
    (the client with Istio's sidecar, its namespace's rules as the real istio-iptables wrote
    them) the answers name the pod, its mesh, its redirect ports and where its connection goes."""
    from tests.support.mesh_lab import CLIENT, mesh_lab

    for label in ("6.1", "6.2", "6.3"):
        s = stop(lab, label)
        assert not s.answer.known and "No pod here is meshed" in text(s), label
    meshed = observed_of(mesh_lab(tmp_path))
    s = stop(meshed, "6.1")
    assert s.answer.known and s.pane == "mesh" and s.select == CLIENT
    assert f"{CLIENT}: istio 1.31.0 sidecar, rules written by istio-init" in text(s)
    assert "default/webstate-0: istio ambient" in text(s)
    s = stop(meshed, "6.2")
    assert s.answer.known and "app connections to * go to port 15001" in text(s)
    assert "never for uid 1337, gid 1337" in text(s) and "go to port 15006" in text(s)
    s = stop(meshed, "6.3")
    website_ip = _svc("website")["spec"]["clusterIP"]
    assert s.arg == f"{CLIENT} {website_ip}:80"
    assert f"{CLIENT} -> default/website ({website_ip}:80): redirected to port 15001" in text(s)
    assert "ISTIO_OUTPUT -> ISTIO_REDIRECT -> port 15001 (proxy)" in text(s)
    assert "mTLS: plaintext" in text(s)  # the website pods have no sidecar


def observed_of(path) -> Observed:
    return SnapshotSession(load_snapshot(str(path))).observed()

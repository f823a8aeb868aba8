"""`k8snet path` reads only what one diagnosis needs, and answers as with every index read whole.

On the bench S and M scales (`K8SNET_LAZY_SCALES=S,M,L,XL` for all): each diagnosis made on a
fresh cluster state (the DNS index reading one Service's slices, the policy index one pod's
details, the address index no pods unless an address is no Service's) is compared, as JSON
text, with the one made on a state whose indexes were first read whole (every slice, every
pod, every address). The destinations cover the hops' kinds: a Service by name and namespace,
a short name from another namespace, a ClusterIP, a headless Service, a pod IP, a NodePort from
a node and from outside. The first diagnosis must also leave most pods and slices unread.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace

import pytest

from k8snet_tui.domain import service_index as service_index_module
from k8snet_tui.domain.datapath.endpoints import service_ports
from k8snet_tui.domain.dns import build_dns_model
from k8snet_tui.domain.model import ClusterState, Observed, dig_str, key_of, name_of, namespace_of
from k8snet_tui.domain.path import diagnose
from k8snet_tui.domain.path.walk import address_index, pod_addresses
from k8snet_tui.domain.policy import index as policy_index_module
from k8snet_tui.domain.policy import index_of
from k8snet_tui.present.serialize import to_jsonable
from k8snet_tui.sources.snapshot import load_snapshot

from bench.gen import generate

SCALES = [s.strip() for s in os.environ.get("K8SNET_LAZY_SCALES", "S,M").split(",") if s.strip()]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench-data")
    small = {s: generate(s, root, log=lambda *_: None) for s in SCALES if s in ("S", "M")}
    return {**small, **{s: generate(s, log=lambda *_: None) for s in SCALES if s not in small}}


def read_whole(cluster: ClusterState) -> None:
    """Every index the path reads, read whole, as the first diagnosis did before it was lazy."""
    assert service_index_module.service_index(cluster).slices_by_service
    assert dict(build_dns_model(cluster).index.slices.items())
    policy = index_of(cluster)
    assert policy.pods and policy.by_ip is not None and policy.dns is not None
    assert address_index(cluster).services and pod_addresses(cluster)


def asks(cluster: ClusterState, local: str) -> list[tuple[str, str]]:
    pods = [p for p in cluster.of("Pod") if dig_str(p, "status", "podIP")]
    sources = [key_of(p) for p in pods if dig_str(p, "spec", "nodeName") == local][:6]
    services = [s for s in cluster.of("Service") if service_ports(s)]
    picked = services[:3] + services[3::max(1, len(services) // 12)]
    out = []
    for i, svc in enumerate(picked):
        src = sources[i % len(sources)]
        port = service_ports(svc)[0].port
        out.append((src, f"{name_of(svc)}.{namespace_of(svc)}:{port}"))
        out.append((src, f"{name_of(svc)}:{port}"))  # another namespace's short name, mostly
        ip = dig_str(svc, "spec", "clusterIP")
        if ip and ip != "None":
            out.append((src, f"{ip}:{port}"))
    headless = [s for s in services if dig_str(s, "spec", "clusterIP") == "None"][:2]
    out += [(sources[0], f"{name_of(s)}.{namespace_of(s)}:{service_ports(s)[0].port}") for s in headless]
    out += [(sources[1 % len(sources)], f"{dig_str(p, 'status', 'podIP')}:8080") for p in pods[5::len(pods) // 4][:4]]
    node = cluster.of("Node")[0]
    node_ip = next(a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP")
    node_ports = [p.node_port for s in services for p in service_ports(s) if p.node_port][:3]
    for number in node_ports:
        out += [("outside", f"{node_ip}:{number}"), (f"node/{name_of(node)}", f"{node_ip}:{number}")]
    out.append(("outside", "203.0.113.77:443"))
    return out


def as_text(observed: Observed, src: str, dst: str) -> str:
    return json.dumps(to_jsonable(diagnose(observed, src, dst)))


@pytest.mark.parametrize("scale", SCALES)
def test_the_first_diagnosis_reads_only_what_it_needs_and_every_answer_is_as_with_everything_read(
        data, scale, monkeypatch) -> None:
    snap = load_snapshot(data[scale] / "snapshot")
    questions = asks(snap.cluster, snap.local_node)
    assert len(questions) > 30

    whole = replace(snap.cluster)  # a state of its own: its indexes are read whole first
    read_whole(whole)
    full = Observed(cluster=whole, nodes=snap.nodes, local_node=snap.local_node)
    expected = [as_text(full, src, dst) for src, dst in questions]

    slices_read: list[str] = []
    pods_read: list[str] = []
    real_slice, real_pod = service_index_module.index_slice, policy_index_module.pod_info
    monkeypatch.setattr(service_index_module, "index_slice",
                        lambda obj: slices_read.append(obj["metadata"]["name"]) or real_slice(obj))
    monkeypatch.setattr(policy_index_module, "pod_info",
                        lambda obj: pods_read.append(obj["metadata"]["name"]) or real_pod(obj))
    fresh = Observed(cluster=replace(snap.cluster), nodes=snap.nodes, local_node=snap.local_node)
    got = [as_text(fresh, *questions[0])]
    first_slices, first_pods = len(slices_read), len(pods_read)
    got += [as_text(fresh, src, dst) for src, dst in questions[1:]]

    for (src, dst), a, b in zip(questions, got, expected, strict=True):
        assert a == b, f"{src} -> {dst}"
    all_slices = len(snap.cluster.of("EndpointSlice"))
    assert 0 < first_slices <= 5 < all_slices  # one Service's slices, not every one
    assert 0 < first_pods <= 20 < len(snap.cluster.of("Pod"))  # the source, the endpoints, the DNS pods
    lazy_policy, whole_policy = index_of(fresh.cluster), index_of(whole)
    assert all(lazy_policy.with_ip(ip) == pods for ip, pods in whole_policy.by_ip.items())
    verdicts = {json.loads(t)["verdict"] for t in got}
    hops = {h["hop"] for t in got for h in json.loads(t)["hops"]}
    assert len(verdicts) >= 2 and {"dns", "service", "endpoints", "policy"} <= hops  # real, varied answers

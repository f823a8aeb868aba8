"""Older real kube-proxies (v1.23: KUBE-XLB; v1.30) against the same API server.

Per release: an `externalTrafficPolicy: Local` NodePort Service whose one endpoint runs on one
node. A connection from the other node's namespace to the NodePort of a node is dropped exactly
when the trace of that node says its external path drops; and after N connections the DNAT
counters kube-proxy's rules keep (read back with iptables-save -c, parsed here on their own)
match the trace's shares, in the external path (the NodePort) and the cluster path (the
ClusterIP, from the node itself).
"""

from __future__ import annotations

import re

import pytest

from k8snet_tui.domain.services import trace_service

from tests.cluster.harness.cluster import OLD_KUBE_PROXIES
from tests.cluster.live_reads import api_state, read_node

pytestmark = pytest.mark.cluster

NODE_PORT = 31280
N = 12
SERVICE = f"""
apiVersion: v1
kind: Service
metadata:
  name: xlb
  namespace: default
spec:
  type: NodePort
  externalTrafficPolicy: Local
  selector:
    statefulset.kubernetes.io/pod-name: webstate-0
  ports:
  - name: http
    port: 80
    targetPort: 80
    nodePort: {NODE_PORT}
"""


@pytest.fixture(scope="module", params=OLD_KUBE_PROXIES)
def old_kube_proxy(request, lab_cluster):
    release = request.param
    if release not in lab_cluster.kube_proxy_releases():
        pytest.skip(f"kube-proxy {release} is not built here (tests/cluster/build.sh builds it)")
    lab_cluster.apply(SERVICE)
    lab_cluster.set_kube_proxy_release(release, "iptables-nft")
    try:
        lab_cluster.wait_for_service_rules("default", "xlb", "http", timeout=90)
        yield release
    finally:
        lab_cluster.set_kube_proxy_release(None, "iptables-nft")
        lab_cluster.delete("Service", "xlb", "default")


def _dnat_counts(cluster, node: str) -> dict[str, int]:
    """DNAT destination -> packets, from the node's `iptables-nft-save -c -t nat`."""
    out: dict[str, int] = {}
    for line in cluster.iptables_save(node, "nft", counters=True).splitlines():
        m = re.match(r"^\[(\d+):\d+\] -A KUBE-SEP-\S+ .*-j DNAT --to-destination (\S+)", line)
        if m:
            out[m.group(2)] = out.get(m.group(2), 0) + int(m.group(1))
    return out


def _path(port, kind: str):
    (path,) = [p for p in port.paths if p.entry.kind == kind]
    return path


def test_nodeport_drops_and_dnat_counts_match_the_trace(lab_cluster, old_kube_proxy):
    pod = lab_cluster.api.get("/api/v1/namespaces/default/pods/webstate-0")
    local, ip = pod["spec"]["nodeName"], pod["status"]["podIP"]
    (remote,) = [n for n in lab_cluster.nodes if n != local]
    state = api_state(lab_cluster)
    traces = {n: trace_service(state, read_node(lab_cluster, n), "default", "xlb") for n in lab_cluster.nodes}
    ports = {n: t.ports[0] for n, t in traces.items()}
    for n, port in ports.items():
        assert port.chains["service"], (n, port.chains)
        want_ext = "KUBE-XLB-" if old_kube_proxy == "v1.23" else "KUBE-EXT-"
        assert (port.chains["external"] or "").startswith(want_ext), (old_kube_proxy, port.chains)
    # The trace: the node without the endpoint drops external NodePort traffic, the other
    # sends all of it to its local endpoint, without masquerade (the client's address is kept).
    assert _path(ports[remote], "node-port").dropped == pytest.approx(1.0)
    there = _path(ports[local], "node-port")
    assert [(e.address, e.share) for e in there.endpoints] == [(ip, pytest.approx(1.0))]
    assert not there.masquerade
    assert "local-only-drop" in {f.code for f in ports[remote].findings}

    # The kernel: dropped exactly where the trace says so.
    for target, source in ((remote, local), (local, remote)):
        answers = lab_cluster.http(source, f"http://{lab_cluster.nodes[target].host_ip}:{NODE_PORT}/",
                                   count=2, timeout=2)
        dropped = all("error" in a for a in answers)
        assert dropped == (_path(ports[target], "node-port").dropped > 0.5), (old_kube_proxy, target, answers)

    # Counted DNATs match the shares: external path on the endpoint's node ...
    before = _dnat_counts(lab_cluster, local)
    answers = lab_cluster.http(remote, f"http://{lab_cluster.nodes[local].host_ip}:{NODE_PORT}/", count=N)
    assert all(a.get("status") == 200 for a in answers), answers
    after = _dnat_counts(lab_cluster, local)
    delta = {d: after.get(d, 0) - before.get(d, 0) for d in after}
    want = {f"{e.address}:{e.port}": round(e.share * N) for e in there.endpoints}
    assert {d: c for d, c in delta.items() if c} == want, (delta, want)
    # ... and the cluster path from the other node: every connection to the ClusterIP DNATs
    # to the endpoints the trace gives, in their shares (one endpoint: all of them).
    cluster_path = _path(ports[remote], "cluster-ip")
    before = _dnat_counts(lab_cluster, remote)
    answers = lab_cluster.http(remote, f"http://{cluster_path.entry.address}:80/", count=N)
    assert all(a.get("status") == 200 for a in answers), answers
    after = _dnat_counts(lab_cluster, remote)
    delta = {d: after.get(d, 0) - before.get(d, 0) for d in after}
    want = {f"{e.address}:{e.port}": round(e.share * N) for e in cluster_path.endpoints}
    assert {d: c for d, c in delta.items() if c} == want, (delta, want)


def test_three_way_shares_are_counted_in_both_paths(lab_cluster, old_kube_proxy):
    """default/website (3 endpoints, Cluster policy): N connections in each path reach every
    endpoint the trace gives a share to, and none other; the counts add up to N."""
    node = "node-1"
    port = trace_service(api_state(lab_cluster), read_node(lab_cluster, node), "default", "website").ports[0]
    for kind, url in (("cluster-ip", f"http://{_path(port, 'cluster-ip').entry.address}:80/"),
                      ("node-port", f"http://{lab_cluster.nodes[node].host_ip}:31100/")):
        path = _path(port, kind)
        assert sum(e.share for e in path.endpoints) == pytest.approx(1.0)
        before = _dnat_counts(lab_cluster, node)
        answers = lab_cluster.http(node, url, count=3 * N)
        assert all(a.get("status") == 200 for a in answers), answers
        after = _dnat_counts(lab_cluster, node)
        delta = {d: after.get(d, 0) - before.get(d, 0) for d in after if after.get(d, 0) - before.get(d, 0)}
        shared = {f"{e.address}:{e.port}" for e in path.endpoints if e.share > 0}
        assert set(delta) == shared, (kind, delta, shared)
        assert sum(delta.values()) == 3 * N

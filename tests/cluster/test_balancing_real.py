"""Issue 18 "Done when", against a real MetalLB (controller and speakers in layer 2 mode,
harness/metallb.py) and the real kube-proxy of both nodes:

- the address `k8snet balance` says was allocated is the one in the Service's status, from the pool;
- the announcing node it names is the one whose MAC the client namespace's ARP table holds for
  that address after a request;
- requests from the client namespace (a host on the node bridge) to the LB address land on the pods
  in the proportions k8snet expects, in iptables and nftables modes, with externalTrafficPolicy
  Cluster and Local (uneven endpoints: one pod on node-1, two on node-2), and the client IP is
  preserved exactly when k8snet says so;
- `k8snet balance --requests N` simulates the same shares;
- bad input against the real controller: what MetalLB does, and k8snet's finding.

Tolerance, fixed: a chi-square goodness-of-fit test at significance 0.001 (CHI2_CRITICAL), on
REQUESTS requests per check; a pod k8snet gives no share must get no request at all. With ~10
such checks per run a correct datapath fails one about 1% of the time.
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from k8snet_tui import cli
from k8snet_tui.collect.session import SnapshotSession
from k8snet_tui.sources.snapshot import load_snapshot

from tests.cluster.harness import net
from tests.cluster.harness.metallb import CLIENT_IP, NAMESPACE, POOL_CIDR, POOL_NAME, pool_problems

pytestmark = pytest.mark.cluster

NS = "lb-real"
REQUESTS = 600
CHI2_CRITICAL = {1: 10.828, 2: 13.816, 3: 16.266, 4: 18.467}  # upper 0.1% points
K8SNET = Path(sys.executable).parent / "k8snet"  # the installed console script
# Pods: one on node-1, two on node-2 (the uneven endpoints of the Local case).
PODS = {"web-a": "node-1", "web-b": "node-2", "web-c": "node-2"}
OUTSIDE_POOL = "172.31.29.5"  # in the node network, in no pool


def _manifests() -> list[dict]:
    objs: list[dict] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}]
    for name, node in PODS.items():
        objs.append({"apiVersion": "v1", "kind": "Pod",
                     "metadata": {"name": name, "namespace": NS, "labels": {"app": "lbweb", "pod": name}},
                     "spec": {"nodeName": node, "containers": [{
                         "name": "httpd", "image": "httpd",
                         "ports": [{"name": "http", "containerPort": 80, "protocol": "TCP"}]}]}})
    for name, policy, selector in (("lb-cluster", "Cluster", {"app": "lbweb"}),
                                   ("lb-local", "Local", {"app": "lbweb"}),
                                   ("lb-local-n1", "Local", {"pod": "web-a"})):
        objs.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": NS},
                     "spec": {"type": "LoadBalancer", "externalTrafficPolicy": policy, "selector": selector,
                              "ports": [{"name": "http", "port": 80, "targetPort": 80}]}})
    return objs


@pytest.fixture(scope="module")
def mlb(lab_cluster):
    if lab_cluster.metallb is None:
        msg = "MetalLB is not built into the bin directory (tests/cluster/build.sh builds it)"
        if os.environ.get("K8SNET_REQUIRE_CLUSTER") == "1":
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    lab_cluster.apply(_manifests())
    for svc, count in (("lb-cluster", 3), ("lb-local", 3), ("lb-local-n1", 1)):
        lab_cluster._wait(f"{count} ready endpoints for {NS}/{svc}",
                          lambda svc=svc, count=count: len(lab_cluster.ready_endpoints(NS, svc)) == count, 60)
        lab_cluster.metallb.wait_address(NS, svc)
    lab_cluster._wait("the lb-real pods' servers", lambda: all(
        (p := lab_cluster.agent.find(NS, name)) is not None and p.serving() for name in PODS), 60)
    yield lab_cluster.metallb
    lab_cluster.delete(_manifests()[1:])
    lab_cluster.delete("Namespace", NS)


def status_addresses(c, ns: str, svc: str) -> list[str]:
    doc = c.api.get(f"/api/v1/namespaces/{ns}/services/{svc}")
    return [i["ip"] for i in (doc.get("status", {}).get("loadBalancer", {}) or {}).get("ingress") or []
            if i.get("ip")]


def k8snet(c, *args: str, node: str = "node-2", home: Path) -> dict:
    """The installed command on the live cluster, its probe in `node`'s namespace; the JSON."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8",
           "KUBECONFIG": str(c.kubeconfig), "K8SNET_OFFLINE": "1", "K8SNET_CONFIG": str(home / "none.toml"),
           "K8SNET_PROBE_CMD": f"ip netns exec {c.nodes[node].netns} {sys.executable} -m k8snet_tui.probe"}
    argv = [str(K8SNET), *args, "--json", "--node", node]
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd="/", timeout=180, check=False)
    assert proc.stdout.strip(), f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr[-800:]}"
    return json.loads(proc.stdout)


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path


def chi_square(counts: dict[str, int], expected: dict[str, float]) -> tuple[float, int]:
    """(statistic, degrees of freedom) over the pods with a share; a pod with none must get none."""
    stray = {p: n for p, n in counts.items() if n and expected.get(p, 0.0) == 0.0}
    assert not stray, f"requests reached pods k8snet gives no share: {stray} (expected {expected})"
    total = sum(counts.values())
    live = {p: s for p, s in expected.items() if s > 0}
    stat = sum((counts.get(p, 0) - total * s) ** 2 / (total * s) for p, s in live.items())
    return stat, len(live) - 1


def assert_fits(counts: dict[str, int], expected: dict[str, float], what: str) -> None:
    stat, df = chi_square(counts, expected)
    if df == 0:
        return  # one pod takes everything: the stray check above is the whole test
    assert stat <= CHI2_CRITICAL[df], (
        f"{what}: counts {counts} do not fit k8snet's shares {expected} "
        f"(chi-square {stat:.2f} > {CHI2_CRITICAL[df]} at df {df}, p < 0.001)")


def expected_pod_shares(doc: dict) -> dict[str, float]:
    port = doc["ports"][0]
    return {(p["pod"] or p["address"]).split("/")[-1]: p["share"] for p in port["pods"]}


def test_the_pool_lies_inside_the_ranges_the_overlap_refusal_guards():
    """The harness refuses to start when the machine has an address or route in its ranges; the
    pool and the client are inside the node network, so that refusal covers them too."""
    assert POOL_CIDR.subnet_of(net.NODE_NET) and net.NODE_NET in net.HARNESS_RANGES
    assert ipaddress.ip_address(CLIENT_IP) in net.NODE_NET
    assert pool_problems() == []
    assert pool_problems(ipaddress.ip_network("192.0.2.240/28"))  # the machine's own network
    assert pool_problems(ipaddress.ip_network("172.31.24.80/28"), taken=("172.31.24.84",))
    assert pool_problems(ipaddress.ip_network("172.31.31.240/28"))  # holds the /20's broadcast


# ---- allocation and the announcing node --------------------------------------------------------

@pytest.mark.parametrize("svc", ["lb-cluster", "lb-local"])
def test_the_allocated_address_is_the_service_status(lab_cluster, mlb, home, svc):
    doc = k8snet(lab_cluster, "balance", f"{NS}/{svc}", home=home)
    real = status_addresses(lab_cluster, NS, svc)
    assert real and ipaddress.ip_address(real[0]) in POOL_CIDR, real
    assert doc["addresses"] == real
    assert doc["allocation"]["state"] == "allocated"
    assert doc["allocation"]["allocator"] == "metallb"
    assert doc["allocation"]["pool"] == f"{NAMESPACE}/{POOL_NAME}"


def test_the_lab_emissary_service_gets_a_real_address(lab_cluster, mlb, home):
    real = status_addresses(lab_cluster, "emissary", "emissary-ingress")
    assert real and ipaddress.ip_address(real[0]) in POOL_CIDR, real
    doc = k8snet(lab_cluster, "show", "balancing", home=home)
    rows = {r["service"]: r for r in doc["services"]}
    assert rows["emissary/emissary-ingress"]["addresses"] == real
    assert rows["emissary/emissary-ingress"]["state"] == "allocated"


@pytest.mark.parametrize("svc", ["lb-real/lb-cluster", "lb-real/lb-local", "emissary/emissary-ingress"])
def test_the_announcing_node_is_the_one_the_client_arp_table_names(lab_cluster, mlb, home, svc):
    """For emissary-ingress's 172.31.30.240 MetalLB's hash election alone would pick node-1:
    only the exclude label makes it node-2 (nothing listens behind it, so the request fails
    after the ARP exchange)."""
    ns, name = svc.split("/")
    addr = status_addresses(lab_cluster, ns, name)[0]
    answers = mlb.client_http(f"http://{addr}/", count=3 if ns == NS else 1, timeout=2)
    if ns == NS:
        assert all(a.get("status") == 200 for a in answers), answers
    macs = mlb.node_macs()
    entry = [n for n in mlb.client_neighbours() if n.get("dst") == addr]
    assert entry and entry[0].get("lladdr"), mlb.client_neighbours()
    by_mac = {mac: node for node, mac in macs.items()}
    arp_node = by_mac.get(entry[0]["lladdr"])
    assert arp_node is not None, (entry, macs)
    doc = k8snet(lab_cluster, "balance", svc, home=home)
    assert doc["announce"]["mode"] == "layer2"
    assert doc["announce"]["nodes"] == [arp_node], doc["announce"]
    # node-1 is labelled exclude-from-external-load-balancers (kubeadm's control plane): MetalLB
    # never announces from it
    assert arp_node == "node-2"


def test_local_with_endpoints_only_on_an_excluded_node_is_announced_by_nobody(lab_cluster, mlb, home):
    """lb-local-n1: Local, its one pod on node-1, which MetalLB does not announce from. The address
    is allocated but no speaker answers ARP for it: the request fails, and k8snet says why."""
    addr = status_addresses(lab_cluster, NS, "lb-local-n1")[0]
    answers = mlb.client_http(f"http://{addr}/", count=1, timeout=2)
    assert "error" in answers[0], answers
    neigh = [n for n in mlb.client_neighbours() if n.get("dst") == addr]
    assert not neigh or not neigh[0].get("lladdr"), neigh
    doc = k8snet(lab_cluster, "balance", f"{NS}/lb-local-n1", home=home)
    assert doc["announce"]["nodes"] == [], doc["announce"]
    codes = {f["code"] for f in doc["findings"]}
    assert "local-no-endpoints-on-announcer" in codes, doc["findings"]


# ---- the spread: real requests against k8snet's expected shares ---------------------------------

@pytest.mark.parametrize("svc", ["lb-cluster", "lb-local"])
def test_real_requests_land_on_pods_in_the_expected_shares(lab_cluster, mlb, home, kube_proxy_mode, svc):
    lab_cluster.wait_for_service_rules(NS, svc, "http")
    addr = status_addresses(lab_cluster, NS, svc)[0]
    doc = k8snet(lab_cluster, "balance", f"{NS}/{svc}", home=home)
    expected = expected_pod_shares(doc)
    assert set(expected) <= set(PODS), expected
    answers = mlb.client_http(f"http://{addr}/", count=REQUESTS, timeout=3)
    failed = [a for a in answers if a.get("status") != 200]
    assert not failed, failed[:3]
    counts = {name: 0 for name in PODS}
    for a in answers:
        counts[a["pod"]] += 1
    assert_fits(counts, expected, f"{svc} in {kube_proxy_mode}")
    peers = {a["client"] for a in answers}
    if doc["client_ip_preserved"]:
        assert peers == {CLIENT_IP}, peers
    else:
        assert CLIENT_IP not in peers, peers
    if svc == "lb-local":
        # the uneven case: node-2 announces, so node-1's one pod gets nothing and node-2's two
        # share its traffic; the client's address reaches the pods
        assert counts["web-a"] == 0 and doc["client_ip_preserved"] is True
        assert expected == pytest.approx({"web-b": 0.5, "web-c": 0.5}, abs=1e-6) or \
            expected == pytest.approx({"web-a": 0.0, "web-b": 0.5, "web-c": 0.5}, abs=1e-6), expected
    else:
        assert all(v == pytest.approx(1 / 3, abs=1e-6) for v in expected.values()), expected


@pytest.mark.parametrize("svc", ["lb-cluster", "lb-local"])
def test_the_simulation_matches_the_expected_shares(lab_cluster, mlb, home, svc):
    doc = k8snet(lab_cluster, "balance", f"{NS}/{svc}", "--requests", str(REQUESTS), "--seed", "7", home=home)
    sim = doc["simulation"]
    assert sim and sim["requests"] == REQUESTS and sim["lost"] == 0, sim
    expected = expected_pod_shares(doc)
    counts = {(c["pod"] or c["address"]).split("/")[-1]: c["count"] for c in sim["counts"]}
    assert sum(counts.values()) == REQUESTS
    assert_fits(counts, expected, f"simulated {svc}")
    again = k8snet(lab_cluster, "balance", f"{NS}/{svc}", "--requests", str(REQUESTS), "--seed", "7", home=home)
    assert again["simulation"]["counts"] == sim["counts"]  # seeded


# ---- bad input against the real controller ------------------------------------------------------

def _service(name: str, **spec) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": NS},
            "spec": {"type": "LoadBalancer", "selector": {"app": "lbweb"},
                     "ports": [{"name": "http", "port": 80, "targetPort": 80}], **spec}}


def _events(c, name: str) -> list[dict]:
    items = c.api.get(f"/api/v1/namespaces/{NS}/events", fieldSelector=f"involvedObject.name={name}")["items"]
    return items


def _codes(doc: dict) -> set[str]:
    return {f["code"] for f in doc["findings"]}


def test_requested_address_outside_every_pool(lab_cluster, mlb, home):
    lab_cluster.apply(_service("lb-outside", loadBalancerIP=OUTSIDE_POOL))
    try:
        ev = lab_cluster._wait("MetalLB's AllocationFailed event for lb-outside", lambda: [
            e for e in _events(lab_cluster, "lb-outside") if e.get("reason") == "AllocationFailed"], 60)
        assert OUTSIDE_POOL in ev[0]["message"], ev[0]
        assert status_addresses(lab_cluster, NS, "lb-outside") == []
        doc = k8snet(lab_cluster, "balance", f"{NS}/lb-outside", home=home)
        assert doc["allocation"]["state"] == "pending", doc["allocation"]
        assert doc["allocation"]["requested"] == [OUTSIDE_POOL]
        assert "requested-ip-outside-pools" in _codes(doc), doc["findings"]
    finally:
        lab_cluster.delete("Service", "lb-outside", NS)


def test_a_class_nobody_serves_stays_pending(lab_cluster, mlb, home):
    lab_cluster.apply(_service("lb-classy", loadBalancerClass="example.com/nobody"))
    try:
        time.sleep(3)  # MetalLB ignores Services of another class: nothing to wait for
        assert status_addresses(lab_cluster, NS, "lb-classy") == []
        assert not [e for e in _events(lab_cluster, "lb-classy")
                    if e.get("source", {}).get("component", "").startswith("metallb")
                    or str(e.get("reportingComponent", "")).startswith("metallb")]
        doc = k8snet(lab_cluster, "balance", f"{NS}/lb-classy", home=home)
        assert doc["allocation"]["state"] == "pending"
        assert "pending-class-unserved" in _codes(doc), doc["findings"]
    finally:
        lab_cluster.delete("Service", "lb-classy", NS)


def _pool(name: str, addresses: list[str]) -> dict:
    return {"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool",
            "metadata": {"name": name, "namespace": NAMESPACE}, "spec": {"addresses": addresses}}


def _pool_refused(mlb, since: int) -> str | None:
    """The controller's log line (after offset `since`) saying it could not load the pools."""
    for line in mlb.log("metallb-controller")[since:].splitlines():
        if '"PoolReconciler"' in line and '"level":"error"' in line:
            return line
    return None


STALE = "metallb_k8s_client_config_stale_bool"


@pytest.mark.parametrize("case", ["overlap", "bad-cidr"])
def test_a_bad_pool_is_refused_by_the_controller_and_named_by_k8snet(lab_cluster, mlb, home, case):
    """MetalLB (v0.15.2, webhooks off) refuses the whole new configuration, says so in its log
    and its config_stale metric (1), and keeps allocating from the last good one; k8snet's finding
    names the bad pool."""
    pool = {"overlap": _pool("lab-overlap", ["172.31.30.248/29"]),
            "bad-cidr": _pool("lab-badcidr", ["172.31.30.300/28"])}[case]
    code = {"overlap": "pools-overlap", "bad-cidr": "pool-bad-cidr"}[case]
    words = {"overlap": "overlaps with already defined CIDR", "bad-cidr": "invalid CIDR"}[case]
    since = len(mlb.log("metallb-controller"))
    lab_cluster.apply(pool)
    try:
        line = lab_cluster._wait("the MetalLB controller to refuse the pools", lambda: _pool_refused(mlb, since), 60)
        assert words in line, line
        assert mlb.controller_metric(STALE) == 1.0
        # the last good configuration still allocates
        lab_cluster.apply(_service("lb-during"))
        assert ipaddress.ip_address(mlb.wait_address(NS, "lb-during")) in POOL_CIDR
        doc = k8snet(lab_cluster, "show", "balancing", home=home)
        found = [f for f in doc["findings"] if f["code"] == code]
        assert found and pool["metadata"]["name"] in found[0]["message"], (line, doc["findings"])
    finally:
        lab_cluster.delete(pool)
        lab_cluster.delete("Service", "lb-during", NS)
    # (the stale metric stays 1 after the bad pool goes: the controller resets it only when the
    # configuration it loads differs from the one it kept)


# ---- capture: the MetalLB objects and the Service events that name the announcer ---------------

def test_capture_keeps_the_metallb_objects_and_the_announcing_event(lab_cluster, mlb, tmp_path, monkeypatch,
                                                                   capsys):
    monkeypatch.setenv("KUBECONFIG", str(lab_cluster.kubeconfig))
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("K8SNET_PROBE_CMD", f"ip netns exec {lab_cluster.nodes['node-2'].netns} "
                                           f"{sys.executable} -m k8snet_tui.probe")
    out = tmp_path / "snap"
    rc = cli.main(["capture", "-o", str(out), "--node", "node-2"])
    _, err = capsys.readouterr()
    assert rc == 0, err
    snap = load_snapshot(str(out))
    assert snap.problems == (), snap.problems
    cluster = SnapshotSession(snap).observed().cluster
    pools = {o["metadata"]["name"]: o for o in cluster.of("IPAddressPool")}
    assert pools[POOL_NAME]["spec"]["addresses"] == [str(POOL_CIDR)]
    assert [o["metadata"]["name"] for o in cluster.of("L2Advertisement")] == ["lab-l2"]
    real_l2 = lab_cluster.api.get(f"/apis/metallb.io/v1beta1/namespaces/{NAMESPACE}/servicel2statuses")["items"]
    by_service = {(o["status"]["serviceNamespace"], o["status"]["serviceName"]): o["status"]["node"]
                  for o in cluster.of("ServiceL2Status")}
    assert by_service == {(o["status"]["serviceNamespace"], o["status"]["serviceName"]): o["status"]["node"]
                          for o in real_l2}
    assert by_service[(NS, "lb-cluster")] == "node-2"
    announced = [e for e in cluster.of("Event")
                 if e.get("reason") == "nodeAssigned" and e["involvedObject"]["name"] == "lb-cluster"]
    assert announced and 'announcing from node "node-2"' in announced[-1]["message"], announced
    # and offline, from the snapshot, k8snet names the same announcer
    rc = cli.main(["balance", f"{NS}/lb-cluster", "--snapshot", str(out), "--json"])
    printed, err = capsys.readouterr()
    assert rc == 0, err
    assert json.loads(printed)["announce"]["nodes"] == ["node-2"]

"""Issue 17 items 4 and 5 against the real kube-proxy of the test cluster.

- "delete this pod": in every kube-proxy mode, predict from a live read (the API through
  LiveApi, node-1 through the real probe) what kube-proxy programs once a pod is deleted, really
  delete it, wait for kube-proxy to reprogram, and read node-1's rules back with the mode's own
  tools (parsed here, independently of the product): the service chain's endpoints, their
  order and their probabilities (iptables) or the numgen map (nftables) equal the prediction,
  and each endpoint's chain is the one predicted (compared by the endpoint it DNATs to).
- `k8snet diff`: `k8snet capture` before and after a real deletion, then `k8snet diff` names
  that pod, its endpoint, its endpoint chain, the probabilities of the rest and (the pod ran
  on node-1) its route, and nothing else. Counters, conntrack, neighbours and timestamps move
  between the captures and are not compared (docs/json.md, `ignored`).

The pods are bare (no ReplicaSet), so a deleted one stays deleted and the endpoint set after
is exactly the prediction's. One cluster start serves both (the session's `lab_cluster`).
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import time

import pytest

from k8snet_tui import cli
from k8snet_tui.domain.whatif import predict_pod_deletion

from tests.cluster.harness import svc_chain_hash
from tests.cluster.live_reads import api_state, read_node

pytestmark = pytest.mark.cluster

NS = "default"
SVC = "k8snet-whatif"
SPN = f"{NS}/{SVC}:http"
PODS = [f"k8snet-whatif-{i}" for i in range(8)]  # 4 on node-1: one deletion per mode, one for the diff
T0 = time.monotonic()


def objects() -> list[dict]:
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": SVC, "namespace": NS},
           "spec": {"selector": {"app": SVC}, "ports": [{"name": "http", "port": 80, "targetPort": 80}]}}
    pods = [{"apiVersion": "v1", "kind": "Pod",
             "metadata": {"name": name, "namespace": NS, "labels": {"app": SVC}},
             "spec": {"nodeName": "node-1" if i % 2 == 0 else "node-2", "terminationGracePeriodSeconds": 0,
                      "containers": [{"name": "idle", "image": "k8snet.test/idle"}]}}
            for i, name in enumerate(PODS)]
    return [svc, *pods]


def wait_for(what: str, check, timeout: float = 45.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


@pytest.fixture(scope="module")
def whatif_service(lab_cluster):
    lab_cluster.apply(objects())
    wait_for(f"{len(PODS)} ready endpoints of {SVC}", lambda: len(lab_cluster.ready_endpoints(NS, SVC)) == len(PODS))
    yield
    for name in PODS:
        with contextlib.suppress(Exception):  # already deleted by a test
            lab_cluster.delete("Pod", name, NS, grace_seconds=0)
    with contextlib.suppress(Exception):
        lab_cluster.delete("Service", SVC, NS)
    print(f"test_whatif_real: {time.monotonic() - T0:.1f} s")


def alive_pods(cluster) -> list[dict]:
    items = cluster.api.get(f"/api/v1/namespaces/{NS}/pods", labelSelector=f"app={SVC}")["items"]
    return [p for p in items if not p["metadata"].get("deletionTimestamp") and p["status"].get("podIP")]


def victim_on_node_1(cluster) -> dict:
    pods = sorted((p for p in alive_pods(cluster) if p["spec"]["nodeName"] == "node-1"),
                  key=lambda p: p["metadata"]["name"])
    assert pods, "no pod of the what-if Service left on node-1"
    return pods[0]


# ---- what kube-proxy wrote, read back independently of the product ---------------------------

def iptables_program(cluster, mode) -> list[tuple[str, str, str | None]]:
    """[(KUBE-SEP chain, ip:port it DNATs to, probability or None)] in the service chain's order."""
    text = cluster.iptables_save("node-1", "legacy" if mode == "iptables-legacy" else "nft")
    svc = "KUBE-SVC-" + svc_chain_hash(SPN, "tcp")
    out = []
    for line in text.splitlines():
        m = re.match(rf"^-A {svc} (.*)-j (KUBE-SEP-[A-Z0-9]+)\s*$", line)
        if m and "--rcheck" not in line:
            prob = re.search(r"--probability (\S+)", line)
            dnat = [x for x in text.splitlines() if x.startswith(f"-A {m.group(2)} ") and "-j DNAT" in x]
            dest = re.search(r"--to-destination (\S+)", dnat[0]).group(1) if dnat else "?"
            out.append((m.group(2), dest, prob.group(1) if prob else None))
    return out


def nft_program(cluster) -> tuple[list[str], dict[str, str]]:
    """(the ip:ports of the service chain's numgen map, {endpoint chain: ip:port} when it has them)."""
    text = cluster.nft_kube_proxy_table("node-1")
    chains = re.findall(r"^\s*chain (\S+) \{", text, re.MULTILINE)
    svc = [c for c in chains if c.startswith("service-") and c.endswith(f"-{NS}/{SVC}/tcp/http")]
    if not svc:
        return [], {}
    body = re.split(r"\n\s*}\n", text.split(f"chain {svc[0]} {{", 1)[1], maxsplit=1)[0]
    eps = re.findall(rf"(endpoint-[A-Z0-9]+-{NS}/{SVC}/tcp/http__(\d+\.\d+\.\d+\.\d+)/(\d+))", body)
    if eps:
        return sorted(f"{ip}:{port}" for _, ip, port in eps), {c: f"{ip}:{port}" for c, ip, port in eps}
    addrs = re.findall(r"(\d+\.\d+\.\d+\.\d+) \. (\d+)", body) + re.findall(r"dnat to (\d+\.\d+\.\d+\.\d+):(\d+)", body)
    return sorted(f"{a}:{p}" for a, p in set(addrs)), {}


def programmed(cluster, mode) -> set[str]:
    if mode == "nftables":
        return set(nft_program(cluster)[0])
    return {dest for _, dest, _ in iptables_program(cluster, mode)}


def api_endpoints(cluster) -> set[str]:
    return {f"{ip}:80" for ip in cluster.ready_endpoints(NS, SVC)}


def settled(cluster) -> bool:
    """No pod of the Service is terminating and its EndpointSlices list exactly the live pods
    (a deleted pod lingers there as a terminating endpoint until its object is gone: a real
    change a capture would see)."""
    items = cluster.api.get(f"/api/v1/namespaces/{NS}/pods", labelSelector=f"app={SVC}")["items"]
    if any(p["metadata"].get("deletionTimestamp") for p in items):
        return False
    slices = cluster.api.get(f"/apis/discovery.k8s.io/v1/namespaces/{NS}/endpointslices",
                             labelSelector=f"kubernetes.io/service-name={SVC}")["items"]
    listed = sorted(a for s in slices for e in s.get("endpoints") or [] for a in e["addresses"])
    return listed == sorted(p["status"]["podIP"] for p in items if p["status"].get("podIP"))


# ---- "delete this pod", predicted and then done ---------------------------------------------

def test_predicted_rules_after_a_deletion_are_what_kube_proxy_programs(lab_cluster, kube_proxy_mode,
                                                                        whatif_service):
    t0 = time.monotonic()
    wait_for("kube-proxy to program every endpoint",
             lambda: programmed(lab_cluster, kube_proxy_mode) == api_endpoints(lab_cluster) != set())
    victim = victim_on_node_1(lab_cluster)
    name, ip = victim["metadata"]["name"], victim["status"]["podIP"]
    state, node = api_state(lab_cluster), read_node(lab_cluster)
    prediction = predict_pod_deletion(state, node, NS, name)
    assert prediction.found and prediction.backend == kube_proxy_mode
    (port,) = [p for p in prediction.ports if p.service == f"{NS}/{SVC}"]
    before = {f"{e.address}:{e.port}" for e in port.before}
    assert before == api_endpoints(lab_cluster) and f"{ip}:80" in before
    after = [f"{e.address}:{e.port}" for e in port.after]
    assert set(after) == before - {f"{ip}:80"}
    assert [c.change for c in port.changes if c.address == ip] == ["removed"]

    lab_cluster.delete("Pod", name, NS, grace_seconds=0)
    wait_for(f"kube-proxy to drop {ip}:80", lambda: programmed(lab_cluster, kube_proxy_mode) == set(after))
    print(f"{kube_proxy_mode}: {len(before)} -> {len(after)} endpoints, predicted and reprogrammed in "
          f"{time.monotonic() - t0:.1f} s")

    if kube_proxy_mode == "nftables":
        real, chains = nft_program(lab_cluster)
        assert real == sorted(after)
        assert all(e.probability is None and abs(e.share - 1 / len(after)) < 1e-9 for e in port.after)
        if chains:  # the vmap form: each endpoint's chain, by the endpoint it goes to
            assert {e.chain: f"{e.address}:{e.port}" for e in port.after} == chains
        else:
            assert all(e.chain is None for e in port.after)
    else:
        real = iptables_program(lab_cluster, kube_proxy_mode)
        # the same endpoints, in the same order, with the same probabilities as iptables-save prints
        assert [(dest, prob) for _, dest, prob in real] == [(f"{e.address}:{e.port}", e.probability)
                                                            for e in port.after]
        # each predicted chain is the one that DNATs to its endpoint (compared by meaning)
        assert {dest: sep for sep, dest, _ in real} == {f"{e.address}:{e.port}": e.chain for e in port.after}
        gone = next(c for c in port.changes if c.change == "removed")
        assert gone.chain not in {sep for sep, _, _ in real}


# ---- k8snet diff around a real deletion -----------------------------------------------------

@pytest.fixture
def cli_env(lab_cluster, monkeypatch, tmp_path):
    monkeypatch.setenv("KUBECONFIG", str(lab_cluster.kubeconfig))
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    monkeypatch.setenv("K8SNET_PROBE_CMD", f"ip netns exec {lab_cluster.nodes['node-1'].netns} "
                                           f"{sys.executable} -m k8snet_tui.probe")
    monkeypatch.delenv("K8SNET_DNS_SERVER", raising=False)
    return monkeypatch


def capture(path, capsys) -> None:
    rc = cli.main(["capture", "-o", str(path), "--node", "node-1", "--notes", "what-if diff test"])
    _, err = capsys.readouterr()
    assert rc == 0, err


# In an iptables mode: the endpoint chain that goes is a KUBE-SEP chain with its hashed name, and
# the comparison's shortcut (only the Services whose chains appear in changed lines are traced)
# is what reads the real captures.
@pytest.mark.parametrize("kube_proxy_mode", ["iptables-legacy"], indirect=True)
def test_diff_of_two_captures_names_exactly_the_deletion(lab_cluster, kube_proxy_mode, whatif_service, cli_env,
                                                          tmp_path, capsys):
    t0 = time.monotonic()
    mode = kube_proxy_mode
    wait_for("the API to settle (no terminating pod, the slices list the live pods)", lambda: settled(lab_cluster))
    wait_for("kube-proxy to program every endpoint",
             lambda: programmed(lab_cluster, mode) == api_endpoints(lab_cluster) != set())
    victim = victim_on_node_1(lab_cluster)
    name, ip = victim["metadata"]["name"], victim["status"]["podIP"]
    left = sorted(api_endpoints(lab_cluster) - {f"{ip}:80"})
    capture(tmp_path / "before", capsys)
    lab_cluster.delete("Pod", name, NS, grace_seconds=0)
    wait_for(f"kube-proxy to drop {ip}:80", lambda: programmed(lab_cluster, mode) == set(left))
    wait_for(f"the pod {name} to be gone", lambda: name not in {p["metadata"]["name"] for p in alive_pods(lab_cluster)}
             and not any(p["metadata"]["name"] == name for p in lab_cluster.api.get(
                 f"/api/v1/namespaces/{NS}/pods", labelSelector=f"app={SVC}")["items"]))
    wait_for("the API to settle after the deletion", lambda: settled(lab_cluster))
    capture(tmp_path / "after", capsys)

    rc = cli.main(["diff", str(tmp_path / "before"), str(tmp_path / "after"), "--json"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    doc = json.loads(out)
    groups = {g["name"]: g["changes"] for g in doc["groups"]}
    said = {k: [(c["change"], c["subject"]) for c in v] for k, v in groups.items()}
    print(json.dumps(said, indent=1))
    assert said["pods"] == [("removed", f"{NS}/{name}")]
    assert said["services"] == []
    assert said["endpoints"] == [("removed", f"{SPN} {ip}:80")]
    if mode == "nftables":
        chain_changes = said["chains"]
        assert chain_changes in ([], [("removed", f"{SPN} {ip}:80")])  # direct-map form: no endpoint chain
        assert all(c["words"].startswith(f"{SPN} no longer sends to {ip}:80") or "endpoint chain" in c["words"]
                   for c in groups["chains"])
    else:
        assert said["chains"] == [("removed", f"{SPN} {ip}:80")]
        assert "KUBE-SEP-" in groups["chains"][0]["words"]
    # every endpoint left gets a bigger share: n -> n-1
    assert sorted(s for _, s in said["probabilities"]) == [f"{SPN} {e}" for e in left]
    n = len(left)
    assert all(c["after"].split(" ")[0] == f"1/{n}" for c in groups["probabilities"]), groups["probabilities"]
    # the pod ran on node-1: its /32 route through its veth went with it
    assert [c for c, _ in said["routes"]] == ["removed"] and said["routes"][0][1].startswith(f"node-1 {ip} dev ")
    assert said["dns"] == []  # a ClusterIP Service: its name still answers the ClusterIP
    assert set(groups) == {"pods", "services", "endpoints", "chains", "probabilities", "routes", "dns"}
    assert "rule counters (packets, bytes): every request moves them" in doc["ignored"]
    print(f"capture, delete, capture and diff took {time.monotonic() - t0:.1f} s")

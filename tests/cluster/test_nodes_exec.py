"""Issue 20 on the real control plane: node-2's datapath read from outside node-2, through the
API server's pods/exec into the k8snet node agent.

The agent DaemonSet is the one `k8snet agent manifest` prints, applied by the harness (as an
admin would; the app never applies it). kube-apiserver relays each exec to the node's kubelet
endpoint, served per node by kwok inside that node's network namespace (harness/kubelet_exec.py
says what is real and what is emulated). This test process runs in the machine's namespace,
which has none of kube-proxy's rules: what it traces can only have come from node-2.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from k8snet_tui.agent import AGENT_NAMESPACE, reader_role
from k8snet_tui.collect.session import LiveSession
from k8snet_tui.domain.services import trace_service
from k8snet_tui.sources.node_exec import AgentReader
from k8snet_tui.sources.snapshot import load_snapshot

from tests.cluster.harness import kubelet_exec
from tests.cluster.live_reads import api_state, read_node
from tests.cluster.test_hardening_helpers import AuditLog, describe, live_api

pytestmark = pytest.mark.cluster

READER = "restricted"  # reads pods, services, endpoints in default; gets the agent Role here
BINDING = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
           "metadata": {"name": "k8snet-agent-reader", "namespace": AGENT_NAMESPACE},
           "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "k8snet-agent-reader"},
           "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": READER}]}


def manifest_from_cli() -> str:
    proc = subprocess.run([sys.executable, "-I", "-m", "k8snet_tui", "agent", "manifest",
                           "--image", "k8snet-test:local"], capture_output=True, text=True, timeout=60, check=True)
    return proc.stdout


@pytest.fixture(scope="module")
def agents(lab_cluster):
    kubelet_exec.start(lab_cluster)
    text = manifest_from_cli()
    lab_cluster.apply(text)
    lab_cluster.apply([reader_role(), BINDING])
    try:
        pods = kubelet_exec.wait_for_agents(lab_cluster, ("node-1", "node-2"))
        yield pods
    finally:
        lab_cluster.delete([reader_role(), BINDING])
        lab_cluster.delete(text)
        # pytest runs this module once per kube-proxy mode, between other modules: the next
        # set-up must not apply into a namespace that is still terminating.
        lab_cluster._wait(f"namespace {AGENT_NAMESPACE} to be deleted", lambda: AGENT_NAMESPACE not in {
            n["metadata"]["name"] for n in lab_cluster.api.get("/api/v1/namespaces")["items"]}, 120)


def reader_session(cluster, user: str = READER) -> LiveSession:
    return LiveSession(live_api(cluster.users[user].kubeconfig), user, namespace="default", read_node=None)


def without_counters(doc):
    if isinstance(doc, dict):
        return {k: without_counters(v) for k, v in doc.items() if k not in ("packets", "bytes", "counters")}
    if isinstance(doc, list):
        return [without_counters(v) for v in doc]
    return doc


def nat_rules(text: str) -> list[str]:
    """The rule lines of an iptables-save text, counters and comments dropped."""
    import re
    return sorted(re.sub(r"^\[\d+:\d+\] ", "", ln) for ln in text.splitlines()
                  if ln.startswith(("-A", "[")) and not ln.startswith("#"))


def test_agents_run_on_both_nodes_from_the_printed_manifest(lab_cluster, agents):
    assert set(agents) == {"node-1", "node-2"}
    ds = lab_cluster.api.get(f"/apis/apps/v1/namespaces/{AGENT_NAMESPACE}/daemonsets/k8snet-agent")
    spec = ds["spec"]["template"]["spec"]
    assert spec["hostNetwork"] is True and spec["automountServiceAccountToken"] is False
    assert spec["containers"][0]["securityContext"]["capabilities"]["add"] == ["NET_ADMIN", "NET_RAW"]


def test_node2_traced_from_outside_through_pods_exec_equals_its_local_probe(lab_cluster, agents, kube_proxy_mode):
    session = reader_session(lab_cluster)
    audit = AuditLog(lab_cluster.audit_log)
    audit.mark()
    t0 = time.monotonic()
    result = session.node_state("node-2")
    took = time.monotonic() - t0
    assert result.ok, result.error
    remote = result.state
    assert remote is not None and remote.node == "node-2" and agents["node-2"] in result.source
    print(f"node-2 through pods/exec in {took:.2f} s")
    local = read_node(lab_cluster, "node-2")  # the real probe run inside node-2's namespace

    # Node-2's own addresses, not node-1's nor the machine's.
    ips = {a.get("local") for link in remote.addresses for a in link.get("addr_info", [])}
    assert lab_cluster.nodes["node-2"].host_ip in ips
    assert lab_cluster.nodes["node-1"].host_ip not in ips
    mode = kube_proxy_mode
    if mode == "nftables":
        assert remote.nft_ruleset is not None and "kube-proxy" in json.dumps(dict(remote.nft_ruleset))
    else:
        backend = "legacy" if mode == "iptables-legacy" else "nft"
        truth = lab_cluster.iptables_save("node-2", backend)
        got = [t for t in (remote.iptables.get(backend) or "").split("\n*") if t.startswith(("nat", "*nat"))]
        assert got and nat_rules(got[0]) == nat_rules(truth)

    cluster = api_state(lab_cluster)
    from_exec = trace_service(cluster, remote, "default", "website")
    from_local = trace_service(cluster, local, "default", "website")
    assert from_exec.node == "node-2"
    assert without_counters(as_document(from_exec)) == without_counters(as_document(from_local))
    (port,) = from_exec.ports
    assert len(port.endpoints) == len(lab_cluster.ready_endpoints("default", "website")) == 3

    # What the reader did, as the API server recorded it: reads, and the exec into the agent.
    records = [r for r in audit.records(user=READER)]
    assert records, "no audit records for the reader"
    execs = [r for r in records if (r.get("objectRef") or {}).get("subresource") == "exec"]
    assert execs and all((r["objectRef"]["namespace"], r["objectRef"]["resource"]) == (AGENT_NAMESPACE, "pods")
                         and r["objectRef"]["name"] == agents["node-2"] for r in execs), list(map(describe, execs))
    # The WebSocket handshake is a GET, recorded as `get` (the API server also checks `create`).
    assert {r["verb"] for r in execs} <= {"get", "create"}
    others = [describe(r) for r in records if r not in execs and r["verb"] not in ("get", "list", "watch")]
    assert not others, others


def test_one_node_state_is_cached_with_its_age(lab_cluster, agents):
    session = reader_session(lab_cluster)
    first = session.node_state("node-1")
    assert first.ok, first.error
    assert session.node_state("node-1") is first and first.age() is not None
    assert session.cached_node_state("node-2") is None


def test_without_pods_exec_the_message_names_the_grant(lab_cluster, agents):
    # viewer: the `view` ClusterRole everywhere, so it finds the agent pod, but may not exec.
    result = reader_session(lab_cluster, "viewer").node_state("node-2")
    assert result.state is None
    assert "forbidden" in result.error and "pods/exec" in result.error and AGENT_NAMESPACE in result.error
    assert "--reader-role" in result.error
    # nobody: may not even list the agent's pods.
    nobody = reader_session(lab_cluster, "nobody").node_state("node-2")
    assert nobody.state is None and "list pods" in nobody.error and AGENT_NAMESPACE in nobody.error


def test_create_alone_is_not_enough_over_websocket(lab_cluster, agents):
    """Why the Role has `get` on pods/exec too: the handshake is authorized as `get` first."""
    only_create = {**reader_role(), "metadata": {"name": "k8snet-agent-create-only", "namespace": AGENT_NAMESPACE},
                   "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]},
                             {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]}
    binding = {**BINDING, "metadata": {"name": "k8snet-agent-create-only", "namespace": AGENT_NAMESPACE},
               "roleRef": {**BINDING["roleRef"], "name": "k8snet-agent-create-only"},
               "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "nobody"}]}
    lab_cluster.apply([only_create, binding])
    try:
        deadline = time.monotonic() + 10
        while True:
            result = AgentReader(live_api(lab_cluster.users["nobody"].kubeconfig)).read("node-2")
            if "list pods" not in result.error or time.monotonic() > deadline:
                break
            time.sleep(0.2)  # the RBAC informer has not seen the binding yet
        assert result.state is None and "pods/exec" in result.error and "forbidden" in result.error
    finally:
        lab_cluster.delete([only_create, binding])


def test_capture_writes_both_nodes_state(lab_cluster, agents, tmp_path: Path):
    out = tmp_path / "snap"
    kubeconfig = lab_cluster.users[READER].kubeconfig
    proc = subprocess.run([sys.executable, "-I", "-m", "k8snet_tui", "capture", "-o", str(out),
                           "--kubeconfig", str(kubeconfig), "-n", "default"],
                          capture_output=True, text=True, timeout=240,
                          env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(tmp_path),
                               "K8SNET_OFFLINE": "1"})
    assert proc.returncode == 0, proc.stderr
    assert "node state 2/2" in proc.stderr, proc.stderr
    snap = load_snapshot(out)
    for node in ("node-1", "node-2"):
        assert node in snap.nodes, (sorted(snap.nodes), proc.stdout)
        assert snap.nodes[node].iptables or snap.nodes[node].nft_ruleset is not None
    meta = yaml.safe_load((out / "meta.json").read_text())
    assert meta["format"]
    addrs = json.loads((out / "nodes" / "node-2" / "ip-addr.json").read_text())
    assert lab_cluster.nodes["node-2"].host_ip in json.dumps(addrs)


def one_shot(cluster, user: str, *argv: str, home: Path) -> subprocess.CompletedProcess:
    """`k8snet ARGV` as `user`, from this process's namespace (the machine's: not node-2)."""
    return subprocess.run([sys.executable, "-I", "-m", "k8snet_tui", *argv,
                           "--kubeconfig", str(cluster.users[user].kubeconfig), "-n", "default"],
                          capture_output=True, text=True, timeout=240,
                          env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(home), "K8SNET_OFFLINE": "1"})


def test_one_shot_trace_with_node_reads_that_node_through_its_agent(lab_cluster, agents, kube_proxy_mode,
                                                                    tmp_path: Path):
    proc = one_shot(lab_cluster, READER, "trace", "default/website", "--node", "node-2", "--json", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    source = doc.pop("source")
    assert source["kind"] == "live"
    local = read_node(lab_cluster, "node-2")  # the real probe run inside node-2's namespace
    truth = as_document(trace_service(api_state(lab_cluster), local, "default", "website"))
    assert doc["node"] == "node-2"
    assert without_counters(doc) == without_counters(truth)
    # The machine's namespace has no kube-proxy rules: a trace from this machine's own probe,
    # relabelled node-2, would have no endpoint chains at all.
    (port,) = doc["ports"]
    assert port["chains"]["service"] and len(port["endpoints"]) == 3


def as_document(trace) -> dict:
    """A trace as `--json` prints it (its own fields), through a JSON round trip."""
    from k8snet_tui.present.serialize import to_jsonable

    return json.loads(json.dumps(trace.to_json() if hasattr(trace, "to_json") else to_jsonable(trace)))


def test_one_shot_without_pods_exec_exits_4_naming_the_grant(lab_cluster, agents, tmp_path: Path):
    proc = one_shot(lab_cluster, "viewer", "trace", "default/website", "--node", "node-2", "--json", home=tmp_path)
    assert proc.returncode == 4, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stdout == ""
    err = proc.stderr
    assert "node-2" in err and "forbidden" in err and "pods/exec" in err and "--reader-role" in err, err
    assert "Traceback" not in err
    # and a node no agent runs on is named as such (node-3 does not exist: the admin sees the node list)
    proc = subprocess.run([sys.executable, "-I", "-m", "k8snet_tui", "show", "host", "--node", "node-3",
                           "--kubeconfig", str(lab_cluster.kubeconfig)], capture_output=True, text=True,
                          timeout=240, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(tmp_path),
                                            "K8SNET_OFFLINE": "1"})
    assert proc.returncode == 2 and "no such node" in proc.stderr and "node-2" in proc.stderr, proc.stderr

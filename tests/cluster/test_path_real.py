"""Issue 16 "Done when": the classic causes of the Kubernetes "Debug Services" guide, each as real
objects in the test cluster (tests/cluster/scenarios/path/), plus working paths. For each, the
real connection from the source pod's network namespace (connect_from_pod, after the pod's own
DNS search walk with dig) fails or succeeds as the case says, and `k8snet path FROM TO --json`
on the live cluster names the expected first failing hop (or says reachable).

Real components: kube-proxy on both nodes (stopped on node-2 for the stale-rules case),
CoreDNS, kube-router enforcing the two policies. One module fixture applies everything once.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from k8snet_tui.sources.pod_connect import connect_from_pod

from tests.cluster.harness.api import ApiError
from tests.cluster.harness.enforcer import KubeRouter

pytestmark = pytest.mark.cluster

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
NAMESPACES = ("pl-web", "pl-other", "pl-deny", "pl-egress")
PODS = {("pl-web", "web-1"), ("pl-web", "web-2"), ("pl-web", "slow-1"), ("pl-web", "client-1"),
        ("pl-web", "client-2"), ("pl-other", "client-o"), ("pl-deny", "web-d"), ("pl-egress", "locked")}
# Services kube-proxy must have programmed on both nodes before node-2's is stopped: (ns, name, endpoints)
PROGRAMMED = (("pl-web", "good-n1", 1), ("pl-web", "good-n2", 1), ("pl-web", "badport", 1),
              ("pl-web", "np-local", 1), ("pl-web", "np-cluster", 1), ("pl-deny", "guarded", 1))
CONNECT_TIMEOUT = 1.5
NODE1, NODE2 = "172.31.24.84", "172.31.24.122"


@dataclass(frozen=True)
class Case:
    id: str
    src: str  # NS/POD, or outside (the machine's namespace, beyond the nodes)
    dst: str  # as `k8snet path` takes it
    hop: str | None  # the first failing hop the diagnosis must name; None: reachable
    real: bool  # the real connection succeeds
    cause: str  # in the guide's words

    @property
    def node(self) -> str:
        """The node whose datapath the connection starts in."""
        if self.src == "outside":
            return "node-2" if self.dst.startswith(NODE2) else "node-1"
        return {"client-1": "node-1", "client-2": "node-2", "client-o": "node-1", "locked": "node-1"}[
            self.src.split("/")[1]]


CASES = [
    # working
    Case("same-node", "pl-web/client-1", "good-n1:80", None, True, "pod to a Service whose pod is on the same node"),
    Case("cross-node", "pl-web/client-1", "good-n2:80", None, True, "pod to a Service whose pod is on the other node"),
    Case("fqdn", "pl-web/client-2", "good-n1.pl-web.svc.cluster.local:80", None, True, "by its full name, cross node"),
    Case("short-name", "pl-web/client-2", "good-n2:80", None, True, "by its short name in the same namespace"),
    Case("namespaced-name", "pl-other/client-o", "good-n1.pl-web:80", None, True, "NAME.NAMESPACE from elsewhere"),
    Case("pod-ip", "pl-web/client-1", "@web-2:80", None, True, "a pod's IP directly"),
    Case("nodeport-outside", "outside", f"{NODE2}:31572", None, True, "NodePort from outside, endpoint on the other node"),
    Case("local-nodeport-with-endpoint", "outside", f"{NODE1}:31571", None, True,
         "externalTrafficPolicy: Local at the node that has the endpoint"),
    # broken
    Case("selector-typo", "pl-web/client-1", "typo:80", "endpoints", False, "the selector matches no pod (app=plwbe)"),
    Case("not-ready", "pl-web/client-1", "notready:80", "endpoints", False, "the only pod is not ready"),
    Case("numeric-target-port", "pl-web/client-1", "badport:80", "port", False,
         "targetPort 8080: the container serves 80"),
    Case("named-target-port", "pl-web/client-1", "badname:80", "port", False,
         'targetPort "web": the pod names its port "http"'),
    Case("wrong-client-port", "pl-web/client-1", "good-n1:8080", "service", False, "the Service has no port 8080"),
    Case("short-name-other-namespace", "pl-other/client-o", "good-n1:80", "dns", False,
         "a short name from another namespace"),
    Case("ingress-default-deny", "pl-web/client-1", "guarded.pl-deny:80", "policy", False,
         "default-deny ingress in the destination's namespace"),
    Case("egress-deny-no-dns", "pl-egress/locked", "good-n1.pl-web:80", "dns", False,
         "default-deny egress without DNS allowed: the name cannot be looked up"),
    Case("egress-deny-by-address", "pl-egress/locked", "@svc:pl-web/good-n1:80", "policy", False,
         "default-deny egress, the ClusterIP dialled directly"),
    Case("stale-kube-proxy", "pl-web/client-2", "late:80", "datapath", False,
         "the Service was created while kube-proxy on node-2 was stopped"),
    Case("local-nodeport-without-endpoint", "outside", f"{NODE2}:31571", "datapath", False,
         "externalTrafficPolicy: Local at a node without endpoints"),
]


def _not_ready(c, namespace: str, name: str) -> None:
    """What a failing readiness probe does to the pod's status (kwok leaves Running pods alone)."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    patch = {"status": {"conditions": [
        {"type": "Ready", "status": "False", "reason": "ReadinessProbeFailed", "lastTransitionTime": now},
        {"type": "ContainersReady", "status": "False", "lastTransitionTime": now}]}}
    c.api.request("PATCH", f"/api/v1/namespaces/{namespace}/pods/{name}/status", patch,
                  content_type="application/strategic-merge-patch+json")


def _endpoints(c, namespace: str, service: str) -> list[tuple[str, bool]]:
    slices = c.api.get(f"/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices",
                       labelSelector=f"kubernetes.io/service-name={service}")["items"]
    return [(a, ep.get("conditions", {}).get("ready", True)) for s in slices
            for ep in s.get("endpoints") or [] for a in ep["addresses"]]


def _policy_count(c) -> int:
    return len(c.api.get("/apis/networking.k8s.io/v1/networkpolicies")["items"])


@contextlib.contextmanager
def path_scenario(c):
    """Every scenario's objects, kube-router enforcing, kube-proxy on node-2 stopped before `late`;
    all put back after. Also usable by hand on a cluster started from Python."""
    t0 = time.monotonic()
    kr: KubeRouter | None = None
    stopped = late = False
    try:
        c.apply(SCENARIOS / "path")
        c._wait("the path scenario's pods to have network namespaces and servers",
                lambda: all((p := c.agent.find(ns, n)) is not None and p.serving() for ns, n in PODS), 90)
        _not_ready(c, "pl-web", "slow-1")
        c._wait("slow-1 to be a not-ready endpoint of notready",
                lambda: [r for _, r in _endpoints(c, "pl-web", "notready")] == [False], 60)
        for ns, svc, count in PROGRAMMED:
            c._wait(f"{count} ready endpoint(s) of {ns}/{svc}",
                    lambda ns=ns, svc=svc, count=count: len(c.ready_endpoints(ns, svc)) == count, 60)
            c.wait_for_service_rules(ns, svc, "http")
        kr = KubeRouter(c)
        kr.start()
        kr.wait_settled(lambda: _policy_count(c))
        c.stop_kube_proxy("node-2")
        stopped = True
        c.apply(SCENARIOS / "path-stale")
        c._wait("pl-web/late's endpoint", lambda: len(c.ready_endpoints("pl-web", "late")) == 1, 60)
        late = True
        c._wait("node-1's rules for pl-web/late",
                lambda: c.service_rule_endpoints("node-1", "pl-web", "late", "http") == 1, 60)
        c.log(f"[k8snet-cluster] path scenarios ready in {time.monotonic() - t0:.1f} s")
        yield c
    finally:
        t1 = time.monotonic()
        took: dict[str, float] = {}
        if stopped:  # synced once it has written the rules of the Service it missed
            c.start_kube_proxy("node-2", synced=("pl-web", "late", "http") if late else ("default", "website", "http"))
            took["kube-proxy"] = time.monotonic() - t1
        # Pods first (kwok removes them at once), so the namespace controller finds them gone
        # on its first pass instead of coming back seconds later.
        for ns in NAMESPACES:
            with contextlib.suppress(ApiError):  # a namespace the setup did not get to
                c.api.request("DELETE", f"/api/v1/namespaces/{ns}/pods", query={"gracePeriodSeconds": "0"})
        for ns in NAMESPACES:
            c.delete("Namespace", ns, None, "v1", grace_seconds=0)
        if kr is not None:
            kr.stop()
            took["kube-router"] = time.monotonic() - t1 - sum(took.values())
        c._wait("the path scenario's namespaces to be deleted", lambda: not [
            n for n in c.api.get("/api/v1/namespaces")["items"] if n["metadata"]["name"] in NAMESPACES], 120)
        took["namespaces"] = time.monotonic() - t1 - sum(took.values())
        c.log(f"[k8snet-cluster] path scenarios torn down in {time.monotonic() - t1:.1f} s ("
              + ", ".join(f"{k} {v:.1f}" for k, v in took.items())
              + f"; module total {time.monotonic() - t0:.1f} s)")


@pytest.fixture(scope="module")
def scenario(lab_cluster):
    with path_scenario(lab_cluster) as c:
        yield c


# ---- the real connection ---------------------------------------------------------------------

def _pod(c, src: str):
    ns, name = src.split("/")
    pod = c.agent.find(ns, name)
    assert pod is not None, src
    return pod


def _service_ip(c, ref: str) -> str:
    ns, name = ref.split("/")
    return c.api.get(f"/api/v1/namespaces/{ns}/services/{name}")["spec"]["clusterIP"]


def _pod_lookup(c, src: str, name: str) -> list[str]:
    """The A answers the pod's own resolver walk gives (its resolv.conf: search list, ndots:5)."""
    ns, pod = src.split("/")
    out = c.run_in_pod(ns, pod, ["dig", "+search", "+short", "+time=1", "+tries=1", name, "A"], timeout=30).stdout
    answers = []
    for line in out.splitlines():
        try:
            answers.append(str(ipaddress.IPv4Address(line.strip())))
        except ValueError:
            continue
    return answers


def _dial(c, case: Case) -> tuple[str | None, int]:
    """The address and port the source's packet goes to, found the way the source would."""
    host, _, port = case.dst.rpartition(":")
    if host.startswith("@svc:"):  # a Service's ClusterIP, typed as an address
        return _service_ip(c, host[5:]), int(port)
    if host.startswith("@"):  # a pod's IP
        return _pod(c, f"pl-web/{host[1:]}").ip, int(port)
    try:
        return str(ipaddress.ip_address(host)), int(port)
    except ValueError:
        answers = _pod_lookup(c, case.src, host)
        return (answers[0] if answers else None), int(port)


def real_outcome(c, case: Case) -> tuple[bool, str]:
    host, port = _dial(c, case)
    if host is None:
        return False, "the name did not resolve from the pod"
    if case.src == "outside":
        with socket.socket() as s:
            s.settimeout(CONNECT_TIMEOUT)
            try:
                s.connect((host, port))
            except OSError as exc:
                return False, f"{host}:{port}: {exc}"
            return True, f"{host}:{port}: connected"
    pod = _pod(c, case.src)
    got = connect_from_pod(pod.ip, host, port, timeout_s=CONNECT_TIMEOUT)
    assert got.attempted, got.unavailable
    assert got.netns == f"/run/netns/{pod.pod_ns}", got  # from the source pod's own namespace
    return got.ok, f"{host}:{port}: {got.error or 'connected'}"


def _dst_text(c, case: Case) -> str:
    """The destination as `k8snet path` is given it (the @ forms become addresses)."""
    host, _, port = case.dst.rpartition(":")
    if host.startswith("@svc:"):
        return f"{_service_ip(c, host[5:])}:{port}"
    if host.startswith("@"):
        return f"{_pod(c, f'pl-web/{host[1:]}').ip}:{port}"
    return case.dst


@pytest.mark.parametrize("case", CASES, ids=lambda k: k.id)
def test_the_real_connection_fails_or_succeeds_as_the_case_says(scenario, case):
    ok, what = real_outcome(scenario, case)
    assert ok == case.real, f"{case.id} ({case.cause}): real connection {what}"


# ---- the diagnosis ---------------------------------------------------------------------------

K8SNET = Path(sys.executable).parent / "k8snet"  # the installed console script


def k8snet_path(c, case: Case, home: Path) -> tuple[dict, str]:
    """`k8snet path FROM TO --json --node NODE` (and --check when FROM is a pod): the installed
    command on the live cluster, as on the source's node (its probe runs in that node's
    namespace; the check connects from the pod's namespace). (document, stderr)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8",
           "KUBECONFIG": str(c.kubeconfig), "K8SNET_OFFLINE": "1", "K8SNET_CONFIG": str(home / "no-config.toml"),
           "K8SNET_PROBE_CMD": f"ip netns exec {c.nodes[case.node].netns} {sys.executable} -m k8snet_tui.probe"}
    argv = [str(K8SNET), "path", case.src, _dst_text(c, case), "--json", "--node", case.node]
    argv += ["--check"] if case.src != "outside" else []
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd="/", timeout=180, check=False)
    try:
        return json.loads(proc.stdout), proc.stderr
    except ValueError:
        return {"error": f"{' '.join(argv)} exited {proc.returncode} without JSON"}, proc.stderr


@pytest.fixture(scope="module")
def diagnoses(scenario, tmp_path_factory) -> dict[str, tuple[dict, str]]:
    """Every case's diagnosis, run a few at a time: each mostly waits (API lists, the probe, a
    connect timing out), so this keeps the module's cluster time short."""
    home = tmp_path_factory.mktemp("path-home")
    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = {case.id: pool.submit(k8snet_path, scenario, case, home) for case in CASES}
        done = {case_id: run.result() for case_id, run in runs.items()}
    scenario.log(f"[k8snet-cluster] {len(CASES)} path diagnoses in {time.monotonic() - t0:.1f} s")
    return done


def _shown(doc: dict) -> str:
    return "; ".join(f"{h['hop']} {h['verdict']}: {h.get('summary', '')}" for h in doc.get("hops", []))


@pytest.mark.parametrize("case", CASES, ids=lambda k: k.id)
def test_k8snet_path_names_the_first_failing_hop(diagnoses, case):
    doc, stderr = diagnoses[case.id]
    assert "error" not in doc, f"{doc['error']}; stderr: {stderr[-800:]}"
    assert {"reachable", "first_failure", "hops"} <= set(doc), doc
    assert all(h["verdict"] in ("ok", "fail", "unknown") for h in doc["hops"]), doc["hops"]
    got = doc["first_failure"]["hop"] if doc["first_failure"] else None
    assert (got, doc["reachable"]) == (case.hop, case.hop is None), (
        f"{case.id} ({case.cause}): expected {case.hop or 'reachable'}, got {got or 'no failure'}"
        f" (reachable {doc['reachable']}): {_shown(doc)}; stderr: {stderr[-400:]}")
    if case.hop is None:
        assert all(h["verdict"] == "ok" for h in doc["hops"]), _shown(doc)


@pytest.mark.parametrize("case", [k for k in CASES if k.src != "outside"], ids=lambda k: k.id)
def test_the_live_check_connects_from_the_pod_and_agrees(scenario, diagnoses, case):
    doc, _ = diagnoses[case.id]
    check = doc.get("check")
    assert check is not None, doc
    if check["unavailable"] is not None:
        # only when the walk found nothing to dial: a name that does not resolve from the pod
        assert case.hop == "dns" and not case.real, check
        return
    assert check["ok"] is case.real, check
    assert check["netns"] == f"/run/netns/{_pod(scenario, case.src).pod_ns}", check
    assert check["agrees"] is True, (check, doc.get("findings"))

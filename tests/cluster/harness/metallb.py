"""A real MetalLB (controller and speaker, layer 2 mode) in the test cluster.

    build.sh -> bin/metallb-controller, bin/metallb-speaker, bin/metallb-manifests/
    start():  client namespace on the node bridge -> CRDs -> MetalLB's own RBAC, Deployment and
              DaemonSet (kwok runs their pods as API objects) -> one bound ServiceAccount token
              per process -> the controller in node-1's namespace, a speaker in every node's
              namespace -> the lab's IPAddressPool and L2Advertisement

The speakers run without memberlist (MetalLB's documented mode: a speaker on every node, nodes
judged by their Node objects) and the controller with its webhooks off, so invalid pools reach
the controller itself (the bad-input tests read what it does with them). The pool is a /28 of
the node network no node, root link or client uses; the speakers answer ARP for its addresses on
the nodes' eth0 only. Traffic to an LB address comes from the client namespace, a host on the
same bridge, never from the machine. See docs/test-cluster.md ("A real MetalLB").
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from . import net

if TYPE_CHECKING:
    from .cluster import LabCluster

NAMESPACE = "metallb-system"
POOL_NAME = "lab-pool"
POOL_CIDR = ipaddress.ip_network("172.31.30.240/28")
CLIENT_IP = "172.31.20.10"
CLIENT_LINK = "client"  # its port on the bridge, inside the bridge namespace
SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "metallb"
NSTOOL = Path(__file__).resolve().parent.parent / "nstool.py"
BINARIES = ("metallb-controller", "metallb-speaker")
# Not applied: webhooks are off here (their configuration, certificate Secret and Service), and
# the CRDs come from config/crd/bases (the native manifest's copies carry a conversion webhook).
SKIPPED_KINDS = {"ValidatingWebhookConfiguration", "CustomResourceDefinition"}
SKIPPED_NAMES = {("Secret", "metallb-webhook-cert"), ("Service", "metallb-webhook-service")}
CONTROLLER_PORT = 7473  # node-1 also runs a speaker on MetalLB's default 7472
TOKEN_SECONDS = 24 * 3600


class MetalLBError(RuntimeError):
    pass


def available(bin_dir: Path) -> bool:
    """build.sh built MetalLB into this bin directory."""
    return all((bin_dir / b).is_file() for b in BINARIES) and (bin_dir / "metallb-manifests").is_dir()


def pool_problems(pool=POOL_CIDR, taken: tuple[str, ...] = ()) -> list[str]:
    """Why the pool must not be used: outside the node network, or holding an address in use."""
    problems = []
    if not pool.subnet_of(net.NODE_NET):
        problems.append(f"pool {pool} is outside the harness's node network {net.NODE_NET}")
    for a in (net.ROOT_LINK_ADDR, CLIENT_IP, *taken):
        if ipaddress.ip_address(a) in pool:
            problems.append(f"pool {pool} holds {a}, which is in use")
    if net.NODE_NET.broadcast_address in pool or net.NODE_NET.network_address in pool:
        problems.append(f"pool {pool} holds the node network's network or broadcast address")
    return problems


class MetalLB:
    def __init__(self, cluster: LabCluster):
        self.c = cluster
        self.bin = cluster.bin
        self.manifests = cluster.bin / "metallb-manifests"
        self.client_ns = f"{cluster.prefix}-client"
        self.kdir = cluster.run_dir / "metallb"
        self.procs: list[str] = []

    # ------------------------------------------------------------------ lifecycle
    def start(self, timeout: float = 90) -> None:
        problems = pool_problems(taken=tuple(n.host_ip for n in self.c.nodes.values()))
        if problems:
            raise MetalLBError("refusing to start MetalLB: " + "; ".join(problems))
        self.kdir.mkdir(parents=True, exist_ok=True)
        self._client_namespace()
        self._install(timeout)
        self._run(timeout)
        self.c.apply(SCENARIO)

    def stop(self) -> None:
        for name in self.procs:
            self.c._kill(name)

    def _client_namespace(self) -> None:
        """A host on the node bridge (172.31.20.10/20), as a machine in the lab's VPC subnet
        would be: it reaches the pool's addresses on-link, by ARP."""
        ns = self.client_ns
        net.netns_add(ns)
        net.sysctl(ns, {"net.ipv6.conf.all.disable_ipv6": "1", "net.ipv6.conf.default.disable_ipv6": "1"})
        net.ip("link", "add", "eth0", "type", "veth", "peer", "name", CLIENT_LINK, "netns", self.c.net_ns,
               ns=ns)
        net.ip_batch([f"link set {CLIENT_LINK} master br0", f"link set {CLIENT_LINK} up"], ns=self.c.net_ns)
        net.ip_batch([f"addr add {CLIENT_IP}/{net.NODE_NET.prefixlen} dev eth0", "link set eth0 up"], ns=ns)
        net.write_resolv_conf(ns, "# k8snet test client: no DNS\nnameserver 127.0.0.1\n")

    def _manifest_objects(self) -> list[dict]:
        docs = yaml.safe_load_all((self.manifests / "metallb-native.yaml").read_text())
        out = []
        for d in docs:
            if not d or d.get("kind") in SKIPPED_KINDS:
                continue
            if (d["kind"], d["metadata"]["name"]) in SKIPPED_NAMES:
                continue
            out.append(d)
        return out

    def _install(self, timeout: float) -> None:
        crds = sorted((self.manifests / "crd").glob("metallb.io_*.yaml"))
        if not crds:
            raise MetalLBError(f"no MetalLB CRDs in {self.manifests / 'crd'}; run tests/cluster/build.sh")
        for f in crds:
            self.c.apply(yaml.safe_load(f.read_text()))
        self.c._wait("the metallb.io CRDs to be served", self._crds_served, timeout)
        for obj in self._manifest_objects():
            self.c.apply(obj)

    def _crds_served(self) -> bool:
        for version, plural in (("v1beta1", "ipaddresspools"), ("v1beta1", "l2advertisements"),
                                ("v1beta1", "servicel2statuses")):
            self.c.api.get(f"/apis/metallb.io/{version}/namespaces/{NAMESPACE}/{plural}")
        return True

    def pods(self, component: str) -> dict[str, dict]:
        """MetalLB's pods of one component ("controller", "speaker") by node name."""
        items = self.c.api.get(f"/api/v1/namespaces/{NAMESPACE}/pods",
                               labelSelector=f"app=metallb,component={component}")["items"]
        return {p["spec"]["nodeName"]: p for p in items
                if p["spec"].get("nodeName") and not p["metadata"].get("deletionTimestamp")}

    def _token(self, account: str, pod: dict) -> str:
        """A ServiceAccount token from the TokenRequest API, bound to the pod it stands in for
        (as the kubelet's projected token is)."""
        req = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
               "spec": {"expirationSeconds": TOKEN_SECONDS,
                        "boundObjectRef": {"apiVersion": "v1", "kind": "Pod",
                                           "name": pod["metadata"]["name"], "uid": pod["metadata"]["uid"]}}}
        doc = self.c.api.request("POST", f"/api/v1/namespaces/{NAMESPACE}/serviceaccounts/{account}/token", req)
        return doc["status"]["token"]

    def _kubeconfig(self, name: str, account: str, pod: dict) -> Path:
        path = self.kdir / f"{name}.kubeconfig"
        self.c._write_kubeconfig(path, f"system:serviceaccount:{NAMESPACE}:{account}",
                                 self._token(account, pod))
        path.chmod(0o600)
        return path

    def _run(self, timeout: float) -> None:
        nodes = set(self.c.nodes)
        speakers = self.c._wait("a MetalLB speaker pod on every node",
                                lambda: (lambda s: s if set(s) == nodes else None)(self.pods("speaker")),
                                timeout, alive=("kube-controller-manager", "kube-scheduler", "kwok"))
        controllers = self.c._wait("the MetalLB controller pod", lambda: self.pods("controller"), timeout,
                                   alive=("kube-controller-manager", "kube-scheduler", "kwok"))
        ctl_pod = next(iter(controllers.values()))
        kc = self._kubeconfig("controller", "controller", ctl_pod)
        self._spawn("metallb-controller", "node-1", [
            str(self.bin / "metallb-controller"), f"--namespace={NAMESPACE}", "--webhook-mode=disabled",
            "--disable-cert-rotation", f"--port={CONTROLLER_PORT}", "--log-level=info"], kc)
        for node, pod in sorted(speakers.items()):
            kc = self._kubeconfig(f"speaker-{node}", "speaker", pod)
            self._spawn(f"metallb-speaker-{node}", node, [
                str(self.bin / "metallb-speaker"), f"--namespace={NAMESPACE}", f"--node-name={node}",
                f"--pod-name={pod['metadata']['name']}", f"--host={self.c.nodes[node].host_ip}",
                "--port=7472", "--log-level=info"], kc)
        time.sleep(0.5)
        self.c._check_alive(*self.procs)

    def _spawn(self, name: str, node: str, argv: list[str], kubeconfig: Path) -> None:
        self.c._spawn(name, argv, node=node, env={"KUBECONFIG": str(kubeconfig)})
        if name not in self.procs:
            self.procs.append(name)

    # ------------------------------------------------------------------ for tests
    def wait_address(self, namespace: str, service: str, timeout: float = 60) -> str:
        """The first status.loadBalancer.ingress address of the Service, once it has one."""
        def addr():
            svc = self.c.api.get(f"/api/v1/namespaces/{namespace}/services/{service}")
            ing = (svc.get("status", {}).get("loadBalancer", {}) or {}).get("ingress") or []
            return ing[0].get("ip") if ing else None
        return self.c._wait(f"an address for {namespace}/{service} from MetalLB", addr, timeout,
                            alive=tuple(self.procs))

    def run_in_client(self, argv: list[str], *, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(["ip", "netns", "exec", self.client_ns, *argv], capture_output=True,
                              text=True, timeout=timeout, check=False)

    def client_http(self, url: str, count: int = 1, timeout: float = 3) -> list[dict]:
        """GET url `count` times from the client namespace: one dict per answer, as
        LabCluster.http (with "client": the peer address the pod server saw)."""
        proc = self.run_in_client([sys.executable, str(NSTOOL), "http", url, "--count", str(count),
                                   "--timeout", str(timeout)], timeout=30 + count * timeout)
        if proc.returncode != 0:
            raise MetalLBError(f"nstool http {url} in the client namespace: {proc.stderr.strip()}")
        return json.loads(proc.stdout)["responses"]

    def client_neighbours(self) -> list[dict]:
        """The client namespace's ARP table (`ip -j neigh`)."""
        return json.loads(net.ip("-j", "neigh", "show", "dev", "eth0", ns=self.client_ns).stdout or "[]")

    def node_macs(self) -> dict[str, str]:
        """Each node's eth0 MAC address."""
        out = {}
        for name, n in self.c.nodes.items():
            link = json.loads(net.ip("-j", "link", "show", "eth0", ns=n.netns).stdout)[0]
            out[name] = link["address"]
        return out

    def controller_metric(self, name: str) -> float | None:
        """One unlabelled metric of the controller (its /metrics on 127.0.0.1 in node-1's
        namespace), e.g. metallb_k8s_client_config_stale_bool; None when it is not there."""
        proc = self.c.run_in_node("node-1", ["curl", "-s", "--max-time", "3",
                                             f"http://127.0.0.1:{CONTROLLER_PORT}/metrics"], timeout=10)
        for line in proc.stdout.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == name:
                return float(parts[1])
        return None

    def log(self, name: str) -> str:
        p = self.c.procs.get(name)
        return p.log.read_text(errors="replace") if p else ""

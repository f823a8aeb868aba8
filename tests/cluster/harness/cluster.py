"""The test cluster: a real control plane, two kwok nodes whose datapath is real.

    etcd -> kube-apiserver -> kube-controller-manager, kube-scheduler -> Node objects
    -> kwok -> pod agent -> kube-proxy per node -> the lab scenario -> ready

See docs/test-cluster.md for the topology and how to debug it.
"""

from __future__ import annotations

import atexit
import base64
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from . import metallb, net
from .agent import PodAgent
from .api import Api, ApiError, Applier, load_manifests
from .pki import make_pki

HERE = Path(__file__).resolve().parent.parent  # tests/cluster
SCENARIOS = HERE / "scenarios"
STATE_DIR = Path("/run/k8snet-test-cluster")
# The cluster's addresses are fixed (lab-like), so only one can run on a machine at a time.
# Runs take this lock and wait for each other instead of failing on the overlap check.
RUN_LOCK = STATE_DIR / "run.lock"
_lock_held_here = threading.Event()  # set while a cluster of this process holds RUN_LOCK

MODES = ("iptables-legacy", "iptables-nft", "nftables")
# Older kube-proxy releases build.sh also builds (tests/cluster/gobuild/kube-proxy-<release>),
# as bin/kube-proxy-<release>; set_kube_proxy_release() runs one of them instead of the current.
OLD_KUBE_PROXIES = ("v1.23", "v1.30")
COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy",
              "kwok", "coredns")
SERVICE_CIDR = str(net.SERVICE_CIDR)
CLUSTER_CIDR = str(net.CLUSTER_CIDR)
DNS_IP = "10.96.0.10"
ZONE = "cluster.local"

# Endpoints the lab scenario must have before the cluster counts as ready.
LAB_ENDPOINTS = {("default", "website"): 3, ("default", "headlesswebsite"): 3,
                 ("default", "webstate"): 3, ("default", "engine"): 1,
                 ("kube-system", "kube-dns"): 2, ("emissary", "emissary-ingress"): 1}


class ClusterError(RuntimeError):
    pass


def svc_chain_hash(service_port_name: str, protocol: str) -> str:
    """kube-proxy's portProtoHash: base32(sha256(spn + lower(proto)))[:16]."""
    digest = hashlib.sha256((service_port_name + protocol.lower()).encode()).digest()
    return base64.b32encode(digest).decode()[:16]


@dataclass(frozen=True)
class Node:
    name: str
    host_ip: str
    netns: str
    control_plane: bool


@dataclass(frozen=True)
class User:
    name: str
    token: str
    groups: tuple[str, ...] = ()
    kubeconfig: Path | None = None


@dataclass
class Proc:
    name: str
    argv: list[str]
    netns: str
    log: Path
    env: dict[str, str] | None = None
    popen: subprocess.Popen | None = None


def _pid_start_time(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except OSError:
        return None


def cleanup_stale_runs(log: Callable[[str], None] = print) -> list[str]:
    """Tear down what earlier runs left behind when they died without cleaning up (SIGKILL).
    A run is stale when the process that wrote its state file is gone."""
    cleaned = []
    if not STATE_DIR.is_dir():
        return cleaned
    for sf in STATE_DIR.glob("*.json"):
        try:
            st = json.loads(sf.read_text())
        except (OSError, ValueError):
            continue
        alive = _pid_start_time(st["pid"]) == st.get("pid_start")
        if alive:
            continue
        prefix = st["prefix"]
        log(f"[k8snet-cluster] cleaning up stale run {prefix} (pid {st['pid']} is gone)")
        _destroy_namespaces(prefix)
        for link in st.get("root_links", []):
            net.delete_link(link)
        if st.get("run_dir") and not st.get("keep"):
            shutil.rmtree(st["run_dir"], ignore_errors=True)
        sf.unlink(missing_ok=True)
        cleaned.append(prefix)
    return cleaned


def _destroy_namespaces(prefix: str) -> None:
    names = os.listdir("/run/netns") if os.path.isdir("/run/netns") else []
    mine = [n for n in names if n.startswith(prefix + "-")]
    # pods first, then nodes, then the bridge namespace
    mine.sort(key=lambda n: (0 if "-pod" in n else 1 if "-node-" in n else 2))
    for n in mine:
        net.netns_delete(n)
    for d in (Path("/etc/netns").glob(prefix + "-*") if Path("/etc/netns").is_dir() else []):
        shutil.rmtree(d, ignore_errors=True)


class LabCluster:
    """One run of the test cluster. `start()` brings it up and waits until the lab scenario
    is ready; `stop()` (idempotent; also run at exit and on SIGTERM) removes everything."""

    def __init__(self, bin_dir: str | Path, *, run_dir: Path | None = None,
                 log: Callable[[str], None] | None = None, mode: str = "iptables-legacy",
                 scenario: str | None = "lab101"):
        self.bin = Path(bin_dir)
        self.prefix = f"kn{os.getpid():x}{secrets.token_hex(1)}"
        self.run_dir = Path(run_dir) if run_dir else Path(f"/tmp/k8snet-cluster-{self.prefix}")
        self.log = log or (lambda m: print(m, file=sys.stderr, flush=True))
        self.initial_mode = mode
        self.scenario = scenario
        self.nodes = {
            "node-1": Node("node-1", "172.31.24.84", f"{self.prefix}-node-1", True),
            "node-2": Node("node-2", "172.31.24.122", f"{self.prefix}-node-2", False),
        }
        self.net_ns = f"{self.prefix}-net"
        self.root_link = f"{self.prefix}h"
        self.server = f"https://{self.nodes['node-1'].host_ip}:6443"
        self.audit_log = self.run_dir / "audit" / "audit.log"
        self.kube_proxy_mode: str | None = None
        self.kube_proxy_release: str | None = None  # None: the current release (bin/kube-proxy)
        self.pod_cidrs: dict[str, str] = {}
        self.timings: dict[str, float] = {}
        self.users: dict[str, User] = {}
        self.procs: dict[str, Proc] = {}
        self.agent: PodAgent | None = None
        self.metallb: metallb.MetalLB | None = None  # lab101 with MetalLB built: see start_metallb
        self.keep_run_dir = bool(os.environ.get("K8SNET_KEEP_CLUSTER"))
        self._stopped = False
        self._started = False
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ properties
    @property
    def node_netns(self) -> dict[str, str]:
        return {n.name: n.netns for n in self.nodes.values()}

    @property
    def admin_token(self) -> str:
        return self.users["admin"].token

    @property
    def kubeconfig(self) -> Path:
        return self.users["admin"].kubeconfig

    @property
    def ca_file(self) -> Path:
        return self.pki.ca_crt

    # ------------------------------------------------------------------ lifecycle
    def _take_run_lock(self) -> None:
        if _lock_held_here.is_set():
            # A second cluster in the same process: waiting would deadlock on our own lock;
            # the overlap check below refuses it with a clear error instead.
            return
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        self._lock_file = open(RUN_LOCK, "w")  # noqa: SIM115 - held until stop()
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.log("[k8snet-cluster] another test cluster is running here; waiting for it to finish")
            fcntl.flock(self._lock_file, fcntl.LOCK_EX)
        _lock_held_here.set()

    def _release_run_lock(self) -> None:
        lock = getattr(self, "_lock_file", None)
        if lock is not None:
            fcntl.flock(lock, fcntl.LOCK_UN)
            lock.close()
            self._lock_file = None
            _lock_held_here.clear()

    def start(self) -> LabCluster:
        self._take_run_lock()
        t0 = time.monotonic()
        problems = net.overlap_problems()
        if problems:
            cleanup_stale_runs(self.log)
            problems = net.overlap_problems()
        if problems:
            self._release_run_lock()
            raise ClusterError("refusing to start the test cluster: " + "; ".join(problems))
        self._started = True
        atexit.register(self.stop)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "logs").mkdir(exist_ok=True)
        self._write_state()
        try:
            self._phase("network", self._build_network)
            self._phase("pki+tokens", self._credentials)
            self._phase("etcd", self._start_etcd)
            self._phase("kube-apiserver", self._start_apiserver_and_wait)
            self._phase("controllers", self._start_controllers)
            self._phase("nodes", self._start_nodes)
            self._phase("agent+base", self._start_agent_and_base)
            self._phase("kube-proxy", lambda: self.set_kube_proxy_mode(self.initial_mode,
                                                                        wait_for_website=False))
            if self.scenario:
                self._phase("scenario", lambda: self.apply(SCENARIOS / self.scenario))
                self._phase("ready", self.wait_ready)
            if self.scenario == "lab101" and metallb.available(self.bin):
                self._phase("metallb", self.start_metallb)
        except Exception:
            self.log(f"[k8snet-cluster] start failed; logs in {self.run_dir}/logs")
            self.keep_run_dir = True
            raise
        self.timings["total"] = time.monotonic() - t0
        self.log(f"[k8snet-cluster] cluster ready in {self.timings['total']:.1f} s ("
                 + ", ".join(f"{k} {v:.1f}" for k, v in self.timings.items() if k != "total")
                 + f"); run dir {self.run_dir}")
        return self

    def _phase(self, name: str, fn: Callable[[], object]) -> None:
        t = time.monotonic()
        fn()
        self.timings[name] = time.monotonic() - t

    def stop(self) -> None:
        with self._lock:
            if self._stopped or not self._started:
                return
            self._stopped = True
        t = time.monotonic()
        for name in [n for n in self.procs if n.startswith(("kube-proxy", "kwok-exec", "metallb"))]:
            self._kill(name)
        if self.agent is not None:
            try:
                self.agent.stop()
            except Exception as e:  # keep tearing down
                self.log(f"[k8snet-cluster] agent stop: {e}")
        for name in ["kwok", "kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd"]:
            self._kill(name)
        _destroy_namespaces(self.prefix)
        net.delete_link(self.root_link)
        (STATE_DIR / f"{self.prefix}.json").unlink(missing_ok=True)
        if not self.keep_run_dir:
            shutil.rmtree(self.run_dir, ignore_errors=True)
        else:
            self.log(f"[k8snet-cluster] kept logs and state in {self.run_dir}")
        self._release_run_lock()
        self.log(f"[k8snet-cluster] torn down in {time.monotonic() - t:.1f} s")

    def _write_state(self) -> None:
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        (STATE_DIR / f"{self.prefix}.json").write_text(json.dumps({
            "prefix": self.prefix, "pid": os.getpid(), "pid_start": _pid_start_time(os.getpid()),
            "root_links": [self.root_link], "run_dir": str(self.run_dir)}))

    # ------------------------------------------------------------------ network
    def _build_network(self) -> None:
        specs = [net.NodeSpec(n.name, n.host_ip, n.netns, n.name) for n in self.nodes.values()]
        net.build_node_network(self.prefix, specs, self.root_link, self.net_ns)
        # per-mode PATH directories: kube-proxy runs whichever iptables it finds first
        for mode, variant in (("iptables-legacy", "legacy"), ("iptables-nft", "nft")):
            d = self.run_dir / "modes" / mode
            d.mkdir(parents=True, exist_ok=True)
            for base in ("iptables", "ip6tables"):
                for suffix in ("", "-save", "-restore"):
                    tool = f"{base}{suffix}"                      # iptables-save
                    target = shutil.which(f"{base}-{variant}{suffix}")  # iptables-legacy-save
                    if target is None:
                        raise ClusterError(f"{base}-{variant}{suffix} is not installed")
                    (d / tool).unlink(missing_ok=True)
                    (d / tool).symlink_to(target)
        (self.run_dir / "modes" / "nftables").mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------------ credentials
    def _credentials(self) -> None:
        host = self.nodes["node-1"].host_ip
        self.pki = make_pki(self.run_dir / "pki", [host, "10.96.0.1", "127.0.0.1"],
                            ["kubernetes", "kubernetes.default", "kubernetes.default.svc",
                             f"kubernetes.default.svc.{ZONE}", "localhost", "node-1"])
        people = [
            ("admin", ("system:masters",)),
            ("restricted", ()),          # reads pods/services/endpoints in default only
            ("viewer", ()),              # the `view` ClusterRole, cluster-wide
            ("nobody", ()),              # authenticated, no permissions at all
            ("system:kube-controller-manager", ()),
            ("system:kube-scheduler", ()),
            ("system:kube-proxy", ()),
            ("kwok", ("system:masters",)),
            ("system:serviceaccount:kube-system:coredns",
             ("system:serviceaccounts", "system:serviceaccounts:kube-system")),
        ]
        lines = []
        kdir = self.run_dir / "kubeconfigs"
        kdir.mkdir(exist_ok=True)
        for i, (name, groups) in enumerate(people):
            token = secrets.token_hex(24)
            short = name.rsplit(":", 1)[-1]
            kc = kdir / f"{short}.kubeconfig"
            self._write_kubeconfig(kc, short, token)
            self.users[short] = User(name, token, groups, kc)
            g = ",".join(groups)
            lines.append(f'{token},{name},uid-{i}' + (f',"{g}"' if g else ""))
        (self.run_dir / "tokens.csv").write_text("\n".join(lines) + "\n")
        self.api = Api(self.server, self.admin_token, str(self.pki.ca_crt))
        self.applier = Applier(self.api)

    def _write_kubeconfig(self, path: Path, user: str, token: str) -> None:
        doc = {
            "apiVersion": "v1", "kind": "Config", "preferences": {},
            "clusters": [{"name": "k8snet-test", "cluster": {
                "server": self.server, "certificate-authority": str(self.run_dir / "pki" / "ca.crt")}}],
            "users": [{"name": user, "user": {"token": token}}],
            "contexts": [{"name": f"{user}@k8snet-test",
                          "context": {"cluster": "k8snet-test", "user": user}}],
            "current-context": f"{user}@k8snet-test",
        }
        path.write_text(yaml.safe_dump(doc, sort_keys=False))

    # ------------------------------------------------------------------ processes
    def _spawn(self, name: str, argv: list[str], node: str = "node-1",
               env: dict[str, str] | None = None) -> Proc:
        p = Proc(name, argv, self.nodes[node].netns, self.run_dir / "logs" / f"{name}.log", env)
        self.procs[name] = p
        self._launch(p)
        return p

    def _launch(self, p: Proc) -> None:
        env = dict(os.environ)
        env.update(p.env or {})
        with open(p.log, "ab") as logf:
            logf.write(f"--- {time.strftime('%H:%M:%S')} {' '.join(p.argv)}\n".encode())
            logf.flush()
            p.popen = subprocess.Popen(["ip", "netns", "exec", p.netns, *p.argv], stdout=logf,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       start_new_session=True, env=env, cwd=str(self.run_dir))

    def _kill(self, name: str, timeout: float = 5) -> None:
        p = self.procs.get(name)
        if p is None or p.popen is None or p.popen.poll() is not None:
            return
        try:
            os.killpg(p.popen.pid, signal.SIGTERM)
            p.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.popen.pid, signal.SIGKILL)
            p.popen.wait(timeout=10)
        except ProcessLookupError:
            pass

    def _check_alive(self, *names: str) -> None:
        for name in names:
            p = self.procs.get(name)
            if p and p.popen and p.popen.poll() is not None:
                tail = p.log.read_text(errors="replace").splitlines()[-25:]
                raise ClusterError(f"{name} exited with {p.popen.returncode}; last log lines:\n"
                                   + "\n".join(tail))

    def _wait(self, what: str, cond: Callable[[], object], timeout: float, *,
              alive: tuple[str, ...] = (), interval: float = 0.2):
        deadline = time.monotonic() + timeout
        last_err: Exception | None = None
        while True:
            self._check_alive(*alive)
            try:
                v = cond()
                if v:
                    return v
            except (ApiError, OSError, LookupError, KeyError, ValueError) as e:
                last_err = e
            if time.monotonic() > deadline:
                extra = f" (last error: {last_err})" if last_err else ""
                raise ClusterError(f"timed out after {timeout:.0f} s waiting for {what}{extra}")
            time.sleep(interval)

    # ------------------------------------------------------------------ control plane
    def _start_etcd(self) -> None:
        data = self.run_dir / "etcd"
        self._spawn("etcd", [
            str(self.bin / "etcd"), "--name=node-1", f"--data-dir={data}",
            "--listen-client-urls=http://127.0.0.1:2379",
            "--advertise-client-urls=http://127.0.0.1:2379",
            "--listen-peer-urls=http://127.0.0.1:2380",
            "--initial-advertise-peer-urls=http://127.0.0.1:2380",
            "--initial-cluster=node-1=http://127.0.0.1:2380",
            "--unsafe-no-fsync=true", "--log-level=warn", "--quota-backend-bytes=2147483648",
        ])

    def _apiserver_argv(self) -> list[str]:
        host = self.nodes["node-1"].host_ip
        audit_policy = self.run_dir / "audit-policy.yaml"
        if not audit_policy.exists():
            audit_policy.write_text(yaml.safe_dump({
                "apiVersion": "audit.k8s.io/v1", "kind": "Policy",
                "omitStages": ["RequestReceived"],
                "rules": [{"level": "Metadata"}]}))
            self.audit_log.parent.mkdir(parents=True, exist_ok=True)
        pki = self.pki
        return [
            str(self.bin / "kube-apiserver"),
            "--etcd-servers=http://127.0.0.1:2379",
            f"--bind-address={host}", f"--advertise-address={host}", "--secure-port=6443",
            f"--tls-cert-file={pki.serving_crt}", f"--tls-private-key-file={pki.serving_key}",
            f"--client-ca-file={pki.ca_crt}",
            f"--token-auth-file={self.run_dir / 'tokens.csv'}",
            "--authorization-mode=Node,RBAC",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--service-node-port-range=30000-32767",
            f"--service-account-issuer=https://kubernetes.default.svc.{ZONE}",
            f"--service-account-key-file={pki.sa_pub}",
            f"--service-account-signing-key-file={pki.sa_key}",
            f"--audit-policy-file={audit_policy}", f"--audit-log-path={self.audit_log}",
            "--audit-log-maxbackup=1", "--audit-log-maxsize=200",
            "--allow-privileged=true", "--profiling=false",
            # Exec and logs dial the node's kubelet: by its InternalIP (the node names resolve nowhere).
            "--kubelet-preferred-address-types=InternalIP",
            f"--cert-dir={self.run_dir / 'apiserver-certs'}",
            "--enable-priority-and-fairness=false",
            # No watch cache: lists and watches read etcd, so compact_etcd() makes old
            # resourceVersions answer 410 Gone deterministically (the watcher tests need that).
            "--watch-cache=false",
            "--v=1",
        ]

    def _start_apiserver_and_wait(self) -> None:
        self._spawn("kube-apiserver", self._apiserver_argv())
        self._wait("kube-apiserver /readyz", self.api.healthy, 90, alive=("etcd", "kube-apiserver"),
                   interval=0.3)

    def stop_apiserver(self) -> None:
        """Stop kube-apiserver (SIGTERM, then SIGKILL). Everything else keeps running."""
        self._kill("kube-apiserver", timeout=15)

    def start_apiserver(self, timeout: float = 90) -> None:
        """Start kube-apiserver again with the same flags and wait until it is ready."""
        p = self.procs["kube-apiserver"]
        if p.popen is not None and p.popen.poll() is None:
            return
        self._launch(p)
        self._wait("kube-apiserver /readyz", self.api.healthy, timeout, alive=("kube-apiserver",),
                   interval=0.3)

    def _start_controllers(self) -> None:
        kcm = self.users["kube-controller-manager"].kubeconfig
        self._spawn("kube-controller-manager", [
            str(self.bin / "kube-controller-manager"),
            f"--kubeconfig={kcm}", f"--authentication-kubeconfig={kcm}",
            f"--authorization-kubeconfig={kcm}",
            "--bind-address=127.0.0.1", "--leader-elect=false",
            "--allocate-node-cidrs=true", f"--cluster-cidr={CLUSTER_CIDR}",
            "--node-cidr-mask-size=24", f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--controllers=*",
            f"--service-account-private-key-file={self.pki.sa_key}",
            f"--root-ca-file={self.pki.ca_crt}",
            "--use-service-account-credentials=true",
            "--cluster-name=kubernetes", "--v=1",
        ])
        sched = self.users["kube-scheduler"].kubeconfig
        self._spawn("kube-scheduler", [
            str(self.bin / "kube-scheduler"), f"--kubeconfig={sched}",
            f"--authentication-kubeconfig={sched}", f"--authorization-kubeconfig={sched}",
            "--bind-address=127.0.0.1", "--leader-elect=false", "--v=1",
        ])

    # ------------------------------------------------------------------ nodes
    def _node_object(self, n: Node) -> dict:
        labels = {"kubernetes.io/hostname": n.name, "kubernetes.io/os": "linux",
                  "kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
                  "beta.kubernetes.io/arch": "amd64", "type": "kwok"}
        if n.control_plane:
            labels["node-role.kubernetes.io/control-plane"] = ""
            labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
        return {
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": n.name, "labels": labels, "annotations": {
                "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"}},
            "spec": {},
            "status": {
                "addresses": [{"type": "InternalIP", "address": n.host_ip},
                              {"type": "Hostname", "address": n.name}],
                "capacity": {"cpu": "2", "memory": "8Gi", "pods": "110"},
                "allocatable": {"cpu": "2", "memory": "8Gi", "pods": "110"},
                "nodeInfo": {"architecture": "amd64", "operatingSystem": "linux",
                             "kubeletVersion": "v1.36.3", "kubeProxyVersion": "v1.36.3",
                             "osImage": "k8snet test node (kwok)",
                             "containerRuntimeVersion": "k8snet-harness://0",
                             "kernelVersion": os.uname().release},
            },
        }

    def _start_nodes(self) -> None:
        for n in self.nodes.values():  # one after the other: node-1 gets the first pod /24
            try:
                self.api.request("POST", "/api/v1/nodes", self._node_object(n))
            except ApiError as e:
                if e.status != 409:
                    raise
            self._wait(f"{n.name} podCIDR", lambda n=n: self._pod_cidr(n.name), 30,
                       alive=("kube-controller-manager",))
        self._spawn("kwok", [
            str(self.bin / "kwok"), f"--kubeconfig={self.users['kwok'].kubeconfig}",
            f"--config={Path(__file__).parent / 'kwok-stages.yaml'}",
            "--node-lease-duration-seconds=40",
            "--manage-all-nodes=false",
            "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
            "--server-address=127.0.0.1:10247",
            f"--node-ip={self.nodes['node-1'].host_ip}",
        ])

        def nodes_ready():
            items = self.api.get("/api/v1/nodes")["items"]
            ready = {i["metadata"]["name"] for i in items
                     if any(c["type"] == "Ready" and c["status"] == "True"
                            for c in i.get("status", {}).get("conditions", []))}
            return ready >= set(self.nodes)
        self._wait("nodes Ready", nodes_ready, 60, alive=("kwok",))
        for n in self.nodes.values():
            self.pod_cidrs[n.name] = self._pod_cidr(n.name)
        specs = [net.NodeSpec(n.name, n.host_ip, n.netns, n.name) for n in self.nodes.values()]
        net.build_cilium_datapath(specs, self.pod_cidrs)

    def _pod_cidr(self, node: str) -> str | None:
        return self.api.get(f"/api/v1/nodes/{node}").get("spec", {}).get("podCIDR")

    # ------------------------------------------------------------------ pods, base objects
    def _start_agent_and_base(self) -> None:
        self.agent = PodAgent(api=self.api, prefix=self.prefix, node_netns=self.node_netns,
                              node_ips={n.name: n.host_ip for n in self.nodes.values()},
                              run_dir=self.run_dir, coredns_bin=str(self.bin / "coredns"),
                              coredns_kubeconfig=self.users["coredns"].kubeconfig, log=self.log,
                              node_gateways={n: net.router_ip(c) for n, c in self.pod_cidrs.items()})
        self.agent.start()
        self.apply(SCENARIOS / "base")

    # ------------------------------------------------------------------ kube-proxy
    def _kube_proxy_bin(self) -> Path:
        release = self.kube_proxy_release
        return self.bin / (f"kube-proxy-{release}" if release else "kube-proxy")

    def _kube_proxy_argv(self, node: str, mode: str) -> list[str]:
        if self.kube_proxy_release:
            # Old releases know neither --nodeport-addresses=primary (1.29 on) nor
            # --oom-score-adj=0 quirks; they listen on every node address, as they did.
            return [str(self._kube_proxy_bin()), f"--kubeconfig={self.users['kube-proxy'].kubeconfig}",
                    f"--hostname-override={node}", f"--cluster-cidr={CLUSTER_CIDR}", "--proxy-mode=iptables",
                    "--conntrack-max-per-core=0", "--conntrack-min=0",
                    "--conntrack-tcp-timeout-established=0", "--oom-score-adj=0", "--v=1"]
        return [
            str(self.bin / "kube-proxy"),
            f"--kubeconfig={self.users['kube-proxy'].kubeconfig}",
            f"--hostname-override={node}",
            f"--cluster-cidr={CLUSTER_CIDR}",
            "--proxy-mode=" + ("nftables" if mode == "nftables" else "iptables"),
            "--conntrack-max-per-core=0", "--conntrack-min=0",
            "--conntrack-tcp-timeout-established=0",
            "--nodeport-addresses=primary",
            "--oom-score-adj=0",
            "--v=1",
        ]

    def _mode_env(self, mode: str) -> dict[str, str]:
        return {"PATH": f"{self.run_dir / 'modes' / mode}:/usr/sbin:/usr/bin:/sbin:/bin"}

    def set_kube_proxy_mode(self, mode: str, *, wait_for_website: bool = True,
                            timeout: float = 60) -> None:
        """(Re)start kube-proxy on every node in `mode`, after `kube-proxy --cleanup` removed
        the previous mode's rules. Waits until default/website's rules exist (if asked)."""
        if mode not in MODES:
            raise ValueError(f"unknown kube-proxy mode {mode!r}; one of {MODES}")
        old = self.kube_proxy_mode
        if old == mode:
            return
        t = time.monotonic()
        for node in self.nodes:
            self._kill(f"kube-proxy-{node}")
        if old is not None:
            for node in self.nodes:
                proc = subprocess.run(
                    ["ip", "netns", "exec", self.nodes[node].netns, str(self._kube_proxy_bin()),
                     "--cleanup", "--proxy-mode=" + ("nftables" if old == "nftables" else "iptables")],
                    env={**os.environ, **self._mode_env(old)}, capture_output=True, text=True,
                    timeout=60, check=False)
                with open(self.run_dir / "logs" / f"kube-proxy-{node}.log", "a") as f:
                    f.write(f"--- cleanup of {old} (rc {proc.returncode})\n{proc.stdout}{proc.stderr}")
        for node in self.nodes:
            self._spawn(f"kube-proxy-{node}", self._kube_proxy_argv(node, mode), node=node,
                        env=self._mode_env(mode))
        self.kube_proxy_mode = mode
        self._record_kube_proxy_mode(mode)
        if wait_for_website:
            self.wait_for_service_rules("default", "website", "http", timeout=timeout)
        self.log(f"[k8snet-cluster] kube-proxy in {mode} mode"
                 + (f" (was {old})" if old else "") + f" in {time.monotonic() - t:.1f} s")

    def kube_proxy_releases(self) -> list[str]:
        """The older kube-proxy releases built into the bin directory."""
        return [r for r in OLD_KUBE_PROXIES if (self.bin / f"kube-proxy-{r}").is_file()]

    def set_kube_proxy_release(self, release: str | None, mode: str = "iptables-nft", *,
                               timeout: float = 90) -> None:
        """Run kube-proxy `release` (one of kube_proxy_releases(), or None for the current one)
        on every node in iptables `mode`, after the running one cleaned up its rules."""
        if release is not None and release not in self.kube_proxy_releases():
            raise ValueError(f"kube-proxy {release} is not built; built: {self.kube_proxy_releases()}")
        if mode == "nftables" and release is not None:
            raise ValueError("the older kube-proxies here run in iptables modes only")
        if release == self.kube_proxy_release and mode == self.kube_proxy_mode:
            return
        if self.kube_proxy_mode != mode:
            self.set_kube_proxy_mode(mode, wait_for_website=False)
        if self.kube_proxy_mode is not None:  # the running binary cleans up after itself
            for node in self.nodes:
                self._kill(f"kube-proxy-{node}")
                subprocess.run(["ip", "netns", "exec", self.nodes[node].netns, str(self._kube_proxy_bin()),
                                "--cleanup", "--proxy-mode=iptables"], env={**os.environ, **self._mode_env(mode)},
                               capture_output=True, text=True, timeout=60, check=False)
        self.kube_proxy_release = release
        for node in self.nodes:
            self._kill(f"kube-proxy-{node}")
            self._spawn(f"kube-proxy-{node}", self._kube_proxy_argv(node, mode), node=node,
                        env=self._mode_env(mode))
        self.kube_proxy_mode = mode
        self.wait_for_service_rules("default", "website", "http", timeout=timeout)
        self.log(f"[k8snet-cluster] kube-proxy {release or 'current'} in {mode} mode")

    def stop_kube_proxy(self, node: str) -> None:
        """Stop kube-proxy on one node, leaving its rules as they are: stale from then on, as
        on a node whose kube-proxy died (Services created now get no rules there)."""
        self._kill(f"kube-proxy-{node}")

    def start_kube_proxy(self, node: str, synced: tuple[str, str, str] = ("default", "website", "http"),
                         timeout: float = 60) -> None:
        """Start kube-proxy again on a node stop_kube_proxy stopped (same release and mode), and
        wait until every node's rules for `synced` (namespace, Service, port name) match its ready
        endpoints: name a Service created while it was stopped to know it has synced."""
        if self.kube_proxy_mode is None:
            raise ClusterError("kube-proxy was never started")
        self._spawn(f"kube-proxy-{node}", self._kube_proxy_argv(node, self.kube_proxy_mode), node=node,
                    env=self._mode_env(self.kube_proxy_mode))
        self.wait_for_service_rules(*synced, timeout=timeout)

    def _record_kube_proxy_mode(self, mode: str) -> None:
        """Keep the kubeadm-style kube-proxy ConfigMap telling the truth about the mode."""
        try:
            cm = self.api.get("/api/v1/namespaces/kube-system/configmaps/kube-proxy")
        except ApiError:
            return
        conf = yaml.safe_load(cm["data"]["config.conf"])
        conf["mode"] = "nftables" if mode == "nftables" else "iptables"
        cm["data"]["config.conf"] = yaml.safe_dump(conf, sort_keys=False)
        self.api.request("PUT", "/api/v1/namespaces/kube-system/configmaps/kube-proxy", cm)

    def ready_endpoints(self, namespace: str, service: str) -> list[str]:
        slices = self.api.get(f"/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices",
                              labelSelector=f"kubernetes.io/service-name={service}")["items"]
        out = []
        for s in slices:
            for ep in s.get("endpoints") or []:
                if ep.get("conditions", {}).get("ready", True):
                    out.extend(ep["addresses"])
        return sorted(out)

    def iptables_save(self, node: str, backend: str, table: str = "nat", counters: bool = False
                      ) -> str:
        """`iptables-<backend>-save -t <table>` in the node ("" when the table does not exist).
        A legacy table is read only if the kernel lists it: reading would create it."""
        if backend == "legacy":
            names = self.run_in_node(node, ["cat", "/proc/net/ip_tables_names"]).stdout.split()
            if table not in names:
                return ""
        else:
            listed = self.run_in_node(node, ["nft", "list", "tables", "ip"]).stdout.split()
            if table not in listed:
                return ""
        proc = self.run_in_node(node, [f"iptables-{backend}-save", "-t", table]
                                + (["-c"] if counters else []))
        return proc.stdout if proc.returncode == 0 else ""

    def nft_kube_proxy_table(self, node: str) -> str:
        """`nft list table ip kube-proxy` in the node ("" when there is no such table)."""
        proc = self.run_in_node(node, ["nft", "list", "table", "ip", "kube-proxy"])
        return proc.stdout if proc.returncode == 0 else ""

    def service_rules_text(self, node: str, mode: str | None = None) -> str:
        """The node's NAT rules as kube-proxy's backend shows them (iptables-save or nft)."""
        mode = mode or self.kube_proxy_mode
        if mode == "nftables":
            return self.nft_kube_proxy_table(node)
        return self.iptables_save(node, "legacy" if mode == "iptables-legacy" else "nft")

    def service_rule_endpoints(self, node: str, namespace: str, service: str, port: str,
                               protocol: str = "tcp") -> int | None:
        """How many endpoints kube-proxy's rules on `node` balance the service port over
        (None: no rules for it yet)."""
        text = self.service_rules_text(node)
        if self.kube_proxy_mode == "nftables":
            needle = f"-{namespace}/{service}/{protocol}/{port} {{"
            lines = text.splitlines()
            for i, line in enumerate(lines):
                s = line.strip()
                if s.startswith("chain service-") and s.endswith(needle):
                    body = []
                    for nxt in lines[i + 1:]:
                        if nxt.strip() == "}":
                            break
                        body.append(nxt)
                    body_text = "\n".join(body)
                    if "numgen random mod" in body_text:
                        return int(body_text.split("numgen random mod", 1)[1].split()[0])
                    return body_text.count("goto endpoint-") + body_text.count("dnat to")
            return None
        chain = "KUBE-SVC-" + svc_chain_hash(f"{namespace}/{service}:{port}", protocol)
        if f":{chain} " not in text:
            return None
        return sum(1 for line in text.splitlines()
                   if line.startswith(f"-A {chain} ") and "-j KUBE-SEP-" in line)

    def wait_for_service_rules(self, namespace: str, service: str, port: str,
                               protocol: str = "tcp", timeout: float = 60) -> None:
        def ok():
            want = len(self.ready_endpoints(namespace, service))
            return want > 0 and all(
                self.service_rule_endpoints(n, namespace, service, port, protocol) == want
                for n in self.nodes)
        self._wait(f"kube-proxy ({self.kube_proxy_mode}) rules for {namespace}/{service}:{port}",
                   ok, timeout, alive=tuple(f"kube-proxy-{n}" for n in self.nodes), interval=0.3)

    # ------------------------------------------------------------------ readiness
    def scenario_variables(self) -> dict[str, str]:
        cidrs = {n: self.pod_cidrs.get(n, "") for n in ("node-1", "node-2")}
        return {"NODE1_POD_CIDR": cidrs["node-1"], "NODE2_POD_CIDR": cidrs["node-2"],
                "NODE1_ROUTER_IP": net.router_ip(cidrs["node-1"]) if cidrs["node-1"] else "",
                "NODE2_ROUTER_IP": net.router_ip(cidrs["node-2"]) if cidrs["node-2"] else ""}

    def wait_ready(self, timeout: float = 120) -> None:
        """Lab endpoints populated, every pod's server up, kube-proxy rules in place, CoreDNS
        answering through 10.96.0.10."""
        for (ns, svc), count in LAB_ENDPOINTS.items():
            self._wait(f"{count} ready endpoints for {ns}/{svc}",
                       lambda ns=ns, svc=svc, count=count: len(self.ready_endpoints(ns, svc)) >= count,
                       timeout, alive=("kube-controller-manager", "kwok"))

        def pods_serving():
            pods = self.api.get("/api/v1/pods")["items"]
            for p in pods:
                if p["spec"].get("nodeName") and p.get("status", {}).get("podIP") \
                        and not p["metadata"].get("deletionTimestamp") \
                        and not p["spec"].get("hostNetwork"):  # those share the node's namespace
                    pn = self.agent.find(p["metadata"]["namespace"], p["metadata"]["name"])
                    if pn is None or not pn.serving():
                        return False
            return True
        self._wait("every pod's server to listen", pods_serving, timeout)
        self.wait_for_service_rules("default", "website", "http", timeout=timeout)
        self.wait_for_service_rules("kube-system", "kube-dns", "dns", "udp", timeout=timeout)
        website_ip = self.api.get("/api/v1/namespaces/default/services/website")["spec"]["clusterIP"]
        name = f"website.default.svc.{ZONE}"
        for ip in self.ready_endpoints("kube-system", "kube-dns"):
            self._wait(f"CoreDNS at {ip} answering {name}",
                       lambda ip=ip: self._dig("node-1", name, ip) == [website_ip], timeout)
        self._wait(f"{DNS_IP} answering {name}",
                   lambda: self._dig("node-1", name, DNS_IP) == [website_ip], timeout)

    def _dig(self, node: str, name: str, server: str, rdtype: str = "A") -> list[str]:
        proc = self.run_in_node(node, ["dig", "+short", "+time=1", "+tries=1", f"@{server}",
                                       name, rdtype], timeout=10)
        if proc.returncode != 0 or "timed out" in proc.stdout:
            return []
        return sorted(proc.stdout.split())

    def start_metallb(self, timeout: float = 90) -> None:
        """MetalLB's controller and speakers, the lab's pool, the client namespace
        (harness/metallb.py); waits until emissary/emissary-ingress has its address."""
        self.metallb = metallb.MetalLB(self)
        self.metallb.start(timeout)
        self.metallb.wait_address("emissary", "emissary-ingress", timeout)

    # ------------------------------------------------------------------ for tests
    def run_in_node(self, node: str, argv: list[str], *, timeout: float = 60,
                    input: str | None = None, env: dict[str, str] | None = None
                    ) -> subprocess.CompletedProcess:
        """Run argv inside the node's network namespace (`ip netns exec`)."""
        return subprocess.run(["ip", "netns", "exec", self.nodes[node].netns, *argv],
                              capture_output=True, text=True, timeout=timeout, input=input,
                              env={**os.environ, **(env or {})}, check=False)

    def pod_netns(self, namespace: str, name: str) -> str:
        p = self.agent.find(namespace, name) if self.agent else None
        if p is None:
            raise LookupError(f"pod {namespace}/{name} has no network namespace (yet)")
        return p.pod_ns

    def run_in_pod(self, namespace: str, name: str, argv: list[str], *, timeout: float = 60
                   ) -> subprocess.CompletedProcess:
        """Run argv inside a pod's network namespace; /etc/resolv.conf is the pod's (kubelet
        style: nameserver 10.96.0.10, search <ns>.svc.cluster.local ..., ndots:5)."""
        return subprocess.run(["ip", "netns", "exec", self.pod_netns(namespace, name), *argv],
                              capture_output=True, text=True, timeout=timeout, check=False)

    def nstool(self, node: str, *args: str, timeout: float = 60) -> dict:
        proc = self.run_in_node(node, [sys.executable, str(HERE / "nstool.py"), *args],
                                timeout=timeout)
        if proc.returncode != 0:
            raise ClusterError(f"nstool {' '.join(args)} in {node}: {proc.stderr.strip()}")
        return json.loads(proc.stdout)

    def http(self, node: str, url: str, count: int = 1, timeout: float = 3) -> list[dict]:
        """GET url `count` times from inside the node namespace; one dict per answer:
        {"status", "pod", "namespace", "body"} or {"error"}."""
        return self.nstool(node, "http", url, "--count", str(count), "--timeout", str(timeout),
                           timeout=30 + count * timeout)["responses"]

    def dns(self, node: str, name: str, rdtype: str = "A", server: str = DNS_IP,
            tcp: bool = False) -> dict:
        """One DNS query from inside the node namespace: {"rcode", "answers": [rdata text]}."""
        args = ["dns", name, "--type", rdtype, "--server", server] + (["--tcp"] if tcp else [])
        return self.nstool(node, *args)

    def apply(self, manifest, variables: dict[str, str] | None = None) -> list[dict]:
        """Server-side apply a dict, a list of dicts, YAML text, a file or a directory.
        Files may use ${NODE1_POD_CIDR} / ${NODE2_POD_CIDR}."""
        objs = load_manifests(manifest, {**self.scenario_variables(), **(variables or {})})
        return [self.applier.apply(o) for o in objs]

    def delete(self, manifest_or_kind, name: str | None = None, namespace: str | None = None,
               api_version: str = "v1", *, grace_seconds: int | None = None) -> None:
        """delete(kind, name, namespace, api_version) or delete(<anything apply takes>)."""
        if name is not None:
            self.applier.delete(api_version, manifest_or_kind, name, namespace,
                                grace_seconds=grace_seconds)
            return
        for o in reversed(load_manifests(manifest_or_kind, self.scenario_variables())):
            md = o["metadata"]
            self.applier.delete(o["apiVersion"], o["kind"], md["name"], md.get("namespace"),
                                grace_seconds=grace_seconds)

    def compact_etcd(self) -> int:
        """Compact etcd's history up to its current revision (so old resourceVersions become
        "too old": 410 Gone). Returns the compacted revision."""
        return int(self.nstool("node-1", "etcd-compact")["revision"])

    def pod_log(self, namespace: str, name: str) -> str:
        p = self.run_dir / "pods" / f"{namespace}_{name}.log"
        return p.read_text(errors="replace") if p.exists() else ""

    def api_client(self, user: str = "admin"):
        """A kubernetes.client.ApiClient for `user` (admin, restricted, viewer, nobody)."""
        from kubernetes import config as kconfig
        return kconfig.new_client_from_config(config_file=str(self.users[user].kubeconfig))

    def describe(self) -> dict:
        return {"server": self.server, "kubeconfig": str(self.kubeconfig),
                "ca_file": str(self.ca_file), "audit_log": str(self.audit_log),
                "nodes": {n.name: {"netns": n.netns, "host_ip": n.host_ip,
                                   "pod_cidr": self.pod_cidrs.get(n.name)}
                          for n in self.nodes.values()},
                "users": {k: {"name": u.name, "token": u.token, "kubeconfig": str(u.kubeconfig)}
                          for k, u in self.users.items()},
                "kube_proxy_mode": self.kube_proxy_mode, "run_dir": str(self.run_dir),
                "prefix": self.prefix}

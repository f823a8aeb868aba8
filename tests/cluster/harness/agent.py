"""The harness agent: the "kubelet + CNI" of the test cluster.

kwok marks pods Running and gives them IPs from their node's podCIDR, but nothing runs.
This thread watches pods and, for each pod with a podIP on one of our nodes, creates a
pod network namespace wired into the node namespace the way Cilium wires it (an lxc... veth,
eth0 in the pod, the node's cilium_host address as the gateway; see net.py) and starts what
the image stands for:

  httpd                -> podserver.py --kind httpd  (Apache's "It works!")
  nginx, nginx-slim    -> podserver.py --kind nginx  (the nginx welcome page)
  coredns              -> the real CoreDNS, kubernetes plugin reading the API
  anything else        -> nothing (the pod still gets its network namespace)

A deleted pod's namespace and process go away with it. hostNetwork pods (the cilium and
kube-proxy DaemonSets, the control plane's static pods) share their node's namespace and get
nothing of their own.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import urllib3

from . import mesh, net
from .api import Api

HERE = Path(__file__).resolve().parent.parent  # tests/cluster


def image_kind(image: str) -> str | None:
    """httpd / nginx / coredns from an image reference, or None."""
    repo = image.split("@")[0]
    last = repo.rsplit("/", 1)[-1]
    name = last.split(":")[0]
    if name == "httpd":
        return "httpd"
    if name in ("nginx", "nginx-slim", "nginx-unprivileged"):
        return "nginx"
    if name == "coredns":
        return "coredns"
    return None


def rewrite_corefile(corefile: str, kubeconfig: str) -> str:
    """Point the kubernetes plugin at the harness's kubeconfig and drop every `forward`
    (with its block), so CoreDNS answers the cluster zones and forwards NOTHING anywhere."""
    out: list[str] = []
    lines = corefile.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if re.match(r"^forward(\s|$)", stripped):
            depth = line.count("{") - line.count("}")
            i += 1
            while depth > 0 and i < len(lines):
                depth += lines[i].count("{") - lines[i].count("}")
                i += 1
            continue
        if re.match(r"^kubernetes(\s|$)", stripped):
            indent = line[: len(line) - len(line.lstrip())]
            if stripped.endswith("{"):
                out.append(line)
                out.append(f"{indent}   kubeconfig {kubeconfig}")
            else:
                out.append(f"{line} {{")
                out.append(f"{indent}   kubeconfig {kubeconfig}")
                out.append(f"{indent}}}")
            i += 1
            continue
        out.append(line)
        i += 1
    return "\n".join(out) + "\n"


def pod_resolv_conf(namespace: str, policy: str, zone: str = "cluster.local",
                    dns_ip: str = "10.96.0.10") -> str | None:
    if policy in ("ClusterFirst", "ClusterFirstWithHostNet", ""):
        return (f"nameserver {dns_ip}\n"
                f"search {namespace}.svc.{zone} svc.{zone} {zone}\n"
                "options ndots:5\n")
    return None


@dataclass
class PodNet:
    uid: str
    namespace: str
    name: str
    node: str
    ip: str
    pod_ns: str
    host_link: str
    kind: str | None
    log_path: Path
    proc: subprocess.Popen | None = None
    ready_file: Path | None = None
    started: float = field(default_factory=time.monotonic)

    def serving(self) -> bool:
        """httpd/nginx: the server has bound its port. coredns: its process runs (the harness
        checks answers separately). Others: always (nothing to serve)."""
        if self.kind in ("httpd", "nginx"):
            return bool(self.ready_file and self.ready_file.exists()) and self.proc.poll() is None
        if self.kind == "coredns":
            return self.proc is not None and self.proc.poll() is None
        return True


class PodAgent(threading.Thread):
    def __init__(self, *, api: Api, prefix: str, node_netns: dict[str, str],
                 node_ips: dict[str, str], run_dir: Path,
                 coredns_bin: str, coredns_kubeconfig: Path, log: Callable[[str], None],
                 node_gateways: dict[str, str] | None = None):
        super().__init__(name=f"{prefix}-pod-agent", daemon=True)
        self.api = api
        self.prefix = prefix
        self.node_netns = node_netns
        self.node_ips = node_ips
        # each node's router address (cilium_host), the pods' default gateway
        self.node_gateways = node_gateways or {}
        self.dir = run_dir / "pods"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.coredns_bin = coredns_bin
        self.coredns_kubeconfig = coredns_kubeconfig
        self.log = log
        self.pods: dict[str, PodNet] = {}
        self.errors: list[str] = []
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._closed = False
        self._counter = 0
        self.changed = threading.Condition(self._lock)

    # --- public -------------------------------------------------------------------
    def snapshot(self) -> list[PodNet]:
        with self._lock:
            return list(self.pods.values())

    def find(self, namespace: str, name: str) -> PodNet | None:
        with self._lock:
            for p in self.pods.values():
                if p.namespace == namespace and p.name == name:
                    return p
        return None

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            self._closed = True
            for uid in list(self.pods):
                self._teardown(uid)

    # --- the watch loop -------------------------------------------------------------
    def run(self) -> None:
        rv = None
        while not self._stop.is_set():
            try:
                if rv is None:
                    lst = self.api.get("/api/v1/pods")
                    rv = lst["metadata"]["resourceVersion"]
                    self._sync_all(lst["items"])
                for ev in self.api.watch("/api/v1/pods", rv, timeout_seconds=20):
                    if self._stop.is_set():
                        return
                    kind, obj = ev.get("type"), ev.get("object", {})
                    if kind == "ERROR":
                        rv = None
                        break
                    rv = obj.get("metadata", {}).get("resourceVersion", rv)
                    if kind == "DELETED":
                        self._remove(obj["metadata"]["uid"])
                    elif kind in ("ADDED", "MODIFIED"):
                        self._reconcile(obj)
            except Exception as e:  # the API may be down on purpose (stop_apiserver)
                if self._stop.is_set():
                    return
                rv = None
                self._stop.wait(0.5)
                if not isinstance(e, (OSError, urllib3.exceptions.HTTPError)):
                    self.log(f"pod agent: {type(e).__name__}: {e}")

    def _sync_all(self, items: list[dict]) -> None:
        seen = set()
        for pod in items:
            seen.add(pod["metadata"]["uid"])
            self._reconcile(pod)
        with self._lock:
            for uid in [u for u in self.pods if u not in seen]:
                self._teardown(uid)

    def _remove(self, uid: str) -> None:
        with self._lock:
            if uid in self.pods:
                self._teardown(uid)
                self.changed.notify_all()

    def _reconcile(self, pod: dict) -> None:
        md, spec, status = pod["metadata"], pod.get("spec", {}), pod.get("status", {})
        uid = md["uid"]
        node = spec.get("nodeName")
        ip = status.get("podIP")
        gone = (md.get("deletionTimestamp") or status.get("phase") in ("Succeeded", "Failed")
                or node not in self.node_netns or spec.get("hostNetwork"))
        with self._lock:
            if self._closed:
                return
            have = self.pods.get(uid)
            if gone or not ip:
                if have:
                    self._teardown(uid)
                    self.changed.notify_all()
                return
            if have and have.ip == ip:
                return
            if have:
                self._teardown(uid)
            try:
                self._setup(pod, node, ip)
            except Exception as e:  # record, keep serving the other pods
                msg = f"pod {md['namespace']}/{md['name']}: {type(e).__name__}: {e}"
                self.errors.append(msg)
                self.log("pod agent: " + msg)
                traceback.print_exc(file=sys.stderr)
            self.changed.notify_all()

    # --- one pod ----------------------------------------------------------------------
    def _setup(self, pod: dict, node: str, ip: str) -> None:
        md, spec = pod["metadata"], pod["spec"]
        self._counter += 1
        n = self._counter
        pod_ns = f"{self.prefix}-pod{n}-{md['name']}"[:80]
        host_link = net.lxc_name(md["uid"])
        kinds = [image_kind(c.get("image", "")) for c in spec.get("containers", [])]
        kind = next((k for k in kinds if k), None)
        log_path = self.dir / f"{md['namespace']}_{md['name']}.log"
        p = PodNet(uid=md["uid"], namespace=md["namespace"], name=md["name"], node=node, ip=ip,
                   pod_ns=pod_ns, host_link=host_link, kind=kind, log_path=log_path)
        self.pods[p.uid] = p
        net.setup_pod_network(self.node_netns[node], pod_ns, host_link, ip, self.node_ips[node],
                              self.node_gateways[node])
        resolv = pod_resolv_conf(md["namespace"], spec.get("dnsPolicy", "ClusterFirst"))
        net.write_resolv_conf(pod_ns, resolv or "# dnsPolicy Default: no upstream DNS\n"
                                                "nameserver 127.0.0.1\n")
        if mesh.handles(pod):  # Istio's sidecar shape: its real redirect rules, then listeners (mesh.py)
            p.proc, p.ready_file = mesh.start(pod, pod_ns, self.dir, Path(self.coredns_bin).parent, log_path,
                                              self._spawn)
        elif kind in ("httpd", "nginx"):
            p.ready_file = self.dir / f"{md['namespace']}_{md['name']}.{n}.ready"
            argv = [sys.executable, "-I", "-S", str(HERE / "podserver.py"), "--kind", kind,
                    "--pod", md["name"], "--namespace", md["namespace"],
                    "--ready-file", str(p.ready_file)]
            p.proc = self._spawn(pod_ns, argv, log_path)
        elif kind == "coredns":
            corefile = self._corefile()
            conf = self.dir / f"Corefile.{n}"
            conf.write_text(rewrite_corefile(corefile, str(self.coredns_kubeconfig)))
            p.proc = self._spawn(pod_ns, [self.coredns_bin, "-conf", str(conf)], log_path)

    def _corefile(self) -> str:
        cm = self.api.get("/api/v1/namespaces/kube-system/configmaps/coredns")
        return cm["data"]["Corefile"]

    @staticmethod
    def _spawn(pod_ns: str, argv: list[str], log_path: Path) -> subprocess.Popen:
        with open(log_path, "ab") as logf:
            return subprocess.Popen(["ip", "netns", "exec", pod_ns, *argv], stdout=logf,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True, cwd="/")

    def _teardown(self, uid: str) -> None:
        p = self.pods.pop(uid, None)
        if p is None:
            return
        if p.proc is not None and p.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.proc.pid, signal.SIGKILL)
            p.proc.wait(timeout=10)
        net.teardown_pod_network(self.node_netns[p.node], p.pod_ns, p.host_link, p.ip)
        if p.ready_file:
            p.ready_file.unlink(missing_ok=True)

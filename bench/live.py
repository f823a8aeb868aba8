"""Live benchmark (issue 8): the test cluster's real kube-apiserver loaded with a generated scale.

    sudo .venv/bin/python -m bench.run --only live            # as part of bench.run
    sudo .venv/bin/python -m bench.live [--scale M] [--steady 60] [--no-app] [--json out.json]

1. Starts a `LabCluster` (tests/cluster/harness; scenario None: base objects only; needs root and
   K8SNET_CLUSTER_BIN) and loads the scale's API lists from bench/.data through the API with 8
   threads on keep-alive connections (user agent `k8snet-bench-loader`, so the audit log tells
   the loader from k8snet). What is changed so the control plane leaves the objects alone:
   - nodes: the generated names (node-000...), no kwok annotation (kwok does not manage them, and
     the harness's pod agent only wires pods on node-1/node-2); their Leases in kube-node-lease are
     renewed every 10 s so the node lifecycle controller neither marks them Unknown nor rewrites
     10k pods' Ready conditions in the middle of the measurement;
   - pods: created with `spec.nodeName` (no scheduling) and a toleration of every taint, then their
     generated status (Running, podIP) written through `pods/status`; no ownerReferences (the
     garbage collector would delete pods whose ReplicaSet does not exist); the generated CoreDNS
     pods' `k8s-app: kube-dns` label is renamed so the real kube-dns Service does not select them;
   - services: without selectors (so the EndpointSlice controller leaves their slices alone);
     `default/kubernetes` and `kube-system/kube-dns` exist already and are skipped;
   - endpointslices: `endpointslice.kubernetes.io/managed-by: k8snet-bench`, no ownerReferences.
2. Time to first rows: a child process builds a `LiveSession` over `LiveApi` (admin kubeconfig, no
   node probe) and runs its KindWatchers (and ApiHealth) on daemon threads as the app does; it notes
   when each kind's list lands in the store (`Store.replace_kind`).
3. Steady state: the same child then waits 5 s and counts requests for 60 s: `LiveApi.requests`,
   and the audit log's entries of the admin user with the kubernetes client's user agent, by verb.
4. The app headless in another child (make_app + run_test-like auto_pilot): first frame, first
   Services rows, all Services rows.
Everything is torn down (`LabCluster.stop()`) at the end, also on errors. Traffic goes only to
the cluster's apiserver (172.31.24.84, reached through the harness's veth).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import os
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BIN = "/root/.cache/k8snet/cluster/v1.36.3-a86eb62ceaf4/bin"
LOADER_UA = "k8snet-bench-loader"
MANAGED_BY = "k8snet-bench"
THREADS = 8


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _load_text() -> str:
    with open("/proc/loadavg") as f:
        return f.read().strip()


# ------------------------------------------------------------------------------------ loader


class Loader:
    """Raw JSON requests with the admin token over a keep-alive pool of THREADS connections."""

    def __init__(self, server: str, token: str, ca_file: str) -> None:
        import urllib3

        self.server = server.rstrip("/")
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json",
                        "User-Agent": LOADER_UA}
        self.http = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_certs=ca_file, maxsize=THREADS,
                                        block=True, retries=False)
        self.requests = 0
        self.errors: Counter = Counter()
        self.conflicts = 0
        self._lock = threading.Lock()

    def request(self, method: str, path: str, body=None, content_type: str = "application/json"):
        import urllib3

        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = content_type
        with self._lock:
            self.requests += 1
        resp = self.http.request(method, self.server + path, body=data, headers=headers,
                                 timeout=urllib3.Timeout(connect=5, read=60))
        text = resp.data.decode(errors="replace")
        return resp.status, (json.loads(text) if text.startswith("{") else {"message": text})

    def create(self, path: str, obj: dict, *, retry_for: float = 60) -> dict | None:
        """POST; 409 (exists) counts as a conflict; 403/404/429/5xx while the API sets up a
        namespace (its default ServiceAccount) are retried."""
        deadline = time.monotonic() + retry_for
        while True:
            status, doc = self.request("POST", path, obj)
            if status < 300:
                return doc
            if status == 409:
                with self._lock:
                    self.conflicts += 1
                return None
            msg = str(doc.get("message", ""))
            if status == 422 and obj.get("kind") == "Service" and "already allocated" in msg:
                # a ClusterIP or NodePort of the generated data is taken (base objects): let the API pick
                obj = copy.deepcopy(obj)
                obj["spec"].pop("clusterIP", None)
                obj["spec"].pop("clusterIPs", None)
                for p in obj["spec"].get("ports", []):
                    p.pop("nodePort", None)
                continue
            transient = status in (404, 429, 500, 503) or (status == 403 and "serviceaccount" in msg.lower())
            if not transient or time.monotonic() > deadline:
                with self._lock:
                    self.errors[f"{status} {msg[:120]}"] += 1
                return None
            time.sleep(0.2)


def _meta(md: dict) -> dict:
    return {k: v for k, v in md.items() if k in ("name", "namespace", "labels", "annotations")}


def _prepare(api: dict[str, dict]) -> dict[str, list[dict]]:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    out: dict[str, list[dict]] = {}
    out["namespaces"] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(n["metadata"])}
                         for n in api["namespaces"]["items"]]
    nodes = []
    for n in api["nodes"]["items"]:
        o = {"apiVersion": "v1", "kind": "Node", "metadata": _meta(n["metadata"]), "spec": n["spec"],
             "status": copy.deepcopy(n["status"])}
        o["metadata"].setdefault("labels", {})["k8snet-bench"] = "fake-node"
        for c in o["status"].get("conditions", []):
            c["lastHeartbeatTime"] = c["lastTransitionTime"] = now
        nodes.append(o)
    out["nodes"] = nodes
    skip = {("default", "kubernetes"), ("kube-system", "kube-dns")}
    svcs = []
    for s in api["services"]["items"]:
        md = s["metadata"]
        if (md["namespace"], md["name"]) in skip:
            continue
        spec = {k: v for k, v in s["spec"].items() if k != "selector"}
        svcs.append({"apiVersion": "v1", "kind": "Service", "metadata": _meta(md), "spec": spec})
    out["services"] = svcs
    slices = []
    for e in api["endpointslices"]["items"]:
        md = _meta(e["metadata"])
        if (md["namespace"], md["labels"].get("kubernetes.io/service-name")) in skip:
            continue
        md["labels"] = {**md["labels"], "endpointslice.kubernetes.io/managed-by": MANAGED_BY}
        eps = copy.deepcopy(e["endpoints"])
        for ep in eps:
            (ep.get("targetRef") or {}).pop("uid", None)
        slices.append({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": md,
                       "addressType": e["addressType"], "endpoints": eps, "ports": e["ports"]})
    out["endpointslices"] = slices
    pods = []
    for p in api["pods"]["items"]:
        md = _meta(p["metadata"])
        labels = dict(md.get("labels") or {})
        if labels.get("k8s-app") == "kube-dns":
            labels["k8s-app"] = "kube-dns-bench"
        md["labels"] = labels
        spec = {**p["spec"], "tolerations": [{"operator": "Exists"}]}
        pods.append({"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": spec, "status": p["status"]})
    out["pods"] = pods
    return out


def _renew_leases(loader: Loader, names: list[str], stop: threading.Event) -> None:
    while not stop.wait(10):
        for n in names:
            with contextlib.suppress(Exception):  # the cluster may be going away
                loader.request("PATCH", f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{n}",
                               {"spec": {"renewTime": _now_iso()}}, "application/merge-patch+json")


def load_cluster(loader: Loader, objs: dict[str, list[dict]], stop: threading.Event) -> dict:
    t: dict[str, float] = {}
    t0 = time.monotonic()
    pool = ThreadPoolExecutor(THREADS)

    def phase(name: str, fn, items) -> None:
        s = time.monotonic()
        list(pool.map(fn, items))
        t[name] = round(time.monotonic() - s, 2)

    phase("namespaces", lambda o: loader.create("/api/v1/namespaces", o), objs["namespaces"])

    def node(o: dict) -> None:
        loader.create("/api/v1/nodes", o)
        name = o["metadata"]["name"]
        loader.create("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", {
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": name, "namespace": "kube-node-lease"},
            "spec": {"holderIdentity": name, "leaseDurationSeconds": 40, "renewTime": _now_iso()}})

    phase("nodes+leases", node, objs["nodes"])
    threading.Thread(target=_renew_leases, args=(loader, [o["metadata"]["name"] for o in objs["nodes"]], stop),
                     daemon=True, name="bench lease renewer").start()
    # pods need their namespace's default ServiceAccount (the controller makes it): wait for all
    s = time.monotonic()
    want = {o["metadata"]["name"] for o in objs["namespaces"]}
    while time.monotonic() - s < 120:
        _, doc = loader.request("GET", "/api/v1/serviceaccounts?fieldSelector=metadata.name%3Ddefault")
        have = {i["metadata"]["namespace"] for i in doc.get("items", [])}
        if want <= have:
            break
        time.sleep(0.5)
    t["serviceaccounts wait"] = round(time.monotonic() - s, 2)
    phase("services", lambda o: loader.create(f"/api/v1/namespaces/{o['metadata']['namespace']}/services", o),
          objs["services"])
    phase("endpointslices", lambda o: loader.create(
        f"/apis/discovery.k8s.io/v1/namespaces/{o['metadata']['namespace']}/endpointslices", o),
        objs["endpointslices"])

    def pod(o: dict) -> None:
        ns, name = o["metadata"]["namespace"], o["metadata"]["name"]
        body = {k: v for k, v in o.items() if k != "status"}
        if loader.create(f"/api/v1/namespaces/{ns}/pods", body) is None:
            return
        status, doc = loader.request("PATCH", f"/api/v1/namespaces/{ns}/pods/{name}/status",
                                     {"status": o["status"]}, "application/merge-patch+json")
        if status >= 300:
            with loader._lock:
                loader.errors[f"status {status} {str(doc.get('message'))[:120]}"] += 1

    phase("pods (create + status)", pod, objs["pods"])
    pool.shutdown()
    t["total"] = round(time.monotonic() - t0, 2)
    return t


# ------------------------------------------------------------------------------------ audit


def audit_counts(path: Path, t_from: float, t_to: float, username: str = "admin") -> dict:
    """The audit log's requests (one per auditID) received in [t_from, t_to] (epoch seconds), of
    `username`, split by who sent them (user agent) and counted by verb and by verb + path."""
    seen: dict[str, dict] = {}
    with open(path) as f:
        for line in f:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if (ev.get("user") or {}).get("username") != username:
                continue
            ts = ev.get("requestReceivedTimestamp", "")
            try:
                when = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()
            except ValueError:
                continue
            if t_from <= when <= t_to:
                seen.setdefault(ev["auditID"], ev)
    out: dict = {}
    for ev in seen.values():
        ua = ev.get("userAgent", "")
        who = "k8snet" if ua.startswith("OpenAPI-Generator") else "loader" if ua.startswith(LOADER_UA) else "other"
        bucket = out.setdefault(who, {"total": 0, "by_verb": Counter(), "by_path": Counter(), "user_agents": Counter()})
        bucket["total"] += 1
        bucket["by_verb"][ev.get("verb", "?")] += 1
        bucket["by_path"][f"{ev.get('verb')} {ev.get('requestURI', '').split('?')[0]}"] += 1
        bucket["user_agents"][ua.split(" ")[0]] += 1
    for b in out.values():
        for k in ("by_verb", "by_path", "user_agents"):
            b[k] = dict(b[k].most_common())
    return out


# ------------------------------------------------------------------------------------ children


def _peak_rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def child_session(a: argparse.Namespace) -> dict:
    """LiveSession + LiveApi, watchers on daemon threads; list times per kind; then steady state."""
    t_exec = time.time()
    from k8snet_tui.collect.session import LiveSession
    from k8snet_tui.sources.kinds import KINDS
    from k8snet_tui.sources.kubeconfig import check_context, resolve_kubeconfig
    from k8snet_tui.sources.live_api import LiveApi

    choice = resolve_kubeconfig(a.kubeconfig)
    api = LiveApi(choice, check_context(choice, None))
    session = LiveSession(api, "bench", read_node=None, local_node="node-1")
    listed: dict[str, float] = {}
    counts: dict[str, int] = {}
    done = threading.Event()
    original = session.store.replace_kind

    def replace_kind(kind, items, part=""):
        items = list(items)
        original(kind, items, part=part)
        if kind not in listed:
            listed[kind] = time.time()
            counts[kind] = len(items)
            if len(listed) == len({k.kind for k in KINDS}):  # a kind read by name has several watchers
                done.set()

    session.store.replace_kind = replace_kind
    stop = threading.Event()
    t0 = time.time()
    for w in session.watchers:
        threading.Thread(target=w.run, args=(stop.is_set,), daemon=True, name=f"watch {w.kind.kind}").start()
    done.wait(300)
    t_all = time.time()
    req_listed = api.requests
    time.sleep(a.settle)
    t_steady0 = time.time()
    req0 = api.requests
    time.sleep(a.steady)
    t_steady1 = time.time()
    req1 = api.requests
    health = next((w for w in session.watchers if type(w).__name__ == "ApiHealth"), None)
    res = {
        "t_exec": t_exec, "t0": t0, "imports_s": round(t0 - t_exec, 3),
        "first_service_rows_s": round(listed["Service"] - t0, 3) if "Service" in listed else None,
        "all_listed_s": round(t_all - t0, 3) if done.is_set() else None,
        "listed_s": {k: round(v - t0, 3) for k, v in sorted(listed.items(), key=lambda kv: kv[1])},
        "items": counts, "requests_until_listed": req_listed,
        "steady": {"from": t_steady0, "to": t_steady1, "seconds": round(t_steady1 - t_steady0, 1),
                   "liveapi_requests": req1 - req0},
        "relists": {w.kind.kind: w.relists for w in session.watchers if hasattr(w, "relists") and w.relists != 1},
        "health_checks_total": health.checks if health else None,
        "stale_kinds_end": session.store.stale_kinds(),
        "peak_rss_kib": _peak_rss_kib(),
    }
    stop.set()
    return res


def child_app(a: argparse.Namespace) -> dict:
    """The app headless on a LiveSession (no node probe): first frame, first and all Services rows."""
    t_exec = time.time()
    os.environ.setdefault("K8SNET_CONFIG", "/nonexistent/k8snet-bench.toml")
    os.environ.setdefault("K8SNET_OFFLINE", "1")
    import asyncio

    from k8snet_tui.app import make_app
    from k8snet_tui.collect.session import LiveSession
    from k8snet_tui.config import Settings
    from k8snet_tui.sources.kubeconfig import check_context, resolve_kubeconfig
    from k8snet_tui.sources.live_api import LiveApi
    from k8snet_tui.widgets.resource_table import ResourceTable

    choice = resolve_kubeconfig(a.kubeconfig)
    api = LiveApi(choice, check_context(choice, None))
    session = LiveSession(api, "bench", read_node=None, local_node="node-1")
    t_session = time.time()
    app = make_app(Settings(offline=True), session, start_pane="services")
    marks: dict = {}
    original = app._display

    def display(screen, renderable):
        if renderable is not None and "first_paint" not in marks:
            marks["first_paint"] = time.time()
        return original(screen, renderable)

    app._display = display

    async def pilot(p) -> None:
        deadline = time.time() + a.timeout
        rows = 0
        while time.time() < deadline:
            try:
                rows = app.query_one("#svc-table", ResourceTable).row_count
            except Exception:  # not mounted yet
                rows = 0
            if rows and "first_rows" not in marks:
                marks["first_rows"] = time.time()
                marks["first_rows_count"] = rows
            if rows >= a.expect_rows:
                break
            await asyncio.sleep(0.02)
        marks["rows"] = rows
        marks["rows_done"] = time.time()
        marks["requests"] = api.requests
        app.exit(0)

    app.run(headless=True, size=(160, 50), auto_pilot=pilot)
    return {"t_exec": t_exec, "t_session": t_session, **marks, "peak_rss_kib": _peak_rss_kib()}


class _Screen:
    """Just enough of a terminal for tcell's output: cursor positioning (CSI H), text; other
    escape sequences are skipped."""

    def __init__(self, rows: int, cols: int) -> None:
        self.rows, self.cols = rows, cols
        self.cells = [[" "] * cols for _ in range(rows)]
        self.r = self.c = 0
        self.pending = ""

    def feed(self, data: bytes) -> None:
        import re

        text = self.pending + data.decode("utf-8", "replace")
        self.pending = ""
        i = 0
        while i < len(text):
            ch = text[i]
            if ch == "\x1b":
                m = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\\\)|[()][0-9A-Za-z]|[@-Z\\\\-_])").match(
                    text, i)
                if not m:
                    if len(text) - i < 64:  # an escape sequence cut by the read: wait for the rest
                        self.pending = text[i:]
                        return
                    i += 2  # one this parser does not know (ESC =, ESC >, ...): skip ESC and its letter
                    continue
                seq = m.group(0)
                if seq.startswith("\x1b[") and seq[-1] in "Hf":
                    parts = (seq[2:-1] or "1;1").split(";")
                    self.r = min(self.rows - 1, max(0, int(parts[0] or 1) - 1))
                    self.c = min(self.cols - 1, max(0, int(parts[1] or 1) - 1)) if len(parts) > 1 else 0
                elif seq.startswith("\x1b[") and seq[-1] == "J" and seq[2:-1] in ("2", "3"):
                    self.cells = [[" "] * self.cols for _ in range(self.rows)]
                i = m.end()
            elif ch == "\r":
                self.c = 0
                i += 1
            elif ch == "\n":
                self.r = min(self.rows - 1, self.r + 1)
                i += 1
            elif ch >= " ":
                if self.c < self.cols:
                    self.cells[self.r][self.c] = ch
                self.c += 1
                i += 1
            else:
                i += 1

    def text(self) -> str:
        return "\n".join("".join(row) for row in self.cells)


def k9s_services(k9s: str, kubeconfig: str, expect: int, timeout: float = 120) -> dict:
    """k9s (a Go binary built from its module) on a pty, 160x50, showing `svc -A`: time from spawn
    until its title shows `[<expect>]` rows, and its peak RSS (VmHWM) at that moment. Its config
    turns off the latest-release check (no traffic but to the apiserver)."""
    import fcntl
    import pty
    import select
    import struct
    import tempfile
    import termios

    home = tempfile.mkdtemp(prefix="k8snet-bench-k9s-")
    cfg = Path(home, "config", "k9s")
    cfg.mkdir(parents=True)
    (cfg / "config.yaml").write_text("k9s:\n  skipLatestRevCheck: true\n  ui:\n    logoless: true\n")
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "TERM": "xterm-256color", "KUBECONFIG": kubeconfig,
           "XDG_CONFIG_HOME": str(Path(home, "config")), "XDG_DATA_HOME": str(Path(home, "data")),
           "XDG_STATE_HOME": str(Path(home, "state")), "XDG_CACHE_HOME": str(Path(home, "cache"))}
    import subprocess

    fd, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
    t0 = time.time()
    # `setsid --ctty` makes the pty k9s's controlling terminal (tcell opens /dev/tty); no Python
    # code runs in the forked child (this process has threads).
    proc = subprocess.Popen(["setsid", "--ctty", k9s, "-c", "svc", "-A", "--kubeconfig", kubeconfig],
                            stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    pid = proc.pid
    buf = b""
    want = f"[{expect:,}]"  # k9s's title: " services(all)[1,000] " (render.AsThousands)
    screen = _Screen(50, 160)
    out: dict = {}
    try:
        while time.time() - t0 < timeout:
            r, _, _ = select.select([fd], [], [], 0.05)
            if r:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                if "first_output_s" not in out:
                    out["first_output_s"] = round(time.time() - t0, 3)
                buf = (buf + chunk)[-2_000:]
                screen.feed(chunk)
                if want in screen.text():
                    out["service_list_s"] = round(time.time() - t0, 3)
                    break
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    out["peak_rss_mib"] = round(int(line.split()[1]) / 1024, 1)
        if "service_list_s" not in out:
            out["error"] = f"no {want} in k9s's title within {timeout:.0f} s; screen: {screen.text()[:800]!r}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        os.close(fd)
    return out


def _run_child(mode: str, *extra: str, timeout: float = 600, tree: Path = ROOT) -> dict:
    """`python -m bench.live MODE` from `tree` (this one, or a `git archive` of an older commit)."""
    import subprocess

    t_spawn = time.time()
    p = subprocess.run([sys.executable, "-m", "bench.live", mode, *extra], cwd=tree, capture_output=True,
                       text=True, timeout=timeout, env={**os.environ, "PYTHONPATH": str(tree)}, check=False)
    for line in p.stdout.splitlines():
        if line.startswith("BENCH-RESULT "):
            res = json.loads(line.split(" ", 1)[1])
            res["t_spawn"] = t_spawn
            return res
    return {"error": f"rc={p.returncode}: {p.stderr.strip()[-800:]}"}


# ------------------------------------------------------------------------------------ driver


def bench_live(scale: str = "M", data_root: Path | None = None, steady: float = 60.0, app: bool = True,
               bin_dir: str | None = None, log=print, app_runs: int = 1, before: Path | None = None) -> dict:
    from bench.gen import generate

    if os.geteuid() != 0:
        return {"skipped": "needs root (the cluster harness builds network namespaces)"}
    os.environ.setdefault("K8SNET_OFFLINE", "1")
    bin_dir = bin_dir or os.environ.get("K8SNET_CLUSTER_BIN") or DEFAULT_BIN
    sys.path.insert(0, str(ROOT))
    from tests.cluster.harness import LabCluster, unavailable_reason

    os.environ["K8SNET_CLUSTER_BIN"] = bin_dir
    why = unavailable_reason()
    if why:
        return {"skipped": f"test cluster unavailable: {why}"}
    d = generate(scale, data_root)
    api = {n: json.loads((d / "api" / f"{n}.json").read_text())
           for n in ("namespaces", "nodes", "pods", "services", "endpointslices")}
    objs = _prepare(api)
    import subprocess

    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True, check=False).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "k8snet_tui"], capture_output=True,
                           text=True, check=False).stdout.split("\n")
    res: dict = {"scale": scale, "commit": head, "k8snet_tui_uncommitted": [x for x in dirty if x],
                 "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "loadavg_start": _load_text(),
                 "objects": {k: len(v) for k, v in objs.items()}}
    cluster = LabCluster(bin_dir, scenario=None, log=lambda m: log(m))
    stop = threading.Event()
    t_wait = time.monotonic()
    try:
        cluster.start()
        res["cluster_start_s"] = round(cluster.timings.get("total", 0), 1)
        res["cluster_start_incl_lock_wait_s"] = round(time.monotonic() - t_wait, 1)
        loader = Loader(cluster.server, cluster.admin_token, str(cluster.ca_file))
        log(f"[live] loading {scale}: {res['objects']}")
        res["load_s"] = load_cluster(loader, objs, stop)
        res["load_requests"] = loader.requests
        res["load_conflicts"] = loader.conflicts
        res["load_errors"] = dict(loader.errors.most_common(10))
        _, doc = loader.request("GET", "/api/v1/services?limit=1")
        svc_count = doc["metadata"].get("remainingItemCount", 0) + len(doc.get("items", []))
        res["services_in_api"] = svc_count
        log(f"[live] loaded in {res['load_s']['total']} s ({loader.requests} requests, "
            f"{sum(loader.errors.values())} errors); settling 10 s")
        time.sleep(10)
        res["loadavg_before_session"] = _load_text()
        s = _run_child("session", "--kubeconfig", str(cluster.kubeconfig), "--steady", str(steady))
        if "error" not in s:
            s["from_spawn"] = {"first_service_rows_s": round(s["t0"] + s["first_service_rows_s"] - s["t_spawn"], 3)
                               if s.get("first_service_rows_s") is not None else None,
                               "all_listed_s": round(s["t0"] + s["all_listed_s"] - s["t_spawn"], 3)
                               if s.get("all_listed_s") is not None else None}
            time.sleep(2)  # the apiserver writes audit events in batches
            s["steady"]["audit"] = audit_counts(cluster.audit_log, s["steady"]["from"], s["steady"]["to"])
            s["session_audit"] = audit_counts(cluster.audit_log, s["t0"] - 1, s["steady"]["from"]).get("k8snet")
        res["session"] = s
        k9s = os.environ.get("K8SNET_K9S_BIN")
        if not (k9s and Path(k9s).is_file()):
            res["k9s"] = {"skipped": "no k9s binary (set K8SNET_K9S_BIN)"}
            k9s = None
        # Interleaved rounds, so each tool sees the same load: this tree's app, the `before`
        # tree's app (a `git archive` of an older commit), k9s.
        for round_ in range(max(1, app_runs) if app else 0):
            for label, tree in (("app", ROOT), ("app_before", before)):
                if tree is None:
                    continue
                res.setdefault(f"loadavg_before_{label}", []).append(_load_text())
                r = _run_child("app", "--kubeconfig", str(cluster.kubeconfig), "--expect-rows", str(svc_count),
                               tree=tree)
                if "error" not in r:
                    r = {"first_frame_s": round(r["first_paint"] - r["t_spawn"], 3) if "first_paint" in r else None,
                         "first_service_rows_s": round(r["first_rows"] - r["t_spawn"], 3)
                         if "first_rows" in r else None,
                         "first_rows_count": r.get("first_rows_count"),
                         "all_service_rows_s": round(r["rows_done"] - r["t_spawn"], 3),
                         "rows": r["rows"], "expected_rows": svc_count, "requests": r["requests"],
                         "imports_and_session_s": round(r["t_session"] - r["t_spawn"], 3),
                         "peak_rss_mib": round(r["peak_rss_kib"] / 1024, 1)}
                if round_ == 0:
                    res[label] = r
                res.setdefault(f"{label}_runs", []).append(r)
            if k9s:
                k = k9s_services(k9s, str(cluster.kubeconfig), svc_count)
                if round_ == 0:
                    res["k9s"] = k
                res.setdefault("k9s_runs", []).append(k)
        if k9s and not app:
            res["k9s"] = k9s_services(k9s, str(cluster.kubeconfig), svc_count)
    finally:
        stop.set()
        res["loadavg_end"] = _load_text()
        cluster.stop()
    return res


def summary_rows(res: dict) -> list[tuple[str, str, str]]:
    if "skipped" in res or "session" not in res:
        return [("live", "skipped", res.get("skipped") or res.get("error", "?"))]
    rows = [(f"live load {res['scale']}", f"{res['load_requests']:,} requests in {res['load_s']['total']} s",
             f"errors {sum(res['load_errors'].values())}")]
    s = res["session"]
    if "error" in s:
        return rows + [("live session", "ERROR", s["error"][-200:])]
    rows.append(("live session", f"Services listed {s['first_service_rows_s']} s, all kinds {s['all_listed_s']} s",
                 f"{s['requests_until_listed']} requests; RSS {s['peak_rss_kib'] // 1024} MiB"))
    k = (s["steady"].get("audit") or {}).get("k8snet", {})
    rows.append((f"live steady {s['steady']['seconds']} s", f"LiveApi.requests +{s['steady']['liveapi_requests']}",
                 f"audit by verb {k.get('by_verb', {})}"))
    for label in ("app", "app_before"):
        for a in res.get(f"{label}_runs") or ([res[label]] if label in res else []):
            if "error" in a:
                rows.append((f"live {label}", "ERROR", a["error"][-200:]))
                continue
            rows.append((f"live {label}", f"first frame {a['first_frame_s']} s, first rows {a['first_service_rows_s']} s",
                         f"all {a['rows']:,} rows {a['all_service_rows_s']} s; RSS {a['peak_rss_mib']} MiB"))
    for k in res.get("k9s_runs") or [res.get("k9s") or {}]:
        if "service_list_s" in k:
            rows.append(("live k9s", f"service list {k['service_list_s']} s", f"RSS {k.get('peak_rss_mib')} MiB"))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.live", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", nargs="?", default="run", choices=("run", "session", "app"))
    ap.add_argument("--scale", default="M")
    ap.add_argument("--steady", type=float, default=60.0)
    ap.add_argument("--settle", type=float, default=5.0)
    ap.add_argument("--no-app", action="store_true")
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--kubeconfig", default=None)
    ap.add_argument("--expect-rows", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=180)
    ap.add_argument("--app-runs", type=int, default=1, help="rounds of app (and k9s), interleaved")
    ap.add_argument("--before", type=Path, default=None,
                    help="a tree of an older commit (git archive) whose app runs in each round too")
    a = ap.parse_args()
    if a.mode == "session":
        print("BENCH-RESULT " + json.dumps(child_session(a)), flush=True)
        return 0
    if a.mode == "app":
        print("BENCH-RESULT " + json.dumps(child_app(a)), flush=True)
        return 0
    res = bench_live(a.scale.upper(), a.data, a.steady, not a.no_app,
                     log=lambda m: print(m, file=sys.stderr, flush=True), app_runs=a.app_runs,
                     before=a.before.resolve() if a.before else None)
    for x, y, z in summary_rows(res):
        print(f"{x:<24}  {y:<60}  {z}")
    out = a.json or (ROOT / "bench" / "out" / "results-live.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1) + "\n")
    print(f"JSON: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

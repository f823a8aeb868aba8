"""Reading a node through its agent pod over pods/exec, against a loopback fake API server.

The fake speaks what kube-apiserver speaks to an exec client: the pod list of the agent
namespace as JSON, and on the exec path an RFC 6455 WebSocket upgrade choosing one of the
offered channel subprotocols, then binary frames whose first byte is the channel (1 stdout,
2 stderr, 3 the exec's Status object), then a close frame. The client side is the real one:
the live source's kubeconfig loading and client, and websocket-client.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from k8snet_tui import __version__
from k8snet_tui.agent import AGENT_NAME, AGENT_NAMESPACE, NAME_LABEL, VERSION_LABEL, agent_objects, reader_role
from k8snet_tui.sources.kubeconfig import KubeconfigChoice
from k8snet_tui.sources.live_api import LiveApi
from k8snet_tui.sources.node_exec import AgentReader, NodeStateCache, NodeStateResult
from k8snet_tui.sources.probe_client import PROBE_FORMAT
from k8snet_tui.sources.snapshot import bundled_lab_path

TOKEN = "exec-test-token"
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
NAT = "*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-X\nCOMMIT\n"
SUCCESS = json.dumps({"metadata": {}, "status": "Success"}).encode()


def exit_status(code: int) -> bytes:
    return json.dumps({"metadata": {}, "status": "Failure", "reason": "NonZeroExitCode",
                       "message": f"command terminated with non-zero exit code: exit status {code}",
                       "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}).encode()


def probe_doc(node: str, **extra: object) -> dict:
    doc: dict = {"format": PROBE_FORMAT, "hostname": node, "captured_at": time.time(),
                 "routes": [{"dst": "default", "gateway": "172.31.24.1", "dev": "eth0"}],
                 "iptables": {"nft": NAT}, "errors": []}
    doc.update(extra)
    return doc


# What each agent pod's exec does: (status code of the handshake, frames, hold seconds)
def frames_for(pod: str) -> tuple[int, list[bytes], float]:
    node = pod.rsplit("-", 1)[-1]
    if pod.endswith("ok") or pod.startswith("agent-node"):
        body = json.dumps(probe_doc(node)).encode()
        # split over several frames, as a real stream arrives
        return 101, [b"\x01" + body[:50], b"\x01" + body[50:], b"\x03" + SUCCESS], 0
    if pod.endswith("garbage"):
        return 101, [b"\x01" + b"\x00\xffthis is not json{", b"\x03" + SUCCESS], 0
    if pod.endswith("huge"):
        return 101, [b"\x01" + b"[" * 65536] * 400, 0  # 25 MiB, more than the test's cap
    if pod.endswith("deep"):  # under the cap, nested deeper than json can parse
        return 101, [b"\x01" + b"[" * 200_000, b"\x03" + SUCCESS], 0
    if pod.endswith("unreachable"):  # what kube-apiserver sends when it cannot dial the kubelet
        status = json.dumps({"metadata": {}, "status": "Failure", "message": "error dialing backend: dial tcp "
                             "172.31.24.122:10250: connect: connection refused"}).encode()
        return 101, [b"\x03" + status], 0
    if pod.endswith("hang"):
        return 101, [], 30
    if pod.endswith("forbidden"):
        return 403, [], 0
    if pod.endswith("notroot"):
        return 101, [b"\x02" + b"k8snet probe reads iptables ... which needs root.\n", b"\x03" + exit_status(2)], 0
    if pod.endswith("old"):
        doc = probe_doc(node, format="k8snet.probe/v0", conntrack="not a list")
        return 101, [b"\x01" + json.dumps(doc).encode(), b"\x03" + SUCCESS], 0
    if pod.endswith("partial"):  # a document, but the probe exited non-zero
        body = json.dumps(probe_doc(node, errors=["nft: not found"])).encode()
        return 101, [b"\x01" + body, b"\x02" + b"nft failed\n", b"\x03" + exit_status(1)], 0
    raise AssertionError(pod)


def pod(name: str, node: str, *, version: str = __version__, ready: bool = True,
        phase: str = "Running", waiting: str = "") -> dict:
    status: dict = {"phase": phase, "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}
    if waiting:
        status["containerStatuses"] = [{"name": "agent", "state": {"waiting": {"reason": waiting}}}]
    return {"metadata": {"name": name, "namespace": AGENT_NAMESPACE,
                         "labels": {NAME_LABEL: AGENT_NAME, VERSION_LABEL: version}},
            "spec": {"nodeName": node}, "status": status}


class FakeApiServer:
    def __init__(self) -> None:
        self.pods: list[dict] = []
        self.pods_status = 200
        self.requests: list[tuple[str, str]] = []
        self.offered: list[str] = []
        self.choose = "v5.channel.k8s.io"
        self.script = frames_for  # what each pod's exec answers (bench/run/nodes.py sets its own)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _json(self, status: int, doc: dict) -> None:
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                fake.requests.append(("GET", self.path))
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self._json(401, {"kind": "Status", "message": "Unauthorized"})
                    return
                if url.path == f"/api/v1/namespaces/{AGENT_NAMESPACE}/pods":
                    if fake.pods_status != 200:
                        self._json(fake.pods_status, {"kind": "Status", "message":
                                   'pods is forbidden: User "restricted" cannot list resource "pods"'})
                        return
                    self._json(200, {"kind": "PodList", "metadata": {"resourceVersion": "7"},
                                     "items": fake.pods})
                    return
                if url.path.endswith("/exec") and self.headers.get("Upgrade", "").lower() == "websocket":
                    self._exec(url.path.split("/")[-2], parse_qs(url.query))
                    return
                self._json(404, {"kind": "Status", "message": "not found"})

            def _exec(self, pod_name: str, query: dict) -> None:
                assert query["command"] == ["k8snet", "probe"], query
                assert query["container"] == ["agent"] and query["stdout"] == ["true"]
                fake.offered = [p.strip() for p in self.headers.get("Sec-WebSocket-Protocol", "").split(",")]
                status, frames, hold = fake.script(pod_name)
                if status != 101:
                    self._json(status, {"kind": "Status", "status": "Failure", "reason": "Forbidden",
                                        "message": f'pods "{pod_name}" is forbidden: User "restricted" cannot '
                                                   f'create resource "pods/exec" in API group "" in the '
                                                   f'namespace "{AGENT_NAMESPACE}"'})
                    return
                accept = base64.b64encode(hashlib.sha1(
                    (self.headers["Sec-WebSocket-Key"] + GUID).encode()).digest()).decode()
                self.send_response(101, "Switching Protocols")
                self.send_header("Upgrade", "websocket")
                self.send_header("Connection", "Upgrade")
                self.send_header("Sec-WebSocket-Accept", accept)
                self.send_header("Sec-WebSocket-Protocol", fake.choose)
                self.end_headers()
                self.wfile.flush()
                try:
                    for f in frames:
                        self.wfile.write(frame(0x2, f))
                    self.wfile.flush()
                    time.sleep(hold)
                    self.wfile.write(frame(0x8, struct.pack("!H", 1000)))
                    self.wfile.flush()
                except OSError:
                    pass  # the client stopped reading (cap, deadline): as it should
                self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def frame(opcode: int, payload: bytes) -> bytes:
    head = bytes([0x80 | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([n])
    elif n < 1 << 16:
        head += bytes([126]) + struct.pack("!H", n)
    else:
        head += bytes([127]) + struct.pack("!Q", n)
    return head + payload


@pytest.fixture
def server():
    s = FakeApiServer()
    yield s
    s.stop()


@pytest.fixture
def live(server: FakeApiServer, tmp_path: Path) -> LiveApi:
    cfg = tmp_path / "config"
    cfg.write_text(f"""apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster: {{server: "http://127.0.0.1:{server.port}"}}
users:
- name: me
  user: {{token: {TOKEN}}}
contexts:
- name: fake-ctx
  context: {{cluster: fake, user: me}}
current-context: fake-ctx
""", encoding="utf-8")
    return LiveApi(KubeconfigChoice((str(cfg),), False, str(cfg)), "fake-ctx")


def reader(live: LiveApi, **kw: object) -> AgentReader:
    kw.setdefault("timeout", 5.0)
    return AgentReader(live, **kw)  # type: ignore[arg-type]


def test_a_node_is_read_through_its_agent_with_the_local_probe_reader(server, live):
    server.pods = [pod("agent-ok", "node-2"), pod("agent-other", "node-1")]
    result = reader(live).read("node-2")
    assert result.ok, result.error
    assert result.state is not None and result.state.node == "node-2"
    assert result.state.iptables["nft"] == NAT
    assert result.state.routes[0]["gateway"] == "172.31.24.1"
    assert "agent-ok" in result.source and "pods/exec" in result.source
    assert result.state.errors == () and result.notes == ()
    assert server.offered[:2] == ["v5.channel.k8s.io", "v4.channel.k8s.io"]
    assert result.age() is not None and result.age() < 60


def test_the_older_v4_protocol_reads_the_same(server, live):
    server.pods = [pod("agent-ok", "node-2")]
    server.choose = "v4.channel.k8s.io"
    result = reader(live).read("node-2")
    assert result.ok and result.state is not None and result.state.iptables["nft"] == NAT


def test_a_protocol_it_does_not_speak_is_refused(server, live):
    server.pods = [pod("agent-ok", "node-2")]
    server.choose = "base64.channel.k8s.io"
    result = reader(live).read("node-2")
    assert result.state is None and "v5.channel.k8s.io" in result.error and "upgrade" in result.error


def test_garbage_is_a_message_on_that_node(server, live):
    server.pods = [pod("agent-garbage", "node-2")]
    result = reader(live).read("node-2")
    assert result.state is None
    assert "node node-2" in result.error and "printed no probe JSON" in result.error
    assert "\x00" not in result.error


def test_a_document_nested_too_deep_is_a_message_not_a_crash(server, live):
    server.pods = [pod("agent-deep", "node-2")]
    result = reader(live).read("node-2")
    assert result.state is None and "printed no probe JSON" in result.error


def test_an_unreachable_kubelet_is_not_called_an_exit_status(server, live):
    server.pods = [pod("agent-unreachable", "node-2")]
    result = reader(live).read("node-2")
    assert result.state is None and "could not run" in result.error and "connection refused" in result.error
    assert "exited" not in result.error and "10250" in result.error


def test_a_flood_stops_at_the_cap(server, live):
    server.pods = [pod("agent-huge", "node-2")]
    t0 = time.monotonic()
    result = reader(live, max_bytes=1024 * 1024).read("node-2")
    assert result.state is None and "more than 1 MiB" in result.error
    assert time.monotonic() - t0 < 30  # stopped reading, did not take all 25 MiB slowly


def test_a_hang_ends_at_the_deadline(server, live):
    server.pods = [pod("agent-hang", "node-2")]
    result = reader(live, timeout=0.5).read("node-2")
    assert result.state is None and "did not finish within 0.5 s" in result.error


def test_forbidden_exec_names_the_missing_grant(server, live):
    server.pods = [pod("agent-forbidden", "node-2")]
    result = reader(live).read("node-2")
    assert result.state is None
    assert "forbidden" in result.error and "pods/exec" in result.error
    assert AGENT_NAMESPACE in result.error and "--reader-role" in result.error


def test_forbidden_pod_list_names_the_missing_grant(server, live):
    server.pods_status = 403
    result = reader(live).read("node-2")
    assert result.state is None and "list pods" in result.error and AGENT_NAMESPACE in result.error


def test_no_agent_says_what_to_apply(server, live):
    result = reader(live).read("node-2")
    assert result.state is None and "k8snet agent manifest | kubectl apply -f -" in result.error
    server.pods = [pod("agent-ok", "node-1")]
    elsewhere = reader(live).read("node-2")
    assert "no k8snet agent pod on node node-2" in elsewhere.error


def test_an_agent_not_ready_is_said_so(server, live):
    server.pods = [pod("agent-ok", "node-2", ready=False, phase="Pending", waiting="ImagePullBackOff")]
    result = reader(live).read("node-2")
    assert result.state is None and "not ready" in result.error and "ImagePullBackOff" in result.error
    assert not [r for r in server.requests if "/exec" in r[1]], "exec into a pod that is not ready"


def test_an_agent_of_another_version_says_so_and_what_fits_is_read(server, live):
    server.pods = [pod("agent-old", "node-2", version="0.0.1")]
    result = reader(live).read("node-2")
    assert result.state is not None
    assert result.notes and "0.0.1" in result.notes[0] and __version__ in result.notes[0]
    assert result.state.iptables["nft"] == NAT  # the compatible part
    assert any("k8snet.probe/v0" in e for e in result.state.errors)
    assert any("conntrack" in e for e in result.state.errors)


def test_a_probe_refusing_says_why(server, live):
    server.pods = [pod("agent-notroot", "node-2")]
    result = reader(live).read("node-2")
    assert result.state is None and "status 2" in result.error and "needs root" in result.error


def test_a_document_from_a_failed_run_is_kept_with_the_failure(server, live):
    server.pods = [pod("agent-partial", "node-2")]
    result = reader(live).read("node-2")
    assert result.state is not None and result.state.iptables["nft"] == NAT
    assert any("status 1" in e and "nft failed" in e for e in result.state.errors)


def test_one_node_failing_leaves_the_others(server, live):
    server.pods = [pod("agent-hang", "node-1"), pod("agent-node2", "node-2"), pod("agent-garbage", "node-3")]
    r = reader(live, timeout=0.5)
    results = {n: r.read(n) for n in ("node-1", "node-2", "node-3")}
    assert results["node-2"].ok
    assert not results["node-1"].ok and not results["node-3"].ok
    assert len([q for q in server.requests if q[1].startswith(f"/api/v1/namespaces/{AGENT_NAMESPACE}/pods?")]) == 1


def test_the_cache_keeps_a_state_and_retries_a_failure_soon():
    calls: list[str] = []
    now = [1000.0]

    def read(node: str) -> NodeStateResult:
        calls.append(node)
        return NodeStateResult(node, error="boom" if node == "bad" else "", fetched_at=time.time(),
                               state=None if node == "bad" else object())  # type: ignore[arg-type]

    cache = NodeStateCache(read, max_age=60, retry_after=0)
    cache.get("good")
    cache.get("good")
    cache.get("bad")
    cache.get("bad")
    assert calls == ["good", "bad", "bad"]
    cache.get("good", refresh=True)
    assert calls[-1] == "good" and cache.cached("good") is not None
    del now


def test_the_manifest_is_least_privilege():
    ns, sa, ds = agent_objects("example.test/k8snet:1")
    assert ns["metadata"]["name"] == AGENT_NAMESPACE and sa["automountServiceAccountToken"] is False
    spec = ds["spec"]["template"]["spec"]
    assert spec["hostNetwork"] is True and spec["hostPID"] is False
    assert spec["automountServiceAccountToken"] is False
    (c,) = spec["containers"]
    sc = c["securityContext"]
    assert sc["capabilities"] == {"drop": ["ALL"], "add": ["NET_ADMIN", "NET_RAW"]}
    assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
    assert sc["privileged"] is False
    assert not [v for v in spec["volumes"] if "hostPath" in v]
    assert c["image"] == "example.test/k8snet:1" and c["command"] == ["sleep", "infinity"]
    rules = reader_role()["rules"]
    assert rules == [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]},
                     {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create", "get"]}]


def test_agent_manifest_command_prints_yaml_that_loads(capsys):
    import yaml

    from k8snet_tui.cli import main

    assert main(["agent", "manifest", "--image", "registry.test/k8snet:9"]) == 0
    docs = [d for d in yaml.safe_load_all(capsys.readouterr().out) if d]
    assert [d["kind"] for d in docs] == ["Namespace", "ServiceAccount", "DaemonSet"]
    assert docs[2]["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.test/k8snet:9"
    assert main(["agent", "manifest", "--image", "bad image"]) == 2


def test_the_fake_closes_cleanly():  # the frame helper itself
    a, b = socket.socketpair()
    a.sendall(frame(0x2, b"\x01hi"))
    assert b.recv(10) == b"\x82\x03\x01hi"
    a.close()
    b.close()


def test_a_live_session_reads_a_node_on_demand_and_keeps_it_with_its_age(server, live):
    from k8snet_tui.collect.session import LiveSession

    server.pods = [pod("agent-ok", "node-2")]
    session = LiveSession(source=live, context="fake-ctx", local_node="laptop")
    assert session.cached_node_state("node-2") is None
    first = session.node_state("node-2")
    assert first.ok and first.state is not None and first.state.iptables["nft"] == NAT
    execs = len([r for r in server.requests if "/exec" in r[1]])
    again = session.node_state("node-2")
    assert again is first and session.cached_node_state("node-2") is first
    assert len([r for r in server.requests if "/exec" in r[1]]) == execs  # cached, not re-read
    fresh = session.node_state("node-2", refresh=True)
    assert fresh is not first and fresh.ok
    missing = session.node_state("node-9")
    assert not missing.ok and "node-9" in missing.error


def test_without_an_agent_the_local_node_falls_back_to_the_local_probe(server, live):
    from k8snet_tui.collect.session import LiveSession
    from k8snet_tui.domain.model import NodeState

    local = NodeState(node="laptop", iptables={"nft": NAT}, source="probe", captured_at=time.time())
    session = LiveSession(source=live, context="fake-ctx", local_node="laptop", read_node=lambda: local)
    assert session.poller is not None
    session.poller.current = local  # as after its first poll
    result = session.node_state("laptop")
    assert result.state is local and result.source == "local probe"
    assert result.notes and "k8snet agent manifest" in result.notes[0]
    assert not session.node_state("node-2").ok  # other nodes have no such fallback


def test_a_snapshot_session_answers_from_the_snapshot():
    from k8snet_tui.collect.session import SnapshotSession
    from k8snet_tui.sources.snapshot import bundled_lab_path, load_snapshot

    session = SnapshotSession(load_snapshot(bundled_lab_path()))
    name = next(iter(session.snapshot.nodes))
    assert session.node_state(name).state is session.snapshot.nodes[name]
    assert "no state of node nowhere" in session.node_state("nowhere").error


def test_node_states_are_read_in_parallel_and_never_more_than_the_bound_at_once():
    from k8snet_tui.domain.model import NodeState
    from k8snet_tui.sources.node_capture import iter_node_states

    lock = threading.Lock()
    running = [0]
    peak = [0]

    def read(node: str) -> NodeStateResult:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
        if node == "n7":
            raise RuntimeError("a bug in one read")
        return NodeStateResult(node, state=NodeState(node=node), fetched_at=time.time())

    names = [f"n{i}" for i in range(40)]
    lines: list[str] = []
    results = {r.node: r for r in iter_node_states(read, names, concurrency=4, progress=lines.append)}
    assert set(results) == set(names)
    assert 1 < peak[0] <= 4
    assert "a bug in one read" in results["n7"].error and results["n8"].ok
    assert len(lines) == 40 and lines[-1].startswith("node state 40/40")


def test_capture_writes_the_other_nodes_as_they_come(tmp_path):
    from k8snet_tui.domain.model import NodeState, Observed
    from k8snet_tui.sources.capture import write_snapshot
    from k8snet_tui.sources.snapshot import load_snapshot

    observed = Observed(cluster=load_snapshot(bundled_lab_path()).cluster, nodes={}, local_node="", mode="live")
    seen: list[str] = []

    def more():
        for name in ("node-1", "node-2", "empty"):
            seen.append(name)
            yield name, NodeState(node=name, iptables={"nft": NAT} if name != "empty" else {})

    write_snapshot(tmp_path / "snap", observed, source="test", more_nodes=more())
    assert seen == ["node-1", "node-2", "empty"]
    assert sorted(p.name for p in (tmp_path / "snap" / "nodes").iterdir()) == ["node-1", "node-2"]
    back = load_snapshot(tmp_path / "snap")
    assert back.nodes["node-2"].iptables["nft"] == NAT


@pytest.mark.parametrize(("pods", "status", "reason"), [
    ([], 200, "no-agents"),
    ([("agent-ok", "node-1")], 200, "no-agent"),
    ([("agent-ok", "node-2")], 403, "list-forbidden"),
    ([("agent-forbidden", "node-2")], 200, "forbidden"),
    ([("agent-hang", "node-2")], 200, "timeout"),
    ([("agent-huge", "node-2")], 200, "too-big"),
    ([("agent-unreachable", "node-2")], 200, "unreachable"),
    ([("agent-garbage", "node-2")], 200, "failed"),
    ([("agent-ok", "node-2")], 200, ""),
])
def test_each_fault_has_its_reason_word(server, live, pods, status, reason):
    """The picker's short column comes from `reason`, never from parsing the message."""
    server.pods = [pod(name, node) for name, node in pods]
    server.pods_status = status
    result = reader(live, timeout=0.5, max_bytes=1024 * 1024).read("node-2")
    assert result.reason == reason, result.error
    assert result.ok == (reason == "")


def test_not_ready_and_other_versions_have_their_reason_words(server, live):
    server.pods = [pod("agent-ok", "node-2", ready=False, phase="Pending")]
    assert reader(live).read("node-2").reason == "not-ready"
    server.pods = [pod("agent-old", "node-2", version="0.0.1")]
    old = reader(live).read("node-2")
    assert old.reason == "other-version" and old.ok

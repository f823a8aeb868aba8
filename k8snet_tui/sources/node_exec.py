"""Any node's datapath through the API server: `k8snet probe` run in the node's agent pod.

The agent (`k8snet agent manifest`, applied by the user) idles on every node with the node's
network namespace. To read node N, k8snet lists the pods of the agent's namespace, finds the
one on N, and runs `k8snet probe` in it through the pods/exec subresource over a WebSocket
(the channel protocol kubectl speaks: v5.channel.k8s.io, else v4), with the user's own
credentials as the live source loads them. The document is read with the local probe's
reader (`probe_client.node_state_from_probe`), so both are held to the same checks.

Everything that can go wrong is a `NodeStateResult` with an `error` for that node only: no
agent, an agent pod not running, exec forbidden, a hang (deadline), a flood (size cap), garbage.
An agent of another version is said so, and what of its document fits is still read.

`kubernetes` and `websocket` are imported on first use, never at start-up.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlparse

from k8snet_tui import __version__
from k8snet_tui.agent import AGENT_CONTAINER, AGENT_NAME, AGENT_NAMESPACE, NAME_LABEL, PROBE_COMMAND, VERSION_LABEL
from k8snet_tui.domain.model import NodeState
from k8snet_tui.domain.sanitize import clean
from k8snet_tui.probe.runner import MiB
from k8snet_tui.sources.kinds import Kind
from k8snet_tui.sources.ports import ApiFailure

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDOUT, STDERR, ERROR = 1, 2, 3
NOT_RUN = -1  # ExecOutput.exit_code when the exec failed before the command ran (kubelet unreachable)
EXEC_TIMEOUT = 20.0  # the whole exec: connect, probe run, transfer (the probe's own commands stop at 8 s)
OUTPUT_CAP = 128 * MiB  # a probe document: iptables dumps, nft ruleset, conntrack (capped at 50k entries)
STATUS_CAP = 64 * 1024  # the exec status object is a few hundred bytes
STDERR_KEEP = 16 * 1024
PODS_TTL = 10.0  # seconds a listing of the agent pods answers for every node
PODS_KIND = Kind("Pod", "", "v1", "pods")
APPLY_HINT = "apply it with `k8snet agent manifest | kubectl apply -f -`"
ROLE_HINT = ("ask for the Role from `k8snet agent manifest --reader-role` (list pods; create and get "
             f"pods/exec, in namespace {AGENT_NAMESPACE} only) bound to you")


@dataclass(frozen=True)
class NodeStateResult:
    """One node's state as a session hands it to a pane: the state (or None), what failed, when.

    `error` says what failed and what to do ("" when the state was read); `notes` are things to
    know about a state that was read (an agent of another version, a local fallback).
    """

    node: str
    state: NodeState | None = None
    error: str = ""
    fetched_at: float = 0.0  # time.time() of the read; 0 when never read
    source: str = ""  # "agent k8snet-agent/POD via pods/exec", "local probe", "snapshot"
    notes: tuple[str, ...] = ()
    # Why, as a word a picker can sort and say briefly (REASONS); "" for a plain good read.
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.state is not None and not self.error

    def age(self, now: float | None = None) -> float | None:
        """Seconds since the state was read (None when it never was)."""
        if not self.fetched_at:
            return None
        return max(0.0, (time.time() if now is None else now) - self.fetched_at)


# NodeStateResult.reason: what kind of fault, for a picker's one-word column; `error` has the words.
REASONS = ("no-agents", "no-agent", "list-forbidden", "forbidden", "not-ready", "timeout", "unreachable",
           "too-big", "failed", "snapshot", "no-api", "other-version")


class ExecError(Exception):
    """An exec that gave no document; the message is for people, `reason` one of REASONS."""

    def __init__(self, message: str, reason: str = "failed") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class ExecOutput:
    stdout: bytes
    stderr: bytes
    exit_code: int | None  # None: the server sent no status
    status_message: str = ""
    protocol: str = ""


@dataclass
class _Agent:
    pod: str
    phase: str
    ready: bool
    version: str
    waiting: str  # a container's waiting reason (ImagePullBackOff...), "" when none


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _agent_of(pod: dict[str, Any]) -> _Agent | None:
    meta = _dict(pod.get("metadata"))
    labels = _dict(meta.get("labels"))
    if labels.get(NAME_LABEL) != AGENT_NAME or meta.get("deletionTimestamp"):
        return None
    status = _dict(pod.get("status"))
    conditions = status.get("conditions")
    ready = any(isinstance(c, dict) and c.get("type") == "Ready" and c.get("status") == "True"
                for c in (conditions if isinstance(conditions, list) else []))
    waiting = ""
    statuses = status.get("containerStatuses")
    for cs in statuses if isinstance(statuses, list) else []:
        state = _dict(_dict(cs).get("state"))
        if isinstance(state.get("waiting"), dict):
            waiting = str(state["waiting"].get("reason") or "")
    return _Agent(pod=str(meta.get("name") or ""), phase=str(status.get("phase") or "Unknown"),
                  ready=ready, version=str(labels.get(VERSION_LABEL) or ""), waiting=waiting)


class AgentReader:
    """Reads nodes through their agent pods over one `LiveApi` (its credentials, its client).

    Thread-safe: a capture reads many nodes at once. The agent pods are listed once per
    `PODS_TTL` for all nodes, not once per node.
    """

    def __init__(self, api: Any, *, namespace: str = AGENT_NAMESPACE, timeout: float = EXEC_TIMEOUT,
                 max_bytes: int = OUTPUT_CAP, command: tuple[str, ...] = PROBE_COMMAND) -> None:
        self.api = api
        self.namespace = namespace
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.command = command
        self._lock = threading.Lock()
        self._pods: tuple[float, dict[str, _Agent]] | None = None
        self.execs = 0  # counted for the bench and tests

    # -- finding the agent ---------------------------------------------------------------------

    def agents(self, *, fresh: bool = False) -> dict[str, _Agent]:
        """Node name -> its agent pod. Raises ApiFailure when the pods cannot be listed."""
        with self._lock:
            if not fresh and self._pods is not None and time.monotonic() - self._pods[0] < PODS_TTL:
                return self._pods[1]
        found: dict[str, _Agent] = {}
        token = ""
        for _page in range(100):  # 100 pages of 500: far more nodes than any cluster has
            page = self.api.list_page(PODS_KIND, self.namespace, limit=500, continue_token=token)
            for pod in page.items:
                agent = _agent_of(pod)
                node = _dict(pod.get("spec")).get("nodeName")
                if agent is None or not isinstance(node, str) or not node:
                    continue
                # Two pods on one node (a rollout): the ready one is the one to read.
                if node not in found or (agent.ready and not found[node].ready):
                    found[node] = agent
            token = page.continue_token
            if not token:
                break
        with self._lock:
            self._pods = (time.monotonic(), found)
        return found

    # -- reading a node ------------------------------------------------------------------------

    def read(self, node: str) -> NodeStateResult:
        """The node's state through its agent. Never raises for an expected fault."""
        started = time.time()
        try:
            agents = self.agents()
        except ApiFailure as exc:
            reason = "list-forbidden" if exc.forbidden else "unreachable" if exc.status == 0 else "failed"
            return NodeStateResult(node, error=self.list_error(exc), fetched_at=started, reason=reason)
        agent = agents.get(node)
        if agent is None:
            if not agents:
                why = (f"no k8snet agent runs in namespace {self.namespace} (no DaemonSet, or you "
                       f"cannot see its pods): {APPLY_HINT}")
            else:
                why = (f"no k8snet agent pod on node {node} (agents run on {len(agents)} other "
                       f"node(s)): check the node's taints and the DaemonSet `kubectl -n {self.namespace} "
                       f"get ds {AGENT_NAME}`")
            return NodeStateResult(node, error=f"node {node}'s state is missing: {why}", fetched_at=started,
                                   reason="no-agent" if agents else "no-agents")
        source = f"agent {self.namespace}/{agent.pod} via pods/exec"
        if agent.phase != "Running" or not agent.ready:
            detail = f"{agent.phase}{', ' + agent.waiting if agent.waiting else ''}"
            return NodeStateResult(
                node, source=source, fetched_at=started, reason="not-ready",
                error=(f"node {node}'s agent pod {agent.pod} is not ready ({clean(detail)}): wait for it, "
                       f"or see `kubectl -n {self.namespace} describe pod {agent.pod}`"))
        notes: list[str] = []
        if agent.version and agent.version != __version__:
            notes.append(f"the agent on node {node} is k8snet {clean(agent.version)}, this is {__version__}: "
                         f"reading what its document has in common; update it: {APPLY_HINT}")
        try:
            out = self.exec(agent.pod, list(self.command))
        except ExecError as exc:
            return NodeStateResult(node, source=source, fetched_at=started, notes=tuple(notes), reason=exc.reason,
                                   error=f"node {node}'s state could not be read through {agent.pod}: {exc}")
        return self._parse(node, agent, source, out, started, notes)

    def _parse(self, node: str, agent: _Agent, source: str, out: ExecOutput, started: float,
               notes: list[str]) -> NodeStateResult:
        from k8snet_tui.sources.probe_client import node_state_from_probe

        doc: Any = None
        if out.stdout:
            try:
                doc = json.loads(out.stdout)
            except (ValueError, RecursionError):  # garbage, or nesting deeper than the parser goes
                doc = None
        where = f"`{' '.join(self.command)}` in {agent.pod} on node {node}"
        tail = _tail(out.stderr)
        if not isinstance(doc, dict) or "format" not in doc:
            if out.exit_code == NOT_RUN:
                return NodeStateResult(
                    node, source=source, fetched_at=started, notes=tuple(notes), reason="unreachable",
                    error=(f"the API server could not run `{' '.join(self.command)}` in {agent.pod} on node "
                           f"{node}: {out.status_message or 'no reason given'}; is the node's kubelet "
                           "reachable from the API server (port 10250)?"))
            if out.exit_code not in (0, None):
                why = f"{where} exited with status {out.exit_code}"
            elif out.stdout:
                why = f"{where} printed no probe JSON (output began {clean(out.stdout[:80].decode('utf-8', 'replace'))!r})"
            else:
                why = f"{where} printed nothing"
            why += f"; stderr: {tail}" if tail else (f"; {clean(out.status_message)}" if out.status_message else "")
            return NodeStateResult(node, source=source, fetched_at=started, notes=tuple(notes), error=why,
                                   reason="failed")
        state = node_state_from_probe(doc, source, node)
        if out.exit_code not in (0, None):
            extra = f"{where} exited with status {out.exit_code}" + (f"; stderr: {tail}" if tail else "")
            state = replace(state, errors=(*state.errors, extra))
        if notes:
            state = replace(state, errors=(*notes, *state.errors))
        return NodeStateResult(node, state=state, fetched_at=started, source=source, notes=tuple(notes),
                               reason="other-version" if notes else "")

    def list_error(self, exc: ApiFailure) -> str:
        if exc.forbidden:
            return (f"you may not list pods in namespace {self.namespace}, so no node's agent can be "
                    f"found: {ROLE_HINT}")
        if exc.status == 0:
            return f"the API server could not be reached to find the node agents: {clean(exc.message)}"
        return f"listing the node agents in {self.namespace} failed: {clean(str(exc))}"

    # -- the exec itself -----------------------------------------------------------------------

    def exec(self, pod: str, command: list[str]) -> ExecOutput:
        """Run `command` in the agent container of `pod`; stdout capped, one deadline for all."""
        path = f"/api/v1/namespaces/{self.namespace}/pods/{pod}/exec"
        query = [("container", AGENT_CONTAINER), ("stdin", "false"), ("stdout", "true"),
                 ("stderr", "true"), ("tty", "false"), *(("command", c) for c in command)]
        url, headers, configuration = self._request(path, query)
        self.execs += 1
        return run_exec(url, headers, configuration, timeout=self.timeout, max_bytes=self.max_bytes)

    def _request(self, path: str, query: list[tuple[str, str]]) -> tuple[str, dict[str, str], Any]:
        from k8snet_tui.errors import KubeconfigError

        try:
            # The live source's client: its kubeconfig loading, contained credential plugins and
            # token renewal are the ones every list and watch use.
            client = self.api._client()
            _method, url, headers, _body, _post = client.param_serialize(
                "GET", path, query_params=query, header_params={}, auth_settings=["BearerToken"])
        except KubeconfigError as exc:
            raise ExecError(f"no credentials: {exc}") from None
        return str(url), {k.lower(): str(v) for k, v in (headers or {}).items()}, client.configuration


def run_exec(url: str, headers: dict[str, str], configuration: Any, *, timeout: float,
             max_bytes: int) -> ExecOutput:
    """One pods/exec over a WebSocket: connect, read the channels until the server closes."""
    import websocket

    _quiet_websocket_logs()
    deadline = time.monotonic() + timeout
    ws_url = "wss" + url[5:] if url.startswith("https") else "ws" + url[4:] if url.startswith("http") else url
    ws: Any = websocket.WebSocket(sslopt=_ssl_options(configuration, ws_url), skip_utf8_validation=True,
                             enable_multithread=False)
    header = [f"authorization: {headers['authorization']}"] if headers.get("authorization") else []
    options: dict[str, Any] = {"header": header, "subprotocols": list(PROTOCOLS), "timeout": timeout}
    proxy = getattr(configuration, "proxy", None)
    if proxy:
        parsed = urlparse(proxy)
        options.update(http_proxy_host=parsed.hostname, http_proxy_port=parsed.port or 80, proxy_type="http")
    try:
        ws.connect(ws_url, **options)
    except websocket.WebSocketBadStatusException as exc:
        forbidden = int(getattr(exc, "status_code", 0) or 0) in (401, 403)
        raise ExecError(_handshake_message(exc), "forbidden" if forbidden else "failed") from None
    except websocket.WebSocketException as exc:
        # websocket-client refuses an upgrade answer it cannot use (among them a subprotocol
        # it did not offer) with this one message.
        raise ExecError(f"the API server's answer to the exec upgrade is not a WebSocket k8snet can "
                        f"use (it offers {', '.join(PROTOCOLS)}): {clean(str(exc))[:200]}") from None
    except OSError as exc:
        reason = "timeout" if isinstance(exc, TimeoutError) else "unreachable"
        raise ExecError(f"could not open the exec stream ({clean(str(exc))[:200]})", reason) from None
    try:
        return _read_channels(ws, deadline, timeout, max_bytes)
    finally:
        try:
            ws.close(timeout=0.5)
        except Exception:  # closing a broken stream
            ws.shutdown()


def _quiet_websocket_logs() -> None:
    """websocket-client logs its refusals at ERROR; with no handler of the app's own, logging's
    last-resort handler would print them over the TUI. The ExecError says the same in words."""
    import logging

    logger = logging.getLogger("websocket")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
        logger.propagate = False


def _read_channels(ws: Any, deadline: float, timeout: float, max_bytes: int) -> ExecOutput:
    import websocket

    protocol = str(ws.subprotocol or "")
    if protocol not in PROTOCOLS:
        raise ExecError(f"the API server answered with exec protocol {protocol or 'none'!r}; "
                        f"k8snet speaks {', '.join(PROTOCOLS)}")
    stdout = bytearray()
    stderr = bytearray()
    status = bytearray()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise ExecError(f"the probe did not finish within {timeout:g} s; stopped", "timeout")
        ws.settimeout(left)
        try:
            opcode, data = ws.recv_data(control_frame=False)
        except websocket.WebSocketTimeoutException:
            raise ExecError(f"the probe did not finish within {timeout:g} s; stopped", "timeout") from None
        except websocket.WebSocketConnectionClosedException:
            break
        except (OSError, websocket.WebSocketException) as exc:
            raise ExecError(f"the exec stream broke ({clean(str(exc))[:200]})") from None
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            break
        if opcode not in (websocket.ABNF.OPCODE_BINARY, websocket.ABNF.OPCODE_TEXT) or not data:
            continue
        chunk = data if isinstance(data, bytes) else str(data).encode()
        channel, payload = chunk[0], chunk[1:]
        if channel == STDOUT:
            if len(stdout) + len(payload) > max_bytes:
                raise ExecError(f"the probe printed more than {_size(max_bytes)}; stopped", "too-big")
            stdout += payload
        elif channel == STDERR:
            stderr += payload
            if len(stderr) > 2 * STDERR_KEEP:
                del stderr[:-STDERR_KEEP]
        elif channel == ERROR:
            if len(status) + len(payload) > STATUS_CAP:
                raise ExecError("the exec status from the API server is too long; stopped")
            status += payload
    exit_code, message = _exit_status(bytes(status))
    return ExecOutput(bytes(stdout), bytes(stderr[-STDERR_KEEP:]), exit_code, message, protocol)


def _exit_status(raw: bytes) -> tuple[int | None, str]:
    """The exit code from the error channel's Status object (v4/v5: JSON)."""
    if not raw.strip():
        return None, ""
    try:
        doc = json.loads(raw)
    except ValueError:
        return None, clean(raw[:300].decode("utf-8", "replace"))
    if not isinstance(doc, dict):
        return None, ""
    if doc.get("status") == "Success":
        return 0, ""
    message = clean(str(doc.get("message") or ""))[:300]
    causes = _dict(doc.get("details")).get("causes")
    for cause in causes if isinstance(causes, list) else []:
        if isinstance(cause, dict) and cause.get("reason") == "ExitCode":
            try:
                return int(str(cause.get("message"))), message
            except ValueError:
                break
    return NOT_RUN, message  # a failure without an exit code: the command never ran


def _handshake_message(exc: Any) -> str:
    status = int(getattr(exc, "status_code", 0) or 0)
    body = getattr(exc, "resp_body", b"") or b""
    text = body.decode("utf-8", "replace") if isinstance(body, (bytes, bytearray)) else str(body)
    try:
        doc = json.loads(text)
        server = str(doc.get("message") or "") if isinstance(doc, dict) else ""
    except ValueError:
        server = text
    server = clean(server)[:300]
    if status == 403:
        return f"exec into the agent pod is forbidden for you: {ROLE_HINT} (API server: {server})"
    if status == 401:
        return f"the API server did not accept your credentials (401): {server}"
    if status == 404:
        return f"the agent pod is gone (404): it was replaced; try again ({server})"
    return f"the API server refused the exec ({status}): {server}"


def _ssl_options(configuration: Any, url: str) -> dict[str, Any]:
    import ssl

    if not url.startswith("wss"):
        return {}
    opts: dict[str, Any]
    if getattr(configuration, "verify_ssl", True):
        opts = {"cert_reqs": ssl.CERT_REQUIRED}
        if configuration.ssl_ca_cert:
            opts["ca_certs"] = configuration.ssl_ca_cert
        if getattr(configuration, "assert_hostname", None) is not None:
            opts["check_hostname"] = bool(configuration.assert_hostname)
    else:  # the kubeconfig says insecure-skip-tls-verify, as kubectl would honour it
        opts = {"cert_reqs": ssl.CERT_NONE, "check_hostname": False}
    if configuration.cert_file:
        opts["certfile"] = configuration.cert_file
    if configuration.key_file:
        opts["keyfile"] = configuration.key_file
    if getattr(configuration, "tls_server_name", None):
        opts["server_hostname"] = configuration.tls_server_name
    return opts


def _tail(stderr: bytes, limit: int = 400) -> str:
    text = clean(stderr.decode("utf-8", "replace").strip())
    return "..." + text[-limit:] if len(text) > limit else text


def _size(n: int) -> str:
    return f"{n // MiB} MiB" if n >= MiB else f"{n} bytes"


@dataclass
class NodeStateCache:
    """Per-node results with their age: what a session keeps between a pane's asks.

    A state is reused for `max_age` seconds; a failure only for `retry_after` (an agent just
    applied, a Role just bound, should be seen soon). One read per node at a time.
    """

    read: Callable[[str], NodeStateResult]
    max_age: float = 30.0
    retry_after: float = 5.0
    _results: dict[str, NodeStateResult] = field(default_factory=dict)
    _locks: dict[str, threading.Lock] = field(default_factory=dict)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def cached(self, node: str) -> NodeStateResult | None:
        with self._guard:
            return self._results.get(node)

    def get(self, node: str, *, refresh: bool = False) -> NodeStateResult:
        with self._guard:
            lock = self._locks.setdefault(node, threading.Lock())
        with lock:
            known = self.cached(node)
            if known is not None and not refresh:
                limit = self.max_age if known.ok else self.retry_after
                age = known.age()
                if age is not None and age < limit:
                    return known
            result = self.read(node)
            with self._guard:
                self._results[node] = result
            return result


__all__ = ["AgentReader", "ExecError", "ExecOutput", "NodeStateCache", "NodeStateResult", "run_exec"]

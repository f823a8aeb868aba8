"""LiveApi against a fake API server on 127.0.0.1: raw JSON lists, pagination, watches, failures.

The server is plain `http.server` in a thread, speaking just enough of the Kubernetes API; the
kubeconfig points at http://127.0.0.1:PORT with a bearer token. Nothing leaves loopback.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from k8snet_tui.errors import KubeconfigError
from k8snet_tui.sources.kinds import BY_NAME
from k8snet_tui.sources.kubeconfig import KubeconfigChoice
from k8snet_tui.sources.live_api import LiveApi
from k8snet_tui.sources.ports import ApiFailure

TOKEN = "s3cret-token-for-tests"
SERVICE = BY_NAME["Service"]
POD = BY_NAME["Pod"]
ESLICE = BY_NAME["EndpointSlice"]


class Request:
    def __init__(self, path: str, query: dict[str, list[str]], headers: dict[str, str]) -> None:
        self.path = path
        self.query = {k: v[0] for k, v in query.items()}
        self.headers = headers


Handler = Callable[["FakeApi", BaseHTTPRequestHandler, Request], None]


class FakeApi:
    """Routes by path; each route is a function that writes the response itself."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[Request] = []
        fake = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                req = Request(parts.path, parse_qs(parts.query), {k.lower(): v for k, v in self.headers.items()})
                fake.requests.append(req)
                route = fake.routes.get(parts.path)
                if route is None:
                    fake.json(self, 404, status(404, "NotFound", f"the server could not find {parts.path}"))
                    return
                route(fake, self, req)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @staticmethod
    def json(h: BaseHTTPRequestHandler, code: int, doc: object) -> None:
        body = json.dumps(doc).encode()
        h.send_response(code)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    @staticmethod
    def chunked(h: BaseHTTPRequestHandler, pieces: list[bytes], *, finish: bool = True) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        for piece in pieces:
            h.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            h.wfile.flush()
        if finish:
            h.wfile.write(b"0\r\n\r\n")
            h.wfile.flush()
        else:
            # Cut the connection in the middle of a chunk: announce more than is sent.
            h.wfile.write(b"400\r\n{\"type\":\"ADDED\"")
            h.wfile.flush()
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)


def status(code: int, reason: str, message: str) -> dict:
    return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message,
            "reason": reason, "code": code}


def svc(i: int) -> dict:
    # As in a real list response: items carry neither kind nor apiVersion.
    return {"metadata": {"name": f"svc-{i}", "namespace": "default", "uid": f"u{i}", "resourceVersion": str(100 + i)},
            "spec": {"clusterIP": f"10.96.0.{i}"}}


@pytest.fixture
def api():
    fake = FakeApi()
    fake.thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def write_kubeconfig(path: Path, server: str, user: str | None = None) -> Path:
    user = user or f"    token: {TOKEN}"
    path.write_text(f"""apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: {server}
users:
- name: me
  user:
{user}
contexts:
- name: fake-ctx
  context: {{cluster: fake, user: me}}
current-context: fake-ctx
""", encoding="utf-8")
    return path


@pytest.fixture
def live(api: FakeApi, tmp_path: Path) -> LiveApi:
    cfg = write_kubeconfig(tmp_path / "config", f"http://127.0.0.1:{api.port}")
    return LiveApi(KubeconfigChoice((str(cfg),), False, str(cfg)), "fake-ctx")


# -- lists -----------------------------------------------------------------------------------------

def paged_services(total: int):
    items = [svc(i) for i in range(total)]

    def route(fake: FakeApi, h, req: Request) -> None:
        limit = int(req.query.get("limit", "0")) or total
        start = int(req.query.get("continue", "0") or 0)
        page = items[start:start + limit]
        nxt = start + limit
        meta = {"resourceVersion": "777"}
        if nxt < total:
            meta["continue"] = str(nxt)
        fake.json(h, 200, {"kind": "ServiceList", "apiVersion": "v1", "metadata": meta, "items": page})

    return route


def test_paginated_list_honours_limit_and_continue(api: FakeApi, live: LiveApi) -> None:
    api.routes["/api/v1/services"] = paged_services(5)
    seen = []
    token = ""
    pages = 0
    while True:
        page = live.list_page(SERVICE, None, limit=2, continue_token=token)
        pages += 1
        seen.extend(page.items)
        assert page.resource_version == "777"
        token = page.continue_token
        if not token:
            break
    assert pages == 3
    assert [o["metadata"]["name"] for o in seen] == [f"svc-{i}" for i in range(5)]
    assert all(o["kind"] == "Service" and o["apiVersion"] == "v1" for o in seen)
    assert [r.query.get("limit") for r in api.requests] == ["2", "2", "2"]
    assert [r.query.get("continue") for r in api.requests] == [None, "2", "4"]
    assert live.requests == 3


def test_list_uses_the_namespace_path_and_group(api: FakeApi, live: LiveApi) -> None:
    api.routes["/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices"] = lambda f, h, r: f.json(
        h, 200, {"kind": "EndpointSliceList", "metadata": {"resourceVersion": "9"},
                 "items": [{"metadata": {"name": "web-x", "namespace": "shop"}, "endpoints": []}]})
    page = live.list_page(ESLICE, "shop")
    assert page.items[0]["apiVersion"] == "discovery.k8s.io/v1" and page.items[0]["kind"] == "EndpointSlice"
    assert page.continue_token == "" and page.resource_version == "9"
    assert api.requests[0].query["limit"] == "500"


def test_items_kind_from_the_server_is_kept(api: FakeApi, live: LiveApi) -> None:
    api.routes["/api/v1/services"] = lambda f, h, r: f.json(h, 200, {
        "metadata": {}, "items": [{"kind": "Service", "apiVersion": "v1", "metadata": {"name": "x"}}, "junk", 3]})
    page = live.list_page(SERVICE, None)
    assert page.items == [{"kind": "Service", "apiVersion": "v1", "metadata": {"name": "x"}}]


def test_authorization_header_carries_the_token(api: FakeApi, live: LiveApi) -> None:
    api.routes["/api/v1/services"] = paged_services(1)
    live.list_page(SERVICE, None)
    assert api.requests[0].headers.get("authorization") == f"Bearer {TOKEN}"
    assert "application/json" in api.requests[0].headers.get("accept", "")
    assert live.server == f"http://127.0.0.1:{api.port}"


def test_403_is_forbidden_with_the_servers_message(api: FakeApi, live: LiveApi) -> None:
    msg = 'pods is forbidden: User "me" cannot list resource "pods" in API group "" at the cluster scope'
    api.routes["/api/v1/pods"] = lambda f, h, r: f.json(h, 403, status(403, "Forbidden", msg))
    with pytest.raises(ApiFailure) as info:
        live.list_page(POD, None)
    assert info.value.forbidden and info.value.status == 403
    assert info.value.message == msg


def test_404_is_not_served(api: FakeApi, live: LiveApi) -> None:
    with pytest.raises(ApiFailure) as info:
        live.list_page(BY_NAME["Mapping"], None)
    assert info.value.not_served and not info.value.forbidden
    assert "could not find" in info.value.message


def test_non_json_list_body_is_a_failure(api: FakeApi, live: LiveApi) -> None:
    def route(f, h, r):
        body = b"<html>proxy error</html>"
        h.send_response(200)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
    api.routes["/api/v1/services"] = route
    with pytest.raises(ApiFailure) as info:
        live.list_page(SERVICE, None)
    assert "not JSON" in info.value.message


def test_server_that_closes_the_connection_is_unreachable(api: FakeApi, live: LiveApi) -> None:
    def route(f, h, r):
        h.close_connection = True
        h.connection.shutdown(socket.SHUT_RDWR)
    api.routes["/api/v1/services"] = route
    with pytest.raises(ApiFailure) as info:
        live.list_page(SERVICE, None)
    assert info.value.status == 0


def test_nothing_listening_is_unreachable(tmp_path: Path) -> None:
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    cfg = write_kubeconfig(tmp_path / "config", "http://127.0.0.1:1")
    live = LiveApi(KubeconfigChoice((str(cfg),), False, str(cfg)), "fake-ctx")
    with pytest.raises(ApiFailure) as info:
        live.list_page(SERVICE, None)
    assert info.value.status == 0 and info.value.reason == "unreachable"
    assert info.value.message


# -- watches ---------------------------------------------------------------------------------------

def ev(kind: str, obj: dict) -> bytes:
    return json.dumps({"type": kind, "object": obj}).encode() + b"\n"


def test_watch_streams_events_line_by_line_with_bookmarks(api: FakeApi, live: LiveApi) -> None:
    added = ev("ADDED", svc(1))
    modified = ev("MODIFIED", {**svc(1), "spec": {"clusterIP": "10.96.9.9"}})
    bookmark = ev("BOOKMARK", {"kind": "Service", "apiVersion": "v1", "metadata": {"resourceVersion": "150"}})
    deleted = ev("DELETED", svc(2))
    # One event split across two chunks, two events in one chunk, a blank keep-alive line.
    pieces = [added[:10], added[10:] + modified, b"\n", bookmark + deleted[:-1], b"\n"]
    api.routes["/api/v1/services"] = lambda f, h, r: f.chunked(h, pieces)
    events = list(live.watch(SERVICE, None, resource_version="101", timeout_seconds=7))
    assert [e.type for e in events] == ["ADDED", "MODIFIED", "BOOKMARK", "DELETED"]
    assert events[1].object["spec"]["clusterIP"] == "10.96.9.9"
    assert events[0].object["kind"] == "Service" and events[0].object["apiVersion"] == "v1"
    assert events[2].object["metadata"]["resourceVersion"] == "150"
    assert events[3].object["metadata"]["name"] == "svc-2"
    q = api.requests[0].query
    assert q["watch"] == "true" and q["allowWatchBookmarks"] == "true"
    assert q["resourceVersion"] == "101" and q["timeoutSeconds"] == "7"
    assert api.requests[0].headers.get("authorization") == f"Bearer {TOKEN}"


def test_watch_events_arrive_before_the_stream_ends(api: FakeApi, live: LiveApi) -> None:
    release = threading.Event()

    def route(f, h, r):
        h.send_response(200)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        first = ev("ADDED", svc(1))
        h.wfile.write(f"{len(first):x}\r\n".encode() + first + b"\r\n")
        h.wfile.flush()
        release.wait(10)
        h.wfile.write(b"0\r\n\r\n")
        h.wfile.flush()

    api.routes["/api/v1/services"] = route
    events = live.watch(SERVICE, None, resource_version="1", timeout_seconds=5)
    first = next(events)  # must not wait for the server to finish the response
    released_before = release.is_set()
    release.set()
    assert first.type == "ADDED" and not released_before
    assert list(events) == []


def test_410_on_watch_is_gone(api: FakeApi, live: LiveApi) -> None:
    api.routes["/api/v1/services"] = lambda f, h, r: f.json(
        h, 410, status(410, "Expired", "too old resource version: 1 (5000)"))
    with pytest.raises(ApiFailure) as info:
        live.watch(SERVICE, None, resource_version="1", timeout_seconds=5)
    assert info.value.gone and "too old resource version" in info.value.message


def test_410_as_an_error_event_in_the_stream(api: FakeApi, live: LiveApi) -> None:
    err = ev("ERROR", status(410, "Expired", "too old resource version"))
    api.routes["/api/v1/services"] = lambda f, h, r: f.chunked(h, [ev("ADDED", svc(1)), err])
    events = list(live.watch(SERVICE, None, resource_version="1", timeout_seconds=5))
    assert [e.type for e in events] == ["ADDED", "ERROR"]
    assert events[1].object["code"] == 410
    assert "kind" not in events[1].object or events[1].object["kind"] == "Status"


def test_garbage_lines_in_a_watch_are_skipped(api: FakeApi, live: LiveApi) -> None:
    pieces = [b"not json\n", b'{"type":"ADDED","object":"str"}\n', b"[1,2]\n", ev("ADDED", svc(3))]
    api.routes["/api/v1/services"] = lambda f, h, r: f.chunked(h, pieces)
    events = list(live.watch(SERVICE, None, resource_version="1", timeout_seconds=5))
    assert [(e.type, e.object["metadata"]["name"]) for e in events] == [("ADDED", "svc-3")]


def test_watch_cut_mid_stream_raises_transport_failure(api: FakeApi, live: LiveApi) -> None:
    api.routes["/api/v1/services"] = lambda f, h, r: f.chunked(h, [ev("ADDED", svc(1))], finish=False)
    got = []
    with pytest.raises(ApiFailure) as info:
        for e in live.watch(SERVICE, None, resource_version="1", timeout_seconds=5):
            got.append(e.type)
    assert got == ["ADDED"]
    assert info.value.status == 0 and info.value.reason == "watch interrupted"


def test_watch_ended_cleanly_by_the_server_just_ends(api: FakeApi, live: LiveApi) -> None:
    api.routes["/api/v1/services"] = lambda f, h, r: f.chunked(h, [])
    assert list(live.watch(SERVICE, None, resource_version="1", timeout_seconds=5)) == []


# -- credentials -----------------------------------------------------------------------------------

def test_failing_exec_plugin_reports_its_stderr(api: FakeApi, tmp_path: Path) -> None:
    plugin = tmp_path / "plugin.py"
    plugin.write_text("import sys\nsys.stderr.write('error: the SSO session has expired, run: login --now\\n')\n"
                      "sys.exit(1)\n")
    user = (f"    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
            f"      command: {sys.executable}\n      args: ['{plugin}']\n      interactiveMode: Never")
    cfg = write_kubeconfig(tmp_path / "config", f"http://127.0.0.1:{api.port}", user=user)
    api.routes["/api/v1/services"] = paged_services(1)
    live = LiveApi(KubeconfigChoice((str(cfg),), False, str(cfg)), "fake-ctx")
    with pytest.raises(KubeconfigError) as info:
        live.list_page(SERVICE, None)
    assert "the SSO session has expired, run: login --now" in str(info.value)
    assert api.requests == []  # no request went out without credentials


def test_exec_plugin_that_is_not_installed(api: FakeApi, tmp_path: Path) -> None:
    user = ("    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
            f"      command: {tmp_path / 'no-such-plugin'}")
    cfg = write_kubeconfig(tmp_path / "config", f"http://127.0.0.1:{api.port}", user=user)
    live = LiveApi(KubeconfigChoice((str(cfg),), False, str(cfg)), "fake-ctx")
    with pytest.raises(KubeconfigError) as info:
        live.list_page(SERVICE, None)
    assert "no-such-plugin" in str(info.value)


def test_working_exec_plugin_token_is_sent(api: FakeApi, tmp_path: Path) -> None:
    plugin = tmp_path / "plugin.py"
    plugin.write_text("import json\nprint(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1beta1',"
                      " 'kind': 'ExecCredential', 'status': {'token': 'from-plugin'}}))\n")
    user = (f"    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
            f"      command: {sys.executable}\n      args: ['{plugin}']")
    cfg = write_kubeconfig(tmp_path / "config", f"http://127.0.0.1:{api.port}", user=user)
    api.routes["/api/v1/services"] = paged_services(1)
    live = LiveApi(KubeconfigChoice((str(cfg),), False, str(cfg)), "fake-ctx")
    live.list_page(SERVICE, None)
    assert api.requests[0].headers.get("authorization") == "Bearer from-plugin"


def test_unknown_context_at_client_build_is_a_kubeconfig_error(api: FakeApi, tmp_path: Path) -> None:
    cfg = write_kubeconfig(tmp_path / "config", f"http://127.0.0.1:{api.port}")
    live = LiveApi(KubeconfigChoice((str(cfg),), False, str(cfg)), "nope")
    with pytest.raises(KubeconfigError):
        live.list_page(SERVICE, None)
    assert live.server == ""


def test_managed_fields_and_last_applied_are_dropped_on_the_way_in(api: FakeApi, live: LiveApi) -> None:
    heavy = {"kind": "Service", "apiVersion": "v1",
             "metadata": {"name": "x", "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:spec": {}}}],
                          "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{...}",
                                          "team": "web"}}}
    api.routes["/api/v1/services"] = lambda f, h, r: f.json(h, 200, {"metadata": {}, "items": [json.loads(json.dumps(heavy))]})
    (item,) = live.list_page(SERVICE, None).items
    assert "managedFields" not in item["metadata"]
    assert item["metadata"]["annotations"] == {"team": "web"}  # other annotations stay
    api.routes["/api/v1/services"] = lambda f, h, r: f.chunked(h, [ev("MODIFIED", heavy)])
    (event,) = list(live.watch(SERVICE, None, resource_version="1", timeout_seconds=5))
    assert "managedFields" not in event.object["metadata"]
    assert event.object["metadata"]["annotations"] == {"team": "web"}


def test_named_list_and_watch_send_a_field_selector(api: FakeApi, live: LiveApi) -> None:
    """Kinds read object by object (the networking ConfigMaps) never ask for the kind at large."""
    path = "/api/v1/namespaces/kube-system/configmaps"
    api.routes[path] = lambda f, h, r: f.json(h, 200, {"metadata": {"resourceVersion": "3"}, "items": [
        {"metadata": {"name": "coredns", "namespace": "kube-system"}, "data": {"Corefile": "."}}]})
    cm = BY_NAME["ConfigMap"]
    assert [o["metadata"]["name"] for o in live.list_page(cm, "kube-system", name="coredns").items] == ["coredns"]
    list(live.watch(cm, "kube-system", resource_version="3", timeout_seconds=1, name="coredns"))
    assert [(r.path, r.query.get("fieldSelector")) for r in api.requests] == [
        (path, "metadata.name=coredns"), (path, "metadata.name=coredns")]
    assert api.requests[1].query.get("watch") == "true"


def test_kubeconfig_files_merge_as_kubectl_does_and_relative_paths_resolve_beside_each(tmp_path: Path) -> None:
    """The client gets our bounded parse, merged: the first file's entry of each name wins,
    and a relative certificate path is read next to the file that names it."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = tmp_path / "a" / "config"
    a.write_text("clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1', certificate-authority: ca.crt}}]\n"
                 "users: [{name: u, user: {token: from-a}}]\n"
                 "contexts: [{name: x, context: {cluster: c, user: u}}]\n", encoding="utf-8")
    b = tmp_path / "b" / "config"
    b.write_text("clusters: [{name: c, cluster: {server: 'https://127.0.0.2:2'}}]\n"
                 "users: [{name: u, user: {token: from-b}}]\n"
                 "contexts: [{name: y, context: {cluster: c, user: u}}]\n"
                 "current-context: y\n", encoding="utf-8")
    (tmp_path / "a" / "ca.crt").write_text("not really a certificate\n")
    live = LiveApi(KubeconfigChoice((str(a), str(b)), False, "two files"), "y")
    cfg = live._client().configuration
    assert cfg.host == "https://127.0.0.1:1"  # cluster c from the first file
    assert cfg.api_key["BearerToken"] == "Bearer from-a"
    assert cfg.ssl_ca_cert == str(tmp_path / "a" / "ca.crt")


def test_failing_renewal_runs_the_plugin_once_not_once_per_request(api: FakeApi, tmp_path: Path) -> None:
    """Its token always counts as expiring (1 s ahead): every request asks for a renewal. Once
    the plugin starts failing, one failed run answers for the next requests; the old token goes out."""
    state = tmp_path / "state"
    state.mkdir()
    plugin = tmp_path / "plugin.py"
    plugin.write_text(
        "import datetime, json, os, sys\n"
        f"state = {str(state)!r}\n"
        "open(os.path.join(state, 'runs'), 'a').write('run\\n')\n"
        "if os.path.exists(os.path.join(state, 'fail')):\n"
        "    sys.stderr.write('sso expired\\n'); sys.exit(1)\n"
        "when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=1)\n"
        "print(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1beta1', 'kind': 'ExecCredential',"
        " 'status': {'token': 'first', 'expirationTimestamp': when.strftime('%Y-%m-%dT%H:%M:%SZ')}}))\n")
    user = (f"    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
            f"      command: {sys.executable}\n      args: ['{plugin}']")
    cfg = write_kubeconfig(tmp_path / "config", f"http://127.0.0.1:{api.port}", user=user)
    api.routes["/api/v1/services"] = paged_services(1)
    live = LiveApi(KubeconfigChoice((str(cfg),), False, str(cfg)), "fake-ctx")
    live.list_page(SERVICE, None)
    (state / "fail").write_text("")
    for _ in range(3):
        live.list_page(SERVICE, None)
    # loading, the first request's renewal, the failing renewal; then nothing for the next two
    assert (state / "runs").read_text().count("run") == 3, "the plugin ran again after a renewal had just failed"
    assert "sso expired" in live.plugin_error
    assert {r.headers.get("authorization") for r in api.requests} == {"Bearer first"}


# -- lists started early (while the app imports) ---------------------------------------------------

def test_pages_listed_early_answer_the_watchers_once_each(api: FakeApi, live: LiveApi) -> None:
    api.routes["/api/v1/services"] = paged_services(5)
    live.list_early([(SERVICE, None, "")], limit=2)
    pages = []
    token = ""
    while True:  # as a watcher lists: the same pages, none asked for twice
        page = live.list_page(SERVICE, None, limit=2, continue_token=token, slim=True)
        pages.append([i["metadata"]["name"] for i in page.items])
        token = page.continue_token
        if not token:
            break
    assert pages == [["svc-0", "svc-1"], ["svc-2", "svc-3"], ["svc-4"]]
    assert [r.query.get("continue", "") for r in api.requests] == ["", "2", "4"]
    live.list_page(SERVICE, None, limit=2, slim=True)  # a relist: asked again, never an old page
    assert len(api.requests) == 4


def test_a_watcher_waits_for_an_early_page_on_its_way_instead_of_asking_again(api: FakeApi, live: LiveApi) -> None:
    slow = paged_services(3)
    started = threading.Event()

    def route(fake: FakeApi, h, req: Request) -> None:
        started.set()
        time.sleep(0.5)
        slow(fake, h, req)

    api.routes["/api/v1/services"] = route
    live.list_early([(SERVICE, None, "")])
    assert started.wait(10)
    page = live.list_page(SERVICE, None, limit=500, slim=True)
    assert len(page.items) == 3 and len(api.requests) == 1


def test_an_early_failure_is_not_kept_and_old_pages_are_not_served(api: FakeApi, live: LiveApi,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import k8snet_tui.sources.live_api as live_api

    answers = [500, 200]

    def route(fake: FakeApi, h, req: Request) -> None:
        code = answers.pop(0) if answers else 200
        if code != 200:
            fake.json(h, code, status(code, "InternalError", "etcd is slow"))
        else:
            paged_services(1)(fake, h, req)

    api.routes["/api/v1/services"] = route
    live.list_early([(SERVICE, None, "")])
    page = live.list_page(SERVICE, None, limit=500, slim=True)  # the early 500 is not kept: asked again
    assert len(page.items) == 1 and len(api.requests) == 2
    monkeypatch.setattr(live_api, "EARLY_FRESH", 0.0)
    live.list_early([(SERVICE, None, "")])
    deadline = time.monotonic() + 10
    while len(api.requests) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)
    live.list_page(SERVICE, None, limit=500, slim=True)  # the early page is too old: asked again
    assert len(api.requests) == 4

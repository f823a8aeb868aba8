"""The live cluster: raw JSON list and watch over the kubernetes client's HTTP plumbing.

Only the client's configuration loading (kubeconfig merging, exec credential plugins, TLS) and
its connection pool are used, and only for kubeconfigs `direct_http` cannot serve exactly as the
client would (a server, a CA and a token or client certificate go over urllib3 alone).
Responses are read as bytes and decoded with `json`: building the client's typed models
costs seconds on big lists (kubernetes-client/python#1921), and the rest of the app works on
plain dicts anyway. `kubernetes` is imported on first use, never at start-up.
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
import time
from collections.abc import Iterator
from typing import Any

from k8snet_tui.domain.sanitize import clean
from k8snet_tui.errors import KubeconfigError
from k8snet_tui.sources.direct_http import USER_AGENT, DirectClient, direct_settings
from k8snet_tui.sources.kinds import Kind
from k8snet_tui.sources.kubeconfig import KubeconfigChoice
from k8snet_tui.sources.ports import ApiFailure, ListPage, WatchEvent
from k8snet_tui.sources.snapshot_decode import decode_page

CONNECT_TIMEOUT = 5.0
LIST_READ_TIMEOUT = 30.0
# A watch is asked to end server-side after `timeout_seconds`; the client gives up a little later,
# so a silently dead connection (a cut network, a stopped apiserver) is noticed, never waited on forever.
WATCH_GRACE = 15.0
PING_TIMEOUT = 3.0
RETRY_LOAD = 30.0  # seconds a failed credential load answers for itself before it is tried again
EARLY_FRESH = 10.0  # seconds a page listed early answers for the watcher that asks for it
EARLY_MAX_PAGES = 100  # pages listed early per kind at most (50,000 objects at 500 a page)


class LiveApi:
    """A `ClusterSource` over one kubeconfig context (or the in-cluster service account)."""

    _early: _EarlyLists | None = None

    def __init__(self, choice: KubeconfigChoice, context: str = "") -> None:
        self.choice = choice
        self.context = context
        self._lock = threading.Lock()
        self._api: Any = None
        self.requests = 0  # counted for benchmarks and the hardening tests
        self.plugin_error = ""  # the last credential plugin failure at a token renewal
        self._loader: Any = None
        self._failed: tuple[float, KubeconfigError] | None = None
        self._direct: DirectClient | None = None
        self._direct_checked = False

    # -- client --------------------------------------------------------------------------------

    def _client(self) -> Any:
        with self._lock:
            if self._api is None:
                # A failed load (a plugin that hung for its whole deadline) is not retried by
                # every watcher in turn: for a while each gets the same error at once.
                if self._failed is not None and time.monotonic() - self._failed[0] < RETRY_LOAD:
                    raise self._failed[1]
                try:
                    self._api = self._build_client()
                except KubeconfigError as exc:
                    self._failed = (time.monotonic(), exc)
                    raise
                self._failed = None
            return self._api

    def _direct_client(self) -> DirectClient | None:
        """The urllib3-only client when the kubeconfig needs nothing more (`direct_http`),
        else None: the kubernetes client then reads it, with its own errors."""
        with self._lock:
            if not self._direct_checked:
                self._direct_checked = True
                try:
                    settings = direct_settings(self.choice.paths, self.context)
                    self._direct = DirectClient(settings) if settings is not None else None
                except (KubeconfigError, OSError, ssl.SSLError, ValueError):
                    self._direct = None  # the client's own loading says what is wrong
            return self._direct

    def reset(self) -> None:
        """Drop the client so the next request reloads credentials (e.g. after a 401)."""
        with self._lock:
            self._api = None
            self._loader = None
            self._failed = None
            self._direct = None
            self._direct_checked = False

    def _build_client(self) -> Any:
        from kubernetes import client, config
        from kubernetes.config.config_exception import ConfigException

        from k8snet_tui.sources.kube_loader import load_into

        cfg = client.Configuration()
        hint = "check the context's credentials; run the same kubectl command to compare"
        # Other parts of the client (OIDC, cloud auth providers) only `logging.error` what goes
        # wrong, on the root logger: catch those records (logging's last-resort handler would
        # print them over the screen) and make them the error they are.
        plugin_errors = _CapturedErrors(threading.get_ident())
        root_logger = logging.getLogger()
        root_logger.addHandler(plugin_errors)
        try:
            if self.choice.in_cluster:
                config.load_incluster_config(client_configuration=cfg)
                loader = None
            else:
                loader = load_into(cfg, self.choice.paths, self.context)
        except ConfigException as exc:
            raise KubeconfigError(f"cannot use {clean(self.choice.why)}: {clean(exc)}", hint=hint) from None
        finally:
            root_logger.removeHandler(plugin_errors)
        if loader is not None and loader.plugin_failure is not None:
            raise KubeconfigError(f"cannot use {clean(self.choice.why)}: {loader.plugin_failure.message}",
                                  hint=loader.plugin_failure.hint)
        if plugin_errors.messages:
            raise KubeconfigError(f"cannot use {clean(self.choice.why)}: credential plugin failed: "
                                  + clean("; ".join(plugin_errors.messages)), hint=hint)
        self._loader = loader
        # Retries are ours (backoff with jitter in the watchers), not urllib3's silent ones.
        cfg.retries = 0
        # One long-lived watch per kind (17 of them) plus lists and log reads share this pool;
        # urllib3's default of 4 would drop and reopen connections all the time.
        cfg.connection_pool_maxsize = 32
        api = client.ApiClient(cfg)
        api.user_agent = USER_AGENT
        return api

    @property
    def server(self) -> str:
        direct = self._direct_client()
        if direct is not None:
            return direct.host
        try:
            return str(self._client().configuration.host)
        except KubeconfigError:
            return ""

    # -- requests ------------------------------------------------------------------------------

    def _get(self, path: str, query: list[tuple[str, str]], timeout: tuple[float, float]) -> Any:
        direct = self._direct_client()
        if direct is not None:
            self.requests += 1
            try:
                return direct.get(path, query, timeout)
            except Exception as exc:  # urllib3 and ssl errors, as below
                raise ApiFailure(0, "unreachable", _transport_message(exc)) from None
        api = self._client()
        # Building the headers may renew an exec-plugin token (the client's refresh hook). A
        # plugin failing there is kept on the loader: the old token is still sent, and if the
        # server rejects it the watchers' reset() reloads the credentials, which raises with
        # the same message.
        plugin_errors = _CapturedErrors(threading.get_ident())
        root_logger = logging.getLogger()
        root_logger.addHandler(plugin_errors)
        try:
            try:
                method, url, headers, _body, _post = api.param_serialize(
                    "GET", path, query_params=query, header_params={"Accept": "application/json"},
                    auth_settings=["BearerToken"],
                )
            finally:
                root_logger.removeHandler(plugin_errors)
                loader = self._loader
                if loader is not None and loader.plugin_failure is not None:
                    self.plugin_error = loader.plugin_failure.message
                elif plugin_errors.messages:
                    self.plugin_error = clean("; ".join(plugin_errors.messages))
            self.requests += 1
            return api.call_api(method, url, header_params=headers, _request_timeout=timeout)
        except KubeconfigError:
            raise
        except Exception as exc:  # urllib3 and ssl errors: the cluster could not be reached
            status = getattr(exc, "status", None)
            if status:
                raise ApiFailure(int(status), str(getattr(exc, "reason", "")),
                                 _body_message(getattr(exc, "body", b""))) from None
            raise ApiFailure(0, "unreachable", _transport_message(exc)) from None

    def ping(self) -> bool | None:
        """Is the API server there? True: /readyz says ok; False: unreachable or failing (5xx);
        None: cannot tell (credentials not loadable, /readyz forbidden or absent)."""
        try:
            resp = self._get("/readyz", [], (PING_TIMEOUT, PING_TIMEOUT))
            _read_all(resp)
        except KubeconfigError:
            return None
        except ApiFailure as exc:
            return False if exc.status == 0 or exc.status >= 500 else None
        if resp.status >= 500:
            return False
        return True if resp.status < 400 else None

    def for_watchers(self) -> SlimPages:
        """This client as the store's watchers read it (list pages in the store's shape)."""
        return SlimPages(self)

    def list_early(self, scopes: list[tuple[Kind, str | None, str]], *, limit: int = 500) -> None:
        """List these (kind, namespace, name) scopes now, on a thread, the way the watchers
        will (`slim`, `limit` a page): started while the app imports, the lists the first rows
        need are on their way, or here, when the watchers ask. Each page answers the one
        request that would have fetched it, once, within EARLY_FRESH seconds; a failure is
        not kept (the watcher's own request then meets it and reports it as always)."""
        keys = [(kind.kind, kind.api_version, namespace, name, limit) for kind, namespace, name in scopes]
        early = self._early = self._early or _EarlyLists()
        early.expect(keys)

        def run() -> None:
            for key, (kind, namespace, name) in zip(keys, scopes, strict=True):
                token = ""
                try:
                    for _ in range(EARLY_MAX_PAGES):
                        page = self._fetch_page(kind, namespace, limit=limit, continue_token=token, name=name,
                                                slim=True)
                        early.put(key, token, page)
                        token = page.continue_token
                        if not token:
                            break
                except (ApiFailure, KubeconfigError):
                    pass
                finally:
                    early.done(key)

        threading.Thread(target=run, name="k8snet-early-lists", daemon=True).start()

    def list_page(self, kind: Kind, namespace: str | None, *, limit: int = 500,
                  continue_token: str = "", name: str = "", slim: bool = False) -> ListPage:
        """One page of `kind`; with `name`, only the object of that name (a field selector:
        the API server sends nothing else, and RBAC can grant exactly that object). With
        `slim`, its items come in the store's allow-listed shape (what the store would keep of
        them), decoded in one typed pass where that is certain to give the same objects."""
        if slim and self._early is not None:
            early = self._early.take((kind.kind, kind.api_version, namespace, name, limit), continue_token)
            if early is not None:
                return early
        return self._fetch_page(kind, namespace, limit=limit, continue_token=continue_token, name=name, slim=slim)

    def _fetch_page(self, kind: Kind, namespace: str | None, *, limit: int, continue_token: str, name: str,
                    slim: bool) -> ListPage:
        query = [("limit", str(limit))]
        selector = ",".join(s for s in (f"metadata.name={name}" if name else "", kind.field_selector) if s)
        if selector:
            query.append(("fieldSelector", selector))
        if continue_token:
            query.append(("continue", continue_token))
        resp = self._get(kind.path(namespace), query, (CONNECT_TIMEOUT, LIST_READ_TIMEOUT))
        data = _read_all(resp)
        if resp.status >= 400:
            raise ApiFailure(resp.status, str(resp.reason or ""), _body_message(data))
        if slim:
            # ~2.5x cheaper than json.loads and slim() in Python (10k pods at scale M: ~0.5 s
            # of CPU saved while the app draws its first rows on the same GIL).
            typed = decode_page(data, kind.kind, kind.api_version)
            if typed is not None:
                return ListPage(*typed)
        try:
            doc = json.loads(data)
        except (ValueError, RecursionError):  # nested past Python's limit: as bad as not JSON
            raise ApiFailure(resp.status, "bad response", f"list of {kind.plural} was not JSON") from None
        items = doc.get("items") if isinstance(doc, dict) else None
        meta = doc.get("metadata") if isinstance(doc, dict) else None
        meta = meta if isinstance(meta, dict) else {}
        out = []
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict):
                _slim(item)
                item.setdefault("kind", kind.kind)
                item.setdefault("apiVersion", kind.api_version)
                out.append(item)
        return ListPage(out, str(meta.get("resourceVersion") or ""), str(meta.get("continue") or ""))

    def pod_log(self, namespace: str, name: str, *, tail_lines: int = 50, container: str = "") -> str:
        """The last lines of a pod's log (reads pods/log; only when the user asks for it)."""
        query = [("tailLines", str(tail_lines))]
        if container:
            query.append(("container", container))
        resp = self._get(f"/api/v1/namespaces/{namespace}/pods/{name}/log", query,
                         (CONNECT_TIMEOUT, LIST_READ_TIMEOUT))
        data = _read_all(resp)
        if resp.status >= 400:
            raise ApiFailure(resp.status, str(resp.reason or ""), _body_message(data))
        return data.decode("utf-8", "replace")

    def watch(self, kind: Kind, namespace: str | None, *, resource_version: str,
              timeout_seconds: int = 300, name: str = "") -> Iterator[WatchEvent]:
        query = [("watch", "true"), ("allowWatchBookmarks", "true"),
                 ("resourceVersion", resource_version), ("timeoutSeconds", str(timeout_seconds))]
        selector = ",".join(s for s in (f"metadata.name={name}" if name else "", kind.field_selector) if s)
        if selector:
            query.append(("fieldSelector", selector))
        resp = self._get(kind.path(namespace), query, (CONNECT_TIMEOUT, timeout_seconds + WATCH_GRACE))
        if resp.status >= 400:
            raise ApiFailure(resp.status, str(resp.reason or ""), _body_message(_read_all(resp)))
        # The request is made here, eagerly, so a caller knows the watch was accepted before
        # the first event arrives; the events are read lazily.
        return self._events(kind, resp.response)

    @staticmethod
    def _events(kind: Kind, raw: Any) -> Iterator[WatchEvent]:
        try:
            for line in _lines(raw):
                try:
                    doc = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(doc, dict) or not isinstance(doc.get("object"), dict):
                    continue
                obj = doc["object"]
                if doc.get("type") in ("ADDED", "MODIFIED", "DELETED"):
                    _slim(obj)
                    obj.setdefault("kind", kind.kind)
                    obj.setdefault("apiVersion", kind.api_version)
                yield WatchEvent(str(doc.get("type") or ""), obj)
        except ApiFailure:
            raise
        except Exception as exc:  # a read timeout or a reset connection ends the watch
            raise ApiFailure(0, "watch interrupted", _transport_message(exc)) from None
        finally:
            raw.release_conn()


class _EarlyLists:
    """Pages listed ahead of the watchers, by (scope, continue token); a request for one still
    on its way waits for it (a scope's pages come one after another on one thread)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pages: dict[tuple[Any, str], tuple[float, ListPage]] = {}
        self._running: set[Any] = set()

    def expect(self, keys: list[Any]) -> None:
        with self._cond:
            self._running.update(keys)

    def put(self, key: Any, token: str, page: ListPage) -> None:
        with self._cond:
            self._pages[(key, token)] = (time.monotonic(), page)
            self._cond.notify_all()

    def done(self, key: Any) -> None:
        with self._cond:
            self._running.discard(key)
            self._cond.notify_all()

    def take(self, key: Any, token: str) -> ListPage | None:
        if not self._running and not self._pages:
            return None
        with self._cond:
            deadline = time.monotonic() + LIST_READ_TIMEOUT
            while (key, token) not in self._pages and key in self._running:
                if not self._cond.wait(max(0.0, deadline - time.monotonic())):
                    break
            now = time.monotonic()
            for stale in [k for k, (at, _page) in self._pages.items() if now - at > EARLY_FRESH]:
                del self._pages[stale]
            held = self._pages.pop((key, token), None)
            return held[1] if held is not None else None


class SlimPages:
    """The watchers' view of a `LiveApi`: list pages come in the store's shape (`slim=True`);
    everything else is the source's own. Other readers (the node agent's pods, completion)
    keep whole objects."""

    def __init__(self, source: LiveApi) -> None:
        self.source = source

    def list_page(self, kind: Kind, namespace: str | None, **options: Any) -> ListPage:
        return self.source.list_page(kind, namespace, slim=True, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.source, name)


class _CapturedErrors(logging.Handler):
    """Error records the kubernetes client logs from one thread while it loads a kubeconfig."""

    def __init__(self, thread: int) -> None:
        super().__init__(logging.ERROR)
        self.thread = thread
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread and record.name == "root" and "kubernetes" in record.pathname:
            self.messages.append(record.getMessage()[:2000])


def _slim(obj: dict[str, Any]) -> None:
    """Drop what no pane reads and what weighs most: server-side-apply bookkeeping
    (managedFields, often half of an object) and kubectl's last-applied copy of the manifest."""
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
        annotations = meta.get("annotations")
        if isinstance(annotations, dict):
            annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)


def _read_all(resp: Any) -> bytes:
    try:
        return resp.read() or b""
    except Exception as exc:
        raise ApiFailure(0, "unreachable", _transport_message(exc)) from None


def _lines(raw: Any) -> Iterator[bytes]:
    pending = b""
    for chunk in raw.stream(64 * 1024, decode_content=True):
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            if line.strip():
                yield line
    if pending.strip():
        yield pending


def _body_message(body: Any) -> str:
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    try:
        doc = json.loads(body)
        if isinstance(doc, dict) and isinstance(doc.get("message"), str):
            return doc["message"]
    except (TypeError, ValueError):
        pass
    return str(body)[:300]


def _transport_message(exc: BaseException) -> str:
    # urllib3 wraps the interesting part (connection refused, timed out) a few levels down.
    reason = getattr(exc, "reason", None)
    return str(reason or exc)[:300]

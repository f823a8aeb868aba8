"""A small REST client for the test cluster and a server-side-apply manifest applier.

The harness talks to the API with urllib3 and raw JSON: it needs no typed models, it
must keep working across the kubernetes client's versions, and server-side apply makes
"create or update" one request. There is no kubectl here.
"""

from __future__ import annotations

import contextlib
import json
import string
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import urllib3
import yaml

FIELD_MANAGER = "k8snet-test-harness"


class ApiError(RuntimeError):
    def __init__(self, status: int, method: str, path: str, body: str):
        self.status = status
        self.body = body
        reason = body
        with contextlib.suppress(ValueError, AttributeError):
            reason = json.loads(body).get("message", body)
        super().__init__(f"{method} {path} -> {status}: {reason}")


class Api:
    def __init__(self, server: str, token: str, ca_file: str, timeout: float = 10):
        self.server = server.rstrip("/")
        self.token = token
        self._http = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_certs=ca_file, maxsize=8,
                                         retries=False)
        self.timeout = timeout

    def request(self, method: str, path: str, body: Any = None, *, query: dict | None = None,
                content_type: str = "application/json", timeout: float | None = None,
                preload: bool = True):
        url = self.server + path + (("?" + urlencode(query)) if query else "")
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            headers["Content-Type"] = content_type
        resp = self._http.request(method, url, body=data, headers=headers,
                                  timeout=urllib3.Timeout(connect=5, read=timeout or self.timeout),
                                  preload_content=preload)
        if not preload:
            if resp.status >= 400:
                text = resp.read().decode(errors="replace")
                resp.release_conn()
                raise ApiError(resp.status, method, path, text)
            return resp
        text = resp.data.decode(errors="replace")
        if resp.status >= 400:
            raise ApiError(resp.status, method, path, text)
        return json.loads(text) if text else None

    def get(self, path: str, **query):
        return self.request("GET", path, query=query or None)

    def healthy(self) -> bool:
        try:
            resp = self._http.request("GET", self.server + "/readyz",
                                      headers={"Authorization": f"Bearer {self.token}"},
                                      timeout=urllib3.Timeout(connect=1, read=3))
            return resp.status == 200
        except urllib3.exceptions.HTTPError:
            return False

    def watch(self, path: str, resource_version: str, timeout_seconds: int = 30) -> Iterator[dict]:
        """Yield watch events (dicts with type/object) until the server ends the stream."""
        resp = self.request("GET", path, query={"watch": "1", "resourceVersion": resource_version,
                                                "timeoutSeconds": str(timeout_seconds),
                                                "allowWatchBookmarks": "true"},
                            timeout=timeout_seconds + 10, preload=False)
        try:
            buf = b""
            for chunk in resp.stream(4096):
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if line.strip():
                        yield json.loads(line)
        finally:
            resp.release_conn()


class Applier:
    """Maps apiVersion/kind to resource paths by discovery (cached; refreshed on a miss, so
    kinds from a just-created CRD resolve) and applies objects with server-side apply."""

    def __init__(self, api: Api):
        self.api = api
        self._resources: dict[str, dict[str, tuple[str, bool]]] = {}
        self._lock = threading.Lock()

    def _discover(self, api_version: str) -> dict[str, tuple[str, bool]]:
        path = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        try:
            doc = self.api.get(path)
        except ApiError as e:
            if e.status == 404:
                return {}
            raise
        found = {}
        for r in doc.get("resources", []):
            if "/" not in r["name"]:
                found[r["kind"]] = (r["name"], r["namespaced"])
        return found

    def resource(self, api_version: str, kind: str, wait: float = 30) -> tuple[str, bool]:
        deadline = time.monotonic() + wait
        while True:
            with self._lock:
                known = self._resources.get(api_version, {})
                if kind in known:
                    return known[kind]
                self._resources[api_version] = self._discover(api_version)
                if kind in self._resources[api_version]:
                    return self._resources[api_version][kind]
            if time.monotonic() > deadline:
                raise LookupError(f"the API serves no {kind} in {api_version}")
            time.sleep(0.2)

    def path(self, api_version: str, kind: str, namespace: str | None = None, name: str | None = None
             ) -> str:
        plural, namespaced = self.resource(api_version, kind)
        base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        if namespaced:
            base += f"/namespaces/{namespace or 'default'}"
        base += f"/{plural}"
        return base + (f"/{name}" if name else "")

    def apply(self, obj: dict, retry_for: float = 30) -> dict:
        """Server-side apply one object. Retries while the API is not ready for it yet
        (a namespace's default ServiceAccount or a CRD still being set up)."""
        md = obj.get("metadata", {})
        path = self.path(obj["apiVersion"], obj["kind"], md.get("namespace"), md["name"])
        deadline = time.monotonic() + retry_for
        while True:
            try:
                return self.api.request("PATCH", path, json.dumps(obj),
                                        query={"fieldManager": FIELD_MANAGER, "force": "true"},
                                        content_type="application/apply-patch+yaml")
            except ApiError as e:
                transient = e.status in (404, 409, 429, 500, 503) or (
                    e.status == 403 and "serviceaccount" in e.body.lower())
                if not transient or time.monotonic() > deadline:
                    raise
                time.sleep(0.3)

    def delete(self, api_version: str, kind: str, name: str, namespace: str | None = None,
               *, grace_seconds: int | None = None, missing_ok: bool = True) -> None:
        path = self.path(api_version, kind, namespace, name)
        body = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}
        if grace_seconds is not None:
            body["gracePeriodSeconds"] = grace_seconds
        try:
            self.api.request("DELETE", path, body)
        except ApiError as e:
            if not (missing_ok and e.status == 404):
                raise


def load_manifests(source: str | Path | dict | Iterable[dict], variables: dict[str, str] | None = None
                   ) -> list[dict]:
    """Objects from a dict, a list of dicts, YAML text, a file or a directory of *.yaml files
    (sorted by name). `${NAME}` placeholders in files are filled from `variables`."""
    if isinstance(source, dict):
        docs = [source]
    elif isinstance(source, (list, tuple)):
        docs = list(source)
    else:
        p = Path(source) if not (isinstance(source, str) and "\n" in source) else None
        if p is not None and p.is_dir():
            texts = [f.read_text() for f in sorted(p.glob("*.yaml"))]
        elif p is not None and p.exists():
            texts = [p.read_text()]
        else:
            texts = [str(source)]
        if variables:
            texts = [string.Template(t).substitute(variables) for t in texts]
        docs = [d for t in texts for d in yaml.safe_load_all(t)]
    out = []
    for d in docs:
        if not d:
            continue
        if d.get("kind", "").endswith("List") and "items" in d:
            out.extend(d["items"])
        else:
            out.append(d)
    return out

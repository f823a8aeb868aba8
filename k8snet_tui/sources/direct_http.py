"""List and watch requests over urllib3 alone, for the kubeconfigs that need nothing more.

Importing the kubernetes client costs 0.25 s of CPU on a quiet machine and 0.7-1.3 s on a busy
one, all of it after the first frame and before the first list. Most kubeconfigs (kind, kubeadm,
k3s, a service account token) name a server, a CA and a bearer token or a client certificate:
for those this module sends the same requests with the same TLS settings the client would
(urllib3's `PoolManager` with `CERT_REQUIRED`, the same CA, client certificate, SNI name and
`retries=0`), without the client.

`direct_settings` answers only for a kubeconfig whose context, cluster and user use nothing but
the fields read here, each a non-empty string; anything else (exec and auth-provider plugins,
basic auth, `tokenFile`, `insecure-skip-tls-verify`, `proxy-url`, a field this module does not
know, an odd value) returns None and the kubernetes client reads the kubeconfig as before, with
its own errors. TLS is never weaker than the client's: verification is always on here (a
kubeconfig that turns it off goes to the client).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import ssl
import tempfile
from dataclasses import dataclass
from typing import Any, TypeGuard
from urllib.parse import urlencode

from k8snet_tui import __version__
from k8snet_tui.sources.kubeconfig import load_kubeconfig_file

# Every request to the API server says it is k8snet's, on either path (this one and the
# kubernetes client's): an operator reading the audit log tells k8snet's reads from kubectl's.
USER_AGENT = f"k8snet/{__version__}"

CLUSTER_FIELDS = frozenset({"server", "certificate-authority", "certificate-authority-data",
                            "tls-server-name", "extensions"})
USER_FIELDS = frozenset({"token", "client-certificate", "client-certificate-data",
                         "client-key", "client-key-data"})
CONTEXT_FIELDS = frozenset({"cluster", "user", "namespace", "extensions"})
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")  # a token as one header value: printable ASCII, no spaces
_SERVER = re.compile(r"https?://[^\s/?#]+(/[^\s?#]*)?")


@dataclass(frozen=True)
class DirectSettings:
    """What the client would have configured, read from the kubeconfig by this module."""

    host: str  # the server URL without a trailing slash, as the client keeps it
    token: str = ""
    ca_file: str = ""  # a path, resolved next to the kubeconfig that names it
    ca_data: str = ""  # PEM text
    cert_file: str = ""
    cert_data: bytes = b""
    key_file: str = ""
    key_data: bytes = b""
    server_name: str = ""  # tls-server-name


def _merged(paths: tuple[str, ...]) -> tuple[dict[str, tuple[dict, str]], str]:
    """Clusters, contexts and users by "section/name", each with the file it came from (the
    first file of each name wins, as kubectl merges), and the first current-context."""
    entries: dict[str, tuple[dict, str]] = {}
    current = ""
    for path in paths:
        doc = load_kubeconfig_file(path)
        for section in ("clusters", "contexts", "users"):
            listed = doc.get(section)
            for entry in listed if isinstance(listed, list) else []:
                if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                    entries.setdefault(f"{section}/{entry['name']}", (entry, path))
        if not current and isinstance(doc.get("current-context"), str):
            current = doc["current-context"]
    return entries, current


def _plain(section: Any, allowed: frozenset[str]) -> TypeGuard[dict[str, Any]]:
    return (isinstance(section, dict) and set(section) <= allowed
            and all(isinstance(v, str) and v for k, v in section.items() if k != "extensions"))


def _file_or_data(user: dict[str, Any], field: str, base_dir: str) -> tuple[str, bytes] | None:
    """A user's `field` as (file, b"") or ("", bytes) from `field-data` (the data wins, as in the
    client); ("", b"") when neither is there, None when the data is not base64."""
    if f"{field}-data" in user:
        data = _b64(user[f"{field}-data"])
        return None if data is None else ("", data)
    if field in user:
        return os.path.normpath(os.path.join(base_dir, user[field])), b""
    return "", b""


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None


def direct_settings(paths: tuple[str, ...], context: str) -> DirectSettings | None:
    """The settings for `context` if this module can serve it exactly as the client would."""
    if not paths:
        return None  # in-cluster: the client re-reads its rotating token
    entries, current = _merged(paths)
    ctx_entry = entries.get(f"contexts/{context or current}")
    ctx = ctx_entry[0].get("context") if ctx_entry else None
    if not _plain(ctx, CONTEXT_FIELDS) or "cluster" not in ctx or "user" not in ctx:
        return None
    cluster_entry, user_entry = entries.get(f"clusters/{ctx['cluster']}"), entries.get(f"users/{ctx['user']}")
    if cluster_entry is None or user_entry is None:
        return None
    cluster, user = cluster_entry[0].get("cluster"), user_entry[0].get("user")
    if not _plain(cluster, CLUSTER_FIELDS) or not _plain(user, USER_FIELDS):
        return None
    host = cluster.get("server", "").rstrip("/")
    if not _SERVER.fullmatch(host):
        return None
    token = user.get("token", "")
    if token and not _HEADER_SAFE.fullmatch(token):
        return None
    has_cert = any(k in user for k in ("client-certificate", "client-certificate-data"))
    has_key = any(k in user for k in ("client-key", "client-key-data"))
    if has_cert != has_key:
        return None  # the client would fail in its own words
    if not host.startswith("https://"):
        # The client sends plain HTTP with the token only (no CA, no certificate is read).
        if has_cert or any(k in cluster for k in ("certificate-authority", "certificate-authority-data")):
            return None
        return DirectSettings(host=host, token=token)
    cluster_dir = os.path.dirname(os.path.abspath(cluster_entry[1]))
    # As the client does, the certificate files are resolved next to the *cluster's* file.
    ca_file = ca_data = ""
    if "certificate-authority-data" in cluster:
        raw = _b64(cluster["certificate-authority-data"])
        if raw is None or not raw.isascii():
            return None
        ca_data = raw.decode("ascii")
    elif "certificate-authority" in cluster:
        ca_file = os.path.normpath(os.path.join(cluster_dir, cluster["certificate-authority"]))
    cert = _file_or_data(user, "client-certificate", cluster_dir)
    key = _file_or_data(user, "client-key", cluster_dir)
    if cert is None or key is None:
        return None
    (cert_file, cert_data), (key_file, key_data) = cert, key
    for path in (ca_file, cert_file, key_file):
        if path and not os.path.isfile(path):
            return None  # the client says "File does not exist" itself
    return DirectSettings(host=host, token=token, ca_file=ca_file, ca_data=ca_data, cert_file=cert_file,
                          cert_data=cert_data, key_file=key_file, key_data=key_data,
                          server_name=cluster.get("tls-server-name", ""))


def _tls_context(settings: DirectSettings) -> ssl.SSLContext:
    """A verifying context (CERT_REQUIRED, hostnames checked by urllib3) with the CA and the
    client certificate loaded once; certificate bytes from the kubeconfig go through a file
    of this user's only (mode 0600 in a 0700 directory) that is removed as soon as it is read."""
    from urllib3.util.ssl_ import create_urllib3_context

    context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
    if settings.ca_data:
        context.load_verify_locations(cadata=settings.ca_data)
    elif settings.ca_file:
        context.load_verify_locations(cafile=settings.ca_file)
    else:
        context.load_default_certs()
    if settings.cert_data or settings.key_data or settings.cert_file:
        with tempfile.TemporaryDirectory(prefix="k8snet-tls-") as tmp:
            cert_file, key_file = settings.cert_file, settings.key_file
            if settings.cert_data:
                cert_file = _private_file(tmp, "cert", settings.cert_data)
            if settings.key_data:
                key_file = _private_file(tmp, "key", settings.key_data)
            context.load_cert_chain(cert_file, key_file)
    return context


def _private_file(directory: str, name: str, data: bytes) -> str:
    path = os.path.join(directory, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return path


class DirectResponse:
    """The parts of the client's RESTResponse that LiveApi reads."""

    def __init__(self, response: Any) -> None:
        self.response = response
        self.status = response.status
        self.reason = response.reason

    def read(self) -> bytes:
        data: bytes = self.response.data
        return data


class DirectClient:
    """GET requests to one API server with a bearer token and/or a client certificate."""

    def __init__(self, settings: DirectSettings, maxsize: int = 32) -> None:
        import urllib3

        self.settings = settings
        self.host = settings.host
        options: dict[str, Any] = {"maxsize": maxsize, "retries": 0}  # retries are the watchers'
        if settings.host.startswith("https://"):
            options.update(cert_reqs=ssl.CERT_REQUIRED, ssl_context=_tls_context(settings))
            if settings.server_name:
                options["server_hostname"] = settings.server_name
        self.pool = urllib3.PoolManager(**options)
        self.headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if settings.token:
            self.headers["Authorization"] = f"Bearer {settings.token}"

    def get(self, path: str, query: list[tuple[str, str]], timeout: tuple[float, float]) -> DirectResponse:
        import urllib3

        url = self.host + path + (f"?{urlencode(query)}" if query else "")
        response = self.pool.request("GET", url, headers=self.headers, preload_content=False,
                                     timeout=urllib3.Timeout(connect=timeout[0], read=timeout[1]))
        return DirectResponse(response)

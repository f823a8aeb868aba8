"""The urllib3-only live client (`direct_http`): the same settings as the kubernetes client for
the kubeconfigs it serves, the client for every other one, TLS verified against a real TLS
server on 127.0.0.1 (certificates made with the openssl CLI), and no kubernetes import."""

from __future__ import annotations

import base64
import json
import os
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from k8snet_tui.sources.direct_http import direct_settings
from k8snet_tui.sources.kinds import BY_NAME
from k8snet_tui.sources.kubeconfig import KubeconfigChoice
from k8snet_tui.sources.live_api import LiveApi
from k8snet_tui.sources.ports import ApiFailure

SERVICE = BY_NAME["Service"]


def openssl(cwd: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_ca(d: Path, name: str) -> None:
    openssl(d, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.crt", "-days", "2", "-subj", f"/CN={name}")


def make_leaf(d: Path, ca: str, name: str, ext: str) -> None:
    openssl(d, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
    (d / f"{name}.ext").write_text(ext)
    openssl(d, "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
            "-CAcreateserial", "-days", "2", "-out", f"{name}.crt", "-extfile", f"{name}.ext")


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("pki")
    make_ca(d, "ca")
    make_ca(d, "other-ca")
    make_leaf(d, "ca", "server", "subjectAltName=IP:127.0.0.1,DNS:api.test\nextendedKeyUsage=serverAuth\n")
    make_leaf(d, "ca", "client", "extendedKeyUsage=clientAuth\n")
    return d


class TlsApi:
    """A TLS server on 127.0.0.1 that asks for a client certificate signed by `ca` (optional)
    and answers every GET with an empty ServiceList, remembering who asked."""

    def __init__(self, pki: Path) -> None:
        self.seen: list[tuple[str, str, str]] = []  # (path, authorization, client CN)
        self.agents: list[str] = []  # the User-Agent of each request
        fake = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                peer = self.connection.getpeercert() or {}
                cn = dict(x[0] for x in peer.get("subject", ())).get("commonName", "")
                fake.seen.append((self.path, self.headers.get("Authorization", ""), cn))
                fake.agents.append(self.headers.get("User-Agent", ""))
                body = json.dumps({"kind": "ServiceList", "apiVersion": "v1",
                                   "metadata": {"resourceVersion": "5"}, "items": []}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(pki / "server.crt", pki / "server.key")
        ctx.load_verify_locations(pki / "ca.crt")
        ctx.verify_mode = ssl.CERT_OPTIONAL
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()


@pytest.fixture
def tls_api(pki: Path):
    api = TlsApi(pki)
    yield api
    api.server.shutdown()
    api.server.server_close()


def b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def kubeconfig(path: Path, cluster: dict, user: dict) -> Path:
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "k", "cluster": cluster}], "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}]}), encoding="utf-8")
    return path


def live_for(path: Path) -> LiveApi:
    return LiveApi(KubeconfigChoice((str(path),), False, str(path)), "c")


# -- the same settings as the client ---------------------------------------------------------

def forms(pki: Path) -> dict[str, tuple[dict, dict]]:
    https = "https://127.0.0.1:6443/"
    return {
        "token over http": ({"server": "http://127.0.0.1:8080"}, {"token": "t0k"}),
        "ca data and token": ({"server": https, "certificate-authority-data": b64(pki / "ca.crt")},
                              {"token": "t0k"}),
        "ca file (relative) and certificate files": (
            {"server": https, "certificate-authority": "ca.crt", "tls-server-name": "api.test"},
            {"client-certificate": "client.crt", "client-key": "client.key"}),
        "certificate data": ({"server": https, "certificate-authority": str(pki / "ca.crt")},
                             {"client-certificate-data": b64(pki / "client.crt"),
                              "client-key-data": b64(pki / "client.key")}),
        "no ca, token": ({"server": https}, {"token": "t0k"}),
    }


@pytest.mark.parametrize("form", ["token over http", "ca data and token", "ca file (relative) and certificate files",
                                  "certificate data", "no ca, token"])
def test_served_forms_get_the_settings_the_kubernetes_client_reads(pki: Path, form: str) -> None:
    cluster, user = forms(pki)[form]
    path = kubeconfig(pki / "config", cluster, user)
    ours = direct_settings((str(path),), "c")
    assert ours is not None, f"{form}: not served directly"
    cfg = live_for(path)._client().configuration  # the kubernetes client, as before

    def content(file: str | None) -> bytes:
        return Path(file).read_bytes() if file else b""

    assert ours.host == cfg.host
    assert (f"Bearer {ours.token}" if ours.token else None) == cfg.api_key.get("BearerToken")
    assert (ours.ca_data.encode() or content(ours.ca_file)) == content(cfg.ssl_ca_cert)
    assert (ours.cert_data or content(ours.cert_file)) == content(cfg.cert_file)
    assert (ours.key_data or content(ours.key_file)) == content(cfg.key_file)
    assert (ours.server_name or None) == cfg.tls_server_name
    assert cfg.verify_ssl


@pytest.mark.parametrize("cluster,user", [
    ({"server": "https://127.0.0.1:1", "insecure-skip-tls-verify": True}, {"token": "t"}),
    ({"server": "https://127.0.0.1:1", "proxy-url": "http://127.0.0.1:3128"}, {"token": "t"}),
    ({"server": "https://127.0.0.1:1"}, {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "x"}}),
    ({"server": "https://127.0.0.1:1"}, {"auth-provider": {"name": "oidc", "config": {}}}),
    ({"server": "https://127.0.0.1:1"}, {"username": "a", "password": "b"}),
    ({"server": "https://127.0.0.1:1"}, {"tokenFile": "/dev/null"}),
    ({"server": "https://127.0.0.1:1"}, {"token": ""}),
    ({"server": "https://127.0.0.1:1"}, {"token": "two words"}),
    ({"server": "https://127.0.0.1:1"}, {"client-certificate-data": "AAAA"}),
    ({"server": "https://127.0.0.1:1", "certificate-authority-data": "not base64!"}, {"token": "t"}),
    ({"server": "https://127.0.0.1:1", "certificate-authority": "missing.crt"}, {"token": "t"}),
    ({"server": "ftp://127.0.0.1:1"}, {"token": "t"}),
    ({"server": "https://127.0.0.1:1", "something-new": "x"}, {"token": "t"}),
])
def test_every_other_form_is_left_to_the_kubernetes_client(tmp_path: Path, cluster: dict, user: dict) -> None:
    path = kubeconfig(tmp_path / "config", cluster, user)
    assert direct_settings((str(path),), "c") is None


def test_unknown_context_is_left_to_the_client_which_says_so(tmp_path: Path) -> None:
    path = kubeconfig(tmp_path / "config", {"server": "http://127.0.0.1:1"}, {"token": "t"})
    assert direct_settings((str(path),), "nope") is None


# -- TLS against a real TLS server -----------------------------------------------------------

def test_token_and_ca_data_reach_a_verifying_server(pki: Path, tls_api: TlsApi) -> None:
    path = kubeconfig(pki / "config", {"server": f"https://127.0.0.1:{tls_api.port}",
                                       "certificate-authority-data": b64(pki / "ca.crt")}, {"token": "t0k"})
    live = live_for(path)
    page = live.list_page(SERVICE, None)
    assert page.resource_version == "5"
    assert tls_api.seen == [("/api/v1/services?limit=500", "Bearer t0k", "")]
    assert live.server == f"https://127.0.0.1:{tls_api.port}"


def test_client_certificate_data_is_presented(pki: Path, tls_api: TlsApi) -> None:
    path = kubeconfig(pki / "config", {"server": f"https://127.0.0.1:{tls_api.port}",
                                       "certificate-authority": "ca.crt"},
                      {"client-certificate-data": b64(pki / "client.crt"), "client-key-data": b64(pki / "client.key")})
    live_for(path).list_page(SERVICE, None)
    assert tls_api.seen[-1][1:] == ("", "client")
    assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob("k8snet-tls-*")), "the key stayed on disk"


def test_a_server_signed_by_another_ca_is_refused(pki: Path, tls_api: TlsApi) -> None:
    path = kubeconfig(pki / "config", {"server": f"https://127.0.0.1:{tls_api.port}",
                                       "certificate-authority": "other-ca.crt"}, {"token": "t0k"})
    with pytest.raises(ApiFailure) as failure:
        live_for(path).list_page(SERVICE, None)
    assert failure.value.status == 0 and "CERTIFICATE_VERIFY_FAILED" in failure.value.message
    assert tls_api.seen == [], "the token was sent to an unverified server"


def test_a_name_the_certificate_does_not_hold_is_refused_and_tls_server_name_is_used(pki: Path, tls_api: TlsApi) -> None:
    cluster = {"server": f"https://localhost:{tls_api.port}", "certificate-authority": "ca.crt"}
    path = kubeconfig(pki / "config", cluster, {"token": "t0k"})
    with pytest.raises(ApiFailure) as failure:
        live_for(path).list_page(SERVICE, None)  # the certificate names 127.0.0.1 and api.test only
    assert "localhost" in failure.value.message or "match" in failure.value.message
    assert tls_api.seen == []
    path = kubeconfig(pki / "config", {**cluster, "tls-server-name": "api.test"}, {"token": "t0k"})
    live_for(path).list_page(SERVICE, None)
    assert tls_api.seen and tls_api.seen[0][1] == "Bearer t0k"


def test_lists_never_import_the_kubernetes_package(pki: Path, tls_api: TlsApi) -> None:
    path = kubeconfig(pki / "config", {"server": f"https://127.0.0.1:{tls_api.port}",
                                       "certificate-authority": "ca.crt"}, {"token": "t0k"})
    code = ("import sys\n"
            "from k8snet_tui.sources.kubeconfig import KubeconfigChoice\n"
            "from k8snet_tui.sources.kinds import BY_NAME\n"
            "from k8snet_tui.sources.live_api import LiveApi\n"
            f"live = LiveApi(KubeconfigChoice(({str(path)!r},), False, 'x'), 'c')\n"
            "live.list_page(BY_NAME['Service'], None, slim=True)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'kubernetes'))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]"
    assert len(tls_api.seen) == 1


def test_both_paths_say_k8snet_in_their_user_agent(pki: Path, tls_api: TlsApi) -> None:
    """An operator tells k8snet's reads in the audit log by it (the cluster's hardening tests do)."""
    server = {"server": f"https://127.0.0.1:{tls_api.port}", "certificate-authority-data": b64(pki / "ca.crt")}
    (pki / "token").write_text("t0k", encoding="utf-8")
    direct = kubeconfig(pki / "direct", server, {"token": "t0k"})
    through_client = kubeconfig(pki / "client", server, {"tokenFile": str(pki / "token")})
    assert direct_settings((str(direct),), "c") is not None and direct_settings((str(through_client),), "c") is None
    for path in (direct, through_client):
        live_for(path).list_page(SERVICE, None)
    assert len(tls_api.agents) == 2 and all(a.startswith("k8snet/") for a in tls_api.agents), tls_api.agents

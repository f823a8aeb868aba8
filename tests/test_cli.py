"""The one-shot CLI in-process: --version, the bundled lab with no kubeconfig, exit codes 0/2/3.

The environment is cleaned of the user's kubeconfig and config: HOME points at an empty temp
dir. The only cluster contacted is a fake API server on 127.0.0.1 (or nothing on 127.0.0.1:1).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from k8snet_tui import __version__
from k8snet_tui.cli import main

from tests.support.cli_env import isolate_cli_env


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolate_cli_env(tmp_path, monkeypatch, unset=("NO_COLOR",))


def kubeconfig(path: Path, server: str, contexts=("lab-a", "lab-b"), user: str = "    token: t0ken") -> Path:
    ctxs = "\n".join(f"- name: {c}\n  context: {{cluster: c, user: u}}" for c in contexts)
    path.write_text(f"apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {server}\n"
                    f"users:\n- name: u\n  user:\n{user}\ncontexts:\n{ctxs}\ncurrent-context: {contexts[0]}\n")
    return path


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_version(capsys) -> None:
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out.strip() == f"k8snet {__version__}"


def test_unknown_pane_is_a_usage_error(capsys) -> None:
    code, _, err = run(["show", "everything"], capsys)
    assert code == 2 and "invalid choice" in err and "'everything'" in err


# -- show, with views.py ---------------------------------------------------------------------------

@pytest.fixture
def views():
    return pytest.importorskip("k8snet_tui.views")


def test_no_kubeconfig_shows_the_bundled_lab_as_json(views, capsys) -> None:
    code, out, err = run(["show", "services", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    from k8snet_tui.collect.session import SnapshotSession
    from k8snet_tui.sources.snapshot import load_snapshot
    expected = views.build("services", SnapshotSession(load_snapshot("lab")).observed())
    source = doc.pop("source")
    assert doc == json.loads(json.dumps(expected.to_json() if hasattr(expected, "to_json") else expected))
    assert "kubernetes" in out
    assert source["kind"] == "snapshot" and source["name"] == "lab" and source["why"] == "no kubeconfig found"
    assert "bundled lab" in err and "no kubeconfig found" in err  # the fallback is said, on stderr


def test_show_as_text(views, capsys) -> None:
    code, out, err = run(["show", "services", "--snapshot", "lab"], capsys)
    assert code == 0, err
    assert "kubernetes" in out and "kube-dns" in out and not out.lstrip().startswith("{")


def test_show_reads_the_given_snapshot(views, tmp_path: Path, capsys) -> None:
    snap = tmp_path / "snap"
    (snap / "api").mkdir(parents=True)
    (snap / "meta.json").write_text(json.dumps({"format": "k8snet.snapshot/v1"}))
    (snap / "api" / "services.json").write_text(json.dumps({"kind": "ServiceList", "items": [
        {"metadata": {"name": "only-here-svc", "namespace": "zz"}, "spec": {"clusterIP": "10.96.7.7"}}]}))
    code, out, err = run(["show", "services", "--json", "--snapshot", str(snap)], capsys)
    assert code == 0, err
    assert "only-here-svc" in out and "website" not in out


def test_broken_file_in_a_snapshot_still_shows(views, tmp_path: Path, capsys) -> None:
    snap = tmp_path / "snap"
    (snap / "api").mkdir(parents=True)
    (snap / "meta.json").write_text(json.dumps({"format": "k8snet.snapshot/v1"}))
    (snap / "api" / "bad.json").write_text("{nope")
    code, _, err = run(["show", "services", "--json", "--snapshot", str(snap)], capsys)
    assert code == 0, err
    assert "warning" in err and "bad.json" in err


# -- exit codes ------------------------------------------------------------------------------------

def test_unknown_snapshot_path_exits_2(tmp_path: Path, capsys) -> None:
    code, out, err = run(["show", "services", "--snapshot", str(tmp_path / "nowhere")], capsys)
    assert code == 2 and out == ""
    assert err.startswith("k8snet: no snapshot at") and "hint:" in err


def test_unknown_context_exits_2_listing_known_ones(tmp_path: Path, capsys) -> None:
    cfg = kubeconfig(tmp_path / "kc", "http://127.0.0.1:1")
    code, _, err = run(["show", "services", "--kubeconfig", str(cfg), "--context", "prod"], capsys)
    assert code == 2
    assert "'prod'" in err and "lab-a" in err and "lab-b" in err


def test_missing_kubeconfig_file_exits_2(tmp_path: Path, capsys) -> None:
    code, _, err = run(["show", "services", "--kubeconfig", str(tmp_path / "nope")], capsys)
    assert code == 2 and "no such file" in err


def test_unreachable_cluster_exits_3(tmp_path: Path, capsys) -> None:
    cfg = kubeconfig(tmp_path / "kc", "http://127.0.0.1:1")
    code, out, err = run(["show", "services", "--kubeconfig", str(cfg)], capsys)
    assert code == 3 and out == ""
    assert "cannot reach the cluster" in err and "127.0.0.1:1" in err


def test_kubeconfig_from_home_is_used(clean_env: Path, capsys) -> None:
    (clean_env / ".kube").mkdir()
    kubeconfig(clean_env / ".kube" / "config", "http://127.0.0.1:1")
    code, _, err = run(["show", "services"], capsys)
    assert code == 3, err  # it tried the cluster instead of falling back to the lab


def test_capture_without_kubeconfig_exits_2(tmp_path: Path, capsys) -> None:
    out_dir = tmp_path / "cap"
    code, _, err = run(["capture", "-o", str(out_dir)], capsys)
    assert code == 2 and "no kubeconfig" in err
    assert not out_dir.exists()


def test_capture_of_a_snapshot_is_refused(tmp_path: Path, capsys) -> None:
    code, _, err = run(["capture", "-o", str(tmp_path / "c"), "--snapshot", "lab"], capsys)
    assert code == 2 and "--snapshot" in err


def test_capture_unreachable_exits_3(tmp_path: Path, capsys) -> None:
    cfg = kubeconfig(tmp_path / "kc", "http://127.0.0.1:1")
    code, _, _ = run(["capture", "-o", str(tmp_path / "c"), "--no-probe", "--kubeconfig", str(cfg)], capsys)
    assert code == 3 and not (tmp_path / "c").exists()


def test_broken_config_file_exits_2_naming_it(tmp_path: Path, monkeypatch, capsys) -> None:
    bad = tmp_path / "k8snet.toml"
    bad.write_text("theme = = 1\n")
    monkeypatch.setenv("K8SNET_CONFIG", str(bad))
    code, _, err = run(["show", "services"], capsys)
    assert code == 2 and str(bad) in err


def test_failing_exec_plugin_exits_2_with_its_stderr(tmp_path: Path, capsys) -> None:
    import sys
    plugin = tmp_path / "plugin.py"
    plugin.write_text("import sys\nsys.stderr.write('token expired: run corp-login\\n')\nsys.exit(3)\n")
    user = (f"    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
            f"      command: {sys.executable}\n      args: ['{plugin}']")
    cfg = kubeconfig(tmp_path / "kc", "http://127.0.0.1:1", user=user)
    code, _, err = run(["show", "services", "--kubeconfig", str(cfg)], capsys)
    assert code == 2 and "token expired: run corp-login" in err


# -- capture against a fake API server on loopback -------------------------------------------------

class _Api(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    paths: list[str] = []
    bodies = {
        "/api/v1/services": {"kind": "ServiceList", "metadata": {"resourceVersion": "5"}, "items": [
            {"metadata": {"name": "web", "namespace": "default", "uid": "s1"}, "spec": {"clusterIP": "10.96.0.7"}}]},
        "/api/v1/namespaces/kube-system/configmaps": {"kind": "ConfigMapList", "metadata": {}, "items": [
            {"metadata": {"name": "coredns", "namespace": "kube-system", "uid": "c1"}, "data": {"Corefile": "."}},
            {"metadata": {"name": "app", "namespace": "default", "uid": "c2"}, "data": {"KEY": "s3cret"}}]},
    }

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        type(self).paths.append(path)
        if path == "/api/v1/pods":
            code, doc = 403, {"kind": "Status", "code": 403, "message": "pods is forbidden"}
        elif path in self.bodies:
            code, doc = 200, self.bodies[path]
            wanted = parse_qs(urlsplit(self.path).query).get("fieldSelector", [""])[0].removeprefix("metadata.name=")
            if wanted:  # as the API server does: only the named object
                doc = {**doc, "items": [o for o in doc["items"] if o["metadata"]["name"] == wanted]}
        elif path.startswith("/api/v1/"):
            code, doc = 200, {"metadata": {}, "items": []}
        else:
            code, doc = 404, {"kind": "Status", "code": 404, "message": "not found"}
        body = json.dumps(doc).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def fake_api():
    _Api.paths = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_capture_from_a_fake_cluster_loads_back(fake_api: int, tmp_path: Path, capsys) -> None:
    cfg = kubeconfig(tmp_path / "kc", f"http://127.0.0.1:{fake_api}")
    out_dir = tmp_path / "cap"
    code, out, err = run(["capture", "-o", str(out_dir), "--no-probe", "--notes", "from test",
                          "--kubeconfig", str(cfg)], capsys)
    assert code == 0, err
    assert "wrote" in out and "forbidden: list pods (cluster-wide)" in out
    assert not any("secrets" in p for p in _Api.paths)
    assert "/api/v1/configmaps" not in _Api.paths  # only the networking ConfigMaps, by name
    from k8snet_tui.sources.snapshot import load_snapshot
    snap = load_snapshot(out_dir)
    assert snap.problems == ()  # what our own tool writes loads cleanly
    assert [o["metadata"]["name"] for o in snap.cluster.of("Service")] == ["web"]
    assert [o["metadata"]["name"] for o in snap.cluster.of("ConfigMap")] == ["coredns"]
    assert snap.meta["notes"] == "from test" and snap.meta["source"] == "context lab-a"
    assert "s3cret" not in "".join(p.read_text() for p in out_dir.rglob("*.json"))

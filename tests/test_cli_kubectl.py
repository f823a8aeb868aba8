"""`kubectl k8snet ...` with a real kubectl: the `kubectl-k8snet` entry point on PATH, run by
kubectl's plugin mechanism, honouring the flags and the KUBECONFIG kubectl passes through.

kubectl is the system's (`kubectl` on PATH, e.g. Debian's kubernetes-client) or the one built
for the test cluster under ~/.cache/k8snet/cluster/*/bin; without either the test is skipped
with the reason. The only cluster contacted is a fake API server on 127.0.0.1.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from k8snet_tui.plugin import translate

ROOT = Path(__file__).resolve().parents[1]


def find_kubectl() -> str | None:
    found = shutil.which("kubectl")
    if found:
        return found
    built = sorted(Path.home().glob(".cache/k8snet/cluster/*/bin/kubectl"))
    return str(built[-1]) if built else None


def test_the_entry_point_is_declared() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["kubectl-k8snet"] == "k8snet_tui.cli:plugin_main"


@pytest.mark.parametrize("words, expected", [
    (["show", "services", "--context=prod", "-n", "web"], ["show", "services", "--context=prod", "-n", "web"]),
    (["show", "services", "-v=6", "--request-timeout", "5s"], ["show", "services"]),
    (["show", "services", "-v6", "--v=2", "--cache-dir=/x"], ["show", "services"]),
    (["show", "services", "--kubeconfig", "/k"], ["show", "services", "--kubeconfig", "/k"]),
])
def test_kubectl_flags_are_taken_or_dropped(words: list[str], expected: list[str]) -> None:
    assert translate(words) == expected


@pytest.mark.parametrize("flag", ["--cluster=x", "--user", "--token=t", "--server=https://x", "-s", "--as=admin",
                                  "--insecure-skip-tls-verify"])
def test_flags_that_pick_another_cluster_or_user_are_refused(flag: str, capsys) -> None:
    from k8snet_tui.cli import plugin_main

    assert plugin_main(["show", "services", flag, "v"]) == 2
    err = capsys.readouterr().err
    assert flag.split("=")[0] in err and "--context" in err


class _Api(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    paths: list[str] = []

    def do_GET(self) -> None:
        type(self).paths.append(self.path)
        items = []
        if self.path.startswith("/api/v1/services") or self.path.startswith("/api/v1/namespaces/web/services"):
            items = [{"metadata": {"name": "from-the-fake-api", "namespace": "web"}, "spec": {"clusterIP": "10.96.9.9"}}]
        body = json.dumps({"metadata": {}, "items": items}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def plugin_env(tmp_path: Path):
    kubectl = find_kubectl()
    if kubectl is None:
        pytest.skip("no kubectl: install Debian's kubernetes-client, or build the test cluster's binaries")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    plugin = bin_dir / "kubectl-k8snet"  # what pip writes for the [project.scripts] entry
    plugin.write_text(f"#!{sys.executable}\nimport sys\nfrom k8snet_tui.cli import plugin_main\nsys.exit(plugin_main())\n")
    plugin.chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    env = {"PATH": f"{bin_dir}:{Path(kubectl).parent}:/usr/bin:/bin", "HOME": str(home), "K8SNET_OFFLINE": "1",
           "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8"}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    cfg = tmp_path / "kubeconfig"
    cfg.write_text("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
                   f"    server: http://127.0.0.1:{server.server_address[1]}\n"
                   "users:\n- name: u\n  user:\n    token: t\ncontexts:\n"
                   "- name: lab-a\n  context: {cluster: c, user: u}\n- name: lab-b\n  context: {cluster: c, user: u}\n"
                   "current-context: lab-a\n")
    _Api.paths = []
    yield kubectl, env, cfg
    server.shutdown()
    server.server_close()


def kubectl_run(kubectl: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([kubectl, *args], env=env, capture_output=True, text=True, timeout=120)


def test_kubectl_finds_and_runs_the_plugin_on_the_lab(plugin_env) -> None:
    kubectl, env, _ = plugin_env
    done = kubectl_run(kubectl, env, "k8snet", "show", "services", "--snapshot", "lab")
    assert done.returncode == 0, done.stderr
    assert "NAMESPACE" in done.stdout and "kube-dns" in done.stdout
    listed = kubectl_run(kubectl, env, "plugin", "list")
    assert "kubectl-k8snet" in listed.stdout


def test_kubectl_passes_kubeconfig_env_and_flags_through(plugin_env) -> None:
    kubectl, env, cfg = plugin_env
    done = kubectl_run(kubectl, {**env, "KUBECONFIG": str(cfg)}, "k8snet", "show", "services", "-o", "json",
                       "--context=lab-b", "--namespace=web")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["source"]["kind"] == "live" and doc["source"]["context"] == "lab-b"
    assert [r["name"] for r in doc["rows"]] == ["from-the-fake-api"]
    assert any(p.startswith("/api/v1/namespaces/web/services") for p in _Api.paths)


def test_an_unknown_context_through_kubectl_is_exit_2(plugin_env) -> None:
    kubectl, env, cfg = plugin_env
    done = kubectl_run(kubectl, {**env, "KUBECONFIG": str(cfg)}, "k8snet", "show", "services", "--context", "prod")
    assert done.returncode == 2 and done.stdout == ""
    assert "lab-a" in done.stderr and "lab-b" in done.stderr

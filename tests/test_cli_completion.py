"""Shell completion, driven in a real bash: the script registers with `complete`, and a simulated
COMP_WORDS/COMP_CWORD gets the candidates: commands, panes, options and their values, and the
Service, pod and namespace names of the current source. Hostile names from a snapshot are never
offered and never run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from k8snet_tui.completion import candidates, script
from k8snet_tui.sources.snapshot import bundled_lab_path

from tests import lab_roles as roles

BASH = shutil.which("bash")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A PATH whose `k8snet` is this checkout's, a HOME without kubeconfig."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    launcher = bin_dir / "k8snet"
    launcher.write_text(f"#!{sys.executable}\nimport sys\nfrom k8snet_tui.cli import main\nsys.exit(main())\n")
    launcher.chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    return {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(home), "K8SNET_OFFLINE": "1",
            "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "LANG": "C.UTF-8"}


def bash_complete(env: dict[str, str], *words: str, cwd: Path | None = None) -> list[str]:
    """Load `k8snet completion bash`, then complete `k8snet WORDS` (the last word is the one being typed)."""
    if BASH is None:
        pytest.skip("no bash")
    words_q = " ".join("'" + w.replace("'", "'\\''") + "'" for w in ("k8snet", *words))
    program = (
        'eval "$(k8snet completion bash)"\n'
        'complete -p k8snet >&2\n'
        f"COMP_WORDS=({words_q})\n"
        f"COMP_CWORD={len(words)}\n"
        'COMP_LINE="${COMP_WORDS[*]}"\nCOMP_POINT=${#COMP_LINE}\n'
        '_k8snet_complete k8snet "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"\n'
        'printf "%s\\n" "${COMPREPLY[@]}"\n')
    done = subprocess.run([BASH, "--norc", "--noprofile", "-c", program], env=env, capture_output=True, text=True,
                          timeout=120, cwd=cwd)
    assert done.returncode == 0, done.stderr
    assert "-F _k8snet_complete" in done.stderr and done.stderr.rstrip().endswith(" k8snet")
    return [line for line in done.stdout.splitlines() if line]


def test_commands(env) -> None:
    assert bash_complete(env, "") == ["show", "trace", "dns", "route", "policy", "diff", "find", "path", "lab", "serve",
                                      "capture", "completion", "agent", "probe", "check", "balance", "mesh"]
    assert bash_complete(env, "tr") == ["trace"]


def test_lab_and_serve(env) -> None:
    assert bash_complete(env, "la") == ["lab"]
    assert bash_complete(env, "serve", "--f") == ["--font-size"]
    assert bash_complete(env, "serve", "--port", "8001", "--l") == ["--lab"]
    assert bash_complete(env, "lab", "--snapshot", "") == ["lab"]


def test_diff_offers_the_bundled_lab_and_find_offers_names(env) -> None:
    assert bash_complete(env, "diff", "l") == ["lab"]
    assert bash_complete(env, "diff", "lab", "") == ["lab"]
    assert "website" in bash_complete(env, "find", "web")
    website_pods = roles.website_pods()  # website-<ReplicaSet hash>-<id>
    offered = bash_complete(env, "find", website_pods[0][:len("website-") + 2])
    assert set(website_pods) <= set(offered)


def test_panes_by_id_and_alias(env) -> None:
    assert bash_complete(env, "show", "s") == ["services", "svc", "service"]
    assert "ingress" in bash_complete(env, "show", "")


def test_services_pods_and_namespaces_from_the_current_source(env) -> None:
    services = bash_complete(env, "trace", "default/w")
    assert services == ["default/website", "default/webstate"]
    assert bash_complete(env, "balance", "emissary/") == [
        roles.ref(svc) for svc in roles.services(namespace="emissary")]
    assert "--requests" in bash_complete(env, "balance", "emissary/emissary-ingress", "--re")
    pods = bash_complete(env, "dns", "website", "--pod", "kube-system/")
    every = roles.pods(namespace="kube-system") + roles.pods(namespace="kube-system", host_network=True)
    assert pods == sorted(roles.ref(p) for p in every)  # hostNetwork ones (cilium, kube-proxy...) too
    assert len(roles.coredns_pods()) == 2 and set(roles.coredns_pods()) <= set(pods)
    assert bash_complete(env, "show", "pods", "-n", "kube-") == ["kube-node-lease", "kube-public", "kube-system"]
    assert bash_complete(env, "dns", "kube") == ["kube-dns", "kubernetes"]


def test_policy_check_completes_pods(env) -> None:
    assert bash_complete(env, "policy", "") == ["check"]
    assert bash_complete(env, "policy", "check", "default/cl") == ["default/client"]
    assert bash_complete(env, "policy", "check", "default/client", "kube-system/core") == list(roles.coredns_pods())
    assert len(roles.coredns_pods()) == 2
    assert bash_complete(env, "policy", "check", "a", "b", "--protocol", "") == ["TCP", "UDP", "SCTP"]


def test_path_completes_a_source_pod_and_a_service_name(env) -> None:
    assert bash_complete(env, "path", "default/cl") == ["default/client"]
    assert bash_complete(env, "path", "out") == ["outside"]
    assert bash_complete(env, "path", "default/client", "webs") == ["website", "webstate"]
    assert bash_complete(env, "path", "default/client", "website:80", "--ch") == ["--check"]


def test_option_values(env) -> None:
    assert bash_complete(env, "dns", "web", "--resolver", "") == ["glibc", "musl", "busybox"]
    assert bash_complete(env, "show", "svc", "-o", "") == ["text", "wide", "json", "yaml"]
    assert "--no-headers" in bash_complete(env, "show", "svc", "--")
    assert "--strict" in bash_complete(env, "--")


def test_names_come_from_the_snapshot_typed_on_the_line(env, tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    shutil.copytree(bundled_lab_path(), snap)
    services = json.loads((snap / "api" / "services.json").read_text())
    services["items"][0]["metadata"].update(name="only-here", namespace="zz")
    (snap / "api" / "services.json").write_text(json.dumps(services))
    assert bash_complete(env, "--snapshot", str(snap), "trace", "zz/") == ["zz/only-here"]


def test_hostile_names_are_never_offered_nor_run(env, tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    shutil.copytree(bundled_lab_path(), snap)
    marker = tmp_path / "PWNED"
    services = json.loads((snap / "api" / "services.json").read_text())
    for i, name in enumerate([f"$(touch {marker})", f"`touch {marker}`", "a;touch x", "evil\x1b[31m", "ok-name"]):
        services["items"][i]["metadata"].update(name=name, namespace="zz")
    (snap / "api" / "services.json").write_text(json.dumps(services))
    got = bash_complete(env, "--snapshot", str(snap), "trace", "", cwd=tmp_path)
    assert "zz/ok-name" in got
    assert [g for g in got if g.startswith("zz/")] == ["zz/ok-name"]
    assert not marker.exists() and not (tmp_path / "x").exists()


def test_completion_never_prints_a_traceback(env, tmp_path: Path) -> None:
    got = bash_complete(env, "--kubeconfig", str(tmp_path / "missing"), "trace", "")
    assert got == []


def test_candidates_in_process_match_the_shell(env, monkeypatch) -> None:
    monkeypatch.setenv("HOME", env["HOME"])
    monkeypatch.delenv("KUBECONFIG", raising=False)
    assert candidates(["trace", "default/w"]) == bash_complete(env, "trace", "default/w")


@pytest.mark.parametrize("shell, checker", [("zsh", ["zsh", "-n"]), ("fish", ["fish", "--no-execute"])])
def test_zsh_and_fish_scripts_parse(shell: str, checker: list[str], tmp_path: Path) -> None:
    if shutil.which(checker[0]) is None:
        pytest.skip(f"no {shell} here")
    path = tmp_path / f"k8snet.{shell}"
    path.write_text(script(shell))
    done = subprocess.run([*checker, str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_the_scripts_never_evaluate_candidates() -> None:
    for shell in ("bash", "zsh", "fish"):
        code = "\n".join(line for line in script(shell).splitlines() if not line.lstrip().startswith("#"))
        assert "compgen -W" not in code and "eval" not in code
    assert os.path.basename(script("bash").split("complete -o nosort -F _k8snet_complete ")[1].split()[0]) == "k8snet"


def test_names_come_from_the_live_cluster_of_the_kubeconfig(tmp_path: Path, monkeypatch) -> None:
    """One list of the kind from the API server of the current context (a fake one on 127.0.0.1)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from k8snet_tui.sources import kubeconfig as kc

    asked: list[str] = []

    class Api(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            asked.append(self.path)
            items = [{"metadata": {"name": n, "namespace": "live"}} for n in ("alpha", "beta", "$(bad)")]
            body = json.dumps({"metadata": {}, "items": items}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Api)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        cfg = tmp_path / "kc"
        cfg.write_text("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
                       f"    server: http://127.0.0.1:{server.server_address[1]}\n"
                       "users:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n"
                       "current-context: a\n")
        monkeypatch.setenv("HOME", str(tmp_path))
        monkeypatch.setenv("KUBECONFIG", str(cfg))
        monkeypatch.setenv("K8SNET_OFFLINE", "1")
        monkeypatch.setattr(kc, "IN_CLUSTER_TOKEN", tmp_path / "no-sa-token")
        assert candidates(["trace", "live/"]) == ["live/alpha", "live/beta"]
        assert candidates(["--context", ""]) == ["a"]
        assert any(p.startswith("/api/v1/services") for p in asked)
    finally:
        server.shutdown()
        server.server_close()


def test_fish_completes_from_the_same_helper(env) -> None:
    if shutil.which("fish") is None:
        pytest.skip("no fish here")
    program = 'k8snet completion fish | source; complete -C "k8snet trace default/w"'
    done = subprocess.run(["fish", "--no-config", "-c", program], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["default/website", "default/webstate"]


def test_zsh_completes_from_the_same_helper(env) -> None:
    """The zsh function with compadd and compdef stubbed (they need an interactive compinit)."""
    if shutil.which("zsh") is None:
        pytest.skip("no zsh here")
    program = ('compdef() { :; }; compadd() { shift 2; print -l -- "$@"; }\n'
               'eval "$(k8snet completion zsh)"\nwords=(k8snet show s); CURRENT=3; _k8snet_complete')
    done = subprocess.run(["zsh", "-f", "-c", program], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["services", "svc", "service"]

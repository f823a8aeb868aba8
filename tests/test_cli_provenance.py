"""Where the data came from, and what went wrong with it, reach the CLI's user.

- every JSON document carries `source` (live: context and server; snapshot: path, name,
  captured_at, why);
- a fallback to the bundled lab is said on stderr, with the reason;
- an explicit --context or --kubeconfig that cannot be honoured is exit 2 with the known
  contexts (cleaned), never the lab;
- each snapshot problem is a warning on stderr naming its file and line; an empty snapshot is an
  error; --strict makes any problem exit 2 with nothing on stdout.

The only cluster contacted is a fake API server on 127.0.0.1.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from k8snet_tui.cli import main

from tests import lab_roles as roles
from tests.support.cli_env import isolate_cli_env

JSON_COMMANDS = [["show", p] for p in ("internet", "host", "pods", "services", "dns", "ingress")] + [
    ["trace", "default/website"], ["dns", "website"], ["route", "/engine"]]


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolate_cli_env(tmp_path, monkeypatch, unset=("COLUMNS",))


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.mark.parametrize("output", ["--json", "-o yaml"])
@pytest.mark.parametrize("argv", JSON_COMMANDS, ids=lambda a: "-".join(a))
def test_every_document_says_its_source(argv: list[str], output: str, capsys) -> None:
    import yaml

    code, out, err = run([*argv, "--snapshot", "lab", *output.split()], capsys)
    assert code == 0, err
    doc = json.loads(out) if output == "--json" else yaml.safe_load(out)
    assert doc["source"] == {"kind": "snapshot", "path": doc["source"]["path"], "name": "lab",
                             "captured_at": roles.meta()["captured_at"], "why": "--snapshot lab (the bundled lab)"}
    assert doc["source"]["captured_at"].startswith("20")  # the lab's meta.json has its capture time
    assert Path(doc["source"]["path"]).name == "lab"
    assert "note:" not in err  # asked for the lab: nothing to explain


def test_a_captured_snapshot_says_its_path_and_time(tmp_path: Path, capsys) -> None:
    snap = tmp_path / "snap"
    (snap / "api").mkdir(parents=True)
    (snap / "meta.json").write_text(json.dumps({"format": "k8snet.snapshot/v1", "captured_at": "2026-01-02T03:04:05Z"}))
    (snap / "api" / "services.json").write_text(json.dumps({"kind": "ServiceList", "items": []}))
    code, out, err = run(["show", "services", "--json", "--snapshot", str(snap)], capsys)
    assert code == 0, err
    assert json.loads(out)["source"] == {"kind": "snapshot", "path": str(snap), "name": "snap",
                                         "captured_at": "2026-01-02T03:04:05Z", "why": "--snapshot"}


def test_the_fallback_to_the_lab_is_said_on_stderr(capsys) -> None:
    code, out, err = run(["show", "services"], capsys)
    assert code == 0
    assert "kube-dns" in out  # the lab's data, as before...
    assert "note: no kubeconfig found" in err and "bundled lab snapshot" in err  # ...but said
    code, out, err = run(["show", "services", "--json"], capsys)
    assert json.loads(out)["source"]["why"] == "no kubeconfig found"


def test_an_explicit_context_without_a_kubeconfig_is_an_error_not_the_lab(capsys) -> None:
    code, out, err = run(["show", "services", "--json", "--context", "prod"], capsys)
    assert code == 2 and out == ""
    assert "'prod'" in err and "known contexts: (none)" in err and "hint:" in err


def test_an_unknown_context_lists_the_known_ones_cleaned(tmp_path: Path, capsys) -> None:
    cfg = tmp_path / "kc"
    cfg.write_text("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:1\n"
                   "users:\n- name: u\n  user:\n    token: t\ncontexts:\n"
                   "- name: \"lab-a\"\n  context: {cluster: c, user: u}\n"
                   "- name: \"evil\\e[31m\\u202e\"\n  context: {cluster: c, user: u}\n"
                   "current-context: lab-a\n")
    code, out, err = run(["show", "services", "--json", "--kubeconfig", str(cfg), "--context", "prod"], capsys)
    assert code == 2 and out == ""
    assert "lab-a" in err and "evil" in err
    assert "\x1b" not in err and "\u202e" not in err


def test_a_missing_kubeconfig_is_an_error_not_the_lab(tmp_path: Path, capsys) -> None:
    code, out, err = run(["show", "services", "--kubeconfig", str(tmp_path / "nope")], capsys)
    assert code == 2 and out == "" and "no such file" in err


# -- problems --------------------------------------------------------------------------------------

def _snapshot(tmp_path: Path, services: str) -> Path:
    snap = tmp_path / "snap"
    (snap / "api").mkdir(parents=True)
    (snap / "meta.json").write_text(json.dumps({"format": "k8snet.snapshot/v1"}))
    (snap / "api" / "pods.json").write_text(json.dumps({"kind": "PodList", "items": []}))
    (snap / "api" / "services.json").write_text(services)
    return snap


def test_each_problem_is_a_warning_naming_file_and_line(tmp_path: Path, capsys) -> None:
    snap = _snapshot(tmp_path, '{"kind": "ServiceList",\n "items": [\n  {oops}\n]}\n')
    code, out, err = run(["show", "services", "--json", "--snapshot", str(snap)], capsys)
    assert code == 0
    assert json.loads(out)["rows"] == []
    warnings = [line for line in err.splitlines() if line.startswith("k8snet: warning:")]
    assert len(warnings) == 1
    assert "api/services.json" in warnings[0] and "line 3" in warnings[0]


def test_strict_makes_a_problem_exit_2_with_nothing_on_stdout(tmp_path: Path, capsys) -> None:
    snap = _snapshot(tmp_path, "{nope")
    for argv in (["--strict", "show", "services", "--snapshot", str(snap)],
                 ["show", "services", "--json", "--snapshot", str(snap), "--strict"]):
        code, out, err = run(argv, capsys)
        assert code == 2 and out == ""
        assert "services.json" in err and "--strict" in err


def test_strict_is_silent_on_a_clean_snapshot(capsys) -> None:
    code, out, err = run(["show", "services", "--snapshot", "lab", "--strict"], capsys)
    assert code == 0 and err == "" and "kube-dns" in out


def test_an_empty_snapshot_directory_is_an_error(tmp_path: Path, capsys) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, err = run(["show", "services", "--snapshot", str(empty)], capsys)
    assert code == 2 and out == ""
    assert "nothing in it could be read" in err and str(empty) in err


def test_exit_codes_are_in_the_help(capsys) -> None:
    for argv in (["--help"], ["show", "--help"], ["trace", "--help"]):
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert "exit codes:" in out
        for code in ("0 ", "1 ", "2 ", "3 ", "130"):
            assert f"  {code}" in out


# -- live ------------------------------------------------------------------------------------------

class _Api(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = json.dumps({"metadata": {}, "items": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_live_documents_say_context_and_server(tmp_path: Path, capsys) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        cfg = tmp_path / "kc"
        cfg.write_text(f"apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {url}\n"
                       "users:\n- name: u\n  user:\n    token: t\ncontexts:\n"
                       "- name: lab-a\n  context: {cluster: c, user: u}\n- name: lab-b\n  context: {cluster: c, user: u}\n"
                       "current-context: lab-a\n")
        code, out, err = run(["show", "services", "--json", "--kubeconfig", str(cfg), "--context", "lab-b"], capsys)
        assert code == 0, err
        assert json.loads(out)["source"] == {"kind": "live", "context": "lab-b", "server": url}
        assert "note:" not in err
    finally:
        server.shutdown()
        server.server_close()

"""The source options keep their values wherever they stand: before or after the command.

argparse copies a subparser's whole namespace over the top parser's, so a command's own default
once erased a value given before the command: `k8snet --snapshot lab show services` read the live
cluster. Each shared option is checked in both positions, in the parsed namespace and end to end
against a recording API server on 127.0.0.1 (the only cluster these tests contact).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

import pytest

from k8snet_tui.cli import build_parser, main

from tests.support.cli_env import isolate_cli_env

# Every option the top parser and the commands share: (argv, what it sets).
SHARED = {
    "--snapshot": (["--snapshot", "lab"], {"snapshot": "lab"}),
    "--kubeconfig": (["--kubeconfig", "/x/kc"], {"kubeconfig": "/x/kc"}),
    "--context": (["--context", "prod"], {"context": "prod"}),
    "-n": (["-n", "web"], {"namespace": "web", "all_namespaces": False}),
    "--namespace": (["--namespace", "web"], {"namespace": "web", "all_namespaces": False}),
    "-A": (["-A"], {"all_namespaces": True, "namespace": None}),
    "--all-namespaces": (["--all-namespaces"], {"all_namespaces": True, "namespace": None}),
    "--node": (["--node", "node-2"], {"node": "node-2"}),
    "--strict": (["--strict"], {"strict": True}),
}
DEFAULTS = {"snapshot": None, "kubeconfig": None, "context": None, "namespace": None, "all_namespaces": False,
            "node": None, "strict": False}
COMMANDS = {
    "show": ["show", "services"],
    "trace": ["trace", "default/website"],
    "dns": ["dns", "website"],
    "route": ["route", "http://192.0.2.1/"],
    "capture": ["capture", "-o", "out"],
    "policy": ["policy", "check", "default/client", "default/website"],
    "lab": ["lab"],
    "serve": ["serve", "--port", "8001"],
    "diff": ["diff", "lab", "lab"],
    "find": ["find", "website"],
    "path": ["path", "default/client", "website:80"],
    "check": ["check"],
    "balance": ["balance", "emissary/emissary-ingress"],
    "mesh": ["mesh", "default/client"],
}


def option_strings(parser) -> set[str]:
    return {s for a in parser._actions for s in a.option_strings} - {"-h", "--help"}


def test_the_table_names_every_shared_option() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, subparser in sub.choices.items():
        shared = option_strings(parser) & option_strings(subparser)
        assert shared <= set(SHARED), f"{name}: options at both levels missing from SHARED"
        if shared:  # a command that takes them is checked below in both positions
            assert name in COMMANDS, f"command {name} is missing from COMMANDS"


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("position", ["before", "after"])
@pytest.mark.parametrize("option", sorted(SHARED))
def test_a_shared_option_keeps_its_value_in_either_position(option: str, position: str, command: str) -> None:
    given, expected = SHARED[option]
    argv = given + COMMANDS[command] if position == "before" else COMMANDS[command] + given
    args = vars(build_parser().parse_args(argv))
    assert args["command"] == command
    assert {k: args[k] for k in DEFAULTS} == {**DEFAULTS, **expected}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_defaults_come_once_from_the_top(command: str) -> None:
    args = vars(build_parser().parse_args(COMMANDS[command]))
    assert {k: args[k] for k in DEFAULTS} == DEFAULTS


@pytest.mark.parametrize("first, second, expected", [
    (["--snapshot", "a"], ["--snapshot", "b"], {"snapshot": "b"}),
    (["--context", "a"], ["--context", "b"], {"context": "b"}),
    (["--kubeconfig", "a"], ["--kubeconfig", "b"], {"kubeconfig": "b"}),
    (["--node", "a"], ["--node", "b"], {"node": "b"}),
    (["-n", "a"], ["-n", "b"], {"namespace": "b"}),
    (["-n", "a"], ["-A"], {"namespace": None, "all_namespaces": True}),
    (["-A"], ["-n", "b"], {"namespace": "b", "all_namespaces": False}),
])
def test_given_at_both_places_the_rightmost_wins(first: list[str], second: list[str], expected: dict) -> None:
    args = vars(build_parser().parse_args([*first, "show", "pods", *second]))
    assert {k: args[k] for k in expected} == expected


def test_the_rule_is_in_the_help(capsys) -> None:
    for argv in (["--help"], ["show", "--help"]):
        assert main(argv) == 0
        out = " ".join(capsys.readouterr().out.split())
        assert "before or after the command" in out and "rightmost" in out


def test_options_before_probe_are_refused_not_ignored(capsys) -> None:
    assert main(["--snapshot", "lab", "probe"]) == 2
    assert "k8snet probe" in capsys.readouterr().err


# -- end to end, against a recording API server on loopback ------------------------------------------

class _Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    paths: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        type(self).paths.append(path)
        if path.startswith("/api/v1/"):
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
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A kubeconfig (contexts lab-a, lab-b) whose server records every path it is asked for."""
    isolate_cli_env(tmp_path, monkeypatch, unset=("NO_COLOR",))
    _Recorder.paths = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    cfg = tmp_path / "kc"
    cfg.write_text("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
                   f"    server: http://127.0.0.1:{server.server_address[1]}\n"
                   "users:\n- name: u\n  user:\n    token: t0ken\ncontexts:\n"
                   "- name: lab-a\n  context: {cluster: c, user: u}\n- name: lab-b\n  context: {cluster: c, user: u}\n"
                   "current-context: lab-a\n")
    yield cfg
    server.shutdown()
    server.server_close()


def place(position: str, option: list[str], command: list[str]) -> list[str]:
    return option + command if position == "before" else command + option


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.mark.parametrize("position", ["before", "after"])
def test_snapshot_never_contacts_the_cluster_of_kubeconfig(api: Path, position: str, monkeypatch, capsys) -> None:
    monkeypatch.setenv("KUBECONFIG", str(api))
    code, out, err = run(place(position, ["--snapshot", "lab"], ["show", "services", "--json"]), capsys)
    assert code == 0, err
    assert _Recorder.paths == []
    from k8snet_tui import views
    from k8snet_tui.collect.session import SnapshotSession
    from k8snet_tui.sources.snapshot import load_snapshot
    expected = views.build("services", SnapshotSession(load_snapshot("lab")).observed()).to_json()
    doc = json.loads(out)
    assert doc.pop("source")["kind"] == "snapshot"
    assert doc == json.loads(json.dumps(expected))


@pytest.mark.parametrize("position", ["before", "after"])
def test_kubeconfig_is_the_cluster_read(api: Path, position: str, capsys) -> None:
    code, out, err = run(place(position, ["--kubeconfig", str(api)], ["show", "services", "--json"]), capsys)
    assert code == 0, err
    assert "/api/v1/services" in _Recorder.paths  # not the bundled lab
    assert "website" not in out


@pytest.mark.parametrize("position", ["before", "after"])
def test_context_is_the_one_used(api: Path, position: str, monkeypatch, capsys) -> None:
    monkeypatch.setenv("KUBECONFIG", str(api))
    code, _, err = run(place(position, ["--context", "prod"], ["show", "services"]), capsys)
    assert code == 2 and "'prod'" in err and "lab-b" in err
    assert _Recorder.paths == []


@pytest.mark.parametrize("position", ["before", "after"])
@pytest.mark.parametrize("option, expect_path", [
    (["-n", "web"], "/api/v1/namespaces/web/services"),
    (["--namespace", "web"], "/api/v1/namespaces/web/services"),
    (["-A"], "/api/v1/services"),
    (["--all-namespaces"], "/api/v1/services"),
])
def test_namespace_scopes_what_is_listed(api: Path, position: str, option: list[str], expect_path: str,
                                         monkeypatch, capsys) -> None:
    monkeypatch.setenv("KUBECONFIG", str(api))
    # -A is checked against an -n further left, which it must undo whichever side of the command it is on.
    undone = ["-n", "elsewhere"] if option[0] in ("-A", "--all-namespaces") else []
    argv = undone + place(position, option, ["show", "services"])
    code, _, err = run(argv, capsys)
    assert code == 0, err
    assert expect_path in _Recorder.paths
    assert not any("elsewhere" in p for p in _Recorder.paths)


@pytest.mark.parametrize("position", ["before", "after"])
def test_node_picks_the_node_traced(api: Path, position: str, capsys) -> None:
    code, _, err = run(place(position, ["--node", "no-such-node"], ["trace", "default/website", "--snapshot", "lab"]),
                       capsys)
    assert code == 2 and "no-such-node" in err
    traced = ["trace", "default/website", "--json", "--snapshot", "lab"]
    code, out, err = run(place(position, ["--node", "node-1"], traced), capsys)
    assert code == 0, err
    assert "website" in out

"""`k8snet policy check` and `k8snet show policy`: the same words on the CLI and the `:` line,
text in words, JSON through the one serializer with its source, exit 0 for a verdict (allow or
deny) and 2 for a question that cannot be asked."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from k8snet_tui import grammar
from k8snet_tui.cli import main, parse_command
from k8snet_tui.errors import UsageError

from tests import lab_roles as roles
from tests.support.policy_lab import policy_lab

WEB = roles.website_pod()  # a website pod of the lab (names change from one capture to the next)
ENGINE = roles.engine_pod()


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "80")
    for var in ("KUBECONFIG", "K8SNET_CONFIG", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def snap(tmp_path: Path) -> str:
    return str(policy_lab(tmp_path))


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.mark.parametrize("form, meaning", [
    ("policy check default/a default/b", "policy check default/a default/b"),
    ("policy check default/a default/b --port 80", "policy check default/a default/b --port 80"),
    ("policy check default/a ip:10.0.0.9 --port=53 --protocol udp",
     "policy check default/a ip:10.0.0.9 --port 53 --protocol UDP"),
    ("policy check ip:192.0.2.1 default/b --port http", "policy check ip:192.0.2.1 default/b --port http"),
])
def test_a_form_means_the_same_on_both_surfaces(form, meaning):
    typed, given = grammar.parse(form), parse_command(shlex.split(form))
    assert typed == given or (typed is not None and given is not None and
                              {**typed.__dict__, "word": ""} == {**given.__dict__, "word": ""})
    assert typed is not None and typed.canonical() == meaning
    assert grammar.parse("np " + form.removeprefix("policy ")).canonical() == meaning  # the pane's aliases


@pytest.mark.parametrize("form, words", [
    ("policy check default/a", "a source and a destination expected"),
    ("policy check a b", "'a' is not NS/POD or ip:ADDRESS"),
    ("policy check ip:nope default/b", "'ip:nope' is not ip:ADDRESS"),
    ("policy check default/a default/b --port 70000", "--port 70000 is not a port"),
    ("policy check default/a default/b --protocol icmp", "--protocol: invalid choice"),
    ("policy check default/a default/b --bogus 1", "unknown option --bogus"),
])
def test_bad_forms_are_refused_with_words(form, words):
    with pytest.raises(UsageError, match=words.replace("(", r"\(")):
        grammar.parse(form)


def test_policy_alone_is_still_the_pane():
    cmd = grammar.parse("policy")
    assert cmd is not None and (cmd.verb, cmd.pane) == ("show", "policy")
    assert grammar.parse("show netpol").pane == "policy" and grammar.parse("show 7").pane == "policy"


def test_an_allow_in_words_exits_0(snap, capsys):
    code, out, err = run(["policy", "check", "default/client", WEB, "--port", "80", "--snapshot", snap], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"✓ allow: default/client may reach {WEB}")
    assert "egress of the source: allow: allowed by default/client-egress egress[0]" in out
    assert "ingress of the destination: allow: allowed by default/website-from-client" in out.replace("\n      ", " ")
    assert max(len(line) for line in lines) <= 80


def test_a_deny_names_the_isolating_policies_and_exits_0(snap, capsys):
    code, out, _ = run(["policy", "check", WEB, ENGINE, "--port", "80", "--snapshot", snap], capsys)
    assert code == 0
    flat = " ".join(out.split())
    assert flat.startswith(f"✗ deny: {WEB} may not reach {ENGINE} on TCP port 80")
    assert f"no rule allows it; {ENGINE} is isolated for ingress by default/deny-ingress, " \
           "default/engine-from-website" in flat


def test_json_has_both_sides_the_rule_and_the_source(snap, capsys):
    code, out, _ = run(["policy", "check", WEB, ENGINE, "--port", "8080", "--json", "--snapshot", snap], capsys)
    assert code == 0
    doc = json.loads(out)
    assert doc["verdict"] == "allow" and doc["egress"]["verdict"] == "allow"
    assert doc["ingress"]["rule"] == {"policy": "default/engine-from-website", "direction": "ingress", "rule": 0,
                                      "peer": 0, "port": 0, "peer_text": "pods app in (website) in namespace default",
                                      "port_text": "TCP 8080"}
    assert doc["source"]["kind"] == "snapshot" and doc["source"]["path"] == snap


@pytest.mark.parametrize("argv, words", [
    (["policy", "check", "default/client", "default/nope"], "no pod default/nope"),
    (["policy", "check", "client", WEB], "'client' is not NS/POD or ip:ADDRESS"),
    (["policy", "check", "default/client", WEB, "--port", "nope"], "has no TCP container port named 'nope'"),
])
def test_a_question_that_cannot_be_asked_exits_2_with_words(snap, capsys, argv, words):
    code, out, err = run([*argv, "--snapshot", snap], capsys)
    assert code == 2 and out == ""
    assert words in err


def test_show_policy_by_its_words(snap, capsys):
    for word in ("policy", "7", "netpol"):
        code, out, _ = run(["show", word, "--snapshot", snap], capsys)
        assert code == 0
        assert "default/deny-ingress: isolates ingress of 8 pods in default, allowing nothing" in out
        assert "Who may talk on 80/TCP (rows: from, columns: to):" in out
        assert "\x1b" not in out and "[bold red]evil[/]" in out  # the hostile name, inert
    code, out, _ = run(["show", "np", "--json", "--snapshot", snap], capsys)
    doc = json.loads(out)
    assert doc["namespace"] == "default" and len(doc["groups"]) == 4 and "source" in doc

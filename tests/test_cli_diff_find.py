"""`k8snet diff A B` and `k8snet find WORD` in-process, on the bundled lab and a copy of it edited
the way a pod deletion leaves it; their JSON against docs/json.md; hostile snapshots."""

from __future__ import annotations

import json
import os
import tarfile
from pathlib import Path

import pytest

from k8snet_tui.cli import main
from k8snet_tui.sources.snapshot import bundled_lab_path

from tests import lab_roles as roles
from tests.lab_deletion import website_pod_deletion
from tests.support.cli_env import isolate_cli_env
from tests.test_json_contract import _documented_names, _example_keys, _keys

DELETION = website_pod_deletion()  # the website pod on the captured node
VICTIM, SEP, IP = DELETION.name, DELETION.sep, DELETION.address


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolate_cli_env(tmp_path, monkeypatch, unset=("NO_COLOR",))


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def after_deletion(tmp_path: Path) -> Path:
    """A copy of the lab's files as they read after `kubectl delete pod` of the victim."""
    return DELETION.write_after(tmp_path / "after")


def test_diff_names_the_deletion_in_words(tmp_path, capsys):
    code, out, err = run(["diff", "lab", str(after_deletion(tmp_path))], capsys)
    assert code == 0, err
    # the pod; its endpoint in website and headlesswebsite; its SEP chain; the two endpoints left
    # (1/3 -> 1/2 each); its route; the headless A and SRV answers and its own name
    assert "Result: 10 changes: pods 1, endpoints 2, chains 1, probabilities 2, routes 1, dns 3" in out
    assert f"- pod default/{VICTIM} is gone" in out
    node = roles.captured_node()
    assert f"- the endpoint chain of {IP}:80 of default/website:http is gone on {node}: {SEP}" in out
    first = DELETION.left[0]
    was = f"1/3 (probability {DELETION.probability_before(first)})" if DELETION.probability_before(first) else "1/3"
    assert f"~ {first}:80 of default/website:http gets 1/2 (probability 0.50000000000), was {was}" in out
    assert f"- route {IP} dev {DELETION.route['dev']}" in out
    assert "424242" not in out and "Not compared (noise)" in out


def test_diff_of_a_tarball_and_the_same_state_is_no_change(tmp_path, capsys):
    tarball = tmp_path / "lab.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(bundled_lab_path(), arcname="lab")
    code, out, _ = run(["diff", str(tarball), "lab"], capsys)
    assert code == 0 and "Result: no change" in out


def test_diff_json_matches_its_doc_section(tmp_path, capsys):
    code, out, err = run(["diff", "lab", str(after_deletion(tmp_path)), "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc.pop("source") == {"kind": "snapshots", "before": "lab", "after": str(tmp_path / "after")}
    heading = "## `k8snet diff A B --json`"
    printed = _keys(doc)
    assert _example_keys(heading) - printed == set()
    assert printed - _documented_names(heading) == set()
    assert [g["name"] for g in doc["groups"]] == ["pods", "services", "endpoints", "chains", "probabilities",
                                                  "routes", "dns"]
    assert doc["same"] is False


def test_find_json_matches_its_doc_section(capsys):
    printed: set[str] = set()
    for word in (IP, "website", SEP):
        code, out, err = run(["find", word, "--json", "--snapshot", "lab"], capsys)
        assert code == 0, err
        doc = json.loads(out)
        assert doc.pop("source")["kind"] == "snapshot"
        printed |= _keys(doc)
    heading = "## `k8snet find WORD --json`"
    assert _example_keys(heading) - printed == set()
    assert printed - _documented_names(heading) == set()


def test_find_as_text_names_the_command_to_type(capsys):
    code, out, _ = run(["find", IP, "--snapshot", "lab"], capsys)
    assert code == 0
    assert f"pod        default/{VICTIM}" in out and ":trace default/website:http" in out
    code, out, _ = run(["find", "nothing-has-this-name", "--snapshot", "lab"], capsys)
    assert code == 0 and "(nothing mentions it)" in out


def test_diff_usage_and_unreadable_sides_exit_2(tmp_path, capsys):
    assert run(["diff", "lab"], capsys)[0] == 2
    code, _, err = run(["diff", "lab", str(tmp_path / "nope")], capsys)
    assert code == 2 and "nope" in err
    plain = tmp_path / "plain.txt"
    plain.write_text("not a snapshot")
    assert run(["diff", str(plain), "lab"], capsys)[0] == 2


def test_diff_reads_hostile_snapshots_without_following_links(tmp_path, capsys):
    after = after_deletion(tmp_path)
    secret = tmp_path / "outside.json"
    secret.write_text(json.dumps({"kind": "List", "items": [
        {"kind": "Pod", "metadata": {"name": "planted", "namespace": "default"}, "status": {"podIP": "10.9.9.9"}}]}))
    os.symlink(secret, after / "api" / "planted.json")
    code, out, err = run(["diff", "lab", str(after)], capsys)
    assert code == 0
    assert "planted" not in out
    assert "api/planted.json: is a symbolic link" in err and "never followed" in err
    assert run(["diff", "lab", str(after), "--strict"], capsys)[0] == 2


def test_the_grammar_reads_diff_and_find_the_same_on_both_surfaces():
    from k8snet_tui import grammar
    from k8snet_tui.cli import parse_command

    assert grammar.parse(":diff after.tar.gz").paths == ("after.tar.gz",)
    assert parse_command(["diff", "a", "b"]) == grammar.parse("diff a b")
    assert grammar.parse("diff a b").canonical() == "diff a b"
    assert parse_command(["find", "10.0.0.3"]) == grammar.parse(":find 10.0.0.3")
    assert grammar.parse(":find KUBE-SEP-X").arg == "KUBE-SEP-X"
    for bad in (":diff", ":diff a b c", ":find", ":find a b"):
        with pytest.raises(grammar.GrammarError):
            grammar.parse(bad)

"""Every one-shot command prints hostile cluster text inert: no control byte reaches the terminal."""

from __future__ import annotations

import json

import pytest

from k8snet_tui.cli import main

from tests.support.hostile import CORPUS, FORBIDDEN_BYTES, hostile_lab

COMMANDS = [
    ["show", "internet"], ["show", "host"], ["show", "pods"], ["show", "services"], ["show", "dns"],
    ["show", "ingress"], ["trace", "default/website"], ["dns", "website"], ["route", "http://x.example/web/"],
]


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    return hostile_lab(tmp_path_factory.mktemp("hostile"))


@pytest.mark.parametrize("output", ["text", "wide", "json", "yaml"])
@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: "-".join(a))
def test_cli_output_has_no_control_bytes(argv, output, snapshot, capsys, monkeypatch):
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    monkeypatch.setenv("COLUMNS", "100")
    code = main([*argv, "--snapshot", str(snapshot), "-o", output])
    out, err = capsys.readouterr()
    assert code == 0, err
    for bad in FORBIDDEN_BYTES:
        assert bad not in out, f"{bad!r} reached stdout"
        assert bad not in err
    if output == "json":
        json.loads(out)  # still valid JSON: the data is escaped, not dropped
    if output == "yaml":
        import yaml

        assert yaml.safe_load(out)["source"]["kind"] == "snapshot"  # escaped in double quotes, not dropped


def test_hostile_names_survive_in_json_exactly(snapshot, capsys, monkeypatch):
    """Inert is not lossy: JSON consumers get the exact hostile name back."""
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    assert main(["show", "services", "--json", "--snapshot", str(snapshot)]) == 0
    doc = json.loads(capsys.readouterr().out)
    names = {row["name"] for row in doc["rows"]}
    for key, text in CORPUS.items():
        assert f"evil-{key}-{text}" in names


def test_text_output_shows_markup_literally(snapshot, capsys, monkeypatch):
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    assert main(["show", "services", "--snapshot", str(snapshot)]) == 0
    out = capsys.readouterr().out
    assert CORPUS["markup"] in out  # shown as typed, not turned into bold red
    assert CORPUS["lone_bracket"] in out


def test_hostile_names_survive_in_yaml_exactly(snapshot, capsys, monkeypatch):
    import yaml

    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    assert main(["show", "services", "-o", "yaml", "--snapshot", str(snapshot)]) == 0
    names = {row["name"] for row in yaml.safe_load(capsys.readouterr().out)["rows"]}
    for key, text in CORPUS.items():
        assert f"evil-{key}-{text}" in names


def test_hostile_names_are_inert_in_completion(snapshot, capsys, monkeypatch):
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    assert main(["__complete", "--snapshot", str(snapshot), "trace", ""]) == 0
    out = capsys.readouterr().out
    assert out and "evil" not in out  # names with control or markup characters are not offered at all
    for bad in FORBIDDEN_BYTES:
        assert bad not in out

"""`k8snet balance NS/SVC` and `k8snet show balancing`: the JSON contract's fields on a MetalLB
snapshot, seeded counts, and bad words as one line in words (exit 2)."""

from __future__ import annotations

import json

import pytest

from k8snet_tui.cli import main
from k8snet_tui.grammar import GrammarError, parse

from tests.support.metallb_lab import LB_IP, metallb_lab


def _json(capsys, *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_balance_json_on_metallb(tmp_path, capsys):
    snap = str(metallb_lab(tmp_path, announcer="node-2"))
    doc = _json(capsys, "balance", "emissary/emissary-ingress", "--snapshot", snap, "--requests", "500", "--seed", "9")
    assert doc["addresses"] == [LB_IP] and doc["allocation"]["allocator"] == "metallb"
    assert doc["announce"] == {"mode": "layer2", "nodes": ["node-2"], "evidence": doc["announce"]["evidence"],
                               "peers": []}
    (http, https) = doc["ports"]
    assert https["port"] == 443 and [n["node"] for n in https["nodes"]] == ["node-2"]
    assert [n["node"] for n in http["nodes"]] == ["node-2"] and http["nodes"][0]["source"] == "api"
    sim = doc["simulation"]
    assert sim["requests"] == 500 and sim["seed"] == 9 and sum(c["count"] for c in sim["counts"]) == 500
    again = _json(capsys, "balance", "emissary/emissary-ingress", "--snapshot", snap, "--requests", "500", "--seed", "9")
    assert again["simulation"] == sim
    shown = _json(capsys, "show", "balancing", "--snapshot", snap)
    assert shown["services"][0]["nodes"] == ["node-2"] and shown["pools"][0]["pool"] == "metallb-system/lab-pool"


def test_balance_text_fits_and_names_the_node(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["balance", "emissary/emissary-ingress", "--snapshot", str(metallb_lab(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert f"{LB_IP}:80/TCP  ->  layer2: node-1" in out
    assert all(len(line) <= 80 for line in out.splitlines())


@pytest.mark.parametrize("words", [["balance", "a/b", "--requests", "0"], ["balance", "a/b", "--requests", "x"],
                                   ["balance", "a/b/c"], ["balance", "a/b", "c/d"], ["balance", "a/b", "--seed", "-1"]])
def test_bad_words_are_grammar_errors(words):
    with pytest.raises(GrammarError):
        parse(words)


def test_unknown_service_exits_2_with_a_hint(capsys):
    assert main(["balance", "emissary/nope", "--snapshot", "lab"]) == 2
    err = capsys.readouterr().err
    assert "unknown service emissary/nope" in err


def test_colon_words_round_trip():
    cmd = parse("balance emissary/emissary-ingress --requests 10 --seed 3 --port http")
    assert cmd is not None and cmd.pane == "balancing" and cmd.requests == 10 and cmd.seed == 3
    assert cmd.canonical() == "balance emissary/emissary-ingress --requests 10 --seed 3 --port http"


def test_a_service_that_is_not_a_load_balancer_exits_2_and_points_at_trace(capsys):
    assert main(["balance", "default/website", "--snapshot", "lab"]) == 2
    err = capsys.readouterr().err
    assert "default/website is a NodePort Service, not a LoadBalancer" in err and "k8snet trace default/website" in err


def test_a_port_the_service_lacks_exits_2_and_lists_its_ports(tmp_path, capsys):
    snap = str(metallb_lab(tmp_path))
    assert main(["balance", "emissary/emissary-ingress", "--port", "9999", "--snapshot", snap]) == 2
    err = capsys.readouterr().err
    assert "has no port '9999'" in err and "http (80), https (443)" in err

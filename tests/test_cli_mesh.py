"""`k8snet show mesh` and `k8snet mesh NS/POD [ADDRESS:PORT]` on the mesh lab (the lab's client
pod with Istio's sidecar and the rules the real istio-iptables wrote): text in words, JSON through
the one serializer with its source, exit 2 for a question that cannot be asked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from k8snet_tui.cli import main

from tests.support.mesh_lab import CLIENT, lab_pod, mesh_lab


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "80")
    for var in ("KUBECONFIG", "K8SNET_CONFIG", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def lab(tmp_path: Path) -> str:
    return str(mesh_lab(tmp_path))


def test_show_mesh_json(lab, capsys):
    assert main(["show", "mesh", "--json", "--snapshot", lab]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["source"]["kind"] == "snapshot"
    assert doc["meshed"] == 2 and doc["config"]["state"] == "no mesh configuration"
    client = next(p for p in doc["pods"] if f"{p['namespace']}/{p['name']}" == CLIENT)
    assert client["ip"] == lab_pod(Path(lab), "client")["status"]["podIP"]
    assert (client["mesh"], client["mode"], client["version"]) == ("istio", "sidecar", "1.31.0")
    r = client["redirects"]
    assert (r["state"], r["backend"], r["outbound_port"], r["inbound_port"]) == ("read", "nft", 15001, 15006)
    assert r["excluded_uids"] == ["1337"] and "datapath" not in client


def test_mesh_pod_connection_text_and_json(lab, capsys):
    assert main(["mesh", CLIENT, "10.96.0.10:53", "--snapshot", lab]) == 0
    out = " ".join(capsys.readouterr().out.split())  # the words, whatever the wrapping at 80 columns
    assert "redirected to port 15001 in the pod" in out
    assert "order: app -> OUTPUT -> ISTIO_OUTPUT -> ISTIO_REDIRECT -> port 15001 (proxy)" in out
    assert main(["mesh", CLIENT, "10.96.0.10:53", "--uid", "1337", "--json", "--snapshot", lab]) == 0
    conn = json.loads(capsys.readouterr().out)["connection"]
    assert (conn["verdict"], conn["proxy_port"], conn["uid"]) == ("out", None, 1337)
    assert conn["hops"][1]["rule"] == "-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN"
    client_ip = lab_pod(Path(lab), "client")["status"]["podIP"]
    assert main(["mesh", CLIENT, f"{client_ip}:8080", "--from", "10.0.0.2", "--json", "--snapshot", lab]) == 0
    conn = json.loads(capsys.readouterr().out)["connection"]
    assert (conn["direction"], conn["verdict"], conn["proxy_port"]) == ("inbound", "redirect", 15006)


def test_a_pod_whose_namespace_could_not_be_read_is_unknown_with_why(lab, capsys):
    # another pod on the client's node: that node has one namespace that could not be read
    node = lab_pod(Path(lab), "client")["spec"]["nodeName"]
    pods = json.loads((Path(lab) / "api" / "pods.json").read_text())["items"]
    other = next(p for p in pods if p["spec"].get("nodeName") == node and p["metadata"]["name"] != "client"
                 and not p["spec"].get("hostNetwork") and p.get("status", {}).get("podIP"))
    key = f"{other['metadata']['namespace']}/{other['metadata']['name']}"
    assert main(["mesh", key, "10.96.0.10:53", "--snapshot", lab]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "cannot tell" in out and f"no readable namespace on {node} holds {other['status']['podIP']}" in out
    assert "could not be read (/proc/4300/ns/net: could not enter the namespace: gone)" in out


def test_questions_that_cannot_be_asked_exit_2(lab, capsys):
    assert main(["mesh", CLIENT, "website", "--snapshot", lab]) == 2
    assert "is not ADDRESS:PORT" in capsys.readouterr().err
    assert main(["mesh", "default/nope", "--snapshot", lab]) == 2
    assert "no pod default/nope" in capsys.readouterr().err

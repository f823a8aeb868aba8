"""`k8snet show mesh` and `k8snet mesh NS/POD ADDRESS:PORT` with mesh configuration in the
snapshot: the mesh lab (the lab's client pod with Istio's sidecar) plus a DestinationRule,
a VirtualService and a PeerAuthentication for the lab's website Service, read from the
snapshot's api/ as `k8snet capture` writes them. The JSON carries the verdicts and who decided
them; the text says them in words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from k8snet_tui.cli import main

from tests.support.mesh_lab import CLIENT, mesh_lab

MESH_OBJECTS = [
    {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
     "metadata": {"namespace": "default", "name": "website", "creationTimestamp": "2026-01-01T00:00:00Z"},
     "spec": {"host": "website", "trafficPolicy": {"loadBalancer": {"simple": "ROUND_ROBIN"}},
              "subsets": [{"name": "all", "labels": {"app": "website"}}]}},
    {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
     "metadata": {"namespace": "default", "name": "website", "creationTimestamp": "2026-01-01T00:00:00Z"},
     "spec": {"hosts": ["website"], "http": [
         {"match": [{"uri": {"prefix": "/api"}}], "route": [{"destination": {"host": "website", "subset": "canary"}}]},
         {"route": [{"destination": {"host": "website", "subset": "all"}}], "timeout": "5s"}]}},
    {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
     "metadata": {"namespace": "istio-system", "name": "default", "creationTimestamp": "2026-01-01T00:00:00Z"},
     "spec": {"mtls": {"mode": "STRICT"}}},
]


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "80")
    for var in ("KUBECONFIG", "K8SNET_CONFIG", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def lab(tmp_path: Path) -> str:
    out = mesh_lab(tmp_path)
    (out / "api" / "mesh-config.json").write_text(json.dumps({"kind": "List", "apiVersion": "v1", "items": MESH_OBJECTS}))
    return str(out)


def website_ip(lab: str) -> str:
    items = json.loads((Path(lab) / "api" / "services.json").read_text())["items"]
    return next(s["spec"]["clusterIP"] for s in items if s["metadata"]["name"] == "website")


def test_show_mesh_json_has_the_website_verdicts(lab, capsys):
    assert main(["show", "mesh", "--json", "--snapshot", lab]) == 0
    config = json.loads(capsys.readouterr().out)["config"]
    assert config["state"] == "read"
    svc = next(s for s in config["services"] if s["service"] == "default/website")
    assert svc["source"] == "VirtualService" and svc["chosen"] is None  # /api or not: depends on the path
    assert any("subset canary" in f and "503" in f for f in svc["findings"])


def test_mesh_pod_to_the_website_clusterip_says_routes_and_mtls(lab, capsys):
    dest = f"{website_ip(lab)}:80"
    assert main(["mesh", CLIENT, dest, "--json", "--snapshot", lab]) == 0
    doc = json.loads(capsys.readouterr().out)
    svc = doc["service"]
    assert svc["client"] == f"pod {CLIENT} (istio sidecar)"
    # the lab's website pods have no sidecar: auto mTLS sends plaintext, and a STRICT policy
    # binds only servers with a sidecar, so the connection is plaintext
    assert svc["tls"]["answer"] == "plaintext" and "no Istio sidecar" in svc["tls"]["words"]
    assert main(["mesh", CLIENT, dest, "--snapshot", lab]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "routes (VirtualService): depends on the request" in out
    assert "subset all (3 pods)" in out and "timeout 5s" in out

"""`k8snet mesh` in words a reader can act on: an unknown pod says how to find the right one; a
client without a proxy is said to have none once; a Service whose endpoints are not pods (the API
server's) says so; and `--path` / `--method` decide the mesh routes and policies that match on
them (the mesh lab's client with Istio's sidecar, its website pods given one too, a
VirtualService splitting /api from the rest and an AuthorizationPolicy allowing only GET)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from k8snet_tui.cli import main

from tests.support.mesh_lab import CLIENT, mesh_lab
from tests.test_cli_mesh_config import MESH_OBJECTS

ONLY_GET = {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
            "metadata": {"namespace": "default", "name": "website-get", "creationTimestamp": "2026-01-01T00:00:00Z"},
            "spec": {"selector": {"matchLabels": {"app": "website"}}, "action": "ALLOW",
                     "rules": [{"to": [{"operation": {"methods": ["GET"]}}]}]}}
# The VirtualService's /api route names subset canary, which no DestinationRule defines: a
# finding. Here the DestinationRule defines it, so each route is a real choice.
ROUTE_OBJECTS = [
    {**MESH_OBJECTS[0], "spec": {**MESH_OBJECTS[0]["spec"], "subsets": [
        {"name": "all", "labels": {"app": "website"}}, {"name": "canary", "labels": {"app": "website"}}]}},
    *MESH_OBJECTS[1:],
]


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    for var in ("KUBECONFIG", "K8SNET_CONFIG", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)


def meshed_lab(tmp_path: Path) -> str:
    """The mesh lab with Istio's sidecar on the website pods too and the route/policy objects."""
    out = mesh_lab(tmp_path)
    pods = json.loads((out / "api" / "pods.json").read_text())
    for pod in pods["items"]:
        if pod["metadata"].get("labels", {}).get("app") == "website":
            pod["metadata"].setdefault("annotations", {})["sidecar.istio.io/status"] = '{"containers":["istio-proxy"]}'
            pod["spec"]["containers"].append({"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.31.0"})
    (out / "api" / "pods.json").write_text(json.dumps(pods))
    (out / "api" / "mesh-config.json").write_text(json.dumps({"kind": "List", "apiVersion": "v1",
                                                              "items": [*ROUTE_OBJECTS, ONLY_GET]}))
    return str(out)


def cluster_ip(lab: str, name: str) -> str:
    items = json.loads((Path(lab) / "api" / "services.json").read_text())["items"]
    return next(s["spec"]["clusterIP"] for s in items if s["metadata"]["name"] == name)


def words(text: str) -> str:
    return " ".join(text.split())


def service(lab: str, capsys, *extra: str) -> dict:
    assert main(["mesh", CLIENT, f"{cluster_ip(lab, 'website')}:80", "--json", "--snapshot", lab, *extra]) == 0
    return json.loads(capsys.readouterr().out)["service"]


def test_an_unknown_pod_says_how_to_find_the_right_one(tmp_path, capsys):
    lab = str(mesh_lab(tmp_path))
    assert main(["mesh", "nope/nope", "--snapshot", lab]) == 2
    err = words(capsys.readouterr().err)
    assert "no pod nope/nope" in err and "list them with: k8snet show mesh" in err
    assert main(["mesh", "default/clent", "--snapshot", lab]) == 2
    assert "did you mean: default/client" in words(capsys.readouterr().err)
    assert main(["mesh", "kube-system/client", "--snapshot", lab]) == 2  # the name is right, the namespace not
    assert "did you mean: default/client" in words(capsys.readouterr().err)


def test_a_client_without_a_proxy_is_said_once_and_the_apiservers_endpoint_is_not_a_pod(tmp_path, capsys):
    lab = str(mesh_lab(tmp_path))
    assert main(["mesh", "default/engine", f"{cluster_ip(lab, 'kubernetes')}:443", "--snapshot", lab]) == 2  # a prefix
    assert "did you mean: default/engine-" in words(capsys.readouterr().err)
    pods = json.loads((Path(lab) / "api" / "pods.json").read_text())["items"]
    engine = next(f"default/{p['metadata']['name']}" for p in pods if p["metadata"]["name"].startswith("engine-"))
    assert main(["mesh", engine, f"{cluster_ip(lab, 'kubernetes')}:443", "--snapshot", lab]) == 0
    out = words(capsys.readouterr().out)
    config = out[out.index("mesh config for default/kubernetes"):]
    assert config.count("no proxy") == 1, config
    assert "((" not in config and "none (no proxy)" not in config
    assert "routes: none: no mesh route applies" in config
    assert "its endpoint " in config and "is the API server's own host address, not a pod" in config
    assert "connection: no pod to connect to:" in config


def test_path_and_method_decide_the_route_and_the_authorization(tmp_path, capsys):
    lab = meshed_lab(tmp_path)
    unknown = service(lab, capsys)
    assert unknown["chosen"] is None and unknown["authz"]["answer"] != "allow"  # depends on the request
    api = service(lab, capsys, "--path", "/api/items", "--method", "GET")
    assert api["chosen"] == 0 and {d["subset"] for d in api["destinations"]} == {"canary"}
    assert api["authz"]["answer"] == "allow", api["authz"]
    rest = service(lab, capsys, "--path", "/", "--method", "post")  # a method is compared upper case
    assert rest["chosen"] == 1 and {d["subset"] for d in rest["destinations"]} == {"all"}
    assert rest["authz"]["answer"] == "deny", rest["authz"]
    assert [d["name"] for d in rest["authz"]["by"]] == ["website-get"], rest["authz"]
    assert main(["mesh", CLIENT, f"{cluster_ip(lab, 'website')}:80", "--snapshot", lab,
                 "--path", "/api/items", "--method", "GET"]) == 0
    text = words(capsys.readouterr().out)
    assert "routes (VirtualService): rule 1 (VirtualService default/website spec.http[0]) takes it" in text
    assert "authorization: allowed by ALLOW policy default/website-get (spec.rules[0])" in text


@pytest.mark.parametrize("extra, said", [(["--path", "api"], "'api' is not a request path"),
                                          (["--method", "G T"], "'G T' is not an HTTP method")])
def test_a_bad_path_or_method_is_a_usage_error_before_any_source_is_read(extra, said, capsys):
    assert main(["mesh", CLIENT, "10.96.0.10:53", "--snapshot", "/nonexistent/snap", *extra]) == 2
    err = words(capsys.readouterr().err)
    assert said in err and "--path /P" in err

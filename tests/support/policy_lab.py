"""The bundled lab with NetworkPolicies added: a copy of its snapshot directory plus
api/networkpolicies.json, for the Policy pane's and `policy check`'s tests.

In `default` (client, engine, website x3, webstate x3):
- deny-ingress: every pod isolated for ingress;
- website-from-client: website pods admit client on TCP 80;
- engine-from-website: engine admits website pods on TCP 8080;
- client-egress: client may send only to website pods (so it has no DNS: a finding);
- a policy whose name is markup and escape sequences, selecting nothing (it must stay inert).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

LAB = Path(__file__).resolve().parents[2] / "k8snet_tui" / "data" / "lab"
HOSTILE_NAME = "[bold red]evil[/] \x1b]8;;http://x\x1b\\link"


def _policy(name: str, spec: dict) -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"namespace": "default", "name": name}, "spec": spec}


POLICIES = [
    _policy("deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]}),
    _policy("website-from-client", {"podSelector": {"matchLabels": {"app": "website"}}, "ingress": [
        {"from": [{"podSelector": {"matchLabels": {"run": "client"}}}], "ports": [{"port": 80}]}]}),
    _policy("engine-from-website", {"podSelector": {"matchLabels": {"app": "engine"}}, "ingress": [
        {"from": [{"podSelector": {"matchLabels": {"app": "website"}}}], "ports": [{"port": 8080}]}]}),
    _policy("client-egress", {"podSelector": {"matchLabels": {"run": "client"}}, "policyTypes": ["Egress"],
                              "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "website"}}}]}]}),
    _policy(HOSTILE_NAME, {"podSelector": {"matchLabels": {"app": "nothing-has-this"}}}),
]


def policy_lab(tmp: Path) -> Path:
    """A snapshot directory: the lab and POLICIES."""
    out = tmp / "policy-lab"
    shutil.copytree(LAB, out)
    (out / "api" / "networkpolicies.json").write_text(
        json.dumps({"apiVersion": "v1", "kind": "List", "items": POLICIES}), encoding="utf-8")
    return out


def many_groups_lab(tmp: Path, apps: int = 30) -> Path:
    """The lab plus `apps` one-pod apps in default, app i admitting only app i+1: as many groups
    as apps, more than fit 80 columns side by side."""
    out = tmp / "policy-many"
    shutil.copytree(LAB, out)
    pods = json.loads((out / "api" / "pods.json").read_text(encoding="utf-8"))
    template = pods["items"][0]
    for i in range(apps):
        pod = json.loads(json.dumps(template))
        pod["metadata"].update(name=f"app{i:02d}-pod", labels={"app": f"app{i:02d}"})
        pod["status"].update(podIP=f"10.0.3.{i + 10}", podIPs=[{"ip": f"10.0.3.{i + 10}"}])
        pods["items"].append(pod)
    (out / "api" / "pods.json").write_text(json.dumps(pods), encoding="utf-8")
    policies = [_policy(f"p{i:02d}", {"podSelector": {"matchLabels": {"app": f"app{i:02d}"}}, "ingress": [
        {"from": [{"podSelector": {"matchLabels": {"app": f"app{(i + 1) % apps:02d}"}}}]}]}) for i in range(apps)]
    (out / "api" / "networkpolicies.json").write_text(
        json.dumps({"apiVersion": "v1", "kind": "List", "items": policies}), encoding="utf-8")
    return out

"""The bundled lab with a MetalLB layer-2 setup around its LoadBalancer Service, as a snapshot
directory: the pane and CLI tests of pane 9 read it.

Hand-made objects, shaped as MetalLB's CRDs (go.universe.tf/metallb api/v1beta1) and its
speaker's event (reason nodeAssigned, `announcing from node %q with protocol %q`); the address
is one the pool holds, as MetalLB's controller would write it into the Service's status.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from k8snet_tui.sources.snapshot import bundled_lab_path

LB_IP = "172.31.24.240"
ANNOUNCER = "node-1"


def _items(kind: str, api_version: str, items: list[dict]) -> dict:
    return {"apiVersion": "v1", "kind": "List",
            "items": [{"apiVersion": api_version, "kind": kind, **item} for item in items]}


def metallb_lab(tmp: Path, *, announcer: str = ANNOUNCER) -> Path:
    out = tmp / "metallb-lab"
    shutil.copytree(bundled_lab_path(), out)
    services = json.loads((out / "api" / "services.json").read_text())
    for svc in services["items"]:
        if svc["metadata"]["name"] == "emissary-ingress":
            svc["status"] = {"loadBalancer": {"ingress": [{"ip": LB_IP, "ipMode": "VIP"}]}}
            svc["metadata"].setdefault("annotations", {})["metallb.io/ip-allocated-from-pool"] = "lab-pool"
    (out / "api" / "services.json").write_text(json.dumps(services))
    ns = "metallb-system"
    files = {
        "ipaddresspools.json": _items("IPAddressPool", "metallb.io/v1beta1", [
            {"metadata": {"name": "lab-pool", "namespace": ns}, "spec": {"addresses": ["172.31.24.240/29"]}}]),
        "l2advertisements.json": _items("L2Advertisement", "metallb.io/v1beta1", [
            {"metadata": {"name": "lab-l2", "namespace": ns}, "spec": {"ipAddressPools": ["lab-pool"]}}]),
        "servicel2statuses.json": _items("ServiceL2Status", "metallb.io/v1beta1", [
            {"metadata": {"name": "l2-emissary", "namespace": ns},
             "status": {"node": announcer, "serviceName": "emissary-ingress", "serviceNamespace": "emissary",
                        "interfaces": [{"name": "eth0"}]}}]),
        "events.json": _items("Event", "v1", [
            {"metadata": {"name": "emissary-ingress.1", "namespace": "emissary"},
             "involvedObject": {"kind": "Service", "namespace": "emissary", "name": "emissary-ingress"},
             "reason": "nodeAssigned", "type": "Normal", "count": 1, "lastTimestamp": "2026-11-26T05:50:00Z",
             "message": f'announcing from node "{announcer}" with protocol "layer2"',
             "source": {"component": "metallb-speaker"}}]),
    }
    for name, doc in files.items():
        (out / "api" / name).write_text(json.dumps(doc))
    return out


def bundled_lb_addresses() -> list[str]:
    """The bundled lab's emissary-ingress status addresses, read from its file (empty while the
    lab's capture has it pending): the lab tests expect what the data says."""
    services = json.loads((bundled_lab_path() / "api" / "services.json").read_text())
    for svc in services["items"]:
        if svc["metadata"]["name"] == "emissary-ingress":
            ingress = (svc.get("status") or {}).get("loadBalancer", {}).get("ingress") or []
            return [i["ip"] for i in ingress if i.get("ip")]
    return []


def emissary_pods() -> list[tuple[str, str]]:
    """(ns/pod, node) of the bundled lab's ready emissary-ingress endpoints, from its slices."""
    slices = json.loads((bundled_lab_path() / "api" / "endpointslices.json").read_text())
    out = []
    for s in slices["items"]:
        if s["metadata"].get("labels", {}).get("kubernetes.io/service-name") != "emissary-ingress":
            continue
        for ep in s.get("endpoints") or []:
            ref = ep.get("targetRef") or {}
            if ref.get("kind") == "Pod" and (ep.get("conditions") or {}).get("ready", True):
                pod = f"{ref.get('namespace') or s['metadata']['namespace']}/{ref['name']}"
                if (pod, ep.get("nodeName", "")) not in out:
                    out.append((pod, ep.get("nodeName", "")))
    return out


def emissary_http_rule(iptables_save: str) -> tuple[str, str]:
    """(the counter prefix as printed, the rest) of the DNAT rule of emissary-ingress:http on a
    node: the rule `m` counts."""
    import re

    # the comment is "ns/svc:http" (older kube-proxy) or "ns/svc:http -> IP:PORT": never :https
    m = re.search(r'^(\[\d+:\d+\]) (-A KUBE-SEP-\S+ .*"emissary/emissary-ingress:http(?:"| ->).*-j DNAT.*)$',
                  iptables_save, re.MULTILINE)
    assert m, "no DNAT rule of emissary-ingress:http in the dump"
    return m.group(1), m.group(2)

"""The bundled lab with a meshed pod, as a snapshot directory: the pane, CLI and JSON tests of
pane 0 read it.

The lab's `client` pod gets Istio's sidecar shape as the injector leaves it (istio-init +
istio-proxy 1.31.0), `webstate-0` the ambient label, and the client's node a pod namespace
reading (nodes/<node>/pod-netns.json, holding the client's IP) whose nat rules are what the real
istio-iptables wrote with the injector's default args in a scratch namespace
(tests/fixtures/mesh/istio-default-nft.save, iptables-nft-save of that namespace).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from k8snet_tui.sources.snapshot import bundled_lab_path

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "mesh" / "istio-default-nft.save"
CLIENT = "default/client"
ISTIO_INIT_ARGS = ["istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT", "-i", "*",
                   "-x", "", "-b", "*", "-d", "15090,15021,15020", "--log_output_level=default:info"]


def lab_pod(lab: Path, name: str) -> dict:
    """The lab's pod whose name is (or starts with) `name`: its IP and node come from the lab."""
    pods = json.loads((lab / "api" / "pods.json").read_text())["items"]
    return next(p for p in pods if p["metadata"]["name"] == name or p["metadata"]["name"].startswith(name + "-"))


def mesh_lab(tmp: Path) -> Path:
    out = tmp / "mesh-lab"
    shutil.copytree(bundled_lab_path(), out)
    pods = json.loads((out / "api" / "pods.json").read_text())
    client = next(p for p in pods["items"] if p["metadata"]["name"] == "client")
    client_ip, client_node = client["status"]["podIP"], client["spec"]["nodeName"]
    for pod in pods["items"]:
        md, spec = pod["metadata"], pod["spec"]
        if md["name"] == "client":
            md.setdefault("annotations", {})["sidecar.istio.io/status"] = '{"containers":["istio-proxy"]}'
            spec["initContainers"] = [{"name": "istio-init", "image": "docker.io/istio/proxyv2:1.31.0",
                                       "args": ISTIO_INIT_ARGS}]
            spec["containers"].append({"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.31.0",
                                       "args": ["proxy", "sidecar"]})
        if md["name"] == "webstate-0":
            md.setdefault("labels", {})["istio.io/dataplane-mode"] = "ambient"
    (out / "api" / "pods.json").write_text(json.dumps(pods))
    reading = {"path": "/run/netns/cni-5f0c", "inode": 4026533101, "pids": [4242], "names": ["cni-5f0c"],
               "addresses": ["127.0.0.1", client_ip], "iptables": {"nft": FIXTURE.read_text()},
               "ip6tables": {}, "nft_ruleset": None, "errors": []}
    gone = {"path": "/proc/4300/ns/net", "inode": 4026533102, "error": "could not enter the namespace: gone"}
    node = out / "nodes" / client_node
    node.mkdir(parents=True, exist_ok=True)
    (node / "pod-netns.json").write_text(json.dumps([reading, gone]))
    return out

"""The kubelet's exec endpoint of each test node, for pods/exec into the k8snet node agent.

kube-apiserver serves `pods/exec` by dialling the pod's node at its InternalIP, port 10250
(the kubelet's), over TLS, and relaying the stream. The harness's one kwok (cluster.py) runs
the nodes and pods but listens nowhere a node's address would reach. So per node, a second
kwok process runs *inside that node's network namespace* listening on <node IP>:10250 and
managing no node at all (`--manage-single-node` names none that exists): only its debugging
server is used, whose /exec handler runs a command locally for pods matched by a ClusterExec
(here: every pod of the agent namespace). A command it runs inherits the node's namespace, so
`k8snet probe` exec'd into the agent pod on node-2 reads node-2's real kube-proxy rules.

What is emulated: there is no container. The command runs on the machine in the node's
network namespace, as root with every capability, from the installed k8snet (`agent-bin/k8snet`
runs `.venv/bin/python -I -m k8snet_tui`), not from the agent image; the DaemonSet's security
settings are applied by nothing. What is real: the API server's authentication, RBAC, audit
and WebSocket-to-kubelet relay, kwok's kubelet exec protocol, the node's netns and its rules.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import yaml

from k8snet_tui.agent import AGENT_NAMESPACE

KUBELET_PORT = 10250
HERE = Path(__file__).resolve().parent


def _wrapper(bin_dir: Path) -> None:
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "k8snet"
    # The agent container's `k8snet`: the installed package, isolated (-I) as a root install runs.
    script.write_text(f"#!/bin/sh\nexec {sys.executable} -I -m k8snet_tui \"$@\"\n")
    script.chmod(0o755)


def cluster_exec_doc() -> dict:
    return {"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "ClusterExec",
            "metadata": {"name": "k8snet-agent"},
            "spec": {"selector": {"matchNamespaces": [AGENT_NAMESPACE]},
                     "execs": [{"local": {"workDir": "/",
                                          "envs": [{"name": "PYTHONDONTWRITEBYTECODE", "value": "1"}]}}]}}


def start(cluster, timeout: float = 30.0) -> None:
    """Start the per-node exec servers (idempotent); cluster.stop() ends them."""
    bin_dir = cluster.run_dir / "agent-bin"
    _wrapper(bin_dir)
    config = cluster.run_dir / "kwok-exec.yaml"
    config.write_text(yaml.safe_dump(cluster_exec_doc(), sort_keys=False))
    for node in cluster.nodes.values():
        name = f"kwok-exec-{node.name}"
        proc = cluster.procs.get(name)
        if proc is not None and proc.popen is not None and proc.popen.poll() is None:
            continue
        cluster._spawn(name, [
            str(cluster.bin / "kwok"), f"--kubeconfig={cluster.users['kwok'].kubeconfig}",
            f"--config={HERE / 'kwok-stages.yaml'}", f"--config={config}",
            f"--manage-single-node=k8snet-exec-only-{node.name}",
            f"--server-address={node.host_ip}:{KUBELET_PORT}",
        ], node=node.name, env={"PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}"})
    for node in cluster.nodes.values():
        cluster._wait(f"the kubelet exec endpoint of {node.name} on {node.host_ip}:{KUBELET_PORT}",
                      lambda node=node: _listening(cluster, node.name, node.host_ip), timeout,
                      alive=(f"kwok-exec-{node.name}",))


def _listening(cluster, node: str, ip: str) -> bool:
    out = cluster.run_in_node(node, ["ss", "-Hltn", f"src {ip} and sport = :{KUBELET_PORT}"], timeout=10)
    return bool(out.stdout.strip())


def wait_for_agents(cluster, nodes: tuple[str, ...], timeout: float = 60.0) -> dict[str, str]:
    """Node -> the Running, Ready agent pod on it, once every node in `nodes` has one."""
    found: dict[str, str] = {}

    def ready() -> bool:
        pods = cluster.api.get(f"/api/v1/namespaces/{AGENT_NAMESPACE}/pods")["items"]
        found.clear()
        for p in pods:
            conds = {c["type"]: c["status"] for c in p.get("status", {}).get("conditions", [])}
            if p.get("status", {}).get("phase") == "Running" and conds.get("Ready") == "True":
                found[p["spec"]["nodeName"]] = p["metadata"]["name"]
        return set(nodes) <= set(found)

    cluster._wait(f"agent pods Running and Ready on {', '.join(nodes)}", ready, timeout,
                  alive=("kwok",))
    return dict(found)

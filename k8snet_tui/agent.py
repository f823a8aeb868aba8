"""`k8snet agent manifest`: the opt-in node agent, as a DaemonSet the user applies themselves.

The agent is a container that idles on every node with the node's network namespace
(hostNetwork) and only the capabilities reading the datapath needs. k8snet never creates it
and never talks to it directly: it runs `k8snet probe` in the node's agent pod through the API
server's pods/exec subresource, with the user's own credentials (sources/node_exec.py).

Why each setting (docs/test-cluster.md shows it running):
- its own namespace, so one Role can grant exec into the agent and nothing else;
- a ServiceAccount with no token mounted and no RBAC: the agent never calls the API;
- hostNetwork: iptables, nftables, IPVS, routes and conntrack are per network namespace, and
  the node's are the ones kube-proxy writes; no hostPID, no host filesystem;
- capabilities: all dropped but NET_ADMIN (the iptables/nftables/IPVS/conntrack get calls
  check it) and NET_RAW (legacy iptables-save reads its tables through a raw socket);
- read-only root filesystem, no privilege escalation, RuntimeDefault seccomp; a small
  memory-backed /tmp is the only writable place;
- dnsPolicy Default, so the container's /etc/resolv.conf is the node's, as the probe expects;
- tolerates every taint, so control-plane nodes are read too.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from k8snet_tui import __version__

AGENT_NAMESPACE = "k8snet-agent"
AGENT_NAME = "k8snet-agent"
AGENT_CONTAINER = "agent"
NAME_LABEL = "app.kubernetes.io/name"
VERSION_LABEL = "app.kubernetes.io/version"
# No image is published by the project: the default names one built locally (any Python 3.11
# image with `pip install k8snet`, whose PATH then holds `k8snet` and `sleep`).
DEFAULT_IMAGE = f"k8snet:{__version__}"
PROBE_COMMAND = ("k8snet", "probe")


def agent_objects(image: str = DEFAULT_IMAGE, namespace: str = AGENT_NAMESPACE) -> list[dict[str, Any]]:
    """The Namespace, ServiceAccount and DaemonSet of the agent, as plain objects."""
    labels = {NAME_LABEL: AGENT_NAME, VERSION_LABEL: __version__}
    container = {
        "name": AGENT_CONTAINER,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        # It idles: k8snet runs `k8snet probe` in it through pods/exec when the user asks.
        "command": ["sleep", "infinity"],
        "env": [{"name": "PYTHONDONTWRITEBYTECODE", "value": "1"}],
        "securityContext": {
            "privileged": False,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsUser": 0,
            "runAsNonRoot": False,
            "capabilities": {"drop": ["ALL"], "add": ["NET_ADMIN", "NET_RAW"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "resources": {"requests": {"cpu": "5m", "memory": "32Mi"}, "limits": {"memory": "512Mi"}},
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    pod_spec = {
        "serviceAccountName": AGENT_NAME,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "hostNetwork": True,
        "hostPID": False,
        "hostIPC": False,
        "dnsPolicy": "Default",
        "terminationGracePeriodSeconds": 1,
        "tolerations": [{"operator": "Exists"}],
        "containers": [container],
        "volumes": [{"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "16Mi"}}],
    }
    return [
        {"apiVersion": "v1", "kind": "Namespace",
         # hostNetwork and NET_ADMIN are outside the baseline Pod Security level: without this
         # label a cluster enforcing baseline by default would refuse the agent's pods.
         "metadata": {"name": namespace, "labels": {NAME_LABEL: AGENT_NAME,
                                                    "pod-security.kubernetes.io/enforce": "privileged"}}},
        {"apiVersion": "v1", "kind": "ServiceAccount",
         "metadata": {"name": AGENT_NAME, "namespace": namespace, "labels": {NAME_LABEL: AGENT_NAME}},
         "automountServiceAccountToken": False},
        {"apiVersion": "apps/v1", "kind": "DaemonSet",
         "metadata": {"name": AGENT_NAME, "namespace": namespace, "labels": dict(labels)},
         "spec": {"selector": {"matchLabels": {NAME_LABEL: AGENT_NAME}},
                  "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%"}},
                  "template": {"metadata": {"labels": dict(labels)}, "spec": pod_spec}}},
    ]


def reader_role(namespace: str = AGENT_NAMESPACE) -> dict[str, Any]:
    """The Role a user needs to read nodes through the agent (bind it to them yourself).

    `list pods` finds the agent pod of a node (a DaemonSet's pod names are generated, so `get`
    alone cannot); `create pods/exec` runs the probe; `get pods/exec` because the WebSocket
    handshake is an HTTP GET, which the API server authorizes as `get` before its `create` check.
    """
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "k8snet-agent-reader", "namespace": namespace},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]},
                      {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create", "get"]}]}


def manifest_text(image: str = DEFAULT_IMAGE, *, with_role: bool = False) -> str:
    import yaml

    objs = agent_objects(image)
    if with_role:
        objs.append(reader_role())
    header = (f"# k8snet node agent {__version__}: apply it yourself (k8snet never does):\n"
              "#   k8snet agent manifest | kubectl apply -f -\n"
              "# Readers need the Role from `k8snet agent manifest --reader-role`, bound to them.\n")
    return header + "---\n".join(yaml.safe_dump(o, sort_keys=False) for o in objs)


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    p = parser or argparse.ArgumentParser(prog="k8snet agent")
    sub = p.add_subparsers(dest="agent_command", metavar="COMMAND", required=True)
    man = sub.add_parser("manifest", help="print the node agent's DaemonSet (apply it yourself)")
    man.add_argument("--image", default=DEFAULT_IMAGE,
                     help=f"an image with k8snet on PATH (default {DEFAULT_IMAGE}, built locally)")
    man.add_argument("--reader-role", action="store_true",
                     help="also print the Role readers need (list pods, exec into the agent)")
    return p


def add_parser(sub: Any) -> None:
    """`agent` in the top-level `k8snet` help (main() hands the words to `main` below)."""
    build_parser(sub.add_parser("agent", help="the opt-in node agent: `agent manifest` prints it"))


def main(argv: list[str]) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    image = args.image.strip()
    if not image or any(c.isspace() or ord(c) < 32 for c in image):
        print(f"k8snet: --image {image!r} is not an image reference", file=sys.stderr)
        return 2
    sys.stdout.write(manifest_text(image, with_role=args.reader_role))
    return 0

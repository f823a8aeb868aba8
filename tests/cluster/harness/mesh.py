"""Mesh pods in the test cluster: Istio's real redirect rules, written the way its init container does.

For a pod with Istio's sidecar shape (an `istio-init` init container and an `istio-proxy`
container, as the injector leaves it), the agent calls `start`: it runs Istio's own
`pilot-agent istio-iptables` (built by tests/cluster/build.sh from the istio.io/istio module) in
the pod's network namespace with the arguments the injector's template
(manifests/charts/istio-control/istio-discovery/files/injection-template.yaml, the `istio-init`
container) derives from the pod's annotations and the chart's defaults (values.yaml:
includeIPRanges "*", includeInboundPorts "*", statusPort 15020, interception REDIRECT), then
starts meshpod.py listening on the proxy's ports (15001 outbound, 15006 inbound) and the app's
container ports, recording which listener took each connection and its original destination.
Pods whose image is `meshpod` (the scenario's plain destinations and ambient pods) get the same
listeners on their container ports and no rules. Envoy itself never runs here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent.parent  # tests/cluster
PROXY_PORT = "15001"  # MeshConfig.ProxyListenPort default
INBOUND_PORT = "15006"  # MeshConfig.ProxyInboundListenPort default
PROXY_UID = "1337"
STATUS_PORT = "15020"  # values.global.proxy.statusPort
# values.yaml global.proxy defaults the template falls back to
DEFAULTS = {"includeIPRanges": "*", "excludeIPRanges": "", "includeInboundPorts": "*",
            "excludeInboundPorts": "", "includeOutboundPorts": "", "excludeOutboundPorts": ""}
A = "traffic.sidecar.istio.io/"


def _names(items: list[dict] | None) -> set[str]:
    return {c.get("name", "") for c in items or []}


def is_istio_sidecar(pod: dict) -> bool:
    spec = pod.get("spec", {})
    return "istio-init" in _names(spec.get("initContainers")) and "istio-proxy" in _names(spec.get("containers"))


def is_stand_in(pod: dict) -> bool:
    for c in pod.get("spec", {}).get("containers", []):
        last = c.get("image", "").split("@")[0].rsplit("/", 1)[-1]
        if last.split(":")[0] == "meshpod":
            return True
    return False


def handles(pod: dict) -> bool:
    return is_istio_sidecar(pod) or is_stand_in(pod)


def _exclude_inbound_port(port: str, excluded: str) -> str:
    """The template's excludeInboundPort: the status port joins the excluded inbound ports."""
    port = port.strip()
    if not port or port == "0":
        return excluded
    parts = [p.strip() for p in excluded.split(",")]
    if port in parts:
        return excluded
    return ",".join([p for p in parts if p] + [port])


def istio_init_args(pod: dict) -> list[str]:
    """The `istio-init` container's args for `pod`, as the injection template writes them."""
    notes = pod.get("metadata", {}).get("annotations", {}) or {}

    def ann(key: str, default: str) -> str:
        return str(notes.get(key, default))

    mode = ann("sidecar.istio.io/interceptionMode", "REDIRECT")
    args = ["istio-iptables", "-p", PROXY_PORT, "-z", INBOUND_PORT, "-u", PROXY_UID, "-m", mode,
            "-i", ann(A + "includeOutboundIPRanges", DEFAULTS["includeIPRanges"]),
            "-x", ann(A + "excludeOutboundIPRanges", DEFAULTS["excludeIPRanges"]),
            "-b", ann(A + "includeInboundPorts", DEFAULTS["includeInboundPorts"]), "-d"]
    extra = _exclude_inbound_port(ann("status.sidecar.istio.io/port", STATUS_PORT),
                                  ann(A + "excludeInboundPorts", DEFAULTS["excludeInboundPorts"]))
    args.append(f"15090,15021,{extra}" if extra else "15090,15021")
    if A + "includeOutboundPorts" in notes or DEFAULTS["includeOutboundPorts"]:
        args += ["-q", ann(A + "includeOutboundPorts", DEFAULTS["includeOutboundPorts"])]
    if A + "excludeOutboundPorts" in notes or DEFAULTS["excludeOutboundPorts"]:
        args += ["-o", ann(A + "excludeOutboundPorts", DEFAULTS["excludeOutboundPorts"])]
    if "istio.io/reroute-virtual-interfaces" in notes:
        args += ["-k", notes["istio.io/reroute-virtual-interfaces"]]
    elif A + "kubevirtInterfaces" in notes:
        args += ["-k", notes[A + "kubevirtInterfaces"]]
    if A + "excludeInterfaces" in notes:
        args += ["-c", notes[A + "excludeInterfaces"]]
    args.append(f"--log_output_level={ann('sidecar.istio.io/agentLogLevel', 'default:info')}")
    return args


def app_ports(pod: dict) -> list[int]:
    return sorted({int(p["containerPort"]) for c in pod.get("spec", {}).get("containers", [])
                   if c.get("name") != "istio-proxy" for p in c.get("ports", []) or []
                   if str(p.get("protocol", "TCP")) == "TCP" and p.get("containerPort")})


def record_path(pods_dir: Path, namespace: str, name: str) -> Path:
    return pods_dir / f"{namespace}_{name}.mesh.jsonl"


def start(pod: dict, pod_ns: str, pods_dir: Path, bin_dir: Path, log_path: Path,
          spawn: Callable[[str, list[str], Path], subprocess.Popen]) -> tuple[subprocess.Popen, Path]:
    """Write the pod's redirect rules (sidecar pods) and start its listeners; returns the
    listener process and the ready file it writes once every port is bound."""
    md = pod["metadata"]
    ports = app_ports(pod)
    if is_istio_sidecar(pod):
        args = istio_init_args(pod)
        (pods_dir / f"{md['namespace']}_{md['name']}.istio-init.json").write_text(json.dumps(args))
        done = subprocess.run(["ip", "netns", "exec", pod_ns, str(bin_dir / "pilot-agent"), *args],
                              capture_output=True, text=True, timeout=120, check=False)
        with open(log_path, "a") as logf:
            logf.write(f"$ pilot-agent {' '.join(args)}\n{done.stdout}{done.stderr}")
        if done.returncode != 0:
            raise RuntimeError(f"istio-iptables exited {done.returncode}: {done.stderr.strip()[-400:]}")
        ports += [int(PROXY_PORT), int(INBOUND_PORT)]
    ready = pods_dir / f"{md['namespace']}_{md['name']}.mesh.ready"
    ready.unlink(missing_ok=True)
    argv = [sys.executable, "-I", "-S", str(HERE / "meshpod.py"), "--ports", ",".join(map(str, ports or [80])),
            "--pod", md["name"], "--namespace", md["namespace"],
            "--record", str(record_path(pods_dir, md["namespace"], md["name"])), "--ready-file", str(ready)]
    return spawn(pod_ns, argv, log_path), ready


def mesh_crds(bin_dir: Path, *, istio_only: bool = False) -> list[dict]:
    """Istio's CRDs and Gateway API's HTTPRoute and GRPCRoute CRDs, as build.sh copies them
    beside the binaries (bin/mesh-crds: the releases the pinned Istio names)."""
    crds = Path(bin_dir) / "mesh-crds"
    names = ["istio-crd-all.gen.yaml"] + ([] if istio_only else [
        "gateway.networking.k8s.io_httproutes.yaml", "gateway.networking.k8s.io_grpcroutes.yaml"])
    return [d for name in names for d in yaml.safe_load_all((crds / name).read_text()) if d]

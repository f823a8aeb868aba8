"""A real NetworkPolicy enforcer for the test cluster: kube-router's network policy controller.

One kube-router per node, each inside that node's network namespace, with only the firewall
(network policy) controller on: --run-firewall, no router (BGP), no service proxy; it reads
the harness's API server with the admin kubeconfig and filters in the node's filter table
(FORWARD for traffic to and from the node's pods, which the harness routes through the node
namespace: pods are /32 veths, no bridge) with iptables and ipset. It never runs anywhere but
the harness's own namespaces: its one release the Go module proxy serves (v2.1.0) has reported
security flaws (docs/test-cluster.md).

    kr = KubeRouter(cluster); kr.start(); ...; kr.stop()   # stop() also removes its rules/sets
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from .cluster import SERVICE_CIDR, ClusterError, LabCluster

CHAIN_PREFIXES = ("KUBE-ROUTER-", "KUBE-POD-FW-", "KUBE-NWPLCY-")
IPSET_PREFIXES = ("KUBE-SRC-", "KUBE-DST-")
COUNTERS = re.compile(r"\[\d+:\d+\]")
NETCHECK = Path(__file__).resolve().parent / "netcheck.py"


class KubeRouter:
    def __init__(self, cluster: LabCluster, *, sync_period: str = "30s") -> None:
        self.cluster = cluster
        self.sync_period = sync_period
        binary = cluster.bin / "kube-router"
        if not binary.exists():
            raise ClusterError(f"{binary} is missing: run tests/cluster/build.sh (it builds kube-router too)")
        self.binary = binary
        # kube-router runs whichever iptables it finds first: the same backend as kube-proxy.
        mode = cluster.kube_proxy_mode or "iptables-legacy"
        self.mode = mode if mode != "nftables" else "iptables-nft"
        self.backend = "legacy" if self.mode == "iptables-legacy" else "nft"

    def argv(self, node: str) -> list[str]:
        return [str(self.binary), f"--kubeconfig={self.cluster.kubeconfig}", f"--hostname-override={node}",
                "--run-firewall=true", "--run-router=false", "--run-service-proxy=false",
                "--enable-cni=false", "--enable-ipv4=true", "--enable-ipv6=false",
                f"--service-cluster-ip-range={SERVICE_CIDR}", "--health-port=0", "--metrics-port=0",
                f"--iptables-sync-period={self.sync_period}", "--v=1"]

    def start(self, timeout: float = 60) -> None:
        for node in self.cluster.nodes:
            self.cluster._spawn(f"kube-router-{node}", self.argv(node), node=node,
                                env=self.cluster._mode_env(self.mode))
        names = tuple(f"kube-router-{n}" for n in self.cluster.nodes)
        self.cluster._wait("kube-router's KUBE-ROUTER-FORWARD chain on every node",
                           lambda: all(":KUBE-ROUTER-FORWARD" in self.filter_rules(n) for n in self.cluster.nodes),
                           timeout, alive=names, interval=0.5)

    def filter_rules(self, node: str) -> str:
        return self.cluster.iptables_save(node, self.backend, "filter")

    def wait_settled(self, policies: int | Callable[[], int], timeout: float = 60, quiet: float = 2.0) -> None:
        """Until every node's filter table has one KUBE-NWPLCY- chain for each of the cluster's
        `policies` NetworkPolicies (no more, no fewer: deleted ones are gone) and then stays the
        same for `quiet` seconds. kube-router applies a change in one full sync; a policy without
        rules has no comment to look for, but it has its chain. `policies` may be a function (the
        count is asked again each round: deleting a namespace deletes its policies later)."""
        names = tuple(f"kube-router-{n}" for n in self.cluster.nodes)
        deadline = time.monotonic() + timeout
        last, since = None, time.monotonic()
        while True:
            self.cluster._check_alive(*names)
            # without iptables-save's own comments (the time) and the chains' packet counters
            rules = {n: "\n".join(COUNTERS.sub("", ln) for ln in self.filter_rules(n).splitlines()
                                  if not ln.startswith("#"))
                     for n in self.cluster.nodes}
            chains = min(sum(1 for ln in text.splitlines()
                             if ln.startswith(":KUBE-NWPLCY-") and not ln.startswith(":KUBE-NWPLCY-DEFAULT"))
                         for text in rules.values())
            snapshot = json.dumps(rules, sort_keys=True)
            if snapshot != last:
                last, since = snapshot, time.monotonic()
            elif chains == (policies() if callable(policies) else policies) and time.monotonic() - since >= quiet:
                return
            if time.monotonic() > deadline:
                raise ClusterError(f"kube-router did not settle on {policies} policies within {timeout:.0f} s "
                                   f"(policy chains per node: {chains})")
            time.sleep(0.5)

    def stop(self) -> None:
        for node in self.cluster.nodes:
            self.cluster._kill(f"kube-router-{node}")
        for node in self.cluster.nodes:
            self.remove_rules(node)

    def remove_rules(self, node: str) -> None:
        """Delete kube-router's jumps, chains and ipsets in the node (its own cleanup would also
        touch the service proxy's state, which kube-proxy owns here)."""
        ipt = f"iptables-{self.backend}"
        run = self.cluster.run_in_node
        lines = run(node, [ipt, "-t", "filter", "-S"]).stdout.splitlines()
        for line in lines:
            parts = shlex.split(line)  # comments are quoted
            if (len(parts) > 2 and parts[0] == "-A" and parts[1] in ("INPUT", "FORWARD", "OUTPUT")
                    and any(p.startswith("KUBE-ROUTER-") for p in parts)):
                run(node, [ipt, "-t", "filter", "-D", *parts[1:]])
        chains = [ln.split()[1] for ln in lines if ln.startswith("-N ")
                  and ln.split()[1].startswith(CHAIN_PREFIXES)]
        for chain in chains:
            run(node, [ipt, "-t", "filter", "-F", chain])
        for chain in chains:
            run(node, [ipt, "-t", "filter", "-X", chain])
        sets = run(node, ["ipset", "list", "-n"]).stdout.split()
        for s in sets:
            if s.startswith(IPSET_PREFIXES):
                run(node, ["ipset", "destroy", s])

    def leftovers(self, node: str) -> list[str]:
        text = self.filter_rules(node)
        sets = self.cluster.run_in_node(node, ["ipset", "list", "-n"]).stdout.split()
        return ([ln for ln in text.splitlines() if any(p in ln for p in CHAIN_PREFIXES)]
                + [s for s in sets if s.startswith(IPSET_PREFIXES)])


class Listeners:
    """TCP listeners on the given ports inside pods' network namespaces (netcheck.py listen)."""

    def __init__(self, cluster: LabCluster) -> None:
        self.cluster = cluster
        self.procs: list[subprocess.Popen] = []

    def start(self, namespace: str, pod: str, ports: list[int], timeout: float = 10) -> None:
        netns = self.cluster.pod_netns(namespace, pod)
        proc = subprocess.Popen(["ip", "netns", "exec", netns, sys.executable, "-I", "-S", str(NETCHECK),
                                 "listen", *map(str, ports)], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True,
                                start_new_session=True)
        self.procs.append(proc)
        line = proc.stdout.readline() if proc.stdout else ""
        if line.strip() != "listening":
            raise ClusterError(f"listeners on {namespace}/{pod} {ports} did not start")

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)
        self.procs.clear()


def connect_from(cluster: LabCluster, namespace: str, pod: str, targets: list[str],
                 timeout: float = 1.0) -> dict[str, str]:
    """TCP connects from inside a pod's network namespace, in parallel: target -> outcome."""
    netns = cluster.pod_netns(namespace, pod)
    proc = subprocess.run(["ip", "netns", "exec", netns, sys.executable, "-I", "-S", str(NETCHECK), "connect",
                           "--timeout", str(timeout), *targets], capture_output=True, text=True,
                          timeout=30 + timeout, check=False)
    if proc.returncode != 0:
        raise ClusterError(f"netcheck connect in {namespace}/{pod}: {proc.stderr.strip()[-300:]}")
    return json.loads(proc.stdout)


def connect_from_node(cluster: LabCluster, node: str, targets: list[str], timeout: float = 1.0) -> dict[str, str]:
    """The same connects from the node's own network namespace (its host IP as the source)."""
    proc = cluster.run_in_node(node, [sys.executable, "-I", "-S", str(NETCHECK), "connect", "--timeout",
                                      str(timeout), *targets], timeout=30 + timeout)
    if proc.returncode != 0:
        raise ClusterError(f"netcheck connect in {node}: {proc.stderr.strip()[-300:]}")
    return json.loads(proc.stdout)

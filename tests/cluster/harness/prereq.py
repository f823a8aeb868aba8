"""Can the test cluster run here? One precise reason when it cannot."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy",
            "kwok", "coredns")
TOOLS = ("ip", "openssl", "dig", "nft", "iptables-legacy", "iptables-legacy-save",
         "iptables-legacy-restore", "iptables-nft", "iptables-nft-save", "iptables-nft-restore")


def unavailable_reason(env: dict | None = None) -> str | None:
    env = os.environ if env is None else env
    bin_dir = env.get("K8SNET_CLUSTER_BIN")
    if not bin_dir:
        return ("K8SNET_CLUSTER_BIN is not set: build the binaries with tests/cluster/build.sh "
                "(needs Go) or run ./scripts/test, which exports it")
    missing = [b for b in BINARIES if not os.access(Path(bin_dir) / b, os.X_OK)]
    if missing:
        return f"K8SNET_CLUSTER_BIN={bin_dir} lacks {', '.join(missing)}: rerun tests/cluster/build.sh"
    if os.geteuid() != 0:
        return "the test cluster needs root (network namespaces, iptables, nftables)"
    absent = [t for t in TOOLS if shutil.which(t) is None]
    if absent:
        return f"missing tools: {', '.join(absent)} (iproute2, openssl, dnsutils, nftables, iptables)"
    try:
        probe = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=10,
                               check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"`ip netns` does not work here: {e}"
    if probe.returncode != 0:
        return f"`ip netns` does not work here: {probe.stderr.strip()}"
    return None

"""`k8snet probe`: root-only, read-only; prints this node's network state as one JSON document.

Importing this package is cheap and never imports python-iptables: the probe reads legacy
tables with it only in a child process (see `iptc_child`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

NOT_ROOT_MESSAGE = (
    "k8snet probe reads iptables, nftables, IPVS and conntrack state, which needs root.\n"
    "Run it as: sudo k8snet probe\n"
)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="k8snet probe",
        description="Print this node's network state (links, routes, iptables, nftables, IPVS, "
        "conntrack, resolv.conf) as one JSON document. Root only; changes nothing.",
    )
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="deadline for each command (default 8, at most 300)")
    p.add_argument("--conntrack-max", type=int, default=None, metavar="N",
                   help="keep at most N conntrack entries (default 50000)")
    p.add_argument("--indent", type=int, default=None, help="pretty-print the JSON")
    # Off by default: entering each pod's namespace costs ~0.25 s a namespace, and the app polls
    # the probe every few seconds; the mesh pane's pod rules come from `--pod-netns` runs.
    p.add_argument("--pod-netns", action="store_true",
                   help="also read the pods' own network namespaces (their mesh redirect rules)")
    p.add_argument("--no-pod-netns", action="store_true", help=argparse.SUPPRESS)  # the default
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of `k8snet probe` and `python -m k8snet_tui.probe`; returns the exit status."""
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    if os.geteuid() != 0:
        sys.stderr.write(NOT_ROOT_MESSAGE)
        return 2
    from k8snet_tui.probe.trust import check_install

    refusal = check_install()
    if refusal is not None:
        sys.stderr.write(refusal)
        return 2
    from k8snet_tui.probe.collect import COMMAND_TIMEOUT, CONNTRACK_CAP, Probe

    timeout = COMMAND_TIMEOUT if args.timeout is None else min(max(args.timeout, 0.5), 300.0)
    cap = CONNTRACK_CAP if args.conntrack_max is None else min(max(args.conntrack_max, 0), 1_000_000)
    doc = Probe(timeout=timeout, conntrack_cap=cap, pod_netns=args.pod_netns and not args.no_pod_netns).collect()
    # ASCII only: interface names, rule comments and resolv.conf may hold C1 controls or bidi
    # marks, and this document is often read on a terminal (`sudo k8snet probe | less`).
    data = json.dumps(doc, indent=args.indent, ensure_ascii=True).encode("ascii")
    out = sys.stdout.buffer
    out.write(data + b"\n")
    out.flush()
    return 0

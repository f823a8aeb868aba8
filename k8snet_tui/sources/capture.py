"""`k8snet capture`: a live cluster and this node, written as a snapshot directory.

What is kept of each object is what the panes read and nothing else (the allow-list in
`sources/allowlist.py`): Secrets and ConfigMaps other than the networking ones are never
written; of the rest, container commands, environment, probes, volumes, annotations other than
the networking ones, and header values routes add are all dropped.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tarfile
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from k8snet_tui.domain.model import NodeState, Observed, name_of, namespace_of
from k8snet_tui.errors import UsageError
from k8snet_tui.sources.allowlist import slim
from k8snet_tui.sources.kinds import BY_NAME
from k8snet_tui.sources.snapshot import FORMAT

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def scrub(obj: dict[str, Any]) -> dict[str, Any] | None:
    """A copy of `obj` safe to share (its allow-listed fields), or None when it is not captured at all."""
    return slim(obj)


def node_files(node: NodeState) -> dict[str, str]:
    """The standard files of one node directory, from a NodeState."""
    files: dict[str, str] = {}

    def as_json(value: Any) -> str:
        return json.dumps(value, indent=1, sort_keys=False) + "\n"

    for name, value in (("ip-link.json", node.links), ("ip-addr.json", node.addresses),
                        ("ip-route.json", node.routes), ("ip-rule.json", node.rules),
                        ("ip-neigh.json", node.neighbours)):
        if value:
            files[name] = as_json(list(value))
    for backend, text in node.iptables.items():
        files[f"iptables-{backend}-save.txt"] = text
    for backend, text in node.ip6tables.items():
        files[f"ip6tables-{backend}-save.txt"] = text
    if node.nft_ruleset is not None:
        files["nft-ruleset.json"] = as_json(dict(node.nft_ruleset))
    if node.ipvsadm:
        files["ipvsadm.txt"] = node.ipvsadm
    if node.resolv_conf is not None:
        files["resolv.conf"] = node.resolv_conf
    if node.cilium_services is not None:
        files["cilium-services.json"] = as_json(list(node.cilium_services))
    if node.conntrack:
        files["conntrack.json"] = as_json(list(node.conntrack))
    if node.pod_netns:
        files["pod-netns.json"] = as_json(list(node.pod_netns))
    return files


def write_snapshot(out: Path, observed: Observed, *, source: str, notes: str = "",
                   more_nodes: Iterable[tuple[str, NodeState]] = ()) -> dict[str, int]:
    """Write `observed` as a snapshot directory (or .tar.gz when `out` ends so).

    `more_nodes` are other nodes' states, written one by one as the iterable yields them (so
    a capture of many nodes holds only the few being read); a node without data gets no directory.

    Returns how many objects of each kind were written (after scrubbing), by plural name.
    """
    tarball = out.name.endswith((".tar.gz", ".tgz"))
    target = Path(tempfile.mkdtemp(prefix="k8snet-capture-")) / "snapshot" if tarball else out
    if not tarball and out.exists() and any(out.iterdir()):
        raise UsageError(f"{out} exists and is not empty", hint="choose a new directory, or a path ending in .tar.gz")
    (target / "api").mkdir(parents=True, exist_ok=True)
    meta = {"format": FORMAT, "captured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "source": source, "local_node": observed.local_node, "notes": notes}
    (target / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    written: dict[str, int] = {}
    for kind in BY_NAME.values():  # once per kind name: its objects of every group, told apart by apiVersion
        items = [s for s in (scrub(o) for o in observed.cluster.of(kind.kind)) if s is not None]
        if not items and kind.optional:
            continue
        written[kind.plural] = len(items)
        items.sort(key=lambda o: (namespace_of(o), name_of(o)))
        doc = {"apiVersion": "v1", "kind": "List", "items": items}
        (target / "api" / f"{kind.plural}.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    for name, node in observed.nodes.items():
        node_dir = target / "nodes" / name
        node_dir.mkdir(parents=True, exist_ok=True)
        for filename, text in node_files(node).items():
            (node_dir / filename).write_text(text, encoding="utf-8")
    for name, node in more_nodes:
        files = node_files(node)
        if name in observed.nodes or not files:
            continue
        (target / "nodes" / name).mkdir(parents=True, exist_ok=True)
        for filename, text in files.items():
            (target / "nodes" / name / filename).write_text(text, encoding="utf-8")
    if observed.cloud:
        (target / "cloud.json").write_text(json.dumps(dict(observed.cloud), indent=2) + "\n", encoding="utf-8")
    if tarball:
        out.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(out, "w:gz") as tar:
            tar.add(target, arcname=out.name.split(".")[0] or "snapshot")
        shutil.rmtree(target.parent, ignore_errors=True)
    return written


def capture_from_args(args: argparse.Namespace) -> int:
    from k8snet_tui.collect.session import LiveSession
    from k8snet_tui.config import Settings
    from k8snet_tui.runtime import choose_session, list_once

    if getattr(args, "snapshot", None):
        raise UsageError("capture reads a live cluster; --snapshot makes no sense here",
                         hint="leave out --snapshot, or copy the snapshot directory instead")
    session = choose_session(args, Settings.load())
    if not isinstance(session, LiveSession):
        raise UsageError("no cluster to capture: no kubeconfig found",
                         hint="pass --kubeconfig, set $KUBECONFIG, or write ~/.kube/config")
    if args.no_probe:
        session.read_node = None
    observed = list_once(session)
    if args.no_probe:
        # No node directory is written, so naming a local node would make the snapshot's own
        # meta.json a load problem ("names node X, which has no nodes/ directory").
        observed = Observed(cluster=observed.cluster, nodes={}, local_node="", mode="live")
    forbidden = dict(observed.cluster.forbidden)
    out = Path(args.output)
    from k8snet_tui.sources.node_capture import agent_node_states

    # Every other node's state, through the node agents when they are applied (--no-probe: none).
    more_nodes, node_lines = agent_node_states(session, observed) if not args.no_probe else (iter(()), [])
    written = write_snapshot(out, observed, source=f"context {session.context or 'in-cluster'}", notes=args.notes,
                             more_nodes=more_nodes)
    counts = ", ".join(f"{n} {plural}" for plural, n in written.items() if n)
    print(f"wrote {out}: {counts or 'no objects'}")
    for reason in forbidden.values():
        print(f"  {reason} (not in the snapshot)")
    for node in observed.nodes.values():
        for err in node.errors:
            print(f"  node {node.node}: {err}")
    for line in node_lines:
        print(line)
    return 0


__all__ = ["capture_from_args", "node_files", "scrub", "write_snapshot"]

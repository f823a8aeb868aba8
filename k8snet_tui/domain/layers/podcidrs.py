"""Where pod addresses come from: the cluster's pod CIDR and each node's slice of it.

No single object holds the answer. Kubernetes' own IPAM writes Node spec.podCIDRs from
kube-controller-manager's --cluster-cidr; kubeadm records podSubnet in its ConfigMap; Cilium in
cluster-pool mode ignores both and carves its own pool into CiliumNode spec.ipam.podCIDRs. Each
fact keeps the name of its source so a disagreement is visible rather than hidden.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..model import ClusterState, Obj, dig_dict, dig_list, dig_str, key_of, name_of, namespace_of
from ..numbers import parse_decimal
from ..sanitize import clean
from . import cidr
from .nodes import node_pod_cidrs


@dataclass(frozen=True)
class CidrFact:
    """One pod CIDR and where it was read.

    JSON: cidr (as written), valid (parses as a prefix), family (inet|inet6|""), size (addresses),
    source (words naming the object and field), node ("" for cluster-wide ranges),
    per_node_mask (prefix length of each node's slice when the source says), nodes_fit (how
    many such slices fit), note.
    """

    cidr: str
    source: str
    node: str = ""
    per_node_mask: int | None = None
    note: str = ""

    @property
    def valid(self) -> bool:
        return cidr.parse_prefix(self.cidr) is not None and "/" in self.cidr

    def to_json(self) -> dict[str, Any]:
        fits = cidr.subnet_count(self.cidr, self.per_node_mask) if self.per_node_mask is not None else None
        return {
            "cidr": self.cidr,
            "valid": self.valid,
            "family": cidr.family_of(self.cidr) if self.valid else "",
            "size": cidr.prefix_size(self.cidr) if self.valid else 0,
            "source": self.source,
            "node": self.node,
            "per_node_mask": self.per_node_mask,
            "nodes_fit": fits,
            "note": self.note,
        }


def _split(value: str) -> list[str]:
    return [clean(p) for p in re.split(r"[\s,]+", value.strip()) if p]


def _mask_size(value: str, where: str) -> tuple[int | None, str]:
    """A per-node mask size (prefix length) and, when it is written but unreadable, a note saying so."""
    text = value.strip(" \t").strip("'\"")
    if not text:
        return None, ""
    size = parse_decimal(text, hi=128)
    return size, "" if size is not None else f"{where} {clean(text)!r} is not a whole number from 0 to 128: ignored"


def _notes(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def yaml_block_value(text: object, block: str, key: str) -> str | None:
    """`key` under the top-level mapping `block` of a small YAML document, as a plain string.

    Only the shape kubeadm writes is understood: `block:` alone on a line at column 0, then
    indented `key: value` lines. Anything else (flow style, anchors, multi-line values) gives
    None, never an exception: a wrong answer here would mislabel the pod network.
    """
    if not isinstance(text, str):
        return None
    in_block = False
    child_indent: int | None = None
    for raw in text.split("\n"):  # YAML breaks lines at \n (and \r\n), never at U+2028 or U+0085
        line = raw.rstrip(" \t\r")
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(stripped)
        if indent == 0:
            in_block = re.fullmatch(rf"{re.escape(block)}:\s*(#.*)?", stripped) is not None
            child_indent = None
            continue
        if not in_block:
            continue
        if child_indent is None:
            child_indent = indent
        if indent != child_indent:
            continue
        match = re.fullmatch(rf"{re.escape(key)}:\s*(.*)", stripped)
        if match:
            return _scalar(match.group(1))
    return None


def _scalar(value: str) -> str | None:
    value = value.strip()
    if value[:1] in ("'", '"'):
        quote = value[0]
        end = value.find(quote, 1)
        return value[1:end] if end > 0 else None
    value = re.split(r"\s+#", value, maxsplit=1)[0].strip()
    if not value or value[0] in "{[&*|>!":
        return None
    return value


def _flags(pod: Obj) -> dict[str, str]:
    args: list[str] = []
    for container in dig_list(pod, "spec", "containers"):
        args += [a for a in dig_list(container, "command") if isinstance(a, str)]
        args += [a for a in dig_list(container, "args") if isinstance(a, str)]
    flags: dict[str, str] = {}
    for i, arg in enumerate(args):
        if not arg.startswith("--"):
            continue
        name, sep, value = arg[2:].partition("=")
        if not sep and i + 1 < len(args) and not args[i + 1].startswith("-"):
            value = args[i + 1]
        flags.setdefault(name, value)
    return flags


def _controller_managers(cluster: ClusterState) -> list[Obj]:
    return [  # kube-system's pods only (a live store hands them out alone: no walk of every pod)
        p
        for p in cluster.in_namespace("Pod", "kube-system")
        if (dig_str(p, "metadata", "labels", "component") == "kube-controller-manager"
             or name_of(p).startswith("kube-controller-manager"))
    ]


def cilium_configs(cluster: ClusterState) -> list[tuple[str, dict[str, str]]]:
    """Every ConfigMap named cilium-config (kube-system first), as (ns/name, data)."""
    found = [cm for cm in cluster.of("ConfigMap") if name_of(cm) == "cilium-config"]
    found.sort(key=lambda cm: namespace_of(cm) != "kube-system")
    out = []
    for cm in found:
        data = {k: v for k, v in dig_dict(cm, "data").items() if isinstance(k, str) and isinstance(v, str)}
        out.append((clean(key_of(cm)), data))
    return out


def cluster_pod_cidrs(cluster: ClusterState | None) -> tuple[CidrFact, ...]:
    """Cluster-wide pod ranges from every source that names one."""
    if cluster is None:
        return ()
    out: list[CidrFact] = []
    for where, data in cilium_configs(cluster):
        for fam in ("ipv4", "ipv6"):
            pool = data.get(f"cluster-pool-{fam}-cidr", "")
            mask, bad = _mask_size(data.get(f"cluster-pool-{fam}-mask-size", ""), f"cluster-pool-{fam}-mask-size")
            for value in _split(pool):
                out.append(CidrFact(value, f"ConfigMap {where} cluster-pool-{fam}-cidr", per_node_mask=mask,
                                    note=_notes("used when Cilium's ipam is cluster-pool", bad)))
    kubeadm = cluster.configmap("kube-system", "kubeadm-config").get("ClusterConfiguration")
    subnet = yaml_block_value(kubeadm, "networking", "podSubnet")
    for value in _split(subnet or ""):
        out.append(CidrFact(value, "ConfigMap kube-system/kubeadm-config ClusterConfiguration networking.podSubnet"))
    for pod in _controller_managers(cluster):
        flags = _flags(pod)
        mask, bad = _mask_size(flags.get("node-cidr-mask-size", ""), "--node-cidr-mask-size")
        if mask is None:
            mask, bad4 = _mask_size(flags.get("node-cidr-mask-size-ipv4", ""), "--node-cidr-mask-size-ipv4")
            bad = _notes(bad, bad4)
        allocate = flags.get("allocate-node-cidrs", "")
        note = "" if allocate.lower() in ("true", "") else f"--allocate-node-cidrs={clean(allocate)}: nodes get no podCIDR"
        for value in _split(flags.get("cluster-cidr", "")):
            out.append(CidrFact(value, f"Pod {clean(key_of(pod))} --cluster-cidr", per_node_mask=mask,
                                note=_notes(note, bad)))
    return tuple(out)


def node_cidrs(cluster: ClusterState | None) -> tuple[CidrFact, ...]:
    """Per-node pod ranges: Node spec.podCIDRs and CiliumNode spec.ipam.podCIDRs."""
    if cluster is None:
        return ()
    out = []
    for node in cluster.of("Node"):
        for value in node_pod_cidrs(node):
            out.append(CidrFact(value, "Node spec.podCIDRs", node=clean(name_of(node))))
    for cnode in cluster.of("CiliumNode"):
        for value in dig_list(cnode, "spec", "ipam", "podCIDRs"):
            if isinstance(value, str):
                out.append(CidrFact(clean(value), "CiliumNode spec.ipam.podCIDRs", node=clean(name_of(cnode))))
    return tuple(out)

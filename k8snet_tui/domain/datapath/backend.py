"""Which service datapath a node runs, and the node's datapath parsed once for many traces."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..model import ClusterState, NodeState
from .cilium import CiliumServices, parse_cilium_services
from .iptables_lazy import index_iptables_save
from .iptables_save import IptablesDump
from .ipvsadm import IpvsTable, parse_ipvsadm
from .nft_json import NftRuleset, parse_nft_json
from .problems import ParseProblem

BACKENDS = ("iptables-legacy", "iptables-nft", "nftables", "ipvs", "cilium", "none")


@dataclass(frozen=True)
class Datapath:
    """A node's parsed service datapath. Build once per NodeState with `parse_node_datapath`."""

    node: str
    backend: str  # one of BACKENDS
    reasons: tuple[str, ...]  # why that backend was chosen, in words
    detected: tuple[str, ...]  # every backend with kube-proxy/cilium state on the node
    iptables: Mapping[str, IptablesDump] = field(default_factory=dict)  # "legacy"/"nft" -> dump
    nft: NftRuleset | None = None
    ipvs: IpvsTable | None = None
    cilium: CiliumServices | None = None
    other_problems: tuple[ParseProblem, ...] = ()  # nft, ipvs, cilium (the dumps' are theirs)

    @property
    def problems(self) -> tuple[ParseProblem, ...]:
        """Every parse problem: the iptables dumps' (which parses them in full), then the others'."""
        return tuple(p for d in self.iptables.values() for p in d.problems) + self.other_problems

    @property
    def iptables_dump(self) -> IptablesDump | None:
        """The dump kube-proxy writes to on this node (the chosen iptables backend)."""
        if self.backend == "iptables-legacy":
            return self.iptables.get("legacy")
        if self.backend == "iptables-nft":
            return self.iptables.get("nft")
        if self.backend == "ipvs":  # IPVS mode still writes iptables rules; prefer the busier one
            dumps = sorted(self.iptables.values(), key=lambda d: d.rule_count, reverse=True)
            return dumps[0] if dumps else None
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "backend": self.backend,
            "reasons": list(self.reasons),
            "detected": list(self.detected),
            "iptables": {k: {"rules": d.rule_count, "lines": d.line_count, "warnings": list(d.warnings)}
                         for k, d in self.iptables.items()},
            "problems": [p.to_json() for p in self.problems],
        }


def _has_kube_proxy_rules(dump: IptablesDump) -> bool:
    quick = getattr(dump, "has_rules", None)  # a lazy dump tells without parsing the chain
    known = quick("nat", "KUBE-SERVICES") if quick is not None else None
    if known is not None:
        return bool(known)
    return dump.chain("nat", "KUBE-SERVICES") is not None and bool(dump.rules("nat", "KUBE-SERVICES"))


def _has_hint(dump: IptablesDump) -> bool:
    return any(dump.chain("mangle", c) is not None for c in ("KUBE-IPTABLES-HINT", "KUBE-KUBELET-CANARY"))


def _is_ipvs_mode(dump: IptablesDump) -> bool:
    # IPVS mode matches service IPs through ipsets instead of per-service chains. A rule naming
    # the set holds its name: a lazy dump reads only those rules (None: it must parse them all).
    holding = getattr(dump, "rules_holding", None)
    rules = holding("nat", "KUBE-SERVICES", "KUBE-CLUSTER-IP") if holding is not None else None
    for rule in dump.rules("nat", "KUBE-SERVICES") if rules is None else rules:
        if rule.option("--match-set", "set") and "KUBE-CLUSTER-IP" in (rule.option("--match-set", "set") or ""):
            return True
    return dump.chain("nat", "KUBE-LOAD-BALANCER") is not None


def cilium_replaces_kube_proxy(cluster: ClusterState | None) -> bool | None:
    """True/False from the cilium-config ConfigMap; None when there is no such ConfigMap."""
    if cluster is None:
        return None
    data = cluster.configmap("kube-system", "cilium-config")
    if not data:
        return None
    value = data.get("kube-proxy-replacement", "").strip().lower()
    return value in ("true", "strict")


def parse_node_datapath(node: NodeState, cluster: ClusterState | None = None) -> Datapath:
    problems: list[ParseProblem] = []
    dumps: dict[str, IptablesDump] = {}
    for name, text in (node.iptables or {}).items():
        if isinstance(text, str):
            # Indexed now, each chain parsed when a trace first reads it (iptables_lazy).
            dumps[str(name)] = index_iptables_save(text, str(name))
    nft = parse_nft_json(node.nft_ruleset) if node.nft_ruleset is not None else None
    if nft is not None:
        problems.extend(nft.problems)
    ipvs = parse_ipvsadm(node.ipvsadm) if isinstance(node.ipvsadm, str) else None
    if ipvs is not None:
        problems.extend(ipvs.problems)
    cil = parse_cilium_services(list(node.cilium_services)) if node.cilium_services is not None else None
    if cil is not None:
        problems.extend(cil.problems)

    detected: list[str] = []
    reasons: list[str] = []
    kpr = cilium_replaces_kube_proxy(cluster)
    if kpr:
        detected.append("cilium")
        reasons.append("cilium-config sets kube-proxy-replacement")
    elif cil is not None and cil.services and kpr is None and not any(_has_kube_proxy_rules(d) for d in dumps.values()):
        detected.append("cilium")
        reasons.append("cilium lists services and there are no kube-proxy rules")
    if nft is not None and (nft.has_table("ip", "kube-proxy") or nft.has_table("ip6", "kube-proxy")):
        detected.append("nftables")
        reasons.append("nftables table 'kube-proxy' exists")
    if (ipvs is not None and ipvs.services) or any(_is_ipvs_mode(d) for d in dumps.values()):
        detected.append("ipvs")
        reasons.append("IPVS virtual services or ipset-based KUBE-SERVICES rules exist")
    # With rules in both backends, the one kubelet/kube-proxy marked with a hint chain in
    # mangle (iptables-wrappers' test) and holding more rules is the live one.
    live = [n for n in ("legacy", "nft")
            if n in dumps and _has_kube_proxy_rules(dumps[n]) and not _is_ipvs_mode(dumps[n])]
    if len(live) > 1:  # rule_count parses a lazy dump in full: only asked when it decides something
        live.sort(key=lambda n: (_has_hint(dumps[n]), dumps[n].rule_count), reverse=True)
    for name in live:
        detected.append(f"iptables-{name}")
        reasons.append(f"nat KUBE-SERVICES has rules in the iptables-{name} backend")
    backend = detected[0] if detected else "none"
    if backend in ("iptables-legacy", "iptables-nft"):
        from .trace_iptables import prepare  # the entry-rule indexes, built with the parse

        prepare(dumps[backend.removeprefix("iptables-")])
    elif backend == "nftables" and nft is not None:
        from .trace_nft import prepare as prepare_nft  # the map indexes, built with the parse

        prepare_nft(nft)
    if not detected:
        reasons.append("no kube-proxy or cilium service state found on this node")
    elif len(detected) > 1:
        reasons.append(f"also found: {', '.join(detected[1:])} (leftovers or a second proxy)")
    return Datapath(
        node=node.node or node.hostname,
        backend=backend,
        reasons=tuple(reasons),
        detected=tuple(detected),
        iptables=MappingProxyType(dumps),
        nft=nft,
        ipvs=ipvs,
        cilium=cil,
        other_problems=tuple(problems),
    )

"""Follow one service port through kube-proxy's iptables rules (iptables-legacy or -nft)."""

from __future__ import annotations

from .balance import explain, shares
from .chain_names import iptables_chain_names, iptables_endpoint_chain, service_port_name
from .endpoints import ServicePort
from .iptables_save import IptablesDump, Rule
from .ipvsadm import split_host_port
from .trace_model import Finding, KernelEndpoint, KernelPortView, Step

_MASQ = "KUBE-MARK-MASQ"


def _step(rule: Rule, depth: int, kind: str) -> Step:
    return Step(depth, kind, rule.chain, rule.index, rule.text, rule.packets, rule.bytes, rule.table)


def _kind(rule: Rule) -> str:
    t = rule.target
    if t == _MASQ:
        return "masquerade"
    if t == "DNAT":
        return "dnat"
    if t == "REJECT":
        return "reject"
    if t == "DROP":
        return "drop"
    if t.startswith("KUBE-SEP-"):
        return "affinity" if rule.has_module("recent") else "endpoint"
    if t.startswith(("KUBE-SVC-", "KUBE-SVL-", "KUBE-EXT-", "KUBE-FW-")):
        return "jump"
    return "other"


def trace_iptables_port(dump: IptablesDump, namespace: str, name: str, port: ServicePort) -> KernelPortView:
    spn = service_port_name(namespace, name, port.name)
    proto = port.protocol.lower()
    names = iptables_chain_names(spn, proto)
    present = {role: (n if dump.chain("nat", n) is not None else None) for role, n in names.items()}
    steps: list[Step] = []
    findings: list[Finding] = []

    # Entry points: rules anywhere in nat that jump to this port's chains.
    for role in ("service", "local", "external", "firewall"):
        for rule in dump.jumps_to("nat", names[role]):
            if not rule.chain.startswith(("KUBE-SVC-", "KUBE-SVL-", "KUBE-EXT-", "KUBE-FW-")):
                steps.append(_step(rule, 0, "entry"))

    for role in ("firewall", "external"):
        chain = present[role]
        if chain:
            for rule in dump.rules("nat", chain):
                steps.append(_step(rule, 1, _kind(rule)))

    # The chain ClusterIP traffic takes holds the endpoints kube-proxy balances over.
    lb_chain = present["service"] or present["local"]
    endpoints: list[KernelEndpoint] = []
    probabilities: list[str | None] = []
    affinity_seconds = None
    comment_missing = 0
    for chain in (c for c in (present["service"], present["local"]) if c):
        collect = chain == lb_chain
        for rule in dump.rules("nat", chain):
            kind = _kind(rule)
            steps.append(_step(rule, 2, kind))
            if kind == "affinity":
                secs = rule.option("--seconds", "recent")
                if secs and secs.isdigit():
                    affinity_seconds = int(secs)
            if kind != "endpoint":
                continue
            if rule.comment is None:
                comment_missing += 1
            dnat_rule = None
            for sep_rule in dump.rules("nat", rule.target):
                sk = _kind(sep_rule)
                steps.append(_step(sep_rule, 3, sk))
                if sk == "dnat":
                    dnat_rule = sep_rule
            if not collect:
                continue
            dest = dnat_rule.dnat_destination if dnat_rule else None
            hp = split_host_port(dest) if dest else None
            if hp is None and rule.comment and " -> " in rule.comment:
                hp = split_host_port(rule.comment.rsplit(" -> ", 1)[1])
            if hp is None:
                findings.append(Finding("warning", "endpoint-chain-unreadable",
                                        f"{rule.target} has no DNAT rule; its endpoint is unknown"))
                hp = ("?", 0)
            elif iptables_endpoint_chain(spn, proto, hp[0], hp[1]) != rule.target:
                findings.append(Finding("info", "endpoint-chain-name-mismatch",
                                        f"{rule.target} does not hash from {spn} {proto} {hp[0]}:{hp[1]}"))
            counters = dnat_rule or rule
            probabilities.append(rule.probability)
            endpoints.append(KernelEndpoint(hp[0], hp[1], rule.target, rule.probability, 0.0,
                                            counters.packets, counters.bytes))
    split = shares(probabilities)
    endpoints = [
        KernelEndpoint(e.address, e.port, e.chain, e.probability, s, e.packets, e.bytes)
        for e, s in zip(endpoints, split)
    ]

    # No endpoints: kube-proxy rejects in the filter table, commented "<spn> has no endpoints".
    rejects = False
    for chain in ("KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES", "KUBE-NODEPORTS"):
        for rule in dump.rules("filter", chain):
            c = rule.comment or ""
            if c.startswith(spn + " has no") and rule.target in ("REJECT", "DROP"):
                steps.append(_step(rule, 0, _kind(rule)))
                rejects = True

    if comment_missing and endpoints:
        findings.append(Finding("info", "comments-dropped",
                                "endpoint rules carry no comments (kube-proxy drops them above 1000 "
                                "endpoints); chains were matched by their hash"))
    found = any(present.values()) or rejects
    return KernelPortView(
        chains=present,
        endpoints=tuple(endpoints),
        steps=tuple(steps),
        findings=tuple(findings),
        explanation=explain(probabilities),
        found=found,
        rejects=rejects,
        affinity_seconds=affinity_seconds,
    )

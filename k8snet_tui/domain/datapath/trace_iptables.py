"""Follow one service port through kube-proxy's iptables rules (iptables-legacy or -nft)."""

from __future__ import annotations

from .balance import explain, shares
from .chain_names import iptables_chain_names, iptables_endpoint_chain, service_port_name
from .endpoints import ServicePort
from .iptables_save import IptablesDump, Rule
from .ipvsadm import split_host_port
from .trace_model import Finding, KernelEndpoint, KernelPortView, Step, StepLog

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
    log = StepLog()
    findings: list[Finding] = []

    # Entry points: rules anywhere in nat that jump to this port's chains.
    for role in ("service", "local", "external", "firewall"):
        for rule in dump.jumps_to("nat", names[role]):
            if not rule.chain.startswith(("KUBE-SVC-", "KUBE-SVL-", "KUBE-EXT-", "KUBE-FW-")):
                log.add(_step(rule, 0, "entry"))

    for role in ("firewall", "external"):
        chain = present[role]
        if chain:
            for rule in dump.rules("nat", chain):
                log.add(_step(rule, 1, _kind(rule)))

    # The chain ClusterIP traffic takes holds the endpoints kube-proxy balances over. Each
    # endpoint chain is walked once, however many rules jump to it (a dump where N rules jump
    # to one chain of N rules must stay linear); rules into a chain already seen add their
    # share to that endpoint.
    lb_chain = present["service"] or present["local"]
    endpoints: list[KernelEndpoint] = []
    by_chain: dict[str, int] = {}
    probabilities: list[str | None] = []
    rule_endpoint: list[int] = []  # per balancing rule, its index in `endpoints`
    walked: dict[str, Rule | None] = {}  # endpoint chain -> its DNAT rule
    affinity_seconds = None
    comment_missing = 0
    for chain in (c for c in (present["service"], present["local"]) if c):
        collect = chain == lb_chain
        for rule in dump.rules("nat", chain):
            kind = _kind(rule)
            log.add(_step(rule, 2, kind))
            if kind == "affinity":
                secs = rule.option("--seconds", "recent")
                if secs and secs.isascii() and secs.isdigit():
                    affinity_seconds = int(secs)
            if kind != "endpoint":
                continue
            if rule.comment is None:
                comment_missing += 1
            if rule.target not in walked:
                dnat_rule = None
                for sep_rule in dump.rules("nat", rule.target):
                    sk = _kind(sep_rule)
                    log.add(_step(sep_rule, 3, sk))
                    if sk == "dnat" and dnat_rule is None:
                        dnat_rule = sep_rule
                walked[rule.target] = dnat_rule
            if not collect:
                continue
            probabilities.append(rule.probability)
            if rule.target in by_chain:
                rule_endpoint.append(by_chain[rule.target])
                continue
            dnat_rule = walked[rule.target]
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
            by_chain[rule.target] = len(endpoints)
            rule_endpoint.append(len(endpoints))
            endpoints.append(KernelEndpoint(hp[0], hp[1], rule.target, rule.probability, 0.0,
                                            counters.packets, counters.bytes))
    split = [0.0] * len(endpoints)
    for i, s in zip(rule_endpoint, shares(probabilities), strict=True):
        split[i] += s
    endpoints = [
        KernelEndpoint(e.address, e.port, e.chain, e.probability, s, e.packets, e.bytes)
        for e, s in zip(endpoints, split, strict=True)
    ]

    # No endpoints: kube-proxy rejects in the filter table, commented "<spn> has no endpoints".
    rejects = False
    for chain in ("KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES", "KUBE-NODEPORTS"):
        for rule in dump.rules("filter", chain):
            c = rule.comment or ""
            if c.startswith(spn + " has no") and rule.target in ("REJECT", "DROP"):
                log.add(_step(rule, 0, _kind(rule)))
                rejects = True

    if comment_missing and endpoints:
        findings.append(Finding("info", "comments-dropped",
                                "endpoint rules carry no comments (kube-proxy drops them above 1000 "
                                "endpoints); chains were matched by their hash"))
    found = any(present.values()) or rejects
    return KernelPortView(
        chains=present,
        endpoints=tuple(endpoints),
        steps=tuple(log.steps),
        findings=tuple(findings + log.findings()),
        explanation=explain(probabilities),
        found=found,
        rejects=rejects,
        affinity_seconds=affinity_seconds,
    )

"""Follow one service port through kube-proxy's iptables rules (iptables-legacy or -nft).

Every entry point of the port (ClusterIP, NodePort, external IPs, load-balancer IPs) is found
by the rules that match its destination and port in KUBE-SERVICES / KUBE-NODEPORTS, so old
layouts (KUBE-XLB before 1.24, the `ns/name:` port-name form, dumps without comments) trace the
same as new ones. From there the chains are walked as the kernel would for one client:
a pod on another node for the ClusterIP (the "cluster" path), a client outside the cluster for
the others (the "external" path). Each chain is walked once per port and its outcome reused,
so the work is linear in the rules, however many rules jump to one chain.
"""

from __future__ import annotations

import weakref
from typing import Any

from .balance import explain
from .chain_names import iptables_chain_names, iptables_endpoint_chain, service_port_name
from .endpoints import ServicePort
from .iptables_save import IptablesDump, Rule
from .ipvsadm import split_host_port
from .trace_model import (
    CHAIN_ROLES,
    ChainWalk,
    Client,
    Finding,
    KernelEndpoint,
    KernelPath,
    KernelPortView,
    Outcome,
    Step,
    StepLog,
)

_MASQ = "KUBE-MARK-MASQ"
_DROP_MARK = "KUBE-MARK-DROP"
_ROLE_PREFIX = {"KUBE-SVC-": "service", "KUBE-SVL-": "local", "KUBE-EXT-": "external",
                "KUBE-XLB-": "external", "KUBE-FW-": "firewall"}
_PORT_CHAINS = tuple(_ROLE_PREFIX)
_FILTER_CHAINS = ("KUBE-PROXY-FIREWALL", "KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES", "KUBE-NODEPORTS")


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
    if t in ("DROP", _DROP_MARK):
        return "drop"
    if t.startswith("KUBE-SEP-"):
        return "affinity" if rule.has_module("recent") else "endpoint"
    if t.startswith(_PORT_CHAINS):
        return "jump"
    return "other"


def _bare(addr: str | None) -> str:
    if not addr:
        return ""
    return addr[:-3] if addr.endswith("/32") else addr[:-4] if addr.endswith("/128") else addr


# ---- an index of the entry rules, built once per dump ---------------------------------------

def prepare(dump: IptablesDump) -> None:
    """Build the per-dump indexes a trace uses, so the first trace costs what the others do.

    A lazy dump whose entry chains are surely rules line by line needs none: a trace reads the
    rules holding its address or port name (`rules_holding`), without parsing the chains."""
    if _reads_by_word(dump):
        return
    for table, chain in _ENTRY_CHAINS:
        _entry_index(dump, table, chain)
    _comment_index(dump)


def _reads_by_word(dump: IptablesDump) -> bool:
    quick = getattr(dump, "has_rules", None)
    return quick is not None and all(quick(t, c) is not None for t, c in _ENTRY_CHAINS)


_CACHE: dict[tuple[int, str], tuple[Any, Any]] = {}  # for dumps without a __dict__


def _cached(dump: IptablesDump, name: str, build: Any) -> Any:
    """`build(dump)`, made once per dump (kept on the dump, or here while the dump lives)."""
    attrs = getattr(dump, "__dict__", None)
    if attrs is not None:
        hit = attrs.get(name)
        return hit if hit is not None else attrs.setdefault(name, build(dump))
    key = (id(dump), name)
    entry = _CACHE.get(key)
    if entry is not None and entry[0]() is dump:
        return entry[1]
    value = build(dump)
    def forget(_ref: Any, key: tuple[int, str] = key) -> None:
        _CACHE.pop(key, None)

    try:
        ref = weakref.ref(dump, forget)
    except TypeError:  # neither a __dict__ nor weak references: build each time
        return value
    _CACHE[key] = (ref, value)
    return value


def _entry_index(dump: IptablesDump, table: str, chain: str) -> dict[tuple[str, str], list[Rule]]:
    """(destination or "", dport) -> rules of one chain entry points live in."""
    return _cached(dump, f"_k8snet_entries {table} {chain}",  # type: ignore[no-any-return]
                   lambda d: _build_entry_index(d, table, chain))


_ENTRY_CHAINS = (("nat", "KUBE-SERVICES"), ("nat", "KUBE-NODEPORTS"), *(("filter", c) for c in _FILTER_CHAINS))


def _entry_key(rule: Rule) -> tuple[str, str] | None:
    """(destination or "", dport) the entry index files a rule under; None: not filed."""
    dport = dest = None
    for m in rule.matches:  # one pass: this runs over every service rule once
        opt = m.option
        if opt == "--dport":
            dport = m.value
        elif opt == "-d" and dest is None:
            dest = m.value
    return None if dport is None else (_bare(dest), dport)


def _build_entry_index(dump: IptablesDump, table: str, chain: str) -> dict[tuple[str, str], list[Rule]]:
    out: dict[tuple[str, str], list[Rule]] = {}
    for rule in dump.rules(table, chain):
        key = _entry_key(rule)
        if key is not None:
            lst = out.get(key)
            if lst is None:
                out[key] = [rule]
            else:
                lst.append(rule)
    return out


def _entries(dump: IptablesDump, table: str, chain: str, addr: str, dport: str) -> list[Rule]:
    """The entry index's rules for (addr, dport) in one chain. A rule filed under an address
    holds it in its text, so a lazy dump that can read the rules holding a word gives them
    without the index (which parses every rule of the chain: 10,903 in KUBE-SERVICES at L)."""
    holding = getattr(dump, "rules_holding", None)
    if addr and holding is not None and f"_k8snet_entries {table} {chain}" not in getattr(dump, "__dict__", {}):
        rules = holding(table, chain, addr)
        if rules is not None:
            return [r for r in rules if _entry_key(r) == (addr, dport)]
    return _entry_index(dump, table, chain).get((addr, dport), [])


def _comment_index(dump: IptablesDump) -> dict[str, list[Rule]]:
    """The first word of nat rule comments (`ns/name:port`) -> rules jumping to a port chain."""
    return _cached(dump, "_k8snet_comments", _build_comment_index)  # type: ignore[no-any-return]


def _build_comment_index(dump: IptablesDump) -> dict[str, list[Rule]]:
    out: dict[str, list[Rule]] = {}
    for chain in ("KUBE-SERVICES", "KUBE-NODEPORTS"):
        for rule in dump.rules("nat", chain):
            c = rule.comment
            if c and rule.target.startswith(_PORT_CHAINS):
                out.setdefault(c.split(" ", 1)[0], []).append(rule)
    return out


def _commented(dump: IptablesDump, spn: str) -> list[Rule]:
    """The comment index's rules for `spn`, read off the rules holding it when the dump can."""
    holding = getattr(dump, "rules_holding", None)
    if spn and holding is not None and "_k8snet_comments" not in getattr(dump, "__dict__", {}):
        parts = [holding("nat", chain, spn) for chain in ("KUBE-SERVICES", "KUBE-NODEPORTS")]
        if parts[0] is not None and parts[1] is not None:
            return [r for part in parts for r in part
                    if r.comment and r.target.startswith(_PORT_CHAINS) and r.comment.split(" ", 1)[0] == spn]
    return _comment_index(dump).get(spn, [])


# ---- one client's walk -------------------------------------------------------------------

class _Client(Client):
    __slots__ = ()

    def matches(self, rule: Rule, in_firewall: bool) -> bool:
        for m in rule.matches:
            opt = m.option
            if opt == "-s":
                # Source-specific rules (hairpin, pod CIDR short-cuts) are not for this client,
                # except in a firewall chain: there the client is one the source ranges admit.
                # `! -s <pod CIDR>` holds for an outside client, not for a pod.
                if m.negated:
                    if not self.external:
                        return False
                elif not in_firewall:
                    return False
            elif opt == "--src-type":
                if (m.value == "LOCAL") != m.negated:
                    return False  # traffic from the node itself
            elif opt == "--rcheck":
                return False  # affinity: a new client is in no recent list
            elif opt == "-d":
                dest = _bare(m.value)
                same = dest == self.address if self.address else not dest.startswith("127.")
                if same == m.negated:
                    return False
            elif opt in ("--dport", "-p"):
                want = str(self.port) if opt == "--dport" else self.protocol
                if (m.value.lower() == want) == m.negated:
                    return False
        return True


class _Walk(ChainWalk[_Client]):
    def __init__(self, dump: IptablesDump, log: StepLog, findings: list[Finding]):
        super().__init__(log, findings)
        self.dump = dump
        self.entry_logged: set[int] = set()
        self.affinity: int | None = None

    def chain_rules(self, name: str) -> tuple[Any, bool]:
        return self.dump.rules("nat", name), name.startswith("KUBE-FW-")

    def rules(self, rules: Any, client: _Client, depth: int, log: bool, in_firewall: bool = False,
              entry: bool = False) -> Outcome:
        out = Outcome()
        left = 1.0
        for rule in rules:
            kind = "entry" if entry and rule.target.startswith(_PORT_CHAINS) else _kind(rule)
            if log and not (entry and id(rule) in self.entry_logged):
                self.log.add(_step(rule, depth, kind))
                if entry:
                    self.entry_logged.add(id(rule))
            target = rule.target
            if rule.has_module("recent") and rule.option("--rcheck", "recent") is not None:
                secs = rule.option("--seconds", "recent")
                if secs and secs.isascii() and secs.isdigit():
                    self.affinity = int(secs)
            applies = client.matches(rule, in_firewall)
            # (the marks first: KUBE-MARK-MASQ is met ~100k times in a big dump, as a jump)
            sub_target = target and target not in (_MASQ, _DROP_MARK) and self.dump.chain("nat", target) is not None
            if not applies:
                if sub_target and log and target.startswith(_PORT_CHAINS + ("KUBE-SEP-",)):
                    self.chain(target, client, depth + 1)  # list it once, though this client skips it
                continue
            if left <= 0.0:
                continue
            p = 1.0
            prob = rule.probability
            if prob is not None:
                try:
                    p = min(max(float(prob), 0.0), 1.0)
                except ValueError:
                    p = 0.0
            part = left * p
            if in_firewall and target != _MASQ:
                for m in rule.matches:
                    if m.option == "-s" and not m.negated and m.value not in out.source_ranges:
                        out.source_ranges.append(m.value)
            if target == _MASQ:
                out.masquerade += part
                continue  # marks and comes back
            if target == "DNAT":
                dest = rule.dnat_destination or "?"
                out.dnat[(dest, rule.chain)] = out.dnat.get((dest, rule.chain), 0.0) + part
            elif target in ("DROP", _DROP_MARK):
                out.dropped += part
            elif target == "REJECT":
                out.rejected += part
            elif target == "RETURN":
                out.fall += part
            elif target == "ACCEPT":
                out.fall += part  # nat ACCEPT: leaves the nat table without a DNAT
            elif sub_target:
                back = out.add(self.chain(target, client, depth + 1), part)
                left = left - part + back
                continue
            else:
                continue  # MARK, counters, CONNMARK: no verdict here
            left -= part
        out.fall += left
        return out


def _filter_verdict(dump: IptablesDump, client: _Client, node_port: bool) -> tuple[str, Rule] | None:
    """The REJECT/DROP kube-proxy's filter rules give this entry point, if any."""
    addr = "" if node_port else client.address
    for chain in _FILTER_CHAINS:
        for rule in _entries(dump, "filter", chain, addr, str(client.port)):
            if rule.target in ("REJECT", "DROP") and client.matches(rule, in_firewall=False):
                return rule.target, rule
    return None


def _entry_rules(dump: IptablesDump, chain: str, client: _Client, proto: str,
                 own: tuple[set[str], list[str]]) -> list[Rule]:
    """The rules that take this entry point's packets: the port's own when it has any.

    Two services can claim one address and port (or NodePort); the kernel takes the first
    rule, but each port's trace follows its own rules, known by chain name or comment.
    """
    rules = [r for r in _entries(dump, "nat", chain, client.address, str(client.port)) if (r.protocol or proto) == proto]
    chains, spns = own
    mine = [r for r in rules if r.target in chains or (r.comment or "").split(" ", 1)[0] in spns]
    return mine or rules


def _path(walk: _Walk, dump: IptablesDump, name: str, entry: str, client: _Client,
          proto: str, own: tuple[set[str], list[str]]) -> KernelPath | None:
    chain = "KUBE-NODEPORTS" if entry == "node-port" else "KUBE-SERVICES"
    rules = _entry_rules(dump, chain, client, proto, own)
    out = walk.rules(rules, client, 0, log=True, entry=True) if rules else Outcome(fall=1.0)
    verdict = _filter_verdict(dump, client, entry == "node-port") if out.fall > 1e-12 else None
    if verdict is not None:
        walk.log.add(_step(verdict[1], 0, _kind(verdict[1])))
    if not rules and verdict is None:
        return None
    dropped, rejected, unhandled = out.dropped, out.rejected, out.fall
    if verdict is not None:
        if verdict[0] == "REJECT":
            rejected += unhandled
        else:
            dropped += unhandled
        unhandled = 0.0
    first = next((r.target for r in rules if r.target.startswith(_PORT_CHAINS) and client.matches(r, False)), None)
    endpoints = []
    for (dest, sep), share in out.dnat.items():
        hp = split_host_port(dest) or ("?", 0)
        endpoints.append(KernelEndpoint(hp[0], hp[1], sep if sep.startswith("KUBE-SEP-") else None, None, share))
    return KernelPath(name, entry, client.address, client.port, first, tuple(endpoints), dropped, rejected,
                      unhandled, out.masquerade > 1e-9, tuple(out.source_ranges))


def _candidate_names(namespace: str, name: str, port_name: str) -> list[str]:
    spn = service_port_name(namespace, name, port_name)
    # Before 1.19 an unnamed port was written `ns/name:` (a trailing colon) in names and comments.
    return [spn] if port_name else [spn, spn + ":"]


def trace_iptables_port(dump: IptablesDump, namespace: str, name: str, port: ServicePort,
                        entries: tuple[tuple[str, str], ...] = ()) -> KernelPortView:
    """Trace one port. `entries` are (kind, address) pairs: cluster-ip, external-ip, load-balancer.

    Without `entries` the chains found by name are walked from the rules that jump to them.
    """
    spns = _candidate_names(namespace, name, port.name)
    spn = spns[0]
    proto = port.protocol.lower()
    log = StepLog()
    findings: list[Finding] = []
    walk = _Walk(dump, log, findings)

    paths: list[KernelPath] = []
    own = ({c for s in spns for c in iptables_chain_names(s, proto).values()}, spns)
    points = list(entries)
    if not points:  # no addresses given: every destination the named chains are entered by
        for s in spns:
            for role, chain in iptables_chain_names(s, proto).items():
                for rule in dump.jumps_to("nat", chain):
                    if rule.chain == "KUBE-SERVICES" and rule.destination:
                        kind = "cluster-ip" if role == "service" else "external-ip"
                        if (kind, _bare(rule.destination)) not in points:
                            points.append((kind, _bare(rule.destination)))
    for kind, addr in points:
        client = _Client(kind != "cluster-ip", addr, port.port, proto)
        p = _path(walk, dump, "cluster" if kind == "cluster-ip" else "external", kind, client, proto, own)
        if p is not None:
            paths.append(p)
    if port.node_port:
        client = _Client(True, "", port.node_port, proto)
        p = _path(walk, dump, "external", "node-port", client, proto, own)
        if p is not None:
            paths.append(p)

    # Chain roles: by the hashed names (current and old port-name forms), then by what the walk
    # met, then by the comments kube-proxy writes on entry rules.
    present: dict[str, str | None] = dict.fromkeys(CHAIN_ROLES)
    for s in spns:
        for role, chain in iptables_chain_names(s, proto).items():
            if present[role] is None and dump.chain("nat", chain) is not None:
                present[role] = chain
    for chain in walk.seen_chains:
        for prefix, role in _ROLE_PREFIX.items():
            if chain.startswith(prefix) and present[role] is None:
                present[role] = chain
    for s in spns:
        for rule in _commented(dump, s):
            for prefix, role in _ROLE_PREFIX.items():
                if rule.target.startswith(prefix) and present[role] is None:
                    present[role] = rule.target
    for role in ("service", "local", "external", "firewall"):
        chain_name = present[role]
        if chain_name and chain_name not in walk.logged:  # a chain no entry reached: list it
            walk.chain(chain_name, _Client(role != "service", "", 0, proto), 1)

    # The flat endpoint list: the cluster path's (or, without one, the first path's), each endpoint
    # with the probability string of the rule that picks it, and its DNAT rule's counters.
    main = next((p for p in paths if p.path == "cluster"), paths[0] if paths else None)
    endpoints: list[KernelEndpoint] = []
    probabilities: list[str | None] = []
    lb_chain = present["service"] or present["local"]
    comment_missing = 0
    picks: dict[str, Rule] = {}
    for rule in dump.rules("nat", lb_chain) if lb_chain else ():
        if rule.target.startswith("KUBE-SEP-") and not rule.has_module("recent"):
            probabilities.append(rule.probability)
            picks.setdefault(rule.target, rule)
            if rule.comment is None:
                comment_missing += 1
    for e in main.endpoints if main else ():
        dnat = next((r for r in dump.rules("nat", e.chain) if r.target == "DNAT"), None) if e.chain else None
        pick = picks.get(e.chain or "")
        if e.chain and iptables_endpoint_chain(spn, proto, e.address, e.port) != e.chain and not any(
                iptables_endpoint_chain(s, proto, e.address, e.port) == e.chain for s in spns):
            findings.append(Finding("info", "endpoint-chain-name-mismatch",
                                    f"{e.chain} does not hash from {spn} {proto} {e.address}:{e.port}"))
        if e.address == "?":
            findings.append(Finding("warning", "endpoint-chain-unreadable",
                                    f"{e.chain} has no readable DNAT rule; its endpoint is unknown"))
        endpoints.append(KernelEndpoint(e.address, e.port, e.chain, pick.probability if pick else None, e.share,
                                        dnat.packets if dnat else None, dnat.bytes if dnat else None))

    rejects = any(p.dropped + p.rejected > 1e-9 and not p.endpoints for p in paths)
    if comment_missing and endpoints:
        findings.append(Finding("info", "comments-dropped",
                                "endpoint rules carry no comments (kube-proxy drops them above 1000 "
                                "endpoints); chains were matched by their hash"))
    if port.name == "" and any(c and c.startswith("KUBE-") for c in present.values()) and not any(
            dump.chain("nat", c) is not None for c in iptables_chain_names(spn, proto).values()):
        findings.append(Finding("info", "old-port-name-form",
                                f"the chains hash from {spn}: (an unnamed port with a trailing colon), "
                                "the form kube-proxy used before 1.19"))
    found = any(present.values()) or bool(paths)
    return KernelPortView(
        chains=present,
        endpoints=tuple(endpoints),
        steps=tuple(log.steps),
        findings=tuple(findings + log.findings()),
        explanation=explain(probabilities),
        found=found,
        rejects=rejects,
        affinity_seconds=walk.affinity,
        paths=tuple(paths),
    )

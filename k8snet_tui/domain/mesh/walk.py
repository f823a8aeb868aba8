"""Walk one TCP connection through a pod's own nat table, rule by rule, as the kernel would.

A sidecar's init container (Istio's istio-iptables, Linkerd's proxy-init) rewrites the pod's own
netfilter rules so the app's connections land on the proxy first. Which connection is taken and
which goes straight out is decided by the order of those rules, so this walks them instead of
guessing from chain names: a locally made connection starts at nat OUTPUT, an arriving one at nat
PREROUTING. A rule whose match this walker cannot judge (an unknown module, a user name instead of
a uid) stops the walk with verdict "unknown" and says which rule; it never guesses.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from ..datapath.iptables_save import IptablesDump, Match, Rule

# Targets that change nothing about where a TCP connection goes in nat: the walk steps over them.
_PASS_THROUGH = frozenset({"LOG", "MARK", "CONNMARK", "NFLOG", "TRACE", "CT", "NOTRACK"})
_BUILTIN = frozenset({"PREROUTING", "INPUT", "OUTPUT", "POSTROUTING", "FORWARD"})
_MAX_STEPS = 2000  # a loop of jumps (bad input) ends here, with a finding
_LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
_PORT_OPTIONS = ("--dport", "--sport", "--destination-port", "--source-port")


@dataclass(frozen=True, slots=True)
class Packet:
    """The connection walked: who makes it (uid/gid, None: not known) and where it goes."""

    dst: str
    dport: int
    uid: int | None = 0
    gid: int | None = 0
    src: str = ""
    sport: int = 40000
    proto: str = "tcp"
    out_iface: str = ""  # "" for an arriving packet
    in_iface: str = ""  # "" for a locally made one


@dataclass(frozen=True, slots=True)
class Step:
    """One rule the connection matched (or the chain end it fell off), in order."""

    chain: str
    index: int  # the rule's place in its chain (1-based); 0 for "fell off the end"
    rule: str  # the rule's text as dumped, or what happened at the chain's end
    does: str  # in words: "jump to ISTIO_REDIRECT", "return", "redirect to port 15001"


@dataclass(frozen=True, slots=True)
class Walk:
    """Where the connection goes. verdict: "redirect" (to `port` on the pod itself), "dnat"
    (to `to`), "out" (untouched: straight to its destination), "unknown" (`reason` says why)."""

    verdict: str
    port: int | None
    to: str
    steps: tuple[Step, ...]
    reason: str = ""

    @property
    def words(self) -> str:
        if self.verdict == "redirect":
            return f"redirected to port {self.port} in the pod (the proxy's listener)"
        if self.verdict == "dnat":
            return f"rewritten to {self.to}"
        if self.verdict == "out":
            return "not redirected: straight out to its destination"
        return f"cannot tell: {self.reason}"


def outbound_packet(dst: str, dport: int, *, uid: int | None = 0, gid: int | None = None,
                    pod_ips: tuple[str, ...] = (), out_iface: str = "eth0") -> Packet:
    """A connection the pod's app makes: to loopback or the pod's own address it leaves through
    lo (the kernel routes local addresses there), else through `out_iface`."""
    local = _is_local(dst, pod_ips)
    src = "127.0.0.1" if _in_loopback(dst) else (pod_ips[0] if pod_ips else "")
    return Packet(dst=dst, dport=dport, uid=uid, gid=uid if gid is None else gid, src=src,
                  out_iface="lo" if local else out_iface)


def inbound_packet(dst: str, dport: int, src: str, *, in_iface: str = "eth0") -> Packet:
    """A connection arriving at the pod from elsewhere (no local uid)."""
    return Packet(dst=dst, dport=dport, uid=None, gid=None, src=src, in_iface=in_iface)


def walk(dump: IptablesDump, packet: Packet, start: str = "OUTPUT", table: str = "nat") -> Walk:
    """Follow `packet` from `table`/`start` to its verdict."""
    steps: list[Step] = []
    stack: list[tuple[str, int]] = []  # (chain, next index) to come back to on RETURN
    chain, i = start, 0
    for _ in range(_MAX_STEPS):
        rules = dump.rules(table, chain)
        if i >= len(rules):
            if chain in _BUILTIN or not stack:
                policy = _policy(dump, table, chain)
                steps.append(Step(chain, 0, f"end of {chain} (policy {policy})", "untouched"))
                return Walk("out", None, "", tuple(steps))
            steps.append(Step(chain, 0, f"end of {chain}", f"back to {stack[-1][0]}"))
            chain, i = stack.pop()
            continue
        rule = rules[i]
        i += 1
        judged = _matches(rule, packet)
        if judged is None:
            why = f"rule {chain} #{rule.index} uses a match this reader does not judge: {rule.text}"
            return Walk("unknown", None, "", tuple(steps), why)
        if not judged:
            continue
        target = rule.target
        if not target or target in _PASS_THROUGH:
            continue
        if target == "RETURN":
            if not stack:
                steps.append(Step(chain, rule.index, rule.text, f"return: end of {chain}, untouched"))
                return Walk("out", None, "", tuple(steps))
            steps.append(Step(chain, rule.index, rule.text, f"return to {stack[-1][0]}"))
            chain, i = stack.pop()
            continue
        if target == "ACCEPT":
            steps.append(Step(chain, rule.index, rule.text, "accept: untouched"))
            return Walk("out", None, "", tuple(steps))
        if target == "REDIRECT":
            port = _first_port(rule.target_option("--to-ports") or rule.target_option("--to-port"))
            if port is None:
                return Walk("unknown", None, "", tuple(steps), f"REDIRECT without a port: {rule.text}")
            steps.append(Step(chain, rule.index, rule.text, f"redirect to port {port}"))
            return Walk("redirect", port, "", tuple(steps))
        if target == "DNAT":
            to = rule.target_option("--to-destination") or ""
            steps.append(Step(chain, rule.index, rule.text, f"rewrite to {to}"))
            return Walk("dnat", None, to, tuple(steps))
        if target in ("DROP", "REJECT"):
            steps.append(Step(chain, rule.index, rule.text, target.lower()))
            return Walk("unknown", None, "", tuple(steps), f"{target.lower()}ped by {chain} #{rule.index}")
        if dump.chain(table, target) is None:
            return Walk("unknown", None, "", tuple(steps), f"target {target} of {chain} #{rule.index} is not a chain here")
        steps.append(Step(chain, rule.index, rule.text, ("go to " if rule.goto else "jump to ") + target))
        if not rule.goto:
            stack.append((chain, i))
        chain, i = target, 0
    return Walk("unknown", None, "", tuple(steps), f"more than {_MAX_STEPS} steps: the chains loop")


def _policy(dump: IptablesDump, table: str, chain: str) -> str:
    found = dump.chain(table, chain)
    return found.policy if found is not None and found.policy != "-" else "ACCEPT"


def _first_port(value: str | None) -> int | None:
    if not value:
        return None
    head = value.split("-")[0]
    return int(head) if head.isdigit() and 0 < int(head) < 65536 else None


def _in_loopback(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip) in _LOOPBACK
    except ValueError:
        return False


def _is_local(ip: str, pod_ips: tuple[str, ...]) -> bool:
    return _in_loopback(ip) or ip in pod_ips


def _in_net(ip: str, net: str) -> bool | None:
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(net, strict=False)
    except ValueError:
        return None


def _port_in(port: int, spec: str) -> bool | None:
    """`spec`: "80", "80:90", or multiport's "53,15008,8000:8080"."""
    for part in spec.split(","):
        lo, _, hi = part.partition(":")
        if not lo.isdigit() or (hi and not hi.isdigit()):
            return None
        if int(lo) <= port <= int(hi or lo):
            return True
    return False


def _one(m: Match, p: Packet) -> bool | None:
    """Whether one match option holds for `p` (before its negation); None: cannot judge."""
    opt, value = m.option, m.value
    if m.module == "":
        if opt == "-p":
            return value in (p.proto, "all", "0")
        if opt in ("-s", "-d"):
            addr = p.src if opt == "-s" else p.dst
            return _in_net(addr, value) if addr else None
        if opt in ("-o", "-i"):
            iface = p.out_iface if opt == "-o" else p.in_iface
            if not iface:
                return False
            return iface == value or (value.endswith("+") and iface.startswith(value[:-1]))
        if not opt.startswith(_PORT_OPTIONS):
            return None
    # "-p tcp --dport 80" without "-m tcp": iptables loads the protocol's module itself, and
    # restore input (istio-iptables' own) is written that way
    if m.module in ("tcp", "udp", "multiport", ""):
        if m.module in ("tcp", "udp") and m.module != p.proto:
            return False
        if opt in ("--dport", "--destination-port", "--dports", "--destination-ports"):
            return _port_in(p.dport, value)
        if opt in ("--sport", "--source-port", "--sports", "--source-ports"):
            return _port_in(p.sport, value)
        if opt == "--ports":
            return bool(_port_in(p.dport, value)) or bool(_port_in(p.sport, value))
        if opt == "--tcp-flags" or opt == "--syn":
            return True  # a new connection's first packet: SYN set, the rest clear
        return None
    if m.module == "owner":
        if opt not in ("--uid-owner", "--gid-owner"):
            return None
        who = p.uid if opt == "--uid-owner" else p.gid
        if who is None:
            # an arriving packet has no local owner (the match never holds); a local one whose
            # user is not known cannot be judged
            return None if p.out_iface else False
        lo, _, hi = value.partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()):
            return None  # a user or group name: its number lives in the pod's image
        return int(lo) <= who <= int(hi or lo)
    if m.module == "comment":
        return True
    return None


def _matches(rule: Rule, p: Packet) -> bool | None:
    for m in rule.matches:
        if m.module == "comment":
            continue
        got = _one(m, p)
        if got is None:
            return None
        if got == m.negated:
            return False
    return True

"""A pod's own nat rules read as a mesh's redirect layout: which ports go to the proxy, what is left out.

Istio's istio-iptables writes ISTIO_OUTPUT (from nat OUTPUT), ISTIO_REDIRECT (-> 15001),
ISTIO_INBOUND (from PREROUTING) and ISTIO_IN_REDIRECT (-> 15006); Linkerd's proxy-init writes
PROXY_INIT_OUTPUT / PROXY_INIT_REDIRECT (-> 4140, 4143 inbound). The summary here is read off the
rules themselves (a RETURN on an owner is an excluded uid, a RETURN on a destination an excluded
CIDR, ...), and every rule of those chains this reader does not place is kept, with a finding, so
a layout nobody knows is shown as what it is. Where a given connection goes is `walk.py`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..datapath.iptables_save import IptablesDump, Rule

ISTIO_CHAINS = ("ISTIO_OUTPUT", "ISTIO_REDIRECT", "ISTIO_INBOUND", "ISTIO_IN_REDIRECT")
LINKERD_CHAINS = ("PROXY_INIT_OUTPUT", "PROXY_INIT_REDIRECT")
_MESH_PREFIXES = ("ISTIO_", "PROXY_INIT_")


@dataclass(frozen=True, slots=True)
class Layout:
    """The redirect layout of one pod's nat table. mesh: "istio", "linkerd", "" (no mesh chains),
    "unrecognised" (chains that look like a mesh's but not a layout known here)."""

    mesh: str
    outbound_port: int | None  # where the app's connections are redirected
    inbound_port: int | None  # where arriving connections are redirected
    excluded_uids: tuple[str, ...]
    excluded_gids: tuple[str, ...]
    excluded_cidrs: tuple[str, ...]  # outbound destinations left alone
    included_cidrs: tuple[str, ...]  # outbound destinations taken ("*": all)
    excluded_out_ports: tuple[str, ...]
    included_out_ports: tuple[str, ...]  # ports taken even to excluded CIDRs
    inbound_ports: tuple[str, ...]  # ("*",) when every port is taken
    excluded_in_ports: tuple[str, ...]
    dns_port: int | None  # Istio's DNS capture (15053) when on
    other_rules: tuple[str, ...]  # mesh-chain rules not placed above, as dumped
    findings: tuple[str, ...]

    @property
    def redirects(self) -> bool:
        return self.outbound_port is not None or self.inbound_port is not None


NO_LAYOUT = Layout("", None, None, (), (), (), (), (), (), (), (), None, (), ())


def _ports(value: str | None) -> tuple[str, ...]:
    return tuple(p for p in (value or "").split(",") if p)


def _redirect_port(rules: tuple[Rule, ...]) -> int | None:
    for r in rules:
        if r.target == "REDIRECT":
            to = (r.target_option("--to-ports") or r.target_option("--to-port") or "").split("-")[0]
            if to.isdigit():
                return int(to)
    return None


def read_layout(dump: IptablesDump) -> Layout:
    """The mesh layout in `dump`'s nat table (NO_LAYOUT when it has no mesh chains)."""
    names = dump.chain_names("nat")
    mesh_chains = [n for n in names if n.startswith(_MESH_PREFIXES)]
    if not mesh_chains:
        return NO_LAYOUT
    if any(n in names for n in ISTIO_CHAINS):
        return _istio(dump, tuple(mesh_chains))
    if any(n in names for n in LINKERD_CHAINS):
        return _linkerd(dump, tuple(mesh_chains))
    return Layout("unrecognised", None, None, (), (), (), (), (), (), (), (), None,
                  tuple(r.text for n in mesh_chains for r in dump.rules("nat", n)),
                  (f"nat chains {', '.join(mesh_chains)} look like a mesh's but match no layout known here",))


class _Reader:
    def __init__(self) -> None:
        self.uids: list[str] = []
        self.gids: list[str] = []
        self.ex_cidrs: list[str] = []
        self.in_cidrs: list[str] = []
        self.ex_ports: list[str] = []
        self.in_ports: list[str] = []
        self.other: list[str] = []

    @staticmethod
    def add(bucket: list[str], values: tuple[str, ...]) -> None:
        for v in values:
            if v not in bucket:
                bucket.append(v)


def _owner(rule: Rule) -> tuple[str, str, bool] | None:
    for m in rule.matches:
        if m.module == "owner" and m.option in ("--uid-owner", "--gid-owner"):
            return m.option, m.value, m.negated
    return None


def _read_output(rd: _Reader, rules: tuple[Rule, ...], redirect_chain: str, in_redirect: str) -> None:
    for r in rules:
        owner = _owner(r)
        lo = r.option("-o") == "lo"
        dst = r.option("-d")
        dport = r.option("--dport") or r.option("--dports")
        if lo and (r.target in (in_redirect, "RETURN")) and (owner or r.option("-s")):
            continue  # the proxy's own loopback handling (its inbound passthrough, 127.0.0.6)
        if owner and not owner[2] and r.target == "RETURN" and not lo:
            rd.add(rd.uids if owner[0] == "--uid-owner" else rd.gids, (owner[1],))
            continue
        if r.target == "RETURN" and dst and not owner and not lo:
            if dst not in ("127.0.0.1/32",):
                rd.add(rd.ex_cidrs, (dst,))
            continue
        if r.target == "RETURN" and dport and not owner:
            rd.add(rd.ex_ports, _ports(dport))
            continue
        if r.target == redirect_chain:
            if dport:
                rd.add(rd.in_ports, _ports(dport))
            else:
                rd.add(rd.in_cidrs, (dst or "*",))
            continue
        if r.target.startswith("ISTIO_OUTPUT_DNS") or (r.target == "RETURN" and lo):
            continue
        rd.other.append(r.text)


def _istio(dump: IptablesDump, chains: tuple[str, ...]) -> Layout:
    rd = _Reader()
    out_rules = dump.rules("nat", "ISTIO_OUTPUT")
    _read_output(rd, out_rules, "ISTIO_REDIRECT", "ISTIO_IN_REDIRECT")
    inbound = dump.rules("nat", "ISTIO_INBOUND")
    in_ports: list[str] = []
    ex_in: list[str] = []
    for r in inbound:
        dport = r.option("--dport")
        if r.target == "ISTIO_IN_REDIRECT":
            in_ports.append(dport or "*")
        elif r.target == "RETURN" and dport:
            ex_in.append(dport)
        elif r.target in ("ISTIO_INBOUND", "ISTIO_DIVERT", "ISTIO_TPROXY"):
            continue
        else:
            rd.other.append(r.text)
    dns_rules = dump.rules("nat", "ISTIO_OUTPUT_DNS") or tuple(r for r in out_rules if r.option("--dport") == "53")
    findings: list[str] = []
    out_port = _redirect_port(dump.rules("nat", "ISTIO_REDIRECT"))
    in_port = _redirect_port(dump.rules("nat", "ISTIO_IN_REDIRECT"))
    if dump.chain("nat", "ISTIO_OUTPUT") is not None and not dump.jumps_to("nat", "ISTIO_OUTPUT"):
        findings.append("ISTIO_OUTPUT is never jumped to: the app's connections are not redirected")
    if in_ports and not dump.jumps_to("nat", "ISTIO_INBOUND"):
        findings.append("ISTIO_INBOUND is never jumped to: arriving connections are not redirected")
    if dump.tables.get("mangle", {}).get("ISTIO_TPROXY") is not None:
        findings.append("inbound capture is TPROXY (mangle ISTIO_TPROXY): the inbound walk here reads nat only")
    if rd.other:
        findings.append(f"{len(rd.other)} rule(s) in Istio's chains match no part of the layout known here")
    known = set(ISTIO_CHAINS) | {"ISTIO_OUTPUT_DNS", "ISTIO_DIVERT", "ISTIO_TPROXY"}
    extra = [c for c in chains if c not in known]
    if extra:
        findings.append(f"chains not written by the istio-iptables known here: {', '.join(extra)}")
    return Layout("istio", out_port, in_port, tuple(rd.uids), tuple(rd.gids), tuple(rd.ex_cidrs),
                  tuple(rd.in_cidrs), tuple(rd.ex_ports), tuple(rd.in_ports), tuple(in_ports),
                  tuple(ex_in), _redirect_port(dns_rules), tuple(rd.other), tuple(findings))


def _linkerd(dump: IptablesDump, chains: tuple[str, ...]) -> Layout:
    rd = _Reader()
    _read_output(rd, dump.rules("nat", "PROXY_INIT_OUTPUT"), "PROXY_INIT_REDIRECT", "")
    # Linkerd's inbound redirect is PROXY_INIT_REDIRECT from PREROUTING; its outbound one is a
    # REDIRECT in PROXY_INIT_OUTPUT itself.
    out_port = _redirect_port(dump.rules("nat", "PROXY_INIT_OUTPUT"))
    redirect = dump.rules("nat", "PROXY_INIT_REDIRECT")
    in_port = _redirect_port(redirect)
    ex_in: list[str] = []
    for r in redirect:
        if r.target == "RETURN":
            ex_in.extend(_ports(r.option("--dport") or r.option("--dports")))
    other = [t for t in rd.other if "REDIRECT" not in t]
    findings = [f"{len(other)} rule(s) in Linkerd's chains match no part of the layout known here"] if other else []
    return Layout("linkerd", out_port, in_port, tuple(rd.uids), tuple(rd.gids), tuple(rd.ex_cidrs),
                  tuple(rd.in_cidrs) or ("*",), tuple(rd.ex_ports), tuple(rd.in_ports), ("*",),
                  tuple(ex_in), None, tuple(other), tuple(findings))

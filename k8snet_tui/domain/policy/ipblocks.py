"""ipBlock: a CIDR minus its `except` CIDRs.

Pod IPs inside an ipBlock: the docs say ipBlock "should be cluster-external IPs, since Pod IPs
are ephemeral", and leave it to the network plugin whether a rule's ipBlock also matches pod
traffic by its pod IP. We match by address, whatever the address belongs to (what iptables and
ipset based plugins such as kube-router and Calico do; Cilium does not), and say so on every
verdict that depends on it (`implementation_defined`), so the answer is never silently one
plugin's.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from .problems import Problem, Tri

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class IpBlock:
    cidr: Network | None
    excepts: tuple[Network, ...] = ()
    problem: Problem | None = None

    def contains(self, address: Address | None) -> Tri:
        if self.problem is not None or self.cidr is None:
            return None
        if address is None:
            return False  # nothing without an address can be in a block
        if address.version != self.cidr.version or address not in self.cidr:
            return False
        return not any(address in e for e in self.excepts if e.version == address.version)

    def text(self) -> str:
        if self.problem is not None or self.cidr is None:
            return "(invalid ipBlock)"
        out = str(self.cidr)
        if self.excepts:
            out += " except " + ", ".join(str(e) for e in self.excepts)
        return out


def _network(text: Any) -> Network | None:
    if not isinstance(text, str) or "/" not in text:
        return None
    try:
        # strict=False: the API server accepts host bits set (it validates the syntax only).
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def parse_ipblock(raw: Any, policy: str, path: str) -> IpBlock:
    if not isinstance(raw, dict):
        return IpBlock(None, problem=Problem(policy, path, "wrong-type", f"{path} is not an object"))
    cidr = _network(raw.get("cidr"))
    if cidr is None:
        shown = str(raw.get("cidr"))[:50]
        return IpBlock(None, problem=Problem(policy, f"{path}.cidr", "bad-cidr", f"{shown!r} is not a CIDR"))
    excepts: list[Network] = []
    raw_except = raw.get("except")
    if raw_except is not None and not isinstance(raw_except, list):
        return IpBlock(None, problem=Problem(policy, f"{path}.except", "wrong-type", "except is not a list"))
    for i, e in enumerate(raw_except or []):
        net = _network(e)
        where = f"{path}.except[{i}]"
        if net is None:
            return IpBlock(None, problem=Problem(policy, where, "bad-cidr", f"{str(e)[:50]!r} is not a CIDR"))
        if net.version != cidr.version or not net.subnet_of(cidr):  # type: ignore[arg-type]
            return IpBlock(None, problem=Problem(policy, where, "except-outside-cidr",
                                                 f"{net} is not inside {cidr}"))
        excepts.append(net)
    return IpBlock(cidr, tuple(excepts))

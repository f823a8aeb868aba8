"""`ipvsadm -Ln` text -> virtual services and their real servers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..numbers import parse_decimal, parse_port
from .problems import ParseProblem, snippet

_SRC = "ipvsadm -Ln"
_PROTOCOLS = {"TCP", "UDP", "SCTP", "FWM"}


@dataclass(frozen=True, slots=True)
class RealServer:
    address: str
    port: int
    forward: str  # Masq, Route, Tunnel, ...
    weight: int
    active: int
    inactive: int
    line: int

    def to_json(self) -> dict[str, Any]:
        return {"address": self.address, "port": self.port, "forward": self.forward,
                "weight": self.weight, "active": self.active, "inactive": self.inactive}


@dataclass(frozen=True, slots=True)
class VirtualService:
    protocol: str  # TCP / UDP / SCTP / FWM
    address: str  # IP (unbracketed) or the firewall mark for FWM
    port: int
    scheduler: str
    persistent: int | None  # seconds, when `persistent` is set
    flags: tuple[str, ...]
    real_servers: tuple[RealServer, ...]
    line: int

    def to_json(self) -> dict[str, Any]:
        return {"protocol": self.protocol, "address": self.address, "port": self.port,
                "scheduler": self.scheduler, "persistent": self.persistent, "flags": list(self.flags),
                "real_servers": [r.to_json() for r in self.real_servers]}


@dataclass(frozen=True)
class IpvsTable:
    services: tuple[VirtualService, ...]
    problems: tuple[ParseProblem, ...] = ()

    def find(self, protocol: str, address: str, port: int) -> VirtualService | None:
        for vs in self.services:
            if vs.protocol == protocol.upper() and vs.address == address and vs.port == port:
                return vs
        return None


def split_host_port(text: str) -> tuple[str, int] | None:
    """`10.0.0.1:80` or `[fd00::1]:80` -> (address, port); None when malformed."""
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]:")
        port_s = rest
        if not sep:
            return None
    else:
        host, sep, port_s = text.rpartition(":")
        if not sep or ":" in host:
            return None
    port = parse_port(port_s)
    if not host or port is None:
        return None
    return host, port


def _fields(line: str) -> list[str]:
    # ipvsadm separates columns with blanks; other characters (U+2028 included) are data.
    return [w for w in line.replace("\t", " ").split(" ") if w]


def parse_ipvsadm(text: str) -> IpvsTable:
    problems: list[ParseProblem] = []
    services: list[VirtualService] = []
    current: dict[str, Any] | None = None
    reals: list[RealServer] = []

    def flush() -> None:
        if current is not None:
            services.append(VirtualService(real_servers=tuple(reals), **current))

    # Lines end at "\n" only: "\r", U+0085 or U+2028 inside a line are data, not a new line.
    for lineno, raw in enumerate(text.split("\n") if isinstance(text, str) else (), 1):
        line = raw.strip(" \t\r")
        if not line or line.startswith(("IP Virtual Server", "Prot LocalAddress", "-> RemoteAddress")):
            continue
        parts = _fields(line)
        if parts[0] == "->":
            if current is None:
                problems.append(ParseProblem(_SRC, lineno, "real server", "real server before any virtual service",
                                             snippet(line)))
                continue
            hp = split_host_port(parts[1]) if len(parts) > 1 else None
            nums = [parse_decimal(n) for n in parts[3:6]]
            if hp is None or len(parts) < 6 or None in nums:
                problems.append(ParseProblem(_SRC, lineno, "real server",
                                             "expected '-> IP:port Forward Weight Active Inactive' (decimal numbers)",
                                             snippet(line)))
                continue
            weight, active, inactive = nums
            assert weight is not None and active is not None and inactive is not None  # for mypy: checked above
            reals.append(RealServer(hp[0], hp[1], parts[2], weight, active, inactive, lineno))
            continue
        if parts[0] in _PROTOCOLS:
            flush()
            reals = []
            current = None
            if len(parts) < 3:
                problems.append(ParseProblem(_SRC, lineno, "virtual service", "expected 'PROTO IP:port scheduler'",
                                             snippet(line)))
                continue
            if parts[0] == "FWM":
                if parse_decimal(parts[1]) is None:
                    problems.append(ParseProblem(_SRC, lineno, "virtual service", "firewall mark is not a number", snippet(line)))
                    continue
                addr, port = parts[1], 0
            else:
                hp = split_host_port(parts[1])
                if hp is None:
                    problems.append(ParseProblem(_SRC, lineno, "virtual service", f"bad address {parts[1]!r}", snippet(line)))
                    continue
                addr, port = hp
            persistent = None
            flags: list[str] = []
            rest = parts[3:]
            k = 0
            while k < len(rest):
                if rest[k] == "persistent":
                    seconds = parse_decimal(rest[k + 1]) if k + 1 < len(rest) else None
                    if seconds is not None:
                        persistent = seconds
                        k += 2
                        continue
                    problems.append(ParseProblem(_SRC, lineno, "persistent", "persistent without seconds (a decimal number)",
                                                 snippet(line)))
                else:
                    flags.append(rest[k])
                k += 1
            current = {"protocol": parts[0], "address": addr, "port": port, "scheduler": parts[2],
                       "persistent": persistent, "flags": tuple(flags), "line": lineno}
            continue
        problems.append(ParseProblem(_SRC, lineno, "line", "not a virtual service or real server", snippet(line)))
    flush()
    return IpvsTable(tuple(services), tuple(problems))

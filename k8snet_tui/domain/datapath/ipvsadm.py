"""`ipvsadm -Ln` text -> virtual services and their real servers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    if not host or not port_s.isdigit():
        return None
    return host, int(port_s)


def parse_ipvsadm(text: str) -> IpvsTable:
    problems: list[ParseProblem] = []
    services: list[VirtualService] = []
    current: dict[str, Any] | None = None
    reals: list[RealServer] = []

    def flush() -> None:
        if current is not None:
            services.append(VirtualService(real_servers=tuple(reals), **current))

    for lineno, raw in enumerate(text.splitlines() if isinstance(text, str) else (), 1):
        line = raw.strip()
        if not line or line.startswith(("IP Virtual Server", "Prot LocalAddress", "-> RemoteAddress")):
            continue
        parts = line.split()
        if parts[0] == "->":
            if current is None:
                problems.append(ParseProblem(_SRC, lineno, "real server", "real server before any virtual service", snippet(line)))
                continue
            hp = split_host_port(parts[1]) if len(parts) > 1 else None
            nums = parts[3:6]
            if hp is None or len(parts) < 6 or not all(n.isdigit() for n in nums):
                problems.append(ParseProblem(_SRC, lineno, "real server", "expected '-> IP:port Forward Weight Active Inactive'", snippet(line)))
                continue
            reals.append(RealServer(hp[0], hp[1], parts[2], int(nums[0]), int(nums[1]), int(nums[2]), lineno))
            continue
        if parts[0] in _PROTOCOLS:
            flush()
            reals = []
            current = None
            if len(parts) < 3:
                problems.append(ParseProblem(_SRC, lineno, "virtual service", "expected 'PROTO IP:port scheduler'", snippet(line)))
                continue
            if parts[0] == "FWM":
                if not parts[1].isdigit():
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
                    if k + 1 < len(rest) and rest[k + 1].isdigit():
                        persistent = int(rest[k + 1])
                        k += 2
                        continue
                    problems.append(ParseProblem(_SRC, lineno, "persistent", "persistent without seconds", snippet(line)))
                else:
                    flags.append(rest[k])
                k += 1
            current = {"protocol": parts[0], "address": addr, "port": port, "scheduler": parts[2],
                       "persistent": persistent, "flags": tuple(flags), "line": lineno}
            continue
        problems.append(ParseProblem(_SRC, lineno, "line", "not a virtual service or real server", snippet(line)))
    flush()
    return IpvsTable(tuple(services), tuple(problems))

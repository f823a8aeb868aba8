"""`cilium-dbg service list -o json` -> frontends and their backends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model import dig, dig_dict, dig_list, dig_str
from ..numbers import parse_json_int
from .problems import ParseProblem, snippet

_SRC = "cilium service list"


@dataclass(frozen=True, slots=True)
class CiliumBackend:
    address: str
    port: int
    state: str  # active, terminating, quarantined, maintenance ("" when not printed)
    node: str
    weight: int | None


@dataclass(frozen=True, slots=True)
class CiliumService:
    id: int | None
    address: str
    port: int
    protocol: str  # TCP / UDP / SCTP / ANY (older releases print nothing: "")
    type: str  # ClusterIP, NodePort, ExternalIPs, LoadBalancer, HostPort, LocalRedirect
    namespace: str
    name: str
    ext_traffic_policy: str
    backends: tuple[CiliumBackend, ...]
    index: int


@dataclass(frozen=True)
class CiliumServices:
    services: tuple[CiliumService, ...]
    problems: tuple[ParseProblem, ...] = ()


def _port(value: Any) -> int | None:
    return parse_json_int(value, lo=0, hi=65535)


def _count(value: Any) -> int | None:  # ids and weights: JSON integers, or decimal text
    return parse_json_int(value, lo=0)


def parse_cilium_services(items: Any) -> CiliumServices:
    problems: list[ParseProblem] = []
    out: list[CiliumService] = []
    if not isinstance(items, (list, tuple)):
        if items is not None:
            problems.append(ParseProblem(_SRC, 0, "list", "expected a JSON list of services", snippet(items)))
        return CiliumServices((), tuple(problems))
    for i, item in enumerate(items):
        spec = dig_dict(item, "spec")
        fe = dig_dict(spec, "frontend-address")
        ip = dig_str(fe, "ip")
        port = _port(dig(fe, "port"))
        if not ip or port is None:
            problems.append(ParseProblem(_SRC, i, "frontend-address", "frontend without ip or port (0-65535)",
                                         snippet(item)))
            continue
        sid = _count(dig(spec, "id"))
        if sid is None and dig(spec, "id") is not None:
            problems.append(ParseProblem(_SRC, i, "id", "service id is not a whole number", snippet(dig(spec, "id"))))
        flags = dig_dict(spec, "flags")
        backends = []
        for b in dig_list(spec, "backend-addresses"):
            bip = dig_str(b, "ip")
            bport = _port(dig(b, "port"))
            if not bip or bport is None:
                problems.append(ParseProblem(_SRC, i, "backend-addresses", "backend without ip or port (0-65535)",
                                             snippet(b)))
                continue
            weight = _count(dig(b, "weight"))
            if weight is None and dig(b, "weight") is not None:
                problems.append(ParseProblem(_SRC, i, "weight", "backend weight is not a whole number", snippet(b)))
            backends.append(CiliumBackend(bip, bport, dig_str(b, "state"), dig_str(b, "nodeName"), weight))
        out.append(
            CiliumService(
                sid, ip, port, dig_str(fe, "protocol").upper(), dig_str(flags, "type"),
                dig_str(flags, "namespace"), dig_str(flags, "name"), dig_str(flags, "extTrafficPolicy"),
                tuple(backends), i,
            )
        )
    return CiliumServices(tuple(out), tuple(problems))

"""NetworkPolicyPort: protocol (TCP default, UDP, SCTP), a number, a range (endPort) or a name.

A named port means "whatever number the destination pod calls that name", so it is resolved on
the destination pod's containerPorts, per pod: two pods of one policy may open different
numbers for the same rule. A destination that is not a pod has no names: a named port never
matches it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .problems import Problem, Tri

PROTOCOLS = ("TCP", "UDP", "SCTP")
# IANA service name, as the API server checks a named port: <= 15 chars, lowercase letters,
# digits and '-', at least one letter, no leading/trailing or double '-'.
_PORT_NAME = re.compile(r"^(?=.*[a-z])[a-z0-9]([a-z0-9]|-(?=[a-z0-9])){0,14}$")

NamedPorts = Mapping[tuple[str, str], tuple[int, ...]]  # (name, protocol) -> numbers


@dataclass(frozen=True)
class PortSpec:
    protocol: str = "TCP"
    port: int | None = None  # None with name None: every port of the protocol
    end_port: int | None = None
    name: str | None = None
    problem: Problem | None = None

    def matches(self, port: int | None, protocol: str, dst_named: NamedPorts | None) -> Tri:
        """Does traffic to `port`/`protocol` match? `dst_named`: the destination pod's named
        ports, None when the destination is not a pod. `port` None asks about every port at
        once: only a spec without a port covers that."""
        if self.problem is not None:
            return None
        if protocol != self.protocol:
            return False
        if port is None:
            return self.port is None and self.name is None
        if self.name is not None:
            if dst_named is None:
                return False
            return port in dst_named.get((self.name, protocol), ())
        if self.port is None:
            return True
        if self.end_port is not None:
            return self.port <= port <= self.end_port
        return port == self.port

    def text(self) -> str:
        if self.problem is not None:
            return "(invalid port)"
        if self.name is not None:
            what = self.name
        elif self.port is None:
            what = "all ports"
        elif self.end_port is not None:
            what = f"{self.port}-{self.end_port}"
        else:
            what = str(self.port)
        return f"{self.protocol} {what}"


def valid_port_name(name: str) -> bool:
    return bool(_PORT_NAME.match(name))


def parse_port(raw: Any, policy: str, path: str) -> PortSpec:
    def bad(code: str, message: str, where: str = path) -> PortSpec:
        return PortSpec(problem=Problem(policy, where, code, message))

    if not isinstance(raw, dict):
        return bad("wrong-type", f"{path} is not an object")
    protocol = raw.get("protocol", "TCP")
    if protocol is None:
        protocol = "TCP"
    if protocol not in PROTOCOLS:
        return bad("bad-protocol", f"protocol {str(protocol)[:20]!r} is not TCP, UDP or SCTP",
                   f"{path}.protocol")
    port, end = raw.get("port"), raw.get("endPort")
    if isinstance(port, bool) or isinstance(end, bool):
        return bad("wrong-type", "port and endPort must be numbers or names")
    if port is None:
        if end is not None:
            return bad("endport-without-port", "endPort is set but port is not", f"{path}.endPort")
        return PortSpec(protocol)
    if isinstance(port, str):
        if end is not None:
            return bad("endport-named-port", f"endPort with the named port {port[:20]!r}",
                       f"{path}.endPort")
        if not valid_port_name(port):
            return bad("bad-named-port", f"{port[:20]!r} is not a valid port name", f"{path}.port")
        return PortSpec(protocol, name=port)
    if not isinstance(port, int):
        return bad("wrong-type", "port is neither a number nor a name", f"{path}.port")
    if not 1 <= port <= 65535:
        return bad("port-out-of-range", f"port {port} is outside 1-65535", f"{path}.port")
    if end is None:
        return PortSpec(protocol, port)
    if not isinstance(end, int):
        return bad("wrong-type", "endPort is not a number", f"{path}.endPort")
    if not 1 <= end <= 65535:
        return bad("port-out-of-range", f"endPort {end} is outside 1-65535", f"{path}.endPort")
    if end < port:
        return bad("endport-below-port", f"endPort {end} is below port {port}", f"{path}.endPort")
    return PortSpec(protocol, port, end)


def named_ports_of(pod: Any) -> dict[tuple[str, str], tuple[int, ...]]:
    """(name, protocol) -> container port numbers, from a Pod's JSON (init containers too:
    restartable sidecars can listen)."""
    out: dict[tuple[str, str], list[int]] = {}
    spec = pod.get("spec") if isinstance(pod, dict) else None
    if not isinstance(spec, dict):
        return {}
    for key in ("containers", "initContainers"):
        containers = spec.get(key)
        if not isinstance(containers, list):
            continue
        for c in containers:
            ports = c.get("ports") if isinstance(c, dict) else None
            if not isinstance(ports, list):
                continue
            for p in ports:
                if not isinstance(p, dict):
                    continue
                name, number = p.get("name"), p.get("containerPort")
                proto = p.get("protocol") or "TCP"
                if isinstance(name, str) and name and isinstance(number, int) and not isinstance(number, bool):
                    out.setdefault((name, str(proto)), []).append(number)
    return {k: tuple(v) for k, v in out.items()}

"""Typed, tolerant readings of a node's `ip -j` output (links, addresses, routes, rules, neighbours).

Both the host view and the pod-network view need the same facts (which device owns an address,
which route a prefix takes), so they are read once here. Entries that are not JSON objects, or
lack the fields that identify them, are skipped and counted, never trusted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from ..model import NodeState, dig, dig_list, dig_str
from ..sanitize import clean
from . import cidr
from .links import link_kind, link_state


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class Address:
    """One address on an interface. JSON: address, prefixlen, family, scope, kind, kind_words."""

    address: str
    prefixlen: int | None
    family: str
    scope: str
    kind: str
    kind_words: str = dataclass_field(init=False, default="", compare=False)  # the kind for people

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind_words", cidr.KIND_WORDS.get(self.kind, self.kind))

    @property
    def cidr(self) -> str:
        return self.address if self.prefixlen is None else f"{self.address}/{self.prefixlen}"

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "prefixlen": self.prefixlen,
            "family": self.family,
            "scope": self.scope,
            "kind": self.kind,
            "kind_words": self.kind_words,
        }


@dataclass(frozen=True)
class Interface:
    """One network device.

    JSON: ifindex, name, kind (physical, veth, bridge, vxlan, geneve, dummy, tun, loopback,
    cilium_host, cilium_net, lxc, cali, flannel.1, kube-ipvs0, ... or the driver's own name),
    kind_from (linkinfo | name | guess), role (words), state, mtu, mac, master (bridge or bond it
    is enslaved to), peer_ifindex (`link_index`: the other end of a veth or the parent),
    peer_netnsid (set when that other end lives in another network namespace, e.g. a pod),
    peer_name (same-namespace peer), addresses, udp_port (an overlay device's UDP port, from
    `ip -d` output only).
    """

    ifindex: int | None
    name: str
    kind: str
    kind_from: str
    role: str
    state: str
    mtu: int | None
    mac: str
    master: str
    peer_ifindex: int | None
    peer_netnsid: int | None
    peer_name: str
    addresses: tuple[Address, ...]
    udp_port: int | None = None

    @property
    def key(self) -> str:
        """Unique among the node's devices (a name can repeat across namespaces' dumps)."""
        return f"{self.ifindex}:{self.name}"

    def to_json(self) -> dict[str, Any]:
        return {
            "ifindex": self.ifindex,
            "name": self.name,
            "kind": self.kind,
            "kind_from": self.kind_from,
            "role": self.role,
            "state": self.state,
            "mtu": self.mtu,
            "mac": self.mac,
            "master": self.master,
            "peer_ifindex": self.peer_ifindex,
            "peer_netnsid": self.peer_netnsid,
            "peer_name": self.peer_name,
            "addresses": [a.to_json() for a in self.addresses],
            "udp_port": self.udp_port,
        }


@dataclass(frozen=True)
class Route:
    """One route. JSON: dst, family, gateway, dev, table, type, protocol, scope, prefsrc, metric."""

    dst: str
    family: str
    gateway: str
    dev: str
    table: str
    type: str
    protocol: str
    scope: str
    prefsrc: str
    metric: int | None

    @property
    def prefix(self) -> cidr.IPNetwork | None:
        if self.dst == "default":
            return cidr.parse_prefix("::/0" if self.family == "inet6" else "0.0.0.0/0")
        return cidr.parse_prefix(self.dst)

    @property
    def forwards(self) -> bool:
        """A main-table unicast route: the ones that decide where forwarded packets go."""
        return self.table == "main" and self.type == "unicast"

    def describe(self) -> str:
        parts = [self.dst]
        if self.gateway:
            parts.append(f"via {self.gateway}")
        if self.dev:
            parts.append(f"dev {self.dev}")
        if self.table != "main":
            parts.append(f"table {self.table}")
        return " ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "dst": self.dst,
            "family": self.family,
            "gateway": self.gateway,
            "dev": self.dev,
            "table": self.table,
            "type": self.type,
            "protocol": self.protocol,
            "scope": self.scope,
            "prefsrc": self.prefsrc,
            "metric": self.metric,
        }


@dataclass(frozen=True)
class Rule:
    """One policy-routing rule. JSON: priority, selector (words: `from all`, `fwmark 0x200`...), table, action."""

    priority: int | None
    selector: str
    table: str
    action: str

    def to_json(self) -> dict[str, Any]:
        return {"priority": self.priority, "selector": self.selector, "table": self.table, "action": self.action}


@dataclass(frozen=True)
class Neighbour:
    """One ARP/NDP entry. JSON: ip, dev, mac, state (REACHABLE, STALE, PERMANENT, FAILED, ...)."""

    ip: str
    dev: str
    mac: str
    state: str

    def to_json(self) -> dict[str, Any]:
        return {"ip": self.ip, "dev": self.dev, "mac": self.mac, "state": self.state}


@dataclass(frozen=True)
class Kernel:
    interfaces: tuple[Interface, ...]
    routes: tuple[Route, ...]
    rules: tuple[Rule, ...]
    neighbours: tuple[Neighbour, ...]
    skipped: tuple[str, ...]  # words about entries that could not be read

    def interface(self, name: str) -> Interface | None:
        return next((i for i in self.interfaces if i.name == name), None)

    def local_addresses(self) -> tuple[tuple[Interface, Address], ...]:
        return tuple((i, a) for i in self.interfaces for a in i.addresses)


def _addresses(entry: Any) -> tuple[Address, ...]:
    out = []
    for info in dig_list(entry, "addr_info"):
        local = dig_str(info, "local")
        if cidr.parse_address(local) is None:
            continue
        family = dig_str(info, "family") or cidr.family_of(local)
        out.append(Address(clean(local), _int(dig(info, "prefixlen")), family,
                           clean(dig_str(info, "scope")), cidr.classify_address(local)))
    return tuple(out)


def _interfaces(node: NodeState, skipped: list[str]) -> tuple[Interface, ...]:
    # `ip -j addr` repeats the link fields, so it stands in for `ip -j link` when that is missing;
    # when both exist the link entry wins for link facts (it may carry `-d` details).
    by_key: dict[Any, dict[str, Any]] = {}
    addrs: dict[Any, tuple[Address, ...]] = {}
    order: list[Any] = []
    for source, entries in (("addr", node.addresses), ("link", node.links)):
        for entry in entries:
            name = dig_str(entry, "ifname")
            if not isinstance(entry, dict) or not name:
                skipped.append(f"an `ip {source}` entry without an interface name")
                continue
            key = _int(entry.get("ifindex")) or name
            if key not in by_key:
                order.append(key)
            if source == "addr":
                addrs[key] = _addresses(entry)
                by_key.setdefault(key, entry)
            else:
                by_key[key] = entry
    out = []
    for key in order:
        link = by_key[key]
        kind = link_kind(link)
        peer = dig(link, "link")
        out.append(
            Interface(
                ifindex=_int(link.get("ifindex")),
                name=clean(dig_str(link, "ifname")),
                kind=clean(kind.kind),
                kind_from=kind.source,
                role=clean(kind.role),
                state=clean(link_state(link)),
                mtu=_int(link.get("mtu")),
                mac=clean(dig_str(link, "address")) if dig_str(link, "link_type") == "ether" else "",
                master=clean(dig_str(link, "master")),
                peer_ifindex=_int(link.get("link_index")),
                peer_netnsid=_int(link.get("link_netnsid")),
                peer_name=clean(peer) if isinstance(peer, str) else "",
                addresses=addrs.get(key, ()),
                udp_port=_int(dig(link, "linkinfo", "info_data", "port")),
            )
        )
    return tuple(out)


def _family(entry: Any) -> str:
    for field in ("dst", "gateway", "prefsrc"):
        value = dig_str(entry, field)
        if value and value != "default":
            fam = cidr.family_of(value)
            if fam:
                return fam
    via = dig(entry, "via")
    if isinstance(via, dict):
        return dig_str(via, "family") or "inet"
    return "inet"


def _routes(node: NodeState, skipped: list[str]) -> tuple[Route, ...]:
    out = []
    for entry in node.routes:
        dst = dig_str(entry, "dst")
        if not isinstance(entry, dict) or not dst:
            skipped.append("a route without a destination")
            continue
        gateway = dig_str(entry, "gateway") or dig_str(entry, "via", "host")
        out.append(
            Route(
                dst=clean(dst),
                family=_family(entry),
                gateway=clean(gateway),
                dev=clean(dig_str(entry, "dev")),
                table=clean(dig_str(entry, "table") or "main"),
                type=clean(dig_str(entry, "type") or "unicast"),
                protocol=clean(dig_str(entry, "protocol")),
                scope=clean(dig_str(entry, "scope")),
                prefsrc=clean(dig_str(entry, "prefsrc")),
                metric=_int(entry.get("metric")),
            )
        )
    return tuple(out)


_RULE_SELECTORS = (("src", "from"), ("dst", "to"), ("iif", "iif"), ("oif", "oif"), ("fwmark", "fwmark"),
                   ("ipproto", "ipproto"), ("dport", "dport"), ("sport", "sport"))


def _rules(node: NodeState, skipped: list[str]) -> tuple[Rule, ...]:
    out = []
    for entry in node.rules:
        if not isinstance(entry, dict):
            skipped.append("a policy rule that is not an object")
            continue
        words = []
        for field, word in _RULE_SELECTORS:
            value = dig_str(entry, field)
            if value:
                length = _int(entry.get(f"{field}len"))
                if field == "fwmark" and dig_str(entry, "fwmask"):
                    value = f"{value}/{dig_str(entry, 'fwmask')}"
                words.append(f"{word} {value}/{length}" if length is not None else f"{word} {value}")
        if dig(entry, "not") is not None:
            words.insert(0, "not")
        table = dig_str(entry, "table")
        action = dig_str(entry, "action") or ("lookup" if table else "?")
        out.append(Rule(_int(entry.get("priority")), clean(" ".join(words) or "from all"), clean(table), clean(action)))
    return tuple(out)


def _neighbours(node: NodeState, skipped: list[str]) -> tuple[Neighbour, ...]:
    out = []
    for entry in node.neighbours:
        ip = dig_str(entry, "dst")
        if cidr.parse_address(ip) is None:
            skipped.append("a neighbour entry without an address")
            continue
        state = dig(entry, "state")
        states = [s for s in state if isinstance(s, str)] if isinstance(state, list) else []
        out.append(Neighbour(clean(ip), clean(dig_str(entry, "dev")), clean(dig_str(entry, "lladdr")),
                             clean(",".join(states) or dig_str(entry, "state"))))
    return tuple(out)


def read_kernel(node: NodeState | None) -> Kernel:
    """Everything this module can read from a node's state; an absent node gives an empty Kernel."""
    if node is None:
        return Kernel((), (), (), (), ())
    skipped: list[str] = []
    return Kernel(_interfaces(node, skipped), _routes(node, skipped), _rules(node, skipped),
                  _neighbours(node, skipped), tuple(skipped))


def best_route(routes: Iterable[Route], target: object) -> Route | None:
    """Longest-prefix match among main-table unicast routes for an address or prefix `target`.

    A route only matches a prefix it covers wholly: a pod CIDR reached through per-pod /32
    routes has no single covering route, which the caller reports separately.
    """
    best: Route | None = None
    best_len = -1
    for route in routes:
        if not route.forwards:
            continue
        prefix = route.prefix
        if prefix is None or not cidr.prefix_contains(str(prefix), target):
            continue
        metric = route.metric if route.metric is not None else 0
        best_metric = best.metric if best is not None and best.metric is not None else 0
        if prefix.prefixlen > best_len or (prefix.prefixlen == best_len and metric < best_metric):
            best, best_len = route, prefix.prefixlen
    return best


def routes_inside(routes: Iterable[Route], target: object) -> tuple[Route, ...]:
    """Main-table routes strictly more specific than prefix `target` (per-pod routes, for one)."""
    outer = cidr.parse_prefix(target)
    if outer is None:
        return ()
    out = []
    for route in routes:
        prefix = route.prefix
        if route.forwards and prefix is not None and prefix != outer and cidr.prefix_contains(str(outer), str(prefix)):
            out.append(route)
    return tuple(out)

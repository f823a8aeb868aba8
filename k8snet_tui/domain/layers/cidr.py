"""Addresses and prefixes: which space an address belongs to, and what a prefix means in bits.

The lab's first lesson is that three IP spaces meet on a node (internet, host network, pods).
Telling them apart starts with the address ranges IANA reserves, so every view classifies the
addresses it shows with `classify_address`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Kind codes (stable: they appear in `--json` output).
UNSPECIFIED = "unspecified"
LOOPBACK = "loopback"
LINK_LOCAL = "link-local"
MULTICAST = "multicast"
BROADCAST = "broadcast"
RFC1918 = "rfc1918"
CGNAT = "cgnat"
RESERVED = "reserved"
PUBLIC = "public"
ULA = "ula"
INVALID = "invalid"

KIND_WORDS = {
    UNSPECIFIED: "unspecified address (any)",
    LOOPBACK: "loopback: never leaves the host",
    LINK_LOCAL: "link-local: valid on one link only, never routed",
    MULTICAST: "multicast",
    BROADCAST: "limited broadcast",
    RFC1918: "private (RFC 1918): routable only inside a private network such as a VPC",
    CGNAT: "shared address space (RFC 6598, carrier-grade NAT); also used by some clouds and CNIs",
    RESERVED: "special-purpose range (documentation, benchmarking or future use)",
    PUBLIC: "public: routable on the internet",
    ULA: "unique local IPv6 (fc00::/7): the IPv6 counterpart of private ranges",
    INVALID: "not an IP address",
}

_V4 = ipaddress.IPv4Network
_RFC1918 = (_V4("10.0.0.0/8"), _V4("172.16.0.0/12"), _V4("192.168.0.0/16"))
_CGNAT = _V4("100.64.0.0/10")
_V4_LINK_LOCAL = _V4("169.254.0.0/16")
# IANA special-purpose blocks that are neither private nor public in practice.
_V4_RESERVED = tuple(
    _V4(n)
    for n in (
        "0.0.0.0/8",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "240.0.0.0/4",
    )
)
_V6 = ipaddress.IPv6Network
_V6_LINK_LOCAL = _V6("fe80::/10")
_V6_ULA = _V6("fc00::/7")
_V6_GLOBAL = _V6("2000::/3")
_V6_RESERVED = (_V6("2001:db8::/32"), _V6("100::/64"), _V6("2001::/23"))


def parse_address(text: object) -> IPAddress | None:
    """An address from `10.0.0.1`, `10.0.0.1/24` (interface notation) or `fe80::1%eth0`; None if not one."""
    if not isinstance(text, str):
        return None
    raw = text.strip().split("/", 1)[0]
    try:
        return ipaddress.ip_address(raw)
    except ValueError:
        return None


def parse_prefix(text: object) -> IPNetwork | None:
    """A network from `10.96.0.0/12`; host bits are tolerated (`10.0.0.5/24` -> 10.0.0.0/24).

    A bare address counts as a host prefix (/32 or /128), which is how `ip route` prints them.
    `default` is the whole IPv4 space, as `ip -j route` writes it.
    """
    if not isinstance(text, str):
        return None
    raw = text.strip()
    if raw == "default":
        return ipaddress.IPv4Network("0.0.0.0/0")
    if "%" in raw:
        return None
    try:
        return ipaddress.ip_network(raw, strict=False)
    except ValueError:
        return None


def _classify(addr: IPAddress) -> str:
    if isinstance(addr, ipaddress.IPv6Address):
        mapped = addr.ipv4_mapped
        if mapped is not None:
            return _classify(mapped)
        if addr.is_unspecified:
            return UNSPECIFIED
        if addr.is_loopback:
            return LOOPBACK
        if addr in _V6_LINK_LOCAL:
            return LINK_LOCAL
        if addr.is_multicast:
            return MULTICAST
        if addr in _V6_ULA:
            return ULA
        if any(addr in n for n in _V6_RESERVED):
            return RESERVED
        return PUBLIC if addr in _V6_GLOBAL else RESERVED
    if addr == ipaddress.IPv4Address("0.0.0.0"):
        return UNSPECIFIED
    if addr.is_loopback:
        return LOOPBACK
    if addr in _V4_LINK_LOCAL:
        return LINK_LOCAL
    if addr.is_multicast:
        return MULTICAST
    if addr == ipaddress.IPv4Address("255.255.255.255"):
        return BROADCAST
    if any(addr in n for n in _RFC1918):
        return RFC1918
    if addr in _CGNAT:
        return CGNAT
    if any(addr in n for n in _V4_RESERVED):
        return RESERVED
    return PUBLIC


def classify_address(text: object) -> str:
    """The kind code of an address (see KIND_WORDS); `invalid` for anything that is not one."""
    addr = parse_address(text)
    return INVALID if addr is None else _classify(addr)


def family_of(text: object) -> str:
    """`inet`, `inet6` (the words `ip` uses) or `` when `text` is neither an address nor a prefix."""
    addr = parse_address(text)
    if addr is None:
        net = parse_prefix(text)
        return "" if net is None else ("inet" if net.version == 4 else "inet6")
    return "inet" if addr.version == 4 else "inet6"


def prefix_contains(prefix: object, item: object) -> bool:
    """Whether address or prefix `item` lies wholly inside `prefix` (families must match)."""
    outer = parse_prefix(prefix)
    inner = parse_prefix(item)
    if outer is None or inner is None or outer.version != inner.version:
        return False
    return inner.subnet_of(outer)  # type: ignore[arg-type]


def first_containing(item: object, prefixes: Iterable[object]) -> str | None:
    """The first of `prefixes` (as given) that holds `item`."""
    for prefix in prefixes:
        if prefix_contains(prefix, item):
            return str(prefix)
    return None


class PrefixMatcher:
    """`first_containing` for many items against the same prefixes, each prefix parsed once.

    `PrefixMatcher(prefixes).first(item) == first_containing(item, prefixes)` for every item:
    prefixes are grouped by (IP version, length), so a lookup masks the item once per distinct
    length and finds the earliest prefix (as given) in a dict, instead of parsing every prefix
    for every item (30k pods x 100 node CIDRs is millions of `ip_network` calls).
    """

    __slots__ = ("_groups",)

    def __init__(self, prefixes: Iterable[object]):
        # (version, prefixlen) -> {network int: (order, prefix as given)}; earliest order wins.
        groups: dict[tuple[int, int], dict[int, tuple[int, str]]] = {}
        for order, prefix in enumerate(prefixes):
            net = parse_prefix(prefix)
            if net is None:
                continue
            slot = groups.setdefault((net.version, net.prefixlen), {})
            slot.setdefault(int(net.network_address), (order, str(prefix)))
        self._groups = tuple(
            (version, plen, ((1 << _bits(version)) - 1) ^ ((1 << (_bits(version) - plen)) - 1), nets)
            for (version, plen), nets in sorted(groups.items())
        )

    def first(self, item: object) -> str | None:
        """The first prefix (as given) that wholly holds address or prefix `item`."""
        version_, length, value = _prefix_parts(item)
        best: tuple[int, str] | None = None
        if version_:
            for version, plen, mask, nets in self._groups:
                if version != version_ or plen > length:
                    continue
                hit = nets.get(value & mask)
                if hit is not None and (best is None or hit[0] < best[0]):
                    best = hit
        return best[1] if best is not None else None


def _prefix_parts(item: object) -> tuple[int, int, int]:
    """(version, prefixlen, network int) as `parse_prefix` reads `item`; (0, 0, 0) when it does not.

    A bare address (the common case: pod IPs) skips `ip_network`, which costs several times more.
    """
    if isinstance(item, str) and "/" not in item and "%" not in item:
        raw = item.strip()
        if raw != "default":
            try:
                addr = ipaddress.ip_address(raw)
            except ValueError:
                return 0, 0, 0
            return addr.version, addr.max_prefixlen, int(addr)
    net = parse_prefix(item)
    if net is None:
        return 0, 0, 0
    return net.version, net.prefixlen, int(net.network_address)


def _bits(version: int) -> int:
    return 32 if version == 4 else 128


def prefix_size(prefix: object) -> int:
    """How many addresses the prefix spans (0 when it is not a prefix)."""
    net = parse_prefix(prefix)
    return 0 if net is None else net.num_addresses


def subnet_count(prefix: object, mask_size: int) -> int:
    """How many /mask_size blocks fit in `prefix` (Cilium carves one per node this way)."""
    net = parse_prefix(prefix)
    if net is None or not isinstance(mask_size, int) or isinstance(mask_size, bool):
        return 0
    if mask_size < net.prefixlen or mask_size > net.max_prefixlen:
        return 0
    return 1 << (mask_size - net.prefixlen)


@dataclass(frozen=True)
class BitGroup:
    """One octet (IPv4) or hextet (IPv6): its value, its bits, and how many are network bits."""

    value: int
    bits: str
    network_bits: int

    def marked(self) -> str:
        """Bits in nibbles with `|` where the network part ends inside this group."""
        out = []
        for i, bit in enumerate(self.bits):
            if i and i == self.network_bits:
                out.append("|")
            elif i and i % 4 == 0:
                out.append(" ")
            out.append(bit)
        return "".join(out)

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "bits": self.bits, "network_bits": self.network_bits}


@dataclass(frozen=True)
class BinaryBreakdown:
    """An address (or prefix) written in binary, network bits counted per group.

    JSON: `address`, `prefixlen`, `network` (the prefix the bits select), `first`/`last` (range),
    `size` (address count), `inside` (whether `address` lies in `within`, null without one),
    `within`, `groups` (list of {value, bits, network_bits}).
    """

    address: str
    prefixlen: int
    network: str
    first: str
    last: str
    size: int
    groups: tuple[BitGroup, ...]
    within: str = ""
    inside: bool | None = None

    def lines(self) -> tuple[str, ...]:
        """One line per group, as the lab writes `0000 1010`; `|` marks the end of the network part."""
        return tuple(g.marked() for g in self.groups)

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "prefixlen": self.prefixlen,
            "network": self.network,
            "first": self.first,
            "last": self.last,
            "size": self.size,
            "within": self.within,
            "inside": self.inside,
            "groups": [g.to_json() for g in self.groups],
        }


def binary_breakdown(text: object, within: object = None) -> BinaryBreakdown | None:
    """Break `10.96.0.0/12` (or a bare address) into binary groups with the network bits counted.

    With `within` (a prefix), the network bits are that prefix's length, and `inside` tells
    whether the address falls in it: the lab's check that 10.111.148.30 belongs to 10.96.0.0/12.
    None when `text` (or `within`, if given) does not parse.
    """
    addr = parse_address(text)
    net = parse_prefix(text)
    if addr is None or net is None:
        return None
    outer = None
    if within is not None:
        outer = parse_prefix(within)
        if outer is None or outer.version != addr.version:
            return None
        net = outer
    width = 8 if addr.version == 4 else 16
    total = addr.max_prefixlen
    value = int(addr)
    groups = []
    for start in range(0, total, width):
        shift = total - start - width
        group = (value >> shift) & ((1 << width) - 1)
        in_net = min(max(net.prefixlen - start, 0), width)
        groups.append(BitGroup(group, format(group, f"0{width}b"), in_net))
    return BinaryBreakdown(
        address=str(addr),
        prefixlen=net.prefixlen,
        network=str(net),
        first=str(net.network_address),
        last=str(net.broadcast_address),
        size=net.num_addresses,
        groups=tuple(groups),
        within=str(outer) if outer is not None else "",
        inside=(addr in outer) if outer is not None else None,
    )

"""Address pools for LoadBalancer Services: MetalLB IPAddressPools and Cilium LB IPAM pools.

Shapes, from the projects' CRDs: MetalLB `metallb.io/v1beta1 IPAddressPool` has
`spec.addresses` (each a CIDR or an explicit `first-last` range), `spec.autoAssign` (default
true), `spec.avoidBuggyIPs` and `spec.serviceAllocation` (`priority`, `namespaces`,
`namespaceSelectors`, `serviceSelectors`). Cilium `cilium.io/v2alpha1 CiliumLoadBalancerIPPool`
has `spec.blocks` (each `{cidr}` or `{start, stop}`; older releases `spec.cidrs`), `spec.disabled`
and `spec.serviceSelector`.

A range that does not parse is kept as a problem in words (MetalLB's webhook would refuse it;
a snapshot may hold it anyway); nothing here raises on bad input.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

from ..model import ClusterState, Obj, dig, dig_dict, dig_list, dig_str, key_of, namespace_of
from ..policy.selectors import Selector, parse_selector

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_RANGES = 256  # per pool: more is hostile input, not a pool
MAX_POOLS = 1000


@dataclass(frozen=True)
class AddressRange:
    text: str  # as written
    first: Address
    last: Address

    def __contains__(self, ip: object) -> bool:
        return isinstance(ip, (ipaddress.IPv4Address, ipaddress.IPv6Address)) and \
            ip.version == self.first.version and int(self.first) <= int(ip) <= int(self.last)

    def overlaps(self, other: AddressRange) -> bool:
        return self.first.version == other.first.version and int(self.first) <= int(other.last) \
            and int(other.first) <= int(self.last)


@dataclass(frozen=True)
class Pool:
    key: str  # "metallb-system/lab-pool" (MetalLB, namespaced) or "lab-pool" (Cilium, cluster-scoped)
    kind: str  # "metallb" | "cilium"
    ranges: tuple[AddressRange, ...]
    texts: tuple[str, ...]  # every range as written, the bad ones too
    auto_assign: bool
    avoid_buggy_ips: bool
    disabled: bool  # Cilium's spec.disabled
    priority: int | None  # MetalLB serviceAllocation.priority (lower wins)
    namespaces: tuple[str, ...]  # serviceAllocation.namespaces
    namespace_selectors: tuple[Selector, ...]
    service_selectors: tuple[Selector, ...]
    problems: tuple[str, ...]
    labels: Mapping[str, str]

    @property
    def restricted(self) -> bool:
        """The pool serves only the Services its selectors or namespaces name."""
        return bool(self.namespaces or self.namespace_selectors or self.service_selectors)

    def holds(self, ip: Address) -> bool:
        return any(ip in r for r in self.ranges)


def parse_ip(text: object) -> Address | None:
    if not isinstance(text, str) or len(text) > 64:
        return None
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def parse_range(text: object) -> AddressRange | str:
    """One pool range, or the reason it is not one (in words)."""
    if not isinstance(text, str) or not text.strip():
        return f"{text!r} is not an address range"
    raw = text.strip()
    if len(raw) > 100:
        return f"{raw[:40]!r}... is too long to be an address range"
    if "-" in raw and "/" not in raw:
        start, _, stop = raw.partition("-")
        first, last = parse_ip(start), parse_ip(stop)
        if first is None or last is None:
            return f"{raw!r} is not a first-last address range"
        if first.version != last.version:
            return f"{raw!r} mixes IPv4 and IPv6"
        if int(first) > int(last):
            return f"{raw!r} ends before it starts"
        return AddressRange(raw, first, last)
    try:
        net = ipaddress.ip_network(raw, strict=False)
    except ValueError:
        return f"{raw!r} is not a CIDR (nor a first-last range)"
    # 192.0.2.7/24 reads as the network it is in, as MetalLB's Go ParseCIDR reads it.
    return AddressRange(raw, net.network_address, net.broadcast_address)


def _selectors(raw: object, where: str) -> tuple[Selector, ...]:
    items = raw if isinstance(raw, list) else []
    return tuple(parse_selector(s, where, f"{where}[{i}]") for i, s in enumerate(items[:MAX_RANGES]))


def _ranges(texts: list[str], where: str) -> tuple[tuple[AddressRange, ...], list[str]]:
    ranges: list[AddressRange] = []
    problems: list[str] = []
    for text in texts[:MAX_RANGES]:
        got = parse_range(text)
        if isinstance(got, str):
            problems.append(f"{where}: {got}")
        else:
            ranges.append(got)
    if len(texts) > MAX_RANGES:
        problems.append(f"{where}: only the first {MAX_RANGES} of {len(texts)} ranges are read")
    return tuple(ranges), problems


def _labels(obj: Obj) -> dict[str, str]:
    return {k: v for k, v in dig_dict(obj, "metadata", "labels").items() if isinstance(k, str) and isinstance(v, str)}


def metallb_pool(obj: Obj) -> Pool:
    key = key_of(obj)
    texts = [t if isinstance(t, str) else repr(t) for t in dig_list(obj, "spec", "addresses")]
    ranges, problems = _ranges(texts, f"IPAddressPool {key}")
    if not texts:
        problems.append(f"IPAddressPool {key} lists no addresses")
    auto = dig(obj, "spec", "autoAssign")
    alloc = dig_dict(obj, "spec", "serviceAllocation")
    prio = dig(alloc, "priority")
    namespaces = tuple(n for n in dig_list(alloc, "namespaces") if isinstance(n, str) and n)
    return Pool(key, "metallb", ranges, tuple(texts), auto is not False, dig(obj, "spec", "avoidBuggyIPs") is True,
                False, prio if isinstance(prio, int) and not isinstance(prio, bool) else None, namespaces,
                _selectors(dig(alloc, "namespaceSelectors"), f"IPAddressPool {key} namespaceSelectors"),
                _selectors(dig(alloc, "serviceSelectors"), f"IPAddressPool {key} serviceSelectors"),
                tuple(problems), _labels(obj))


def cilium_pool(obj: Obj) -> Pool:
    key = key_of(obj)
    texts: list[str] = []
    for block in dig_list(obj, "spec", "blocks") + dig_list(obj, "spec", "cidrs"):
        cidr, start, stop = dig_str(block, "cidr"), dig_str(block, "start"), dig_str(block, "stop")
        if cidr:
            texts.append(cidr)
        elif start:
            texts.append(f"{start}-{stop or start}")
        else:
            texts.append(repr(block))
    ranges, problems = _ranges(texts, f"CiliumLoadBalancerIPPool {key}")
    if not texts:
        problems.append(f"CiliumLoadBalancerIPPool {key} lists no blocks")
    selector = dig(obj, "spec", "serviceSelector")
    return Pool(key, "cilium", ranges, tuple(texts), True, False, dig(obj, "spec", "disabled") is True, None, (),
                (), _selectors([selector], f"CiliumLoadBalancerIPPool {key} serviceSelector") if selector else (),
                tuple(problems), _labels(obj))


def read_pools(cluster: ClusterState) -> tuple[Pool, ...]:
    """Every pool of the state, MetalLB's then Cilium's, each in list order (built once per state)."""
    return cluster.memo(_read_pools)


def _read_pools(cluster: ClusterState) -> tuple[Pool, ...]:
    metallb = [metallb_pool(o) for o in cluster.of("IPAddressPool")[:MAX_POOLS] if isinstance(o, dict)]
    cilium = [cilium_pool(o) for o in cluster.of("CiliumLoadBalancerIPPool")[:MAX_POOLS] if isinstance(o, dict)]
    return tuple(metallb + cilium)


def overlaps(pools: tuple[Pool, ...]) -> list[str]:
    """"A and B both hold 192.0.2.0-192.0.2.15" for each pair of pools of one kind whose ranges meet."""
    out: list[str] = []
    for i, a in enumerate(pools):
        for b in pools[i + 1:]:
            if a.kind != b.kind:
                continue
            for ra in a.ranges:
                hit = next((rb for rb in b.ranges if ra.overlaps(rb)), None)
                if hit is not None:
                    lo, hi = max(ra.first, hit.first, key=int), min(ra.last, hit.last, key=int)
                    span = str(lo) if lo == hi else f"{lo}-{hi}"
                    out.append(f"{a.key} ({ra.text}) and {b.key} ({hit.text}) both hold {span}")
                    break
            if len(out) >= 20:
                return out
    return out


def serves(pool: Pool, svc: Obj, namespace_labels: Mapping[str, str]) -> bool:
    """The pool may give `svc` an address: its namespaces and selectors admit it (MetalLB's rule:
    a listed namespace or a matching namespace selector, and a matching Service selector)."""
    if pool.disabled:
        return False
    ns = namespace_of(svc)
    if (pool.namespaces or pool.namespace_selectors) and ns not in pool.namespaces and not any(
            s.matches(namespace_labels) for s in pool.namespace_selectors):
        return False
    if pool.service_selectors:
        labels = {k: v for k, v in dig_dict(svc, "metadata", "labels").items()
                  if isinstance(k, str) and isinstance(v, str)}
        if not any(s.matches(labels) for s in pool.service_selectors):
            return False
    return True

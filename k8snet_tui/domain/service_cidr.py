"""Where service ClusterIPs come from, and the lab's by-hand binary view of a prefix and an IP."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, cast

from .model import ClusterState, dig_dict, dig_list, dig_str, name_of

_FLAG = "--service-cluster-ip-range"


@dataclass(frozen=True)
class ServiceCIDRs:
    cidrs: tuple[str, ...]
    source: str  # "ServiceCIDR", "kube-apiserver flag", "guess", "unknown"
    detail: str  # which object or flag, in words
    certain: bool

    def to_json(self) -> dict[str, Any]:
        return {"cidrs": list(self.cidrs), "source": self.source, "detail": self.detail, "certain": self.certain}


def _valid(cidr: str) -> bool:
    try:
        ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
    return True


def _flag_value(args: list[Any]) -> str | None:
    for i, arg in enumerate(args):
        if not isinstance(arg, str):
            continue
        if arg.startswith(_FLAG + "="):
            return arg.split("=", 1)[1]
        if arg == _FLAG and i + 1 < len(args) and isinstance(args[i + 1], str):
            return cast(str, args[i + 1])  # checked just above
    return None


def find_service_cidrs(cluster: ClusterState) -> ServiceCIDRs:
    """ServiceCIDR objects first, then the apiserver flag, then a labelled guess from default/kubernetes."""
    found: list[str] = []
    names = []
    for obj in cluster.of("ServiceCIDR"):
        cidrs = [c for c in dig_list(obj, "spec", "cidrs") if isinstance(c, str) and _valid(c)]
        if cidrs:
            found += [c for c in cidrs if c not in found]
            names.append(name_of(obj))
    if found:
        return ServiceCIDRs(tuple(found), "ServiceCIDR", f"ServiceCIDR objects: {', '.join(names)}", True)
    # Only kube-system's pods: a live store hands them out alone, so this reads a few dozen
    # pods, not all of them, and the result outlives pod updates in other namespaces.
    for pod in cluster.in_namespace("Pod", "kube-system"):
        if dig_str(pod, "metadata", "labels", "component") != "kube-apiserver":
            continue
        for c in dig_list(pod, "spec", "containers"):
            value = _flag_value(dig_list(c, "command") + dig_list(c, "args"))
            if value:
                flag_cidrs = tuple(v.strip() for v in value.split(",") if _valid(v.strip()))
                if flag_cidrs:
                    return ServiceCIDRs(flag_cidrs, "kube-apiserver flag", f"{_FLAG} on pod kube-system/{name_of(pod)}", True)
    svc = cluster.get("Service", "default", "kubernetes")
    ip = dig_str(dig_dict(svc, "spec"), "clusterIP")
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ServiceCIDRs((), "unknown", "no ServiceCIDR, no readable kube-apiserver pod, no default/kubernetes", False)
    # The first usable address of the range goes to default/kubernetes; kubeadm's default is /12.
    guess = ipaddress.ip_network(f"{addr}/{12 if addr.version == 4 else 112}", strict=False)
    return ServiceCIDRs((str(guess),), "guess",
                        f"default/kubernetes has {ip}, the first address of the range; the prefix length is a guess", False)


@dataclass(frozen=True)
class Octet:
    value: int
    bits: str  # "0000 1010"
    prefix_bits: int  # how many leading bits of this octet belong to the prefix (0-8)

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "bits": self.bits, "prefix_bits": self.prefix_bits}


@dataclass(frozen=True)
class BinaryBreakdown:
    """A prefix and (optionally) an address, octet by octet, as the lab works it out by hand."""

    network: str
    prefix_len: int
    network_octets: tuple[Octet, ...]
    ip: str | None
    ip_octets: tuple[Octet, ...]
    contains: bool | None
    first: str
    last: str
    size: int

    def to_json(self) -> dict[str, Any]:
        return {
            "network": self.network, "prefix_len": self.prefix_len,
            "network_octets": [o.to_json() for o in self.network_octets],
            "ip": self.ip, "ip_octets": [o.to_json() for o in self.ip_octets],
            "contains": self.contains, "first": self.first, "last": self.last, "size": self.size,
        }


def _octets(raw: bytes, prefix_len: int) -> tuple[Octet, ...]:
    out = []
    for i, b in enumerate(raw):
        bits = f"{b:08b}"
        out.append(Octet(b, f"{bits[:4]} {bits[4:]}", max(0, min(8, prefix_len - 8 * i))))
    return tuple(out)


def binary_breakdown(prefix: str, ip: str | None = None) -> BinaryBreakdown | None:
    """None when `prefix` (or `ip`) is not an address; IPv6 works too (16 octets)."""
    try:
        net = ipaddress.ip_network(prefix.strip(), strict=False)
        addr = ipaddress.ip_address(ip.strip()) if ip else None
    except (ValueError, AttributeError):
        return None
    contains: bool | None
    if addr is not None and addr.version != net.version:
        contains = False
    else:
        contains = None if addr is None else addr in net
    return BinaryBreakdown(
        str(net), net.prefixlen, _octets(net.network_address.packed, net.prefixlen),
        str(addr) if addr else None, _octets(addr.packed, net.prefixlen) if addr else (), contains,
        str(net.network_address), str(net.broadcast_address), net.num_addresses,
    )

"""What kind of interface an `ip -j link` entry is, and what it is for on a Kubernetes node.

`ip -j -d link` names the driver in `linkinfo.info_kind`; plain `ip -j link` does not, so names
and link types fill in, and the answer says which it came from (`linkinfo`, `name` or `guess`).
CNI plugins name their devices predictably (cilium_host, lxc*, cali*, flannel.1, ...), and the
name says more about the role than the driver: an lxc* device is a veth, but the host end of a
Cilium pod's cable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model import dig, dig_dict, dig_str

ROLE_WORDS = {
    "loopback": "loopback",
    "physical": "network card (or the hypervisor's virtual NIC): the host network",
    "veth": "one end of a virtual cable (veth pair)",
    "bridge": "software switch joining veths on this host",
    "vxlan": "VXLAN overlay device: wraps packets in UDP between nodes",
    "geneve": "Geneve overlay device: wraps packets in UDP between nodes",
    "dummy": "dummy device: holds addresses, carries no traffic",
    "tun": "TUN device: a program reads and writes its packets",
    "cilium_host": "Cilium's host-side router address for the local pod CIDR",
    "cilium_net": "the other end of cilium_host (veth pair)",
    "lxc": "host end of a Cilium pod's veth",
    "cali": "host end of a Calico pod's veth",
    "flannel.1": "Flannel's VXLAN device (UDP 8472 by the kernel default)",
    "kube-ipvs0": "kube-proxy IPVS mode: a dummy device holding every service IP",
    "ipip": "IP-in-IP tunnel device",
    "wireguard": "WireGuard encrypted tunnel device",
}

_BY_NAME = {
    "lo": "loopback",
    "cilium_host": "cilium_host",
    "cilium_net": "cilium_net",
    "cilium_vxlan": "vxlan",
    "cilium_geneve": "geneve",
    "flannel.1": "flannel.1",
    "kube-ipvs0": "kube-ipvs0",
    "tunl0": "ipip",
    "vxlan.calico": "vxlan",
    "cni0": "bridge",
    "docker0": "bridge",
    "kube-bridge": "bridge",
    "weave": "bridge",
}
_BY_PREFIX = (("lxc", "lxc"), ("cali", "cali"))
_KNOWN_DRIVERS = frozenset(
    {"veth", "bridge", "vxlan", "geneve", "dummy", "tun", "ipip", "wireguard", "vlan", "bond",
     "macvlan", "ipvlan", "gre", "sit", "ip6tnl", "vrf", "team", "tap"}
)


@dataclass(frozen=True)
class LinkKind:
    kind: str
    source: str  # "linkinfo", "name" or "guess"

    @property
    def role(self) -> str:
        return ROLE_WORDS.get(self.kind, self.kind)


def link_kind(link: Any) -> LinkKind:
    """Classify one `ip -j link` entry; never raises, `unknown` when nothing says."""
    name = dig_str(link, "ifname")
    info_kind = dig_str(link, "linkinfo", "info_kind")
    link_type = dig_str(link, "link_type")
    if name in _BY_NAME:
        return LinkKind(_BY_NAME[name], "name")
    for prefix, kind in _BY_PREFIX:
        if name.startswith(prefix) and (not info_kind or info_kind == "veth"):
            return LinkKind(kind, "name")
    if info_kind:
        return LinkKind(info_kind if info_kind in _KNOWN_DRIVERS else info_kind[:32], "linkinfo")
    if link_type == "loopback":
        return LinkKind("loopback", "guess")
    if link_type == "none" and "POINTOPOINT" in _flags(link):
        return LinkKind("tun", "guess")
    if link_type == "ether":
        # Without `-d` a veth shows its peer (by name, or by index and netns id); anything else
        # ether-like is most often a NIC, but a bridge or dummy looks the same here.
        if dig(link, "link") is not None or dig(link, "link_netnsid") is not None:
            return LinkKind("veth", "guess")
        is_detailed = isinstance(dig(link, "min_mtu"), int) or bool(dig_dict(link, "linkinfo"))
        if is_detailed or dig_str(link, "parentbus"):
            return LinkKind("physical", "linkinfo")
        return LinkKind("physical", "guess")
    return LinkKind("unknown", "guess")


def _flags(link: Any) -> tuple[str, ...]:
    flags = dig(link, "flags")
    if not isinstance(flags, list):
        return ()
    return tuple(f for f in flags if isinstance(f, str))


def link_state(link: Any) -> str:
    """The kernel's operstate; a link whose flags lack UP was switched off: `DOWN (admin)`."""
    flags = _flags(link)
    if flags and "UP" not in flags:
        return "DOWN (admin)"
    return dig_str(link, "operstate") or "?"

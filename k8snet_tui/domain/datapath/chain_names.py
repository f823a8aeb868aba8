"""Chain names kube-proxy derives from a service port, so rules can be found without comments.

kube-proxy drops rule comments on big clusters (more than 1000 endpoints), so the only
reliable link between a Service and its chains is the name itself, which is a hash of the
service-port name. These functions recompute those names.
"""

from __future__ import annotations

import base64
import hashlib

# nftables limits object names to 256 bytes; kube-proxy keeps 16 for its prefixes.
_NFT_BASE_MAX = 256 - 16


def _b32_sha256(text: str) -> str:
    return base64.b32encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def service_port_name(namespace: str, name: str, port_name: str = "") -> str:
    """`ns/name:port`, or `ns/name` for an unnamed port (kube-proxy writes no colon then)."""
    base = f"{namespace}/{name}"
    return f"{base}:{port_name}" if port_name else base


def join_host_port(ip: str, port: int | str) -> str:
    """`IP:port`, with IPv6 addresses in brackets (the form the SEP hash is computed over)."""
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def port_proto_hash(spn: str, protocol: str) -> str:
    """The 16-character hash shared by KUBE-SVC/SVL/EXT/FW chains of one service port."""
    return _b32_sha256(spn + protocol.lower())[:16]


def iptables_chain_names(spn: str, protocol: str) -> dict[str, str]:
    """{"service": KUBE-SVC-.., "local": KUBE-SVL-.., "external": KUBE-EXT-.., "firewall": KUBE-FW-..}."""
    h = port_proto_hash(spn, protocol)
    return {
        "service": f"KUBE-SVC-{h}",
        "local": f"KUBE-SVL-{h}",
        "external": f"KUBE-EXT-{h}",
        "firewall": f"KUBE-FW-{h}",
    }


def iptables_endpoint_chain(spn: str, protocol: str, ip: str, port: int | str) -> str:
    """KUBE-SEP-<hash of spn + protocol + IP:port>."""
    return "KUBE-SEP-" + _b32_sha256(spn + protocol.lower() + join_host_port(ip, port))[:16]


def hash_and_truncate(name: str) -> str:
    """nftables mode: 8 base32 characters of the name's hash, a dash, the name; capped at 240."""
    out = _b32_sha256(name)[:8] + "-" + name
    if len(out) > _NFT_BASE_MAX:
        out = out[: _NFT_BASE_MAX - 3] + "..."
    return out


def nft_chain_base(namespace: str, name: str, protocol: str, port_name: str) -> str:
    # The port name is used as is, even when empty (giving a trailing slash).
    return hash_and_truncate(f"{namespace}/{name}/{protocol.lower()}/{port_name}")


def nft_chain_names(namespace: str, name: str, protocol: str, port_name: str) -> dict[str, str]:
    base = nft_chain_base(namespace, name, protocol, port_name)
    return {
        "service": "service-" + base,
        "local": "local-" + base,
        "external": "external-" + base,
        "firewall": "firewall-" + base,
    }


def nft_endpoint_base(namespace: str, name: str, protocol: str, port_name: str, ip: str, port: int | str) -> str:
    # Colons are not allowed in nftables names, so IPv6 endpoints use dots instead.
    ip_part = ip.replace(":", ".")
    return hash_and_truncate(f"{namespace}/{name}/{protocol.lower()}/{port_name}__{ip_part}/{port}")


def nft_endpoint_chain(namespace: str, name: str, protocol: str, port_name: str, ip: str, port: int | str) -> str:
    return "endpoint-" + nft_endpoint_base(namespace, name, protocol, port_name, ip, port)


def nft_affinity_set(namespace: str, name: str, protocol: str, port_name: str, ip: str, port: int | str) -> str:
    return "affinity-" + nft_endpoint_base(namespace, name, protocol, port_name, ip, port)

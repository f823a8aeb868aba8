"""The internet side: the node's public address, who gives it, and how traffic is translated.

Cloud VMs rarely hold their public address: the cloud's gateway maps it 1:1 onto the private
host IP (inbound and outbound), or the VM goes out through a shared SNAT address and has no
inbound public address at all. The metadata service tells the first, an echo service the
second; this module compares them with what the node's interfaces hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ..model import ClusterState, NodeState, dig_list, dig_str, name_of
from ..sanitize import clean
from . import cidr
from .kernel import read_kernel

# Lookup states (stable codes for `--json`).
NOT_LOOKED_UP = "not-looked-up"
OFFLINE = "offline"
NO_ANSWER = "no-answer"
UNEXPECTED = "unexpected"
OK = "ok"

STATUS_WORDS = {
    NOT_LOOKED_UP: "not looked up yet",
    OFFLINE: "offline (K8SNET_OFFLINE=1): no outside lookups",
    NO_ANSWER: "no cloud metadata service answered",
    UNEXPECTED: "unexpected answer (not what the provider documents; ignored)",
    OK: "answered",
}
PROVIDERS = {"aws": "Amazon Web Services", "gcp": "Google Cloud", "azure": "Microsoft Azure"}


def _ipv4(value: Any) -> str:
    addr = cidr.parse_address(value) if isinstance(value, str) and "/" not in value else None
    return str(addr) if addr is not None and addr.version == 4 else ""


@dataclass(frozen=True)
class Outbound:
    """The address the internet sees when this host connects out (from an echo service).

    JSON: status (a lookup state), ipv4, source (the URL or `snapshot`), detail.
    """

    status: str = NOT_LOOKED_UP
    ipv4: str = ""
    source: str = ""
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "ipv4": self.ipv4, "source": self.source, "detail": self.detail}


@dataclass(frozen=True)
class CloudFacts:
    """What the cloud says about this instance. Sources fill it; the domain only reads it.

    JSON: status, provider (aws|gcp|azure|""), public_ipv4, private_ipv4, region, zone,
    instance_id, source (`metadata` or `snapshot`), detail (what was unexpected or failed),
    outbound (see Outbound).
    """

    status: str = NOT_LOOKED_UP
    provider: str = ""
    public_ipv4: str = ""
    private_ipv4: str = ""
    region: str = ""
    zone: str = ""
    instance_id: str = ""
    source: str = ""
    detail: str = ""
    outbound: Outbound = field(default_factory=Outbound)

    def with_outbound(self, outbound: Outbound) -> CloudFacts:
        return replace(self, outbound=outbound)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "provider": self.provider,
            "public_ipv4": self.public_ipv4,
            "private_ipv4": self.private_ipv4,
            "region": self.region,
            "zone": self.zone,
            "instance_id": self.instance_id,
            "source": self.source,
            "detail": self.detail,
            "outbound": self.outbound.to_json(),
        }


def cloud_facts_from_json(doc: Any) -> CloudFacts:
    """A snapshot's `cloud.json` ({"provider", "public_ipv4", "outbound_ipv4"}, more keys optional).

    Values that are not IPv4 addresses, or an unknown provider, make the answer `unexpected`
    and are dropped; the JSON `to_json` writes reads back to the same facts.
    """
    if not isinstance(doc, dict):
        return CloudFacts(status=UNEXPECTED, source="snapshot", detail="cloud.json is not a JSON object")
    problems: list[str] = []
    provider = dig_str(doc, "provider").strip().lower()
    if provider and provider not in PROVIDERS:
        problems.append(f"unknown provider {clean(provider)!r}")
        provider = ""

    def ip_field(key: str, value: Any) -> str:
        if value in (None, ""):
            return ""
        ip = _ipv4(value)
        if not ip:
            problems.append(f"{key} is not an IPv4 address: {clean(str(value))[:60]!r}")
        return ip

    public = ip_field("public_ipv4", doc.get("public_ipv4"))
    private = ip_field("private_ipv4", doc.get("private_ipv4"))
    outbound = _outbound_from_json(doc)
    status = dig_str(doc, "status")
    if status not in STATUS_WORDS:
        status = OK if provider or public or private else NO_ANSWER
    if problems:
        status = UNEXPECTED
    return CloudFacts(
        status=status,
        provider=provider,
        public_ipv4=public,
        private_ipv4=private,
        region=clean(dig_str(doc, "region"))[:64],
        zone=clean(dig_str(doc, "zone"))[:64],
        instance_id=clean(dig_str(doc, "instance_id"))[:128],
        source=clean(dig_str(doc, "source"))[:32] or "snapshot",
        detail="; ".join(problems) or clean(dig_str(doc, "detail"))[:200],
        outbound=outbound,
    )


def _outbound_from_json(doc: dict[str, Any]) -> Outbound:
    nested = doc.get("outbound")
    value = doc.get("outbound_ipv4", nested.get("ipv4") if isinstance(nested, dict) else None)
    source = clean(dig_str(doc, "outbound", "source")) or "snapshot"
    if value in (None, ""):
        status = dig_str(doc, "outbound", "status")
        keep = status in STATUS_WORDS and status != OK
        return Outbound(status if keep else NOT_LOOKED_UP, "", source if keep else "",
                        clean(dig_str(doc, "outbound", "detail"))[:200])
    ip = _ipv4(value)
    if not ip:
        return Outbound(UNEXPECTED, "", source, f"outbound_ipv4 is not an IPv4 address: {clean(str(value))[:60]!r}")
    return Outbound(OK, ip, source)


@dataclass(frozen=True)
class InternetView:
    """`k8snet show internet --json`.

    JSON: status (lookup state), status_words, provider, provider_name, region, zone,
    instance_id, public_ipv4, private_ipv4, outbound_ipv4, outbound_status, node_external_ips
    (the Node's ExternalIP addresses from the API), public_on_interface (the public address is
    configured on a local interface: no NAT), host_addresses (local non-loopback addresses as
    `dev addr/len kind`), nat (none | 1:1 | snat | unknown), nat_words, detail.
    """

    status: str
    status_words: str
    provider: str
    provider_name: str
    region: str
    zone: str
    instance_id: str
    public_ipv4: str
    private_ipv4: str
    outbound_ipv4: str
    outbound_status: str
    node_external_ips: tuple[str, ...]
    public_on_interface: bool
    host_addresses: tuple[str, ...]
    nat: str
    nat_words: str
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "status_words": self.status_words,
            "provider": self.provider,
            "provider_name": self.provider_name,
            "region": self.region,
            "zone": self.zone,
            "instance_id": self.instance_id,
            "public_ipv4": self.public_ipv4,
            "private_ipv4": self.private_ipv4,
            "outbound_ipv4": self.outbound_ipv4,
            "outbound_status": self.outbound_status,
            "node_external_ips": list(self.node_external_ips),
            "public_on_interface": self.public_on_interface,
            "host_addresses": list(self.host_addresses),
            "nat": self.nat,
            "nat_words": self.nat_words,
            "detail": self.detail,
        }


def _nat(public: str, outbound: str, private: str, on_iface: bool) -> tuple[str, str]:
    host = private or "the host IP"
    if public and on_iface:
        return "none", f"{public} is configured on an interface of this host: no translation."
    if public and outbound and public == outbound:
        return "1:1", (f"1:1 NAT: the cloud's gateway maps {public} to {host} both ways; "
                       f"connections out leave as {public} too.")
    if public and outbound:
        return "snat", (f"Inbound {public} is mapped 1:1 to {host}, but connections out leave as "
                        f"{outbound} (SNAT, e.g. through a NAT gateway).")
    if public:
        return "1:1", (f"1:1 NAT inbound: the cloud's gateway maps {public} to {host}. The outbound "
                       "address was not looked up (it may differ if a NAT gateway is in the way).")
    if outbound:
        return "snat", (f"No inbound public address: connections out are translated (SNAT) to "
                        f"{outbound}, shared with other hosts.")
    return "unknown", "Neither a public address nor an outbound address is known."


def build_internet_view(cloud: CloudFacts | None, node: NodeState | None, cluster: ClusterState | None) -> InternetView:
    """The internet view from cloud facts (None: not looked up), the node's kernel and its Node object."""
    facts = cloud if isinstance(cloud, CloudFacts) else CloudFacts()
    kernel = read_kernel(node)
    local = [(i, a) for i, a in kernel.local_addresses() if a.kind not in (cidr.LOOPBACK, cidr.LINK_LOCAL)]
    on_iface = bool(facts.public_ipv4) and any(a.address == facts.public_ipv4 for _, a in local)
    node_name = node.node if node is not None else ""
    external: tuple[str, ...] = ()
    if cluster is not None and node_name:
        for obj in cluster.of("Node"):
            if name_of(obj) == node_name:
                external = tuple(clean(dig_str(a, "address")) for a in dig_list(obj, "status", "addresses")
                                 if dig_str(a, "type") == "ExternalIP" and dig_str(a, "address"))
    trusted = facts.status == OK
    public = facts.public_ipv4 if trusted else ""
    outbound = facts.outbound.ipv4 if facts.outbound.status == OK else ""
    # Without the cloud's word for the private IP, the host's own private address is the one NAT maps to.
    host_ip = (facts.private_ipv4 if trusted else "") or next(
        (a.address for _, a in local if a.family == "inet" and a.kind in (cidr.RFC1918, cidr.CGNAT)), "")
    nat, nat_words = _nat(public, outbound, host_ip, on_iface)
    return InternetView(
        status=facts.status,
        status_words=STATUS_WORDS.get(facts.status, facts.status),
        provider=facts.provider if trusted else "",
        provider_name=PROVIDERS.get(facts.provider, "") if trusted else "",
        region=facts.region if trusted else "",
        zone=facts.zone if trusted else "",
        instance_id=facts.instance_id if trusted else "",
        public_ipv4=public,
        private_ipv4=facts.private_ipv4 if trusted else "",
        outbound_ipv4=outbound,
        outbound_status=facts.outbound.status,
        node_external_ips=external,
        public_on_interface=on_iface and trusted,
        host_addresses=tuple(f"{i.name} {a.cidr} {a.kind}" for i, a in local),
        nat=nat,
        nat_words=nat_words,
        detail=facts.detail,
    )

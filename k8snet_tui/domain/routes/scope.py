"""Which proxy a tested URL reaches, and so whose rules and whose matching semantics apply.

An explicit entry wins: an IngressClass, a Listener, a Gateway or a Service (`ns/name[:port]`).
Otherwise the URL's host and port are looked up among LoadBalancer/external/cluster IPs, Gateway
addresses and node ports, and the Service found is mapped back to the controller behind it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..layers.internet import cloud_facts_from_json
from ..model import ClusterState, Obj, dig, dig_list, dig_str, key_of, name_of
from .controllers import (
    EMISSARY,
    find_services,
    implementation_of,
    known,
    service_port_for,
)
from .entries import lb_addresses, node_addresses
from .findings import INFO, WARNING, Finding
from .gateway import GATEWAY_NAME_LABEL
from .urls import ParsedUrl, UrlError


@dataclass(frozen=True)
class Scope:
    label: str | None
    implementation: str | None  # emissary | spec | gateway | service | None: unknown, try each
    controller: str | None = None
    gateway: str | None = None  # ns/name
    service: Obj | None = None  # the Service reached directly when no proxy is behind it
    service_port: Obj | None = None
    findings: tuple[Finding, ...] = ()


def _port_label(service: Obj, port: Obj | None) -> str:
    return f"{key_of(service)}:{dig(port, 'port')}" if port is not None else key_of(service)


def _controller_of_service(cluster: ClusterState, service: Obj) -> str | None:
    controllers = {dig_str(c, "spec", "controller") for c in cluster.of("IngressClass")} | {EMISSARY}
    for controller in sorted(c for c in controllers if c):
        if any(cs.key == key_of(service) for cs in find_services(cluster, controller)):
            return controller
    return None


def _from_service(cluster: ClusterState, service: Obj, port: Obj | None, findings: list[Finding]) -> Scope:
    label = _port_label(service, port)
    gw_name = dig_str(service, "metadata", "labels", GATEWAY_NAME_LABEL)
    if gw_name:
        gw = next((g for g in cluster.of("Gateway") if name_of(g) == gw_name), None)
        if gw is not None:
            return Scope(label, "gateway", gateway=key_of(gw), findings=tuple(findings))
    controller = _controller_of_service(cluster, service)
    if controller:
        return Scope(label, implementation_of(controller), controller, findings=tuple(findings))
    return Scope(label, "service", service=service, service_port=port, findings=tuple(findings))


def _from_name(cluster: ClusterState, entry: str, url: ParsedUrl) -> Scope:
    typed = entry.split("/", 1)[0] in ("IngressClass", "Listener", "Gateway", "Service")
    kind, _, rest = entry.partition("/") if typed else ("", "", entry)
    if kind in ("", "IngressClass"):
        cls = next((c for c in cluster.of("IngressClass") if name_of(c) == rest), None)
        if cls is not None:
            controller = dig_str(cls, "spec", "controller")
            found = find_services(cluster, controller)
            if found:
                label = _port_label(found[0].service, service_port_for(found[0].service, url.scheme))
            else:
                label = f"IngressClass/{rest}"
            return Scope(label, implementation_of(controller) if controller else None, controller or None)
    if kind in ("", "Listener"):
        li = next((x for x in cluster.of("Listener") if key_of(x) == rest), None)
        if li is not None:
            return Scope(f"Listener/{rest}", "emissary", EMISSARY)
    if kind in ("", "Gateway"):
        gw = next((x for x in cluster.of("Gateway") if key_of(x) == rest), None)
        if gw is not None:
            return Scope(f"Gateway/{rest}", "gateway", gateway=rest)
    if kind in ("", "Service"):
        name, _, port_text = rest.partition(":")
        svc = next((x for x in cluster.of("Service") if key_of(x) == name), None)
        if svc is not None:
            port = None
            for p in dig_list(svc, "spec", "ports"):
                if isinstance(p, dict) and port_text and port_text in (str(dig(p, "port")), dig_str(p, "name")):
                    port = p
            if port is None and port_text:
                raise UrlError("entry", f"Service {name} has no port {port_text}")
            return _from_service(cluster, svc, port or service_port_for(svc, url.scheme), [])
    raise UrlError("entry", f"{entry!r} is not an IngressClass, Listener, Gateway or Service in the cluster")


def public_node(cluster: ClusterState, cloud: Mapping[str, Any] | None, host: str) -> tuple[str, str] | None:
    """(node name, its own address) when the cloud facts say `host` is the public address of a
    node of the cluster (1:1 NAT to that node's InternalIP); None otherwise."""
    if cloud is None:
        return None
    facts = cloud_facts_from_json(dict(cloud))
    if not facts.public_ipv4 or facts.public_ipv4 != host or not facts.private_ipv4:
        return None
    for node in cluster.of("Node"):
        if any(dig_str(a, "address") == facts.private_ipv4 for a in dig_list(node, "status", "addresses")):
            return name_of(node), facts.private_ipv4
    return None


def _from_url(cluster: ClusterState, url: ParsedUrl, cloud: Mapping[str, Any] | None = None) -> Scope:
    nodes = set(node_addresses(cluster))
    for gw in cluster.of("Gateway"):
        addresses = {dig_str(a, "value") for a in dig_list(gw, "status", "addresses")}
        if url.host in addresses and any(dig(li, "port") == url.port for li in dig_list(gw, "spec", "listeners")):
            return Scope(f"Gateway/{key_of(gw)}", "gateway", gateway=key_of(gw))
    node_port_hits = []
    for svc in sorted(cluster.of("Service"), key=key_of):
        direct = set(lb_addresses(svc)) | {ip for ip in dig_list(svc, "spec", "externalIPs") if isinstance(ip, str)}
        direct |= {ip for ip in [dig_str(svc, "spec", "clusterIP")] + dig_list(svc, "spec", "clusterIPs")
                   if isinstance(ip, str) and ip}
        for p in dig_list(svc, "spec", "ports"):
            if not isinstance(p, dict):
                continue
            if url.host in direct and dig(p, "port") == url.port:
                return _from_service(cluster, svc, p, [])
            if dig(p, "nodePort") == url.port:
                node_port_hits.append((svc, p))
    if node_port_hits:
        svc, p = node_port_hits[0]
        findings = []
        nat = public_node(cluster, cloud, url.host) if url.host not in nodes else None
        if nat is not None:
            node, private = nat
            msg = (f"{url.host} is the public address of Node {node}: the cloud translates it 1:1 (NAT) to {private}, "
                   f"that node's own address, where node port {url.port} answers")
            findings.append(Finding(INFO, "public-address", url.host, msg))
        elif url.host not in nodes:
            msg = f"{url.host} is not a node address the API reports; assuming it reaches a node (public IPs are often NAT'd)"
            findings.append(Finding(INFO, "unknown-address", url.host, msg))
        return _from_service(cluster, svc, p, findings)
    msg = "no Service, node port or Gateway answers on this host and port; trying each controller's rules"
    return Scope(None, None, findings=(Finding(WARNING, "entry-unknown", url.text(), msg),))


def resolve_scope(cluster: ClusterState, url: ParsedUrl, entry: str | None,
                  cloud: Mapping[str, Any] | None = None) -> Scope:
    """`cloud` (a snapshot's cloud.json, the cloud's facts) maps the node's public address to it."""
    if entry is not None and not isinstance(entry, str):
        raise UrlError("entry", "expected text")
    if entry:
        return _from_name(cluster, entry.strip(), url)
    return _from_url(cluster, url, cloud)


def product(controller: str | None) -> str:
    kc = known(controller)
    return kc.product if kc else (controller or "an unknown controller")

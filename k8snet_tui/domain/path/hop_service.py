"""Hop `service`: what the address is (a Service and one of its ports, a NodePort on a node, a pod,
outside the cluster), and whether the port the client dials is one the Service has.

The classic mistake here is the wrong client port: dialling the pods' targetPort (8080) or the
NodePort on a ClusterIP instead of the Service's own port; the fix names the right one.
"""

from __future__ import annotations

from ..datapath.endpoints import ServicePort, service_ports
from ..dns.names import fqdn
from ..model import Obj, dig, dig_str, key_of
from .model import FAIL, OK, UNKNOWN, Evidence, Hop
from .walk import Resolved, Walk, address_index, pod_addresses

_ENTRY_WORDS = {"cluster-ip": "ClusterIP", "external-ip": "external IP", "load-balancer": "load-balancer IP"}


def _ports_text(svc: Obj) -> str:
    return ", ".join(f"{p.port}/{p.protocol}" + (f" ({p.name})" if p.name else "") for p in service_ports(svc))


def pick_port(svc: Obj, wanted: str | None) -> tuple[ServicePort | None, str]:
    """The Service port the client dials (`wanted`: a number, a port name, None), or why none."""
    ports = service_ports(svc)
    if not ports:
        return None, f"Service {key_of(svc)} has no ports"
    if wanted is None:
        if len(ports) == 1:
            return ports[0], ""
        return None, f"which port? Service {key_of(svc)} has {_ports_text(svc)}"
    hits = [p for p in ports if wanted in (p.name, str(p.port))]
    hits.sort(key=lambda p: p.protocol != "TCP")  # a connection test is TCP: prefer the TCP port
    if hits:
        return hits[0], ""
    return None, _wrong_port(svc, ports, wanted)


def _wrong_port(svc: Obj, ports: tuple[ServicePort, ...], wanted: str) -> str:
    key = key_of(svc)
    by_target = [p for p in ports if p.target_port == wanted]
    by_node_port = [p for p in ports if p.node_port is not None and str(p.node_port) == wanted]
    if by_target:
        p = by_target[0]
        return (f"{wanted} is the pods' targetPort; clients dial the Service on port {p.port} "
                f"({key}:{p.port}), and kube-proxy forwards it to {wanted}")
    if by_node_port:
        p = by_node_port[0]
        return (f"{wanted} is the NodePort of {key}: it is open on the nodes' addresses; on the ClusterIP "
                f"dial port {p.port}")
    return f"Service {key} has no port {wanted}; its ports: {_ports_text(svc)}"


def _service(walk: Walk, svc: Obj, entry: str, address: str, assumed: str = "") -> tuple[Hop, Resolved]:
    port, why = pick_port(svc, walk.target.port)
    key = key_of(svc)
    stype = dig_str(svc, "spec", "type") or "ClusterIP"
    ev = [Evidence("object", f"Service {key}", f"{stype}, {_ENTRY_WORDS.get(entry, entry)} {address}, ports "
                   + (_ports_text(svc) or "none"))]
    wanted = walk.target.port
    dialled = port.port if port else (int(wanted) if wanted and wanted.isdigit() else None)
    resolved = Resolved("service", address, dialled, svc, port, entry, assumed=assumed)
    see = f"trace {key}" + (f":{port.name or port.port}" if port else "")
    if port is None:
        return Hop("service", FAIL, f"{address} is Service {key}, but not on port {walk.target.port or '?'}",
                   tuple(ev), fix=why, see=see), resolved
    lead = f"assuming {key} was meant: " if assumed else ""
    return Hop("service", OK, f"{lead}{address}:{port.port} is Service {key} port {port.name or port.port}"
               f"/{port.protocol} -> targetPort {port.target_port}", tuple(ev), see=see), resolved


def service_hop(walk: Walk, addresses: tuple[str, ...], cname: str = "", assumed: str = "") -> tuple[Hop, Resolved]:
    cluster = walk.cluster
    if assumed:
        ns, _, name = assumed.partition("/")
        svc = cluster.get("Service", ns, name)
        if svc is not None:
            ips = [ip for ip in (dig_str(svc, "spec", "clusterIP"),) if ip and ip != "None"]
            if ips:
                return _service(walk, svc, "cluster-ip", ips[0], assumed)
    if cname:
        return (Hop("service", OK, f"an ExternalName Service: DNS answers CNAME {cname}, outside the cluster",
                    (Evidence("object", "CNAME", fqdn(cname)),)),
                Resolved("external-name", cname, None))
    if not addresses:
        return (Hop("service", UNKNOWN, "no address to follow", reason="the name gave no address"),
                Resolved("none", "", None))
    index = address_index(cluster)
    address = addresses[0]
    owners = index.services.get(address, ())
    if owners:
        entry, svc = owners[0]
        return _service(walk, svc, entry, address)
    node = index.nodes.get(address)
    if node is not None:
        return _node_address(walk, node, address)
    pods = [p for a in addresses for p in pod_addresses(cluster).get(a, ()) if dig(p, "spec", "hostNetwork") is not True]
    if pods:
        return _pods(walk, tuple(pods), addresses)
    port = int(walk.target.port) if walk.target.port and walk.target.port.isdigit() else None
    unread = [k for k in ("Service", "Pod", "Node") if k in cluster.forbidden]
    if unread:  # the owner of the address may be among what could not be read
        return (Hop("service", UNKNOWN, f"{address}: no object that was read has it",
                    reason=f"{', '.join(unread)} cannot be read ({cluster.forbidden[unread[0]]}), so whether the "
                           "address belongs to the cluster cannot be told"),
                Resolved("none", address, port))
    return (Hop("service", OK, f"{address} is outside the cluster: no Service, node or pod has it",
                (Evidence("note", address, "the packet leaves through the node's default route, usually "
                          "masqueraded to the node's address"),)),
            Resolved("outside", address, port))


def _node_address(walk: Walk, node: str, address: str) -> tuple[Hop, Resolved]:
    wanted = walk.target.port
    index = address_index(walk.cluster)
    number = int(wanted) if wanted and wanted.isdigit() else None
    ev = (Evidence("object", f"Node {node}", f"has address {address}"),)
    for svc in index.node_ports.get(number, ()) if number is not None else ():
        sp = next(p for p in service_ports(svc) if p.node_port == number)
        key = key_of(svc)
        return (Hop("service", OK, f"{address}:{number} is NodePort {number} of Service {key} port "
                    f"{sp.name or sp.port}/{sp.protocol}, on node {node}",
                    ev + (Evidence("object", f"Service {key}", f"{dig_str(svc, 'spec', 'type')}, nodePort {number}"),),
                    see=f"trace {key}:{sp.name or sp.port}"),
                Resolved("node-port", address, number, svc, sp, "node-port", node=node))
    hosts = [p for p in pod_addresses(walk.cluster).get(address, ()) if dig(p, "spec", "hostNetwork") is True]
    what = f"; host-network pods there: {', '.join(key_of(p) for p in hosts[:3])}" if hosts else ""
    return (Hop("service", UNKNOWN, f"{address} is node {node}'s own address, and {wanted} is no NodePort", ev,
                reason=f"something on the node itself would have to listen on {wanted}; the API does not say "
                       f"what does{what}"),
            Resolved("node", address, number, node=node, pods=tuple(hosts)))


def _pods(walk: Walk, pods: tuple[Obj, ...], addresses: tuple[str, ...]) -> tuple[Hop, Resolved]:
    port = walk.target.port
    number = int(port) if port and port.isdigit() else None
    keys = ", ".join(key_of(p) for p in pods[:3]) + (f" +{len(pods) - 3}" if len(pods) > 3 else "")
    if len(pods) > 1 or walk.target.kind == "name":
        summary = f"{', '.join(addresses[:3])}: pod addresses (a headless Service), no proxy on the way: {keys}"
        kind = "headless"
    else:
        summary = f"{addresses[0]} is pod {keys}: no Service, no DNAT on the way"
        kind = "pod"
    ev = tuple(Evidence("object", f"Pod {key_of(p)}", f"on {dig_str(p, 'spec', 'nodeName') or 'no node'}")
               for p in pods[:5])
    return Hop("service", OK, summary, ev), Resolved(kind, addresses[0], number, pods=pods)


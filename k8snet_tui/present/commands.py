"""The commands a person would type to see a fact by hand (`k` in the TUI, the lab's commands).

Every command is built for the object the user is on, from the cluster's own names, which are
data: each word goes through `shlex.quote`, so a Service called `a;rm -rf` is shown as one
quoted word, never as two commands. Nothing here runs anything; the commands are text to read
or to copy. Pipes and `grep` are added as separate, quoted commands joined by ` | `.
"""

from __future__ import annotations

import ipaddress
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from k8snet_tui.domain.datapath.chain_names import iptables_chain_names, nft_chain_names, service_port_name
from k8snet_tui.domain.datapath.endpoints import ServicePort, service_ports
from k8snet_tui.domain.model import ClusterState, Obj, Observed, dig_str, name_of, namespace_of

METADATA_URL = "http://169.254.169.254/latest/meta-data/public-ipv4"  # shown, never fetched here
MAX_COMMANDS = 4  # at 80x24 the strip under a pane has room for this many lines


@dataclass(frozen=True, slots=True)
class ByHand:
    """One fact and the command that shows it by hand. JSON: fact, command."""

    fact: str
    command: str


def cmd(*words: str) -> str:
    """One command line, every word quoted as a shell would need it."""
    return shlex.join(words)


def pipe(*commands: Sequence[str]) -> str:
    """Commands joined by pipes, each quoted word by word."""
    return " | ".join(shlex.join(c) for c in commands)


def kubectl(*words: str, namespace: str | None = None) -> str:
    """`kubectl VERB [RESOURCE] -n NS ...`: the namespace after the verb and the resource."""
    if not namespace:
        return cmd("kubectl", *words)
    at = 1 if len(words) < 2 or words[1].startswith("-") else 2
    return cmd("kubectl", *words[:at], "-n", namespace, *words[at:])


def _ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def _split_key(key: str) -> tuple[str, str] | None:
    ns, slash, name = key.partition("/")
    return (ns, name) if slash and ns and name and "/" not in name else None


def service_chain(svc: Obj, port: ServicePort, backend: str) -> str | None:
    """The chain kube-proxy programs for the first rule set of `port` (None for other backends)."""
    ns, name = namespace_of(svc), name_of(svc)
    if backend.startswith("iptables"):
        return iptables_chain_names(service_port_name(ns, name, port.name), port.protocol)["service"]
    if backend == "nftables":
        return nft_chain_names(ns, name, port.protocol, port.name)["service"]
    return None


def service_commands(svc: Obj, backend: str) -> tuple[ByHand, ...]:
    ns, name = namespace_of(svc), name_of(svc)
    out = [ByHand("this Service", kubectl("get", "service", name, "-o", "wide", namespace=ns)),
           ByHand("its endpoints", kubectl("get", "endpointslices", "-l", f"kubernetes.io/service-name={name}",
                                           namespace=ns))]
    ports = service_ports(svc)
    cluster_ip = dig_str(svc, "spec", "clusterIP")
    if ports:
        port = ports[0]
        chain = service_chain(svc, port, backend)
        if chain is not None and backend.startswith("iptables"):
            out.append(ByHand("its kube-proxy chain", cmd("iptables", "-t", "nat", "-L", chain, "-n", "-v")))
        elif chain is not None:
            out.append(ByHand("its kube-proxy chain", cmd("nft", "list", "chain", "ip", "kube-proxy", chain)))
        elif backend == "ipvs" and _ip(cluster_ip):
            out.append(ByHand("its virtual server", cmd("ipvsadm", "-Ln", "-t", f"{cluster_ip}:{port.port}")))
        if port.node_port:
            out.append(ByHand("its node port", pipe(("iptables", "-t", "nat", "-L", "KUBE-NODEPORTS", "-n", "-v"),
                                                    ("grep", str(port.node_port)))))
    return tuple(out)


def pod_commands(pod: Obj) -> tuple[ByHand, ...]:
    ns, name = namespace_of(pod), name_of(pod)
    out = [ByHand("this pod", kubectl("get", "pod", name, "-o", "wide", namespace=ns))]
    ip = _ip(dig_str(pod, "status", "podIP"))
    if ip:
        out.append(ByHand("the route to it", cmd("ip", "route", "get", ip)))
    out.append(ByHand("its resolv.conf", kubectl("exec", name, "--", "cat", "/etc/resolv.conf", namespace=ns)))
    return tuple(out)


def node_commands(node: Obj) -> tuple[ByHand, ...]:
    name = name_of(node)
    return (ByHand("this node", kubectl("get", "node", name, "-o", "wide")),
            ByHand("its pod CIDR", kubectl("get", "node", name, "-o", "jsonpath={.spec.podCIDRs}")))


def dns_commands(name: str, pod: str | None = None) -> tuple[ByHand, ...]:
    """The lookup as the pod makes it (its resolv.conf, its search list), or from this machine."""
    if pod and (parts := _split_key(pod)) is not None:
        ns, pod_name = parts
        return (ByHand("the lookup, from the pod", kubectl("exec", pod_name, "--", "nslookup", name, namespace=ns)),
                ByHand("its resolv.conf", kubectl("exec", pod_name, "--", "cat", "/etc/resolv.conf", namespace=ns)))
    return (ByHand("the lookup", cmd("nslookup", name)),)


def _find(cluster: ClusterState, kind: str, key: str) -> Obj | None:
    parts = _split_key(key)
    if parts is not None:
        return cluster.get(kind, parts[0], parts[1])
    if kind == "Node":
        return next((n for n in cluster.of("Node") if name_of(n) == key), None)
    return None


# An Ingress pane row (`KIND|ns/name|where`): the resource kubectl names for its kind.
ROUTE_RESOURCES = {"Ingress": "ingress", "Mapping": "mappings.getambassador.io", "Host": "hosts.getambassador.io",
                   "HTTPRoute": "httproutes.gateway.networking.k8s.io", "Listener": "listeners.getambassador.io",
                   "Gateway": "gateways.gateway.networking.k8s.io", "IngressController": "ingressclass"}


def route_row_commands(cluster: ClusterState, kind: str, ref: str, backend: str) -> tuple[ByHand, ...]:
    if kind in ("NodePort", "LoadBalancer", "ExternalIP"):
        svc = _find(cluster, "Service", ref)
        wanted = ("this Service", "its node port")
        return tuple(b for b in service_commands(svc, backend) if b.fact in wanted) if svc is not None else ()
    resource = ROUTE_RESOURCES.get(kind)
    if resource is None:
        return ()
    parts = _split_key(ref)
    if parts is None:
        return (ByHand(f"this {kind}", kubectl("get", resource, ref, "-o", "yaml")),)
    return (ByHand(f"this {kind}", kubectl("get", resource, parts[1], "-o", "yaml", namespace=parts[0])),)


def focus_commands(cluster: ClusterState, key: str, backend: str) -> tuple[ByHand, ...]:
    """Commands for the object a table row names: a Service or pod (`ns/name`), a node, an
    address, a device (`3:eth0`), a neighbour (`10.0.0.1@eth0`), a route or entry point
    (`KIND|ns/name|...`) or a DNS name."""
    key = key.strip()
    if not key:
        return ()
    kind, bar, rest = key.partition("|")
    if bar:
        return route_row_commands(cluster, kind, rest.partition("|")[0], backend)
    svc = _find(cluster, "Service", key)
    if svc is not None:
        return service_commands(svc, backend)
    pod = _find(cluster, "Pod", key)
    if pod is not None:
        return pod_commands(pod)
    for kind, fact in (("NetworkPolicy", "this policy"), ("Ingress", "this Ingress")):
        obj = _find(cluster, kind, key)
        if obj is not None:
            return (ByHand(fact, kubectl("describe", kind.lower(), name_of(obj), namespace=namespace_of(obj))),)
    node = _find(cluster, "Node", key)
    if node is not None:
        return node_commands(node)
    address, at, dev = key.partition("@")
    if at and _ip(address):
        return (ByHand("this neighbour", cmd("ip", "neigh", "show", address, "dev", dev)),)
    if at and _split_key(dev) is not None:  # NAME@NS/POD: a lookup as that pod makes it
        return dns_commands(address, dev)
    if _ip(key):
        return (ByHand("the route to it", cmd("ip", "route", "get", key)),)
    index, colon, dev = key.partition(":")
    if colon and index.isdigit() and dev:
        return (ByHand("this device", cmd("ip", "address", "show", "dev", dev)),)
    if "." in key and not any(c.isspace() or c == "/" for c in key):
        return (ByHand("this name", cmd("nslookup", key)),)
    return ()


PATH_ARROW = " -> "  # pane 8's focus key: "SRC -> DST", the question asked


def _host_port(dst: str) -> tuple[str, str | None]:
    """`website:80` -> (website, 80); `[fd00::1]:80` and `10.0.0.3` as they are."""
    if dst.startswith("["):
        host, _, rest = dst[1:].partition("]")
        return host, rest.removeprefix(":") or None
    host, colon, port = dst.rpartition(":")
    if colon and port.isdigit() and host and ":" not in host:
        return host, port
    return dst, None


def path_commands(src: str, dst: str) -> tuple[ByHand, ...]:
    """Pane 8's question by hand, from its source: the lookup, then the request itself
    (`kubectl exec` into the source pod; a node source or none: on that machine)."""
    src, dst = src.strip(), dst.strip()
    if not dst:
        return ()
    parts = _split_key(src)
    pod = parts if parts is not None and parts[0] != "node" else None

    def run(*words: str) -> str:
        if pod is None:
            return cmd(*words)
        return kubectl("exec", pod[1], "--", *words, namespace=pod[0])

    where = f"from {src}" if src else "from here"
    url = dst if "://" in dst else None
    host, port = _host_port(dst.split("://", 1)[1].split("/", 1)[0] if url else dst)
    out: list[ByHand] = []
    if host and not _ip(host):
        out.append(ByHand(f"the lookup, {where}", run("nslookup", host)))
    if url is not None:
        out.append(ByHand(f"the request, {where}", run("curl", "-sv", "-m", "5", url)))
    elif port is not None and _ip(host):
        out.append(ByHand(f"the connection, {where}", run("nc", "-zv", "-w", "3", host, port)))
    else:
        target = f"http://{host}:{port}/" if port else f"http://{host}/"
        out.append(ByHand(f"the request, {where}", run("curl", "-sv", "-m", "5", target)))
    if pod is not None:
        out.append(ByHand("the source pod: its IP and node", kubectl("get", "pod", pod[1], "-o", "wide",
                                                                     namespace=pod[0])))
    if _ip(host):
        out.append(ByHand("the route to it", cmd("ip", "route", "get", host)))
    return tuple(out)


def _focus(pane: str, cluster: ClusterState, key: str, backend: str) -> tuple[ByHand, ...]:
    if pane == "dns" and "@" not in key and "/" not in key and not _ip(key):
        return dns_commands(key)  # a name looked up from "a ClusterFirst pod": as this machine would
    if pane == "path" and PATH_ARROW in key:
        src, _, dst = key.partition(PATH_ARROW)
        return path_commands(src, dst)
    return focus_commands(cluster, key, backend)


def pane_commands(pane: str, observed: Observed) -> tuple[ByHand, ...]:
    """What shows a pane's standing facts by hand, whatever row is selected."""
    cluster = observed.cluster
    if pane == "internet":
        return (ByHand("the public address (cloud metadata)", cmd("curl", "-s", METADATA_URL)),
                ByHand("the nodes' ExternalIPs", kubectl("get", "nodes", "-o", "wide")))
    if pane == "host":
        return (ByHand("addresses", cmd("ip", "address")), ByHand("routes", cmd("ip", "route")),
                ByHand("neighbours", cmd("ip", "neigh")))
    if pane == "pods":
        out = [ByHand("pods and their IPs", kubectl("get", "pods", "-A", "-o", "wide"))]
        if cluster.configmap("kube-system", "cilium-config"):
            out.append(ByHand("Cilium's pool and tunnel",
                              pipe(("cilium", "config", "view"), ("grep", "-E", "cluster-pool|tunnel|routing-mode"))))
        out.append(ByHand("each node's pod CIDR", kubectl("get", "nodes", "-o",
                                                          "custom-columns=NODE:.metadata.name,CIDR:.spec.podCIDR")))
        return tuple(out)
    if pane == "services":
        return (ByHand("every Service", kubectl("get", "services", "-A", "-o", "wide")),
                ByHand("kube-proxy's rules", cmd("iptables-save", "-t", "nat")))
    if pane == "dns":
        return (ByHand("the cluster DNS Service", kubectl("get", "service", "kube-dns", namespace="kube-system")),
                ByHand("the Corefile", kubectl("get", "configmap", "coredns", "-o", "yaml", namespace="kube-system")))
    if pane == "ingress":
        return (ByHand("Ingresses", kubectl("get", "ingress", "-A")),
                ByHand("Emissary Mappings", kubectl("get", "mappings.getambassador.io", "-A")))
    if pane == "policy":
        return (ByHand("NetworkPolicies", kubectl("get", "networkpolicy", "-A")),)
    if pane == "path":
        return (ByHand("pods and their IPs", kubectl("get", "pods", "-A", "-o", "wide")),
                ByHand("this node's routes", cmd("ip", "route")))
    return ()


def by_hand(pane: str, observed: Observed, focus: str | None = None, backend: str = "iptables") -> tuple[ByHand, ...]:
    """The commands for the row `focus` names (first), then the pane's own; at most MAX_COMMANDS."""
    first = _focus(pane, observed.cluster, focus, backend) if focus else ()
    seen = {b.command for b in first}
    rest = tuple(b for b in pane_commands(pane, observed) if b.command not in seen)
    return (first + rest)[:MAX_COMMANDS]

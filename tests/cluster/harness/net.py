"""Network namespaces, links and routes for the test cluster, driven through `ip`.

Everything here shells out to iproute2: it is what a human would type to debug the
same topology, and its errors are readable. Names that live in the root namespace
(network namespace names, the one root-side veth) carry the run prefix; names inside
the harness's own namespaces (eth0, br0, cilium_*, the lxc pod veths) need no prefix.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import json
import os
import shutil
import subprocess
from dataclasses import dataclass

# The lab's addresses (an AWS VPC subnet 172.31.16.0/20, node ip-172-31-24-84).
NODE_NET = ipaddress.ip_network("172.31.16.0/20")
ROOT_LINK_ADDR = "172.31.16.1"  # the machine's side of the one link into the node network
CLUSTER_CIDR = ipaddress.ip_network("10.0.0.0/8")
SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")
HARNESS_RANGES = (NODE_NET, CLUSTER_CIDR, SERVICE_CIDR)


class NetError(RuntimeError):
    pass


def run(argv: list[str], *, check: bool = True, timeout: float = 30, input: str | None = None
        ) -> subprocess.CompletedProcess:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, input=input,
                          check=False)
    if check and proc.returncode != 0:
        raise NetError(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc


def ip(*args: str, ns: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    argv = ["ip"] + (["-n", ns] if ns else []) + list(args)
    return run(argv, check=check)


def ip_batch(lines: list[str], ns: str | None = None) -> None:
    """Run several `ip` commands in one process (`ip -batch -`); fails on the first error."""
    argv = ["ip"] + (["-n", ns] if ns else []) + ["-batch", "-"]
    run(argv, input="\n".join(lines) + "\n")


def sysctl(ns: str, settings: dict[str, str]) -> None:
    args = [f"{k}={v}" for k, v in settings.items()]
    run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", *args])


def netns_exists(name: str) -> bool:
    return os.path.exists(f"/run/netns/{name}")


def netns_add(name: str) -> None:
    ip("netns", "add", name)
    ip("link", "set", "lo", "up", ns=name)


def netns_pids(name: str) -> list[int]:
    proc = run(["ip", "netns", "pids", name], check=False)
    return [int(p) for p in proc.stdout.split()]


def netns_delete(name: str) -> None:
    """Kill whatever still runs in the namespace, then delete it and its /etc/netns dir."""
    if netns_exists(name):
        for pid in netns_pids(name):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 9)
        ip("netns", "delete", name, check=False)
    shutil.rmtree(f"/etc/netns/{name}", ignore_errors=True)


def write_resolv_conf(ns: str, text: str) -> None:
    """`ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf."""
    d = f"/etc/netns/{ns}"
    os.makedirs(d, exist_ok=True)
    with open(f"{d}/resolv.conf", "w") as f:
        f.write(text)


def root_addresses() -> list[ipaddress.IPv4Interface | ipaddress.IPv6Interface]:
    out = run(["ip", "-j", "addr", "show"]).stdout
    found = []
    for link in json.loads(out):
        for a in link.get("addr_info", []):
            found.append(ipaddress.ip_interface(f"{a['local']}/{a['prefixlen']}"))
    return found


def root_routes() -> list[ipaddress.IPv4Network]:
    out = run(["ip", "-j", "-4", "route", "show", "table", "all"]).stdout
    nets = []
    for r in json.loads(out):
        dst = r.get("dst", "")
        if dst in ("default", "") or r.get("type") in ("local", "broadcast", "multicast"):
            continue
        try:
            nets.append(ipaddress.ip_network(dst, strict=False))
        except ValueError:
            continue
    return nets


def overlap_problems(ranges=HARNESS_RANGES) -> list[str]:
    """Why the harness must not start here: root-namespace addresses or routes inside its ranges."""
    problems = []
    for addr in root_addresses():
        for r in ranges:
            if addr.version == r.version and (addr.ip in r or addr.network.overlaps(r)):
                problems.append(f"root namespace address {addr} overlaps harness range {r}")
    for net in root_routes():
        for r in ranges:
            if net.overlaps(r) and net.prefixlen > 0:
                problems.append(f"root namespace route {net} overlaps harness range {r}")
    return problems


@dataclass(frozen=True)
class NodeSpec:
    name: str
    host_ip: str
    netns: str
    bridge_port: str  # the node's port name on the bridge, inside the net namespace


def build_node_network(prefix: str, nodes: list[NodeSpec], root_link: str, net_ns: str) -> None:
    """The bridge namespace, the node namespaces on it, and the one veth from the root namespace."""
    netns_add(net_ns)
    ip_batch(["link add br0 type bridge", "link set br0 up"], ns=net_ns)
    sysctl(net_ns, {"net.ipv6.conf.all.disable_ipv6": "1", "net.ipv6.conf.default.disable_ipv6": "1"})
    for n in nodes:
        netns_add(n.netns)
        sysctl(n.netns, {
            "net.ipv6.conf.all.disable_ipv6": "1", "net.ipv6.conf.default.disable_ipv6": "1",
            "net.ipv4.ip_forward": "1",
            "net.ipv4.conf.all.rp_filter": "0", "net.ipv4.conf.default.rp_filter": "0",
        })
        ip("link", "add", "eth0", "type", "veth", "peer", "name", n.bridge_port, "netns", net_ns,
           ns=n.netns)
        ip_batch([f"link set {n.bridge_port} master br0", f"link set {n.bridge_port} up"], ns=net_ns)
        ip_batch([
            f"addr add {n.host_ip}/{NODE_NET.prefixlen} dev eth0",
            "link set eth0 up",
            # No default route. ClusterIPs must have a route so that locally generated traffic
            # reaches the nat OUTPUT chain (kube-proxy's DNAT happens there).
            f"route add {SERVICE_CIDR} dev eth0 src {n.host_ip}",
        ], ns=n.netns)
        # A resolver that goes nowhere: nothing in a node namespace resolves through the machine.
        write_resolv_conf(n.netns, "# k8snet test node: no upstream DNS\nnameserver 127.0.0.1\n")
    # The machine's one link into the node network.
    ip("link", "add", root_link, "type", "veth", "peer", "name", "uplink", "netns", net_ns)
    ip_batch(["link set uplink master br0", "link set uplink up"], ns=net_ns)
    run(["sysctl", "-q", "-w", f"net.ipv6.conf.{root_link}.disable_ipv6=1"], check=False)
    ip("addr", "add", f"{ROOT_LINK_ADDR}/{NODE_NET.prefixlen}", "dev", root_link)
    ip("link", "set", root_link, "up")


# Cilium's device layout in tunnel mode (the lab's cilium-config: tunnel vxlan), built from
# plain kernel devices because no Cilium agent runs here:
#   cilium_host/cilium_net  a veth pair; cilium_host holds the node's router address (the last
#                           usable address of its pod CIDR) as a /32, like Cilium's router IP
#   cilium_vxlan            VXLAN VNI 2 on UDP 8472 from the node's host IP, no learning, with
#                           an all-zeros fdb entry per peer node (where its frames go)
#   routes                  what Cilium's tunnel mode shows: every pod CIDR, the node's own and
#                           the peers', "via <router> dev cilium_host", the peers' with mtu 1450
#                           (and src the host IP, not the router address: see below)
# Cilium moves a packet for a peer's pods from cilium_host into the tunnel with BPF, which also
# makes ARP unnecessary there. Plain kernel devices need both spelled out:
#   - the kernel ignores a gateway that is one of its own addresses, so a packet routed "via
#     <router> dev cilium_host" asks ARP for its destination on cilium_host; cilium_net answers
#     (proxy_arp; accept_local, since the question comes from the router address) with its
#     MAC, TUNNEL_MAC, which every node's cilium_net and cilium_vxlan share;
#   - a tc u32 filter on cilium_host's egress (one per peer CIDR) redirects those packets to
#     cilium_vxlan, which sends them to the peer; the peer's cilium_vxlan has TUNNEL_MAC, so
#     it takes the frame as its own and routes it to the pod's lxc veth.
# The fdb sends to every peer, so this is right for two nodes, which is what the harness
# builds (build_cilium_datapath refuses more). Tests of the layout: tests/cluster/test_cilium_layout.py.
VXLAN_DEV = "cilium_vxlan"
VXLAN_ID = 2
VXLAN_PORT = 8472
VXLAN_MTU = 1450
TUNNEL_ROUTE_MTU = 1450


def router_ip(pod_cidr: str) -> str:
    """The node's Cilium router address (cilium_host): the last usable address of its pod CIDR.
    kwok hands pod IPs out from the bottom of the range, so the top one is never a pod's."""
    net_ = ipaddress.ip_network(pod_cidr)
    return str(net_.broadcast_address - 1)


TUNNEL_MAC = "02:c1:11:00:00:01"  # locally administered; cilium_net and cilium_vxlan, every node


def build_cilium_datapath(nodes: list[NodeSpec], pod_cidrs: dict[str, str]) -> None:
    """cilium_host/cilium_net, cilium_vxlan, the tunnel routes, fdb entries and the tc redirects
    on every node (see the comment above)."""
    if len(nodes) != 2:
        raise NetError(f"the VXLAN emulation joins exactly two nodes, not {len(nodes)}")
    for n in nodes:
        own = pod_cidrs[n.name]
        router = router_ip(own)
        peers = [o for o in nodes if o.name != n.name and pod_cidrs.get(o.name)]
        lines = [
            f"link add cilium_host type veth peer name cilium_net address {TUNNEL_MAC}",
            f"link add {VXLAN_DEV} address {TUNNEL_MAC} type vxlan id {VXLAN_ID} "
            f"dstport {VXLAN_PORT} local {n.host_ip} dev eth0 nolearning",
            f"link set {VXLAN_DEV} mtu {VXLAN_MTU}",
            "link set cilium_net up", "link set cilium_host up", f"link set {VXLAN_DEV} up",
            f"addr add {router}/32 dev cilium_host",
            f"route add {router}/32 dev cilium_host scope link",
            f"route add {own} via {router} dev cilium_host src {router}",
        ]
        # Cilium's peer routes say `src <router>`; here the node's host IP, so the node's own
        # connections to the other node's pods keep coming from the node's address as k8snet's
        # NetworkPolicy verdicts (and the policy tests against kube-router) take them to.
        lines += [f"route add {pod_cidrs[o.name]} via {router} dev cilium_host src {n.host_ip} "
                  f"mtu {TUNNEL_ROUTE_MTU}" for o in peers]
        ip_batch(lines, ns=n.netns)
        sysctl(n.netns, {"net.ipv4.conf.cilium_net.proxy_arp": "1",
                         "net.ipv4.conf.cilium_net.accept_local": "1",
                         "net.ipv4.neigh.cilium_net.proxy_delay": "0"})  # answer at once
        for o in peers:
            run(["bridge", "-n", n.netns, "fdb", "append", "00:00:00:00:00:00", "dev", VXLAN_DEV,
                 "dst", o.host_ip, "self", "permanent"])
        run(["tc", "-n", n.netns, "qdisc", "add", "dev", "cilium_host", "clsact"])
        for o in peers:
            run(["tc", "-n", n.netns, "filter", "add", "dev", "cilium_host", "egress", "protocol",
                 "ip", "u32", "match", "ip", "dst", pod_cidrs[o.name],
                 "action", "mirred", "egress", "redirect", "dev", VXLAN_DEV])


def delete_link(name: str) -> None:
    ip("link", "delete", name, check=False)


def lxc_name(pod_uid: str) -> str:
    """The node-side name of a pod's veth, as Cilium names it: lxc + 12 hex digits."""
    return "lxc" + hashlib.sha256(pod_uid.encode()).hexdigest()[:12]


def setup_pod_network(node_ns: str, pod_ns: str, host_link: str, pod_ip: str, host_ip: str,
                      gateway: str) -> None:
    """A pod namespace as Cilium wires it: eth0 (pod_ip/32) whose peer `host_link` (lxc...)
    stays in the node namespace, and a default route via the node's router address
    (`gateway`, on cilium_host: the node answers ARP for it on every lxc veth). In the node
    namespace a /32 route to the pod through its lxc veth, as Cilium's endpoint routes are
    (source: the node's host IP)."""
    netns_add(pod_ns)
    ip("link", "add", host_link, "type", "veth", "peer", "name", "eth0", "netns", pod_ns, ns=node_ns)
    sysctl(node_ns, {f"net.ipv6.conf.{host_link}.disable_ipv6": "1"})
    ip_batch([f"link set {host_link} up",
              f"route replace {pod_ip}/32 dev {host_link} scope link src {host_ip}"], ns=node_ns)
    sysctl(pod_ns, {"net.ipv6.conf.all.disable_ipv6": "1", "net.ipv6.conf.default.disable_ipv6": "1"})
    ip_batch([
        f"addr add {pod_ip}/32 dev eth0",
        "link set eth0 up",
        f"route add {gateway} dev eth0 scope link",
        f"route add default via {gateway} dev eth0 mtu {TUNNEL_ROUTE_MTU}",
    ], ns=pod_ns)


def teardown_pod_network(node_ns: str, pod_ns: str, host_link: str, pod_ip: str) -> None:
    netns_delete(pod_ns)  # deleting the namespace deletes the veth pair with it
    ip("link", "delete", host_link, ns=node_ns, check=False)
    # The route normally goes with the link; a stale one would blackhole a reused IP.
    ip("route", "delete", f"{pod_ip}/32", "dev", host_link, ns=node_ns, check=False)

"""The explain drawers' lessons, one per pane, in our own words.

Kept apart from the pane code so instructors can review the teaching text in one place.
"""

INTERNET = """\
## The Internet side

A cloud instance usually has **no public address on any interface**. The provider's edge
translates a public address to the instance's private one (1:1 NAT), so the public address
is only visible from the **metadata service** the cloud runs for each instance.

Traffic going *out* may leave with a different address: a NAT gateway rewrites the source
(SNAT) for many instances at once. Only a server on the Internet can tell you that
**outbound address**, so k8snet asks an echo service only when you press `o`.

- public == outbound: the instance has its own public address both ways
- public != outbound: inbound and outbound take different paths
- no public address: the node is reachable only from inside the VPC
"""

HOST = """\
## The host / VPC network

Nodes talk to each other over the **host network**: in a cloud, the VPC subnet. Its
addresses come from the private ranges (10/8, 172.16/12, 192.168/16) and are not routable
on the Internet.

Look for:
- the node's main interface and its private address (the lab's `ens5` with 172.31.x.x/20);
- the **routes**: a default gateway, the local subnet, and routes that send each node's
  **pod CIDR** somewhere (a tunnel device for an overlay, a peer node for native routing);
- the **neighbours** the kernel has resolved (other nodes, the gateway);
- interfaces the CNI added: `cilium_host`, `lxc*`, `cali*`, `flannel.1`, `vxlan`, `veth*`.

Two nodes in the same subnet reach each other directly; others go through the gateway.
"""

PODS = """\
## The pod network

Every pod gets its **own IP address**, and every pod must be able to reach every other pod
without NAT. The CNI plugin hands out those addresses, usually from one large **cluster
pool** split into a smaller **per-node CIDR** (Cilium's cluster-pool: 10.0.0.0/8 cut into /24s).

- Pods on the **same node** talk through the node's kernel: each pod's interface is one end
  of a veth pair whose other end sits on the host.
- Pods on **different nodes** are carried either by an **overlay** (the packet is wrapped in
  UDP between the node addresses: VXLAN on 8472, Geneve on 6081) or by **native routing**
  (the host network knows a route to each node's pod CIDR).

`hostNetwork` pods share the node's address instead of getting their own.
"""

SERVICES = """\
## Services and the datapath

A ClusterIP Service is a **virtual address**: no interface owns it. On every node,
kube-proxy (or a replacement such as Cilium) programs the kernel so that a connection to
`ClusterIP:port` is rewritten (**DNAT**) to one ready pod's `IP:port`.

In iptables mode the path is a chain of jumps:
`KUBE-SERVICES` → `KUBE-SVC-…` (one per service port) → `KUBE-SEP-…` (one per endpoint) → DNAT.

The choice is random but fair: with three endpoints the first rule matches **1/3** of new
connections, the second **1/2 of the rest**, and the last takes **whatever remains**: a third
each. Only the first packet of a connection walks the chains; conntrack remembers the rest,
so the packet counters count connections.

NodePorts enter through `KUBE-NODEPORTS` → `KUBE-EXT-…`, which marks the traffic for
masquerade and then joins the same service chain.

Press `enter` on a service to trace it; counters move live as requests arrive.
"""

DNS = """\
## Cluster DNS

The kubelet writes each pod's `/etc/resolv.conf`: the cluster DNS Service as nameserver,
a **search list** starting with `<namespace>.svc.<domain>`, and `options ndots:5`.

A name with fewer dots than `ndots` is tried with each search suffix **first**, so one
lookup of `website` can become several queries; an answer stops the walk. A trailing dot
(`website.default.svc.cluster.local.`) makes a name absolute and skips the search list.

CoreDNS answers from the API:
- `svc.ns.svc.<domain>`: the ClusterIP, or for a **headless** Service one A record per ready
  endpoint;
- `_port._proto.svc.ns.svc.<domain>`: SRV records for named ports;
- `<hostname>.svc.ns.svc.<domain>`: stable names for StatefulSet pods behind a headless
  Service.

Each client walks the search list its own way; pick yours with `r`:
- **glibc** (Debian, Ubuntu images) moves on after NXDOMAIN, NODATA or SERVFAIL;
- **musl** (alpine) stops at anything but NXDOMAIN, and tries a name with `ndots` dots only
  as-is;
- **busybox** `nslookup` (the lab's client pod) is its own client, not libc: a name without a
  dot goes to every search domain at once, a dotted name only as-is, and ndots is ignored.
"""

INGRESS = """\
## Routes into the cluster

From outside, a Service is reached through:
- a **NodePort**: any node's address on a port from 30000-32767;
- a **LoadBalancer**: a cloud load balancer in front of the NodePorts;
- an **ingress controller** or **gateway**: one entry point that routes HTTP by host and
  path to many Services.

Each controller matches paths its own way. The Ingress spec's `Prefix` works on whole path
segments (`/engine` matches `/engine/x`, not `/enginex`), while Emissary turns it into a
plain string prefix and rewrites the matched prefix to `/` by default. Use the route tester
(`t`) to see which rule a URL hits, why the others lose, and what path the pod receives.
"""

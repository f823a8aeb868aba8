"""The bundled lab read by role, from its own files (k8snet_tui/data/lab).

The lab is a capture of the test cluster: which pod the scheduler put where, the ReplicaSet hash
in a pod's name, its IP and kube-proxy's SEP chain names change from one capture to the next.
Tests that ask about "a website pod on node-1" or "the SEP chain of website's endpoint on node-2"
find it here, so they keep checking the same behaviour whichever capture is bundled. Every
answer comes from the lab's JSON and node-1's real iptables dump; a role the lab does not have
raises LookupError (a test that needs it fails with the reason, never passes on a guess).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from k8snet_tui.sources.snapshot import bundled_lab_path

Obj = dict[str, Any]


def lab_dir() -> Path:
    return bundled_lab_path()


@lru_cache(maxsize=32)
def _items(name: str) -> tuple[Obj, ...]:
    path = lab_dir() / "api" / f"{name}.json"
    if not path.exists():
        return ()
    doc = json.loads(path.read_text())
    return tuple(doc["items"] if isinstance(doc, dict) else doc)


@lru_cache(maxsize=1)
def meta() -> Obj:
    return json.loads((lab_dir() / "meta.json").read_text())


def ref(obj: Obj) -> str:
    return f"{obj['metadata'].get('namespace', '')}/{obj['metadata']['name']}"


# -- nodes -----------------------------------------------------------------------------------------

def captured_node() -> str:
    """The node whose kernel state the lab holds (node-1)."""
    return str(meta()["local_node"])


def nodes() -> tuple[str, ...]:
    return tuple(sorted(n["metadata"]["name"] for n in _items("nodes")))


def other_node() -> str:
    """A node the lab has no kernel state of (node-2)."""
    held = {p.name for p in (lab_dir() / "nodes").iterdir()} if (lab_dir() / "nodes").is_dir() else set()
    for name in nodes():
        if name not in held:
            return name
    raise LookupError("every node of the lab has its kernel state captured")


def _node(name: str) -> Obj:
    for n in _items("nodes"):
        if n["metadata"]["name"] == name:
            return n
    raise LookupError(f"the lab has no node {name}")


def node_ip(name: str) -> str:
    """The node's InternalIP (node-1: 172.31.24.84)."""
    for a in _node(name)["status"]["addresses"]:
        if a.get("type") == "InternalIP":
            return str(a["address"])
    raise LookupError(f"node {name} has no InternalIP")


def pod_cidr(name: str) -> str:
    return str(_node(name)["spec"]["podCIDR"])


# -- pods ------------------------------------------------------------------------------------------

def pods(*, namespace: str | None = None, app: str | None = None, node: str | None = None,
         host_network: bool = False) -> list[Obj]:
    """The lab's pods, sorted by name; by default only pods with their own network (not hostNetwork)."""
    out = []
    for p in _items("pods"):
        if bool(p["spec"].get("hostNetwork")) != host_network:
            continue
        if namespace is not None and p["metadata"].get("namespace") != namespace:
            continue
        if app is not None and p["metadata"].get("labels", {}).get("app") != app:
            continue
        if node is not None and p["spec"].get("nodeName") != node:
            continue
        out.append(p)
    return sorted(out, key=ref)


def pod(pod_ref: str) -> Obj:
    for p in _items("pods"):
        if ref(p) == pod_ref:
            return p
    raise LookupError(f"the lab has no pod {pod_ref}")


def pod_ip(pod_ref: str) -> str:
    return str(pod(pod_ref)["status"]["podIP"])


def pod_node(pod_ref: str) -> str:
    return str(pod(pod_ref)["spec"]["nodeName"])


def pod_on(node: str, *, namespace: str | None = None, app: str | None = None,
           not_namespace: tuple[str, ...] = ()) -> str:
    """"NS/NAME" of the first pod (by name) on `node` that matches; LookupError if none does."""
    for p in pods(namespace=namespace, app=app, node=node):
        if p["metadata"]["namespace"] not in not_namespace:
            return ref(p)
    raise LookupError(f"the lab has no pod on {node} (namespace={namespace}, app={app}, not in {not_namespace})")


def website_pods() -> tuple[str, ...]:
    """The names (no namespace) of the website Deployment's pods, sorted."""
    return tuple(p["metadata"]["name"] for p in pods(namespace="default", app="website"))


def website_pod(node: str | None = None) -> str:
    """"default/NAME" of a website pod on `node` (default: the captured node)."""
    return pod_on(node or captured_node(), namespace="default", app="website")


def client() -> str:
    return "default/client"


def engine_pod() -> str:
    found = pods(namespace="default", app="engine")
    if not found:
        raise LookupError("the lab has no engine pod")
    return ref(found[0])


def emissary_pod() -> str:
    """The Emissary ingress controller's pod (emissary/emissary-ingress-<rs>-<id>), wherever it runs."""
    for p in pods(namespace="emissary"):
        name = p["metadata"]["name"]
        if name.startswith("emissary-ingress-") and not name.startswith(("emissary-ingress-agent-",
                                                                         "emissary-ingress-admin-")):
            return ref(p)
    raise LookupError("the lab has no emissary-ingress pod")


def coredns_pods() -> tuple[str, ...]:
    """"kube-system/NAME" of the CoreDNS pods, sorted."""
    return tuple(ref(p) for p in pods(namespace="kube-system") if p["metadata"]["name"].startswith("coredns-"))


def pods_with_address(namespace: str | None = None) -> tuple[str, ...]:
    """"NS/NAME" of every pod with an IP (hostNetwork ones included: they have the node's), sorted."""
    out = [ref(p) for flag in (False, True) for p in pods(namespace=namespace, host_network=flag)
           if p.get("status", {}).get("podIP")]
    return tuple(sorted(out))


def pod_in_other_namespace_on(node: str) -> str:
    """A pod outside "default" (and kube-system) on `node`; the ingress controller's namespace first."""
    try:
        return pod_on(node, namespace="emissary")
    except LookupError:
        return pod_on(node, not_namespace=("default", "kube-system"))


# -- Services and their rules ----------------------------------------------------------------------

def services(*, namespace: str | None = None) -> list[Obj]:
    """The lab's Services (of `namespace`, or all), sorted by NS/NAME."""
    return sorted((s for s in _items("services") if namespace is None or s["metadata"].get("namespace") == namespace),
                  key=ref)


def service(namespace: str, name: str) -> Obj:
    for s in _items("services"):
        if s["metadata"].get("namespace") == namespace and s["metadata"]["name"] == name:
            return s
    raise LookupError(f"the lab has no Service {namespace}/{name}")


def cluster_ip(namespace: str, name: str) -> str:
    return str(service(namespace, name)["spec"]["clusterIP"])


def node_port(namespace: str, name: str, port: str | int | None = None) -> int:
    for p in service(namespace, name)["spec"].get("ports", []):
        if (port is None or p.get("name") == port or p.get("port") == port) and p.get("nodePort"):
            return int(p["nodePort"])
    raise LookupError(f"Service {namespace}/{name} has no NodePort for {port}")


def endpoint_addresses(namespace: str, name: str) -> tuple[str, ...]:
    """Every endpoint address of the Service's EndpointSlices, sorted (as strings)."""
    out: list[str] = []
    for s in _items("endpointslices"):
        labels = s["metadata"].get("labels", {})
        if s["metadata"].get("namespace") == namespace and labels.get("kubernetes.io/service-name") == name:
            out += [a for e in s.get("endpoints") or [] for a in e.get("addresses", [])]
    return tuple(sorted(out, key=lambda a: tuple(int(x) for x in a.split("."))))


def iptables_save(node: str | None = None) -> str:
    """The captured node's `iptables-legacy-save` (with counters), as the lab holds it."""
    return (lab_dir() / "nodes" / (node or captured_node()) / "iptables-legacy-save.txt").read_text()


def svc_chain(namespace: str, name: str, port: str) -> str:
    """kube-proxy's KUBE-SVC-... chain of NS/NAME:PORT's cluster IP, from the captured rules."""
    comment = re.escape(f'"{namespace}/{name}:{port} cluster IP"')
    m = re.search(rf"^(?:\[\d+:\d+\] )?-A KUBE-SERVICES .*--comment {comment} .*-j (KUBE-SVC-\w+)",
                  iptables_save(), re.M)
    if not m:
        raise LookupError(f"the captured rules have no cluster IP rule of {namespace}/{name}:{port}")
    return m.group(1)


def sep_chain(address: str, namespace: str = "default", name: str = "website", port: str = "http") -> str:
    """kube-proxy's KUBE-SEP-... chain that DNATs NS/NAME:PORT to the endpoint `address`."""
    comment = re.escape(f'"{namespace}/{name}:{port}"')
    m = re.search(rf"^(?:\[\d+:\d+\] )?-A (KUBE-SEP-\w+) .*--comment {comment} .*-j DNAT "
                  rf"--to-destination {re.escape(address)}:", iptables_save(), re.M)
    if not m:
        raise LookupError(f"the captured rules have no SEP chain of {namespace}/{name}:{port} to {address}")
    return m.group(1)


def chain_rules(chain: str, node: str | None = None) -> list[tuple[int, int, str]]:
    """(rule number from 1, packet counter, the rule's text after `-A CHAIN `) of each rule of `chain`
    in the captured `iptables-save`, in order (the numbers the trace shows as #N)."""
    out: list[tuple[int, int, str]] = []
    for m in re.finditer(rf"^(?:\[(\d+):\d+\] )?-A {re.escape(chain)} (.*)$", iptables_save(node), re.M):
        out.append((len(out) + 1, int(m.group(1) or 0), m.group(2)))
    return out


def chain_rule(chain: str, contains: str, node: str | None = None) -> tuple[int, int]:
    """(number, packets) of the one rule of `chain` whose text holds `contains`."""
    found = [(n, pkts) for n, pkts, text in chain_rules(chain, node) if contains in text]
    if len(found) != 1:
        raise LookupError(f"{len(found)} rules of {chain} hold {contains!r}, not one")
    return found[0]


def svc_endpoints_in_rule_order(namespace: str = "default", name: str = "website", port: str = "http") -> tuple[str, ...]:
    """The endpoint addresses of NS/NAME:PORT as its KUBE-SVC chain lists them (the order of the probabilities)."""
    found = [re.search(rf'"{re.escape(f"{namespace}/{name}:{port}")} -> ([\d.]+):\d+"', text)
             for _, _, text in chain_rules(svc_chain(namespace, name, port))]
    return tuple(m.group(1) for m in found if m)


def pod_with_ip(address: str) -> str:
    """"NS/NAME" of the one pod (own network) with `address`."""
    found = [ref(p) for p in pods() if p.get("status", {}).get("podIP") == address]
    if len(found) != 1:
        raise LookupError(f"{len(found)} pods have the address {address}, not one")
    return found[0]


def sep_chains(namespace: str = "default", name: str = "website", port: str = "http") -> tuple[str, ...]:
    """Every KUBE-SEP-... chain of NS/NAME:PORT, in the order the captured rules list them."""
    comment = re.escape(f'"{namespace}/{name}:{port}"')
    found = re.findall(rf"^(?:\[\d+:\d+\] )?-A (KUBE-SEP-\w+) .*--comment {comment} .*-j DNAT", iptables_save(), re.M)
    return tuple(dict.fromkeys(found))


def pod_route_device(address: str) -> str:
    """The device of node-1's route to a local pod (the lab's captured `ip route`: kvN or lxc...)."""
    routes = json.loads((lab_dir() / "nodes" / captured_node() / "ip-route.json").read_text())
    for r in routes:
        if r.get("dst") == address:
            return str(r["dev"])
    raise LookupError(f"the captured routes have no route to {address}")


def tunnel_mode() -> bool:
    """Whether node-1's captured devices are Cilium's tunnel layout (cilium_vxlan present)."""
    links = json.loads((lab_dir() / "nodes" / captured_node() / "ip-link.json").read_text())
    return any(link.get("ifname") == "cilium_vxlan" for link in links)


# -- node-1's state edited into another layout (for config-vs-kernel tests) --------------------------

def _underlay_device(node: Any) -> str:
    """The device that holds the node's InternalIP (eth0 in the lab)."""
    own = node_ip(node.node or captured_node())
    for link in node.addresses:
        if any(a.get("local") == own for a in link.get("addr_info", [])):
            return str(link["ifname"])
    raise LookupError(f"no device of {node.node} holds {own}")


def without_links(node: Any, *names: str) -> Any:
    """The node's state with the devices called NAME (or starting with NAME*) gone from `ip link`
    and `ip addr`, as if never created (routes are left as captured)."""
    exact = {n for n in names if not n.endswith("*")}
    prefixes = tuple(n[:-1] for n in names if n.endswith("*"))

    def gone(link: Obj) -> bool:
        name = str(link.get("ifname", ""))
        return name in exact or (bool(prefixes) and name.startswith(prefixes))

    return replace(node, links=tuple(x for x in node.links if not gone(x)),
                   addresses=tuple(x for x in node.addresses if not gone(x)))


def natively_routed(node: Any) -> Any:
    """The captured node's state as native routing shows it: each other node's pod CIDR
    `via <that node's InternalIP> dev eth0` (the shape `ip -j route` gives), no tunnel device.
    A capture that already routes natively comes back unchanged; a tunnel capture is edited."""
    device = _underlay_device(node)
    others = {pod_cidr(n): node_ip(n) for n in nodes() if n != (node.node or captured_node())}
    routes = tuple({"dst": r["dst"], "gateway": others[r["dst"]], "dev": device, "flags": []}
                   if r.get("dst") in others and r.get("table", "main") == "main" else r for r in node.routes)
    return without_links(replace(node, routes=routes), "cilium_vxlan", "cilium_geneve", "flannel.1", "vxlan.calico")

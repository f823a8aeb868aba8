"""What the CNI's configuration says a node's kernel should hold: devices and pod CIDR routes.

Each plugin builds a recognisable layout, taken from its own code and docs:

- Cilium (pkg/datapath/linux/node.go, createNodeRouteSpec; docs.cilium.io "Routing"): every
  node's pod CIDR is routed `via <router IP> dev cilium_host src <router IP>` (remote ones with
  the tunnel's smaller MTU) and its eBPF programs wrap remote traffic into `cilium_vxlan` (UDP
  8472) or `cilium_geneve` (UDP 6081); `cilium_host`/`cilium_net` are a veth pair and each pod's
  host end is an `lxc*` veth. In native routing the other nodes' CIDRs go to the underlay
  (`auto-direct-node-routes`: `via <node IP>`) or to a router behind the default route.
- Flannel (flannel-io/flannel Documentation/backends.md): the `vxlan` backend (its default)
  routes other nodes' subnets through `flannel.1` (UDP 8472, the kernel default); `host-gw`
  routes them `via <node IP>`; pods hang off the `cni0` bridge.
- Calico (docs.tigera.io, "Overlay networking"): an IPPool's `ipipMode` or `vxlanMode` Always
  routes other nodes' blocks through `tunl0` or `vxlan.calico`; Never sends them to the underlay;
  CrossSubnet does either, by subnet. Pods' host ends are `cali*` veths with /32 routes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..layers.cni import OVERLAY_PORTS, cilium_settings
from ..model import ClusterState, dig_dict, dig_str, name_of
from ..sanitize import clean

TUNNEL = "tunnel"
NATIVE = "native"
EITHER = "either"  # CrossSubnet, DirectRouting: the subnet decides


@dataclass(frozen=True)
class Expectation:
    """What one plugin's settings promise about every node's kernel."""

    plugin: str
    source: str  # the object and keys that said so, in words
    routing: str  # TUNNEL, NATIVE or EITHER
    protocol: str  # vxlan, geneve, ipip, "" (native)
    tunnel_devices: tuple[str, ...]  # names the tunnel device may have
    via_devices: tuple[str, ...]  # devices a route to another node's pods may name in tunnel mode
    port: int | None  # the tunnel's UDP port, None when none or unknown
    host_device: str  # a device the plugin always creates ("" when none)
    pod_device_prefixes: tuple[str, ...]  # host ends of pods' veths (lxc, cali); () for a bridge
    uses_cilium_nodes: bool = False  # pod CIDRs come from CiliumNode, not Node

    def mode_words(self) -> str:
        if self.routing == TUNNEL:
            port = f", UDP {self.port}" if self.port else ""
            return f"tunnel ({self.protocol}{port})"
        if self.routing == NATIVE:
            return "native routing (no encapsulation)"
        return f"{self.protocol} only between subnets, native within one"


def cilium_expectation(cluster: ClusterState) -> Expectation | None:
    settings = cilium_settings(cluster)
    if settings is None:
        return None
    data = cluster.configmap("kube-system", "cilium-config")
    port = OVERLAY_PORTS.get(settings.tunnel_protocol)
    custom = data.get("tunnel-port", "").strip()
    if custom.isdigit() and 0 < int(custom) < 65536:
        port = int(custom)
    device = f"cilium_{settings.tunnel_protocol}" if settings.tunnel_protocol else ""
    return Expectation(
        plugin="Cilium",
        source=f"ConfigMap {settings.source} {settings.routing_from}",
        routing=TUNNEL if settings.routing_mode == "tunnel" else NATIVE,
        protocol=settings.tunnel_protocol,
        tunnel_devices=(device,) if device else ("cilium_vxlan", "cilium_geneve"),
        via_devices=("cilium_host", "cilium_vxlan", "cilium_geneve"),
        port=port if settings.routing_mode == "tunnel" else None,
        host_device="cilium_host",
        pod_device_prefixes=("lxc",),
        uses_cilium_nodes=settings.ipam in ("cluster-pool", "multi-pool", ""),
    )


FLANNEL_CONFIGMAP = "kube-flannel-cfg"


def flannel_expectation(cluster: ClusterState) -> Expectation | None:
    found = [cm for cm in cluster.of("ConfigMap") if name_of(cm) == FLANNEL_CONFIGMAP]
    if not found:
        return None
    cm = found[0]
    where = clean(f"{dig_str(cm, 'metadata', 'namespace')}/{name_of(cm)}")
    text = dig_str(cm, "data", "net-conf.json")
    try:
        conf = json.loads(text) if text else {}
    except ValueError:
        conf = {}
    backend = dig_dict(conf, "Backend")
    kind = clean(dig_str(backend, "Type") or "vxlan").lower()
    said = f"ConfigMap {where} net-conf.json Backend.Type {kind}" + ("" if dig_str(backend, "Type") else " (the default)")
    if kind == "host-gw":
        return Expectation("Flannel", said, NATIVE, "", (), (), None, "", ())
    port = backend.get("Port") if isinstance(backend.get("Port"), int) else 8472
    direct = backend.get("DirectRouting") is True
    return Expectation("Flannel", said + (", DirectRouting" if direct else ""), EITHER if direct else TUNNEL,
                       "vxlan", ("flannel.1",), ("flannel.1",), port, "", ())


def calico_expectation(cluster: ClusterState) -> Expectation | None:
    pools = cluster.of("IPPool")
    if not pools:
        return None
    pool = pools[0]
    spec = dig_dict(pool, "spec")
    ipip = dig_str(spec, "ipipMode") or "Never"
    vxlan = dig_str(spec, "vxlanMode") or "Never"
    said = clean(f"IPPool {name_of(pool)} ipipMode {ipip}, vxlanMode {vxlan}")
    if "Always" in (ipip, vxlan) or "CrossSubnet" in (ipip, vxlan):
        proto, device = ("vxlan", "vxlan.calico") if vxlan != "Never" else ("ipip", "tunl0")
        routing = TUNNEL if "Always" in (ipip, vxlan) else EITHER
        return Expectation("Calico", said, routing, proto, (device,), (device,), 4789 if proto == "vxlan" else None,
                           "", ("cali",))
    return Expectation("Calico", said, NATIVE, "", (), (), None, "", ("cali",))


def expectations(cluster: ClusterState) -> tuple[Expectation, ...]:
    """Every plugin whose configuration the API shows (a migration can leave two)."""
    found = (cilium_expectation(cluster), flannel_expectation(cluster), calico_expectation(cluster))
    return tuple(e for e in found if e is not None)

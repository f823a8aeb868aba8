"""Which CNI plugin wires the pods, and, for Cilium, how it is set up.

Kubernetes does not record the CNI anywhere. Each plugin leaves recognisable traces: its
DaemonSet and images, its ConfigMap, the devices it creates on the host. Every trace found is
kept as evidence, so the user sees why the explorer believes what it says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model import ClusterState, dig_list, dig_str, key_of, name_of
from ..sanitize import clean
from .kernel import Kernel
from .podcidrs import cilium_configs


@dataclass(frozen=True)
class _Signs:
    name: str
    daemonsets: tuple[str, ...]  # name prefixes
    images: tuple[str, ...]  # substrings of container images
    configmaps: tuple[str, ...]  # name prefixes
    devices: tuple[str, ...]  # exact names, or prefixes ending in "*"


_PLUGINS = (
    _Signs("Cilium", ("cilium",), ("cilium/cilium",), ("cilium-config",),
           ("cilium_host", "cilium_net", "cilium_vxlan", "cilium_geneve", "lxc*")),
    _Signs("Calico", ("calico-node",), ("calico/node", "calico/cni"), ("calico-config",),
           ("cali*", "tunl0", "vxlan.calico")),
    _Signs("Flannel", ("kube-flannel", "flannel"), ("flannel",), ("kube-flannel-cfg",), ("flannel.1",)),
    _Signs("Weave Net", ("weave-net",), ("weave-kube", "weaveworks/weave"), (), ("weave", "vethwe*")),
    _Signs("kindnet", ("kindnet",), ("kindnetd",), (), ()),
    _Signs("AWS VPC CNI", ("aws-node",), ("amazon-k8s-cni",), ("amazon-vpc-cni",), ("eni*",)),
    _Signs("Antrea", ("antrea-agent",), ("antrea/antrea",), ("antrea-config", "antrea-agent"),
           ("antrea-gw0", "antrea-tun0")),
    _Signs("kube-router", ("kube-router",), ("kube-router",), ("kube-router-cfg",), ("kube-bridge", "kube-dummy-if")),
)


@dataclass(frozen=True)
class CniGuess:
    """One plugin with the traces that point to it. JSON: name, evidence (list of words)."""

    name: str
    evidence: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "evidence": list(self.evidence)}


def _device_matches(pattern: str, device: str) -> bool:
    return device.startswith(pattern[:-1]) if pattern.endswith("*") else device == pattern


def detect_cni(cluster: ClusterState | None, kernel: Kernel | None) -> tuple[CniGuess, ...]:
    """Plugins with any evidence, the best-supported first (a migration can leave two)."""
    found: list[CniGuess] = []
    daemonsets = cluster.of("DaemonSet") if cluster is not None else ()
    configmaps = cluster.of("ConfigMap") if cluster is not None else ()
    devices = [i.name for i in kernel.interfaces] if kernel is not None else []
    for signs in _PLUGINS:
        evidence: list[str] = []
        for ds in daemonsets:
            name = name_of(ds)
            if any(name.startswith(p) for p in signs.daemonsets):
                evidence.append(f"DaemonSet {clean(key_of(ds))}")
                continue
            images = [dig_str(c, "image") for c in dig_list(ds, "spec", "template", "spec", "containers")]
            hit = next((img for img in images if any(s in img for s in signs.images)), "")
            if hit:
                evidence.append(f"DaemonSet {clean(key_of(ds))} runs {clean(hit)}")
        for cm in configmaps:
            if any(name_of(cm).startswith(p) for p in signs.configmaps):
                evidence.append(f"ConfigMap {clean(key_of(cm))}")
        matched = [d for d in devices if any(_device_matches(p, d) for p in signs.devices)]
        if matched:
            shown = ", ".join(clean(d) for d in matched[:3]) + (f" and {len(matched) - 3} more" if len(matched) > 3 else "")
            evidence.append(f"host device(s) {shown}")
        if evidence:
            found.append(CniGuess(signs.name, tuple(evidence)))
    found.sort(key=lambda g: -len(g.evidence))
    return tuple(found)


OVERLAY_PORTS = {"vxlan": 8472, "geneve": 6081}


@dataclass(frozen=True)
class CiliumSettings:
    """Cilium's networking settings from its ConfigMap.

    JSON: source (ns/name), ipam, pool_ipv4, mask_size_ipv4, routing_mode (tunnel|native),
    tunnel_protocol (vxlan|geneve|""), overlay_port (UDP port on the wire, null when native),
    routing_from (the keys that decided, or "Cilium's default"), kube_proxy_replacement
    (the raw value), replaces_kube_proxy (true/false/null when unknown), notes.
    """

    source: str
    ipam: str
    pool_ipv4: str
    mask_size_ipv4: str
    routing_mode: str
    tunnel_protocol: str
    routing_from: str
    kube_proxy_replacement: str
    notes: tuple[str, ...] = ()

    @property
    def overlay_port(self) -> int | None:
        return OVERLAY_PORTS.get(self.tunnel_protocol) if self.routing_mode == "tunnel" else None

    @property
    def replaces_kube_proxy(self) -> bool | None:
        value = self.kube_proxy_replacement.lower()
        if value in ("true", "strict"):
            return True
        if value in ("false", "disabled"):
            return False
        return None  # "partial"/"probe" (pre-1.14) replace only parts; absent: unknown

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "ipam": self.ipam,
            "pool_ipv4": self.pool_ipv4,
            "mask_size_ipv4": self.mask_size_ipv4,
            "routing_mode": self.routing_mode,
            "tunnel_protocol": self.tunnel_protocol,
            "overlay_port": self.overlay_port,
            "routing_from": self.routing_from,
            "kube_proxy_replacement": self.kube_proxy_replacement,
            "replaces_kube_proxy": self.replaces_kube_proxy,
            "notes": list(self.notes),
        }


def cilium_settings(cluster: ClusterState | None) -> CiliumSettings | None:
    """Cilium's settings, or None when no cilium-config exists."""
    if cluster is None:
        return None
    configs = cilium_configs(cluster)
    if not configs:
        return None
    where, data = configs[0]
    notes: list[str] = []
    mode = data.get("routing-mode", "").strip().lower()
    proto = data.get("tunnel-protocol", "").strip().lower()
    old = data.get("tunnel", "").strip().lower()
    if mode:
        routing_from = "routing-mode" + (", tunnel-protocol" if proto else "")
        if mode == "tunnel" and not proto:
            proto, routing_from = "vxlan", "routing-mode (tunnel-protocol unset: vxlan by default)"
    elif old:
        # Before Cilium 1.15 a single key said both: `tunnel: vxlan|geneve|disabled`.
        routing_from = "tunnel (the pre-1.15 key)"
        mode, proto = ("native", "") if old == "disabled" else ("tunnel", old)
    else:
        mode, proto, routing_from = "tunnel", proto or "vxlan", "Cilium's default (no routing key set)"
    if mode not in ("tunnel", "native"):
        notes.append(f"unexpected routing mode {clean(mode)!r}")
    if proto and proto not in OVERLAY_PORTS:
        notes.append(f"unexpected tunnel protocol {clean(proto)!r}")
    if mode == "native":
        proto = ""
    if len(configs) > 1:
        notes.append(f"{len(configs)} cilium-config ConfigMaps; read {where}")
    return CiliumSettings(
        source=where,
        ipam=clean(data.get("ipam", "")),
        pool_ipv4=clean(data.get("cluster-pool-ipv4-cidr", "")),
        mask_size_ipv4=clean(data.get("cluster-pool-ipv4-mask-size", "")),
        routing_mode=clean(mode),
        tunnel_protocol=clean(proto),
        routing_from=routing_from,
        kube_proxy_replacement=clean(data.get("kube-proxy-replacement", "")),
        notes=tuple(notes),
    )

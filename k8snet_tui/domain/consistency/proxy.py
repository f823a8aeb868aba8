"""kube-proxy's configured mode vs the rules a node really holds, and the Service CIDR vs routes.

What each mode leaves in the kernel (pkg/proxy/iptables, pkg/proxy/nftables, pkg/proxy/ipvs; see
docs/architecture.md and the facts the datapath parsers follow): iptables mode fills nat
`KUBE-SERVICES` (through iptables-legacy or iptables-nft), nftables mode a table `kube-proxy` in
family ip/ip6, IPVS mode virtual services and ipset-matched `KUBE-SERVICES` rules. Cilium with
`kube-proxy-replacement: true` handles Services in eBPF and expects no kube-proxy rules at all.
"""

from __future__ import annotations

import re

from ..datapath.backend import Datapath, cilium_replaces_kube_proxy
from ..layers import cidr
from ..layers.kernel import Kernel, best_route
from ..model import ClusterState, NodeState, name_of, namespace_of
from ..sanitize import clean
from ..service_cidr import find_service_cidrs
from .findings import AGREE, DISAGREE, NOT_CHECKED, Check

KUBE_PROXY_CM = "kube-system/kube-proxy"
MODE_RULES = {  # the mode kube-proxy is told -> the backends `parse_node_datapath` names for its rules
    "iptables": ("iptables-legacy", "iptables-nft"),
    "nftables": ("nftables",),
    "ipvs": ("ipvs",),
}
KUBE_PROXY_BACKENDS = ("iptables-legacy", "iptables-nft", "nftables", "ipvs")
RULE_WORDS = {
    "iptables-legacy": "nat KUBE-SERVICES rules (iptables-legacy)",
    "iptables-nft": "nat KUBE-SERVICES rules (iptables-nft)",
    "nftables": "the nftables table `ip kube-proxy`",
    "ipvs": "IPVS virtual services",
    "cilium": "Cilium's service list",
}


def configured_mode(cluster: ClusterState) -> tuple[str, str] | None:
    """(mode, words saying where) from kube-proxy's ConfigMap, or None when there is none.

    kubeadm writes the KubeProxyConfiguration under `config.conf`; `mode` is a top-level key, and
    empty (or absent) means iptables on Linux.
    """
    data = cluster.configmap("kube-system", "kube-proxy")
    if not data:
        return None
    for key in ("config.conf", "config.yaml", "config"):
        text = data.get(key)
        if text is None:
            continue
        match = re.search(r"^mode:[ \t]*([^\n#]*)", text, flags=re.MULTILINE)
        raw = match.group(1).strip().strip("'\"") if match else ""
        mode = raw.lower() or "iptables"
        said = f"ConfigMap {KUBE_PROXY_CM} {key} mode: {clean(raw) or '(empty: iptables)'}"
        return mode, said
    return None


def kernel_proxies(dp: Datapath) -> list[str]:
    """Backends whose state is really in the node's dumps (not inferred from cilium-config alone)."""
    out = []
    for name in dp.detected:
        if name == "cilium" and not (dp.cilium is not None and dp.cilium.services):
            continue  # said by the ConfigMap, not seen in the kernel
        out.append(name)
    return out


def _daemonset_words(cluster: ClusterState) -> str:
    found = [f"{namespace_of(d)}/{name_of(d)}" for d in cluster.of("DaemonSet") if name_of(d).startswith("kube-proxy")]
    return f"DaemonSet {clean(found[0])}" if found else "no kube-proxy DaemonSet in the API"


def _has_dumps(node: NodeState) -> bool:
    return bool(node.iptables or node.nft_ruleset is not None or node.ipvsadm is not None
                or node.cilium_services is not None)


def proxy_check(cluster: ClusterState, node: NodeState, name: str, dp: Datapath) -> list[Check]:
    if not _has_dumps(node):
        return [Check("proxy-mode", "proxy", NOT_CHECKED, name, _config_words(cluster),
                      f"no iptables, nftables or IPVS dump was read for {name}", f"node {name}",
                      "the rules that translate Service addresses are unknown",
                      "run k8snet on that node (or pick it with N through its agent)")]
    seen = kernel_proxies(dp)
    kube = [s for s in seen if s in KUBE_PROXY_BACKENDS]
    shown = "; ".join(RULE_WORDS.get(s, s) for s in seen) or "no kube-proxy or Cilium service state"
    kernel = f"{name} holds {shown}"
    where = f"{_daemonset_words(cluster)}; {name}'s rules"
    replaced = cilium_replaces_kube_proxy(cluster)
    if replaced:
        config = "ConfigMap kube-system/cilium-config kube-proxy-replacement: Cilium handles Services in eBPF"
        if kube:
            return [Check("proxy-mode", "proxy", DISAGREE, name, config, kernel, where,
                          "Cilium translates Service addresses first (at connect() and on the devices); kube-proxy's "
                          "rules are a second proxy or leftovers, and may send packets to endpoints that no longer exist",
                          "kubectl -n kube-system get ds kube-proxy (delete it when Cilium replaces it); "
                          "kube-proxy --cleanup on the node")]
        return [Check("proxy-mode", "proxy", AGREE, name, config, kernel, where,
                      "no kube-proxy rules compete with Cilium's", "")]
    configured = configured_mode(cluster)
    if configured is None:
        if not kube and replaced is False:
            return [Check("proxy-mode", "proxy", DISAGREE, name,
                          "cilium-config kube-proxy-replacement: false (kube-proxy must handle Services) "
                          f"and there is no ConfigMap {KUBE_PROXY_CM}", kernel, where,
                          "nothing translates Service addresses: packets to a ClusterIP are routed as they are "
                          "and time out", "kubectl -n kube-system get ds,pods -l k8s-app=kube-proxy")]
        return [Check("proxy-mode", "proxy", NOT_CHECKED, name, f"no ConfigMap {KUBE_PROXY_CM} says the mode",
                      kernel, where, "only what runs can be shown, not what was meant to",
                      "the kube-proxy pod's --proxy-mode flag or --config file")]
    mode, config = configured
    expected = MODE_RULES.get(mode)
    if expected is None:
        return [Check("proxy-mode", "proxy", NOT_CHECKED, name, config, f"{kernel} (mode {clean(mode)!r} is not "
                      "one this check knows)", where, "", "")]
    out: list[Check] = []
    hit = [s for s in kube if s in expected]
    if hit:
        out.append(Check("proxy-mode", "proxy", AGREE, name, config, kernel, where,
                         f"Service packets are translated by {RULE_WORDS[hit[0]]}, as configured", ""))
    elif kube:
        out.append(Check("proxy-mode", "proxy", DISAGREE, name, config, kernel, where,
                         f"Service packets are translated by {RULE_WORDS[kube[0]]}, not by the configured "
                         f"{mode} mode: the running kube-proxy was started with another mode (a flag overriding the "
                         "ConfigMap) or the ConfigMap changed and kube-proxy was not restarted",
                         "kubectl -n kube-system get pods -l k8s-app=kube-proxy -o yaml (its --proxy-mode and "
                         "--config); the kube-proxy log's 'Using ... Proxier' line"))
    else:
        out.append(Check("proxy-mode", "proxy", DISAGREE, name, config, kernel, where,
                         "no rules translate Service addresses on this node: packets to a ClusterIP or NodePort "
                         "are not sent to any pod", "kubectl -n kube-system get pods -l k8s-app=kube-proxy -o wide "
                         f"(is one running on {name}?); its log"))
    leftovers = [s for s in kube if s not in expected]
    if hit and leftovers:
        out.append(Check("proxy-leftovers", "proxy", DISAGREE, name, config,
                         f"{name} also holds {'; '.join(RULE_WORDS[s] for s in leftovers)}", where,
                         "the other mode's rules still see every packet (both hooks run), and DNAT to endpoints "
                         "that may be gone", "kube-proxy --cleanup (it removes every mode's rules), then restart it"))
    return out


def _config_words(cluster: ClusterState) -> str:
    configured = configured_mode(cluster)
    if configured is not None:
        return configured[1]
    if cilium_replaces_kube_proxy(cluster):
        return "cilium-config kube-proxy-replacement: true"
    return f"no ConfigMap {KUBE_PROXY_CM}"


def service_cidr_check(cluster: ClusterState, name: str, kernel: Kernel, dp: Datapath | None) -> list[Check]:
    cidrs = cluster.memo(find_service_cidrs)  # reads every kube-system Pod when no ServiceCIDR exists
    if not cidrs.cidrs:
        return [Check("service-cidr-route", "service-cidr", NOT_CHECKED, name, "the Service CIDR is unknown",
                      cidrs.detail, "ServiceCIDR objects, the kube-apiserver flag", "", "")]
    if not kernel.routes:
        return [Check("service-cidr-route", "service-cidr", NOT_CHECKED, name, f"Service CIDR {cidrs.cidrs[0]}",
                      f"no routes were read for {name}", f"node {name}", "", "")]
    if cilium_replaces_kube_proxy(cluster):
        return [Check("service-cidr-route", "service-cidr", NOT_CHECKED, name, f"Service CIDR {cidrs.cidrs[0]}",
                      "not needed: Cilium's socket load balancer translates ClusterIPs at connect(), before "
                      "any route lookup", "cilium-config", "", "")]
    out = []
    for service_cidr in cidrs.cidrs:
        net = cidr.parse_prefix(service_cidr)
        if net is None:
            continue
        probe = str(net.network_address + 1) if net.num_addresses > 2 else str(net.network_address)
        route = best_route(kernel.routes, probe)
        config = f"Service CIDR {service_cidr} ({cidrs.source}: {cidrs.detail})"
        if dp is not None and dp.backend == "ipvs" and kernel.interface("kube-ipvs0") is not None:
            out.append(Check("service-cidr-route", "service-cidr", AGREE, name, config,
                             "kube-ipvs0 holds the Service addresses (local routes)", "device kube-ipvs0",
                             "connections to ClusterIPs from the node are accepted locally and sent on by IPVS", ""))
        elif route is None:
            out.append(Check(
                "service-cidr-route", "service-cidr", DISAGREE, name, config,
                f"no route (not even a default route) covers {probe}", f"{name}'s main routing table",
                "a process on the node (or a hostNetwork pod) connecting to a ClusterIP gets 'network unreachable' "
                "before kube-proxy's OUTPUT rules can translate it; pods are not affected (their packets are "
                "translated before routing)", f"ip route get {probe} on {name}"))
        else:
            words = f"{'the default route' if route.dst == 'default' else 'route'} {route.describe()}"
            out.append(Check("service-cidr-route", "service-cidr", AGREE, name, config, f"{words} covers {probe}",
                             f"{name}'s main routing table",
                             "node processes can open connections to ClusterIPs; kube-proxy's rules then translate them",
                             ""))
    return out

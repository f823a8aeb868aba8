"""Everything the evaluator looks up, built once per cluster state.

Pods (labels, IP, node, host network, named ports), namespace labels, node addresses, the
compiled NetworkPolicies by namespace, and the policy kinds we recognise but do not evaluate
(AdminNetworkPolicy, BaselineAdminNetworkPolicy, Cilium's). Which policies select a pod is
worked out on first use and kept, so repeated checks of the same pods cost a few lookups.
A pod's details are read on its first lookup too (by key, by namespace, or all of them for an
address), so one check on a big cluster does not read every pod's labels and ports.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..model import ClusterState, Obj, dig_dict, dig_list, dig_str
from .compile import EGRESS, INGRESS, Policy, compile_policy
from .ipblocks import Address
from .ports import NamedPorts, named_ports_of
from .problems import Problem, Tri, and3
from .selectors import NAME_LABEL, Selector

# Recognised, shown, not evaluated (yet): their presence makes a verdict incomplete.
NOT_EVALUATED_KINDS = ("AdminNetworkPolicy", "BaselineAdminNetworkPolicy",
                       "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy")
DNS_LABEL = ("k8s-app", "kube-dns")


@dataclass(frozen=True)
class PodInfo:
    namespace: str
    name: str
    labels: Mapping[str, str]
    ip: Address | None
    node: str
    host_network: bool = False
    named_ports: NamedPorts = field(default_factory=dict)
    phase: str = ""

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class OtherPolicy:
    kind: str
    namespace: str  # "" for cluster-scoped kinds
    name: str

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


@dataclass(frozen=True)
class NamespaceInfo:
    name: str
    labels: Mapping[str, str]
    known: bool  # False: no Namespace object was read; only the name label is certain


@dataclass(frozen=True)
class Selection:
    """How one policy relates to one pod: does it select it, for which directions."""

    policy: Policy
    ingress: Tri
    egress: Tri

    def applies(self, direction: str) -> Tri:
        return self.ingress if direction == INGRESS else self.egress


class PodTable:
    """Pods by key ("ns/name", the first of duplicates wins, in list order); each pod's PodInfo is
    made from its API object on first use and kept (two threads may both make one: equal values,
    the first one kept)."""

    def __init__(self, objs: Iterable[Obj] = (), infos: Iterable[PodInfo] = ()) -> None:
        self._namespace: dict[str, str] = {}  # key -> namespace, in list order
        self._obj: dict[str, Obj] = {}
        self._info: dict[str, PodInfo] = {}
        for p in infos:
            if p.key not in self._namespace:
                self._namespace[p.key] = p.namespace
                self._info[p.key] = p
        for o in objs:
            ns = dig_str(o, "metadata", "namespace")  # as pod_info reads them
            key = f"{ns}/{dig_str(o, 'metadata', 'name')}"
            if key not in self._namespace:
                self._namespace[key] = ns
                self._obj[key] = o
        self._keys_by_namespace: dict[str, tuple[str, ...]] | None = None
        self._keys_by_ip: dict[Address, tuple[str, ...]] | None = None

    def get(self, key: str) -> PodInfo | None:
        info = self._info.get(key)
        if info is None:
            obj = self._obj.get(key)
            if obj is None:
                return None
            info = self._info.setdefault(key, pod_info(obj))
        return info

    def all(self) -> list[PodInfo]:
        return [p for p in map(self.get, self._namespace) if p is not None]

    def running_with_ip(self, ip: Address) -> list[PodInfo]:
        """The pods with this IP that hold it: not host-network, not finished (as PodInfo says)."""
        grouped = self._keys_by_ip
        if grouped is None:  # the three fields pod_info reads, without its labels and ports
            keys: dict[Address, list[str]] = {}
            for key in self._namespace:
                info, obj = self._info.get(key), self._obj.get(key)
                if info is not None:
                    addr, host, phase = info.ip, info.host_network, info.phase
                else:
                    addr = _address(dig_str(obj, "status", "podIP"))
                    host = dig_dict(obj, "spec").get("hostNetwork") is True
                    phase = dig_str(obj, "status", "phase")
                if addr is not None and not host and phase not in ("Succeeded", "Failed"):
                    keys.setdefault(addr, []).append(key)
            grouped = self._keys_by_ip = {ip: tuple(k) for ip, k in keys.items()}
        return [p for p in map(self.get, grouped.get(ip, ())) if p is not None]

    def in_namespace(self, namespace: str) -> list[PodInfo]:
        grouped = self._keys_by_namespace
        if grouped is None:
            keys: dict[str, list[str]] = {}
            for key, ns in self._namespace.items():
                keys.setdefault(ns, []).append(key)
            grouped = self._keys_by_namespace = {ns: tuple(k) for ns, k in keys.items()}
        return [p for p in map(self.get, grouped.get(namespace, ())) if p is not None]


class PolicyIndex:
    def __init__(self, pods: Iterable[PodInfo] | PodTable, namespaces: Iterable[NamespaceInfo],
                 policies: Iterable[Policy], node_ips: Mapping[str, tuple[Address, ...]],
                 others: Iterable[OtherPolicy] = (), service_ips: Mapping[Address, str] | None = None) -> None:
        self._pods = pods if isinstance(pods, PodTable) else PodTable(infos=pods)
        self._by_ip: dict[Address, list[PodInfo]] | None = None
        self._dns: tuple[PodInfo, ...] | None = None
        self.namespaces = {n.name: n for n in namespaces}
        self.policies: dict[str, list[Policy]] = {}
        for pol in policies:
            self.policies.setdefault(pol.namespace, []).append(pol)
        self.node_ips = dict(node_ips)
        self.node_of_ip: dict[Address, str] = {ip: n for n, ips in self.node_ips.items() for ip in ips}
        self.others = tuple(others)
        self.service_ips = dict(service_ips or {})  # ClusterIP -> "ns/name"
        self._selections: dict[str, tuple[Selection, ...]] = {}
        self.dns_findings: dict[str, tuple[str, ...]] = {}  # pod key -> findings (evaluator's cache)

    # --- lookups -------------------------------------------------------------------
    @property
    def pods(self) -> dict[str, PodInfo]:
        """Every pod by key, in list order (every pod is read)."""
        return {p.key: p for p in self._pods.all()}

    @property
    def by_ip(self) -> dict[Address, list[PodInfo]]:
        """Pod IP -> the running pods with it (every pod is read; `with_ip` reads only the owners)."""
        got = self._by_ip
        if got is None:
            got = {}
            for p in self._pods.all():
                if p.ip is not None and not p.host_network and p.phase not in ("Succeeded", "Failed"):
                    got.setdefault(p.ip, []).append(p)
            self._by_ip = got
        return got

    def with_ip(self, ip: Address) -> list[PodInfo]:
        """The running pods with this IP, as `by_ip` has them."""
        return self._pods.running_with_ip(ip)

    @property
    def dns(self) -> tuple[PodInfo, ...]:
        got = self._dns
        if got is None:
            got = self._dns = tuple(p for p in self._pods.in_namespace("kube-system")
                                    if p.labels.get(DNS_LABEL[0]) == DNS_LABEL[1])
        return got

    def pod(self, key: str) -> PodInfo | None:
        return self._pods.get(key)

    def pods_in(self, namespace: str) -> list[PodInfo]:
        return self._pods.in_namespace(namespace)

    def all_policies(self) -> list[Policy]:
        return [p for ps in self.policies.values() for p in ps]

    def policy(self, key: str) -> Policy | None:
        ns, _, name = key.partition("/")
        return next((p for p in self.policies.get(ns, ()) if p.name == name), None)

    def problems(self) -> list[Problem]:
        return [pr for p in self.all_policies() for pr in p.problems]

    def namespace(self, name: str) -> NamespaceInfo:
        ns = self.namespaces.get(name)
        if ns is None:
            return NamespaceInfo(name, MappingProxyType({NAME_LABEL: name}), False)
        return ns

    def namespace_matches(self, selector: Selector, name: str) -> Tri:
        ns = self.namespace(name)
        if ns.known or selector.empty or selector.keys <= {NAME_LABEL}:
            return selector.matches(ns.labels)
        return None  # its labels were never read

    def not_evaluated_for(self, *namespaces: str) -> tuple[OtherPolicy, ...]:
        """The unevaluated policies that could change traffic of pods in these namespaces."""
        return tuple(o for o in self.others if not o.namespace or o.namespace in namespaces)

    def selections(self, pod: PodInfo) -> tuple[Selection, ...]:
        """The policies of the pod's namespace that select it (or may: None), with directions."""
        got = self._selections.get(pod.key)
        if got is not None:
            return got
        out = []
        if not pod.host_network:  # the most common implementation ignores host-network pods
            for pol in self.policies.get(pod.namespace, ()):
                sel = pol.pod_selector.matches(pod.labels)
                if sel is False:
                    continue
                ing, eg = and3(sel, pol.ingress_type), and3(sel, pol.egress_type)
                if ing is False and eg is False:
                    continue
                out.append(Selection(pol, ing, eg))
        got = tuple(out)
        self._selections[pod.key] = got
        return got

    def dns_pods(self) -> list[PodInfo]:
        return list(self.dns)


# --- building from API objects ---------------------------------------------------------
def _labels(obj: Any) -> Mapping[str, str]:
    raw = dig_dict(obj, "metadata", "labels")
    return MappingProxyType({k: v for k, v in raw.items() if isinstance(k, str) and isinstance(v, str)})


def _address(text: str) -> Address | None:
    if not text:
        return None
    try:
        # inet_pton + the bytes constructor: ~10x faster than parsing the string in ipaddress,
        # which matters for 30,000 pods; the same strictness (four decimal octets).
        return ipaddress.IPv4Address(socket.inet_pton(socket.AF_INET, text))
    except OSError:
        pass
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def pod_info(obj: dict[str, Any]) -> PodInfo:
    spec = dig_dict(obj, "spec")
    return PodInfo(
        namespace=dig_str(obj, "metadata", "namespace"), name=dig_str(obj, "metadata", "name"),
        labels=_labels(obj), ip=_address(dig_str(obj, "status", "podIP")),
        node=dig_str(spec, "nodeName"), host_network=spec.get("hostNetwork") is True,
        named_ports=MappingProxyType(named_ports_of(obj)), phase=dig_str(obj, "status", "phase"))


def namespace_info(obj: dict[str, Any]) -> NamespaceInfo:
    name = dig_str(obj, "metadata", "name")
    labels = dict(_labels(obj))
    labels.setdefault(NAME_LABEL, name)  # the control plane always sets it (1.22+)
    return NamespaceInfo(name, MappingProxyType(labels), True)


def node_addresses(obj: dict[str, Any]) -> tuple[Address, ...]:
    out = []
    for a in dig_list(obj, "status", "addresses"):
        if isinstance(a, dict) and a.get("type") in ("InternalIP", "ExternalIP"):
            ip = _address(dig_str(a, "address"))
            if ip is not None:
                out.append(ip)
    return tuple(out)


def build_index(cluster: ClusterState) -> PolicyIndex:
    others = [OtherPolicy(k, dig_str(o, "metadata", "namespace"), dig_str(o, "metadata", "name"))
              for k in NOT_EVALUATED_KINDS for o in cluster.of(k)]
    return PolicyIndex(
        pods=PodTable(cluster.of("Pod")),
        namespaces=(namespace_info(o) for o in cluster.of("Namespace")),
        policies=(compile_policy(o) for o in cluster.of("NetworkPolicy")),
        node_ips={dig_str(o, "metadata", "name"): node_addresses(o) for o in cluster.of("Node")},
        others=others, service_ips=_service_ips(cluster))


def _service_ips(cluster: ClusterState) -> dict[Address, str]:
    out: dict[Address, str] = {}
    for svc in cluster.of("Service"):
        for text in dig_list(svc, "spec", "clusterIPs") or [dig_str(svc, "spec", "clusterIP")]:
            ip = _address(text) if isinstance(text, str) else None
            if ip is not None:
                out.setdefault(ip, f"{dig_str(svc, 'metadata', 'namespace')}/{dig_str(svc, 'metadata', 'name')}")
    return out


def index_of(cluster: ClusterState) -> PolicyIndex:
    """The index, built once per cluster state (ClusterState.memo)."""
    return cluster.memo(build_index)


__all__ = ["EGRESS", "INGRESS", "NOT_EVALUATED_KINDS", "NamespaceInfo", "OtherPolicy", "PodInfo",
           "PodTable", "PolicyIndex", "Selection", "build_index", "index_of", "namespace_info", "pod_info"]

"""The whole server's expected answer: Corefile routing, then the plugins in CoreDNS's run order.

Only what can be predicted from API state is predicted. Anything forwarded upstream, or handled
by a plugin we do not model, comes back with rcode None and a note saying so.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import ClusterState
from .answers import Expected, KubernetesAnswers
from .corefile import (
    PLUGIN_ORDER,
    Corefile,
    KubernetesPlugin,
    default_corefile,
    hosts_plugin,
    kubernetes_plugin,
    parse_corefile,
    route,
)
from .index import DnsIndex, build_index
from .kubelet import ClusterDns, cluster_dns
from .names import fqdn, ip_family, is_subdomain

UPSTREAM = "forwarded upstream (unknown)"
_OPAQUE = {"rewrite": "a rewrite rule may change the name first",
           "template": "a template may answer first",
           "k8s_external": "k8s_external may answer first",
           "route53": "route53 may answer first", "azure": "azure may answer first",
           "clouddns": "clouddns may answer first", "dns64": "dns64 may synthesise AAAA answers"}


@dataclass(frozen=True)
class DnsModel:
    """Everything needed to predict answers for one cluster."""

    index: DnsIndex
    corefile: Corefile
    dns: ClusterDns
    corefile_source: str
    notes: tuple[str, ...] = ()

    def expect(self, name: str, qtype: str = "A") -> Expected:
        name = fqdn(name)
        block = route(self.corefile, name)
        if block is None:
            return Expected("REFUSED", note="no server block of the Corefile serves this zone")
        cautions = [why for plugin, why in _OPAQUE.items()
                    if block.plugin(plugin) and _runs_before(plugin, "kubernetes")]
        hosts = hosts_plugin(block)
        if hosts and any(is_subdomain(name, z) for z in hosts.zones) and qtype in ("A", "AAAA"):
            addrs = hosts.names.get(name)
            if addrs:
                fam = 4 if qtype == "A" else 6
                return _with(Expected("NOERROR", tuple(a for a in addrs if ip_family(a) == fam)), cautions)
            if not (hosts.fallthrough is not None and (not hosts.fallthrough or any(
                    is_subdomain(name, z) for z in hosts.fallthrough))):
                return _with(Expected(None, note="the hosts plugin answers from its file (unknown) "
                                                 "and has no fallthrough"), cautions)
        k8s = kubernetes_plugin(block)
        if k8s is not None:
            result = KubernetesAnswers(self.index, k8s).answer(name, qtype)
            if not result.fallthrough:
                return _with(result, cautions)
        fwd = block.plugin("forward")
        if fwd is not None and fwd.args and is_subdomain(name, fqdn(fwd.args[0]) if fwd.args[0] != "." else "."):
            return _with(Expected(None, note=UPSTREAM), cautions)
        for other in ("file", "auto", "secondary", "etcd", "grpc", "whoami", "erratic"):
            if block.plugin(other):
                return _with(Expected(None, note=f"answered by the {other} plugin (not modelled)"), cautions)
        return _with(Expected("SERVFAIL", note="no plugin after kubernetes handles this name"), cautions)

    @property
    def kubernetes(self) -> KubernetesPlugin | None:
        block = route(self.corefile, f"x.{self.dns.domain}.")
        return kubernetes_plugin(block) if block else None


def _runs_before(a: str, b: str) -> bool:
    return PLUGIN_ORDER.index(a) < PLUGIN_ORDER.index(b)


def _with(exp: Expected, cautions: list[str]) -> Expected:
    if not cautions:
        return exp
    note = "; ".join(([exp.note] if exp.note else []) + cautions)
    return Expected(exp.rcode, exp.answers, note, exp.partial, exp.fallthrough)


def build_dns_model(cluster: ClusterState) -> DnsModel:
    """The DNS model of `cluster`, built once per ClusterState (it depends on nothing else)."""
    return cluster.memo(_build_dns_model)


def _build_dns_model(cluster: ClusterState) -> DnsModel:
    dns = cluster_dns(cluster)
    notes = list(dns.notes)
    text = cluster.configmap("kube-system", "coredns").get("Corefile")
    if text is None:
        cf = default_corefile(dns.domain)
        source = "assumed (kubeadm default)"
        notes.append("Corefile not readable (ConfigMap kube-system/coredns): expectations assume kubeadm's default")
    else:
        cf = parse_corefile(text)
        source = "ConfigMap kube-system/coredns"
        notes += [f"Corefile line {p.line}: {p.reason}" for p in cf.problems]
    index = build_index(cluster)
    if not index.namespaces_known:
        notes.append("Namespaces not readable: a namespace is assumed to exist when some object lives in it")
    notes += list(index.skipped)
    model = DnsModel(index, cf, dns, source, tuple(notes))
    k8s = model.kubernetes
    if k8s is None:
        model = DnsModel(index, cf, dns, source, tuple(notes) + (
            f"no kubernetes plugin serves {dns.domain}: cluster names are not answered by CoreDNS",))
    elif k8s.primary_zone and k8s.primary_zone != fqdn(dns.domain):
        model = DnsModel(index, cf, dns, source, tuple(notes) + (
            f"kubelet clusterDomain {dns.domain} but CoreDNS serves {k8s.primary_zone}",))
    return model


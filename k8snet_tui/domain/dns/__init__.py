"""Kubernetes DNS, pure: resolv.conf, the kubelet's pod DNS, resolver search walks, the
Corefile, and the answers CoreDNS's kubernetes plugin gives for API state."""

from .answers import Expected, KubernetesAnswers
from .catalog import DnsNameRow, service_dns_names
from .corefile import Corefile, KubernetesPlugin, kubernetes_plugin, parse_corefile
from .kubelet import ClusterDns, PodDns, cluster_dns, pod_dns
from .lookup import Actual, DnsLookupView, dns_lookup_view, mismatch
from .names import NameCheck, check_name
from .oracle import DnsModel, build_dns_model
from .pane import DnsView, build_dns_view
from .resolv_conf import ResolvConf, glibc_settings, musl_settings, parse_resolv_conf
from .search import Plan, candidate_names, plan_lookup

__all__ = [
    "Actual", "ClusterDns", "Corefile", "DnsLookupView", "DnsModel", "DnsNameRow", "DnsView",
    "Expected", "KubernetesAnswers", "KubernetesPlugin", "NameCheck", "Plan", "PodDns",
    "ResolvConf", "build_dns_model", "build_dns_view", "candidate_names", "check_name",
    "cluster_dns", "dns_lookup_view", "glibc_settings", "kubernetes_plugin", "mismatch",
    "musl_settings", "parse_corefile", "parse_resolv_conf", "plan_lookup", "pod_dns",
    "service_dns_names",
]

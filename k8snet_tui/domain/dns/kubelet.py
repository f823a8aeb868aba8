"""The kubelet's derivation of a pod's resolv.conf (pkg/kubelet/network/dns/dns.go, 1.36).

Where the cluster's DNS address and domain come from, the dnsPolicy switch, the dnsConfig
merge and the limits trimming, each step recorded in words so the pane can explain it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ..model import (
    ClusterState,
    dig,
    dig_dict,
    dig_list,
    dig_str,
    name_of,
    namespace_of,
)
from .resolv_conf import ResolvConf, parse_resolv_conf

MAX_NAMESERVERS = 3
MAX_SEARCH_PATHS = 32
MAX_SEARCH_CHARS = 2048
MAX_SEARCH_DOMAIN = 253
DEFAULT_DOMAIN = "cluster.local"


@dataclass(frozen=True)
class ClusterDns:
    """The kubelet's clusterDNS and clusterDomain, as far as the API lets us see them."""

    ips: tuple[str, ...]
    domain: str
    source: str
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"ips": list(self.ips), "domain": self.domain, "source": self.source,
                "notes": list(self.notes)}


def _kubelet_config_text(cluster: ClusterState) -> tuple[str, str] | None:
    # kubeadm stores it as kube-system/kubelet-config (older releases: kubelet-config-1.NN).
    names = ["kubelet-config"] + sorted(
        (name_of(cm) for cm in cluster.of("ConfigMap")
         if namespace_of(cm) == "kube-system" and name_of(cm).startswith("kubelet-config-")),
        reverse=True)
    for name in names:
        data = cluster.configmap("kube-system", name)
        for key in ("kubelet", "config.yaml", "kubelet.yaml"):
            if key in data:
                return name, data[key]
    return None


def parse_kubelet_config(text: str) -> tuple[tuple[str, ...] | None, str | None]:
    """clusterDNS and clusterDomain from a KubeletConfiguration (YAML or JSON); None when absent.

    Only these two top-level keys matter here, so a small line reader does; a full YAML parser
    is not a dependency of the domain layer.
    """
    try:
        obj = json.loads(text)
        if isinstance(obj, dict):
            dns_ips = obj.get("clusterDNS")
            dom = obj.get("clusterDomain")
            return (tuple(str(i) for i in dns_ips) if isinstance(dns_ips, list) else None,
                    dom if isinstance(dom, str) else None)
    except ValueError:
        pass
    ips: list[str] | None = None
    domain: str | None = None
    # YAML ends lines at \n (or \r\n); U+2028 or U+0085 inside a value is data, not a new key.
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    for i, line in enumerate(lines):
        if line.startswith("clusterDomain:"):
            domain = _scalar(line.split(":", 1)[1])
        elif line.startswith("clusterDNS:"):
            rest = line.split(":", 1)[1].strip()
            if rest.startswith("["):
                ips = [_scalar(x) for x in rest.strip("[]").split(",") if x.strip()]
            else:
                ips = []
                for follow in lines[i + 1:]:
                    m = re.match(r"^\s*-\s*(.+?)\s*$", follow)
                    if not m:
                        if follow.strip() and not follow.startswith((" ", "\t", "-")):
                            break
                        continue
                    ips.append(_scalar(m.group(1)))
    return (tuple(ips) if ips is not None else None), domain


def _scalar(text: str) -> str:
    value = text.split(" #", 1)[0].strip()
    return value.strip("'\"")


def kube_dns_service_ips(cluster: ClusterState) -> tuple[str, ...]:
    svc = cluster.get("Service", "kube-system", "kube-dns")
    ips = [ip for ip in dig_list(svc, "spec", "clusterIPs") if isinstance(ip, str)]
    if not ips:
        ip = dig_str(svc, "spec", "clusterIP")
        ips = [ip] if ip else []
    return tuple(ip for ip in ips if ip and ip != "None")


def cluster_dns(cluster: ClusterState) -> ClusterDns:
    """The kubelet's own config wins when the API holds it; the kube-dns Service is the usual stand-in."""
    notes: list[str] = []
    svc_ips = kube_dns_service_ips(cluster)
    found = _kubelet_config_text(cluster)
    if found:
        cm_name, text = found
        ips, domain = parse_kubelet_config(text)
        if ips is not None and svc_ips and set(ips) != set(svc_ips):
            notes.append(f"kubelet clusterDNS {', '.join(ips)} differs from the kube-dns Service "
                         f"address {', '.join(svc_ips)}")
        if ips is None:
            notes.append(f"ConfigMap kube-system/{cm_name} sets no clusterDNS")
        domain_value = (domain or DEFAULT_DOMAIN).strip(".") or DEFAULT_DOMAIN
        if domain is None:
            notes.append(f"no clusterDomain in kube-system/{cm_name}: assuming {DEFAULT_DOMAIN}")
        return ClusterDns(ips if ips is not None else svc_ips, domain_value,
                          f"ConfigMap kube-system/{cm_name}", tuple(notes))
    if svc_ips:
        return ClusterDns(svc_ips, DEFAULT_DOMAIN, "Service kube-system/kube-dns",
                          (f"kubelet config not readable: assuming clusterDomain {DEFAULT_DOMAIN}",))
    return ClusterDns((), DEFAULT_DOMAIN, "unknown",
                      ("no kube-dns Service and no kubelet config: cluster DNS address unknown",
                       f"assuming clusterDomain {DEFAULT_DOMAIN}"))


@dataclass(frozen=True)
class PodDns:
    """A pod's derived resolv.conf and the story of how it came to be."""

    resolv_conf: ResolvConf
    policy: str
    effective: str  # "cluster", "host" or "none"
    steps: tuple[str, ...]
    events: tuple[str, ...] = ()  # what the kubelet would report as DNSConfigForming / MissingClusterDNS

    def to_json(self) -> dict[str, Any]:
        return {"policy": self.policy, "effective": self.effective,
                "resolv_conf": self.resolv_conf.to_json(), "text": self.resolv_conf.render(),
                "steps": list(self.steps), "events": list(self.events)}


def _dedupe(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def _host_parts(node_resolv: ResolvConf | str | None) -> tuple[list[str], list[str], list[str], bool]:
    """The node file as the kubelet reads it: only `search` lines (last wins, `domain` ignored),
    trailing dots dropped, a lone '.' removed; every nameserver; options merged by name."""
    if node_resolv is None:
        return [], [], [], False
    rc = node_resolv if isinstance(node_resolv, ResolvConf) else parse_resolv_conf(node_resolv)
    servers = [e.args[0] for e in rc.entries if e.keyword == "nameserver" and e.args]
    search: list[str] = []
    options: dict[str, str] = {}
    for e in rc.entries:
        if e.keyword == "search":
            search = [s.removesuffix(".") for s in e.args if s != "."]
        elif e.keyword == "options":
            for opt in e.args:
                options[opt.split(":")[0]] = opt
    return servers, search, list(options.values()), True


def _merge_options(base: list[str], extra: list[object]) -> list[str]:
    merged: dict[str, str] = {}
    for opt in base:
        name, sep, value = opt.partition(":")
        merged[name] = value if sep else ""
    for item in extra:
        name = dig_str(item, "name")
        if not name:
            continue
        value = dig(item, "value")
        merged[name] = value if isinstance(value, str) else ""
    return [n if not v else f"{n}:{v}" for n, v in merged.items()]


def pod_dns(pod: dict[str, Any], dns: ClusterDns, node_resolv: ResolvConf | str | None) -> PodDns:
    """What the kubelet writes into this pod's /etc/resolv.conf."""
    steps: list[str] = []
    events: list[str] = []
    policy = dig_str(pod, "spec", "dnsPolicy") or ""
    defaulted = not policy
    if defaulted:
        # The API server defaults an unset dnsPolicy to ClusterFirst; a hand-written object or a
        # snapshot made from manifests may still lack it.
        policy = "ClusterFirst"
    host_network = dig(pod, "spec", "hostNetwork") is True
    ns = namespace_of(pod) or "default"
    h_servers, h_search, h_options, known = _host_parts(node_resolv)
    if not known:
        steps.append("the node's resolv.conf is unknown: its nameservers, search domains and options are left out")

    if policy == "None":
        effective = "none"
        steps.append("dnsPolicy None: start empty; only spec.dnsConfig counts")
    elif policy == "ClusterFirstWithHostNet":
        effective = "cluster"
        steps.append("dnsPolicy ClusterFirstWithHostNet: cluster DNS even on the host network")
    elif policy == "ClusterFirst":
        effective = "host" if host_network else "cluster"
        if host_network:
            steps.append("dnsPolicy ClusterFirst on a hostNetwork pod falls back to Default: the node's resolv.conf")
        else:
            steps.append("dnsPolicy ClusterFirst" + (" (unset: the API's default)" if defaulted else "")
                         + ": cluster DNS")
    elif policy == "Default":
        effective = "host"
        steps.append("dnsPolicy Default: the node's resolv.conf as the kubelet reads it")
    else:
        effective = "cluster"
        steps.append(f"dnsPolicy '{policy}' is not one the kubelet knows: it uses cluster DNS (even on the host network)")

    servers: list[str] = []
    search: list[str] = []
    options: list[str] = []
    if effective == "cluster" and not dns.ips:
        msg = ("kubelet does not have ClusterDNS IP configured and cannot create Pod using "
               "\"ClusterFirst\" policy. Falling back to \"Default\" policy.")
        events.append(f"MissingClusterDNS: {msg}")
        steps.append("no cluster DNS address known: the kubelet falls back to Default")
        effective = "host"
    if effective == "cluster":
        servers = list(dns.ips)
        zone = dns.domain
        cluster_search = [f"{ns}.svc.{zone}", f"svc.{zone}", zone] if zone else []
        search = _dedupe(cluster_search + h_search)
        dropped = len(cluster_search) + len(h_search) - len(search)
        options = ["ndots:5"]
        steps.append(f"nameserver {', '.join(servers)} (cluster DNS); search {' '.join(cluster_search)}"
                     + (f" + the node's {' '.join(h_search)}" if h_search else "")
                     + (f" ({dropped} duplicate{'s' if dropped > 1 else ''} dropped)" if dropped else "")
                     + "; options ndots:5 (the node's options are not used)")
    elif effective == "host":
        servers, search, options = list(h_servers), list(h_search), list(h_options)
        if known:
            steps.append("nameservers, search and options copied from the node's resolv.conf")

    dns_config = dig_dict(pod, "spec", "dnsConfig")
    if dns_config:
        extra_ns = [s for s in dig_list(dns_config, "nameservers") if isinstance(s, str)]
        extra_search = [s for s in dig_list(dns_config, "searches") if isinstance(s, str)]
        extra_opts = dig_list(dns_config, "options")
        servers = _dedupe(servers + extra_ns)
        search = _dedupe(search + extra_search)
        options = _merge_options(options, extra_opts)
        steps.append("spec.dnsConfig appended (duplicates dropped, options merged by name, the pod's value wins)")

    servers, search = _fit_limits(servers, search, steps, events)
    rc = ResolvConf.build(servers, search, options)
    return PodDns(rc, policy or "(unset)", effective, tuple(steps), tuple(events))


def _fit_limits(servers: list[str], search: list[str], steps: list[str], events: list[str]) -> tuple[list[str], list[str]]:
    if len(servers) > MAX_NAMESERVERS:
        kept = servers[:MAX_NAMESERVERS]
        steps.append(f"{len(servers)} nameservers: only the first {MAX_NAMESERVERS} are kept "
                     f"({', '.join(servers[MAX_NAMESERVERS:])} dropped)")
        events.append("DNSConfigForming: Nameserver limits were exceeded, some nameservers have been "
                      f"omitted, the applied nameserver line is: {' '.join(kept)}")
        servers = kept
    exceeded = False
    if len(search) > MAX_SEARCH_PATHS:
        steps.append(f"{len(search)} search domains: cut to the first {MAX_SEARCH_PATHS}")
        search = search[:MAX_SEARCH_PATHS]
        exceeded = True
    too_long = [s for s in search if len(s) > MAX_SEARCH_DOMAIN]
    if too_long:
        steps.append(f"{len(too_long)} search domain(s) longer than {MAX_SEARCH_DOMAIN} characters dropped")
        search = [s for s in search if len(s) <= MAX_SEARCH_DOMAIN]
        exceeded = True
    line_len = len(" ".join(search))
    if line_len > MAX_SEARCH_CHARS:
        cut = 0
        removed = 0
        for s in reversed(search):
            cut += len(s) + 1
            removed += 1
            if line_len - cut <= MAX_SEARCH_CHARS:
                break
        steps.append(f"search line of {line_len} characters exceeds {MAX_SEARCH_CHARS}: "
                     f"the last {removed} domain(s) dropped")
        search = search[: len(search) - removed]
        exceeded = True
    if exceeded:
        events.append("DNSConfigForming: Search Line limits were exceeded, some search paths have been "
                      f"omitted, the applied search line is: {' '.join(search)}")
    return servers, search

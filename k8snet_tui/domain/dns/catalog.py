"""Every DNS name the cluster's services give, for a picker: what to type and what comes back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model import ClusterState, dig_str, name_of, namespace_of
from .index import Svc
from .oracle import DnsModel, build_dns_model


@dataclass(frozen=True)
class DnsNameRow:
    fqdn: str
    qtype: str
    kind: str  # service, headless, external, srv, endpoint, pod-identity
    namespace: str
    service: str
    answers: tuple[str, ...] = ()
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"fqdn": self.fqdn, "type": self.qtype, "kind": self.kind, "namespace": self.namespace,
                "service": self.service, "answers": list(self.answers), "note": self.note}


def service_dns_names(cluster: ClusterState, model: DnsModel | None = None) -> tuple[DnsNameRow, ...]:
    """Every name, with its expected answers; kept with the state when `model` is the state's own."""
    own = build_dns_model(cluster)
    if model is None or model is own:
        return cluster.memo(_service_dns_names)
    return _names(cluster, model)


def _service_dns_names(cluster: ClusterState) -> tuple[DnsNameRow, ...]:
    return _names(cluster, build_dns_model(cluster))


def _names(cluster: ClusterState, model: DnsModel) -> tuple[DnsNameRow, ...]:
    k8s = model.kubernetes
    zone = (k8s.primary_zone if k8s and k8s.primary_zone else model.dns.domain.rstrip(".") + ".")
    idx = model.index
    rows: list[DnsNameRow] = []

    def row(fqdn: str, qtype: str, kind: str, svc: Svc, note: str = "") -> None:
        exp = model.expect(fqdn, qtype)
        rows.append(DnsNameRow(fqdn, qtype, kind, svc.namespace, svc.name, exp.answers,
                               note or exp.note or ("" if exp.found else exp.kind)))

    for key in sorted(idx.services):
        svc = idx.services[key]
        base = f"{svc.name}.{svc.namespace}.svc.{zone}"
        if svc.type == "ExternalName":
            row(base, "CNAME", "external", svc)
            continue
        if svc.headless:
            row(base, "A", "headless", svc)
        else:
            row(base, "A", "service", svc)
            if any(":" in ip for ip in svc.cluster_ips):
                row(base, "AAAA", "service", svc)
        for p in svc.ports:
            if p.name and p.protocol:
                row(f"_{p.name.lower()}._{p.protocol.lower()}.{base}", "SRV", "srv", svc)
        if svc.headless:
            seen: set[str] = set()
            for sl in idx.endpoints(svc.namespace, svc.name):
                for addr in sl.addresses:
                    label = addr.label(k8s.endpoint_pod_names if k8s else False)
                    name = f"{label}.{base}"
                    if name not in seen:
                        seen.add(name)
                        row(name, "AAAA" if ":" in addr.ip else "A",
                            "pod-identity" if addr.hostname else "endpoint", svc)
    rows += _unpublished_identities(cluster, model, zone, {r.fqdn for r in rows})
    return tuple(rows)


def _unpublished_identities(cluster: ClusterState, model: DnsModel, zone: str, known: set[str]) -> list[DnsNameRow]:
    """StatefulSet-style pods (hostname + subdomain) whose name is not served, and why."""
    out: list[DnsNameRow] = []
    for pod in cluster.of("Pod"):
        host, sub = dig_str(pod, "spec", "hostname"), dig_str(pod, "spec", "subdomain")
        ns = namespace_of(pod)
        if not host or not sub:
            continue
        fq = f"{host}.{sub}.{ns}.svc.{zone}".lower()
        if fq in known:
            continue
        svc = model.index.service(ns, sub)
        why = ("no headless Service named " + sub if svc is None or not svc.headless
               else f"pod {name_of(pod)} is not a ready endpoint of {sub} (no record until Ready)")
        out.append(DnsNameRow(fq, "A", "pod-identity", ns, sub, (), why))
    return out

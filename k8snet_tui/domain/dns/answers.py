"""What CoreDNS's kubernetes plugin answers, computed from API state (CoreDNS 1.15 semantics).

Follows plugin/kubernetes (parse.go, kubernetes.go, handler.go, reverse.go) and the shared
plugin/backend_lookup.go: the name is split into [endpoint|_port._proto].service.namespace.svc|pod,
each part narrows the search, and the error kind decides NXDOMAIN (a "name error") versus an
empty NOERROR (NODATA). Answers are strings: addresses for A/AAAA, `CNAME target.`,
`prio weight port target.` for SRV, `target.` for PTR, `"text"` for TXT.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from typing import Any

from .corefile import KubernetesPlugin
from .index import DnsIndex
from .names import address_from_reverse, fqdn, ip_family, is_reverse, is_subdomain

DNS_SCHEMA_VERSION = "1.1.0"
NAME_ERROR = "name-error"  # CoreDNS errNoItems / errNsNotExposed / errInvalidRequest
MAX_CNAME_CHAIN = 10


@dataclass(frozen=True)
class Expected:
    """One expected response. rcode None: we cannot know (forwarded upstream)."""

    rcode: str | None
    answers: tuple[str, ...] = ()
    note: str = ""
    partial: bool = False  # answers are a prefix: more come from upstream
    fallthrough: bool = False  # the kubernetes plugin passed the query on

    @property
    def found(self) -> bool:
        return self.rcode == "NOERROR" and bool(self.answers)

    @property
    def kind(self) -> str:
        """answer / NODATA / NXDOMAIN / other rcode / unknown."""
        if self.rcode is None:
            return "unknown"
        if self.rcode == "NOERROR":
            return "answer" if self.answers else "NODATA"
        return self.rcode

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rcode": self.rcode, "answers": list(self.answers)}
        if self.note:
            out["note"] = self.note
        if self.partial:
            out["partial"] = True
        return out


@dataclass(frozen=True)
class _Rec:
    host: str  # an IP, or a name (CNAME) for ExternalName
    port: int
    target: str  # the owner name CoreDNS builds from the record key (SRV target / PTR)


@dataclass(frozen=True)
class _Req:
    port: str = ""
    protocol: str = ""
    endpoint: str = ""
    service: str = ""
    namespace: str = ""
    kind: str = ""  # "svc", "pod" or "" (apex-like: NODATA)


def _trim_zone(name: str, zone: str) -> str:
    if zone == ".":
        return name.rstrip(".")
    return name[: -len(zone)].rstrip(".") if name != zone else ""


def parse_request(name: str, zone: str) -> _Req | None:
    """None: the name cannot exist in the zone (CoreDNS answers NXDOMAIN)."""
    base = _trim_zone(fqdn(name), zone)
    if base in ("", "svc", "pod"):
        return _Req()
    segs = base.split(".")
    kind = segs.pop()
    if kind not in ("svc", "pod"):
        return None
    namespace = segs.pop() if segs else ""
    service = segs.pop() if segs else ""
    if not segs:
        return _Req(namespace=namespace, service=service, kind=kind)
    if len(segs) == 1:
        return _Req(endpoint=segs[0], namespace=namespace, service=service, kind=kind)
    if len(segs) == 2:
        return _Req(port=segs[0].removeprefix("_"), protocol=segs[1].removeprefix("_"),
                    namespace=namespace, service=service, kind=kind)
    return None  # too long (the `zonal` names are not modelled)


def _eq(a: str, b: str) -> bool:
    return a.lower() == b.lower()


def _port_match(req: _Req, name: str, proto: str) -> bool:
    return (not req.port or _eq(req.port, name)) and (not req.protocol or _eq(req.protocol, proto))


def _host_type(host: str) -> str:
    fam = ip_family(host)
    return "A" if fam == 4 else "AAAA" if fam == 6 else "CNAME"


class KubernetesAnswers:
    """The kubernetes plugin over one index and one plugin configuration."""

    def __init__(self, index: DnsIndex, plugin: KubernetesPlugin):
        self.idx = index
        self.k = plugin

    # --- Records (kubernetes.go) -------------------------------------------------------------
    def _ns_exposed(self, ns: str) -> bool:
        if self.k.namespaces and ns not in self.k.namespaces:
            return False
        return ns.lower() in self.idx.namespaces

    def records(self, name: str, zone: str) -> tuple[list[_Rec], str | None]:
        req = parse_request(name, zone)
        if req is None:
            return [], NAME_ERROR
        if not req.kind:
            return [], None
        if is_reverse(name):
            return [], NAME_ERROR
        if not self._ns_exposed(req.namespace):
            return [], NAME_ERROR
        if req.kind == "pod":
            return self._pods(req, zone)
        return self._services(req, zone)

    def _pods(self, req: _Req, zone: str) -> tuple[list[_Rec], str | None]:
        if self.k.pods == "disabled":
            return [], NAME_ERROR
        if not req.service:
            return [], None
        label = req.service
        ip = label.replace("-", ".") if label.count("-") == 3 and "--" not in label else label.replace("-", ":")
        target = f"{label}.{req.namespace}.pod.{zone}"
        if self.k.pods == "insecure":
            try:
                ip = str(ipaddress.ip_address(ip))
            except ValueError:
                return [], NAME_ERROR
            return [_Rec(ip, 0, target)], None
        namespaces = self.idx.pod_ips.get(ip, frozenset())
        if req.namespace.lower() in namespaces:
            return [_Rec(ip, 0, target)], None
        return [], NAME_ERROR

    def _services(self, req: _Req, zone: str) -> tuple[list[_Rec], str | None]:
        if not req.service:
            return [], None
        svc = self.idx.service(req.namespace, req.service)
        if svc is None:
            return [], NAME_ERROR
        err: str | None = NAME_ERROR
        out: list[_Rec] = []
        slices = () if self.k.noendpoints else self.idx.endpoints(svc.namespace, svc.name)
        base = f"{svc.name}.{svc.namespace}.svc.{zone}"
        if (self.k.ignore_empty_service and svc.type != "ExternalName" and not svc.headless
                and not any(s.addresses for s in slices)):
            return [], NAME_ERROR
        if svc.type == "ExternalName":
            if req.endpoint or req.port or req.protocol or not svc.external_name:
                return [], NAME_ERROR
            if _host_type(svc.external_name) != "CNAME":
                return [], NAME_ERROR  # an address in externalName is not served
            return [_Rec(svc.external_name, 0, base)], None
        if svc.headless or req.endpoint:
            for sl in slices:
                for addr in sl.addresses:
                    label = addr.label(self.k.endpoint_pod_names)
                    if req.endpoint and not _eq(req.endpoint, label):
                        continue
                    for p in sl.ports:
                        if not _port_match(req, p.name, p.protocol):
                            continue
                        out.append(_Rec(addr.ip, p.port, f"{label}.{base}"))
                        err = None
            return out, err
        for p in svc.ports:
            if not _port_match(req, p.name, p.protocol):
                continue
            err = None
            for ip in svc.cluster_ips:
                if ip:
                    out.append(_Rec(ip, p.port, base))
        return out, err

    # --- Services (kubernetes.go) and the record builders (backend_lookup.go) ----------------
    def _lookup(self, name: str, zone: str, qtype: str) -> tuple[list[_Rec], str | None, str]:
        """Services(): records for a name, plus a note when the answer cannot be known."""
        if name == f"ns.dns.{zone}" and qtype in ("A", "AAAA"):
            return [], None, "ns.dns.<zone> answers CoreDNS's own address (not modelled)"
        recs, err = self.records(name, zone)
        if qtype == "SRV":
            recs = [r for r in recs if _host_type(r.host) != "CNAME"]
        return recs, err, ""

    def _address(self, name: str, zone: str, qtype: str, chain: int = 0) -> tuple[list[str], str | None, bool, str]:
        if name == zone:
            # the apex: CoreDNS looks for apex.dns.<zone>, gets a name error, retries the zone itself
            recs, err = self.records(name, zone)
            note = ""
        else:
            recs, err, note = self._lookup(name, zone, qtype)
        if err:
            return [], err, False, note
        answers: list[str] = []
        partial = False
        seen: set[str] = set()
        for r in recs:
            t = _host_type(r.host)
            if t == "CNAME":
                target = fqdn(r.host)
                if target == name or chain >= MAX_CNAME_CHAIN:
                    continue
                if is_subdomain(target, zone):
                    nxt, nerr, npartial, _ = self._address(target, zone, qtype, chain + 1)
                    if nerr is None and nxt:
                        answers += [f"CNAME {target}"] + nxt
                        partial = partial or npartial
                    continue
                answers.append(f"CNAME {target}")
                partial = True
                note = note or f"{target} is resolved upstream: its addresses are unknown here"
            elif t == qtype and r.host not in seen:
                seen.add(r.host)
                answers.append(r.host)
        return answers, None, partial, note

    def _srv(self, name: str, zone: str) -> tuple[list[str], str | None]:
        recs, err, _ = self._lookup(name, zone, "SRV")
        if err:
            return [], err
        total = 100 * len(recs)  # every record has priority 0 and weight 0 (counted as 100)
        answers: list[str] = []
        seen: set[tuple[str, int]] = set()
        for r in recs:
            if r.port == -1:
                continue
            weight = max(1, math.floor(100.0 / total * 100))
            key = (r.target, r.port)
            if key not in seen:
                seen.add(key)
                answers.append(f"0 {weight} {r.port} {r.target}")
        return answers, None

    def _ptr(self, name: str, zone: str) -> tuple[list[str], str | None]:
        ip = address_from_reverse(name)
        if ip is None:
            _, err = self.records(name, zone)
            return [], err
        primary = self.k.primary_zone or zone
        for svc in sorted(self.idx.services.values(), key=lambda s: (s.namespace, s.name)):
            if ip in svc.cluster_ips and (not self.k.namespaces or self._ns_exposed(svc.namespace)):
                return [f"{svc.name}.{svc.namespace}.svc.{primary}"], None
        out: list[str] = []
        for (ns, svc_name), slices in sorted(self.idx.slices.items()):
            if self.k.namespaces and not self._ns_exposed(ns):
                continue
            for sl in slices:
                for addr in sl.addresses:
                    if addr.ip == ip:
                        target = f"{addr.label(self.k.endpoint_pod_names)}.{svc_name}.{ns}.svc.{primary}"
                        if target not in out:
                            out.append(target)
        return (out, None) if out else ([], NAME_ERROR)

    # --- ServeDNS (handler.go) -------------------------------------------------------------------
    def answer(self, name: str, qtype: str) -> Expected:
        name = fqdn(name)
        qtype = qtype.upper()
        zone = self.k.zone_for(name)
        if zone is None:
            return Expected(None, note="outside the kubernetes zones", fallthrough=True)
        answers: list[str] = []
        err: str | None = None
        partial = False
        note = ""
        if qtype in ("A", "AAAA"):
            answers, err, partial, note = self._address(name, zone, qtype)
        elif qtype == "TXT":
            rest = _trim_zone(name, zone)
            if rest == "dns-version":
                answers = [f'"{DNS_SCHEMA_VERSION}"']
            else:
                recs, _ = self.records(name, zone)
                err = None if recs else NAME_ERROR
        elif qtype == "CNAME":
            recs, err, note = self._lookup(name, zone, qtype)
            if not err and recs and _host_type(recs[0].host) == "CNAME":
                answers = [f"CNAME {fqdn(recs[0].host)}"]
        elif qtype == "PTR":
            answers, err = self._ptr(name, zone)
        elif qtype == "SRV":
            answers, err = self._srv(name, zone)
        elif qtype == "MX":
            _, err, note = self._lookup(name, zone, qtype)
        elif qtype == "SOA":
            if name == zone:
                answers = [f"SOA ns.dns.{zone} hostmaster.{zone}"]
        elif qtype in ("AXFR", "IXFR"):
            return Expected("REFUSED", note="zone transfers are refused")
        elif qtype == "NS" and name == zone:
            answers = [f"ns.dns.{zone}"]
        else:
            _, err, _, note = self._address(name, zone, "A")
        if err:
            if self.k.falls_through(name):
                return Expected(None, note="not found in the cluster: passed to the next plugin",
                                fallthrough=True)
            return Expected("NXDOMAIN")
        return Expected("NOERROR", tuple(answers), note, partial)

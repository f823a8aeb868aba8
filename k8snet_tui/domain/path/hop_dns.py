"""Hop `dns`: the source pod's resolver walk for the name, and the answer the cluster DNS gives.

The plan is the DNS pane's (domain/dns): the pod's resolv.conf as the kubelet writes it, glibc's
search walk, CoreDNS's answer to each query from API state. A name that no query answers is the
classic "short name from another namespace" when a Service of that name lives elsewhere: the
fix says which name to use, and the walk goes on with that Service. An egress policy that stops
the pod reaching the cluster DNS fails the hop too: the lookup never gets an answer at all.
"""

from __future__ import annotations

import ipaddress
import shlex
from dataclasses import dataclass

from ..dns import build_dns_model, dns_lookup_view
from ..dns.lookup import DnsLookupView
from ..model import key_of, name_of, namespace_of
from ..policy import dns_findings, index_of
from ..sanitize import clean
from .model import FAIL, OK, UNKNOWN, Evidence, Hop
from .walk import Walk

MAX_QUERIES_SHOWN = 8


@dataclass(frozen=True)
class DnsAnswer:
    addresses: tuple[str, ...]
    cname: str = ""
    assumed: str = ""  # the Service the walk goes on with after a failed lookup ("ns/name")


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _evidence(view: DnsLookupView) -> tuple[Evidence, ...]:
    out = []
    for i, q in enumerate(view.queries[:MAX_QUERIES_SHOWN]):
        exp = q.expected
        answers = ", ".join(exp.answers) if exp.answers else ""
        mark = " <- answers" if i == view.answered_by else ""
        out.append(Evidence("query", f"{q.type} {q.fqdn}", f"{exp.kind}{': ' + answers if answers else ''}{mark}"))
    if len(view.queries) > MAX_QUERIES_SHOWN:
        out.append(Evidence("note", "queries", f"{len(view.queries) - MAX_QUERIES_SHOWN} more queries"))
    return tuple(out)


def _other_namespace(walk: Walk, name: str) -> list[str]:
    """Services named like the name's first label(s), in other namespaces than the pod's."""
    labels = name.rstrip(".").split(".")
    if len(labels) > 2:
        return []
    wanted = labels[0]
    found = []
    for svc in walk.cluster.of("Service"):
        if name_of(svc) == wanted and (len(labels) == 1 or namespace_of(svc) != labels[1]):
            found.append(key_of(svc))
    return sorted(found)


def dns_hop(walk: Walk) -> tuple[Hop, DnsAnswer]:
    t = walk.target
    src = walk.source
    name = t.host
    if src.kind != "pod":
        return _not_a_pod(walk, name)
    view = dns_lookup_view(walk.cluster, walk.observed.nodes.get(src.node), name, pod=src.key,
                           resolver="glibc", qtype="A", model=build_dns_model(walk.cluster))
    see = f"dns {shlex.quote(name)} --pod {src.key}"
    evidence = _evidence(view)
    wasted = f"; {view.wasted} wasted quer{'y' if view.wasted == 1 else 'ies'} first" if view.wasted else ""
    blocked = _dns_blocked(walk)
    if view.answered_by is not None:
        q = view.queries[view.answered_by]
        addresses = tuple(a for a in q.expected.answers if _is_ip(a))
        cname = next((a.split(" ", 1)[1].rstrip(".") for a in q.expected.answers if a.startswith("CNAME ")), "")
        what = ", ".join(addresses) or (f"CNAME {cname}" if cname else "no address")
        summary = f"{name} -> {what} ({q.fqdn.rstrip('.')}, query {view.answered_by + 1}{wasted})"
        if blocked:
            return Hop("dns", FAIL, f"{name} would be {what}, but the pod cannot reach the cluster DNS", evidence
                       + (Evidence("policy", src.key, blocked),),
                       fix=f"{blocked}; add an egress rule to kube-system pods k8s-app=kube-dns on UDP and TCP 53",
                       see=see), DnsAnswer(addresses, cname)
        if not addresses and not cname:
            return Hop("dns", FAIL, f"{name}: {q.fqdn.rstrip('.')} has no A record", evidence,
                       fix="the name exists but has no IPv4 address: a headless Service without ready "
                           "endpoints answers this way", see=see), DnsAnswer(())
        return Hop("dns", OK, summary, evidence, see=see), DnsAnswer(addresses, cname)
    elsewhere = _other_namespace(walk, name)
    if any(q.expected.rcode is None for q in view.queries) and not elsewhere:
        note = next((q.expected.note for q in view.queries if q.expected.rcode is None), "")
        return Hop("dns", UNKNOWN, f"{name}: answered outside the cluster DNS", evidence,
                   reason=f"{note or 'forwarded upstream'}: the answer cannot be told from the cluster's objects",
                   see=see), DnsAnswer(())
    tried = len(view.queries)
    upstream = sum(1 for q in view.queries if q.expected.rcode is None)
    nx = f"NXDOMAIN for {tried - upstream} of {tried}, the rest asked upstream" if upstream else \
        f"NXDOMAIN for all {tried} quer{'y' if tried == 1 else 'ies'}"
    summary = f"{name}: no answer in the cluster ({nx})"
    if elsewhere:
        ns, _, svc = elsewhere[0].partition("/")
        fix = (f"Service {elsewhere[0]} is in namespace {ns}, and {src.key} searches {src.namespace} first: "
               f"use {svc}.{ns} (or {svc}.{ns}.svc.cluster.local)")
        assumed = elsewhere[0]
    else:
        fix = f"no Service or pod has the name {clean(name)} as {src.key} would look it up; check the spelling " \
              "(k8snet show services lists them)"
        assumed = ""
    return Hop("dns", FAIL, summary, evidence, fix=fix, see=see), DnsAnswer((), "", assumed)


def _dns_blocked(walk: Walk) -> str:
    src = walk.source
    if src.host_network or "NetworkPolicy" in walk.cluster.forbidden:
        return ""
    index = index_of(walk.cluster)
    info = index.pod(src.key)
    if info is None:
        return ""
    udp = [f for f in dns_findings(index, info) if "UDP 53" in f]
    return udp[0] if udp else ""


def _not_a_pod(walk: Walk, name: str) -> tuple[Hop, DnsAnswer]:
    """A node or an outside client does not search the cluster's names: only an FQDN is predicted."""
    model = build_dns_model(walk.cluster)
    exp = model.expect(name, "A")
    who = "an outside client" if walk.source.kind == "outside" else f"{walk.source.text}'s host resolver"
    addresses = tuple(a for a in exp.answers if _is_ip(a))
    if exp.found and addresses:
        return (Hop("dns", UNKNOWN, f"{name} -> {', '.join(addresses)} from the cluster DNS",
                    (Evidence("query", f"A {name}", f"{exp.kind}: {', '.join(exp.answers)}"),),
                    reason=f"{who} has its own resolv.conf and may not ask the cluster DNS; "
                           "the walk goes on with the cluster DNS's answer"),
                DnsAnswer(addresses))
    return (Hop("dns", UNKNOWN, f"{name}: not a name the cluster DNS answers for {who}", (),
                reason=f"{who} resolves names with its own resolver; give an address (IP:PORT) instead"),
            DnsAnswer(()))

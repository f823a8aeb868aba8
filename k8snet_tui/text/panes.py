"""`k8snet show PANE` as text: each pane's model laid out for reading, section by section.

The models are the presenters' (`k8snet_tui.present`), the ones the panes draw; the columns and
their priorities are the panes' own (tests/text/test_text.py compares them with the widgets').
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .table import Column, Writer

# Column priorities, the panes' (widgets/resource_table.py COLUMN_PRIORITIES) by table.
SERVICES = (Column("namespace", 2), Column("name", 0), Column("type", 3), Column("cluster IP", 1),
            Column("ports", 1), Column("endpoints", 0), Column("backend", 2))
PODS = (Column("namespace", 2), Column("name", 0), Column("IPs", 0), Column("node", 1), Column("hostNet", 3),
        Column("phase", 2), Column("ready", 2), Column("host end", 3))
INTERFACES = (Column("name", 0), Column("kind", 2), Column("state", 1), Column("MTU", 3), Column("MAC", 3),
              Column("addresses (class)", 0))
NEIGHBOURS = (Column("IP", 0), Column("device", 1), Column("MAC", 0), Column("state", 0), Column("is", 2))
NODES = (Column("node", 0), Column("InternalIP", 0), Column("shares subnet", 2), Column("ExternalIP", 1),
         Column("Hostname", 3), Column("pod CIDRs", 1))
ROUTES = (Column("destination", 0), Column("via", 0), Column("dev", 0), Column("table", 2), Column("type", 3),
          Column("src", 2), Column("metric", 3))
RULES = (Column("priority", 0), Column("selector", 0), Column("action", 1), Column("table", 0))
DNS_NAMES = (Column("name", 0), Column("type", 1), Column("kind", 2), Column("answers", 0), Column("note", 3))
ING_ROUTES = (Column("kind", 2), Column("name", 1), Column("host", 0), Column("match", 0), Column("rewrite", 3),
              Column("backend", 0), Column("ready", 1), Column("health", 2), Column("via", 3), Column("where", 3))
ING_ENTRIES = (Column("kind", 1), Column("name", 0), Column("port", 0), Column("addresses", 0), Column("target", 1),
               Column("details", 2))
CIDRS = (Column("cidr", 0), Column("node", 0), Column("size", 2), Column("per node", 1), Column("source", 1),
         Column("note", 3))


def services(model: Any, w: Writer) -> None:
    w.fields([("Node", model.node), ("Backend", model.backend)])
    w.section("Services")
    w.table(SERVICES, lambda: (r.cells() for r in model.rows), empty="(no Services)")


def pods(model: Any, w: Writer) -> None:
    w.fields([("Node", model.node), ("CNI", model.cni),
              ("Evidence", "; ".join(f"{g.name}: {', '.join(g.evidence)}" for g in model.cni_evidence))])
    if model.cilium is not None:
        c = model.cilium
        w.section("Cilium")
        w.fields([("IPAM", c.ipam), ("Pool", c.pool_ipv4), ("Mask", c.mask_size_ipv4),
                  ("Routing", c.routing_mode), ("Set by", c.routing_from),
                  ("Tunnel", f"{c.tunnel_protocol}" + (f", UDP {c.overlay_port}" if c.overlay_port else "")),
                  ("kube-proxy", c.kube_proxy_replacement)], indent=2)
        for note in c.notes:
            w.line(note, indent=2)
    w.section("Pod CIDRs")
    rows = [*model.cluster_cidrs, *model.node_cidrs]
    w.table(CIDRS, lambda: ((r.cidr, r.node or "(cluster)", f"{r.size:,}" if r.valid else "invalid",
                             f"/{r.per_node_mask}" + (f" ({r.nodes_fit:,} nodes)" if r.nodes_fit else "")
                             if r.per_node_mask is not None else "", r.source, r.note) for r in rows),
            empty="(no pod CIDR known)")
    w.section("Pods")
    w.table(PODS, lambda: ((p.namespace, p.name, p.ips, p.node, p.host_network, p.phase, p.ready,
                            _host_end(p.host_end)) for p in model.pods), empty="(no pods)")
    w.section("How pods talk")
    for text in (model.same_node, model.cross_node):
        w.line(text, indent=2)
    _notes(w, model.notes, model.errors, getattr(model, "more", ""))


def _host_end(end: Any) -> str:
    """The host side of a pod's cable: its device (`kv4`, `lxc12ab@if7`)."""
    if end is None:
        return ""
    peer = f"@if{end.peer_ifindex}" if end.peer_ifindex is not None else ""
    return f"{end.interface}{peer}"


def host(model: Any, w: Writer) -> None:
    w.fields([("Node", model.node), ("Gateways", model.default_gateways)])
    if not model.has_kernel_state:
        w.line(model.more or "no kernel state was read for this node")
    w.section("Interfaces")
    w.table(INTERFACES, lambda: ((i.name, i.kind, i.state, i.mtu, i.mac,
                                  [f"{a.cidr} ({a.kind})" for a in i.addresses]) for i in model.interfaces),
            empty="(no interfaces)")
    w.section("Routes")
    w.table(ROUTES, lambda: ((r.dst, r.gateway, r.dev, r.table, r.type, r.prefsrc, r.metric) for r in model.routes),
            empty="(no routes)")
    w.section("Rules")
    w.table(RULES, lambda: ((r.priority, r.selector, r.action, r.table) for r in model.rules), empty="(no rules)")
    w.section("Pod CIDR routes")
    for r in model.pod_cidr_routes:
        w.line(f"{r.cidr} ({r.node}{', this node' if r.local else ''}): {r.words}", indent=2)
    if not model.pod_cidr_routes:
        w.line("(none)", indent=2)
    w.section("Neighbours")
    w.table(NEIGHBOURS, lambda: ((n.ip, n.dev, n.mac, n.state, n.who) for n in model.neighbours),
            empty="(no neighbours)")
    w.section("Nodes")
    w.table(NODES, lambda: ((n.name + (" (this)" if n.local else ""), n.internal_ips, n.shares_subnet_with,
                             n.external_ips, n.hostnames, n.pod_cidrs) for n in model.nodes), empty="(no nodes)")
    _notes(w, (), model.errors, "")


def internet(model: Any, w: Writer) -> None:
    w.fields([("Status", model.status_words), ("Provider", model.provider_name or model.provider),
              ("Region", model.region), ("Zone", model.zone), ("Public IPv4", model.public_ipv4),
              ("Private IPv4", model.private_ipv4), ("Outbound", model.outbound_ipv4 or model.outbound_status.replace("-", " ")),
              ("Node ExternalIPs", model.node_external_ips), ("Host addresses", model.host_addresses),
              ("Public on a NIC", model.public_on_interface)])
    w.section(f"NAT ({model.nat})")
    w.line(model.nat_words, indent=2)
    if model.detail:
        w.line(model.detail, indent=2)


def dns(model: Any, w: Writer) -> None:
    d = model.cluster_dns
    w.fields([("Cluster DNS", d.ips), ("Domain", d.domain), ("From", d.source)])
    cf = model.corefile
    w.section("Corefile")
    if not cf.blocks:
        w.fields([("From", cf.source)], indent=2)
    for b in cf.blocks:
        k = b.kubernetes
        w.fields([("From", cf.source), ("Block", b.keys), ("Runs", " ".join(b.run_order)),
                  ("kubernetes", f"zones {' '.join(k.zones)}, pods {k.pods}, ttl {k.ttl}" if k else "none"),
                  ("Forward", f"{b.forward.source} -> {', '.join(b.forward.to)}" if b.forward else ""),
                  ("Cache", f"{b.cache} s" if b.cache is not None else "")], indent=2)
        for warn in [*(k.notes if k else ()), *(f"{p} answers before kubernetes (not modelled)" for p in b.opaque),
                     *(f"{p}: a plugin this tool does not know" for p in b.unknown_plugins)]:
            w.line(f"! {warn}", indent=2)
    for p in cf.problems:
        w.line(f"! line {p.line}: {p.reason}", indent=2)
    if model.node_resolv_conf is not None:
        rc = model.node_resolv_conf
        w.section("Node resolv.conf")
        w.fields([("Nameservers", rc.nameservers), ("Search", rc.search),
                  ("Options", [f"{k}:{v}" if v is not True else k for k, v in rc.options.items()])], indent=2)
    w.section("Names")
    w.table(DNS_NAMES, lambda: ((r.fqdn, r.qtype, r.kind, r.answers, r.note) for r in model.names),
            empty="(no names)")
    _notes(w, model.notes, (), "")


def ingress(model: Any, w: Writer) -> None:
    w.section("Entry points")
    w.table(ING_ENTRIES, lambda: (r.cells for r in model.entry_rows), empty="(no entry points)")
    w.section("Routes")
    w.table(ING_ROUTES, lambda: (r.cells for r in model.route_rows), empty="(no routes)")
    if model.findings:
        w.section("Findings")
        for f in model.findings:
            w.line(f"! {f.severity}: {f.subject}: {f.message}", indent=2, hanging=4)


def _notes(w: Writer, notes: Any, errors: Any, more: str) -> None:
    if not (notes or errors or more):
        return
    w.section("Notes")
    for text in [*notes, *(f"error: {e}" for e in errors), *([more] if more else [])]:
        w.line(text, indent=2)


SHOW: dict[str, Callable[[Any, Writer], None]] = {
    "internet": internet, "host": host, "pods": pods, "services": services, "dns": dns, "ingress": ingress,
}

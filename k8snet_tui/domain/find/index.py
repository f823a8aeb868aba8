"""One index of what mentions what, built from an observed state and searched by one word.

The word is read as an address (`10.0.0.3`: pods, Services, endpoints, the chains that DNAT to it
or match it, nodes and their pod CIDRs, routes whose destination holds it, DNS names that answer
it, NetworkPolicies whose ipBlock holds it or that select the pod with it), else as a name (any
object, chain or DNS name whose name contains it, case-insensitively; exact names first). Chains
are named the way kube-proxy hashes them from each Service port (and endpoint) and kept when the
local node's rules hold them, so each says what it means without a trace of every Service.

Each hit carries a `Jump`: the pane, the command and the section that show it, for the TUI's
navigator.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..datapath.backend import Datapath, parse_node_datapath
from ..datapath.chain_names import (
    iptables_chain_names,
    iptables_endpoint_chain,
    nft_chain_names,
    nft_endpoint_chain,
    service_port_name,
)
from ..datapath.endpoints import (
    cluster_ips,
    endpoints_for_port,
    external_ips,
    lb_ingress_ips,
    service_ports,
    shared_pod_index,
    slices_for,
)
from ..dns.catalog import service_dns_names
from ..model import Obj, Observed, dig, dig_dict, dig_list, dig_str, key_of, name_of, namespace_of
from ..policy.selectors import parse_selector

KINDS = ("pod", "service", "endpoint", "chain", "node", "route", "dns", "policy")
MAX_HITS = 500  # a word like "a" can match everything: the list stops here and says so
MIN_NAME = 2  # shorter words match too much to be a search

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class Jump:
    pane: str  # a registry pane id
    verb: str  # the command the pane's handle_command takes ("trace", "pods", "dns", ...)
    arg: str
    section: str = ""  # a section of a sectioned pane to show ("nodes", "routes", "policies")


@dataclass(frozen=True, slots=True)
class Hit:
    kind: str  # one of KINDS
    subject: str  # "default/website-67cd...", "KUBE-SEP-N7V...", "10.0.0.0/24 dev kv5 on node-1"
    detail: str  # why it is here, in words
    jump: Jump
    exact: bool  # the word is this thing's name or address (not a part of it, not a network holding it)


@dataclass(frozen=True, slots=True)
class _Entry:
    kind: str
    subject: str
    detail: str
    jump: Jump
    names: tuple[str, ...] = ()  # lower-case
    addresses: tuple[str, ...] = ()  # normalised
    networks: tuple[Network, ...] = ()


def _ip(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _net(text: str) -> Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _norm(texts: Iterable[str]) -> tuple[str, ...]:
    out = []
    for t in texts:
        ip = _ip(t)
        if ip is not None:
            out.append(str(ip))
    return tuple(out)


def _pod_entries(o: Observed) -> list[_Entry]:
    out = []
    for p in o.cluster.of("Pod"):
        ips = [dig_str(x, "ip") for x in dig_list(p, "status", "podIPs")] + [dig_str(p, "status", "podIP")]
        ips = [i for i in dict.fromkeys(ips) if i]
        host = dig(p, "spec", "hostNetwork") is True
        where = dig_str(p, "spec", "nodeName") or "no node"
        detail = f"pod {', '.join(ips) or 'without an IP'} on {where}" + (" (host network)" if host else "")
        out.append(_Entry("pod", key_of(p), detail, Jump("pods", "pods", name_of(p)),
                          (name_of(p).lower(), key_of(p).lower()), () if host else _norm(ips)))
    return out


def _service_entries(o: Observed) -> list[_Entry]:
    out = []
    pods, _ = shared_pod_index(o.cluster)
    for svc in o.cluster.of("Service"):
        ips = (*cluster_ips(svc), *external_ips(svc), *lb_ingress_ips(svc))
        kind = dig_str(svc, "spec", "type") or "ClusterIP"
        ports = ", ".join(f"{p.port}/{p.protocol}" for p in service_ports(svc))
        out.append(_Entry("service", key_of(svc), f"{kind} {', '.join(ips) or 'headless'} {ports}".strip(),
                          Jump("services", "trace", key_of(svc)), (name_of(svc).lower(), key_of(svc).lower()),
                          _norm(ips)))
        slices = slices_for(o.cluster, namespace_of(svc), name_of(svc))
        for p in service_ports(svc):
            spn = f"{key_of(svc)}:{p.name or p.port}"
            for e in endpoints_for_port(slices, p, pods):
                state = "ready" if e.ready else "not ready"
                out.append(_Entry("endpoint", f"{spn} -> {e.address}:{e.port}",
                                  f"endpoint of {spn} ({e.pod or 'no pod'}, {state})",
                                  Jump("services", "trace", spn), (), _norm([e.address])))
    return out


def _chain_exists(dp: Datapath, v6: bool) -> Callable[[str], bool]:
    """Whether the node's datapath holds a chain of that name (without parsing the chain)."""
    dump = dp.iptables_dump if dp.backend in ("iptables-legacy", "iptables-nft") else None
    if dump is not None:
        declares = getattr(dump, "declares", None)  # the lazy dump's cheap index look-up
        if callable(declares):
            return lambda name: bool(declares("nat", name))
        return lambda name: dump.chain("nat", name) is not None
    nft = dp.nft if dp.backend == "nftables" else None
    if nft is not None:
        family = "ip6" if v6 else "ip"
        return lambda name: nft.chain(family, "kube-proxy", name) is not None
    return lambda name: False


def _chain_entries(o: Observed) -> list[_Entry]:
    """The local node's chains of every Service port and endpoint, named the way kube-proxy
    hashes them and kept when the node's rules hold them (no trace: a word is found at once)."""
    node = o.local
    if node is None or not (node.iptables or node.nft_ruleset):
        return []
    dp = parse_node_datapath(node, o.cluster)
    nft = dp.backend == "nftables"
    where = dp.node or o.local_node
    pods, _ = shared_pod_index(o.cluster)
    out = []
    for svc in o.cluster.of("Service"):
        ips = cluster_ips(svc)
        if not ips:
            continue
        ns, name = namespace_of(svc), name_of(svc)
        exists = _chain_exists(dp, ":" in ips[0])
        slices = slices_for(o.cluster, ns, name)
        for port in service_ports(svc):
            spn = service_port_name(ns, name, port.name)
            label = f"{key_of(svc)}:{port.name or port.port}"
            jump = Jump("services", "trace", label)
            roles = nft_chain_names(ns, name, port.protocol, port.name) if nft else \
                iptables_chain_names(spn, port.protocol)
            for role, chain in roles.items():
                if exists(chain):
                    out.append(_Entry("chain", chain, f"the {role} chain of {label} on {where}", jump,
                                      (chain.lower(),), _norm([ips[0]]) if role == "service" else ()))
            for e in endpoints_for_port(slices, port, pods):
                chain = nft_endpoint_chain(ns, name, port.protocol, port.name, e.address, e.port) if nft else \
                    iptables_endpoint_chain(spn, port.protocol, e.address, e.port)
                if exists(chain):
                    out.append(_Entry("chain", chain,
                                      f"the endpoint chain of {e.address}:{e.port} ({e.pod or 'no pod'}) of {label}: "
                                      f"DNAT to it on {where}", jump, (chain.lower(),), _norm([e.address])))
    return out


def _node_entries(o: Observed) -> list[_Entry]:
    out = []
    for n in o.cluster.of("Node"):
        addrs = [dig_str(a, "address") for a in dig_list(n, "status", "addresses")]
        cidrs = [c for c in dig_list(n, "spec", "podCIDRs") if isinstance(c, str)] or \
            [c for c in [dig_str(n, "spec", "podCIDR")] if c]
        nets = tuple(x for x in (_net(c) for c in cidrs) if x is not None)
        detail = f"node {', '.join(a for a in addrs if _ip(a)) or 'without addresses'}" + \
            (f", pod CIDR {', '.join(cidrs)}" if cidrs else "")
        out.append(_Entry("node", name_of(n), detail, Jump("host", "host", name_of(n), "nodes"),
                          tuple(a.lower() for a in (name_of(n), *addrs) if a), _norm(addrs), nets))
    return out


def _route_text(r: Obj) -> str:
    words = [dig_str(r, "dst") or "?"]
    for key, label in (("gateway", "via"), ("dev", "dev"), ("table", "table")):
        if dig_str(r, key) and not (key == "table" and dig_str(r, key) == "main"):
            words += [label, dig_str(r, key)]
    return " ".join(words)


def _route_entries(o: Observed) -> list[_Entry]:
    out = []
    for node_name, state in o.nodes.items():
        for r in state.routes:
            if not isinstance(r, dict):
                continue
            dst = dig_str(r, "dst")
            net = _net(dst) if dst and dst != "default" else None
            text = _route_text(r)
            out.append(_Entry("route", f"{text} on {node_name}", f"a route of {node_name}",
                              Jump("host", "host", "", "routes"), (dig_str(r, "dev").lower(),) if dig_str(r, "dev") else (),
                              _norm([dig_str(r, "gateway")]), (net,) if net is not None else ()))
    return out


def _dns_entries(o: Observed) -> list[_Entry]:
    out = []
    for row in service_dns_names(o.cluster):
        name = row.fqdn.rstrip(".")
        answers = ", ".join(row.answers) or "no answer"
        out.append(_Entry("dns", f"{name} {row.qtype}", f"{row.kind} name, answers {answers}",
                          Jump("dns", "dns", name + (f" {row.qtype}" if row.qtype not in ("A", "") else "")),
                          (name.lower(), name.split(".")[0].lower()), _norm(row.answers)))
    return out


def _policy_entries(o: Observed) -> list[_Entry]:
    out = []
    pods = o.cluster.of("Pod")
    for pol in o.cluster.of("NetworkPolicy"):
        ns = namespace_of(pol)
        blocks: list[Network] = []
        for direction, peer_key in (("ingress", "from"), ("egress", "to")):
            for rule in dig_list(pol, "spec", direction):
                for peer in dig_list(rule, peer_key):
                    net = _net(dig_str(peer, "ipBlock", "cidr"))
                    if net is not None:
                        blocks.append(net)
        selector = parse_selector(dig_dict(pol, "spec").get("podSelector"), key_of(pol), "spec.podSelector")
        selected = [p for p in pods if namespace_of(p) == ns and selector.matches(
            {k: v for k, v in dig_dict(p, "metadata", "labels").items() if isinstance(v, str)}) is True]
        ips = [dig_str(p, "status", "podIP") for p in selected]
        detail = f"NetworkPolicy selecting {selector.text()} in {ns} ({len(selected)} pod(s))" + \
            (f", ipBlock {', '.join(str(b) for b in blocks)}" if blocks else "")
        out.append(_Entry("policy", key_of(pol), detail, Jump("policy", "policy", "", "policies"),
                          (name_of(pol).lower(), key_of(pol).lower()), _norm(ips), tuple(blocks)))
    return out


def entries(o: Observed) -> tuple[_Entry, ...]:
    """Everything searchable, in KINDS order; built once per state by `find`'s callers."""
    return tuple(e for build in (_pod_entries, _service_entries, _chain_entries, _node_entries, _route_entries,
                                 _dns_entries, _policy_entries) for e in build(o))


def _match(entry: _Entry, word: str, ip: Address | None) -> bool | None:
    """True: exact; False: partial; None: no match."""
    if ip is not None:
        if str(ip) in entry.addresses:
            return True
        holding = [n for n in entry.networks if ip.version == n.version and ip in n]
        if holding:
            return any(n.num_addresses == 1 for n in holding)  # a host route is this address's own
        return None
    if word in entry.names or word == entry.subject.lower():
        return True
    if len(word) >= MIN_NAME and (any(word in n for n in entry.names) or word in entry.subject.lower()):
        return False
    return None


def find(o: Observed, word: str, index: tuple[_Entry, ...] | None = None) -> tuple[tuple[Hit, ...], int]:
    """(hits, how many more matched past MAX_HITS) for `word`: exact ones first, then by kind."""
    text = word.strip()
    ip = _ip(text)
    key = text.lower()
    hits: list[Hit] = []
    for e in index if index is not None else entries(o):
        m = _match(e, key, ip)
        if m is not None:
            hits.append(Hit(e.kind, e.subject, e.detail, e.jump, m))
    hits.sort(key=lambda h: (not h.exact, KINDS.index(h.kind)))
    return tuple(hits[:MAX_HITS]), max(0, len(hits) - MAX_HITS)

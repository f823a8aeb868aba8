"""Compare two observed states group by group: pods, Services, endpoints, chains, probabilities,
routes and DNS answers, each change said in words.

Chains are compared by what they mean, not by name alone: each Service port's chains are found
by the trace (the names kube-proxy hashes from the port, and for endpoints from IP:port), and a
change is said as "the endpoint chain of 10.0.0.3:80 of default/website:http (KUBE-SEP-...) is
gone". What changes between any two reads and means nothing for the question is left out on
purpose, and listed in `IGNORED` (the output says so too).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from ..datapath.backend import Datapath, parse_node_datapath
from ..datapath.balance import nice_fraction
from ..datapath.chain_names import iptables_chain_names, iptables_endpoint_chain, service_port_name
from ..datapath.endpoints import cluster_ips, endpoints_for_port, service_ports, shared_pod_index, slices_for
from ..dns.catalog import service_dns_names
from ..model import NodeState, Obj, Observed, dig, dig_list, dig_str, key_of, name_of, namespace_of
from ..services import trace_service

IGNORED = (
    "rule counters (packets, bytes): every request moves them",
    "conntrack entries and neighbour (ARP) entries: they come and go with traffic",
    "timestamps, resourceVersions, uids and managedFields: every write changes them",
    "the order of list items and of rules with the same meaning (chains are compared by meaning)",
    "objects other than Pods, Services and EndpointSlices (Deployments, ReplicaSets, Nodes' status heartbeats)",
)


@dataclass(frozen=True, slots=True)
class Change:
    change: str  # added | removed | changed
    subject: str  # what changed: "default/website-67cd...", "default/website:http 10.0.0.3:80"
    words: str  # the change in a sentence
    before: str  # "" when added
    after: str  # "" when removed


@dataclass(frozen=True)
class ChangeGroup:
    name: str  # pods | services | endpoints | chains | probabilities | routes | dns
    title: str
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class StateDiff:
    before: str  # a label for each side ("lab.tar.gz, captured ...")
    after: str
    nodes: tuple[str, ...]  # the nodes whose kernel state was compared
    groups: tuple[ChangeGroup, ...]
    ignored: tuple[str, ...]

    @property
    def same(self) -> bool:
        return not any(g.changes for g in self.groups)


def _keyed_diff(before: Mapping[str, str], after: Mapping[str, str], noun: str,
                words: Callable[[str, str, str], str] | None = None) -> list[Change]:
    out: list[Change] = []
    for key in sorted(before.keys() | after.keys()):
        a, b = before.get(key), after.get(key)
        if a == b:
            continue
        if a is None:
            out.append(Change("added", key, f"{noun} {key} appeared: {b}", "", b or ""))
        elif b is None:
            out.append(Change("removed", key, f"{noun} {key} is gone (was {a})", a, ""))
        else:
            text = words(key, a, b) if words else f"{noun} {key} changed: {a} -> {b}"
            out.append(Change("changed", key, text, a, b))
    return out


# -- pods and Services ------------------------------------------------------------------------


def _ready(pod: Obj) -> str:
    for cond in dig_list(pod, "status", "conditions"):
        if dig_str(cond, "type") == "Ready":
            return "ready" if dig_str(cond, "status") == "True" else "not ready"
    return "readiness unknown"


def _pod_words(pod: Obj) -> str:
    ip = dig_str(pod, "status", "podIP") or "no IP"
    node = dig_str(pod, "spec", "nodeName") or "no node"
    phase = dig_str(pod, "status", "phase") or "no phase"
    gone = " (terminating)" if dig(pod, "metadata", "deletionTimestamp") else ""
    return f"{ip} on {node}, {phase}, {_ready(pod)}{gone}"


def _pods(a: Observed, b: Observed) -> list[Change]:
    return _keyed_diff({key_of(p): _pod_words(p) for p in a.cluster.of("Pod")},
                       {key_of(p): _pod_words(p) for p in b.cluster.of("Pod")}, "pod")


def _service_words(svc: Obj) -> str:
    ports = ", ".join(f"{p.port}/{p.protocol}" + (f" (node port {p.node_port})" if p.node_port else "")
                      for p in service_ports(svc))
    ips = ", ".join(cluster_ips(svc)) or "headless"
    return f"{dig_str(svc, 'spec', 'type') or 'ClusterIP'} {ips} {ports}".strip()


def _services(a: Observed, b: Observed) -> list[Change]:
    return _keyed_diff({key_of(s): _service_words(s) for s in a.cluster.of("Service")},
                       {key_of(s): _service_words(s) for s in b.cluster.of("Service")}, "Service")


def _endpoint_map(o: Observed) -> dict[str, str]:
    pods, _ = shared_pod_index(o.cluster)
    out: dict[str, str] = {}
    for svc in o.cluster.of("Service"):
        slices = slices_for(o.cluster, namespace_of(svc), name_of(svc))
        for p in service_ports(svc):
            spn = f"{key_of(svc)}:{p.name or p.port}"
            for e in endpoints_for_port(slices, p, pods):
                state = "ready" if e.ready else "serving, terminating" if e.serving and e.terminating else "not ready"
                out[f"{spn} {e.address}:{e.port}"] = f"{e.pod or 'no pod'}, {state}"
    return out


def _endpoints(a: Observed, b: Observed) -> list[Change]:
    return _keyed_diff(_endpoint_map(a), _endpoint_map(b), "endpoint")


# -- the node's datapath, by meaning ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _PortRules:
    chains: Mapping[str, str]  # role -> chain name (present ones only)
    endpoints: Mapping[str, tuple[str | None, str | None, float]]  # ip:port -> (chain, probability, share)


def _rules(o: Observed, node: NodeState, only: set[str] | None = None) -> dict[str, _PortRules]:
    """Each Service port's chains and kernel endpoints on `node`; `only`: those Services ("ns/name")."""
    dp: Datapath = parse_node_datapath(node, o.cluster)
    out: dict[str, _PortRules] = {}
    if dp.backend == "none":
        return out
    for svc in o.cluster.of("Service"):
        if not cluster_ips(svc) or (only is not None and key_of(svc) not in only):
            continue
        trace = trace_service(o.cluster, node, namespace_of(svc), name_of(svc), datapath=dp)
        for port in trace.ports:
            chains = {role: c for role, c in port.chains.items() if c}
            eps = {f"{e.address}:{e.port}": (e.chain, e.probability, e.share or 0.0)
                   for e in port.endpoints if e.in_kernel}
            if chains or eps:
                out[f"{trace.service}:{port.name or port.port}"] = _PortRules(chains, eps)
    return out


_COUNTERS = re.compile(r"^\[\d+:\d+\] ")
_CHAIN_WORD = re.compile(r"KUBE-[A-Z0-9-]+")


def _rule_lines(text: str) -> set[str]:
    """A dump's lines without their counters (`[p:b] -A ...`, `:CHAIN - [p:b]`): what the rules say."""
    out = set()
    for line in text.splitlines():
        line = _COUNTERS.sub("", line.strip())
        if line.startswith(":"):
            line = line.split(" ", 1)[0]
        if line and not line.startswith("#"):
            out.add(line)
    return out


def _iptables_text(node: NodeState, backend: str) -> str | None:
    if backend not in ("iptables-legacy", "iptables-nft"):
        return None
    text = node.iptables.get(backend.removeprefix("iptables-"))
    return text if isinstance(text, str) else None


def _touched_services(a: Observed, b: Observed, node: str) -> set[str] | None:
    """The Services whose kube-proxy chains differ between the two dumps of `node` (their rules
    without counters), or None when that cannot be told cheaply (not both iptables, one backend).

    A Service none of whose chains (by kube-proxy's hashed names: its ports' chains, its API
    endpoints' chains on either side) appears in a changed line has the same rules, so the same
    meaning, on both sides: it is not traced. A stale endpoint chain no API names still changes
    its service chain's jump rule, so that Service is traced.
    """
    na, nb = a.nodes[node], b.nodes[node]
    da, db = parse_node_datapath(na, a.cluster), parse_node_datapath(nb, b.cluster)
    ta, tb = _iptables_text(na, da.backend), _iptables_text(nb, db.backend)
    if ta is None or tb is None or da.backend != db.backend:
        return None
    changed = {w for line in _rule_lines(ta) ^ _rule_lines(tb) for w in _CHAIN_WORD.findall(line)}
    touched: set[str] = set()
    for o in (a, b):
        pods, _ = shared_pod_index(o.cluster)
        for svc in o.cluster.of("Service"):
            if not cluster_ips(svc):
                continue
            ns, name = namespace_of(svc), name_of(svc)
            slices = slices_for(o.cluster, ns, name)
            for p in service_ports(svc):
                spn = service_port_name(ns, name, p.name)
                names = set(iptables_chain_names(spn, p.protocol).values())
                names |= {iptables_endpoint_chain(spn, p.protocol, e.address, e.port)
                          for e in endpoints_for_port(slices, p, pods)}
                if names & changed:
                    touched.add(key_of(svc))
                    break
    return touched


def _share_words(share: float, probability: str | None) -> str:
    return nice_fraction(share) + (f" (probability {probability})" if probability else "")


def _datapath(a: Observed, b: Observed, nodes: Iterable[str]) -> tuple[list[Change], list[Change]]:
    chains: list[Change] = []
    probabilities: list[Change] = []
    for node in nodes:
        only = _touched_services(a, b, node)
        before, after = _rules(a, a.nodes[node], only), _rules(b, b.nodes[node], only)
        where = f" on {node}"
        for spn in sorted(before.keys() | after.keys()):
            old, new = before.get(spn), after.get(spn)
            old_chains = dict(old.chains) if old else {}
            new_chains = dict(new.chains) if new else {}
            for role in sorted(old_chains.keys() | new_chains.keys()):
                x, y = old_chains.get(role), new_chains.get(role)
                if x == y:
                    continue
                if x is None:
                    chains.append(Change("added", f"{spn} {role}", f"the {role} chain of {spn} appeared{where}: {y}",
                                         "", y or ""))
                elif y is None:
                    chains.append(Change("removed", f"{spn} {role}", f"the {role} chain of {spn} is gone{where}: {x}",
                                         x, ""))
                else:
                    chains.append(Change("changed", f"{spn} {role}",
                                         f"the {role} chain of {spn} is now {y} (was {x}){where}", x, y))
            old_eps = dict(old.endpoints) if old else {}
            new_eps = dict(new.endpoints) if new else {}
            for ep in sorted(old_eps.keys() | new_eps.keys()):
                p, q = old_eps.get(ep), new_eps.get(ep)
                subject = f"{spn} {ep}"
                if p is None and q is not None:
                    name = q[0] or "no chain of its own"
                    chains.append(Change("added", subject, f"{spn} now sends to {ep} ({name}){where}", "", name))
                elif q is None and p is not None:
                    name = p[0] or "no chain of its own"
                    what = f"the endpoint chain of {ep} of {spn} is gone{where}: {p[0]}" if p[0] else \
                        f"{spn} no longer sends to {ep}{where}"
                    chains.append(Change("removed", subject, what, name, ""))
                elif p is not None and q is not None:
                    if p[0] != q[0]:
                        chains.append(Change("changed", subject, f"{ep} of {spn} is now reached through {q[0]} "
                                             f"(was {p[0]}){where}", p[0] or "", q[0] or ""))
                    if abs(p[2] - q[2]) > 1e-6 or p[1] != q[1]:
                        was, now = _share_words(p[2], p[1]), _share_words(q[2], q[1])
                        probabilities.append(Change("changed", subject, f"{ep} of {spn} gets {now}, was {was}{where}",
                                                    was, now))
    return chains, probabilities


# -- routes and DNS ---------------------------------------------------------------------------


def _route_text(r: Obj) -> str:
    words = [dig_str(r, "type")] if dig_str(r, "type") not in ("", "unicast") else []
    words.append(dig_str(r, "dst") or "?")
    for key, label in (("gateway", "via"), ("dev", "dev"), ("table", "table"), ("protocol", "proto"),
                       ("scope", "scope"), ("prefsrc", "src"), ("metric", "metric")):
        value = dig_str(r, key)
        if value and not (key == "table" and value == "main"):
            words += [label, value]
    return " ".join(words)


def _routes(a: Observed, b: Observed, nodes: Iterable[str]) -> list[Change]:
    out: list[Change] = []
    for node in nodes:
        old = {_route_text(r) for r in a.nodes[node].routes if isinstance(r, dict)}
        new = {_route_text(r) for r in b.nodes[node].routes if isinstance(r, dict)}
        out += [Change("removed", f"{node} {r}", f"route {r} is gone on {node}", r, "") for r in sorted(old - new)]
        out += [Change("added", f"{node} {r}", f"route {r} appeared on {node}", "", r) for r in sorted(new - old)]
    return out


def _dns(a: Observed, b: Observed) -> list[Change]:
    def answers(o: Observed) -> dict[str, str]:
        return {f"{r.fqdn} {r.qtype}": ", ".join(sorted(r.answers)) or "(no answer)"
                for r in service_dns_names(o.cluster)}

    return _keyed_diff(answers(a), answers(b), "DNS name",
                       lambda key, x, y: f"{key} now answers {y} (was {x})")


def compare(a: Observed, b: Observed, *, before: str = "before", after: str = "after") -> StateDiff:
    """What changed from `a` to `b`. Kernel state is compared for the nodes both have."""
    nodes = tuple(sorted(n for n in a.nodes.keys() & b.nodes.keys()
                         if a.nodes[n].has_kernel_state or b.nodes[n].has_kernel_state))
    chains, probabilities = _datapath(a, b, nodes)
    groups: tuple[ChangeGroup, ...] = (
        ChangeGroup("pods", "Pods", tuple(_pods(a, b))),
        ChangeGroup("services", "Services", tuple(_services(a, b))),
        ChangeGroup("endpoints", "Endpoints", tuple(_endpoints(a, b))),
        ChangeGroup("chains", "Chains (by what they mean)", tuple(chains)),
        ChangeGroup("probabilities", "Probabilities", tuple(probabilities)),
        ChangeGroup("routes", "Routes", tuple(_routes(a, b, nodes))),
        ChangeGroup("dns", "DNS answers", tuple(_dns(a, b))),
    )
    only = sorted(a.nodes.keys() ^ b.nodes.keys())
    if only:
        words = tuple(Change("removed" if n in a.nodes else "added", n,
                             f"node {n}'s kernel state is only in the {'first' if n in a.nodes else 'second'} picture",
                             "", "") for n in only)
        groups = (*groups, ChangeGroup("nodes", "Node state", words))
    return StateDiff(before, after, nodes, groups, IGNORED)

"""evaluate(index, src, dst, port, protocol): the NetworkPolicy verdict for one connection.

A connection needs the source's egress AND the destination's ingress. Each side: a pod that no
policy selects for that direction is not isolated (allowed); an isolated pod allows exactly the
union of the rules of every policy that applies to it; a rule matches when one of its peers
(or every peer, when it lists none) and one of its ports (or every port) match. Three-valued
throughout (see problems.py): a malformed policy makes a side "unknown", never an allow.

Fixed points from the docs: a pod can always reach itself; traffic between a pod and its own
node is always allowed; host-network pods are not selected by any selector (the most common
implementation: their traffic is the node's, matched by ipBlock only).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from k8snet_tui.domain.numbers import parse_decimal

from .compile import EGRESS, INGRESS, Peer, Policy, Rule
from .index import PodInfo, PolicyIndex
from .ipblocks import Address
from .ports import NamedPorts
from .problems import Tri, and3, or3
from .verdict import ALLOW, DENY, UNKNOWN, RuleRef, Side, Verdict, combine, tri_text


class PolicyInputError(ValueError):
    """The question cannot be asked: no such pod, a bad address, an unknown port name."""


@dataclass(frozen=True)
class Endpoint:
    kind: str  # "pod", "node" (a node's own address) or "external"
    text: str
    pod: PodInfo | None = None
    ip: Address | None = None
    node: str = ""

    @property
    def host_network(self) -> bool:
        return self.pod is not None and self.pod.host_network


def resolve(index: PolicyIndex, spec: str | PodInfo | Endpoint) -> Endpoint:
    """`NS/POD`, `ip:ADDRESS` (or a bare address), or a PodInfo, as an Endpoint."""
    if isinstance(spec, Endpoint):
        return spec
    if isinstance(spec, PodInfo):
        return Endpoint("pod", spec.key, spec, spec.ip, spec.node)
    text = spec.strip()
    address_text = text[3:] if text.startswith("ip:") else text
    try:
        ip = ipaddress.ip_address(address_text)
    except ValueError:
        ip = None
    if ip is not None:
        owners = index.with_ip(ip)
        if len(owners) == 1:
            p = owners[0]
            return Endpoint("pod", p.key, p, ip, p.node)
        node = index.node_of_ip.get(ip, "")
        return Endpoint("node" if node else "external", str(ip), None, ip, node)
    if text.startswith("ip:"):
        raise PolicyInputError(f"{address_text[:60]!r} is not an IP address")
    if "/" not in text:
        raise PolicyInputError(f"{text[:60]!r}: give a pod as NAMESPACE/NAME or an address as ip:ADDRESS")
    pod = index.pod(text)
    if pod is None:
        raise PolicyInputError(f"no pod {text[:80]} in this cluster state")
    return Endpoint("pod", pod.key, pod, pod.ip, pod.node)


def _port_number(dst: Endpoint, port: int | str | None, protocol: str) -> int | None:
    if port is None or isinstance(port, int):
        if isinstance(port, int) and not 1 <= port <= 65535:
            raise PolicyInputError(f"port {port} is outside 1-65535")
        return port
    number = parse_decimal(port, max_digits=5)
    if number is not None:
        return _port_number(dst, number, protocol)
    if dst.pod is None:
        raise PolicyInputError(f"the port name {port[:20]!r} needs a destination pod to resolve it on")
    numbers = dst.pod.named_ports.get((port, protocol), ())
    if not numbers:
        raise PolicyInputError(f"{dst.text} has no {protocol} container port named {port[:20]!r}")
    return numbers[0]


def evaluate(index: PolicyIndex, src: str | PodInfo | Endpoint, dst: str | PodInfo | Endpoint,
             port: int | str | None, protocol: str = "TCP") -> Verdict:
    protocol = protocol.upper()
    if protocol not in ("TCP", "UDP", "SCTP"):
        raise PolicyInputError(f"protocol {protocol[:10]!r} is not TCP, UDP or SCTP")
    s, d = resolve(index, src), resolve(index, dst)
    number = _port_number(d, port, protocol)
    notes: list[str] = []
    for e in (s, d):
        svc = index.service_ips.get(e.ip) if e.pod is None and e.ip is not None else None
        if svc:
            notes.append(f"{e.text} is the ClusterIP of Service {svc}: NetworkPolicies see the pod a "
                         "connection is translated to, so ask for one of its pods")
    for e in (s, d):
        if e.pod is not None and e.pod.ip is None and not e.host_network:
            notes.append(f"{e.text} has no IP yet: nothing can reach it or leave it until it gets "
                         "one; the verdict is what its policies say for when it does")
    if s.pod is not None and d.pod is not None and s.pod.key == d.pod.key:
        same = "a pod can always reach itself (policies cannot block a pod's own traffic)"
        egress = Side(EGRESS, ALLOW, s.text, same)
        ingress = Side(INGRESS, ALLOW, d.text, same)
    else:
        egress = _side(index, EGRESS, s, d, number, protocol)
        ingress = _side(index, INGRESS, d, s, number, protocol)
    namespaces = [e.pod.namespace for e in (s, d) if e.pod is not None]
    others = index.not_evaluated_for(*namespaces)
    findings = dns_findings(index, s.pod) if s.pod is not None and egress.isolated is True else ()
    return Verdict(combine(egress.verdict, ingress.verdict), s.text, d.text, number, protocol,
                   egress, ingress, tuple(f"{o.kind} {o.key}: not evaluated" for o in others),
                   findings, tuple(notes))


def _side(index: PolicyIndex, direction: str, subject: Endpoint, peer: Endpoint,
          port: int | None, protocol: str) -> Side:
    """`direction` of `subject` (egress: subject is the source; ingress: the destination)."""
    word = "egress" if direction == EGRESS else "ingress"
    if subject.pod is None:
        what = "a node's own address" if subject.kind == "node" else "not a pod"
        return Side(direction, ALLOW, None, f"{subject.text} is {what}: no NetworkPolicy applies to it")
    pod = subject.pod
    if pod.host_network:
        return Side(direction, ALLOW, pod.key,
                    f"{pod.key} uses the host network: NetworkPolicies do not apply to it (its "
                    "traffic is the node's)")
    node_ips = index.node_ips.get(pod.node, ())
    if peer.ip is not None and peer.ip in node_ips and (peer.kind == "node" or peer.host_network):
        return Side(direction, ALLOW, pod.key,
                    f"traffic between a pod and its own node ({pod.node}) is always allowed")
    applying: list[Policy] = []
    maybe: list[Policy] = []
    for sel in index.selections(pod):
        a = sel.applies(direction)
        if a is True:
            applying.append(sel.policy)
        elif a is None:
            maybe.append(sel.policy)
    keys = tuple(p.key for p in applying)
    maybe_keys = tuple(p.key for p in maybe)
    if not applying and not maybe:
        return Side(direction, ALLOW, pod.key, f"not isolated for {word}: no policy selects {pod.key} "
                    f"for {word}", False)
    dst_named = _dst_named(subject if direction == INGRESS else peer)
    allowed: list[RuleRef] = []
    by_ipblock: list[RuleRef] = []  # allowed only because an ipBlock holds a pod's IP
    unknown: list[str] = []
    for pol in applying + maybe:
        certain = pol in applying
        if pol.rules_unknown(direction):
            unknown.append(f"{pol.key}: spec.{direction} is malformed")
        for rule in pol.rules(direction):
            m, ref, via_ipblock = _rule_match(index, pol, rule, peer, port, protocol, dst_named)
            if m is True and certain and ref is not None:
                (by_ipblock if via_ipblock else allowed).append(ref)
            elif m is True:
                unknown.append(f"{pol.key} {direction}[{rule.index}] allows it, but whether "
                               f"{pol.key} selects {pod.key} cannot be told: " + _problem_text(pol))
            elif m is None:
                unknown.append(f"{pol.key} {direction}[{rule.index}]: " + _rule_problem_text(pol, rule))
    isolated: Tri = True if applying else None
    if allowed:
        return Side(direction, ALLOW, pod.key, f"allowed by {allowed[0].text()}", isolated, keys,
                    maybe_keys, tuple(allowed + by_ipblock), tuple(unknown))
    if by_ipblock:
        # What iptables/ipset plugins do (see ipblocks.py), and marked as the plugin's choice.
        notes = tuple(f"{r.text()} holds the pod IP of {peer.text}: whether an ipBlock applies to "
                      "pod IPs is up to the network plugin" for r in by_ipblock)
        return Side(direction, ALLOW, pod.key, f"allowed by {by_ipblock[0].text()} (pod IP in an ipBlock)",
                    isolated, keys, maybe_keys, tuple(by_ipblock), tuple(unknown), notes)
    if unknown:
        return Side(direction, UNKNOWN, pod.key, "cannot tell: " + unknown[0], isolated, keys,
                    maybe_keys, (), tuple(unknown))
    if not applying:
        why = "; ".join(f"{p.key}: {_problem_text(p)}" for p in maybe)
        return Side(direction, UNKNOWN, pod.key, f"cannot tell whether {pod.key} is isolated for {word}: "
                    + why, None, keys, maybe_keys, (), (why,))
    iso = ", ".join(keys)
    return Side(direction, DENY, pod.key, f"no rule allows it; {pod.key} is isolated for {word} by {iso}",
                True, keys, maybe_keys)


def _dst_named(dst: Endpoint) -> NamedPorts | None:
    return dst.pod.named_ports if dst.pod is not None and not dst.pod.host_network else None


def _rule_match(index: PolicyIndex, pol: Policy, rule: Rule, peer: Endpoint, port: int | None,
                protocol: str, dst_named: NamedPorts | None) -> tuple[Tri, RuleRef | None, bool]:
    if rule.problem is not None:
        return None, None, False
    peer_hit: int | None = None
    via_ipblock = False
    if rule.all_peers:
        peers_ok: Tri = True
        peer_text = "every peer"
    else:
        results = []
        for p in rule.peers:
            r = peer_matches(index, p, pol.namespace, peer)
            results.append(r)
            if r is True and peer_hit is None:
                peer_hit = p.index
        peers_ok = or3(results)
        if peer_hit is not None:
            hit = rule.peers[peer_hit]
            peer_text = hit.text(pol.namespace)
            via_ipblock = hit.ipblock is not None and peer.pod is not None and not peer.host_network
        else:
            peer_text = ""
    if peers_ok is False:
        return False, None, False
    port_hit: int | None = None
    if rule.all_ports:
        ports_ok: Tri = True
        port_text = "every port"
    else:
        results = []
        for i, spec in enumerate(rule.ports):
            r = spec.matches(port, protocol, dst_named)
            results.append(r)
            if r is True and port_hit is None:
                port_hit = i
        ports_ok = or3(results)
        port_text = rule.ports[port_hit].text() if port_hit is not None else ""
    m = and3(peers_ok, ports_ok)
    if m is not True:
        return m, None, False
    ref = RuleRef(pol.key, rule.direction, rule.index, peer_hit, port_hit, peer_text, port_text)
    return True, ref, via_ipblock


def peer_matches(index: PolicyIndex, peer: Peer, policy_namespace: str, other: Endpoint) -> Tri:
    """Is `other` (a pod, a node address, an outside address) one of this peer?"""
    if peer.problem is not None:
        return None
    if peer.ipblock is not None:
        return peer.ipblock.contains(other.ip)
    pod = other.pod
    if pod is None or pod.host_network:
        return False  # selectors pick pods, and (commonly) never host-network ones
    if peer.namespaces is None:
        ns_ok: Tri = pod.namespace == policy_namespace
    else:
        ns_ok = index.namespace_matches(peer.namespaces, pod.namespace)
    if ns_ok is False:
        return False
    pods_ok = True if peer.pods is None else peer.pods.matches(pod.labels)
    return and3(ns_ok, pods_ok)


def _problem_text(pol: Policy) -> str:
    blocking = [p for p in pol.problems if p.blocks]
    return f"{blocking[0].path}: {blocking[0].message}" if blocking else "the policy is malformed"


def _rule_problem_text(pol: Policy, rule: Rule) -> str:
    prefix = f"spec.{rule.direction}[{rule.index}]"
    for p in pol.problems:
        if p.blocks and (p.path.startswith(prefix + ".") or p.path == prefix):
            return f"{p.path}: {p.message} ({p.code})"
    ns_problems = [p for p in pol.problems if p.blocks]
    return f"{ns_problems[0].path}: {ns_problems[0].message}" if ns_problems else "cannot be judged"


# --- DNS -------------------------------------------------------------------------------
def dns_findings(index: PolicyIndex, pod: PodInfo) -> tuple[str, ...]:
    """For an egress-isolated pod: does any egress rule let it reach the cluster DNS?"""
    cached = index.dns_findings.get(pod.key)
    if cached is None:
        cached = index.dns_findings.setdefault(pod.key, _dns_findings(index, pod))
    return cached


def _dns_findings(index: PolicyIndex, pod: PodInfo) -> tuple[str, ...]:
    targets = index.dns_pods() or [PodInfo("kube-system", "(cluster DNS)", {"k8s-app": "kube-dns"},
                                           None, "", named_ports={("dns", "UDP"): (53,),
                                                                  ("dns-tcp", "TCP"): (53,)})]
    src = Endpoint("pod", pod.key, pod, pod.ip, pod.node)
    out = []
    for proto in ("UDP", "TCP"):
        side_verdicts = {_side(index, EGRESS, src, Endpoint("pod", t.key, t, t.ip, t.node), 53, proto).verdict
                         for t in targets}
        if ALLOW in side_verdicts:
            continue
        if side_verdicts == {DENY}:
            if proto == "UDP":
                out.append(f"{pod.key} is isolated for egress and no egress rule allows DNS (UDP 53) to "
                           "kube-system's DNS pods (k8s-app=kube-dns): every name lookup will fail")
            else:
                out.append(f"{pod.key}: no egress rule allows DNS over TCP 53 to kube-system's DNS pods: "
                           "answers too large for UDP will fail")
        else:
            out.append(f"{pod.key}: whether DNS ({proto} 53) to kube-system's DNS pods is allowed cannot be told")
    return tuple(out)


__all__ = ["DENY", "UNKNOWN", "Endpoint", "PolicyInputError", "dns_findings", "evaluate",
           "peer_matches", "resolve", "tri_text"]

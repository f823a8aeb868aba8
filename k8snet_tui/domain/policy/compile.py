"""One NetworkPolicy object compiled into selectors, rules, peers and ports, with its problems.

Defaults follow networking.k8s.io/v1: a missing podSelector selects every pod of the policy's
namespace; without policyTypes the policy is an Ingress policy, and an Egress one too when it
has an `egress` section; a missing or empty `from`/`to` means every peer, a missing or empty
`ports` every port; `ingress: [{}]` therefore allows everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model import dig_str
from .ipblocks import IpBlock, parse_ipblock
from .ports import PortSpec, parse_port
from .problems import Problem, Tri
from .selectors import Selector, parse_selector

INGRESS, EGRESS = "ingress", "egress"
SPEC_FIELDS = frozenset({"podSelector", "policyTypes", "ingress", "egress"})
RULE_FIELDS = {INGRESS: frozenset({"from", "ports"}), EGRESS: frozenset({"to", "ports"})}
PEER_FIELDS = frozenset({"podSelector", "namespaceSelector", "ipBlock"})
PORT_FIELDS = frozenset({"protocol", "port", "endPort"})
MAX_RULES = 1000  # per direction: more is hostile input, not a policy
MAX_ITEMS = 1000  # peers or ports per rule


@dataclass(frozen=True)
class Peer:
    index: int
    # None: "the policy's own namespace" (podSelector alone); a Selector: namespaces it matches.
    namespaces: Selector | None = None
    # None: every pod of the selected namespaces (namespaceSelector alone).
    pods: Selector | None = None
    ipblock: IpBlock | None = None
    problem: Problem | None = None

    def text(self, policy_namespace: str) -> str:
        if self.problem is not None:
            return "(invalid peer)"
        if self.ipblock is not None:
            return f"ipBlock {self.ipblock.text()}"
        if self.namespaces is None:
            where = f"namespace {policy_namespace}"
        elif self.namespaces.empty:
            where = "every namespace"
        else:
            where = f"namespaces {self.namespaces.text()}"
        who = "every pod" if self.pods is None or self.pods.empty else f"pods {self.pods.text()}"
        return f"{who} in {where}"


@dataclass(frozen=True)
class Rule:
    direction: str
    index: int
    peers: tuple[Peer, ...] = ()  # empty: every peer
    ports: tuple[PortSpec, ...] = ()  # empty: every port
    problem: Problem | None = None

    @property
    def all_peers(self) -> bool:
        return not self.peers

    @property
    def all_ports(self) -> bool:
        return not self.ports


@dataclass(frozen=True)
class Policy:
    namespace: str
    name: str
    pod_selector: Selector
    # True / False, or None when policyTypes is malformed (cannot tell what it isolates).
    ingress_type: Tri
    egress_type: Tri
    ingress: tuple[Rule, ...]
    egress: tuple[Rule, ...]
    problems: tuple[Problem, ...] = ()
    # The rules list itself is malformed: what it allows is unknown.
    ingress_unknown: bool = False
    egress_unknown: bool = False

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def applies(self, direction: str) -> Tri:
        return self.ingress_type if direction == INGRESS else self.egress_type

    def rules(self, direction: str) -> tuple[Rule, ...]:
        return self.ingress if direction == INGRESS else self.egress

    def rules_unknown(self, direction: str) -> bool:
        return self.ingress_unknown if direction == INGRESS else self.egress_unknown


def compile_policy(obj: dict[str, Any]) -> Policy:
    ns, name = dig_str(obj, "metadata", "namespace"), dig_str(obj, "metadata", "name")
    key = f"{ns}/{name}"
    problems: list[Problem] = []
    spec = obj.get("spec")
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        p = Problem(key, "spec", "wrong-type", "spec is not an object")
        return Policy(ns, name, Selector(problems=(p,)), None, None, (), (), (p,), True, True)
    for extra in sorted(k for k in spec if k not in SPEC_FIELDS)[:20]:
        problems.append(Problem(key, f"spec.{str(extra)[:40]}", "unknown-field",
                                f"spec.{str(extra)[:40]} is not a NetworkPolicy field", blocks=False))
    pod_selector = parse_selector(spec.get("podSelector"), key, "spec.podSelector")
    problems.extend(pod_selector.problems)

    rules: dict[str, tuple[Rule, ...]] = {}
    unknown: dict[str, bool] = {}
    for direction in (INGRESS, EGRESS):
        raw = spec.get(direction)
        unknown[direction] = False
        if raw is None:
            rules[direction] = ()
            continue
        if not isinstance(raw, list):
            problems.append(Problem(key, f"spec.{direction}", "wrong-type", f"spec.{direction} is not a list"))
            unknown[direction] = True
            rules[direction] = ()
            continue
        if len(raw) > MAX_RULES:
            problems.append(Problem(key, f"spec.{direction}", "wrong-type",
                                    f"spec.{direction} has {len(raw)} rules (more than {MAX_RULES})"))
            unknown[direction] = True
            raw = raw[:MAX_RULES]
        rules[direction] = tuple(_rule(r, direction, i, key, problems) for i, r in enumerate(raw))

    ingress_type, egress_type = _policy_types(spec, key, problems)
    return Policy(ns, name, pod_selector, ingress_type, egress_type, rules[INGRESS], rules[EGRESS],
                  tuple(problems), unknown[INGRESS], unknown[EGRESS])


def _policy_types(spec: dict[str, Any], key: str, problems: list[Problem]) -> tuple[Tri, Tri]:
    raw = spec.get("policyTypes")
    if raw is None or raw == []:
        # The API server fills this in on create; a snapshot of a raw manifest may lack it.
        return True, spec.get("egress") is not None
    if not isinstance(raw, list):
        problems.append(Problem(key, "spec.policyTypes", "wrong-type", "policyTypes is not a list"))
        return None, None
    bad = [t for t in raw if t not in ("Ingress", "Egress")]
    if bad:
        problems.append(Problem(key, "spec.policyTypes", "bad-policy-type",
                                f"policyTypes has {str(bad[0])[:20]!r} (only Ingress and Egress exist)"))
        # What the valid entries say still holds; the rest cannot be told.
        return (True if "Ingress" in raw else None), (True if "Egress" in raw else None)
    return "Ingress" in raw, "Egress" in raw


def _rule(raw: Any, direction: str, index: int, key: str, problems: list[Problem]) -> Rule:
    path = f"spec.{direction}[{index}]"
    if not isinstance(raw, dict):
        p = Problem(key, path, "wrong-type", f"{path} is not an object")
        problems.append(p)
        return Rule(direction, index, problem=p)
    for extra in sorted(k for k in raw if k not in RULE_FIELDS[direction])[:20]:
        problems.append(Problem(key, f"{path}.{str(extra)[:40]}", "unknown-field",
                                f"{str(extra)[:40]} is not a field of an {direction} rule", blocks=False))
    peer_field = "from" if direction == INGRESS else "to"
    peers: list[Peer] = []
    raw_peers = raw.get(peer_field)
    rule_problem: Problem | None = None
    if raw_peers is not None and not isinstance(raw_peers, list):
        rule_problem = Problem(key, f"{path}.{peer_field}", "wrong-type", f"{peer_field} is not a list")
        problems.append(rule_problem)
    else:
        for i, rp in enumerate((raw_peers or [])[:MAX_ITEMS]):
            peer = _peer(rp, i, key, f"{path}.{peer_field}[{i}]", problems)
            peers.append(peer)
    ports: list[PortSpec] = []
    raw_ports = raw.get("ports")
    if raw_ports is not None and not isinstance(raw_ports, list):
        rule_problem = Problem(key, f"{path}.ports", "wrong-type", "ports is not a list")
        problems.append(rule_problem)
    else:
        for i, rp in enumerate((raw_ports or [])[:MAX_ITEMS]):
            ppath = f"{path}.ports[{i}]"
            if isinstance(rp, dict):
                for extra in sorted(k for k in rp if k not in PORT_FIELDS)[:20]:
                    problems.append(Problem(key, f"{ppath}.{str(extra)[:40]}", "unknown-field",
                                            f"{str(extra)[:40]} is not a port field", blocks=False))
            spec = parse_port(rp, key, ppath)
            if spec.problem is not None:
                problems.append(spec.problem)
            ports.append(spec)
    return Rule(direction, index, tuple(peers), tuple(ports), rule_problem)


def _peer(raw: Any, index: int, key: str, path: str, problems: list[Problem]) -> Peer:
    def bad(code: str, message: str) -> Peer:
        p = Problem(key, path, code, message)
        problems.append(p)
        return Peer(index, problem=p)

    if not isinstance(raw, dict):
        return bad("wrong-type", f"{path} is not an object")
    for extra in sorted(k for k in raw if k not in PEER_FIELDS)[:20]:
        problems.append(Problem(key, f"{path}.{str(extra)[:40]}", "unknown-field",
                                f"{str(extra)[:40]} is not a peer field", blocks=False))
    has_pods, has_ns, has_ip = ("podSelector" in raw, "namespaceSelector" in raw, "ipBlock" in raw)
    if has_ip and (has_pods or has_ns):
        return bad("ipblock-with-selector", "ipBlock cannot be combined with a selector in one peer")
    if has_ip:
        block = parse_ipblock(raw["ipBlock"], key, f"{path}.ipBlock")
        if block.problem is not None:
            problems.append(block.problem)
            return Peer(index, ipblock=block, problem=block.problem)
        return Peer(index, ipblock=block)
    if not (has_pods or has_ns):
        return bad("empty-peer", "the peer names no podSelector, namespaceSelector or ipBlock")
    pods = parse_selector(raw.get("podSelector"), key, f"{path}.podSelector") if has_pods else None
    nss = parse_selector(raw.get("namespaceSelector"), key, f"{path}.namespaceSelector") if has_ns else None
    own = [s for s in (pods, nss) if s is not None and s.problems]
    for s in own:
        problems.extend(s.problems)
    return Peer(index, nss, pods, None, own[0].problems[0] if own else None)

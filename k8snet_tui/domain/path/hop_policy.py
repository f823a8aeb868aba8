"""Hop `policy`: the source's egress and each endpoint's ingress, by domain/policy's evaluator.

Policies see the packet after the DNAT: the endpoint pod and the port it arrives on (the
targetPort), not the Service. Endpoints that the namespace's policies treat alike (same
namespace, labels and port) are asked once. A client outside the cluster has no pod: through a
NodePort of a Service with `externalTrafficPolicy: Cluster` kube-proxy masquerades it to the
receiving node's address, which is what the endpoint's policies see; otherwise its own address,
judged here as an address outside every cluster range.
"""

from __future__ import annotations

import shlex

from ..datapath.endpoints import traffic_policies
from ..policy import ALLOW, DENY, PolicyInputError, Verdict, evaluate, index_of
from ..sanitize import clean
from .model import FAIL, OK, UNKNOWN, Endpoint, Evidence, Hop
from .walk import Resolved, Walk, node_ip

OUTSIDE_CLIENT = "203.0.113.10"  # TEST-NET-3: stands for "some address outside the cluster", never dialled
MAX_ASKED = 64


def _source(walk: Walk, resolved: Resolved) -> tuple[str, str]:
    """(evaluator source, words) for the connection's source as the endpoint's policies see it."""
    src = walk.source
    if src.kind == "pod":
        return src.key, src.key
    if src.kind == "node":
        ip = node_ip(walk.cluster, src.node)
        return (f"ip:{ip}", f"node {src.node} ({ip})") if ip else (f"ip:{OUTSIDE_CLIENT}", src.text)
    svc = resolved.service
    if resolved.kind == "node-port" and svc is not None and traffic_policies(svc)[0] == "Cluster":
        ip = node_ip(walk.cluster, resolved.node)
        if ip:
            return f"ip:{ip}", f"node {resolved.node} ({ip}, kube-proxy masquerades the outside client)"
    return f"ip:{OUTSIDE_CLIENT}", "an outside client (judged as an address outside every cluster range)"


def _protocol(resolved: Resolved) -> str:
    return resolved.service_port.protocol if resolved.service_port is not None else "TCP"


def policy_hop(walk: Walk, resolved: Resolved, endpoints: tuple[Endpoint, ...]) -> Hop:
    if "NetworkPolicy" in walk.cluster.forbidden:
        return Hop("policy", UNKNOWN, "NetworkPolicies cannot be read",
                   reason=f"NetworkPolicies are forbidden: {clean(walk.cluster.forbidden['NetworkPolicy'])}")
    index = index_of(walk.cluster)
    src, src_words = _source(walk, resolved)
    protocol = _protocol(resolved)
    targets: list[tuple[str, int | None]] = []
    if resolved.kind == "outside":
        targets.append((f"ip:{resolved.address}", resolved.port))
    else:
        seen: set[tuple[object, ...]] = set()
        for ep in endpoints:
            info = index.pod(ep.pod) if ep.pod else None
            group = (info.namespace, tuple(sorted(info.labels.items())), ep.port) if info else (ep.address, ep.port)
            if group not in seen:
                seen.add(group)
                targets.append((ep.pod or f"ip:{ep.address}", ep.port))
    if not targets:
        return Hop("policy", UNKNOWN, "no endpoint to judge", reason="the hops before found no endpoint")
    verdicts: list[Verdict] = []
    for dst, port in targets[:MAX_ASKED]:
        try:
            verdicts.append(evaluate(index, src, dst, port, protocol))
        except PolicyInputError as exc:
            return Hop("policy", UNKNOWN, "the policy question cannot be asked", reason=str(exc))
    first = verdicts[0]
    see = "policy check " + shlex.join([first.src if "/" in first.src else f"ip:{first.src}",
                                        first.dst if "/" in first.dst else f"ip:{first.dst}",
                                        *(["--port", str(first.port)] if first.port is not None else []),
                                        *(["--protocol", protocol] if protocol != "TCP" else [])])
    evidence = []
    for v in verdicts[:4]:
        evidence.append(Evidence("policy", f"egress of {v.src}", f"{v.egress.verdict}: {v.egress.reason}"))
        evidence.append(Evidence("policy", f"ingress of {v.dst}", f"{v.ingress.verdict}: {v.ingress.reason}"))
    denied = [v for v in verdicts if v.verdict == DENY]
    where = f"{protocol} {first.port}" if first.port is not None else protocol
    if denied:
        v = denied[0]
        some = f"{len(denied)} of {len(verdicts)} kinds of endpoint" if len(denied) < len(verdicts) else "it"
        if v.egress.verdict == DENY:
            fix = (f"{v.src} is isolated for egress by {', '.join(v.egress.policies)}: add an egress rule to "
                   f"{v.dst} on {where}")
            summary = f"the egress policy of {src_words} denies {some}"
        else:
            fix = (f"{v.dst} is isolated for ingress by {', '.join(v.ingress.policies)}: add an ingress rule "
                   f"allowing {src_words} on {where}")
            summary = f"the ingress policy of {v.dst} denies {src_words}"
        return Hop("policy", FAIL, summary, tuple(evidence), fix=fix, see=see)
    unknown = [v for v in verdicts if v.verdict not in (ALLOW, DENY)]
    if unknown:
        v = unknown[0]
        side = v.egress if v.egress.verdict not in (ALLOW, DENY) else v.ingress
        return Hop("policy", UNKNOWN, f"whether {src_words} may reach {v.dst} cannot be told", tuple(evidence),
                   reason=side.reason, see=see)
    extra = "; incomplete: " + ", ".join(first.not_evaluated) if first.not_evaluated else ""
    asked = f"{len(endpoints) or 1} endpoint(s) asked as {len(verdicts)} group(s)"
    return Hop("policy", OK if not extra else UNKNOWN, f"egress and ingress allow {where} ({asked})",
               tuple(evidence), reason=extra.removeprefix("; ") or None, see=see)

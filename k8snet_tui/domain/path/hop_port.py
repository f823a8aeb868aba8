"""Hop `port`: the Service's targetPort resolved on each endpoint pod, against the containerPorts
the pod declares.

A numeric targetPort is sent to as it is; when the pod declares containerPorts and that number
is not one of them, nothing the pod says it serves is there (the Debug Services guide's
"targetPort the container does not serve"). A named targetPort must be a containerPort name of
each pod: a pod that lacks the name gets no endpoint for the port. Declared ports are what the
API can tell; whether a process really listens only the live check (`c`, `--check`) can show.
"""

from __future__ import annotations

from ..datapath.endpoints import ServicePort
from ..model import Obj, dig, dig_list, dig_str, key_of
from ..service_index import routable_endpoints, service_index
from .hop_endpoints import condition_word
from .model import FAIL, OK, UNKNOWN, Endpoint, Evidence, Hop
from .walk import Resolved, Walk

MAX_SHOWN = 5


def declared_ports(pod: Obj | None) -> tuple[tuple[str, int, str], ...]:
    """(name, number, protocol) of every containerPort the pod's containers declare."""
    out = []
    for kind in ("containers", "initContainers"):
        for c in dig_list(pod, "spec", kind):
            if kind == "initContainers" and dig_str(c, "restartPolicy") != "Always":
                continue  # only sidecars (restartable init containers) serve
            for p in dig_list(c, "ports"):
                number = dig(p, "containerPort")
                if isinstance(number, int) and not isinstance(number, bool):
                    out.append((dig_str(p, "name"), number, (dig_str(p, "protocol") or "TCP").upper()))
    return tuple(out)


def _declared_words(ports: tuple[tuple[str, int, str], ...]) -> str:
    return ", ".join(f"{n}/{proto}" + (f" ({name})" if name else "") for name, n, proto in ports) or "none"


def _pod(walk: Walk, key: str) -> Obj | None:
    if not key:
        return None
    ns, _, name = key.partition("/")
    return walk.cluster.get("Pod", ns, name)


def _judge(pod: Obj | None, target: str, number: int | None, protocol: str) -> tuple[str, str]:
    """(verdict, words) for one pod: does it declare what the packet is sent to?"""
    declared = declared_ports(pod)
    same_proto = tuple(d for d in declared if d[2] == protocol)
    if not target.isdigit():  # a named port: the pod must declare the name
        hits = [d for d in same_proto if d[0] == target]
        if hits:
            return OK, f"{target} is {hits[0][1]}/{protocol}"
        return FAIL, f"no {protocol} containerPort named {target!r} (declared: {_declared_words(declared)})"
    want = number if number is not None else int(target)
    if not declared:
        return OK, f"{want}/{protocol} (the pod declares no containerPorts, so the API cannot tell more)"
    if any(d[1] == want for d in same_proto):
        return OK, f"{want}/{protocol} is declared"
    return FAIL, f"{want}/{protocol} is not declared (declared: {_declared_words(declared)})"


def port_hop(walk: Walk, resolved: Resolved) -> Hop:
    if resolved.kind in ("pod", "headless"):
        return _pod_port(walk, resolved)
    svc, sp = resolved.service, resolved.service_port
    assert svc is not None and sp is not None
    key = key_of(svc)
    ns, name = key.split("/", 1)
    idx = service_index(walk.cluster)
    usable = {id(e) for e in routable_endpoints(idx.endpoints(ns, name))}
    if not usable:
        return Hop("port", UNKNOWN, f"targetPort {sp.target_port}: no usable endpoint to resolve it on",
                   reason="the Service has no ready endpoint (see the endpoints hop)")
    pairs = [(n, e) for n, e in idx.port_endpoints(ns, name, sp.name, sp.protocol) if id(e) in usable]
    see = f"trace {key}:{sp.name or sp.port}"
    if not pairs:
        return _no_port_endpoints(walk, resolved, sp, see)
    results = []
    endpoints = []
    for number, ep in pairs:
        pod = _pod(walk, ep.pod)
        verdict, words = _judge(pod, sp.target_port, number, sp.protocol)
        results.append((verdict, ep.pod or (ep.addresses[0] if ep.addresses else "?"), words))
        for a in ep.addresses[:1]:
            endpoints.append(Endpoint(a, number, ep.pod, ep.node, condition_word(ep)))
            if pod is not None:
                walk.endpoint_pods[ep.pod] = pod
    walk.endpoints = tuple(endpoints)
    return _verdict(results, f"targetPort {sp.target_port}", see,
                    lambda bad: _fix(sp, bad, results))


def _fix(sp: ServicePort, bad: list[tuple[str, str, str]], results: list[tuple[str, str, str]]) -> str:
    who = bad[0][1]
    some = f"{len(bad)} of {len(results)} endpoint pods" if len(bad) < len(results) else "the endpoint pods"
    if sp.target_port.isdigit():
        return (f"the Service sends to targetPort {sp.target_port}, but {some} do not declare it ({who}: {bad[0][2]}): "
                "set targetPort to the port the container serves (or to its name)")
    return (f"targetPort {sp.target_port!r} is a port name, and {some} have no containerPort of that name "
            f"({who}: {bad[0][2]}): name the container's port {sp.target_port!r}, or use the number")


def _verdict(results: list[tuple[str, str, str]], what: str, see: str | None, fix: object) -> Hop:
    ev = tuple(Evidence("object", f"Pod {who}", words) for _, who, words in results[:MAX_SHOWN])
    bad = [r for r in results if r[0] == FAIL]
    if bad:
        assert callable(fix)
        summary = f"{what}: {len(bad)} of {len(results)} endpoint(s) do not serve it"
        return Hop("port", FAIL, summary, ev, fix=str(fix(bad)), see=see)
    return Hop("port", OK, f"{what} resolves on {len(results)} endpoint(s)", ev, see=see)


def _no_port_endpoints(walk: Walk, resolved: Resolved, sp: ServicePort, see: str) -> Hop:
    """The Service has endpoints, but none for this port: a named targetPort no pod declares."""
    svc = resolved.service
    assert svc is not None
    ns = dig_str(svc, "metadata", "namespace")
    idx = service_index(walk.cluster)
    eps = routable_endpoints(idx.endpoints(ns, dig_str(svc, "metadata", "name")))
    walk.endpoints = tuple(Endpoint(e.addresses[0], None, e.pod, e.node, condition_word(e)) for e in eps if e.addresses)
    pods = [p for p in (_pod(walk, e.pod) for e in eps) if p]
    for p in pods:
        walk.endpoint_pods[key_of(p)] = p
    results = [(v, key_of(p), w) for p in pods[:20] for v, w in [_judge(p, sp.target_port, None, sp.protocol)]]
    if results and any(r[0] == FAIL for r in results):
        hop = _verdict(results, f"targetPort {sp.target_port}", see, lambda bad: _fix(sp, bad, results))
        return Hop("port", FAIL, f"no endpoint has port {sp.name or sp.port}: " + hop.summary, hop.evidence,
                   fix=hop.fix, see=see)
    return Hop("port", FAIL, f"the EndpointSlices list no port {sp.name or sp.port}/{sp.protocol}",
               fix=f"the EndpointSlices of the Service list no port named {sp.name!r}: if they are written by hand, "
                   "name their port as the Service's port is named", see=see)


def _pod_port(walk: Walk, resolved: Resolved) -> Hop:
    wanted = walk.target.port
    if wanted is None:
        return Hop("port", UNKNOWN, "no port given", reason="a pod address has no port of its own: give IP:PORT")
    results = []
    endpoints = []
    for pod in resolved.pods[:50]:
        verdict, words = _judge(pod, wanted, None, "TCP")
        results.append((verdict, key_of(pod), words))
        number = int(wanted) if wanted.isdigit() else next(
            (n for name, n, proto in declared_ports(pod) if name == wanted and proto == "TCP"), None)
        ip = resolved.address if len(resolved.pods) == 1 else (
            (dig_list(pod, "status", "podIPs") or [{}])[0].get("ip", "") or dig_str(pod, "status", "podIP"))
        endpoints.append(Endpoint(str(ip), number, key_of(pod), dig_str(pod, "spec", "nodeName"), "pod"))
        walk.endpoint_pods[key_of(pod)] = pod
    walk.endpoints = tuple(endpoints)
    return _verdict(results, f"port {wanted}", None,
                    lambda bad: f"{bad[0][1]} {bad[0][2]}: dial a port the pod serves")

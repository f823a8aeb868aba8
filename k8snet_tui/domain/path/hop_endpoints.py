"""Hop `endpoints`: does the Service have endpoints kube-proxy will use (ready, else serving and
terminating)? Read from the Service index (domain/service_index.py), never re-derived.

No endpoints at all is most often a selector that matches no pod: the fix compares the
selector with the labels the namespace's pods carry ("the Service selects app=web; the pods are
labelled app=website"). Endpoints that exist but none ready are pods failing their readiness.
"""

from __future__ import annotations

from ..model import Obj, dig_dict, dig_list, dig_str, key_of, name_of
from ..sanitize import clean
from ..service_index import SliceEndpoint, routable_endpoints, service_index
from .model import FAIL, OK, UNKNOWN, Evidence, Hop
from .walk import Resolved, Walk

MAX_SHOWN = 5


def condition_word(ep: SliceEndpoint) -> str:
    c = ep.conditions
    if c.ready:
        return "ready"
    return "serving-terminating" if c.serving and c.terminating else "not-ready"


def _selector(svc: Obj) -> dict[str, str]:
    return {k: v for k, v in dig_dict(svc, "spec", "selector").items() if isinstance(k, str) and isinstance(v, str)}


def _labels(pod: Obj) -> dict[str, str]:
    return {k: v for k, v in dig_dict(pod, "metadata", "labels").items() if isinstance(k, str) and isinstance(v, str)}


def _words(labels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def selector_hint(walk: Walk, svc: Obj) -> str:
    """Why the Service's selector picks no pod, compared with what the pods are labelled."""
    sel = _selector(svc)
    ns = dig_str(svc, "metadata", "namespace")
    pods = walk.cluster.in_namespace("Pod", ns)
    if not sel:
        return (f"Service {key_of(svc)} has no selector, and no EndpointSlice names it: give it a selector, or "
                "create its EndpointSlices by hand")
    matching = [p for p in pods if all(_labels(p).get(k) == v for k, v in sel.items())]
    if matching:
        return (f"{len(matching)} pod(s) match the selector {_words(sel)} ({', '.join(name_of(p) for p in matching[:3])}) "
                "but no EndpointSlice lists them: is the EndpointSlice controller running?")
    near: dict[str, list[str]] = {}
    for p in pods:
        labels = _labels(p)
        for k, v in sel.items():
            if k in labels and labels[k] != v:
                near.setdefault(f"{k}={labels[k]}", []).append(name_of(p))
            elif k not in labels:
                for lk, lv in labels.items():
                    if lv == v:
                        near.setdefault(f"{lk}={lv}", []).append(name_of(p))
    if near:
        label, names = max(near.items(), key=lambda kv: len(kv[1]))
        more = f" +{len(names) - 3}" if len(names) > 3 else ""
        return (f"the Service selects {_words(sel)}; the pods are labelled {label} ({', '.join(names[:3])}{more}): "
                "fix the selector or the pod labels")
    return f"the Service selects {_words(sel)} and no pod in {ns} has those labels"


def _not_ready_words(walk: Walk, ep: SliceEndpoint) -> str:
    pod = None
    if ep.pod:
        ns, _, name = ep.pod.partition("/")
        pod = walk.cluster.get("Pod", ns, name)
    reasons = [f"{dig_str(c, 'reason') or 'Ready ' + dig_str(c, 'status')}"
               for c in dig_list(pod, "status", "conditions") if dig_str(c, "type") == "Ready"]
    what = ep.pod or (ep.addresses[0] if ep.addresses else "?")
    return f"{clean(what)} ({reasons[0] if reasons else condition_word(ep)})"


def endpoints_hop(walk: Walk, resolved: Resolved) -> Hop:
    svc = resolved.service
    assert svc is not None
    key = key_of(svc)
    ns, name = key.split("/", 1)
    if "EndpointSlice" in walk.cluster.forbidden:
        return Hop("endpoints", UNKNOWN, "EndpointSlices cannot be read",
                   reason=f"EndpointSlices are forbidden: {clean(walk.cluster.forbidden['EndpointSlice'])}")
    if (dig_str(svc, "spec", "type") or "ClusterIP") == "ExternalName":
        return Hop("endpoints", OK, "an ExternalName Service has no endpoints: DNS answers a CNAME")
    idx = service_index(walk.cluster)
    eps = idx.endpoints(ns, name)
    see = f"trace {key}"
    if not eps:
        return Hop("endpoints", FAIL, f"Service {key} has no endpoints",
                   (Evidence("object", f"Service {key}", f"selector {_words(_selector(svc)) or 'none'}"),),
                   fix=selector_hint(walk, svc), see=see)
    usable = routable_endpoints(eps)
    counts = f"{sum(1 for e in eps if e.ready)} of {len(eps)}"
    ev = tuple(Evidence("object", f"endpoint {', '.join(e.addresses[:1]) or '?'}",
                        f"{e.pod or 'no pod'} on {e.node or 'no node'}: {condition_word(e)}")
               for e in eps[:MAX_SHOWN])
    if not usable:
        bad = ", ".join(_not_ready_words(walk, e) for e in eps[:3])
        return Hop("endpoints", FAIL, f"Service {key} has {len(eps)} endpoint(s), none ready", ev,
                   fix=f"the pods are not ready: {bad}; look at their readiness probes and events "
                       "(kubectl describe pod)", see=see)
    if not any(e.ready for e in usable):
        return Hop("endpoints", OK, f"no ready endpoint: kube-proxy falls back to {len(usable)} serving-but-"
                   "terminating one(s)", ev, see=see)
    return Hop("endpoints", OK, f"{counts} endpoints of {key} ready", ev, see=see)

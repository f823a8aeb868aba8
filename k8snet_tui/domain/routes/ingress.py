"""Ingress objects (networking.k8s.io/v1, plus the v1beta1 backend shape) as route table rows."""

from __future__ import annotations

from typing import Any

from ..model import (
    ClusterState,
    Obj,
    dig,
    dig_dict,
    dig_list,
    dig_str,
    key_of,
    namespace_of,
)
from ..numbers import parse_port
from .backends import Backend, BackendRef, resolve
from .classes import class_of
from .findings import WARNING, Finding
from .rules import ANY, ELEMENT_PREFIX, EXACT, RouteRule

_MATCH = {"Exact": EXACT, "Prefix": ELEMENT_PREFIX, "ImplementationSpecific": ELEMENT_PREFIX}


def _backend_ref(namespace: str, backend: object) -> BackendRef | None:
    if not isinstance(backend, dict):
        return None
    svc = dig_dict(backend, "service")
    if svc:
        number = dig(svc, "port", "number")
        port: int | str | None = (number if isinstance(number, int) and not isinstance(number, bool)
                                  else (dig_str(svc, "port", "name") or None))
        return BackendRef(namespace, dig_str(svc, "name"), port)
    if dig_str(backend, "serviceName"):  # v1beta1 shape
        raw = dig(backend, "servicePort")
        if isinstance(raw, int) and not isinstance(raw, bool):
            port = raw
        else:  # a decimal string is the number; any other string names the port
            port = (raw if parse_port(raw) is None else parse_port(raw)) if isinstance(raw, str) else None
        return BackendRef(namespace, dig_str(backend, "serviceName"), port)
    resource = dig_dict(backend, "resource")
    if resource:
        return BackendRef(namespace, "", external=f"{dig_str(resource, 'kind')}/{dig_str(resource, 'name')}")
    return None


def ingress_rules(cluster: ClusterState, ingress: Obj) -> list[RouteRule]:
    ns = namespace_of(ingress) or "default"
    name = key_of(ingress) if namespace_of(ingress) else f"default/{key_of(ingress)}"
    subject = f"Ingress {name}"
    choice = class_of(cluster, ingress)
    tls_hosts = {h for t in dig_list(ingress, "spec", "tls") for h in dig_list(t, "hosts") if isinstance(h, str)}
    any_tls = bool(dig_list(ingress, "spec", "tls"))
    common: dict[str, Any] = {
        "kind": "Ingress", "name": name, "ingress_class": choice.name, "controller": choice.controller,
        "implementation": choice.implementation, "created": dig_str(ingress, "metadata", "creationTimestamp"),
    }
    out: list[RouteRule] = []
    first_findings = list(choice.findings)
    for i, rule in enumerate(dig_list(ingress, "spec", "rules")):
        host = dig_str(rule, "host") or None
        for j, path in enumerate(dig_list(rule, "http", "paths")):
            where = f"rules[{i}].http.paths[{j}]"
            findings = first_findings
            first_findings = []
            path_type = dig_str(path, "pathType") or "ImplementationSpecific"
            text = dig_str(path, "path") or None
            if path_type not in _MATCH:
                findings.append(Finding(WARNING, "malformed", subject, f"{where}: unknown pathType {path_type!r}"))
            if text is None and path_type != "ImplementationSpecific":
                findings.append(Finding(WARNING, "malformed", subject, f"{where}: pathType {path_type} needs a path"))
            ref = _backend_ref(ns, dig(path, "backend"))
            backends: tuple[Backend, ...] = ()
            if ref is None:
                findings.append(Finding(WARNING, "malformed", subject, f"{where}: no usable backend"))
            else:
                backends = (resolve(cluster, ref, subject),)
            out.append(RouteRule(
                where=where, order=(i, j), hosts=(host,) if host else (), path=text or "/",
                path_type=path_type, match=_MATCH.get(path_type, ELEMENT_PREFIX), backends=backends,
                tls=bool(host and host in tls_hosts) or (any_tls and not tls_hosts),
                findings=tuple(findings), **common,
            ))
    default = dig(ingress, "spec", "defaultBackend")
    if default is None:
        default = dig(ingress, "spec", "backend")
    ref = _backend_ref(ns, default)
    if ref is not None:
        out.append(RouteRule(
            where="spec.defaultBackend", order=(1 << 30,), path=None, path_type=None, match=ANY,
            backends=(resolve(cluster, ref, subject),), findings=tuple(first_findings), **common,
        ))
        first_findings = []
    if not out:
        out.append(RouteRule(
            where="spec", order=(1 << 31,), match="none",
            findings=tuple(first_findings) + (Finding(WARNING, "malformed", subject, "no rules and no default backend"),),
            **common,
        ))
    return out

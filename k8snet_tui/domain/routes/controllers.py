"""Which ingress controller serves which class, and which Service fronts that controller.

IngressClass names the controller (`spec.controller`) but not where its proxy listens. Nothing in
the API links the two, so we guess from the conventions each project's own manifests follow: the
Service's name, its namespace and its `app.kubernetes.io/name` label, preferring Services that
expose HTTP ports and avoiding admin / agent / metrics Services. Every guess says why it was made.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import ClusterState, Obj, dig, dig_list, dig_str, name_of, namespace_of

EMISSARY = "getambassador.io/ingress-controller"
EMISSARY_LEGACY_CLASS = "ambassador"  # the annotation value Emissary accepts without an IngressClass


@dataclass(frozen=True)
class KnownController:
    product: str
    implementation: str  # "emissary": string prefixes and rewrite "/"; "spec": the Ingress spec
    names: tuple[str, ...]
    namespaces: tuple[str, ...]
    app_names: tuple[str, ...]


KNOWN: dict[str, KnownController] = {
    EMISSARY: KnownController(
        "Emissary-ingress", "emissary", ("emissary-ingress", "ambassador", "edge-stack"),
        ("emissary", "ambassador"), ("emissary-ingress", "ambassador", "edge-stack"),
    ),
    "k8s.io/ingress-nginx": KnownController(
        "ingress-nginx", "spec", ("ingress-nginx-controller",), ("ingress-nginx",), ("ingress-nginx",),
    ),
    "traefik.io/ingress-controller": KnownController("Traefik", "spec", ("traefik",), ("traefik",), ("traefik",)),
    "cilium.io/ingress-controller": KnownController("Cilium", "spec", ("cilium-ingress",), ("kube-system",), ()),
}

_SIDE_SERVICES = ("admin", "agent", "metrics", "webhook", "apiext")


def known(controller: str | None) -> KnownController | None:
    return KNOWN.get((controller or "").lower())


def implementation_of(controller: str | None) -> str:
    kc = known(controller)
    return kc.implementation if kc else "spec"


@dataclass(frozen=True)
class ControllerService:
    service: Obj
    score: int
    reasons: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{namespace_of(self.service)}/{name_of(self.service)}"


def _http_ports(service: Obj) -> list[Obj]:
    out = []
    for p in dig_list(service, "spec", "ports"):
        if isinstance(p, dict) and (dig(p, "port") in (80, 443, 8080, 8443) or dig_str(p, "name") in ("http", "https")):
            out.append(p)
    return out


def find_services(cluster: ClusterState, controller: str | None) -> tuple[ControllerService, ...]:
    """Services that probably front `controller`, best first; empty for controllers we don't know."""
    kc = known(controller)
    if kc is None:
        return ()
    found = []
    for svc in cluster.of("Service"):
        name, ns = name_of(svc), namespace_of(svc)
        app = dig_str(svc, "metadata", "labels", "app.kubernetes.io/name")
        score = 0
        reasons: list[str] = []
        if name in kc.names:
            score, reasons = score + 4, reasons + [f"name {name} is {kc.product}'s usual Service name"]
        if app and app in kc.app_names:
            score, reasons = score + 2, reasons + [f"label app.kubernetes.io/name={app}"]
        if not score:
            continue
        if ns in kc.namespaces:
            score, reasons = score + 1, reasons + [f"namespace {ns} is where {kc.product} installs"]
        if _http_ports(svc):
            score, reasons = score + 2, reasons + ["exposes HTTP(S) ports"]
        if any(word in name for word in _SIDE_SERVICES):
            score, reasons = score - 5, reasons + ["name suggests an admin/agent side Service"]
        if score > 0:
            found.append(ControllerService(svc, score, tuple(reasons)))
    found.sort(key=lambda c: (-c.score, c.key))
    return tuple(found)


def service_port_for(service: Obj, scheme: str) -> Obj | None:
    """The Service port a client of `scheme` would use: named http/https, else 80/443."""
    ports = [p for p in dig_list(service, "spec", "ports") if isinstance(p, dict)]
    number = 443 if scheme == "https" else 80
    for p in ports:
        if dig_str(p, "name") == scheme:
            return p
    for p in ports:
        if dig(p, "port") == number:
            return p
    return ports[0] if ports else None

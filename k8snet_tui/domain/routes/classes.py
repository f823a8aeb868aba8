"""Which IngressClass an Ingress belongs to, and so which controller (and matching rules) serve it."""

from __future__ import annotations

from dataclasses import dataclass

from ..model import ClusterState, Obj, dig_str, key_of, name_of
from .controllers import EMISSARY, EMISSARY_LEGACY_CLASS, implementation_of
from .findings import INFO, WARNING, Finding

CLASS_ANNOTATION = "kubernetes.io/ingress.class"
DEFAULT_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"


@dataclass(frozen=True)
class ClassChoice:
    name: str | None
    source: str  # "ingressClassName" | "annotation" | "default" | "none"
    controller: str | None
    implementation: str  # "emissary" | "spec" | "none"
    findings: tuple[Finding, ...] = ()


def default_classes(cluster: ClusterState) -> list[Obj]:
    return [c for c in cluster.of("IngressClass") if dig_str(c, "metadata", "annotations", DEFAULT_ANNOTATION).lower() == "true"]


def _controller(cluster: ClusterState, name: str) -> str | None:
    for c in cluster.of("IngressClass"):
        if name_of(c) == name:
            return dig_str(c, "spec", "controller") or None
    return None


def class_of(cluster: ClusterState, ingress: Obj) -> ClassChoice:
    subject = f"Ingress {key_of(ingress)}"
    spec_name = dig_str(ingress, "spec", "ingressClassName")
    annotation = dig_str(ingress, "metadata", "annotations", CLASS_ANNOTATION)
    findings: list[Finding] = []
    if spec_name:
        name, source = spec_name, "ingressClassName"
        if annotation and annotation != spec_name:
            findings.append(Finding(WARNING, "class-conflict", subject,
                                    f"ingressClassName {spec_name} and annotation {CLASS_ANNOTATION}={annotation} disagree; "
                                    "controllers may both serve it"))
    elif annotation:
        name, source = annotation, "annotation"
        findings.append(Finding(INFO, "class-annotation", subject,
                                f"class comes from the deprecated {CLASS_ANNOTATION} annotation"))
    else:
        defaults = default_classes(cluster)
        if not defaults:
            msg = "no ingressClassName, no class annotation and no default IngressClass: no controller is bound to serve it"
            return ClassChoice(None, "none", None, "none", (Finding(WARNING, "class-without-controller", subject, msg),))
        if len(defaults) > 1:
            findings.append(Finding(WARNING, "several-default-classes", subject, "more than one IngressClass is marked default"))
        name, source = name_of(min(defaults, key=name_of)), "default"
    controller = _controller(cluster, name)
    # Emissary also takes Ingresses annotated `ambassador` whether or not such an IngressClass exists.
    if controller is None and annotation.lower() == EMISSARY_LEGACY_CLASS:
        return ClassChoice(name, source, EMISSARY, "emissary", tuple(findings))
    if controller is None:
        msg = f"IngressClass {name} does not exist: no controller serves this Ingress"
        findings.append(Finding(WARNING, "class-without-controller", subject, msg))
        return ClassChoice(name, source, None, "none", tuple(findings))
    return ClassChoice(name, source, controller, implementation_of(controller), tuple(findings))

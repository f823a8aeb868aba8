"""Which mesh a pod is in, and how, read from its spec, labels and annotations (and its namespace's).

Signals, per mesh:
  Istio sidecar   an `istio-proxy` container (or native sidecar: an init container of that name
                  with restartPolicy Always), with `istio-init` (or `istio-validation` under the
                  CNI plugin) writing the redirect rules; `sidecar.istio.io/status` once injected
  Istio ambient   `istio.io/dataplane-mode: ambient` on the pod or its namespace (`none` on the
                  pod opts out); the node's ztunnel takes the traffic, nothing is in the pod
  Linkerd sidecar a `linkerd-proxy` container, `linkerd-init` (or the CNI plugin), and
                  `linkerd.io/inject` on the pod or namespace
  Cilium          `policy.cilium.io/proxy-visibility` on the pod: the node's Envoy, no sidecar
The proxy version is the proxy image's tag (or Linkerd's `linkerd.io/proxy-version`). What does
not add up (a sidecar on a pod that says inject "false", two meshes at once, a namespace that
asks for injection and a pod without it, a version this reader does not know) is a finding.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..model import Obj, dig_dict, dig_list, dig_str

ISTIO_PROXY = "istio-proxy"
ISTIO_INITS = ("istio-init", "istio-validation")
LINKERD_PROXY = "linkerd-proxy"
LINKERD_INIT = "linkerd-init"
AMBIENT_LABEL = "istio.io/dataplane-mode"
ISTIO_ANNOTATIONS = (
    "traffic.sidecar.istio.io/excludeOutboundPorts", "traffic.sidecar.istio.io/excludeOutboundIPRanges",
    "traffic.sidecar.istio.io/includeOutboundIPRanges", "traffic.sidecar.istio.io/includeInboundPorts",
    "traffic.sidecar.istio.io/excludeInboundPorts", "traffic.sidecar.istio.io/includeOutboundPorts",
)
LINKERD_ANNOTATIONS = ("config.linkerd.io/skip-outbound-ports", "config.linkerd.io/skip-inbound-ports")
# Releases this reader knows the redirect layout of (minor versions). Istio 1.31 is the module
# the test cluster builds; Linkerd stable 2.x and its edge-YY.M.N releases.
KNOWN_ISTIO_MINORS = tuple(range(10, 32))
KNOWN_LINKERD_MINORS = tuple(range(9, 19))
_SEMVER = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$")
_LINKERD_TAG = re.compile(r"^(?:stable-)?v?2\.(\d+)(?:\.\d+)?$|^edge-(\d\d)\.(\d+)\.(\d+)$")
_PORT_LIST = re.compile(r"^\s*(\*|\d{1,5}(?:-\d{1,5})?(?:\s*,\s*\d{1,5}(?:-\d{1,5})?)*)?\s*,?\s*$")


@dataclass(frozen=True, slots=True)
class PodMesh:
    """One pod's mesh. mesh: "istio", "linkerd", "cilium", "" (not meshed). mode: "sidecar",
    "native sidecar", "ambient", "node proxy", "". version: the proxy's release ("" if none,
    "unknown" if it could not be read)."""

    namespace: str
    name: str
    ip: str
    node: str
    mesh: str
    mode: str
    version: str
    proxy_image: str
    init: str  # the container that writes the redirect rules ("istio-init", "CNI plugin", ...)
    annotations: tuple[tuple[str, str], ...]  # the traffic annotations that shape the redirect
    reason: str  # why this reading, in words
    findings: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def meshed(self) -> bool:
        return self.mesh != ""


def image_tag(image: str) -> str:
    """The tag of an image reference ("" when it has only a digest or none)."""
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else ""


def istio_version(image: str) -> tuple[str, str | None]:
    """(version, finding): "1.24.2" from ...proxyv2:1.24.2(-distroless); unknown ones say why."""
    tag = image_tag(image)
    if not tag:
        return "unknown", f"proxy image {image!r} has no tag: its Istio release is not known"
    m = _SEMVER.match(tag.removesuffix("-distroless"))
    if not m:
        return "unknown", f"proxy image tag {tag!r} is not an Istio release number"
    if m.group(1) != "1" or int(m.group(2)) not in KNOWN_ISTIO_MINORS:
        return tag, f"Istio {tag} is a release this reader does not know: its redirect rules may differ"
    return tag.removesuffix("-distroless"), None


def linkerd_version(image: str, annotated: str) -> tuple[str, str | None]:
    tag = annotated or image_tag(image)
    if not tag:
        return "unknown", f"proxy image {image!r} has no tag and no linkerd.io/proxy-version"
    m = _LINKERD_TAG.match(tag)
    if not m:
        return tag, f"Linkerd proxy version {tag!r} is not a release this reader knows"
    if m.group(1) is not None and int(m.group(1)) not in KNOWN_LINKERD_MINORS:
        return tag, f"Linkerd {tag} is a release this reader does not know: its redirect rules may differ"
    return tag, None


def _containers(pod: Obj, where: str) -> list[dict[str, Any]]:
    return [c for c in dig_list(pod, "spec", where) if isinstance(c, dict)]


def _named(items: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((c for c in items if c.get("name") == name), None)


def _str_map(raw: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in raw.items()}


def detect_pod(pod: Obj, namespace_labels: Mapping[str, str] | None = None) -> PodMesh:
    """The mesh of `pod`; `namespace_labels` are its Namespace's labels (None: not readable)."""
    ns_labels = dict(namespace_labels or {})
    labels = _str_map(dig_dict(pod, "metadata", "labels"))
    notes = _str_map(dig_dict(pod, "metadata", "annotations"))
    containers = _containers(pod, "containers")
    inits = _containers(pod, "initContainers")
    findings: list[str] = []

    istio_proxy = _named(containers, ISTIO_PROXY)
    native = _named(inits, ISTIO_PROXY)
    if istio_proxy is None and native is not None and native.get("restartPolicy") == "Always":
        istio_proxy = native
    istio_init = next((n for n in ISTIO_INITS if _named(inits, n) is not None), "")
    linkerd_proxy = _named(containers, LINKERD_PROXY) or _named(inits, LINKERD_PROXY)
    linkerd_init = LINKERD_INIT if _named(inits, LINKERD_INIT) is not None else ""
    ambient_pod = labels.get(AMBIENT_LABEL, "")
    ambient_ns = ns_labels.get(AMBIENT_LABEL, "")
    ambient = ambient_pod == "ambient" or (ambient_ns == "ambient" and ambient_pod != "none")
    inject = labels.get("sidecar.istio.io/inject", notes.get("sidecar.istio.io/inject", ""))
    ns_injects = ns_labels.get("istio-injection") == "enabled" or bool(ns_labels.get("istio.io/rev"))
    if ns_labels.get("istio-injection") == "disabled":
        ns_injects = False

    istio_notes = tuple((k, notes[k]) for k in ISTIO_ANNOTATIONS if k in notes)
    linkerd_notes = tuple((k, notes[k]) for k in LINKERD_ANNOTATIONS if k in notes)
    for k, v in istio_notes + linkerd_notes:
        if k.endswith(("Ports", "ports")) and not _PORT_LIST.match(v):
            findings.append(f"annotation {k}={v!r} is not a list of ports: the init container would fail on it")

    mesh = mode = version = image = init = ""
    reason = "no proxy container, no ambient label"
    shaping: tuple[tuple[str, str], ...] = ()
    if istio_proxy is not None:
        mesh, image, shaping = "istio", str(istio_proxy.get("image", "")), istio_notes
        mode = "native sidecar" if istio_proxy is native else "sidecar"
        version, bad = istio_version(image)
        if bad:
            findings.append(bad)
        init = istio_init or ("CNI plugin" if "sidecar.istio.io/status" in notes else "")
        reason = f"container {ISTIO_PROXY} ({image or 'no image'})"
        if not init:
            findings.append("an istio-proxy container but no istio-init init container: the redirect rules "
                            "come from the Istio CNI plugin, or from nothing")
        if inject == "false":
            findings.append("sidecar.istio.io/inject is \"false\" but the pod has an istio-proxy container")
        if ambient:
            findings.append(f"{AMBIENT_LABEL}=ambient applies too, but Istio's ztunnel leaves pods with a "
                            "sidecar to their sidecar")
    elif linkerd_proxy is not None:
        mesh, mode, image, shaping = "linkerd", "sidecar", str(linkerd_proxy.get("image", "")), linkerd_notes
        version, bad = linkerd_version(image, notes.get("linkerd.io/proxy-version", ""))
        if bad:
            findings.append(bad)
        init = linkerd_init or "CNI plugin"
        reason = f"container {LINKERD_PROXY} ({image or 'no image'})"
    elif ambient:
        mesh, mode = "istio", "ambient"
        where = "the pod" if ambient_pod == "ambient" else "its namespace"
        reason = f"{AMBIENT_LABEL}=ambient on {where}: the node's ztunnel takes its traffic"
        init = "ztunnel (on the node)"
    elif "policy.cilium.io/proxy-visibility" in notes:
        mesh, mode, init = "cilium", "node proxy", "Cilium agent (on the node)"
        reason = "policy.cilium.io/proxy-visibility: the node's Envoy sees its L7 traffic"
    if istio_proxy is not None and linkerd_proxy is not None:
        findings.append("both an istio-proxy and a linkerd-proxy container: two meshes redirect the same pod")
    if not mesh:
        if ns_injects and inject != "false":
            findings.append("its namespace asks for Istio injection but the pod has no sidecar: made before "
                            "the label, or the injection webhook did not run")
        if istio_notes:
            findings.append(f"Istio traffic annotations ({', '.join(k for k, _ in istio_notes)}) on a pod "
                            "without a sidecar: they do nothing")
        if istio_init:
            findings.append(f"init container {istio_init} without an istio-proxy: connections are "
                            "redirected to a proxy that is not there")
    return PodMesh(namespace=dig_str(pod, "metadata", "namespace"), name=dig_str(pod, "metadata", "name"),
                   ip=dig_str(pod, "status", "podIP"), node=dig_str(pod, "spec", "nodeName"),
                   mesh=mesh, mode=mode, version=version, proxy_image=image, init=init,
                   annotations=shaping, reason=reason, findings=tuple(findings))

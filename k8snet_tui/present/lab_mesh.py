"""The guided lab's step 6 (service mesh), answered from the mesh pane's facts (domain/mesh).

The lab's own page for step 6 has no commands, so the questions are the ones the mesh pane
answers: which pods are meshed and how, what a meshed pod's own rules redirect to its proxy, and
where a connection from that pod to the lab's Service goes (the proxy or kube-proxy's rules) and
whether the mesh makes it mTLS. Each returns (lines, known); lab.py wraps them as answers.
"""

from __future__ import annotations

from k8snet_tui.domain.mesh.detect import detect_pod
from k8snet_tui.domain.mesh.view import MeshPod, build_mesh_view, explain
from k8snet_tui.domain.model import ClusterState, Obj, Observed, dig_dict, dig_str, name_of, namespace_of

from .mesh import dest_config, layout_lines, mode_words

MAX_LISTED = 4
NOT_MESHED = ("No pod here is meshed: no Istio or Linkerd proxy container, no ambient label.",
              "A mesh shows once it is installed: for Istio, kubectl label namespace default "
              "istio-injection=enabled, then restart the Deployment; pane 0 (Mesh) shows each pod.")


def meshed_pod(cluster: ClusterState, client: Obj | None) -> str:
    """The pod the step's questions are about: the lab's client when it is meshed, else the first
    pod with a sidecar, else the first meshed one; "" when none is."""
    labels = {name_of(ns): {str(k): str(v) for k, v in dig_dict(ns, "metadata", "labels").items()}
              for ns in cluster.of("Namespace")}
    found = [detect_pod(p, labels.get(namespace_of(p))) for p in cluster.of("Pod")
             if dig_dict(p, "spec").get("hostNetwork") is not True]
    found = [f for f in found if f.meshed]
    client_key = f"{namespace_of(client)}/{name_of(client)}" if client is not None else ""
    found.sort(key=lambda f: (f.key != client_key, "sidecar" not in f.mode, f.key))
    return found[0].key if found else ""


def _row(observed: Observed, key: str) -> MeshPod | None:
    ns = key.partition("/")[0]
    return build_mesh_view(observed.cluster, observed.nodes, ns).pod(key) if key else None


def who_is_meshed(observed: Observed, key: str) -> tuple[tuple[str, ...], bool]:
    view = build_mesh_view(observed.cluster, observed.nodes, None)
    meshed = [p for p in view.pods if p.meshed]
    if not meshed:
        return NOT_MESHED, False
    lines = [f"{len(meshed)} of {len(view.pods)} pods are meshed:"]
    lines += [f"  {p.key}: {mode_words(p)}" + (f", rules written by {p.init}" if p.init else "")
              for p in meshed[:MAX_LISTED]]
    if len(meshed) > MAX_LISTED:
        lines.append(f"  and {len(meshed) - MAX_LISTED} more (pane 0 lists them)")
    if view.namespaces_injected:
        lines.append(f"Namespaces whose new pods get a sidecar: {', '.join(view.namespaces_injected)}.")
    if view.namespaces_ambient:
        lines.append(f"Namespaces in ambient mode: {', '.join(view.namespaces_ambient)}.")
    return tuple(lines), True


def redirects(observed: Observed, key: str) -> tuple[tuple[str, ...], bool]:
    row = _row(observed, key)
    if row is None:
        return NOT_MESHED, False
    lines = layout_lines(row)
    known = row.redirects.state == "read" or row.mode == "ambient"
    if not known:
        lines += ("Its own rules are read inside its network namespace on its node: k8snet capture on that "
                  "node (the probe reads pod namespaces), or the node agent live.",)
    return lines, known


def to_the_service(observed: Observed, key: str, service: Obj | None) -> tuple[tuple[str, ...], bool]:
    row = _row(observed, key)
    if row is None:
        return NOT_MESHED, False
    if service is None:
        return (f"{key} is meshed, but this cluster has no Service with ready endpoints to connect to.",), False
    ip = dig_str(service, "spec", "clusterIP")
    ports = [p for p in dig_dict(service, "spec").get("ports") or [] if isinstance(p, dict)]
    port = int(ports[0].get("port") or 0) if ports else 0
    if not ip or ip == "None" or not port:
        return (f"{namespace_of(service)}/{name_of(service)} has no cluster IP and port to connect to.",), False
    e = explain(row, ip, port)
    lines = [f"{key} -> {namespace_of(service)}/{name_of(service)} ({ip}:{port}): {e.words}", f"Order: {e.order}."]
    if e.after:
        lines.append(f"Then {e.after}.")
    config = dest_config(observed.cluster, key, ip, port)
    if config is not None:
        lines.append(f"mTLS: {config.tls.words}")
    return tuple(lines), e.verdict != "unknown" or row.mode == "ambient"

"""`k8snet path --check` and the Path pane's `c`: the real connection beside the diagnosis.

One TCP connect from the source pod's network namespace to the address and port the diagnosis
says the pod dials (sources/pod_connect.py makes it, read-only, through a root child), then
`domain.path.compare` puts the two side by side. No attempt is made from a snapshot, from a
source that is not a pod, or when the walk found nothing to dial; the reason is shown instead.
"""

from __future__ import annotations

from k8snet_tui.domain.path import Diagnosis, check_target, compare

NOT_BUILT = "the connection check is not built into this k8snet (sources/pod_connect.py is missing)"


def attempt(d: Diagnosis, pod_ip: str, mode: str, timeout_s: float = 2.0) -> Diagnosis:
    """`d` with the live attempt (or the reason there is none) attached. Blocking: a few seconds."""
    target = check_target(d)
    host, port = target if target is not None else ("", 0)
    if mode != "live":
        return _none(d, host, port, "this is a snapshot: there is no live node to connect from; open the live "
                                    "cluster on the pod's node to try the connection")
    if not pod_ip or "/" not in d.src or d.src.startswith("node/"):
        return _none(d, host, port, "the check connects from a pod's network namespace: FROM is not a pod")
    if target is None:
        return _none(d, host, port, "the walk found no address and port to connect to")
    try:
        from k8snet_tui.sources.pod_connect import connect_from_pod
    except ImportError:
        return _none(d, host, port, NOT_BUILT)
    result = connect_from_pod(pod_ip, host, port, timeout_s)
    return compare(d, host, port, ok=result.ok, error=result.error, elapsed_ms=result.elapsed_ms,
                   netns=result.netns, unavailable=result.unavailable)


def _none(d: Diagnosis, host: str, port: int, why: str) -> Diagnosis:
    return compare(d, host, port, ok=False, error=None, elapsed_ms=None, netns=None, unavailable=why)

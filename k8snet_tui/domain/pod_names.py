"""Pod names close to one that was mistyped, for a "did you mean" that names real pods."""

from __future__ import annotations

import difflib

from k8snet_tui.domain.model import ClusterState, dig_str


def pod_keys(cluster: ClusterState) -> list[str]:
    return [f"{dig_str(p, 'metadata', 'namespace')}/{dig_str(p, 'metadata', 'name')}" for p in cluster.of("Pod")]


def near_pods(cluster: ClusterState, key: str, limit: int = 3) -> list[str]:
    """Up to `limit` pod keys ("ns/name") near `key`: the same name in another namespace, or a
    workload's pods named by their prefix ("website" -> "default/website-...-5lcp8"), first;
    else the keys spelled closest."""
    keys = pod_keys(cluster)
    name = key.partition("/")[2] or key
    near = [k for k in keys if k.partition("/")[2] == name or k.partition("/")[2].startswith(name + "-")][:limit]
    return near or difflib.get_close_matches(key, keys, n=limit, cutoff=0.8)

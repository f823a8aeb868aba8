"""Each pane's view model built from the largest snapshot, plus a trace, cold and warm.

"cold" is the first build on a freshly loaded ClusterState (any lazily built index included);
"warm" is the median of the next builds on the same state (what a re-render costs when the
state did not change). The datapath is parsed once up front, as the app does.
"""

from __future__ import annotations

import gc
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from k8snet_tui.domain.datapath import parse_node_datapath
from k8snet_tui.domain.dns import build_dns_view
from k8snet_tui.domain.layers import build_host_view, build_podnet_view
from k8snet_tui.domain.model import name_of, namespace_of
from k8snet_tui.domain.routes import build_ingress_view
from k8snet_tui.domain.services import build_services_view, trace_service
from k8snet_tui.sources.snapshot import load_snapshot

WARM = 3


def _time(fn: Callable[[], Any], warm: int) -> dict[str, float]:
    gc.collect()
    t0 = time.perf_counter()
    fn()
    cold = time.perf_counter() - t0
    runs = []
    for _ in range(warm):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return {"cold_ms": round(cold * 1000, 1), "warm_median_ms": round(statistics.median(runs) * 1000, 1) if runs else None}


def bench_views(scale: str, data: Path, warm: int = WARM) -> dict:
    snap = load_snapshot(data / "snapshot")
    node = snap.local
    dp = parse_node_datapath(node, snap.cluster)
    out: dict = {"scale": scale, "pods": len(snap.cluster.of("Pod")), "services": len(snap.cluster.of("Service"))}
    builders: dict[str, Callable[[Any], Any]] = {
        "services": lambda c: build_services_view(c, node, datapath=dp),
        "pods": lambda c: build_podnet_view(c, node),
        "host": lambda c: build_host_view(c, node),
        "dns": lambda c: build_dns_view(c, node),
        "ingress": lambda c: build_ingress_view(c),
    }
    for pane, build in builders.items():
        cluster = replace(snap.cluster)  # a fresh ClusterState: no index carried over
        out[pane] = _time(lambda build=build, cluster=cluster: build(cluster), warm)
    cluster = replace(snap.cluster)
    picks = random.Random(f"views-{scale}").sample(list(cluster.of("Service")), 20)
    samples = []
    t_first = None
    for svc in picks:
        t0 = time.perf_counter()
        trace_service(cluster, node, namespace_of(svc), name_of(svc), datapath=dp)
        dt = time.perf_counter() - t0
        if t_first is None:
            t_first = dt
        else:
            samples.append(dt)
    out["trace"] = {"cold_ms": round((t_first or 0) * 1000, 1),
                    "warm_median_ms": round(statistics.median(samples) * 1000, 2)}
    return out

"""Trace one service after the node's datapath is parsed and indexed (iptables and nftables modes)."""

from __future__ import annotations

import random
import time
from pathlib import Path

from k8snet_tui.domain.datapath import parse_node_datapath
from k8snet_tui.domain.datapath.endpoints import service_ports
from k8snet_tui.domain.datapath.trace_iptables import trace_iptables_port
from k8snet_tui.domain.datapath.trace_nft import trace_nft_port
from k8snet_tui.domain.model import name_of, namespace_of
from k8snet_tui.domain.services import trace_service
from k8snet_tui.sources.snapshot import load_snapshot

from .common import summary_ms


def bench_trace(scale: str, data: Path, samples: int = 100) -> dict:
    out: dict = {"scale": scale}
    for mode, snapdir in (("iptables", "snapshot"), ("nftables", "snapshot-nft")):
        t0 = time.perf_counter()
        snap = load_snapshot(data / snapdir)
        load_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        dp = parse_node_datapath(snap.local, snap.cluster)
        index_s = time.perf_counter() - t0
        svcs = list(snap.cluster.of("Service"))
        picks = random.Random(f"trace-{scale}").sample(svcs, min(samples, len(svcs)))
        full, kernel = [], []
        endpoints = 0
        for svc in picks:
            ns, name = namespace_of(svc), name_of(svc)
            t0 = time.perf_counter()
            tr = trace_service(snap.cluster, snap.local, ns, name, datapath=dp)
            full.append(time.perf_counter() - t0)
            endpoints += sum(len(p.endpoints) for p in tr.ports)
            t0 = time.perf_counter()
            for port in service_ports(svc):
                if mode == "iptables":
                    trace_iptables_port(dp.iptables_dump, ns, name, port)
                else:
                    trace_nft_port(dp.nft, ns, name, port, (svc["spec"]["clusterIP"],))
            kernel.append(time.perf_counter() - t0)
        out[mode] = {"backend": dp.backend, "snapshot_load_s": round(load_s, 3), "parse_index_s": round(index_s, 3),
                     "trace_service": summary_ms(full), "kernel_only": summary_ms(kernel),
                     "endpoints_seen": endpoints}
        del snap, dp
    return out


def bench_fanout(sizes: tuple[int, ...] = (1000, 4000)) -> dict:
    """The worst case of issue [trust] 5: N service-chain rules into one endpoint chain of N rules.

    Per size and mode: the parse (as `k8snet trace` does it) and the trace, timed apart, the
    steps recorded, and the peak traced memory of parse + trace in a second, tracemalloc'd run
    (tracemalloc slows the run, so it is not timed), so a quadratic walk shows in both.
    """
    import tracemalloc

    from k8snet_tui.domain.model import ClusterState, NodeState

    from bench.gen.fanout import NAME, NAMESPACE, fanout_iptables, fanout_nft, fanout_objects

    cluster = ClusterState.from_objects(fanout_objects())
    out: dict = {}
    for n in sizes:
        for mode in ("iptables", "nftables"):
            node = (NodeState(node="n", iptables={"legacy": fanout_iptables(n)}) if mode == "iptables"
                    else NodeState(node="n", nft_ruleset=fanout_nft(n)))
            t0 = time.perf_counter()
            dp = parse_node_datapath(node, cluster)
            parse_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            tr = trace_service(cluster, node, NAMESPACE, NAME, datapath=dp)
            trace_s = time.perf_counter() - t0
            tracemalloc.start()
            trace_service(cluster, node, NAMESPACE, NAME)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            port = tr.ports[0]
            out[f"{mode}_n{n}"] = {"parse_s": round(parse_s, 3), "trace_s": round(trace_s, 3),
                                   "seconds": round(parse_s + trace_s, 3), "steps": len(port.steps),
                                   "endpoints": len(port.endpoints), "peak_traced_mib": round(peak / 2**20, 1)}
    return out

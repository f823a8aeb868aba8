"""`k8snet path`: one diagnosis after indexing, at scale L (10,000 Services, 30,000 pods, 100 nodes).

The synthetic L snapshot (iptables mode: the local node's kube-proxy rules for every Service).
The first diagnoses build what every later one reuses (the DNS model, the Service and address
indexes, the policy index, the node's parsed datapath, the NodePort table); each chain of the
dump is still parsed on the first trace that reads it, inside the timed diagnoses. Then each of
`samples` diagnoses asks
from a random pod on the captured node to a random Service as `svc.ns:port` (the pod's own
search walk: the name is tried with the pod's search domains first). Every hop runs (dns,
service, endpoints, port, datapath, network, policy).
Numbers, never assertions (docs/performance.md).
"""

from __future__ import annotations

import random
import statistics
import time
from pathlib import Path
from typing import Any

from k8snet_tui.domain.datapath.endpoints import service_ports
from k8snet_tui.domain.model import Observed, dig_str, key_of, name_of, namespace_of
from k8snet_tui.domain.path import diagnose
from k8snet_tui.sources.snapshot import load_snapshot

WARMUP = 10  # diagnoses that build the indexes some hops reach only on their first NodePort, headless...


def bench_path(scale: str, data: Path, samples: int = 200) -> dict[str, Any]:
    t0 = time.perf_counter()
    snap = load_snapshot(data / "snapshot")
    load_s = time.perf_counter() - t0
    observed = Observed(cluster=snap.cluster, nodes=snap.nodes, local_node=snap.local_node)
    rng = random.Random(f"path-{scale}")
    local = snap.local_node
    sources = [key_of(p) for p in snap.cluster.of("Pod") if dig_str(p, "spec", "nodeName") == local
               and dig_str(p, "status", "podIP")]
    services = [s for s in snap.cluster.of("Service") if service_ports(s) and dig_str(s, "spec", "clusterIP")
                not in ("", "None")]
    asks = []
    for _ in range(samples + WARMUP):
        svc = rng.choice(services)
        port = service_ports(svc)[0]
        asks.append((rng.choice(sources), f"{name_of(svc)}.{namespace_of(svc)}:{port.port}"))
    t0 = time.perf_counter()
    first = diagnose(observed, *asks[0])
    first_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for ask in asks[1:WARMUP]:
        diagnose(observed, *ask)
    warm_s = time.perf_counter() - t0
    times, cpu, verdicts, firsts = [], [], {}, {}
    for src, dst in asks[WARMUP:]:
        t, c = time.perf_counter(), time.process_time()
        d = diagnose(observed, src, dst)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        verdicts[d.verdict] = verdicts.get(d.verdict, 0) + 1
        hop = d.first_failure.hop if d.first_failure else "none"
        firsts[hop] = firsts.get(hop, 0) + 1
    times.sort()
    cpu.sort()
    return {"scale": scale, "services": len(services), "pods": len(snap.cluster.of("Pod")),
            "source_pods_on_node": len(sources), "snapshot_load_s": round(load_s, 2),
            "first_diagnosis_with_indexing_s": round(first_s, 3), "first_hops": [h.hop for h in first.hops],
            "warmup_diagnoses": WARMUP - 1, "warmup_s": round(warm_s, 3),
            "samples": samples, "median_ms": round(statistics.median(times) * 1000, 2),
            "p90_ms": round(times[int(len(times) * 0.9)] * 1000, 2),
            "p99_ms": round(times[int(len(times) * 0.99)] * 1000, 2), "max_ms": round(times[-1] * 1000, 2),
            "cpu_median_ms": round(statistics.median(cpu) * 1000, 2),
            "cpu_p99_ms": round(cpu[int(len(cpu) * 0.99)] * 1000, 2), "verdicts": verdicts,
            "first_failures": firsts}


if __name__ == "__main__":
    import json
    import os
    import sys

    from bench.gen import generate

    scale = sys.argv[1] if len(sys.argv) > 1 else "L"
    print(json.dumps({"load": os.getloadavg(), **bench_path(scale, generate(scale))}, indent=1))

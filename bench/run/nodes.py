"""Node state through the node agents (issue 20): one node on the test cluster, 100 on a fake.

    python -m bench.run.nodes --cluster [--repeat 5] [--hold FILE]   # root, K8SNET_CLUSTER_BIN set
    python -m bench.run.nodes --fake 100 [--doc-mib 2] [--probe-ms 300] [--concurrency 1,8,16]

--cluster: starts the test cluster, its per-node kubelet exec endpoints and the agent from
`k8snet agent manifest`, then times `LiveSession.node_state("node-2", refresh=True)` (pod list
+ pods/exec + the probe run inside node-2 + parse) against the probe alone inside node-2's
namespace, so what the API-server path adds is the difference. Its parts: the python-iptables
cross-check child alone (most of the probe), and the import it no longer pays (setuptools'
distutils shim, which python-iptables pulled in). `--hold FILE` keeps the cluster, its agents
and the reader's Role up after measuring, until FILE exists (to try the TUI against it).

--fake: a loopback API server whose every exec answers after `--probe-ms` with a `--doc-mib`
document, for N nodes; a capture's read of every node (iter_node_states feeding write_snapshot,
as `k8snet capture` does) timed per concurrency, with tracemalloc's peak: bounded memory means
the peak follows the concurrency, not N. Numbers, never assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from .common import load_text


def _doc(node: str, mib: float) -> bytes:
    from k8snet_tui.sources.probe_client import PROBE_FORMAT

    rule = ("-A KUBE-SEP-ABCDEFGHIJKLMNOP -p tcp -m comment --comment \"ns/svc:http\" -m tcp "
            "-j DNAT --to-destination 10.244.1.23:8080\n")
    lines = max(1, int(mib * 2**20 / len(rule)))
    nat = "*nat\n:KUBE-SERVICES - [0:0]\n" + rule * lines + "COMMIT\n"
    return json.dumps({"format": PROBE_FORMAT, "hostname": node, "captured_at": time.time(),
                       "iptables": {"nft": nat}, "routes": [], "errors": []}).encode()


def _states(results, ok: list[int]):
    for r in results:
        if r.state is not None:
            ok[0] += 1
            yield r.node, r.state


def bench_fake(nodes: int, doc_mib: float, probe_ms: float, concurrencies: list[int]) -> dict:
    from k8snet_tui.sources.capture import write_snapshot
    from k8snet_tui.sources.node_capture import iter_node_states
    from k8snet_tui.sources.node_exec import AgentReader

    from tests.sources import test_node_exec as fake_api

    server = fake_api.FakeApiServer()
    server.pods = [fake_api.pod(f"agent-node{i}", f"node-{i}") for i in range(nodes)]
    body = _doc("node-0", doc_mib)  # one document served for every node (its bytes are what count)

    def script(pod_name: str):
        time.sleep(probe_ms / 1000)
        chunks = [b"\x01" + body[i:i + 256 * 1024] for i in range(0, len(body), 256 * 1024)]
        return 101, [*chunks, b"\x03" + fake_api.SUCCESS], 0

    server.script = script
    tmp = Path(tempfile.mkdtemp(prefix="k8snet-bench-nodes-"))
    cfg = tmp / "config"
    cfg.write_text(f"apiVersion: v1\nkind: Config\nclusters:\n- name: f\n"
                   f"  cluster: {{server: 'http://127.0.0.1:{server.port}'}}\n"
                   f"users:\n- name: me\n  user: {{token: {fake_api.TOKEN}}}\n"
                   "contexts:\n- name: c\n  context: {cluster: f, user: me}\ncurrent-context: c\n")
    from k8snet_tui.domain.model import ClusterState, Observed
    from k8snet_tui.sources.kubeconfig import KubeconfigChoice
    from k8snet_tui.sources.live_api import LiveApi

    out: dict = {"nodes": nodes, "doc_bytes": len(body), "probe_ms": probe_ms, "runs": []}
    names = [f"node-{i}" for i in range(nodes)]
    for conc in concurrencies:
        reader = AgentReader(LiveApi(KubeconfigChoice((str(cfg),), False, str(cfg)), "c"), timeout=120)
        reader.agents()  # the pod list once, as capture does before reading
        target = tmp / f"snap-{conc}"
        observed = Observed(cluster=ClusterState.from_objects([]), nodes={}, local_node="", mode="live")
        ok = [0]
        tracemalloc.start()
        t0 = time.perf_counter()
        write_snapshot(target, observed, source="bench",
                       more_nodes=_states(iter_node_states(reader.read, names, concurrency=conc, progress=None), ok))
        wall = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        run = {"concurrency": conc, "wall_s": round(wall, 2), "nodes_ok": ok[0],
               "nodes_per_s": round(nodes / wall, 1), "peak_traced_mib": round(peak / 2**20, 1),
               "per_node_mib": round(peak / 2**20 / max(1, min(conc, nodes)), 1)}
        print(json.dumps(run), flush=True)
        out["runs"].append(run)
        shutil.rmtree(target, ignore_errors=True)
    server.stop()
    shutil.rmtree(tmp, ignore_errors=True)
    return out


def _timed(argv: list[str]) -> float:
    import subprocess

    t0 = time.perf_counter()
    subprocess.run(argv, capture_output=True, timeout=120, check=True)
    return time.perf_counter() - t0


def bench_cluster(repeat: int, hold: str | None = None) -> dict:
    import subprocess

    from k8snet_tui.agent import manifest_text, reader_role
    from k8snet_tui.collect.session import LiveSession

    from tests.cluster.harness import kubelet_exec
    from tests.cluster.harness.cluster import LabCluster
    from tests.cluster.live_reads import probe_argv
    from tests.cluster.test_hardening_helpers import live_api
    from tests.cluster.test_nodes_exec import BINDING

    cluster = LabCluster(os.environ["K8SNET_CLUSTER_BIN"])
    cluster.start()
    try:
        kubelet_exec.start(cluster)
        cluster.apply(manifest_text("k8snet-test:local"))
        cluster.apply([reader_role(), BINDING])
        kubelet_exec.wait_for_agents(cluster, ("node-1", "node-2"))
        session = LiveSession(live_api(cluster.users["restricted"].kubeconfig), "restricted",
                              namespace="default", read_node=None)
        t0 = time.perf_counter()
        first = session.node_state("node-2")
        cold = time.perf_counter() - t0
        assert first.ok, first.error
        warm, local, cached, child, shim = [], [], [], [], []
        in_node2 = ["ip", "netns", "exec", cluster.nodes["node-2"].netns, sys.executable, "-I"]
        for _ in range(repeat):
            t0 = time.perf_counter()
            r = session.node_state("node-2", refresh=True)
            warm.append(time.perf_counter() - t0)
            assert r.ok, r.error
            t0 = time.perf_counter()
            session.node_state("node-2")
            cached.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            subprocess.run(probe_argv(cluster, "node-2"), capture_output=True, timeout=60, check=True)
            local.append(time.perf_counter() - t0)
            child.append(_timed([*in_node2, "-m", "k8snet_tui.probe.iptc_child", "nat"]))
            shim.append(_timed([*in_node2, "-c", "import distutils.sysconfig, iptc"]))
        out = {"cold_s": round(cold, 3), "through_exec_median_s": round(statistics.median(warm), 3),
               "through_exec_max_s": round(max(warm), 3),
               "local_probe_in_node2_median_s": round(statistics.median(local), 3),
               "cached_median_ms": round(statistics.median(cached) * 1000, 3), "repeat": repeat,
               "cross_check_child_median_s": round(statistics.median(child), 3),
               "iptc_import_with_distutils_shim_median_s": round(statistics.median(shim), 3),
               "load_after": load_text()}
        print(json.dumps(out), flush=True)
        if hold:
            print(json.dumps({"held": hold, "kubeconfigs": {u: str(cluster.users[u].kubeconfig)
                                                             for u in ("admin", "restricted", "viewer")},
                              "node_netns": {n: cluster.nodes[n].netns for n in ("node-1", "node-2")}}),
                  flush=True)
            while not os.path.exists(hold):
                time.sleep(1)
        return out
    finally:
        cluster.stop()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.run.nodes")
    p.add_argument("--cluster", action="store_true")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--hold", metavar="FILE", help="--cluster: keep it up after measuring until FILE exists")
    p.add_argument("--fake", type=int, default=0, metavar="NODES")
    p.add_argument("--doc-mib", type=float, default=2.0)
    p.add_argument("--probe-ms", type=float, default=300.0)
    p.add_argument("--concurrency", default="1,8,16")
    args = p.parse_args(argv)
    os.environ.setdefault("K8SNET_OFFLINE", "1")
    result: dict = {"load_start": load_text()}
    if args.fake:
        result["fake"] = bench_fake(args.fake, args.doc_mib, args.probe_ms,
                                    [int(c) for c in args.concurrency.split(",")])
    if args.cluster:
        result["cluster"] = bench_cluster(args.repeat, args.hold)
    result["load_end"] = load_text()
    json.dump(result, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

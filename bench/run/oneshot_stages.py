"""Where one `k8snet trace` goes, stage by stage, in a fresh process (run by bench/run/oneshot.py).

    python -m bench.run.oneshot_stages SNAPSHOT_DIR NS/NAME    -> one JSON line

The stages are the CLI's own steps done one after the other with the collector off, as the CLI
runs them: imports, reading the files (the directory reader, caps and all), decoding the API
lists and the node files (the rest of `load_snapshot`; pods and slices are only cut into items
and their heads read), the datapath (the dump's chains found or indexed, and KUBE-SERVICES read
as the trace reads it), the pod index (from the pods' heads), and the trace itself, which decodes
the pods and slices it reads (their counts are in the output).
CPU seconds of the process (user + system) are given beside the wall clock, since on a shared
machine the wall clock also counts waiting for a core.
"""

from __future__ import annotations

import gc
import itertools
import json
import sys
import time


def _cpu() -> float:
    return time.process_time()  # user + system of this process


def main(argv: list[str]) -> int:
    snap_dir, ref = argv
    gc.disable()
    marks: list[tuple[str, float, float]] = [("start", time.perf_counter(), _cpu())]

    def mark(name: str) -> None:
        marks.append((name, time.perf_counter(), _cpu()))

    import k8snet_tui.cli
    import k8snet_tui.views
    from k8snet_tui.domain.datapath.backend import parse_node_datapath
    from k8snet_tui.domain.datapath.endpoints import shared_pod_index
    from k8snet_tui.domain.model import Observed
    from k8snet_tui.present.serialize import to_jsonable
    from k8snet_tui.sources.snapshot import load_snapshot
    from k8snet_tui.sources.snapshot_dir import read_directory
    mark("imports")
    from pathlib import Path

    reading = read_directory(Path(snap_dir))
    read_bytes = sum(len(b) for b in reading.files.values())
    del reading
    mark("read_files")
    snap = load_snapshot(snap_dir)
    mark("load_snapshot")  # reads the files again: the decode is this minus read_files
    datapath = parse_node_datapath(snap.local, snap.cluster)
    mark("dump_index")  # (and KUBE-SERVICES read as the trace reads it: whole, or its lines checked)
    dump = datapath.iptables_dump
    shared_pod_index(snap.cluster)
    mark("pod_index")
    obs = Observed(cluster=snap.cluster, nodes=snap.nodes, local_node=snap.local_node)
    result = k8snet_tui.views.trace(obs, ref, datapath=datapath)
    json.dumps(to_jsonable(result))
    mark("trace_and_json")
    out: dict = {"read_mib": round(read_bytes / 2**20, 1)}
    # What the trace decoded of the deferred lists, and whether the dump's lines were indexed.
    for kind in ("Pod", "EndpointSlice"):
        items = snap.cluster.deferred(kind)
        out[f"decoded_{kind}"] = f"{items.decoded}/{len(items)}" if items is not None else "all (not deferred)"
    out["dump_lines_indexed"] = getattr(dump, "lines_indexed", True)
    for (_, t0, c0), (name, t1, c1) in itertools.pairwise(marks):
        out[name] = {"wall_s": round(t1 - t0, 4), "cpu_s": round(c1 - c0, 4)}
    load = out["load_snapshot"]
    out["decode_only"] = {k: round(load[k] - out["read_files"][k], 4) for k in ("wall_s", "cpu_s")}
    out["total"] = {"wall_s": round(marks[-1][1] - marks[0][1], 4), "cpu_s": round(marks[-1][2] - marks[0][2], 4)}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

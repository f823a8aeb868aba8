"""`python -m bench.run [--scales S,M,L] [--json out.json] [--only parse,iptc,...] [--xl]`

Benchmarks (never assertions): iptables parse + index per scale; our parser vs python-iptables
in a scratch network namespace; trace after indexing; each pane's view model (cold/warm); raw JSON vs typed models; app start to
first paint (bundled lab, N subprocess runs) and to all rows on the largest snapshot, with peak
RSS; key latency and event-loop stalls under 1,000 store updates/s; filter of a 10k-row table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from .common import PY, load_text, pct, run_child
from bench.gen import SCALES, generate, manifest

ALL = ("parse", "oneshot", "iptc", "trace", "fanout", "views", "models", "start", "latency", "table", "policy",
       "path")


def _machine() -> dict:
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    import textual

    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gib": round(mem_kib / 2**20, 1),
            "python": platform.python_version(), "textual": textual.__version__,
            "kernel": platform.release(), "loadavg_start": load_text(),
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def _child(mode: str, *extra: str, timeout: float = 900) -> dict:
    t_spawn = time.time()
    rc, out, err, wall, _ = run_child([PY, "-m", "bench.run.app_child", mode, *extra], timeout=timeout)
    for line in out.splitlines():
        if line.startswith("BENCH-RESULT "):
            res = json.loads(line.split(" ", 1)[1])
            res["t_spawn"] = t_spawn
            res["wall_s"] = round(wall, 3)
            return res
    return {"error": f"rc={rc}: {err.strip()[-500:]}"}


def bench_start(largest: str | None, data_root: Path | None, runs: int) -> dict:
    firsts, readies, rss = [], [], []
    for _ in range(runs):
        r = _child("start", "--snapshot", "lab")
        if "error" in r:
            return {"error": r["error"]}
        firsts.append(r["first_paint"] - r["t_spawn"])
        readies.append(r["settled"] - r["t_spawn"])
        rss.append(r["peak_rss_kib"])
        imports = r["t_imports"] - r["t_spawn"]
    out: dict = {"lab": {"runs": runs, "first_paint_median_s": round(statistics.median(firsts), 3),
                         "first_paint_all_s": [round(x, 3) for x in firsts],
                         "settled_median_s": round(statistics.median(readies), 3),
                         "imports_s_last": round(imports, 3), "peak_rss_mib": round(max(rss) / 1024, 1)}}
    if largest:
        d = generate(largest, data_root)
        expect = manifest(largest, data_root)["services"]
        r = _child("start", "--snapshot", str(d / "snapshot"), "--expect-rows", str(expect), "--timeout", "120", "--settle")
        if "error" in r:
            out[largest] = {"error": r["error"]}
        else:
            out[largest] = {
                "services": expect, "session_loaded_s": round(r["t_session"] - r["t_spawn"], 3),
                "first_paint_s": round(r["first_paint"] - r["t_spawn"], 3),
                "rows": r["rows"], "all_rows_s": round(r["rows_done"] - r["t_spawn"], 3),
                "first_rows_s": round(r["first_rows"] - r["t_spawn"], 3) if "first_rows" in r else None,
                "first_rows_count": r.get("first_rows_count"),
                "all_rows_loaded": r["rows"] >= expect, "peak_rss_mib": round(r["peak_rss_kib"] / 1024, 1)}
    return out


def bench_latency(scale: str, data_root: Path | None, seconds: float) -> dict:
    d = generate(scale, data_root)
    r = _child("latency", "--snapshot", str(d / "snapshot"), "--seconds", str(seconds), "--rate", "1000")
    if "error" in r:
        return {"scale": scale, "error": r["error"]}
    lat = r["key_latency_ms"]
    return {"scale": scale, "presses": len(lat), "key_p50_ms": round(pct(lat, 0.5), 1),
            "key_p95_ms": round(pct(lat, 0.95), 1), "key_max_ms": round(max(lat), 1),
            "max_loop_stall_ms": r["max_loop_lag_ms"], "p99_loop_lag_ms": r["p99_loop_lag_ms"],
            "updates_per_s": r["updates_per_s"], "peak_rss_mib": round(r["peak_rss_kib"] / 1024, 1),
            **{k: r[k] for k in ("gc_collections", "gc_full_collections", "gc_longest_ms", "gc_total_ms") if k in r}}


def bench_table(scale: str, data_root: Path | None, rows: int) -> dict:
    d = generate(scale, data_root)
    r = _child("table", "--snapshot", str(d / "snapshot"), "--rows", str(rows))
    if "error" in r:
        return {"scale": scale, "error": r["error"]}
    return {"scale": scale, "rows": r["rows"], "set_rows_s": round(r["set_rows_s"], 3),
            "set_rows_painted_s": round(r["set_rows_painted_s"], 3), "update_1pct_s": round(r["update_1pct_s"], 3),
            "filtered_rows": r["filtered_rows"],
            "filter_median_ms": round(statistics.median(r["filter_narrow_s"]) * 1000, 1),
            "filter_clear_median_ms": round(statistics.median(r["filter_clear_s"]) * 1000, 1),
            "peak_rss_mib": round(r["peak_rss_kib"] / 1024, 1)}


def _print_table(res: dict) -> None:
    rows: list[tuple[str, str, str]] = []
    for p in res.get("parse", []):
        rows.append((f"parse+index {p['scale']}", f"{p['lines']:,} lines in {p['seconds']:.3f} s",
                     f"{p['lines_per_s']:,} lines/s; {p['retained_bytes_per_rule']} B/rule retained"))
    for o in res.get("oneshot", []):
        lim, dump = o["limits"], o["dump"]
        rows.append((f"one-shot limits {o['scale']}", f"imports {o['imports_s']} s + read {lim['read_s']} s + find "
                     f"{lim['find_svc_and_seps_s']} s = {o['limit_s']} s", f"split of every line {lim['split_s']} s"))
        rows.append((f"dump {o['scale']}", f"full parse {dump['full_parse_s']} s, lazy index {dump['lazy_index_s']} s",
                     f"x{dump['ratio_full_over_index']}; index + one chain {dump['lazy_index_plus_one_chain_s']} s"))
        for tree in ("before", "after"):
            for cmd, r in o.get(tree, {}).items():
                rows.append((f"{cmd} {o['scale']} {tree}", "ERROR" if "error" in r else f"{r['wall_s']} s",
                             r.get("error", f"peak RSS {r.get('peak_rss_mib')} MiB")))
    for p in res.get("iptc", []):
        if "skipped" in p:
            rows.append((f"vs python-iptables {p['scale']}", "skipped", p["skipped"]))
        else:
            rows.append((f"vs python-iptables {p['scale']}", f"ours {p['ours_parse_s']:.3f} s, iptc {p['iptc_read_s']:.3f} s",
                         f"x{p['ratio_parse']} (x{p['ratio_save_plus_parse']} incl. iptables-save)"))
            if "before_parse_s" in p:
                rows.append((f"vs python-iptables {p['scale']} before", f"ours before {p['before_parse_s']:.3f} s, "
                             f"after again {p['ours_parse_again_s']:.3f} s", f"x{p['ratio_parse_before']} before"))
    for t in res.get("trace", []):
        for mode in ("iptables", "nftables"):
            m = t[mode]
            rows.append((f"trace {t['scale']} {mode}", f"median {m['trace_service']['median_ms']} ms, "
                         f"p95 {m['trace_service']['p95_ms']} ms",
                         f"kernel part {m['kernel_only']['median_ms']} ms; index {m['parse_index_s']} s"))
    for case, f in res.get("trace_fanout", {}).items():
        rows.append((f"trace fan-out {case}", f"parse {f['parse_s']} s + trace {f['trace_s']} s, {f['steps']:,} steps",
                     f"peak {f['peak_traced_mib']} MiB traced"))
    if "views" in res:
        v = res["views"]
        for pane in ("services", "pods", "host", "dns", "ingress", "trace"):
            rows.append((f"view {pane} {v['scale']}", f"cold {v[pane]['cold_ms']} ms",
                         f"warm {v[pane]['warm_median_ms']} ms (median)"))
    if "models" in res:
        m = res["models"]
        rows.append((f"typed models {m['scale']}", f"json {m['json_loads_s']} s, typed {m['typed_s']} s", f"x{m['ratio']}"))
    if "start" in res:
        s = res["start"]
        if "lab" in s:
            rows.append(("start lab", f"first paint {s['lab']['first_paint_median_s']} s (median)",
                         f"peak RSS {s['lab']['peak_rss_mib']} MiB"))
        for k, v in s.items():
            if k != "lab" and "error" not in v:
                rows.append((f"start {k}", f"first paint {v['first_paint_s']} s, {v['rows']:,} rows at {v['all_rows_s']} s",
                             f"peak RSS {v['peak_rss_mib']} MiB"))
    if "latency" in res and "error" not in res["latency"]:
        lt = res["latency"]
        rows.append((f"keys @1k upd/s {lt['scale']}", f"p50 {lt['key_p50_ms']} ms, p95 {lt['key_p95_ms']} ms",
                     f"max loop stall {lt['max_loop_stall_ms']} ms"))
    if "table" in res and "error" not in res["table"]:
        tb = res["table"]
        rows.append((f"table {tb['rows']:,} rows", f"filter {tb['filter_median_ms']} ms (median)",
                     f"clear {tb['filter_clear_median_ms']} ms; load {tb['set_rows_painted_s']} s"))
    if "path" in res and "error" not in res["path"]:
        ph = res["path"]
        rows.append((f"path {ph['scale']}", f"one diagnosis {ph['median_ms']} ms (median), p99 {ph['p99_ms']} ms",
                     f"CPU median {ph['cpu_median_ms']} ms, p99 {ph['cpu_p99_ms']} ms"))
    if "live" in res:
        from bench.live import summary_rows

        rows.extend(summary_rows(res["live"]))
    w0 = max((len(r[0]) for r in rows), default=10)
    w1 = max((len(r[1]) for r in rows), default=10)
    for a, b, c in rows:
        print(f"{a:<{w0}}  {b:<{w1}}  {c}")
    for k, v in res.items():
        if isinstance(v, dict) and "error" in v:
            print(f"{k}: ERROR {v['error']}", file=sys.stderr)


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    ap.add_argument("--scales", default="S,M,L")
    ap.add_argument("--json", type=Path, default=None, help="write results here (default bench/out/results.json)")
    ap.add_argument("--only", default=",".join(ALL), help="comma-separated of " + ",".join(ALL))
    ap.add_argument("--iptc-scales", default="S,M,L", help="scales for the python-iptables comparison")
    ap.add_argument("--start-runs", type=int, default=7)
    ap.add_argument("--latency-seconds", type=float, default=20.0)
    ap.add_argument("--data", type=Path, default=None, help="generated data root (default bench/.data)")
    ap.add_argument("--before", type=Path, default=None,
                    help="a source tree of an older commit (git archive REV | tar -x -C DIR): one-shot commands "
                         "and the python-iptables comparison's full parse side by side")
    ap.add_argument("--live", action="store_true", help="also against the cluster harness (see docs/performance.md)")
    ap.add_argument("--live-scale", default="M", help="scale loaded into the cluster for --live / --only live")
    args = ap.parse_args()
    scales = [s.strip().upper() for s in args.scales.split(",") if s.strip()]
    only = {s.strip() for s in args.only.split(",")}
    for s in scales:
        generate(s, args.data)
    largest = max(scales, key=lambda s: SCALES[s].services) if scales else None
    res: dict = {"machine": _machine(), "scales": {s: manifest(s, args.data) for s in scales}}
    data = {s: generate(s, args.data) for s in scales}
    t_all = time.perf_counter()
    if "parse" in only:
        from .parse import bench_parse

        res["parse"] = [bench_parse(s, data[s]) for s in scales]
    if "oneshot" in only:
        from .oneshot import bench_oneshot

        res["oneshot"] = [bench_oneshot(s, data[s], args.before) for s in scales]
    if "iptc" in only:
        from .iptc_compare import bench_iptc

        res["iptc"] = [bench_iptc(s, data[s], before=args.before) for s in scales
                       if s in args.iptc_scales.upper().split(",")]
    if "trace" in only and largest:
        from .trace import bench_trace

        res["trace"] = [bench_trace(largest, data[largest])]
    if "trace" in only or "fanout" in only:
        from .trace import bench_fanout

        res["trace_fanout"] = bench_fanout()
    if "views" in only and largest:
        from .views import bench_views

        res["views"] = bench_views(largest, data[largest])
    if "models" in only and largest:
        from .models import bench_models

        res["models"] = bench_models(largest, data[largest])
    if "start" in only:
        res["start"] = bench_start(largest, args.data, args.start_runs)
    if "latency" in only and largest:
        res["latency"] = bench_latency(largest, args.data, args.latency_seconds)
    if "table" in only and largest:
        res["table"] = bench_table(largest, args.data, 10_000)
    if "policy" in only:
        from .policy import bench_policy

        res["policy"] = bench_policy()  # its own L cluster plus 2,000 NetworkPolicies
    if "path" in only and largest:
        from .path import bench_path

        res["path"] = bench_path(largest, data[largest])  # k8snet path: one diagnosis after indexing
    if args.live or "live" in only:
        from bench.live import bench_live

        res["live"] = bench_live(args.live_scale.upper(), args.data, log=lambda m: print(m, file=sys.stderr, flush=True))
    res["machine"]["loadavg_end"] = load_text()
    res["total_s"] = round(time.perf_counter() - t_all, 1)
    _print_table(res)
    out = args.json or (Path(__file__).resolve().parents[1] / "out" / "results.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1) + "\n")
    print(f"total {res['total_s']} s; JSON: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

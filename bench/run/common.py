"""Small shared helpers: timing, percentiles, memory, subprocess with rusage."""

from __future__ import annotations

import gc
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summary_ms(samples_s: list[float]) -> dict[str, float]:
    ms = [x * 1000 for x in samples_s]
    return {"n": len(ms), "median_ms": round(statistics.median(ms), 3), "p95_ms": round(pct(ms, 0.95), 3),
            "min_ms": round(min(ms), 3), "max_ms": round(max(ms), 3)}


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        result = None
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def run_child(args: list[str], env: dict[str, str] | None = None, timeout: float = 600) -> tuple[int, str, str, float, int]:
    """Run a child; (returncode, stdout, stderr, wall seconds, peak RSS KiB of that child)."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    t0 = time.time()
    p = subprocess.Popen(args, cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        return -9, out, err + "\n(timed out)", time.time() - t0, 0
    # Popen reaped the child, so its rusage is folded into RUSAGE_CHILDREN; the child reports
    # its own ru_maxrss on stdout instead where it matters (see app_child.py).
    return p.returncode, out, err, time.time() - t0, 0


def load_text() -> str:
    with open("/proc/loadavg") as f:
        return f.read().strip()

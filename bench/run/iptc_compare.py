"""Our parser vs python-iptables on the same rules, loaded into a scratch network namespace.

The dump is restored with `iptables-legacy-restore -c` into `k8snet-bench-<pid>`; python-iptables
reads it there (a child process under `ip netns exec`); `iptables-legacy-save -c` prints the
same rules for our parser. The namespace is deleted afterwards, whatever happens.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from k8snet_tui.domain.datapath import parse_iptables_save

from .common import PY, ROOT, best_of


def available() -> str | None:
    """None when the comparison can run, else why not."""
    if os.geteuid() != 0:
        return "needs root (network namespaces, iptables)"
    for tool in ("ip", "iptables-legacy-restore", "iptables-legacy-save"):
        if shutil.which(tool) is None:
            return f"{tool} not found"
    return None


def _sh(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, input=stdin, capture_output=True, check=True)


_BEFORE_PARSE = """
import sys, time, gc
from k8snet_tui.domain.datapath import parse_iptables_save
text = open(sys.argv[1]).read()
best = None
for _ in range(int(sys.argv[2])):
    gc.collect()
    t0 = time.perf_counter()
    d = parse_iptables_save(text, "legacy")
    s = time.perf_counter() - t0
    best = s if best is None or s < best else best
    del d
print(best, flush=True)
"""


def _parse_in(tree: Path, text: str, repeat: int) -> float:
    """Best wall time of the full parse of `text` by the parser of another tree (a `git archive`
    of an older commit), in a child process: the before-and-after of the same run."""
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".txt") as f:
        f.write(text)
        f.flush()
        out = subprocess.run([PY, "-c", _BEFORE_PARSE, f.name, str(repeat)], cwd=tree, capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": str(tree)}, check=True, timeout=1800)
    return float(out.stdout.strip().splitlines()[-1])


def bench_iptc(scale: str, data: Path, repeat_ours: int = 3, before: Path | None = None) -> dict:
    why = available()
    if why:
        return {"scale": scale, "skipped": why}
    ns = f"k8snet-bench-{os.getpid()}"
    dump = (data / "iptables-save.txt").read_bytes()
    _sh("ip", "netns", "add", ns)
    try:
        t0 = time.perf_counter()
        _sh("ip", "netns", "exec", ns, "iptables-legacy-restore", "-c", stdin=dump)
        restore_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        saved = _sh("ip", "netns", "exec", ns, "iptables-legacy-save", "-c").stdout.decode()
        save_s = time.perf_counter() - t0
        ours_s, parsed = best_of(lambda: parse_iptables_save(saved, "legacy"), repeat_ours)
        before_s = _parse_in(before, saved, repeat_ours) if before is not None else None
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        child = subprocess.run(["ip", "netns", "exec", ns, PY, "-m", "bench.run.iptc_child"], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=1800)
        if child.returncode != 0:
            return {"scale": scale, "skipped": f"python-iptables child failed: {child.stderr.strip()[-300:]}"}
        theirs = json.loads(child.stdout.strip().splitlines()[-1])
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    return {
        "scale": scale, "rules_ours": parsed.rule_count, "rules_iptc": theirs["rules"],
        "restore_s": round(restore_s, 3), "iptables_save_s": round(save_s, 3),
        "ours_parse_s": round(ours_s, 4), "iptc_read_s": round(theirs["seconds"], 4),
        "iptc_import_s": round(theirs["import_seconds"], 4),
        "ratio_parse": round(theirs["seconds"] / ours_s, 1),
        "ratio_save_plus_parse": round(theirs["seconds"] / (ours_s + save_s), 1),
        **({"before_parse_s": round(before_s, 4), "ratio_parse_before": round(theirs["seconds"] / before_s, 1),
            "ours_parse_again_s": round(best_of(lambda: parse_iptables_save(saved, "legacy"), repeat_ours)[0], 4)}
           if before_s is not None else {}),
    }

"""One-shot commands (`k8snet trace`, `k8snet show services`) against the physical limits, side by side.

For one scale, in one run:
- the limits the answer cannot beat: the imports of the CLI, reading the dump, one `str.split`
  of every line, and finding one service's SVC and SEP chains with `str.find`;
- the dump's full parse (every rule) against its lazy index (one pass; chains parsed when read);
- the commands themselves, each in a fresh process under GNU time (wall and peak RSS), from
  this tree and, with `--before DIR`, from another source tree (an older commit: `git archive
  REV | tar -x -C DIR`), so "before" and "after" share the machine's load.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

from k8snet_tui.domain.datapath.chain_names import iptables_chain_names, service_port_name
from k8snet_tui.domain.datapath.iptables_lazy import index_iptables_save
from k8snet_tui.domain.datapath.iptables_save import parse_iptables_save

from .common import PY, ROOT, best_of

GNU_TIME = "/usr/bin/time"
REPEAT = {"S": 5, "M": 3, "L": 3, "XL": 2}


def _timed(argv: list[str], tree: Path, runs: int) -> dict:
    """Best wall and its peak RSS over `runs` fresh processes (GNU time -v), and the least CPU
    of them (on a loaded machine the run of the best wall is not the one of least CPU)."""
    best: dict = {}
    least_cpu = float("inf")
    env = {"PYTHONPATH": str(tree), "K8SNET_OFFLINE": "1", "HOME": "/tmp", "PATH": "/usr/bin:/bin"}
    for _ in range(runs):
        p = subprocess.run([GNU_TIME, "-v", PY, "-m", "k8snet_tui", *argv], cwd=tree, env=env,
                           capture_output=True, text=True, timeout=900)
        wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", p.stderr)
        rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
        user = re.search(r"User time \(seconds\): ([\d.]+)", p.stderr)
        system = re.search(r"System time \(seconds\): ([\d.]+)", p.stderr)
        if p.returncode != 0 or not wall or not rss:
            return {"error": f"rc={p.returncode}: {p.stderr.strip()[-400:]}"}
        h, m, s = wall.groups()
        secs = int(h or 0) * 3600 + int(m) * 60 + float(s)
        if user and system:  # CPU of the process: on a shared machine the wall also counts waiting
            least_cpu = min(least_cpu, float(user.group(1)) + float(system.group(1)))
        if not best or secs < best["wall_s"]:
            best = {"wall_s": round(secs, 3), "peak_rss_mib": round(int(rss.group(1)) / 1024, 1),
                    "stdout_bytes": len(p.stdout)}
    if best and least_cpu < float("inf"):
        best["cpu_s"] = round(least_cpu, 3)
    return best


def _imports(tree: Path, runs: int) -> float:
    env = {"PYTHONPATH": str(tree), "K8SNET_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([PY, "-c", "import k8snet_tui.cli, k8snet_tui.views"], cwd=tree, env=env, check=True)
        best = min(best, time.perf_counter() - t0)
    return round(best, 3)


def _service(data: Path) -> tuple[str, str]:
    """A service with endpoints, from the middle of the list (not the lab's own two)."""
    items = json.loads((data / "snapshot" / "api" / "services.json").read_text())["items"]
    svc = items[len(items) // 2]
    return svc["metadata"]["namespace"], svc["metadata"]["name"]


def bench_oneshot(scale: str, data: Path, before: Path | None = None, runs: int = 2) -> dict:
    text = (data / "iptables-save.txt").read_text()
    ns, name = _service(data)
    repeat = REPEAT.get(scale, 1)

    t_read, _ = best_of(lambda: (data / "iptables-save.txt").read_text(), repeat)
    t_split, _ = best_of(lambda: text.split("\n"), repeat)
    chains = iptables_chain_names(service_port_name(ns, name, "http"), "tcp")

    def find_chains() -> int:
        found = 0
        svc_at = text.find(f"-A {chains['service']} ")
        while svc_at >= 0:  # the SVC chain's rules, then each SEP chain they jump to
            end = text.find("\n", svc_at)
            line = text[svc_at:end]
            k = line.find("-j KUBE-SEP-")
            if k >= 0:
                sep = line[k + 3:].split(" ", 1)[0]
                found += text.find(f"-A {sep} ") >= 0
            nxt = text.find(f"-A {chains['service']} ", end)
            svc_at = nxt
        return found

    t_find, seps = best_of(find_chains, repeat)
    t_full, full = best_of(lambda: parse_iptables_save(text, "legacy"), repeat)
    rules = full.rule_count
    del full
    t_index, lazy = best_of(lambda: index_iptables_save(text, "legacy"), repeat)
    t_chain, _ = best_of(lambda: index_iptables_save(text, "legacy").rules("nat", chains["service"]), 1)
    # The one-pass index of every line, which a dump's chains found in the text (above) skip.
    t_lines, _ = best_of(lambda: index_iptables_save(text, "legacy").line_count, repeat)
    found_in_text = not getattr(lazy, "lines_indexed", True)  # (asked before line_count builds the index)
    out: dict = {
        "scale": scale, "service": f"{ns}/{name}", "lines": lazy.line_count, "rules": rules,
        "limits": {"read_s": round(t_read, 4), "split_s": round(t_split, 4), "find_svc_and_seps_s": round(t_find, 4),
                   "seps_found": seps},
        "dump": {"full_parse_s": round(t_full, 4), "lazy_index_s": round(t_index, 4),
                 "lazy_index_plus_one_chain_s": round(t_chain, 4), "ratio_full_over_index": round(t_full / t_index, 1),
                 "line_index_s": round(t_lines, 4), "chains_found_in_text": found_in_text},
        "imports_s": _imports(ROOT, 3),
    }
    out["limit_s"] = round(out["imports_s"] + t_read + t_find, 3)
    snap = str(data / "snapshot")
    commands = {"trace": ["trace", f"{ns}/{name}", "--snapshot", snap, "-o", "json"],
                "show_services": ["show", "services", "--snapshot", snap, "-o", "json"]}
    for tree_name, tree in (("after", ROOT), ("before", before)):
        if tree is None:
            continue
        out[tree_name] = {cmd: _timed(argv, tree, runs) for cmd, argv in commands.items()}
    out["trace_stages"] = _stages(snap, f"{ns}/{name}", runs)
    return out


def _stages(snap: str, ref: str, runs: int) -> dict:
    """The trace's stages in a fresh process (bench/run/oneshot_stages.py): the run of least CPU."""
    best: dict = {}
    env = {"PYTHONPATH": str(ROOT), "K8SNET_OFFLINE": "1", "HOME": "/tmp", "PATH": "/usr/bin:/bin"}
    for _ in range(runs):
        p = subprocess.run([PY, "-m", "bench.run.oneshot_stages", snap, ref], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=900)
        if p.returncode != 0:
            return {"error": p.stderr.strip()[-400:]}
        got = json.loads(p.stdout)
        if not best or got["total"]["cpu_s"] < best["total"]["cpu_s"]:
            best = got
    return best

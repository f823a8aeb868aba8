"""Parse + index of kube-proxy iptables-save dumps: lines/s and retained memory per rule."""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

from k8snet_tui.domain.datapath import parse_iptables_save

from .common import best_of, rss_kb

REPEAT = {"S": 5, "M": 3, "L": 2, "XL": 1}


def bench_parse(scale: str, data: Path) -> dict:
    text = (data / "iptables-save.txt").read_text()
    secs, dump = best_of(lambda: parse_iptables_save(text, "legacy"), REPEAT.get(scale, 1))
    lines, rules = dump.line_count, dump.rule_count
    assert not dump.problems, dump.problems[:3]
    del dump
    gc.collect()
    # Retained memory: what the parsed, indexed dump keeps alive once parsing is done.
    rss0 = rss_kb()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    dump = parse_iptables_save(text, "legacy")
    gc.collect()
    retained = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    rss1 = rss_kb()
    del dump
    gc.collect()
    return {
        "scale": scale, "lines": lines, "rules": rules, "bytes": len(text.encode()),
        "seconds": round(secs, 4), "lines_per_s": round(lines / secs), "rules_per_s": round(rules / secs),
        "retained_bytes": retained, "retained_bytes_per_rule": round(retained / max(rules, 1)),
        "rss_delta_kib": rss1 - rss0, "text_bytes_per_rule": round(len(text) / max(rules, 1)),
    }

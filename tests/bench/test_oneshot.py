"""The one-shot benchmark measures real answers: the commands succeed and the limits find real chains.

Never timings: only that each figure comes from work that was done.
"""

from __future__ import annotations

import json
import os

import pytest

from bench.gen import generate
from bench.run.oneshot import _service, bench_oneshot


@pytest.mark.skipif(not os.path.exists("/usr/bin/time"),
                    reason="GNU time is not installed")
def test_the_one_shot_benchmark_runs_the_commands_and_finds_the_chains(tmp_path) -> None:
    data = generate("S", tmp_path, log=lambda *_: None)
    res = bench_oneshot("S", data, before=None, runs=1)
    ns, name = _service(data)
    svc = next(s for s in json.loads((data / "snapshot" / "api" / "services.json").read_text())["items"]
               if s["metadata"]["name"] == name and s["metadata"]["namespace"] == ns)
    slices = [s for s in json.loads((data / "snapshot" / "api" / "endpointslices.json").read_text())["items"]
              if s["metadata"]["labels"].get("kubernetes.io/service-name") == svc["metadata"]["name"]
              and s["metadata"]["namespace"] == ns]
    endpoints = sum(len(s.get("endpoints") or []) for s in slices)
    assert endpoints and res["limits"]["seps_found"] == endpoints  # the find limit really found each SEP chain
    for cmd in ("trace", "show_services"):
        assert "error" not in res["after"][cmd], res["after"][cmd]
        assert res["after"][cmd]["stdout_bytes"] > 100 and res["after"][cmd]["peak_rss_mib"] > 0
    assert res["rules"] > 1000 and res["lines"] > res["rules"]
    stages = res["trace_stages"]  # each stage of the trace, measured in its own process
    assert "error" not in stages, stages
    assert stages["read_mib"] > 1 and stages["total"]["cpu_s"] > 0 and stages["imports"]["wall_s"] > 0
    assert "cpu_s" in res["after"]["trace"]
    assert "before" not in res
    # the trace decoded a few of the deferred pods and slices, and found its chains in the text
    pods, total = stages["decoded_Pod"].split("/")
    assert 0 < int(pods) < int(total) and stages["decoded_EndpointSlice"].startswith(f"{len(slices)}/")
    assert res["dump"]["chains_found_in_text"] and stages["dump_lines_indexed"] is False
    assert res["dump"]["line_index_s"] > 0

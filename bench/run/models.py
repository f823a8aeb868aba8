"""Raw JSON vs the kubernetes client's typed models, on the same list bodies.

`ApiClient().deserialize(text, "V1PodList", "application/json")` is what a generated
`list_pod_for_all_namespaces()` does with a response body; `json.loads` is what k8snet's
LiveApi does (`_preload_content=False`). Both start from the same bytes.
"""

from __future__ import annotations

import gc
import time
from pathlib import Path

LISTS = {"services": "V1ServiceList", "endpointslices": "V1EndpointSliceList", "pods": "V1PodList",
         "nodes": "V1NodeList"}


def bench_models(scale: str, data: Path) -> dict:
    import json

    from kubernetes.client import ApiClient

    api = ApiClient()
    out: dict = {"scale": scale, "lists": {}}
    raw_total = typed_total = 0.0
    for name, klass in LISTS.items():
        body = (data / "api" / f"{name}.json").read_bytes()
        gc.collect()
        t0 = time.perf_counter()
        doc = json.loads(body)
        raw = time.perf_counter() - t0
        n = len(doc["items"])
        del doc
        gc.collect()
        t0 = time.perf_counter()
        typed_obj = api.deserialize(body.decode(), klass, "application/json")
        typed = time.perf_counter() - t0
        assert len(typed_obj.items) == n
        del typed_obj
        raw_total += raw
        typed_total += typed
        out["lists"][name] = {"items": n, "bytes": len(body), "json_loads_s": round(raw, 4),
                              "typed_s": round(typed, 3), "ratio": round(typed / raw, 1)}
    out["json_loads_s"] = round(raw_total, 3)
    out["typed_s"] = round(typed_total, 3)
    out["ratio"] = round(typed_total / raw_total, 1)
    return out

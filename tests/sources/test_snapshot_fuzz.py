"""Whatever bytes or JSON sit in a snapshot's files, loading never raises: it reports problems."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from k8snet_tui.domain.model import ClusterState
from k8snet_tui.sources.snapshot import load_snapshot

FILES = [
    "meta.json", "cloud.json", "api/services.json", "api/pods.json",
    "nodes/n1/probe.json", "nodes/n1/ip-addr.json", "nodes/n1/ip-route.json", "nodes/n1/ip-link.json",
    "nodes/n1/iptables-save.txt", "nodes/n1/ip6tables-save.txt", "nodes/n1/nft-ruleset.json",
    "nodes/n1/ipvsadm.txt", "nodes/n1/resolv.conf", "nodes/n1/cilium-services.json",
    "nodes/n1/conntrack.json",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(
        st.sampled_from(["kind", "items", "metadata", "name", "format", "local_node", "nftables",
                         "apiVersion", "links", "addresses", "iptables", "errors", "x"]) | st.text(max_size=5),
        c, max_size=5),
    max_leaves=25,
)
# JSON shaped like the real thing, so deeper code paths are reached.
list_docs = st.fixed_dictionaries({"kind": st.sampled_from(["ServiceList", "PodList", "List", "Nope", 3]),
                                   "items": st.lists(json_values, max_size=4) | json_values})
contents = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    list_docs.map(lambda v: json.dumps(v).encode()),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(FILES), contents, min_size=1, max_size=6))
def test_random_file_contents_never_raise(files: dict[str, bytes]) -> None:
    root = Path(tempfile.mkdtemp(prefix="k8snet-fuzz-"))
    try:
        (root / "nodes" / "n1").mkdir(parents=True)
        (root / "api").mkdir()
        for rel, data in files.items():
            (root / rel).write_bytes(data)
        snap = load_snapshot(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    assert isinstance(snap.cluster, ClusterState)
    assert "n1" in snap.nodes
    for problem in snap.problems:
        assert problem.path and str(problem)
    # Whatever was read is plain data: every object kept has a string kind.
    for kind, objs in snap.cluster.objects.items():
        assert all(isinstance(o, dict) and o.get("kind") == kind for o in objs)

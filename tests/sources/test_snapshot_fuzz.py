"""Whatever bytes or JSON sit in a snapshot's files, loading never raises: it reports problems."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from k8snet_tui.domain.model import ClusterState
from k8snet_tui.errors import SnapshotError
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
# Found by this test: an item's kind that is not a string crashed the loader's deferred-list check.
@example(files={"api/services.json": b'{"kind":"ServiceList","items":[{"kind":[]}]}'})
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


# -- tarballs: any member names, types and bytes ------------------------------------------------------

_TYPES = [tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE,
          tarfile.BLKTYPE, tarfile.FIFOTYPE, tarfile.CONTTYPE, b"Z"]
_NAME_PARTS = st.sampled_from(["snap", "api", "nodes", "n1", "meta.json", "resolv.conf", "..", ".", "", "/",
                               ".hidden", "x\x1b", "\u202e", "a" * 300]) | st.text(max_size=6)
member_names = st.lists(_NAME_PARTS, min_size=1, max_size=6).map("/".join) | st.sampled_from(FILES)
members = st.lists(st.tuples(member_names, st.sampled_from(_TYPES), contents, member_names), max_size=8)


def _tarball(spec: list[tuple[str, bytes, bytes, str]], gz: bool) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if gz else "w", format=tarfile.PAX_FORMAT) as tar:
        for name, kind, data, link in spec:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = link if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE) else ""
            regular = kind in (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.CONTTYPE, b"Z")
            info.size = len(data) if regular else 0
            tar.addfile(info, io.BytesIO(data) if regular else None)
    return buf.getvalue()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(members, st.booleans(), st.integers(min_value=0, max_value=64))
def test_random_tarballs_open_or_raise_snapshot_error(tmp_path_factory, spec, gz: bool, cut: int) -> None:
    """Whatever the members, a tarball opens with problems or is a SnapshotError; nothing is written."""
    work = tmp_path_factory.mktemp("tarfuzz")
    data = _tarball(spec, gz)
    archive = work / ("x.tar.gz" if gz else "x.tar")
    archive.write_bytes(data[: len(data) - cut] if cut else data)  # sometimes truncated
    try:
        snap = load_snapshot(archive)
    except SnapshotError as exc:
        assert str(archive) in exc.message
    else:
        for problem in snap.problems:
            assert problem.path and str(problem)
            assert "\x1b" not in str(problem) and "\u202e" not in str(problem)
    assert [p.name for p in work.iterdir()] == [archive.name]

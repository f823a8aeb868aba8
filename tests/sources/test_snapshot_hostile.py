"""Snapshots built by an attacker: they load with named problems, never write, follow, hang or crash.

Every hostile input is built here, in tmp_path, with tarfile and os. A snapshot tarball is never
extracted and a snapshot directory never followed; every size and count is capped
(docs/snapshot-format.md, "What a snapshot may not contain").
"""

from __future__ import annotations

import gzip
import io
import json
import os
import socket
import stat
import tarfile
import tempfile
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

import pytest

from k8snet_tui.cli import main
from k8snet_tui.errors import SnapshotError
from k8snet_tui.sources import snapshot_read
from k8snet_tui.sources.snapshot import FORMAT, Snapshot, load_snapshot
from k8snet_tui.sources.snapshot_dir import read_capped
from k8snet_tui.sources.snapshot_read import MAX_ENTRIES, MAX_FILE_BYTES, MAX_TOTAL_BYTES
from k8snet_tui.sources.snapshot_tar import read_tarball

META = json.dumps({"format": FORMAT, "local_node": "n1", "source": "attacker"}).encode()
SERVICES = json.dumps({"kind": "ServiceList", "apiVersion": "v1", "items": [
    {"metadata": {"name": "web", "namespace": "default", "uid": "u1"},
     "spec": {"clusterIP": "10.96.0.9", "ports": [{"port": 80}]}}]}).encode()
RESOLV = b"nameserver 10.96.0.10\n"


def add_file(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def add_special(tar: tarfile.TarFile, name: str, kind: bytes, linkname: str = "") -> None:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    tar.addfile(info)


def add_good(tar: tarfile.TarFile, top: str = "snap/") -> None:
    add_file(tar, f"{top}meta.json", META)
    add_file(tar, f"{top}api/services.json", SERVICES)
    add_file(tar, f"{top}nodes/n1/resolv.conf", RESOLV)


def assert_good_parts_open(s: Snapshot) -> None:
    assert [o["metadata"]["name"] for o in s.cluster.of("Service")] == ["web"]
    assert s.meta["source"] == "attacker"
    assert s.nodes["n1"].resolv_conf == RESOLV.decode()


def problems(s: Snapshot) -> dict[str, str]:
    return {p.path: p.message for p in s.problems}


def everything_in(value: Any, seen: set[int] | None = None) -> str:
    """Every string reachable from a Snapshot (fields, mappings, objects), joined: to grep for leaks."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return ""
    seen.add(id(value))
    if isinstance(value, (str, bytes)):
        return value if isinstance(value, str) else value.decode("latin-1")
    if is_dataclass(value) and not isinstance(value, type):
        return " ".join(everything_in(getattr(value, f.name), seen) for f in fields(value))
    if hasattr(value, "items") and callable(value.items):
        return " ".join(everything_in(k, seen) + " " + everything_in(v, seen) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return " ".join(everything_in(v, seen) for v in value)
    if hasattr(value, "__dict__"):
        return everything_in(vars(value), seen)
    return repr(value)


def snapshot_temp_dirs() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("k8snet-snapshot-*")}


# -- tarballs: links -------------------------------------------------------------------------------

def path_max_chain_tarball(archive: Path, outside: Path) -> None:
    """The CVE-2025-4517 shape: symlinked directories nested past PATH_MAX, so that
    `os.path.realpath` (and with it extractall's "data" filter) stops resolving while the
    kernel does not; a link through them climbs out of the extraction directory, and a
    regular member is then written through that link, into `outside`."""
    long_dir = "d" * 247
    letters = "abcdefghijklmnop"
    with tarfile.open(archive, "w:gz") as tar:
        add_good(tar, top="")
        path = ""
        for letter in letters:
            add_special(tar, os.path.join(path, long_dir), tarfile.DIRTYPE)
            add_special(tar, os.path.join(path, letter), tarfile.SYMTYPE, long_dir)
            path = os.path.join(path, long_dir)
        # a/b/.../p resolves to 16 nested long directories: this link brings it back to the top.
        back = os.path.join(*letters, "l" * 254)
        add_special(tar, back, tarfile.SYMTYPE, os.path.join(*[".."] * len(letters)))
        # The old loader extracted into gettempdir()/k8snet-snapshot-XXXXXXXX: climb out of it.
        depth = len(Path(tempfile.gettempdir()).resolve().parts)  # "/" counts once, like the temp dir's name
        escape = back + "/.." * depth + str(outside.resolve())
        add_special(tar, "escape", tarfile.SYMTYPE, escape)
        add_file(tar, "escape/sentinel", b"written outside")


def test_path_max_symlink_chain_loads_with_problems_and_writes_nothing(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    archive = tmp_path / "work" / "chain.tar.gz"
    archive.parent.mkdir()
    path_max_chain_tarball(archive, outside)
    before = snapshot_temp_dirs()
    s = load_snapshot(archive)
    assert not (outside / "sentinel").exists()
    assert list(outside.iterdir()) == []
    assert sorted(p.name for p in archive.parent.iterdir()) == ["chain.tar.gz"]
    assert snapshot_temp_dirs() <= before  # nothing left behind (nothing was made at all)
    assert_good_parts_open(s)
    found = problems(s)
    assert "symbolic link" in found["escape"] and "never followed" in found["escape"]
    assert "symbolic link" in found["a"]
    assert "escape/sentinel" not in found  # a plain file outside the layout: not read, as a README is not


@pytest.mark.parametrize(("name", "why"), [
    ("/etc/cron.d/evil", "absolute"),
    ("snap/../../evil", "climbs out with '..'"),
    ("../evil", "climbs out with '..'"),
    ("snap/api/\x1b]0;pwned\x07.json", "control characters"),
    ("snap/nodes/n\n1/resolv.conf", "control characters"),
    ("snap/nodes/\x9b31m/resolv.conf", "control characters"),  # C1 CSI; tar itself cuts a name at NUL
    ("snap/" + "a/" * 9 + "resolv.conf", "deeper than 8 levels"),
    ("snap/" + "a/" * 1900 + "x", "longer than 1024 characters"),
])
def test_bad_member_names_are_refused_by_name(tmp_path: Path, name: str, why: str) -> None:
    archive = tmp_path / "names.tar.gz"
    with tarfile.open(archive, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        add_good(tar)
        add_file(tar, name, b"[]")
    s = load_snapshot(archive)
    (p,) = s.problems
    assert why in p.message and p.message.startswith("refused: ")
    assert not any(c in p.path for c in "\x1b\x07\n\x9b") and len(p.path) <= 120
    assert_good_parts_open(s)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["names.tar.gz"]


def test_a_1900_deep_tarball_tree_loads_and_leaves_nothing_behind(tmp_path: Path) -> None:
    """The old loader extracted this, then its temporary directory's cleanup recursed per level:
    a RecursionError traceback and a k8snet-snapshot-* directory left in /tmp."""
    archive = tmp_path / "deep.tar.gz"
    with tarfile.open(archive, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        add_good(tar)
        name = "snap/nodes/n1"
        for _ in range(1900):
            name += "/a"
            add_special(tar, name, tarfile.DIRTYPE)
        add_file(tar, name + "/resolv.conf", b"nameserver 6.6.6.6\n")
    before = snapshot_temp_dirs()
    s = load_snapshot(archive)
    assert snapshot_temp_dirs() <= before
    assert_good_parts_open(s)
    assert s.problems[0].message == "refused: its name is nested deeper than 8 levels"
    # every member below snap/nodes/n1/a/a/a/a/a (1,895 directories and the file) is refused
    assert len(s.problems) == 101 and str(s.problems[-1]) == "snapshot: 1796 more problems not listed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep.tar.gz"]


def test_links_devices_and_fifos_are_refused_by_name(tmp_path: Path) -> None:
    archive = tmp_path / "special.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        add_good(tar)
        add_special(tar, "snap/api/pods.json", tarfile.SYMTYPE, "/dev/zero")
        add_special(tar, "snap/nodes/n1/ip-addr.json", tarfile.LNKTYPE, "/etc/shadow")
        add_special(tar, "snap/nodes/n1/ip-link.json", tarfile.LNKTYPE, "snap/meta.json")
        add_special(tar, "snap/nodes/n1/ipvsadm.txt", tarfile.CHRTYPE)
        add_special(tar, "snap/nodes/n1/ip-route.json", tarfile.BLKTYPE)
        add_special(tar, "snap/nodes/n1/iptables-save.txt", tarfile.FIFOTYPE)
        add_special(tar, "snap/nodes/n1/conntrack.json", tarfile.CONTTYPE)
        add_special(tar, "snap/nodes/n2/", tarfile.DIRTYPE)  # directories are fine
    s = load_snapshot(archive)
    found = problems(s)
    assert "symbolic link (to /dev/zero)" in found["snap/api/pods.json"]
    assert "hard link (to /etc/shadow)" in found["snap/nodes/n1/ip-addr.json"]
    assert "hard link" in found["snap/nodes/n1/ip-link.json"]
    assert "device" in found["snap/nodes/n1/ipvsadm.txt"]
    assert "device" in found["snap/nodes/n1/ip-route.json"]
    assert "FIFO" in found["snap/nodes/n1/iptables-save.txt"]
    assert "not a regular file" in found["snap/nodes/n1/conntrack.json"]
    assert len(found) == 7 and all(m.startswith("refused: ") for m in found.values())
    assert_good_parts_open(s)
    assert sorted(s.nodes) == ["n1", "n2"]
    n1 = s.nodes["n1"]
    assert n1.addresses == () and n1.links == () and not n1.iptables and n1.ipvsadm in ("", None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["special.tar.gz"]


def test_duplicate_members_keep_the_first_and_are_named(tmp_path: Path) -> None:
    archive = tmp_path / "dup.tar"
    with tarfile.open(archive, "w") as tar:  # a plain .tar is read too
        add_good(tar)
        add_file(tar, "snap/./nodes//n1/resolv.conf", b"nameserver 6.6.6.6\n")
    s = load_snapshot(archive)
    assert problems(s) == {"snap/./nodes//n1/resolv.conf": "refused: appears twice in the archive;"
                                                            " the first copy is used"}
    assert_good_parts_open(s)


def test_unknown_files_in_node_dirs_are_named_others_left_alone(tmp_path: Path) -> None:
    archive = tmp_path / "extra.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        add_good(tar)
        add_file(tar, "snap/README", b"hi")
        add_file(tar, "snap/api/notes.txt", b"hi")
        add_file(tar, "snap/nodes/README", b"hi")
        add_file(tar, "snap/docs/x/y.json", b"hi")
        add_file(tar, "snap/nodes/n1/run.sh", b"#!/bin/sh")
        add_file(tar, "snap/nodes/n1/old/resolv.conf", b"nameserver 6.6.6.6")
        add_file(tar, "snap/._meta.json", b"\x00\x05\x16\x07")  # macOS tar's companion files
        add_file(tar, "._snap", b"\x00\x05\x16\x07")
        add_file(tar, ".x/meta.json", b'{"source": "not this one"}')  # beside the top: never a stand-in
    s = load_snapshot(archive)
    assert problems(s) == {"nodes/n1/run.sh": "not a file this version knows; ignored",
                           "nodes/n1/old/resolv.conf": "not a file this version knows; ignored"}
    assert_good_parts_open(s)


def test_unknown_entries_in_a_directory(snapdir: Path) -> None:
    (snapdir / "README").write_text("hi")
    (snapdir / "api" / "notes.txt").write_text("hi")
    (snapdir / "nodes" / "README").write_text("hi")
    (snapdir / "docs").mkdir()
    (snapdir / "nodes" / "n1" / "run.sh").write_text("#!/bin/sh")
    (snapdir / "nodes" / "n1" / "old").mkdir()
    (snapdir / "evil").symlink_to("/")
    (snapdir / "api" / "evil").symlink_to("/etc")
    os.mkfifo(snapdir / "nodes" / "fifo")
    s = load_snapshot(snapdir)
    assert problems(s) == {
        "nodes/n1/run.sh": "not a file this version knows; ignored",
        "nodes/n1/old": "not a file this version knows; ignored",
        "evil": "is a symbolic link (to /); links inside a snapshot are never followed",
        "api/evil": "is a symbolic link (to /etc); links inside a snapshot are never followed",
        "nodes/fifo": "is a FIFO; not a directory; not read",
    }
    assert_good_parts_open(s)


# -- tarballs: sizes and counts --------------------------------------------------------------------

_ZEROS_16M = gzip.compress(bytes(16 << 20), 9)  # one complete gzip member of 16 MiB of zeros (~16 KB)


def write_bomb(path: Path, members: list[tuple[str, bytes | int]]) -> None:
    """A .tar.gz of `members` (bytes, or a count of zeros), written as concatenated gzip members
    so that gigabytes of zeros cost a few hundred KB and a fraction of a second to make."""
    with open(path, "wb") as out:
        for name, content in members:
            info = tarfile.TarInfo(name)
            info.size = len(content) if isinstance(content, bytes) else content
            out.write(gzip.compress(info.tobuf(format=tarfile.GNU_FORMAT)))
            if isinstance(content, bytes):
                out.write(gzip.compress(content))
            else:
                whole, rest = divmod(content, 16 << 20)
                out.write(_ZEROS_16M * whole)
                out.write(gzip.compress(bytes(rest)))
            out.write(gzip.compress(bytes(-info.size % 512)))
        out.write(gzip.compress(bytes(1024)))


def test_one_member_gzip_bomb_is_refused_without_expanding_it(tmp_path: Path) -> None:
    archive = tmp_path / "bomb.tar.gz"
    write_bomb(archive, [("snap/meta.json", META), ("snap/api/pods.json", 10**9),
                         ("snap/api/services.json", SERVICES)])
    assert archive.stat().st_size < 2 << 20
    reading = read_tarball(archive)
    assert reading.scanned < 1 << 20  # the header said 1 GB: not one byte of it was inflated
    (p,) = reading.all_problems()
    assert p.path == "snap/api/pods.json" and "over the 256 MiB cap for one file" in p.message
    assert "meta.json" in reading.files
    s = load_snapshot(archive)
    assert s.meta["source"] == "attacker"
    # ... and the node it names was past the bomb, never reached:
    assert [(p.path, p.where) for p in s.problems] == [("snap/api/pods.json", ""), ("meta.json", "local_node")]


def test_many_member_gzip_bomb_stops_at_the_total_cap(tmp_path: Path) -> None:
    """Members under the one-file cap but past the total cap: inflating stops at the cap."""
    archive = tmp_path / "bombs.tar.gz"
    junk = [(f"snap/junk-{i}.bin", 200 << 20) for i in range(8)]  # 1.6 GiB, not layout files
    write_bomb(archive, [("snap/meta.json", META), *junk, ("snap/api/services.json", SERVICES)])
    reading = read_tarball(archive)
    assert reading.scanned <= MAX_TOTAL_BYTES + 1
    assert any(p.path == "archive" and "more than 1024 MiB once uncompressed" in p.message
               for p in reading.all_problems())
    assert list(reading.files) == ["meta.json"]


def test_layout_files_past_the_total_cap_are_not_read(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(snapshot_read, "MAX_TOTAL_BYTES", 50_000)
    archive = tmp_path / "big.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        add_file(tar, "snap/meta.json", META)
        add_file(tar, "snap/nodes/n1/resolv.conf", RESOLV)
        add_file(tar, "snap/api/a.json", b" " * 20_000 + b'{"kind": "List", "items": []}')
        add_file(tar, "snap/api/b.json", b" " * 40_000 + b"{}")  # its header says so before it is read
    s = load_snapshot(archive)
    (p,) = s.problems
    assert (p.path, p.message) == ("snap/api/b.json", "would take the snapshot past 50,000 bytes in total;"
                                                      " the archive is not read past it")
    assert s.meta["source"] == "attacker"


def test_the_member_cap_shows_after_a_flood_of_other_problems(tmp_path: Path) -> None:
    archive = tmp_path / "flood.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        add_good(tar)
        for _ in range(MAX_ENTRIES):
            add_special(tar, "snap/api/pods.json", tarfile.SYMTYPE, "/etc/shadow")
    s = load_snapshot(archive)
    assert len(s.problems) == 102  # where the walk stopped, the first 100, and the count of the rest
    assert str(s.problems[0]) == f"archive: more than {MAX_ENTRIES:,} members; the rest is not read"
    assert s.problems[-1].path == "snapshot" and "more problems not listed" in s.problems[-1].message
    assert_good_parts_open(s)


def test_json_that_would_expand_past_the_value_cap_is_not_parsed(snapdir: Path, monkeypatch) -> None:
    """`[{},{},...]`: 3 bytes of text, 64 of dict each. The cap counts before json.loads runs."""
    monkeypatch.setattr(snapshot_read, "MAX_JSON_VALUES", 1000)
    (snapdir / "api" / "pods.json").write_text('{"kind": "List", "items": [' + "{}," * 1000 + "{}]}")
    s = load_snapshot(snapdir)
    assert problems(s) == {"api/pods.json": "holds up to 2,004 JSON values, past the 1,000 a snapshot may hold"
                                            " in all; skipped"}
    assert_good_parts_open(s)


def test_members_past_the_member_cap_are_not_read(tmp_path: Path) -> None:
    archive = tmp_path / "many.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        add_good(tar)
        empty = tarfile.TarInfo("snap/api/x")
        for i in range(MAX_ENTRIES + 10):
            empty.name = f"snap/.f{i}"  # hidden: skipped quietly, yet each one counts
            tar.addfile(empty)
        add_file(tar, "snap/cloud.json", b'{"provider": "aws"}')
    s = load_snapshot(archive)
    assert problems(s) == {"archive": f"more than {MAX_ENTRIES:,} members; the rest is not read"}
    assert s.cloud is None  # past the cap
    assert_good_parts_open(s)


def test_an_oversized_extended_header_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "pax.tar.gz"
    with tarfile.open(archive, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        add_good(tar)
        info = tarfile.TarInfo("snap/cloud.json")
        info.pax_headers = {"comment": "x" * (1 << 20)}
        tar.addfile(info, io.BytesIO(b""))
    s = load_snapshot(archive)
    assert "extended header of 1 MiB" in problems(s)["archive"]
    assert_good_parts_open(s)


def test_a_truncated_tarball_keeps_what_came_before(tmp_path: Path) -> None:
    whole = tmp_path / "whole.tar.gz"
    with tarfile.open(whole, "w:gz") as tar:
        add_good(tar)
        add_file(tar, "snap/nodes/n1/iptables-save.txt", os.urandom(200_000))
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(whole.read_bytes()[:-50_000])
    s = load_snapshot(cut)
    (p,) = s.problems
    assert p.path == "archive" and p.message.startswith("damaged in member snap/nodes/n1/iptables-save.txt (")
    assert p.message.endswith("); the rest is not read")
    assert_good_parts_open(s)


def test_not_a_tarball_at_all_raises(tmp_path: Path) -> None:
    bad = tmp_path / "x.tgz"
    bad.write_bytes(gzip.compress(b"not a tar archive" * 100))
    with pytest.raises(SnapshotError) as info:
        load_snapshot(bad)
    assert str(bad) in info.value.message and info.value.hint


# -- directories -----------------------------------------------------------------------------------

@pytest.fixture
def snapdir(tmp_path: Path) -> Path:
    root = tmp_path / "snap"
    (root / "api").mkdir(parents=True)
    (root / "nodes" / "n1").mkdir(parents=True)
    (root / "meta.json").write_bytes(META)
    (root / "api" / "services.json").write_bytes(SERVICES)
    (root / "nodes" / "n1" / "resolv.conf").write_bytes(RESOLV)
    return root


@pytest.mark.timeout(60)
def test_a_fifo_is_named_not_opened(snapdir: Path) -> None:
    os.mkfifo(snapdir / "nodes" / "n1" / "ipvsadm.txt")
    os.mkfifo(snapdir / "api" / "pods.json")
    s = load_snapshot(snapdir)
    assert problems(s) == {"nodes/n1/ipvsadm.txt": "is a FIFO; only regular files are read",
                           "api/pods.json": "is a FIFO; only regular files are read"}
    assert_good_parts_open(s)


@pytest.mark.timeout(60)
def test_a_fifo_as_resolv_conf_does_not_hang(snapdir: Path) -> None:
    (snapdir / "nodes" / "n1" / "resolv.conf").unlink()
    os.mkfifo(snapdir / "nodes" / "n1" / "resolv.conf")
    s = load_snapshot(snapdir)
    assert problems(s) == {"nodes/n1/resolv.conf": "is a FIFO; only regular files are read"}
    assert s.nodes["n1"].resolv_conf in ("", None)


@pytest.mark.timeout(60)
def test_a_link_to_dev_zero_is_named_not_read(snapdir: Path) -> None:
    (snapdir / "api" / "pods.json").symlink_to("/dev/zero")
    s = load_snapshot(snapdir)
    assert problems(s) == {"api/pods.json": "is a symbolic link (to /dev/zero);"
                                            " links inside a snapshot are never followed"}
    assert_good_parts_open(s)


def test_links_to_local_secrets_never_show_their_content(snapdir: Path, tmp_path: Path) -> None:
    secret = "s3cr3t-token-4d1f"
    secret_file = tmp_path / "secret.json"
    secret_file.write_text(json.dumps({"kind": "Service", "metadata": {"name": secret, "namespace": "x"}}))
    (tmp_path / "secret-dir").mkdir()
    (tmp_path / "secret-dir" / "resolv.conf").write_text(f"search {secret}\n")
    (tmp_path / "secret-dir" / "pods.json").write_text(secret_file.read_text())
    (snapdir / "api" / "secret.json").symlink_to(secret_file)
    (snapdir / "cloud.json").symlink_to(secret_file)
    (snapdir / "nodes" / "n1" / "ip-addr.json").symlink_to(secret_file)
    os.link(secret_file, snapdir / "api" / "hardlinked.json")  # a hard link is a regular file: read
    s = load_snapshot(snapdir)
    found = problems(s)
    assert set(found) == {"api/secret.json", "cloud.json", "nodes/n1/ip-addr.json"}
    assert all("symbolic link" in m and "never followed" in m for m in found.values())
    assert [o["metadata"]["name"] for o in s.cluster.of("Service")] == [secret, "web"]  # only via the hard link
    os.unlink(snapdir / "api" / "hardlinked.json")
    s = load_snapshot(snapdir)
    assert secret not in everything_in(s)
    assert secret not in "\n".join(str(p) for p in s.problems)


@pytest.mark.parametrize("sub", ["api", "nodes", "nodes/n2"])
def test_linked_subdirectories_are_not_followed(snapdir: Path, tmp_path: Path, sub: str) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "n9").mkdir(parents=True)
    (elsewhere / "pods.json").write_text('{"kind": "Pod", "metadata": {"name": "leaked"}}')
    (elsewhere / "resolv.conf").write_text("search leaked\n")
    target = snapdir / sub
    if target.exists():
        os.rename(target, tmp_path / "moved")
    target.symlink_to(elsewhere, target_is_directory=True)
    s = load_snapshot(snapdir)
    found = problems(s)
    if sub == "nodes":  # meta.json names n1, now out of reach
        assert found.pop("meta.json") == "names node 'n1', which has no nodes/ directory"
    assert list(found) == [sub]
    assert "symbolic link (to " in found[sub] and "never followed" in found[sub]
    assert "leaked" not in everything_in(s).replace(str(elsewhere), "")
    assert "n9" not in s.nodes and "n2" not in s.nodes


def test_the_root_itself_may_be_a_link(snapdir: Path, tmp_path: Path) -> None:
    link = tmp_path / "link-to-snap"
    link.symlink_to(snapdir, target_is_directory=True)
    s = load_snapshot(link)
    assert s.problems == ()
    assert_good_parts_open(s)


def test_a_socket_and_a_device_are_named(snapdir: Path, monkeypatch) -> None:
    monkeypatch.chdir(snapdir / "nodes" / "n1")  # AF_UNIX paths are short: bind a relative one
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind("ip-link.json")
        try:
            os.mknod("ip-rule.json", 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero's numbers
            device = True
        except (PermissionError, OSError):
            device = False
        s = load_snapshot(snapdir)
    finally:
        sock.close()
    found = problems(s)
    assert found.pop("nodes/n1/ip-link.json") == "is a socket; only regular files are read"
    if device:
        assert found.pop("nodes/n1/ip-rule.json") == "is a device; only regular files are read"
    assert found == {}
    assert_good_parts_open(s)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("swap", ["fifo", "symlink"])
def test_a_file_swapped_after_its_check_is_not_read(snapdir: Path, tmp_path: Path, monkeypatch, swap: str) -> None:
    """A writer racing the loader: lstat saw a regular file, then a FIFO or a link took its place.
    O_NOFOLLOW refuses the link; O_NONBLOCK opens the FIFO without a writer, and fstat shows it."""
    target = snapdir / "nodes" / "n1" / "resolv.conf"
    target.unlink()
    if swap == "fifo":
        os.mkfifo(target)
    else:
        (tmp_path / "secret").write_text("search s3cr3t\n")
        target.symlink_to(tmp_path / "secret")
    decoy = os.stat(snapdir / "meta.json")  # what the check saw: a regular file
    real_stat = os.stat

    def racing_stat(path, *args, **kwargs):
        return decoy if path == "resolv.conf" and kwargs.get("dir_fd") is not None else real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", racing_stat)
    s = load_snapshot(snapdir)
    monkeypatch.undo()
    found = problems(s)
    if swap == "fifo":
        assert found == {"nodes/n1/resolv.conf": "changed while being read; not read"}
    else:
        assert found == {"nodes/n1/resolv.conf": "changed while being read (now a link or not a directory); not followed"}
        assert "s3cr3t" not in everything_in(s)
    assert s.nodes["n1"].resolv_conf in ("", None)


def test_a_sparse_file_over_the_cap_is_not_read(snapdir: Path) -> None:
    big = snapdir / "nodes" / "n1" / "iptables-save.txt"
    with open(big, "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)
    s = load_snapshot(snapdir)
    assert problems(s) == {"nodes/n1/iptables-save.txt": "larger than 256 MiB; skipped"}
    assert not s.nodes["n1"].iptables
    assert_good_parts_open(s)


def test_read_capped_counts_bytes_read_not_the_stat_size() -> None:
    """A pipe reports size 0, like a file that grows or a pseudo-file: the bytes decide."""
    r, w = os.pipe()
    try:
        os.write(w, b"x" * 1001)
        os.close(w)
        w = -1
        assert read_capped(r, 1000) is None
    finally:
        os.close(r)
        if w >= 0:
            os.close(w)
    r, w = os.pipe()
    os.write(w, b"x" * 1000)
    os.close(w)
    try:
        assert read_capped(r, 1000) == b"x" * 1000
    finally:
        os.close(r)


@pytest.mark.parametrize(("written", "expect", "limit", "read"), [
    (1000, 1000, 1000, 1000),  # as stat said
    (1001, 1000, 1000, None),  # grew past the limit after stat: the one extra byte tells
    (900, 100, 1000, 900),  # grew after stat, under the limit: read to the end
    (2000, 100, 1000, None),  # grew past the limit: the chunks after the first read stop it
    (10, 5000, 1000, 10),  # shrank, and stat's size was past the limit: never more than limit + 1 asked
    (0, 50, 1000, 0),  # emptied
])
def test_read_capped_with_the_stat_size_still_counts_the_bytes(written, expect, limit, read) -> None:
    r, w = os.pipe()
    try:
        os.write(w, b"y" * written)
        os.close(w)
        w = -1
        got = read_capped(r, limit, expect)
        assert got == (None if read is None else b"y" * read)
    finally:
        os.close(r)
        if w >= 0:
            os.close(w)


def test_directory_total_cap(snapdir: Path, monkeypatch) -> None:
    monkeypatch.setattr(snapshot_read, "MAX_TOTAL_BYTES", len(META) + len(SERVICES) + 10)
    cap = len(META) + len(SERVICES) + 10
    s = load_snapshot(snapdir)  # api/ and meta.json come first, resolv.conf goes past the cap
    assert problems(s) == {"nodes/n1/resolv.conf": f"would take the snapshot past {cap:,} bytes in total; not read"}
    assert [o["metadata"]["name"] for o in s.cluster.of("Service")] == ["web"]


def make_deep_tree(parent: Path, name: str, depth: int) -> None:
    """`depth` nested directories, made relative to descriptors: the full path outgrows PATH_MAX."""
    fds = [os.open(parent, os.O_RDONLY | os.O_DIRECTORY)]
    try:
        for i in range(depth):
            part = name if i == 0 else "a"
            os.mkdir(part, dir_fd=fds[-1])
            fds.append(os.open(part, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fds[-1]))
        with open(os.open("resolv.conf", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fds[-1]), "w") as f:
            f.write("nameserver 6.6.6.6\n")
    finally:
        for fd in fds:
            os.close(fd)


def remove_deep_tree(parent: Path, name: str) -> None:
    """Bottom up and without recursion (shutil.rmtree recurses per level before Python 3.12)."""
    fds = [os.open(parent, os.O_RDONLY | os.O_DIRECTORY)]
    names = [name]
    try:
        while True:
            fd = os.open(names[-1], os.O_RDONLY | os.O_DIRECTORY, dir_fd=fds[-1])
            fds.append(fd)
            subdirs = [e.name for e in os.scandir(fd) if e.is_dir(follow_symlinks=False)]
            for e in os.scandir(fd):
                if not e.is_dir(follow_symlinks=False):
                    os.unlink(e.name, dir_fd=fd)
            if not subdirs:
                break
            names.append(subdirs[0])
        while len(fds) > 1:
            os.close(fds.pop())
            os.rmdir(names.pop(), dir_fd=fds[-1])
    finally:
        for fd in fds:
            os.close(fd)


def test_a_1900_deep_tree_is_a_problem_not_a_traceback(snapdir: Path) -> None:
    make_deep_tree(snapdir / "nodes" / "n1", "deep", 1900)
    make_deep_tree(snapdir, "deeper", 1900)
    try:
        s = load_snapshot(snapdir)
    finally:
        remove_deep_tree(snapdir / "nodes" / "n1", "deep")
        remove_deep_tree(snapdir, "deeper")
    assert problems(s) == {"nodes/n1/deep": "not a file this version knows; ignored"}  # "deeper": left alone
    assert_good_parts_open(s)


def test_entries_past_the_cap_are_not_listed(snapdir: Path) -> None:
    junk = snapdir / "nodes" / "n1"
    for i in range(MAX_ENTRIES + 5):
        (junk / f"x{i}.txt").touch()
    s = load_snapshot(snapdir)
    assert (s.problems[0].path, s.problems[0].message) == (
        "nodes/n1", f"the snapshot holds more than {MAX_ENTRIES:,} entries; the rest is not read")
    assert len(s.problems) == 102  # where it stopped, 100 listed, and the count of the rest
    assert s.problems[-1].path == "snapshot" and "more problems not listed" in s.problems[-1].message
    assert s.meta["source"] == "attacker"


def test_names_with_control_characters_are_refused(snapdir: Path) -> None:
    (snapdir / "nodes" / "n\x1b[31m").mkdir()
    s = load_snapshot(snapdir)
    (p,) = s.problems
    assert p.message == "refused: its name holds control characters" and "\x1b" not in p.path
    assert sorted(s.nodes) == ["n1"]


# -- the CLI ---------------------------------------------------------------------------------------

def test_cli_on_a_hostile_tarball_prints_problems_and_no_traceback(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    outside = tmp_path / "outside"
    outside.mkdir()
    archive = tmp_path / "evil.tar.gz"
    path_max_chain_tarball(archive, outside)
    code = main(["show", "services", "--snapshot", str(archive)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "web" in out
    assert "Traceback" not in err + out
    lines = err.splitlines()
    assert f"{archive}: a: refused: a symbolic link (to {'d' * 40}\u2026" in lines[0]
    assert all(line.startswith("k8snet: ") and f"{archive}: " in line for line in lines) and len(lines) == 21
    assert lines[-1].endswith(f"{len(load_snapshot(archive).problems) - 20} more problems")
    assert not list(outside.iterdir())


def test_cli_on_a_file_that_is_no_snapshot_exits_2(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    bad = tmp_path / "evil.tar.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00garbage")
    assert main(["show", "services", "--snapshot", str(bad)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("k8snet: cannot read ") and "Traceback" not in err

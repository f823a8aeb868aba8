"""Reading a snapshot's files without trusting them.

Snapshots are sent between people and opened as root on nodes, so their bytes are hostile
until read. A tarball is walked member by member in memory and never extracted: nothing is
written anywhere, no link is ever created or followed. A directory is read file by file
relative to directory descriptors, each file checked with `lstat` and opened with
`O_NOFOLLOW | O_NONBLOCK`, so a symlink, FIFO or device inside it is named, never opened.
Only the snapshot layout is looked at (`meta.json`, `cloud.json`, `api/*.json`,
`nodes/<node>/<known file>`), so no walk goes deeper than three levels. Every size and count
is capped; what goes past a cap is a `Problem`, never a hang, a traceback or an exhausted
machine. docs/snapshot-format.md ("What a snapshot may not contain") lists the rules.
"""

from __future__ import annotations

import gzip
import os
import re
import stat
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from k8snet_tui.domain.sanitize import clean
from k8snet_tui.errors import SnapshotError

# -- the caps (documented in docs/snapshot-format.md) ---------------------------------------------

MAX_FILE_BYTES = 256 << 20  # one file; the L bench scale's largest (an iptables dump) is ~70 MB
MAX_TOTAL_BYTES = 1 << 30  # everything read; for a tarball, every byte decompressed
MAX_ENTRIES = 20_000  # tar headers, or directory entries listed
MAX_NAME_CHARS = 1024  # one member or entry name, relative to the snapshot
MAX_DEPTH = 8  # components in a tar member name; the layout needs at most four
MAX_HEADER_BYTES = 64 << 10  # one tar extended header (a PAX record set, a GNU long name)
MAX_HEADER_CHAIN = 8  # extended headers in a row before one member (tarfile recurses per header)
MAX_PROBLEMS = 100  # past this the rest are counted, not listed

# -- the layout ------------------------------------------------------------------------------------

IP_JSON_FILES = {
    "ip-link.json": "links",
    "ip-addr.json": "addresses",
    "ip-route.json": "routes",
    "ip-rule.json": "rules",
    "ip-neigh.json": "neighbours",
}
IPTABLES_FILES = {
    "iptables-save.txt": ("iptables", None),
    "iptables-legacy-save.txt": ("iptables", "legacy"),
    "iptables-nft-save.txt": ("iptables", "nft"),
    "ip6tables-save.txt": ("ip6tables", None),
    "ip6tables-legacy-save.txt": ("ip6tables", "legacy"),
    "ip6tables-nft-save.txt": ("ip6tables", "nft"),
}
NODE_FILES = frozenset({"probe.json", "nft-ruleset.json", "ipvsadm.txt", "resolv.conf", "cilium-services.json",
                        "conntrack.json", *IP_JSON_FILES, *IPTABLES_FILES})
TOP_FILES = frozenset({"meta.json", "cloud.json"})
UNKNOWN = "not a file this version knows; ignored"
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def is_layout_file(parts: tuple[str, ...]) -> bool:
    """Is this relative path one of the files a snapshot may hold?"""
    if len(parts) == 1:
        return parts[0] in TOP_FILES
    if len(parts) == 2:
        return parts[0] == "api" and parts[1].endswith(".json")
    return len(parts) == 3 and parts[0] == "nodes" and parts[2] in NODE_FILES


def _hidden(parts: tuple[str, ...]) -> bool:
    # Dot files (editor backups, macOS `._x` companions) are skipped quietly, as before.
    return any(p.startswith(".") for p in parts)


def _shown(name: str, limit: int = 120) -> str:
    """A hostile name as it may appear in a problem: inert, of bounded length, its end kept
    (in a deep path the end is what tells it apart)."""
    text = clean(name)
    if len(text) <= limit:
        return text
    head = limit // 2
    return text[:head] + "\u2026" + text[len(text) - (limit - head - 1):]


def _name_fault(name: str) -> str | None:
    if _CONTROL.search(name):
        return "its name holds control characters"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "its name is not UTF-8"
    if len(name) > MAX_NAME_CHARS:
        return f"its name is longer than {MAX_NAME_CHARS} characters"
    return None


@dataclass(frozen=True)
class Problem:
    """One thing in a snapshot that could not be read; the rest of the snapshot still opens."""

    path: str
    where: str
    message: str

    def __str__(self) -> str:
        loc = f"{self.path}:{self.where}" if self.where else self.path
        return f"{loc}: {self.message}"


class Reading:
    """What a reader gathered: file contents by layout name, node directories, problems."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.nodes: set[str] = set()
        self.problems: list[Problem] = []
        self.unlisted = 0
        self.total = 0  # bytes of the files kept
        self.scanned = 0  # bytes read to get them (for a tarball: decompressed, headers and skipped members too)

    def problem(self, path: str, where: str, message: str, *, always: bool = False) -> None:
        """Record a problem; past MAX_PROBLEMS only count it, unless it is `always` listed
        (where a walk stopped: that must show however many problems came before)."""
        # Paths are names from the snapshot (any of them may be hostile): inert and short here,
        # whoever prints them. Messages may quote values from its files.
        if len(self.problems) < MAX_PROBLEMS or always:
            self.problems.append(Problem(_shown(path), _shown(where), _shown(message, 400)))
        else:
            self.unlisted += 1

    def all_problems(self) -> tuple[Problem, ...]:
        if not self.unlisted:
            return tuple(self.problems)
        return (*self.problems, Problem("snapshot", "", f"{self.unlisted} more problems not listed"))

    def keep(self, parts: tuple[str, ...], data: bytes) -> None:
        self.files["/".join(parts)] = data
        if parts[0] == "nodes":
            self.nodes.add(parts[1])


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 else f"{n:,} bytes"


# -- tarballs ---------------------------------------------------------------------------------------

class _Stop(Exception):
    """Reading the archive ends here; `message` says why (the members before it still open)."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message


class _CappedStream:
    """The archive's bytes (decompressed), cut off one byte past `cap` so a bomb never expands."""

    def __init__(self, inner: BinaryIO, cap: int) -> None:
        self.inner = inner
        self.cap = cap
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        room = self.cap + 1 - self.count
        want = room if size is None or size < 0 else min(size, room)
        data = self.inner.read(want) if want > 0 else b""
        self.count += len(data)
        if self.count > self.cap:
            raise _Stop("archive", f"more than {_size(self.cap)} once uncompressed; the rest is not read")
        return data

    def close(self) -> None:  # tarfile closes its stream; the caller owns the file
        pass


_EXTENDED = frozenset({tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE,
                       tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK})


class _CheckedInfo(tarfile.TarInfo):
    """Counts every header and bounds extended ones before tarfile reads them into memory.

    tarfile reads a PAX or GNU long-name header's whole body at once and recurses once per
    extended header in a row, so both are checked here, before it does. `_proc_member` is
    the hook tarfile's own source names for subclasses (3.11 to 3.14); were it ever gone, the
    byte cap on the stream would still bound what is read.
    """

    def _proc_member(self, tarfile: Any) -> Any:
        headers = getattr(tarfile, "k8snet_headers", 0) + 1
        tarfile.k8snet_headers = headers
        if headers > MAX_ENTRIES:
            raise _Stop("archive", f"more than {MAX_ENTRIES:,} members; the rest is not read")
        if self.type in _EXTENDED:
            chain = getattr(tarfile, "k8snet_chain", 0) + 1
            tarfile.k8snet_chain = chain
            if self.size > MAX_HEADER_BYTES:
                raise _Stop("archive", f"an extended header of {_size(self.size)} (over {_size(MAX_HEADER_BYTES)});"
                                       " the rest is not read")
            if chain > MAX_HEADER_CHAIN:
                raise _Stop("archive", f"more than {MAX_HEADER_CHAIN} extended headers in a row; the rest is not read")
        else:
            tarfile.k8snet_chain = 0
        return super()._proc_member(tarfile)  # type: ignore[misc]


def _member_kind(member: tarfile.TarInfo) -> str | None:
    """Why a non-directory member is refused, or None for a plain regular file."""
    if member.type in (tarfile.REGTYPE, tarfile.AREGTYPE) and not member.issparse():
        return None
    if member.issym():
        return f"a symbolic link (to {_shown(member.linkname, 80)}); links are never followed"
    if member.islnk():
        return f"a hard link (to {_shown(member.linkname, 80)}); links are never followed"
    if member.ischr() or member.isblk():
        return "a device; only regular files are read"
    if member.isfifo():
        return "a FIFO; only regular files are read"
    if member.issparse():
        return "a sparse file; only plain regular files are read"
    return f"not a regular file (tar type {member.type!r}); only regular files are read"


def _member_parts(name: str) -> tuple[str, ...] | str:
    """The member's path components, or why its name is refused."""
    fault = _name_fault(name)
    if fault:
        return fault
    if name.startswith("/"):
        return "its name is absolute"
    parts = tuple(p for p in name.split("/") if p not in ("", "."))
    if ".." in parts:
        return "its name climbs out with '..'"
    if len(parts) > MAX_DEPTH:
        return f"its name is nested deeper than {MAX_DEPTH} levels"
    return parts


class _TarWalk:
    def __init__(self, stream: _CappedStream, reading: Reading) -> None:
        self.stream = stream
        self.r = reading
        self.read: dict[tuple[str, ...], bytes] = {}  # layout files, with or without a top directory
        self.names: list[tuple[tuple[str, ...], str]] = []  # every safe name: (parts, "file"/"dir"/"other")
        self.files: set[tuple[str, ...]] = set()
        self.members = 0

    def run(self, archive: Path) -> None:
        try:
            tar = tarfile.open(fileobj=self.stream, mode="r|", tarinfo=_CheckedInfo)  # type: ignore[call-overload]  # noqa: SIM115
        except _Stop as stop:
            raise SnapshotError(f"cannot read {archive}: {stop.message}", hint=_TAR_HINT) from None
        except (tarfile.TarError, OSError, EOFError, zlib.error, RecursionError) as exc:
            raise SnapshotError(f"cannot read {archive}: {_tar_error(exc)}", hint=_TAR_HINT) from None
        where = "at its start"
        try:
            with tar:
                for member in tar:
                    where = f"in member {_shown(member.name, 80)}"
                    self.member(tar, member)
                    where = f"after member {_shown(member.name, 80)}"
        except _Stop as stop:
            self.r.problem(stop.where, "", stop.message, always=True)
        except (tarfile.TarError, OSError, EOFError, zlib.error, RecursionError) as exc:
            self.r.problem("archive", "", f"damaged {where} ({_tar_error(exc)}); the rest is not read", always=True)
        self.r.scanned = self.stream.count
        self.settle()

    def member(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        self.members += 1
        if self.members > MAX_ENTRIES:
            raise _Stop("archive", f"more than {MAX_ENTRIES:,} members; the rest is not read")
        shown = _shown(member.name)
        parts = _member_parts(member.name)
        if isinstance(parts, str):
            self.r.problem(shown, "", f"refused: {parts}")
            return
        if not parts:
            return  # "." or "./": the archive's own top
        if member.isdir():
            self.names.append((parts, "dir"))
            return
        refusal = _member_kind(member)
        if refusal:
            self.r.problem(shown, "", f"refused: {refusal}")
            self.names.append((parts, "other"))
            return
        if parts in self.files:
            self.r.problem(shown, "", "refused: appears twice in the archive; the first copy is used")
            return
        # Skipping a member in a compressed stream means decompressing it, so an oversized one
        # ends the walk rather than be expanded to be skipped.
        if member.size > MAX_FILE_BYTES:
            raise _Stop(shown, f"is {_size(member.size)}, over the {_size(MAX_FILE_BYTES)} cap for one file;"
                               " the archive is not read past it")
        self.names.append((parts, "file"))
        self.files.add(parts)
        if not (is_layout_file(parts) or is_layout_file(parts[1:])) or _hidden(parts[1:]):
            return  # not read; named after the walk, once the top directory is known
        if self.r.total + member.size > MAX_TOTAL_BYTES:
            raise _Stop(shown, f"would take the snapshot past {_size(MAX_TOTAL_BYTES)} in total;"
                               " the archive is not read past it")
        fileobj = tar.extractfile(member)
        data = fileobj.read(MAX_FILE_BYTES + 1) if fileobj is not None else b""
        self.r.total += len(data)
        self.read[parts] = data

    def settle(self) -> None:
        """Strip the one optional top directory, then keep the layout files and name the rest."""
        tops = {parts[0] for parts, _ in self.names}
        top = next(iter(tops)) if len(tops) == 1 else None
        if top is not None:
            nested = all(len(parts) > 1 or kind == "dir" for parts, kind in self.names)
            looks_flat = top in ("api", "nodes") and (top, "meta.json") not in self.read
            if not nested or looks_flat:
                top = None
        cut = 1 if top is not None else 0
        for parts, kind in self.names:
            rel = parts[cut:]
            if not rel or _hidden(rel):
                continue
            if kind == "dir":
                if len(rel) == 2 and rel[0] == "nodes":
                    self.r.nodes.add(rel[1])
            elif kind == "file":
                if not is_layout_file(rel):
                    self.r.problem("/".join(rel), "", UNKNOWN)
                elif parts in self.read:
                    self.r.keep(rel, self.read.pop(parts))
                # else: the walk stopped in it, a problem already says why
        self.read.clear()


_TAR_HINT = "check that the file is a complete .tar.gz (or .tar) of a snapshot directory"


def _tar_error(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def read_tarball(archive: Path) -> Reading:
    """Every layout file of a .tar.gz/.tgz/.tar, read into memory; nothing is extracted."""
    reading = Reading()
    try:
        raw = open(archive, "rb")  # noqa: SIM115 - closed below, after the gzip layer
    except OSError as exc:
        raise SnapshotError(f"cannot read {archive}: {exc.strerror or exc}", hint=_TAR_HINT) from None
    with raw:
        magic = raw.read(2)
        raw.seek(0)
        inner: BinaryIO = gzip.GzipFile(fileobj=raw, mode="rb") if magic == b"\x1f\x8b" else raw  # type: ignore[assignment]
        _TarWalk(_CappedStream(inner, MAX_TOTAL_BYTES), reading).run(archive)
    return reading


# -- directories ------------------------------------------------------------------------------------

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a regular file" if stat.S_ISREG(mode) else "a special file"


def read_capped(fd: int, limit: int) -> bytes | None:
    """Up to `limit` bytes from `fd`, or None when there are more: the count of bytes read
    decides, not the size `stat` reports (which a growing file or a pseudo-file can belie)."""
    chunks: list[bytes] = []
    got = 0
    while True:
        chunk = os.read(fd, min(1 << 20, limit + 1 - got))
        if not chunk:
            return b"".join(chunks)
        got += len(chunk)
        if got > limit:
            return None
        chunks.append(chunk)


class _DirWalk:
    def __init__(self, reading: Reading) -> None:
        self.r = reading
        self.entries = 0
        self.full = False

    def listing(self, fd: int, rel: str) -> list[tuple[str, os.stat_result]]:
        """The entries of an open directory, sorted, each with its lstat; capped and bounded."""
        out: list[tuple[str, os.stat_result]] = []
        with os.scandir(fd) as it:
            for entry in it:
                if self.full:
                    break
                self.entries += 1
                if self.entries > MAX_ENTRIES:
                    self.full = True
                    self.r.problem(rel or ".", "", f"the snapshot holds more than {MAX_ENTRIES:,} entries;"
                                                   " the rest is not read", always=True)
                    break
                name = entry.name
                path = f"{rel}{name}"
                fault = _name_fault(path)
                if fault:
                    self.r.problem(_shown(path), "", f"refused: {fault}")
                    continue
                if name.startswith("."):
                    continue
                try:
                    out.append((name, os.stat(name, dir_fd=fd, follow_symlinks=False)))
                except OSError as exc:
                    self.r.problem(path, "", f"cannot be read: {exc.strerror or exc}")
        return sorted(out)

    def subdir(self, parent: int, name: str, st: os.stat_result, rel: str) -> int | None:
        if not stat.S_ISDIR(st.st_mode):
            self.r.problem(rel, "", self._refusal(parent, name, st, "not a directory; not read"))
            return None
        try:
            fd = os.open(name, _DIR_FLAGS, dir_fd=parent)
        except OSError as exc:
            self.r.problem(rel, "", f"cannot be read: {exc.strerror or exc}")
            return None
        if not self._same(fd, st, stat.S_ISDIR):
            os.close(fd)
            self.r.problem(rel, "", "changed while being read; not read")
            return None
        return fd

    def file(self, parent: int, name: str, st: os.stat_result, parts: tuple[str, ...]) -> None:
        rel = "/".join(parts)
        if not stat.S_ISREG(st.st_mode):
            self.r.problem(rel, "", self._refusal(parent, name, st, "only regular files are read"))
            return
        room = MAX_TOTAL_BYTES - self.r.total
        limit = min(MAX_FILE_BYTES, room)
        if st.st_size > limit:  # a shortcut only: the bytes read below are what is enforced
            self.r.problem(rel, "", self._too_big(st.st_size, limit, room))
            return
        try:
            fd = os.open(name, _FILE_FLAGS, dir_fd=parent)
        except OSError as exc:
            self.r.problem(rel, "", f"cannot be read: {exc.strerror or exc}")
            return
        try:
            if not self._same(fd, st, stat.S_ISREG):
                self.r.problem(rel, "", "changed while being read; not read")
                return
            data = read_capped(fd, limit)
        except OSError as exc:
            self.r.problem(rel, "", f"cannot be read: {exc.strerror or exc}")
            return
        finally:
            os.close(fd)
        if data is None:
            self.r.problem(rel, "", self._too_big(limit + 1, limit, room))
            return
        self.r.total += len(data)
        self.r.scanned += len(data)
        self.r.keep(parts, data)

    @staticmethod
    def _too_big(size: int, limit: int, room: int) -> str:
        if limit < MAX_FILE_BYTES and room < size:
            return f"would take the snapshot past {_size(MAX_TOTAL_BYTES)} in total; not read"
        return f"larger than {_size(MAX_FILE_BYTES)}; skipped"

    @staticmethod
    def _same(fd: int, st: os.stat_result, is_kind: Any) -> bool:
        now = os.fstat(fd)
        return bool(is_kind(now.st_mode)) and (now.st_dev, now.st_ino) == (st.st_dev, st.st_ino)

    @staticmethod
    def _refusal(parent: int, name: str, st: os.stat_result, otherwise: str) -> str:
        if not stat.S_ISLNK(st.st_mode):
            return f"is {_kind(st.st_mode)}; {otherwise}"
        try:
            target = f" (to {_shown(os.readlink(name, dir_fd=parent), 80)})"  # the link itself; follows nothing
        except OSError:
            target = ""
        return f"is a symbolic link{target}; links inside a snapshot are never followed"

    def walk(self, root: int) -> None:
        for name, st in self.listing(root, ""):
            if name in TOP_FILES:
                self.file(root, name, st, (name,))
            elif name == "api":
                self.api(root, st)
            elif name == "nodes":
                self.nodes(root, st)
            else:
                self.r.problem(name, "", UNKNOWN)

    def api(self, root: int, st: os.stat_result) -> None:
        fd = self.subdir(root, "api", st, "api")
        if fd is None:
            return
        try:
            for name, est in self.listing(fd, "api/"):
                if name.endswith(".json"):
                    self.file(fd, name, est, ("api", name))
                else:
                    self.r.problem(f"api/{name}", "", UNKNOWN)
        finally:
            os.close(fd)

    def nodes(self, root: int, st: os.stat_result) -> None:
        fd = self.subdir(root, "nodes", st, "nodes")
        if fd is None:
            return
        try:
            for node, nst in self.listing(fd, "nodes/"):
                node_fd = self.subdir(fd, node, nst, f"nodes/{node}")
                if node_fd is None:
                    continue
                self.r.nodes.add(node)
                try:
                    for name, est in self.listing(node_fd, f"nodes/{node}/"):
                        if name in NODE_FILES:
                            self.file(node_fd, name, est, ("nodes", node, name))
                        else:  # a file, a link, or a subdirectory tree of any depth: never walked
                            self.r.problem(f"nodes/{node}/{name}", "", UNKNOWN)
                finally:
                    os.close(node_fd)
        finally:
            os.close(fd)


def read_directory(root: Path) -> Reading:
    """Every layout file of a snapshot directory, read without following anything inside it.

    `root` itself may be a symlink to a directory: the user chose that path.
    """
    reading = Reading()
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise SnapshotError(f"cannot read {root}: {exc.strerror or exc}",
                            hint="check the path and its permissions") from None
    try:
        _DirWalk(reading).walk(fd)
    finally:
        os.close(fd)
    return reading


__all__ = [
    "IPTABLES_FILES",
    "IP_JSON_FILES",
    "MAX_DEPTH",
    "MAX_ENTRIES",
    "MAX_FILE_BYTES",
    "MAX_NAME_CHARS",
    "MAX_TOTAL_BYTES",
    "NODE_FILES",
    "Problem",
    "Reading",
    "is_layout_file",
    "read_capped",
    "read_directory",
    "read_tarball",
]

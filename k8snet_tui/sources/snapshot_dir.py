"""Reading a snapshot directory without following anything inside it (rules in snapshot_read).

Every step is relative to an open directory descriptor: each entry is `lstat`ed, a
subdirectory opened with `O_DIRECTORY | O_NOFOLLOW`, a file only when `S_ISREG` and then with
`O_NOFOLLOW | O_NONBLOCK`, and `fstat` must show the same regular file (or directory) before a
byte is read. A symlink, FIFO, device or socket is named, never opened; a swap between the
check and the open is caught by the second check. Only the layout is walked, three levels at
most, so no tree depth can exhaust anything.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

from k8snet_tui.errors import SnapshotError
from k8snet_tui.sources import snapshot_read as rules
from k8snet_tui.sources.snapshot_read import Reading

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


def _open_failed(exc: OSError) -> str:
    if exc.errno in (errno.ELOOP, errno.ENOTDIR):  # O_NOFOLLOW met a link put there since the check
        return "changed while being read (now a link or not a directory); not followed"
    return f"cannot be read: {exc.strerror or exc}"


def read_capped(fd: int, limit: int, expect: int = 0) -> bytes | None:
    """Up to `limit` bytes from `fd`, or None when there are more: the count of bytes read
    decides, not the size `stat` reports (which a growing file or a pseudo-file can belie).

    `expect` (the size `stat` gave) is read in one call, one byte more to see past it, when
    under the limit: a 57 MB list is then one buffer, not 57 chunks joined (half the time).
    """
    chunks: list[bytes] = []
    got = 0
    if expect > 0:
        first = os.read(fd, min(expect, limit) + 1)
        if len(first) > limit:
            return None
        if not first:
            return b""
        chunks.append(first)
        got = len(first)
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
                if self.entries > rules.MAX_ENTRIES:
                    self.full = True
                    self.r.problem(rel.rstrip("/") or ".", "", f"the snapshot holds more than {rules.MAX_ENTRIES:,} entries;"
                                                   " the rest is not read", stop=True)
                    break
                name = entry.name
                path = f"{rel}{name}"
                fault = rules.name_fault(path)
                if fault:
                    self.r.problem(rules.shown(path), "", f"refused: {fault}")
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
            self.r.problem(rel, "", _open_failed(exc))
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
        room = rules.MAX_TOTAL_BYTES - self.r.total
        limit = min(rules.MAX_FILE_BYTES, room)
        if st.st_size > limit:  # a shortcut only: the bytes read below are what is enforced
            self.r.problem(rel, "", self._too_big(st.st_size, limit, room))
            return
        try:
            fd = os.open(name, _FILE_FLAGS, dir_fd=parent)
        except OSError as exc:
            self.r.problem(rel, "", _open_failed(exc))
            return
        try:
            if not self._same(fd, st, stat.S_ISREG):
                self.r.problem(rel, "", "changed while being read; not read")
                return
            data = read_capped(fd, limit, st.st_size)
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
        if limit < rules.MAX_FILE_BYTES and room < size:
            return f"would take the snapshot past {rules.size_text(rules.MAX_TOTAL_BYTES)} in total; not read"
        return f"larger than {rules.size_text(rules.MAX_FILE_BYTES)}; skipped"

    @staticmethod
    def _same(fd: int, st: os.stat_result, is_kind: Any) -> bool:
        now = os.fstat(fd)
        return bool(is_kind(now.st_mode)) and (now.st_dev, now.st_ino) == (st.st_dev, st.st_ino)

    @staticmethod
    def _refusal(parent: int, name: str, st: os.stat_result, otherwise: str) -> str:
        if not stat.S_ISLNK(st.st_mode):
            return f"is {_kind(st.st_mode)}; {otherwise}"
        try:
            target = f" (to {rules.shown(os.readlink(name, dir_fd=parent), 80)})"  # the link itself; follows nothing
        except OSError:
            target = ""
        return f"is a symbolic link{target}; links inside a snapshot are never followed"

    def other(self, parent: int, name: str, st: os.stat_result, rel: str) -> None:
        """An entry outside the layout: never opened; named if it is a link or a special file,
        or if it sits in a node directory."""
        if stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode):
            if rules.unknown_is_named(tuple(rel.split("/"))):
                self.r.problem(rel, "", rules.UNKNOWN)
        else:
            self.r.problem(rel, "", self._refusal(parent, name, st, "not read"))

    def walk(self, root: int) -> None:
        for name, st in self.listing(root, ""):
            if name in rules.TOP_FILES:
                self.file(root, name, st, (name,))
            elif name == "api":
                self.api(root, st)
            elif name == "nodes":
                self.nodes(root, st)
            else:
                self.other(root, name, st, name)

    def api(self, root: int, st: os.stat_result) -> None:
        fd = self.subdir(root, "api", st, "api")
        if fd is None:
            return
        try:
            for name, est in self.listing(fd, "api/"):
                if name.endswith(".json"):
                    self.file(fd, name, est, ("api", name))
                else:
                    self.other(fd, name, est, f"api/{name}")
        finally:
            os.close(fd)

    def nodes(self, root: int, st: os.stat_result) -> None:
        fd = self.subdir(root, "nodes", st, "nodes")
        if fd is None:
            return
        try:
            for node, nst in self.listing(fd, "nodes/"):
                if stat.S_ISREG(nst.st_mode):
                    continue  # a README beside the node directories
                node_fd = self.subdir(fd, node, nst, f"nodes/{node}")
                if node_fd is None:
                    continue
                self.r.nodes.add(node)
                try:
                    for name, est in self.listing(node_fd, f"nodes/{node}/"):
                        if name in rules.NODE_FILES:
                            self.file(node_fd, name, est, ("nodes", node, name))
                        else:  # a file, a link, or a subdirectory tree of any depth: never walked
                            self.other(node_fd, name, est, f"nodes/{node}/{name}")
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


__all__ = ["read_capped", "read_directory"]

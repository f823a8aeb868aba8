"""Reading a snapshot tarball without extracting it (the rules are in snapshot_read).

Members are walked in tarfile's streaming mode over a stream that stops one byte past the
total cap, so a gzip bomb is never inflated further; regular files of the layout are read
into memory with `extractfile()`; everything else is named and skipped. Nothing is written to
disk and no link is created, so no name or link in the archive can reach outside it. Works
the same on every Python from 3.11.0 (no `filter=`, which 3.11.2 lacks and 3.11.7 gets wrong).
"""

from __future__ import annotations

import gzip
import tarfile
import zlib
from pathlib import Path
from typing import Any, BinaryIO

from k8snet_tui.errors import SnapshotError
from k8snet_tui.sources import snapshot_read as rules
from k8snet_tui.sources.snapshot_read import Reading


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
            raise _Stop("archive", f"more than {rules.size_text(self.cap)} once uncompressed; the rest is not read")
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
        if headers > rules.MAX_ENTRIES:
            raise _Stop("archive", f"more than {rules.MAX_ENTRIES:,} members; the rest is not read")
        if self.type in _EXTENDED:
            chain = getattr(tarfile, "k8snet_chain", 0) + 1
            tarfile.k8snet_chain = chain
            if self.size > rules.MAX_HEADER_BYTES:
                cap = rules.size_text(rules.MAX_HEADER_BYTES)
                raise _Stop("archive", f"an extended header of {rules.size_text(self.size)} (over {cap});"
                                       " the rest is not read")
            if chain > rules.MAX_HEADER_CHAIN:
                raise _Stop("archive", f"more than {rules.MAX_HEADER_CHAIN} extended headers in a row; the rest is not read")
        else:
            tarfile.k8snet_chain = 0
        return super()._proc_member(tarfile)  # type: ignore[misc]


def _member_kind(member: tarfile.TarInfo) -> str | None:
    """Why a non-directory member is refused, or None for a plain regular file."""
    if member.type in (tarfile.REGTYPE, tarfile.AREGTYPE) and not member.issparse():
        return None
    if member.issym():
        return f"a symbolic link (to {rules.shown(member.linkname, 80)}); links are never followed"
    if member.islnk():
        return f"a hard link (to {rules.shown(member.linkname, 80)}); links are never followed"
    if member.ischr() or member.isblk():
        return "a device; only regular files are read"
    if member.isfifo():
        return "a FIFO; only regular files are read"
    if member.issparse():
        return "a sparse file; only plain regular files are read"
    return f"not a regular file (tar type {member.type!r}); only regular files are read"


def _member_parts(name: str) -> tuple[str, ...] | str:
    """The member's path components, or why its name is refused."""
    fault = rules.name_fault(name)
    if fault:
        return fault
    if name.startswith("/"):
        return "its name is absolute"
    parts = tuple(p for p in name.split("/") if p not in ("", "."))
    if ".." in parts:
        return "its name climbs out with '..'"
    if len(parts) > rules.MAX_DEPTH:
        return f"its name is nested deeper than {rules.MAX_DEPTH} levels"
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
                    where = f"in member {rules.shown(member.name, 80)}"
                    self.member(tar, member)
                    where = f"after member {rules.shown(member.name, 80)}"
        except _Stop as stop:
            self.r.problem(stop.where, "", stop.message, stop=True)
        except (tarfile.TarError, OSError, EOFError, zlib.error, RecursionError) as exc:
            self.r.problem("archive", "", f"damaged {where} ({_tar_error(exc)}); the rest is not read", stop=True)
        self.r.scanned = self.stream.count
        self.settle()

    def member(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        self.members += 1
        if self.members > rules.MAX_ENTRIES:
            raise _Stop("archive", f"more than {rules.MAX_ENTRIES:,} members; the rest is not read")
        shown = rules.shown(member.name)
        parts = _member_parts(member.name)
        if isinstance(parts, str):
            self.r.problem(shown, "", f"refused: {parts}")
            return
        if not parts:
            return  # "." or "./": the archive's own top
        if rules.hidden(parts[1:]):  # hidden with or without a top directory: skipped quietly
            self.names.append((parts, "other"))
            return
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
        if member.size > rules.MAX_FILE_BYTES:
            cap = rules.size_text(rules.MAX_FILE_BYTES)
            raise _Stop(shown, f"is {rules.size_text(member.size)}, over the {cap} cap for one file;"
                               " the archive is not read past it")
        self.names.append((parts, "file"))
        self.files.add(parts)
        if not (rules.is_layout_file(parts) or rules.is_layout_file(parts[1:])) or rules.hidden(parts[1:]):
            return  # not read; named after the walk, once the top directory is known
        if self.r.total + member.size > rules.MAX_TOTAL_BYTES:
            raise _Stop(shown, f"would take the snapshot past {rules.size_text(rules.MAX_TOTAL_BYTES)} in total;"
                               " the archive is not read past it")
        fileobj = tar.extractfile(member)
        data = fileobj.read(rules.MAX_FILE_BYTES + 1) if fileobj is not None else b""
        self.r.total += len(data)
        self.read[parts] = data

    def settle(self) -> None:
        """Strip the one optional top directory, then keep the layout files and name the rest."""
        tops = {parts[0] for parts, _ in self.names if not rules.hidden(parts[:1])}  # not macOS's ./._snap
        top = next(iter(tops)) if len(tops) == 1 else None
        if top is not None:
            nested = all(len(parts) > 1 or kind == "dir" for parts, kind in self.names if parts[0] == top)
            looks_flat = top in ("api", "nodes") and (top, "meta.json") not in self.read
            if not nested or looks_flat:
                top = None
        cut = 1 if top is not None else 0
        for parts, kind in self.names:
            if top is not None and parts[0] != top:
                continue  # a dot name beside the top directory: it must not stand in for one inside
            rel = parts[cut:]
            if not rel or rules.hidden(rel):
                continue
            if kind == "dir":
                if len(rel) == 2 and rel[0] == "nodes":
                    self.r.nodes.add(rel[1])
            elif kind == "file":
                if not rules.is_layout_file(rel):
                    if rules.unknown_is_named(rel):
                        self.r.problem("/".join(rel), "", rules.UNKNOWN)
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
        _TarWalk(_CappedStream(inner, rules.MAX_TOTAL_BYTES), reading).run(archive)
    return reading


__all__ = ["read_tarball"]

"""The rules for reading a snapshot's files without trusting them: caps, layout, problems.

Snapshots are sent between people and opened as root on nodes, so their bytes are hostile
until read. `snapshot_tar` walks a tarball member by member in memory and never extracts it;
`snapshot_dir` reads a directory through descriptors, never following a link or opening a
special file. Both look only at the snapshot layout (`meta.json`, `cloud.json`, `api/*.json`,
`nodes/<node>/<known file>`) and stop at the caps below; what goes past a cap is a `Problem`,
never a hang, a traceback or an exhausted machine. docs/snapshot-format.md ("What a snapshot
may not contain") lists the rules for users.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from k8snet_tui.domain.sanitize import clean

# -- the caps (documented in docs/snapshot-format.md) ---------------------------------------------

MAX_FILE_BYTES = 256 << 20  # one file; the bench's XL iptables dump (694k lines) is ~80 MB
MAX_TOTAL_BYTES = 1 << 30  # everything read; for a tarball, every byte decompressed
MAX_ENTRIES = 20_000  # tar headers, or directory entries listed
MAX_NAME_CHARS = 1024  # one member or entry name, relative to the snapshot
MAX_DEPTH = 8  # components in a tar member name; the layout needs at most four
MAX_HEADER_BYTES = 64 << 10  # one tar extended header (a PAX record set, a GNU long name)
MAX_HEADER_CHAIN = 8  # extended headers in a row before one member (tarfile recurses per header)
MAX_PROBLEMS = 100  # past this the rest are counted, not listed
# JSON values in all files together (commas and brackets counted before parsing): `[{},{},...]`
# would turn 1 GiB of text into ~23 GB of dicts. Ordinary kubectl JSON has one per ~20 bytes,
# so this is ~500 MB of it, 20 times the bench's L pods.json.
MAX_JSON_VALUES = 25_000_000

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
                        "conntrack.json", "pod-netns.json", *IP_JSON_FILES, *IPTABLES_FILES})
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


def unknown_is_named(parts: tuple[str, ...]) -> bool:
    """Is a regular file (or directory) outside the layout worth a problem? Inside a node
    directory it is most likely a dump under the wrong name; elsewhere (a README beside
    meta.json, notes in api/) it is left alone, as it always was. Links and special files are
    named wherever they are."""
    return len(parts) >= 3 and parts[0] == "nodes"


def hidden(parts: tuple[str, ...]) -> bool:
    # Dot files (editor backups, macOS `._x` companions) are skipped quietly, as before.
    return any(p.startswith(".") for p in parts)


def shown(name: str, limit: int = 120) -> str:
    """A hostile name as it may appear in a problem: inert, of bounded length, its end kept
    (in a deep path the end is what tells it apart)."""
    text = clean(name)
    if len(text) <= limit:
        return text
    head = limit // 2
    return text[:head] + "\u2026" + text[len(text) - (limit - head - 1):]


def name_fault(name: str) -> str | None:
    """Why a member or entry name is refused whatever it names, or None."""
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
        self.stops: list[Problem] = []  # where a walk stopped early: listed first, never dropped
        self.unlisted = 0
        self.total = 0  # bytes of the files kept
        self.scanned = 0  # bytes read to get them (for a tarball: decompressed, headers and skipped members too)

    def problem(self, path: str, where: str, message: str, *, stop: bool = False) -> None:
        """Record a problem; past MAX_PROBLEMS only count it. A `stop` (where a walk ended
        early) comes first and is always kept: it says why the rest is missing."""
        # Paths are names from the snapshot (any of them may be hostile): inert and short here,
        # whoever prints them. Messages may quote values from its files.
        problem = Problem(shown(path), shown(where), shown(message, 400))
        if stop:
            self.stops.append(problem)
        elif len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        else:
            self.unlisted += 1

    def all_problems(self) -> tuple[Problem, ...]:
        more = (Problem("snapshot", "", f"{self.unlisted} more problems not listed"),) if self.unlisted else ()
        return (*self.stops, *self.problems, *more)

    def keep(self, parts: tuple[str, ...], data: bytes) -> None:
        self.files["/".join(parts)] = data
        if parts[0] == "nodes":
            self.nodes.add(parts[1])


def size_text(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 else f"{n:,} bytes"


__all__ = ["IPTABLES_FILES", "IP_JSON_FILES", "MAX_DEPTH", "MAX_ENTRIES", "MAX_FILE_BYTES", "MAX_HEADER_BYTES",
           "MAX_HEADER_CHAIN", "MAX_JSON_VALUES", "MAX_NAME_CHARS", "MAX_PROBLEMS", "MAX_TOTAL_BYTES", "NODE_FILES", "TOP_FILES",
           "UNKNOWN", "Problem", "Reading", "hidden", "is_layout_file", "name_fault", "shown", "size_text",
           "unknown_is_named"]

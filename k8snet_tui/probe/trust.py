"""Refuse to run as root from code that someone other than root could have changed.

The probe runs as root (often through a sudoers rule), so every file it imports must be out of
reach of other users: if a user can write the k8snet_tui package, a directory above it, a
directory on sys.path or the interpreter, that user can run anything as root. The rule, for each
of those files and directories and for every directory above them: owned by root, not writable
by "other", and writable by its group only when that group is root. A sticky directory (/tmp)
above a root-owned entry is fine: nobody else can rename or remove that entry. An entry that does
not exist (a sys.path zip) is unsafe when others may write the directory it would be created in.

Only the standard library: this runs before the probe imports anything else.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable, Iterator

MAX_SHOWN = 6

REFUSAL = (
    "k8snet probe: refusing to run as root, because users other than root can change the code it "
    "would run:\n{problems}\n"
    "Anyone who can write one of these can run commands as root through the probe. Install k8snet "
    "where only root can write, e.g.\n"
    "  sudo python3 -m venv /opt/k8snet && sudo /opt/k8snet/bin/python -m pip install .\n"
    "and run the probe with that interpreter: sudo /opt/k8snet/bin/python -I -m k8snet_tui.probe "
    "(docs/security.md gives the sudoers rule).\n"
)


def _shown(path: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in path)


def _others_may_write(st: os.stat_result) -> str | None:
    if st.st_mode & stat.S_IWOTH:
        return "writable by every user"
    if st.st_mode & stat.S_IWGRP and st.st_gid != 0:
        return f"writable by group {st.st_gid}"
    return None


def _why_unsafe(st: os.stat_result, *, above_root_owned: bool) -> str | None:
    if stat.S_ISLNK(st.st_mode):
        return None  # a link cannot be changed, only replaced in its directory (checked too)
    if st.st_uid != 0:
        return f"owned by uid {st.st_uid}, not root"
    if above_root_owned and stat.S_ISDIR(st.st_mode) and st.st_mode & stat.S_ISVTX:
        # A sticky directory such as /tmp: others may add entries but never rename or remove
        # one they do not own, so the root-owned entry below it, which the path goes through,
        # stays root's.
        return None
    return _others_may_write(st)


def _with_parents(path: str) -> Iterator[str]:
    """`path` and each directory above it, for the path as given and for where its links lead."""
    for start in dict.fromkeys((os.path.abspath(path), os.path.realpath(path))):
        current = start
        while True:
            yield current
            parent = os.path.dirname(current)
            if parent == current:
                break
            current = parent


def _tree(root: str) -> Iterator[str]:
    for top, dirs, files in os.walk(root, followlinks=False):
        for name in dirs + files:
            yield os.path.join(top, name)


def unsafe_paths(package_dir: str, python: str, search_path: Iterable[str]) -> list[str]:
    """Sentences naming each file or directory of the running install that non-root users can change."""
    candidates: list[str] = list(_with_parents(package_dir))
    candidates += _tree(package_dir)
    candidates += _tree(os.path.realpath(package_dir)) if os.path.realpath(package_dir) != package_dir else []
    if python:
        candidates += _with_parents(python)
    for entry in search_path:
        # Entries that do not exist (python311.zip) still count: whoever can write the
        # directory they would be in can create them.
        if isinstance(entry, str) and os.path.isabs(entry):
            candidates += _with_parents(entry)
    problems: list[str] = []
    stats: dict[str, os.stat_result | None] = {}

    def lstat(path: str) -> os.stat_result | None:
        if path not in stats:
            try:
                stats[path] = os.lstat(path)
            except OSError:
                stats[path] = None
        return stats[path]

    ordered = list(dict.fromkeys(candidates))
    # A directory is passed through on the way to an entry that exists below it.
    through = {os.path.dirname(path) for path in ordered if lstat(path) is not None}
    # Directories holding an entry (among those checked) that root does not own; one pass,
    # where asking every directory about every entry took most of the probe's start (n²).
    not_all_root = {os.path.dirname(c) for c in ordered
                    if os.path.dirname(c) != c and (child := lstat(c)) is not None and child.st_uid != 0}
    for path in ordered:
        st = lstat(path)
        if st is None:
            # Missing (a sys.path zip, say): whoever may write its directory may create it.
            parent = lstat(os.path.dirname(path))
            why = _others_may_write(parent) if parent is not None else None
            if why:
                problems.append(f"  {_shown(path)}: missing, and its directory is {why}")
            continue
        children_root_owned = path not in not_all_root
        why = _why_unsafe(st, above_root_owned=path in through and children_root_owned)
        if why:
            problems.append(f"  {_shown(path)}: {why}")
    return problems


def check_install() -> str | None:
    """The refusal message when the running install is not root's alone; None when it is."""
    import k8snet_tui

    package_dir = os.path.dirname(os.path.abspath(k8snet_tui.__file__))
    # pyvenv.cfg decides which standard library and site-packages a venv's interpreter uses.
    problems = unsafe_paths(package_dir, sys.executable, [*sys.path, os.path.join(sys.prefix, "pyvenv.cfg")])
    if not problems:
        return None
    shown = problems[:MAX_SHOWN]
    if len(problems) > MAX_SHOWN:
        shown.append(f"  ... and {len(problems) - MAX_SHOWN} more")
    return REFUSAL.format(problems="\n".join(shown))

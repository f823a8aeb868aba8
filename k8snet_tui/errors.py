"""What went wrong, in words a user can act on.

Expected faults (a bad snapshot, an unknown context, an unreachable API) are raised as
`K8snetError` with a message that says what failed, where, and what to do. The CLI prints the
message and exits with `exit_code`; the TUI shows it in a notification or a pane. Nothing in
this hierarchy should ever reach a user as a traceback. Anything else is a bug: `report_crash`
turns it into exit 1, one line on stderr and the traceback in a log file.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Mapping
from pathlib import Path

EXIT_OK = 0
EXIT_USAGE = 2  # usage error or unreadable input
EXIT_UNREACHABLE = 3  # the cluster could not be reached


class K8snetError(Exception):
    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class UsageError(K8snetError):
    """The command line asked for something that cannot be done."""


class SnapshotError(K8snetError):
    """A snapshot path that cannot be opened at all (a bad file inside one is a problem, not this)."""


class KubeconfigError(K8snetError):
    """No usable kubeconfig, an unknown context, or a credential plugin that failed."""


class ClusterUnreachable(K8snetError):
    exit_code = EXIT_UNREACHABLE


EXIT_NODE_STATE = 4  # --node NAME: that node's state could not be read


class NodeStateUnavailable(K8snetError):
    """`--node NAME` whose state cannot be read: no agent there, exec forbidden, not ready, a timeout."""

    exit_code = EXIT_NODE_STATE


# -- unexpected faults ---------------------------------------------------------------------------
# A bug must never look like success (exit 0) nor bury the terminal in a traceback: the user
# gets one line naming the fault and the log file, the traceback goes to that file.

EXIT_CRASH = 1
CRASH_LOG_MAX_BYTES = 1 << 20  # the log starts over past this size: it must never fill a disk


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    """`$XDG_STATE_HOME/k8snet`, else `~/.local/state/k8snet`."""
    env = os.environ if env is None else env
    base = env.get("XDG_STATE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".local" / "state")
    return Path(base) / "k8snet"


def write_crash_log(exc: BaseException, env: Mapping[str, str] | None = None) -> Path:
    """Append `exc`'s traceback to the crash log and return its path (OSError when it cannot)."""
    directory = state_dir(env)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / "crash.log"
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8", errors="replace") as log:
        if log.tell() > CRASH_LOG_MAX_BYTES:
            log.truncate(0)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        log.write(f"--- {stamp} k8snet {' '.join(sys.argv[1:])[:500]}\n")
        log.write("".join(traceback.format_exception(exc)))
    return path


def report_crash(exc: BaseException, env: Mapping[str, str] | None = None) -> int:
    """One line on stderr for an unexpected exception, its traceback in the log; the exit code."""
    from k8snet_tui.domain.sanitize import clean

    what = clean(f"{type(exc).__name__}: {exc}")[:300]
    try:
        where = f"the traceback is in {write_crash_log(exc, env)}"
    except OSError as log_error:
        where = f"the traceback could not be logged ({log_error.strerror or log_error})"
    print(f"k8snet: unexpected error: {what}; {where}; please report it", file=sys.stderr)
    return EXIT_CRASH

"""What went wrong, in words a user can act on.

Expected faults (a bad snapshot, an unknown context, an unreachable API) are raised as
`K8snetError` with a message that says what failed, where, and what to do. The CLI prints the
message and exits with `exit_code`; the TUI shows it in a notification or a pane. Nothing in
this hierarchy should ever reach a user as a traceback.
"""

from __future__ import annotations

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

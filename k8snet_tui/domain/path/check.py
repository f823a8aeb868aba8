"""The live attempt beside the diagnosis: where to connect, and what a disagreement means.

The attempt itself (a TCP connect from the source pod's network namespace) is made outside the
domain (sources/pod_connect.py); here it is only compared. A connection that succeeds where a
hop fails, or fails where every hop is ok, is a finding in itself: something the diagnosis read
is stale, or something it cannot read (a host firewall, a process not listening) decides.
"""

from __future__ import annotations

from .model import Diagnosis, LiveCheck


def check_target(d: Diagnosis) -> tuple[str, int] | None:
    """(host, port) the attempt connects to: the address and port the diagnosis says is dialled."""
    if d.dial is None:
        return None
    host, _, port = d.dial.rpartition(":")
    host = host.strip("[]")
    return (host, int(port)) if host and port.isdigit() else None


def compare(d: Diagnosis, host: str, port: int, *, ok: bool, error: str | None, elapsed_ms: float | None,
            netns: str | None, unavailable: str | None) -> Diagnosis:
    """The diagnosis with the attempt attached, and a finding when the two disagree."""
    findings: list[str] = []
    agrees: bool | None = None
    outcome: bool | None = None if unavailable else ok
    if outcome is not None:
        if d.verdict == "reachable":
            agrees = outcome
            if not outcome:
                findings.append(f"disagreement: every hop is ok, but connecting to {host}:{port} failed "
                                f"({error or 'no reason given'}): something k8snet does not read stops it (the process "
                                "not listening, a host firewall, the CNI's own policy), or the state read is stale")
        elif d.verdict == "unreachable":
            agrees = not outcome
            if outcome and d.first_failure is not None:
                findings.append(f"disagreement: the {d.first_failure.hop} hop fails ({d.first_failure.summary}), "
                                f"but connecting to {host}:{port} succeeded: the state k8snet read is stale or "
                                "its reading of it is wrong here")
        elif outcome:
            findings.append(f"connecting to {host}:{port} succeeded: the hops that could not be judged did not stop it")
        else:
            findings.append(f"connecting to {host}:{port} failed ({error or 'no reason given'}): look first at the "
                            "hops that could not be judged")
    check = LiveCheck(host, port, outcome, error, elapsed_ms, netns, unavailable, agrees)
    return d.with_check(check, tuple(findings))

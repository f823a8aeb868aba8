"""Run `k8snet probe` (root) as a subprocess and turn its JSON into a `NodeState`.

The app never needs root and never imports python-iptables: it starts the probe as a separate
process (directly when already root, else through `sudo -n`), waits with a deadline, and reads
one JSON document. Whatever goes wrong (no sudo rights, a hang, a crash, garbage on stdout)
becomes a NodeState whose `errors` say what happened and what to do.

`node_state_from_probe` is also the reader for probe documents stored in snapshots, so it
trusts nothing: fields of the wrong type are dropped with an error naming the field.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from k8snet_tui.domain.model import NodeState
from k8snet_tui.probe.runner import CHILD_ENV, SAFE_PATH, CmdResult, MiB, python_module_argv, run

PROBE_FORMAT = "k8snet.probe/v1"
PROBE_MODULE = "k8snet_tui.probe"
CLIENT_OUTPUT_CAP = 512 * MiB  # two 64 MiB iptables dumps, an nft ruleset, conntrack...

_OBJECT_LISTS = ("links", "addresses", "routes", "rules", "neighbours", "conntrack", "pod_netns")
_TEXT_MAPS = ("iptables", "ip6tables")


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def node_state_from_probe(doc: dict, source: str, node: str = "") -> NodeState:
    """A NodeState from a `k8snet.probe/v1` document; tolerant of missing and wrong fields."""
    errors: list[str] = []
    if not isinstance(doc, dict):
        return NodeState(
            node=node, source=source,
            errors=(f"probe document is {_type_name(doc)}, not a JSON object",),
        )
    fmt = doc.get("format")
    if fmt != PROBE_FORMAT:
        errors.append(
            f"probe document format is {fmt!r}, expected {PROBE_FORMAT!r}; reading what fits"
        )

    def text(key: str) -> str | None:
        value = doc.get(key)
        if value is None or isinstance(value, str):
            return value
        errors.append(f"probe field '{key}' is {_type_name(value)}, expected text; dropped")
        return None

    def objects(key: str, *, nullable: bool = False) -> tuple[dict[str, Any], ...] | None:
        value = doc.get(key)
        if value is None:
            return None if nullable else ()
        if not isinstance(value, list):
            errors.append(f"probe field '{key}' is {_type_name(value)}, expected a list; dropped")
            return None if nullable else ()
        kept = tuple(item for item in value if isinstance(item, dict))
        if len(kept) != len(value):
            errors.append(
                f"probe field '{key}': dropped {len(value) - len(kept)} item(s) that are not objects"
            )
        return kept

    def text_map(key: str) -> MappingProxyType[str, str]:
        value = doc.get(key)
        if value is None:
            return MappingProxyType({})
        if not isinstance(value, dict):
            errors.append(f"probe field '{key}' is {_type_name(value)}, expected an object; dropped")
            return MappingProxyType({})
        kept = {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}
        for k in value:
            if k not in kept:
                errors.append(f"probe field '{key}.{k}' is {_type_name(value[k])}, expected text; dropped")
        return MappingProxyType(kept)

    lists = {key: objects(key) or () for key in _OBJECT_LISTS}  # not nullable: never None
    iptables = {key: text_map(key) for key in _TEXT_MAPS}

    nft = doc.get("nft_ruleset")
    if nft is not None and not isinstance(nft, dict):
        errors.append(f"probe field 'nft_ruleset' is {_type_name(nft)}, expected an object; dropped")
        nft = None

    captured = doc.get("captured_at")
    if captured is not None and (isinstance(captured, bool) or not isinstance(captured, (int, float))):
        errors.append(f"probe field 'captured_at' is {_type_name(captured)}, expected a number; dropped")
        captured = None

    hostname = text("hostname") or ""
    ipvsadm = text("ipvsadm")
    resolv_conf = text("resolv_conf")
    cilium = objects("cilium_services", nullable=True)

    probe_errors: list[str] = []
    raw_errors = doc.get("errors")
    if isinstance(raw_errors, list):
        probe_errors = [e for e in raw_errors if isinstance(e, str)]
        if len(probe_errors) != len(raw_errors):
            errors.append(f"probe field 'errors': dropped {len(raw_errors) - len(probe_errors)} non-text item(s)")
    elif raw_errors is not None:
        errors.append(f"probe field 'errors' is {_type_name(raw_errors)}, expected a list; dropped")

    return NodeState(
        node=node or hostname,
        links=lists["links"],
        addresses=lists["addresses"],
        routes=lists["routes"],
        rules=lists["rules"],
        neighbours=lists["neighbours"],
        iptables=iptables["iptables"],
        ip6tables=iptables["ip6tables"],
        nft_ruleset=nft,
        ipvsadm=ipvsadm,
        cilium_services=cilium,
        conntrack=lists["conntrack"],
        pod_netns=lists["pod_netns"],
        resolv_conf=resolv_conf,
        hostname=hostname,
        source=source,
        captured_at=float(captured) if captured is not None else None,
        errors=tuple(probe_errors + errors),
    )


def default_probe_argv() -> list[str]:
    """How to start the probe from this process: directly as root, else through `sudo -n`.

    Always `PYTHON -I -m k8snet_tui.probe` with this interpreter's absolute path and nothing
    else, so that a sudoers rule can name exactly this command (docs/security.md).
    """
    argv = python_module_argv(sys.executable, PROBE_MODULE)
    if os.geteuid() == 0:
        return argv
    return ["sudo", "-n", *argv]


_SUDO_PASSWORD = ("a password is required", "a terminal is required", "askpass")
_SUDO_DENIED = ("is not allowed to execute", "not in the sudoers file", "may not run sudo")
_WHAT_TO_RUN = (
    "run `sudo -v` in this terminal before starting k8snet (sudo then remembers your password "
    "for a while), or run `sudo k8snet probe > node.json` and open that file as a snapshot"
)


def _explain(result: CmdResult, argv: list[str], timeout: float) -> str:
    """One sentence on why the probe gave no document, with the stderr tail."""
    shown = " ".join(argv)
    tail = result.stderr_tail()
    low = tail.lower()
    uses_sudo = bool(argv) and os.path.basename(argv[0]) == "sudo"
    if result.start_error is not None:
        if uses_sudo and shutil.which("sudo") is None:
            return ("the node probe needs root and `sudo` is not installed: run k8snet as root, "
                    "or run `k8snet probe > node.json` as root and open that file as a snapshot")
        return f"could not start the node probe (`{shown}`): {result.start_error}"
    if result.timed_out:
        msg = f"the node probe (`{shown}`) did not finish within {timeout:g} s and was stopped"
    elif result.truncated:
        msg = f"the node probe (`{shown}`) printed more than {_size(CLIENT_OUTPUT_CAP)} and was stopped"
    elif uses_sudo and any(s in low for s in _SUDO_PASSWORD):
        return f"the node probe needs root and sudo asks for a password: {_WHAT_TO_RUN}"
    elif uses_sudo and any(s in low for s in _SUDO_DENIED):
        return ("the node probe needs root and sudo refuses this user: ask an admin for a sudoers "
                "rule for `k8snet probe`, or run `sudo k8snet probe > node.json` as someone allowed")
    elif result.returncode == 2 and REFUSED_MARK in result.stderr:
        return _refusal(result)
    elif result.returncode == 2 and "sudo k8snet probe" in tail:
        return f"the node probe is not running as root: {tail}"
    elif result.returncode is not None and result.returncode < 0:
        msg = f"the node probe (`{shown}`) was killed by signal {-result.returncode} ({_signal_name(-result.returncode)})"
    elif result.returncode not in (0, None):
        msg = f"the node probe (`{shown}`) exited with status {result.returncode}"
    else:
        head = result.stdout[:120].decode("utf-8", errors="replace")
        msg = f"the node probe (`{shown}`) printed no probe JSON (output began {head!r})"
    return f"{msg}; stderr: {tail}" if tail else msg


REFUSED_MARK = b"refusing to run as root"


def _refusal(result: CmdResult) -> str:
    """The probe's own refusal (its install is writable by others), shortened to what to do."""
    lines = result.stderr.decode("utf-8", errors="replace").splitlines()
    first = next((ln.strip() for ln in lines if ln.startswith("  /")), "")
    where = f" ({first}{', ...' if sum(ln.startswith('  /') for ln in lines) > 1 else ''})" if first else ""
    return ("the node probe refused to run as root: users other than root can change its install"
            f"{where}; install k8snet where only root can write, e.g. a root-owned venv in /opt/k8snet "
            "(see docs/security.md), and start k8snet from it")


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return "unknown signal"


def _size(n: int) -> str:
    return f"{n // MiB} MiB" if n >= MiB else f"{n} bytes"


def run_probe(
    argv_prefix: list[str] | None = None,
    timeout: float = 10.0,
    *,
    extra_args: tuple[str, ...] = (),
    source: str = "probe",
    node: str = "",
) -> NodeState:
    """Run the probe and read its document. Blocking: call it off the UI thread.

    `argv_prefix` is the whole command to run (e.g. `["ip", "netns", "exec", "ns1",
    sys.executable, "-I", "-m", "k8snet_tui.probe"]`); None means `default_probe_argv()`.
    Either way it runs in "/" with a minimal environment (`CHILD_ENV`).
    Never raises for a failing probe: the returned NodeState's `errors` explain it.
    """
    if argv_prefix is None:
        argv, env = default_probe_argv(), dict(CHILD_ENV)
    else:
        # A command the user configured (K8SNET_PROBE_CMD) may name a tool on their PATH;
        # nothing else of this environment goes along.
        argv, env = list(argv_prefix), {**CHILD_ENV, "PATH": os.environ.get("PATH") or SAFE_PATH}
    argv = [*argv, *extra_args]  # `--pod-netns`: a fixed word, so a sudoers line can name it exactly
    result = run(argv, timeout=timeout, max_bytes=CLIENT_OUTPUT_CAP, grace=2.0, env=env, cwd="/")
    doc: Any = None
    if result.stdout and not result.truncated:
        try:
            doc = json.loads(result.stdout)
        except (ValueError, RecursionError):  # nesting past the parser's depth raises the latter
            doc = None
    if not isinstance(doc, dict) or "format" not in doc:
        return NodeState(node=node, source=source, errors=(_explain(result, argv, timeout),))
    state = node_state_from_probe(doc, source, node)
    if result.returncode != 0:
        extra = _explain(result, argv, timeout)
        state = replace(state, errors=state.errors + (extra,))
    return state

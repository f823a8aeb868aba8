"""Shell completion: `k8snet completion bash|zsh|fish` prints a script; the script asks
`k8snet __complete WORDS...` (hidden) for the candidates of the last word.

Commands, panes, options and their fixed values come from the CLI's own parser and the grammar;
Service, pod and namespace names from the current source (the --snapshot, --kubeconfig and
--context already typed, else what `k8snet` alone would open). Names are cluster data: only
those made of the characters Kubernetes allows in names (and `/`, `:`) are offered, so no
candidate can carry shell syntax, and the scripts never evaluate a candidate (no `compgen -W`).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterable, Sequence

SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,252}\Z")
SAFE_PATH = re.compile(r"[A-Za-z0-9._/~+@:-]{1,4096}\Z")
MAX_CANDIDATES = 2000
COMMANDS = ("show", "trace", "dns", "route", "policy", "diff", "find", "path", "lab", "serve", "capture", "completion",
            "agent", "probe", "check", "balance", "mesh")
AGENT_OPTIONS = ("--image", "--reader-role", "-h", "--help")  # `agent manifest` reads no cluster
SOURCE_OPTIONS = ("--snapshot", "--kubeconfig", "--context", "-n", "--namespace", "-A", "--all-namespaces",
                  "--node", "--strict")
COMMAND_OPTIONS = {
    "show": ("-o", "--output", "--json", "--no-headers"),
    "trace": ("-o", "--output", "--json", "--no-headers"),
    "dns": ("--pod", "--resolver", "--type", "-o", "--output", "--json", "--no-headers"),
    "route": ("--class", "-o", "--output", "--json", "--no-headers"),
    "policy": ("--port", "--protocol", "-o", "--output", "--json", "--no-headers"),
    "capture": ("-o", "--output", "--notes", "--no-probe"),
    "completion": (),
    "diff": ("-o", "--output", "--json", "--no-headers"),
    "find": ("-o", "--output", "--json", "--no-headers"),
    "check": ("-o", "--output", "--json", "--no-headers"),
    "path": ("--check", "-o", "--output", "--json", "--no-headers"),
    "balance": ("--requests", "--seed", "--clients", "--port", "-o", "--output", "--json", "--no-headers"),
    "mesh": ("--uid", "--from", "--path", "--method", "-o", "--output", "--json", "--no-headers"),
    "lab": (),
    "serve": ("--port", "--host", "--font-size", "--lab"),
}
TAKES_VALUE = {"--snapshot", "--kubeconfig", "--context", "-n", "--namespace", "--node", "-o", "--output",
               "--pod", "--resolver", "--type", "--class", "--notes", "--interval", "--theme", "--pane", "--port",
               "--protocol", "--image", "--host", "--font-size", "--requests", "--seed", "--clients", "--uid",
               "--from", "--path", "--method"}


def script(shell: str, prog: str = "k8snet") -> str:
    if shell == "bash":
        return BASH.replace("@PROG@", prog)
    if shell == "zsh":
        return ZSH.replace("@PROG@", prog)
    if shell == "fish":
        return FISH.replace("@PROG@", prog)
    raise ValueError(shell)


BASH = r"""# bash completion for @PROG@: eval "$(@PROG@ completion bash)"
_k8snet_complete() {
    local IFS=$'\n'
    COMPREPLY=()
    local line
    while IFS= read -r line; do
        COMPREPLY+=("$line")
    done < <(@PROG@ __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
}
complete -o nosort -F _k8snet_complete @PROG@ 2>/dev/null || complete -F _k8snet_complete @PROG@
"""

ZSH = r"""#compdef @PROG@
# zsh completion for @PROG@: eval "$(@PROG@ completion zsh)"
_k8snet_complete() {
    local -a candidates
    candidates=("${(@f)$(@PROG@ __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
    (( ${#candidates} )) && compadd -Q -- "${(@)candidates}"
}
compdef _k8snet_complete @PROG@
"""

FISH = r"""# fish completion for @PROG@: @PROG@ completion fish | source
function __k8snet_complete
    set -l tokens (commandline -opc) (commandline -ct)
    @PROG@ __complete $tokens[2..-1] 2>/dev/null
end
complete -c @PROG@ -f -a '(__k8snet_complete)'
"""


def complete_main(words: Sequence[str]) -> int:
    """`k8snet __complete W1 ... CURRENT`: the candidates for CURRENT, one a line."""
    try:
        for candidate in candidates(list(words) or [""]):
            sys.stdout.write(candidate + "\n")
    except Exception:  # completion must never print a traceback into a prompt
        return 0
    return 0


def candidates(words: list[str]) -> list[str]:
    current, before = words[-1], words[:-1]
    command = next((w for w in _positionals(before)), None)
    previous = before[-1] if before else ""
    if previous in TAKES_VALUE:
        return _prefixed(_values(previous, before, command), current)
    if command == "agent":
        return _agent_candidates(before, current)
    if current.startswith("-"):
        options = (*SOURCE_OPTIONS, *COMMAND_OPTIONS.get(command or "", ("--version", "--theme", "--pane",
                                                                          "--interval")))
        return _prefixed(options, current)
    position = len(_positionals(before))
    if command is None:
        return _prefixed(COMMANDS, current)
    if position == 1:  # the command's first word
        if command == "show":
            from k8snet_tui.registry import PANES

            return _prefixed([w for spec in PANES for w in (spec.id, *spec.aliases)], current)
        if command in ("trace", "balance"):
            return _prefixed(_names(before, "Service"), current)
        if command == "dns":
            return _prefixed(_names(before, "Service", short=True), current)
        if command == "completion":
            return _prefixed(("bash", "zsh", "fish"), current)
        if command == "policy":
            return _prefixed(("check",), current)
    if command == "diff" and position in (1, 2):  # diff A B: snapshots (the shell's own paths aside)
        return _prefixed(("lab",), current)
    if command == "find" and position == 1:  # an address, a name or a chain: the names are offered
        return _prefixed([*_names(before, "Service", short=True), *_names(before, "Pod", short=True)], current)
    if command == "mesh" and position == 1:  # mesh NS/POD: the pods
        return _prefixed(_names(before, "Pod"), current)
    if command == "path" and position == 1:  # path FROM TO: a pod, node/NAME or outside
        return _prefixed([*_names(before, "Pod"), "outside"], current)
    if command == "path" and position == 2:  # a Service's short name (the port is the user's)
        return _prefixed(_names(before, "Service", short=True), current)
    if command == "policy" and position in (2, 3):  # policy check SRC DST
        return _prefixed(_names(before, "Pod"), current)
    if command == "dns" and position >= 2:
        from k8snet_tui.grammar import QTYPES, RESOLVERS

        return _prefixed((*QTYPES, *RESOLVERS), current)
    return []


def _agent_candidates(before: list[str], current: str) -> list[str]:
    """`agent manifest [--image IMAGE] [--reader-role]`: no names, no source options."""
    if before and before[-1] == "--image":
        return []  # an image reference is the user's to type
    if current.startswith("-"):
        return _prefixed(AGENT_OPTIONS, current)
    if len(_positionals(before)) == 1:
        return _prefixed(("manifest",), current)
    return []


def _positionals(words: Sequence[str]) -> list[str]:
    out, skip = [], False
    for w in words:
        if skip:
            skip = False
            continue
        if w.startswith("-"):
            skip = w in TAKES_VALUE
            continue
        out.append(w)
    return out


def _values(option: str, before: list[str], command: str | None) -> list[str]:
    from k8snet_tui.grammar import QTYPES, RESOLVERS

    if option in ("-o", "--output") and command != "capture":
        return ["text", "wide", "json", "yaml"]
    if option == "--resolver":
        return list(RESOLVERS)
    if option == "--type":
        return list(QTYPES)
    if option == "--theme":
        return ["default", "high-contrast", "ansi"]
    if option == "--protocol":
        return ["TCP", "UDP", "SCTP"]
    if option in ("-n", "--namespace"):
        return _names(before, "Namespace")
    if option == "--pod":
        return _names(before, "Pod")
    if option == "--context":
        return _contexts(before)
    if option == "--snapshot":
        return ["lab"]
    return []


def _prefixed(items: Iterable[str], current: str) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        if item.startswith(current) and item not in seen:
            seen[item] = None
            if len(seen) >= MAX_CANDIDATES:
                break
    return list(seen)


def _source_args(before: list[str]) -> argparse.Namespace:
    """The source options among the words typed so far (the rightmost wins, as in the CLI)."""
    args = argparse.Namespace(snapshot=None, kubeconfig=None, context=None, namespace=None, all_namespaces=False,
                              node=None, interval=None)
    for i, w in enumerate(before[:-1]):
        value = before[i + 1]
        if w == "--snapshot":
            args.snapshot = value
        elif w == "--kubeconfig":
            args.kubeconfig = value
        elif w == "--context":
            args.context = value
    return args


def _contexts(before: list[str]) -> list[str]:
    from k8snet_tui.sources.kubeconfig import read_contexts, resolve_kubeconfig

    choice = resolve_kubeconfig(_source_args(before).kubeconfig)
    if not choice.found:
        return []
    names, _ = read_contexts(choice)
    return [n for n in names if SAFE_NAME.match(n)]


def _names(before: list[str], kind: str, *, short: bool = False) -> list[str]:
    """`ns/name` (or the bare name) of every `kind` object of the current source."""
    from k8snet_tui.domain.model import key_of, name_of

    objects = _objects(_source_args(before), kind)
    keys = [name_of(o) if short or kind == "Namespace" else key_of(o) for o in objects]
    return sorted({k for k in keys if SAFE_NAME.match(k)})


def _objects(args: argparse.Namespace, kind: str) -> list[dict[str, object]]:
    os.environ.setdefault("K8SNET_OFFLINE", "1")  # completion never asks anything outside the cluster
    from k8snet_tui import runtime
    from k8snet_tui.collect.session import SnapshotSession
    from k8snet_tui.config import Settings

    session = runtime.choose_session(args, Settings.load())
    if isinstance(session, SnapshotSession):
        return list(session.snapshot.cluster.of(kind))
    from k8snet_tui.sources.kinds import KINDS

    spec = next(k for k in KINDS if k.kind == kind)
    page = session.source.list_page(spec, None, limit=500)  # one page: enough to complete from
    return [o for o in page.items if isinstance(o, dict)][:MAX_CANDIDATES]

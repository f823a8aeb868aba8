"""Find the cluster the way kubectl does: --kubeconfig, $KUBECONFIG, ~/.kube/config, in-cluster.

This module reads files only; it does not import the kubernetes client (that import costs a
noticeable fraction of a second and must wait until after the first frame).

A kubeconfig is read here, bounded, before the client ever sees it: at most `MAX_BYTES`, a regular
file only (a FIFO would hang the read), and YAML anchors may not expand past `MAX_NODES` nodes (a
"billion laughs" file is a few hundred bytes that the client's merge would blow up to gigabytes).
The client then gets the parsed documents, never the file.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from k8snet_tui.domain.sanitize import clean
from k8snet_tui.errors import KubeconfigError

IN_CLUSTER_TOKEN = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")
MAX_BYTES = 4 * 1024 * 1024  # kubectl's own configs are kilobytes; embedded certificates stay far below
MAX_NODES = 100_000  # YAML nodes after anchors are expanded; a real kubeconfig has hundreds
_FIX_HINT = "fix the file or choose another with --kubeconfig"


@dataclass(frozen=True)
class KubeconfigChoice:
    """Where the cluster credentials come from; `paths` is empty for in-cluster config."""

    paths: tuple[str, ...]
    in_cluster: bool
    why: str  # in words, for the header and `--help`-style messages

    @property
    def found(self) -> bool:
        return bool(self.paths) or self.in_cluster


def resolve_kubeconfig(explicit: str | None, env: Mapping[str, str] | None = None,
                       home: Path | None = None) -> KubeconfigChoice:
    env = os.environ if env is None else env
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise KubeconfigError(f"--kubeconfig {explicit}: no such file",
                                  hint="check the path, or leave --kubeconfig out to use $KUBECONFIG or ~/.kube/config")
        return KubeconfigChoice((str(path),), False, f"--kubeconfig {path}")
    if env.get("KUBECONFIG"):
        listed = [p for p in env["KUBECONFIG"].split(os.pathsep) if p]
        existing = tuple(str(Path(p).expanduser()) for p in listed if Path(p).expanduser().is_file())
        if existing:
            return KubeconfigChoice(existing, False, f"$KUBECONFIG ({', '.join(existing)})")
    default = (home or Path.home()) / ".kube" / "config"
    if default.is_file():
        return KubeconfigChoice((str(default),), False, f"{default}")
    if env.get("KUBERNETES_SERVICE_HOST") and IN_CLUSTER_TOKEN.is_file():
        return KubeconfigChoice((), True, "in-cluster service account")
    return KubeconfigChoice((), False, "no kubeconfig found")


def _read_bounded(path: str) -> str:
    """The text of a regular file of at most MAX_BYTES; a KubeconfigError otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise KubeconfigError(f"cannot read kubeconfig {clean(path)}: {exc.strerror or exc}",
                              hint=_FIX_HINT) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise KubeconfigError(f"kubeconfig {clean(path)} is not a regular file", hint=_FIX_HINT)
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_BYTES:
            chunk = os.read(fd, min(1024 * 1024, MAX_BYTES + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise KubeconfigError(f"cannot read kubeconfig {clean(path)}: {exc.strerror or exc}",
                              hint=_FIX_HINT) from None
    finally:
        os.close(fd)
    if size > MAX_BYTES:
        raise KubeconfigError(f"kubeconfig {clean(path)} is larger than {MAX_BYTES // (1024 * 1024)} MiB; "
                              "not reading it", hint=_FIX_HINT)
    return b"".join(chunks).decode("utf-8", errors="replace")


def _expanded_size(root: Any, budget: int) -> int:
    """How many YAML nodes `root` stands for once every alias is expanded, stopping past `budget`."""
    import yaml

    sizes: dict[int, int] = {}

    def size(node: Any) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        sizes[key] = budget + 1  # a node that contains itself never ends
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            children = []
        total = 1
        for child in children:
            total += size(child)
            if total > budget:
                break
        sizes[key] = total
        return total

    return size(root)


def load_kubeconfig_file(path: str) -> dict[str, Any]:
    """One kubeconfig file as plain data, read and parsed within the bounds above."""
    import yaml  # PyYAML comes with the kubernetes client

    text = _read_bounded(path)
    loader = None
    try:
        # libyaml's parser when present (5x faster on a file near the cap); both refuse control
        # characters and both compose aliases as shared nodes, which `_expanded_size` counts.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
        node = loader.get_single_node()
        if node is not None and _expanded_size(node, MAX_NODES) > MAX_NODES:
            raise KubeconfigError(
                f"kubeconfig {clean(path)} expands to more than {MAX_NODES} YAML nodes "
                "(anchors and aliases that repeat each other); not reading it", hint=_FIX_HINT)
        doc: Any = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise KubeconfigError(f"cannot read kubeconfig {clean(path)}: {clean(exc, single_line=False)}",
                              hint=_FIX_HINT) from None
    except RecursionError:
        raise KubeconfigError(f"kubeconfig {clean(path)} is nested too deeply to read", hint=_FIX_HINT) from None
    finally:
        if loader is not None:
            loader.dispose()
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise KubeconfigError(f"kubeconfig {clean(path)} is not a YAML mapping", hint=_FIX_HINT)
    return doc


def read_contexts(choice: KubeconfigChoice) -> tuple[list[str], str]:
    """Context names across the kubeconfig files (first file wins, as kubectl merges) and the current one."""
    names: list[str] = []
    current = ""
    for path in choice.paths:
        doc = load_kubeconfig_file(path)
        contexts = doc.get("contexts")
        for ctx in contexts if isinstance(contexts, list) else []:
            name = ctx.get("name") if isinstance(ctx, dict) else None
            if isinstance(name, str) and name not in names:
                names.append(name)
        if not current and isinstance(doc.get("current-context"), str):
            current = doc["current-context"]
    return names, current


def check_context(choice: KubeconfigChoice, context: str | None) -> str:
    """The context to use; an unknown one is an error that lists the known ones."""
    if choice.in_cluster:
        return context or ""
    names, current = read_contexts(choice)
    if context:
        if context not in names:
            # Names come from a file someone else may have written: cleaned, never raw.
            known = ", ".join(clean(n) for n in names) if names else "(none)"
            raise KubeconfigError(f"unknown context {clean(repr(context))} in {clean(choice.why)}",
                                  hint=f"known contexts: {known}")
        return context
    if not current:
        if names:
            raise KubeconfigError(f"{clean(choice.why)} sets no current-context",
                                  hint=f"pick one with --context: {', '.join(clean(n) for n in names)}")
        raise KubeconfigError(f"{choice.why} has no contexts", hint="add a context or use --snapshot")
    return current

"""Find the cluster the way kubectl does: --kubeconfig, $KUBECONFIG, ~/.kube/config, in-cluster.

This module reads files only; it does not import the kubernetes client (that import costs a
noticeable fraction of a second and must wait until after the first frame).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from k8snet_tui.errors import KubeconfigError

IN_CLUSTER_TOKEN = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")


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


def read_contexts(choice: KubeconfigChoice) -> tuple[list[str], str]:
    """Context names across the kubeconfig files (first file wins, as kubectl merges) and the current one."""
    import yaml  # PyYAML comes with the kubernetes client

    names: list[str] = []
    current = ""
    for path in choice.paths:
        try:
            doc: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise KubeconfigError(f"cannot read kubeconfig {path}: {exc}",
                                  hint="fix the file or choose another with --kubeconfig") from None
        if not isinstance(doc, dict):
            raise KubeconfigError(f"kubeconfig {path} is not a YAML mapping",
                                  hint="fix the file or choose another with --kubeconfig")
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
            known = ", ".join(names) if names else "(none)"
            raise KubeconfigError(f"unknown context {context!r} in {choice.why}",
                                  hint=f"known contexts: {known}")
        return context
    if not current:
        if names:
            raise KubeconfigError(f"{choice.why} sets no current-context",
                                  hint=f"pick one with --context: {', '.join(names)}")
        raise KubeconfigError(f"{choice.why} has no contexts", hint="add a context or use --snapshot")
    return current

"""One way for CLI tests to run k8snet as a new user would: an empty home, no kubeconfig, no
in-cluster service account, no outside lookups."""

from __future__ import annotations

from pathlib import Path

import pytest

from k8snet_tui.sources import kubeconfig as kc

ALWAYS_UNSET = ("KUBECONFIG", "KUBERNETES_SERVICE_HOST", "K8SNET_CONFIG", "K8SNET_PROBE_CMD")


def isolate_cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, unset: tuple[str, ...]) -> Path:
    """Unset what points k8snet at a cluster (and `unset`), give it a fresh home; the home."""
    home = tmp_path / "home"
    home.mkdir()
    for var in (*ALWAYS_UNSET, *unset):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    monkeypatch.setattr(kc, "IN_CLUSTER_TOKEN", tmp_path / "no-sa-token")
    return home

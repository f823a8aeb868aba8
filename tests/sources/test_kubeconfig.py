"""kubeconfig resolution as kubectl does it: --kubeconfig, $KUBECONFIG, ~/.kube/config, in-cluster."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from k8snet_tui.errors import KubeconfigError
from k8snet_tui.sources import kubeconfig as kc
from k8snet_tui.sources.kubeconfig import KubeconfigChoice, check_context, read_contexts, resolve_kubeconfig


def kubeconfig(path: Path, contexts: list[str], current: str | None = None) -> Path:
    lines = ["apiVersion: v1", "kind: Config", "clusters:",
             "- name: c", "  cluster: {server: 'http://127.0.0.1:1'}", "users:", "- name: u", "  user: {token: t}",
             "contexts:"]
    lines += [f"- name: {name}\n  context: {{cluster: c, user: u}}" for name in contexts]
    if current is not None:
        lines.append(f"current-context: {current}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    h = tmp_path / "home"
    h.mkdir()
    # No in-cluster token on this machine, whatever the machine really has.
    monkeypatch.setattr(kc, "IN_CLUSTER_TOKEN", tmp_path / "no-token")
    return h


def test_explicit_missing_file_is_an_error(home: Path, tmp_path: Path) -> None:
    kubeconfig(home / ".kube" / "config", ["ctx"], "ctx")  # would be found, but --kubeconfig wins
    with pytest.raises(KubeconfigError) as info:
        resolve_kubeconfig(str(tmp_path / "missing.yaml"), env={}, home=home)
    assert "missing.yaml" in info.value.message and "no such file" in info.value.message
    assert info.value.hint


def test_explicit_file_wins_over_env_and_home(home: Path, tmp_path: Path) -> None:
    mine = kubeconfig(tmp_path / "mine.yaml", ["a"], "a")
    other = kubeconfig(tmp_path / "env.yaml", ["b"], "b")
    kubeconfig(home / ".kube" / "config", ["c"], "c")
    choice = resolve_kubeconfig(str(mine), env={"KUBECONFIG": str(other)}, home=home)
    assert choice.paths == (str(mine),) and choice.found and not choice.in_cluster
    assert "--kubeconfig" in choice.why


def test_kubeconfig_env_with_several_paths_some_missing(home: Path, tmp_path: Path) -> None:
    a = kubeconfig(tmp_path / "a.yaml", ["a"], "a")
    b = kubeconfig(tmp_path / "b.yaml", ["b"])
    env = {"KUBECONFIG": os.pathsep.join([str(tmp_path / "gone.yaml"), str(a), "", str(tmp_path / "x"), str(b)])}
    choice = resolve_kubeconfig(None, env=env, home=home)
    assert choice.paths == (str(a), str(b))
    assert "$KUBECONFIG" in choice.why
    # contexts merge across files in order; the first current-context wins
    assert read_contexts(choice) == (["a", "b"], "a")


def test_kubeconfig_env_all_missing_falls_back_to_home(home: Path, tmp_path: Path) -> None:
    default = kubeconfig(home / ".kube" / "config", ["h"], "h")
    choice = resolve_kubeconfig(None, env={"KUBECONFIG": str(tmp_path / "gone")}, home=home)
    assert choice.paths == (str(default),)


def test_home_kube_config(home: Path) -> None:
    default = kubeconfig(home / ".kube" / "config", ["h"], "h")
    choice = resolve_kubeconfig(None, env={}, home=home)
    assert choice.paths == (str(default),) and choice.found
    assert check_context(choice, None) == "h"


def test_in_cluster(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token = tmp_path / "token"
    token.write_text("sa-token")
    monkeypatch.setattr(kc, "IN_CLUSTER_TOKEN", token)
    choice = resolve_kubeconfig(None, env={"KUBERNETES_SERVICE_HOST": "127.0.0.1"}, home=home)
    assert choice.in_cluster and choice.found and choice.paths == ()
    assert check_context(choice, None) == ""
    # the service-host variable alone (no token mounted) is not enough
    monkeypatch.setattr(kc, "IN_CLUSTER_TOKEN", tmp_path / "absent")
    assert not resolve_kubeconfig(None, env={"KUBERNETES_SERVICE_HOST": "127.0.0.1"}, home=home).found


def test_nothing_found(home: Path) -> None:
    choice = resolve_kubeconfig(None, env={}, home=home)
    assert choice == KubeconfigChoice((), False, "no kubeconfig found")
    assert not choice.found


def test_unknown_context_lists_known_ones(home: Path) -> None:
    kubeconfig(home / ".kube" / "config", ["kind-lab", "prod-east"], "kind-lab")
    choice = resolve_kubeconfig(None, env={}, home=home)
    with pytest.raises(KubeconfigError) as info:
        check_context(choice, "staging")
    assert "'staging'" in info.value.message
    assert "kind-lab" in info.value.hint and "prod-east" in info.value.hint
    assert check_context(choice, "prod-east") == "prod-east"


def test_no_current_context(home: Path) -> None:
    kubeconfig(home / ".kube" / "config", ["one", "two"])
    choice = resolve_kubeconfig(None, env={}, home=home)
    with pytest.raises(KubeconfigError) as info:
        check_context(choice, None)
    assert "current-context" in info.value.message
    assert "one" in info.value.hint and "two" in info.value.hint
    assert check_context(choice, "two") == "two"


def test_no_contexts_at_all(home: Path) -> None:
    kubeconfig(home / ".kube" / "config", [])
    with pytest.raises(KubeconfigError) as info:
        check_context(resolve_kubeconfig(None, env={}, home=home), None)
    assert "no contexts" in info.value.message


@pytest.mark.parametrize("text", ["contexts: [\n", "- just\n- a list\n", "key: [unclosed"])
def test_broken_yaml_is_a_kubeconfig_error(home: Path, text: str) -> None:
    (home / ".kube").mkdir()
    (home / ".kube" / "config").write_text(text)
    with pytest.raises(KubeconfigError) as info:
        check_context(resolve_kubeconfig(None, env={}, home=home), None)
    assert str(home / ".kube" / "config") in info.value.message


def test_malformed_context_entries_are_skipped(home: Path) -> None:
    (home / ".kube").mkdir()
    (home / ".kube" / "config").write_text("contexts:\n- 3\n- {name: 7}\n- {name: ok}\ncurrent-context: ok\n")
    assert read_contexts(resolve_kubeconfig(None, env={}, home=home)) == (["ok"], "ok")


@pytest.mark.parametrize("contexts", ["5", "true", "{a: 1}", "'text'"])
def test_contexts_field_of_the_wrong_type_reads_as_none(home: Path, contexts: str) -> None:
    (home / ".kube").mkdir()
    (home / ".kube" / "config").write_text(f"contexts: {contexts}\n")
    assert read_contexts(resolve_kubeconfig(None, env={}, home=home)) == ([], "")

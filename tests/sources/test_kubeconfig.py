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


# -- hostile kubeconfigs: bounded before the kubernetes client ever sees them ----------------

def billion_laughs(path: Path) -> Path:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    lines += ["clusters: [{name: c, cluster: {server: 'http://127.0.0.1:1'}}]",
              "users: [{name: u, user: {token: t}}]",
              "contexts: [{name: x, context: {cluster: c, user: u, extension: *a9}}]",
              "current-context: x"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_billion_laughs_is_refused_before_it_expands(home: Path, tmp_path: Path) -> None:
    bomb = billion_laughs(tmp_path / "bomb.yaml")
    with pytest.raises(KubeconfigError) as info:
        read_contexts(resolve_kubeconfig(str(bomb), env={}, home=home))
    assert "bomb.yaml" in info.value.message and "expands to more than" in info.value.message
    assert info.value.hint


def test_a_few_anchors_are_still_fine(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "anchors.yaml"
    path.write_text("clusters: [{name: c, cluster: &cl {server: 'https://127.0.0.1:1'}}, {name: d, cluster: *cl}]\n"
                    "contexts: [{name: x, context: &ctx {cluster: c, user: u}}, {name: y, context: *ctx}]\n"
                    "current-context: y\n", encoding="utf-8")
    assert read_contexts(resolve_kubeconfig(str(path), env={}, home=home)) == (["x", "y"], "y")


def test_oversized_kubeconfig_is_refused(home: Path, tmp_path: Path) -> None:
    path = kubeconfig(tmp_path / "big.yaml", ["a"], "a")
    with path.open("a", encoding="utf-8") as fh:
        fh.write(("# padding\n" * 1024) * 420)  # a little over 4 MiB
    assert path.stat().st_size > kc.MAX_BYTES
    with pytest.raises(KubeconfigError) as info:
        check_context(resolve_kubeconfig(str(path), env={}, home=home), None)
    assert "big.yaml" in info.value.message and "larger than 4 MiB" in info.value.message


def test_deeply_nested_kubeconfig_is_an_error_not_a_crash(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("contexts: " + "[" * 20000 + "]" * 20000 + "\n", encoding="utf-8")
    with pytest.raises(KubeconfigError) as info:
        read_contexts(resolve_kubeconfig(str(path), env={}, home=home))
    assert "deep.yaml" in info.value.message


def test_fifo_kubeconfig_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    with pytest.raises(KubeconfigError) as info:
        kc.load_kubeconfig_file(str(fifo))
    assert "not a regular file" in info.value.message


def hostile_names(path: Path, names: list[str]) -> Path:
    """A kubeconfig whose context names hold escapes (JSON strings are YAML double-quoted scalars)."""
    import json

    doc = {"clusters": [{"name": "c", "cluster": {"server": "http://127.0.0.1:1"}}],
           "users": [{"name": "u", "user": {"token": "t"}}],
           "contexts": [{"name": n, "context": {"cluster": "c", "user": "u"}} for n in names],
           "current-context": names[0]}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_raw_control_characters_in_the_file_are_an_error(home: Path, tmp_path: Path) -> None:
    path = kubeconfig(tmp_path / "raw.yaml", ["prod\x1b]0;owned\x07"], "x")
    with pytest.raises(KubeconfigError) as info:
        read_contexts(resolve_kubeconfig(str(path), env={}, home=home))
    assert "raw.yaml" in info.value.message and "\x1b" not in str(info.value)


def test_unknown_context_error_shows_names_cleaned(home: Path, tmp_path: Path) -> None:
    path = hostile_names(tmp_path / "esc.yaml", ["prod\x1b]0;owned\x07", "dev\u202e"])
    with pytest.raises(KubeconfigError) as info:
        check_context(resolve_kubeconfig(str(path), env={}, home=home), "nope\x1b[2J")
    text = str(info.value)
    assert "prod\ufffd]0;owned\ufffd" in text and "dev\ufffd" in text
    assert not any(ch in text for ch in "\x1b\x07\u202e"), repr(text)


def test_cli_unknown_context_never_writes_escapes(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = hostile_names(tmp_path / "esc.yaml", ["prod\x1b]0;owned\x07"])
    env = {**os.environ, "K8SNET_OFFLINE": "1", "K8SNET_CONFIG": str(tmp_path / "none.toml")}
    proc = subprocess.run([sys.executable, "-m", "k8snet_tui", "show", "services", "--kubeconfig", str(path),
                           "--context", "other"], capture_output=True, env=env, timeout=120, check=False)
    assert proc.returncode == 2, proc.stderr
    assert b"known contexts: prod" in proc.stderr
    assert b"\x1b" not in proc.stderr + proc.stdout and b"\x07" not in proc.stderr + proc.stdout


def test_cli_billion_laughs_exits_2_with_the_message(tmp_path: Path) -> None:
    import subprocess
    import sys

    bomb = billion_laughs(tmp_path / "bomb.yaml")
    env = {**os.environ, "K8SNET_OFFLINE": "1", "K8SNET_CONFIG": str(tmp_path / "none.toml")}
    proc = subprocess.run([sys.executable, "-m", "k8snet_tui", "show", "services", "--kubeconfig", str(bomb)],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 2, proc.stderr
    assert "expands to more than" in proc.stderr and "Traceback" not in proc.stderr

"""README.md's command examples stay true: every `k8snet ...` line of its shell blocks parses with
the CLI's own parser, names a subcommand the parser has (and the README names every subcommand
`k8snet --help` offers), and the one-shot ones answer from the bundled lab with the exit code the
README promises. A renamed option, a dropped subcommand or an example that only errors fails here.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from k8snet_tui.cli import build_parser, main

README = Path(__file__).resolve().parents[1] / "README.md"
LAB = Path(__file__).resolve().parents[1] / "k8snet_tui" / "data" / "lab"

# Lines that cannot be answered from the bundled lab here, and why (they are still parsed).
NOT_RUN = {
    "capture": "writes a snapshot of a live cluster",
    "serve": "a server that runs until stopped",
    "probe": "reads this node's kernel as root",
    "lab": "the app (a TUI)",
    "diff": "its example names two captured files",
}
# Exit codes the README promises: `k8snet check` exits 5 on a disagreement (whether the bundled lab
# has one depends on its capture), 0 without.
EXPECTED_EXIT = {"check": {0, 5}}


def readme_commands() -> list[list[str]]:
    """The words of every k8snet invocation in README's ```sh blocks, comments and shell glue cut."""
    text = README.read_text(encoding="utf-8")
    found: list[list[str]] = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            inner = re.search(r"<\((.*)\)", line)  # source <(k8snet completion bash)
            if inner:
                line = inner.group(1)
            line = line.split("&&")[-1].split(" | ")[0].strip()
            words = shlex.split(line)
            if words[:1] == ["sudo"]:
                words = words[1:]
            if words[:2] == ["kubectl", "k8snet"]:  # the kubectl plugin takes the same words
                words = words[1:]
            if words[:1] == ["k8snet"]:
                found.append(words[1:])
    return found


COMMANDS = readme_commands()


def subcommands() -> set[str]:
    parser = build_parser()
    for action in parser._subparsers._group_actions:  # type: ignore[union-attr]
        choices = getattr(action, "choices", None)
        if choices:
            return set(choices)
    raise AssertionError("the CLI parser has no subcommands")


def test_the_readme_shows_commands() -> None:
    assert len(COMMANDS) >= 20, COMMANDS


def test_the_readme_names_every_subcommand_and_no_other() -> None:
    named = {words[0] for words in COMMANDS if words and not words[0].startswith("-")}
    assert named <= subcommands(), f"README names subcommands the CLI lacks: {named - subcommands()}"
    assert subcommands() <= named, f"README shows no example of: {sorted(subcommands() - named)}"


@pytest.mark.parametrize("words", COMMANDS, ids=[" ".join(w) or "(bare)" for w in COMMANDS])
def test_each_readme_command_parses(words: list[str]) -> None:
    if words[:1] in (["agent"], ["probe"]):  # parsed by their own modules, before the main parser
        return
    try:
        build_parser().parse_args(words)
    except SystemExit as exc:
        pytest.fail(f"k8snet {' '.join(words)}: the CLI rejects it (exit {exc.code})")


ONE_SHOT = [w for w in COMMANDS if w and not w[0].startswith("-") and w[0] not in NOT_RUN]


@pytest.mark.parametrize("words", ONE_SHOT, ids=[" ".join(w) for w in ONE_SHOT])
def test_each_one_shot_readme_command_answers_from_the_lab(
        words: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "nonexistent"))
    monkeypatch.delenv("K8SNET_CONFIG", raising=False)
    if "--node" in words:  # another node is read live through its agent; the lab holds node-1 only
        at = words.index("--node")
        words = words[:at] + words[at + 2:]
    argv = words if words[0] in ("agent", "completion") else [*words, "--snapshot", "lab"]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code in EXPECTED_EXIT.get(words[0], {0}), f"k8snet {' '.join(argv)} exited {code}:\n{err}"
    assert out.strip(), f"k8snet {' '.join(argv)} printed nothing"


def lab_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace")
                     for p in sorted(LAB.rglob("*")) if p.is_file() and p.suffix in (".json", ".txt", ""))


def test_the_addresses_of_the_examples_are_the_bundled_labs() -> None:
    """A new capture of the lab gives Services and pods new addresses: an example that names an old
    one still runs (a mesh walk or a find of an address nobody has answers too), but says nothing
    true. Every IPv4 address an example names must be one the bundled lab holds."""
    held = lab_text()
    named = {a for words in COMMANDS for w in words for a in re.findall(r"\b\d{1,3}(?:\.\d{1,3}){3}\b", w)}
    assert named, "the README's examples name no address any more: drop this test"
    stale = sorted(a for a in named if not re.search(rf"(?<![\d.]){re.escape(a)}(?![\d])", held))
    assert not stale, (f"README.md's examples name {stale}, which the bundled lab "
                       "(k8snet_tui/data/lab) does not hold: use the lab's addresses "
                       "(k8snet show services --snapshot lab)")

"""`agent` is a command like the others: in the top-level help and in shell completion.

main() hands `agent ...` to agent.py before argparse runs, so nothing but these checks keeps
the help and the completion list from forgetting it.
"""

from __future__ import annotations

import argparse

from k8snet_tui.cli import build_parser, main
from k8snet_tui.completion import COMMANDS, candidates

from tests.test_cli_completion import bash_complete, env  # noqa: F401  (the fixture)


def help_commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return [choice.dest for choice in sub._choices_actions]


def test_agent_is_in_the_top_level_help(capsys) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    line = next((ln for ln in out.splitlines() if ln.strip().startswith("agent ")), "")
    assert "agent manifest" in line, out
    assert "agent manifest" in (build_parser().description or "") or "agent" in help_commands()


def test_completion_offers_every_command_of_the_help() -> None:
    assert sorted(COMMANDS) == sorted(help_commands())
    assert candidates(["ag"]) == ["agent"]


def test_agent_words_and_options_complete(env) -> None:  # noqa: F811
    assert bash_complete(env, "a") == ["agent"]
    assert bash_complete(env, "agent", "") == ["manifest"]
    assert bash_complete(env, "agent", "manifest", "--") == ["--image", "--reader-role", "--help"]
    assert bash_complete(env, "agent", "manifest", "--image", "") == []  # the user's own image name
    assert bash_complete(env, "agent", "manifest", "--image", "reg/k8snet:1", "--r") == ["--reader-role"]
    # agent manifest reads no cluster: none of the source options are offered
    assert "--kubeconfig" not in bash_complete(env, "agent", "manifest", "-")


def test_agent_help_still_prints_the_agent_parser(capsys) -> None:
    assert main(["agent", "--help"]) == 0
    assert "manifest" in capsys.readouterr().out

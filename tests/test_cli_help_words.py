"""Words of `k8snet --help` and of module docstrings that name code: they say what the code does.

`--help`'s exit codes: 4 is for a node of a live cluster whose state could not be read; the same
`--node` on a snapshot without that node's state is a usage error (2), and the list says so.
A module docstring that names a function in backquotes names one the module has.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from k8snet_tui.cli import main

LAB = Path(__file__).resolve().parents[1] / "k8snet_tui" / "data" / "lab"
PACKAGE = Path(__file__).resolve().parents[1] / "k8snet_tui"


def exit_code_lines(help_text: str) -> dict[str, str]:
    """`exit codes:` of the help, code -> its words (continuation lines joined)."""
    codes: dict[str, str] = {}
    current = None
    for line in help_text.split("exit codes:", 1)[1].splitlines():
        m = re.match(r"\s{2}(\d+)\s+(.*)", line)
        if m:
            current = m.group(1)
            codes[current] = m.group(2)
        elif current and line.startswith("       "):
            codes[current] += " " + line.strip()
    return codes


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as done:  # argparse's --help
        code = int(done.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_help_says_exit_4_is_for_a_live_node_and_2_for_a_snapshot(monkeypatch, capsys):
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    monkeypatch.setenv("KUBECONFIG", "/nonexistent")
    code, out, _ = run(["--help"], capsys)
    assert code == 0
    codes = exit_code_lines(out)
    too_wide = [ln for ln in out.split("exit codes:", 1)[1].splitlines() if len(ln) > 79]
    assert not too_wide, f"exit code lines wider than an 80-column terminal: {too_wide}"
    assert "--node" in codes["4"] and "live" in codes["4"], codes["4"]
    assert "--node" in codes["2"] and "snapshot" in codes["2"], codes["2"]
    # ...and that is what the CLI does: the lab holds node-1's state only.
    code, _, err = run(["trace", "default/website", "--snapshot", str(LAB), "--node", "node-2"], capsys)
    assert code == 2, err
    assert "node-2" in err


def docstring_names(path: Path) -> tuple[set[str], set[str]]:
    """(names the module docstring puts in backquotes that look like functions, names it defines)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    doc = ast.get_docstring(tree) or ""
    named = {n for n in re.findall(r"`([a-z_][a-z0-9_]*)`", doc) if "_" in n or n.isalpha()}
    defined = {node.name for node in ast.walk(tree)
               if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
    defined |= {t.id for node in ast.walk(tree) if isinstance(node, ast.Assign)
                for t in node.targets if isinstance(t, ast.Name)}
    return named, defined


def test_balancing_docstring_names_only_what_exists():
    named, defined = docstring_names(PACKAGE / "present" / "balancing.py")
    assert named, "the docstring names none of its functions"
    assert named <= defined, f"present/balancing.py's docstring names {sorted(named - defined)}, which it lacks"

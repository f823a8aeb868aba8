"""What a new user met at the command line while using this round's commands with bad input:
each test runs the command in-process and reads the words it printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from k8snet_tui.cli import main

from tests.support.cli_env import isolate_cli_env


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolate_cli_env(tmp_path, monkeypatch, unset=("NO_COLOR",))


def test_find_of_an_empty_word_says_it_is_empty(capsys):
    """`k8snet find ''` said "one word expected, got 1": it got one, and it was empty."""
    code = main(["find", "", "--snapshot", "lab"])
    err = capsys.readouterr().err
    assert code == 2
    assert "find: one word expected, got an empty word" in err
    assert "got 1" not in err


def test_serve_of_a_missing_snapshot_says_so_before_it_listens(capsys, monkeypatch):
    """`k8snet serve --snapshot /nonexistent` printed "serving http://127.0.0.1:8000" and served
    a page whose every tab could only fail; it now stops with what is wrong, and never listens."""
    import k8snet_tui.serve as serve

    def listen(*args, **kwargs):
        raise AssertionError("serve started a server for a snapshot that does not exist")

    monkeypatch.setattr(serve, "make_server", listen)
    code = main(["serve", "--snapshot", "/nonexistent/snap"])
    err = capsys.readouterr().err
    assert code == 2
    assert "no snapshot at /nonexistent/snap" in err
    assert "serving" not in err


def test_diff_without_a_node_in_both_says_what_is_not_compared(tmp_path, capsys):
    """Against a snapshot with no node state, diff said "Nodes: (no node state in both)", which
    reads as if neither side had any; it now says no node is in both and what that leaves out."""
    import shutil

    from k8snet_tui.sources.snapshot import bundled_lab_path

    bare = tmp_path / "no-nodes"
    shutil.copytree(bundled_lab_path(), bare)
    shutil.rmtree(bare / "nodes")
    code = main(["diff", "lab", str(bare)])
    out = capsys.readouterr().out
    assert code == 0
    assert "Nodes:  none: no node's kernel state is in both, so chains and routes are not compared" in out
    assert "node node-1's kernel state is only in the first picture" in out

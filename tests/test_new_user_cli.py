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

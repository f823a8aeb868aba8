"""An unexpected exception never looks like success: exit 1, one line on stderr, the traceback logged."""

from __future__ import annotations

import pytest

from k8snet_tui import cli
from k8snet_tui.app import run_app
from k8snet_tui.errors import state_dir
from k8snet_tui.screens.services import ServicesPane


class Forced(RuntimeError):
    pass


def _boom(*_args, **_kwargs):
    raise Forced("forced failure for a test")


@pytest.fixture
def state_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state" / "k8snet"


def test_state_dir_follows_xdg_then_home():
    assert str(state_dir({"XDG_STATE_HOME": "/x"})) == "/x/k8snet"
    assert str(state_dir({"HOME": "/home/u"})) == "/home/u/.local/state/k8snet"


def test_a_crash_in_the_app_exits_1_with_one_line_and_a_logged_traceback(make_lab_app, state_home, monkeypatch,
                                                                         capsys):
    monkeypatch.setattr(ServicesPane, "show_observed", _boom)
    app = make_lab_app()
    monkeypatch.setattr(cli, "_dispatch", lambda args: run_app(app, headless=True))
    code = cli.main([])
    err = capsys.readouterr().err
    assert code == 1
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "unexpected error: Forced: forced failure for a test" in lines[0]
    assert str(state_home / "crash.log") in lines[0]
    assert "Traceback" not in err
    log = (state_home / "crash.log").read_text()
    assert "Traceback (most recent call last)" in log and "_boom" in log and "Forced" in log


def test_a_crash_in_a_one_shot_command_exits_1(state_home, monkeypatch, capsys):
    monkeypatch.setattr(cli, "_dispatch", _boom)  # anything that fails inside a command
    code = cli.main(["show", "services", "--snapshot", "lab"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "unexpected error: Forced" in err
    assert "forced failure" in (state_home / "crash.log").read_text()



async def test_a_data_change_while_the_app_closes_does_not_crash_the_exit(make_lab_app):
    """Seen on the live cluster: the one-second tick fired after the app's widgets were gone
    (new data had just arrived) and the exit died on "No nodes match StatusBar". Closing
    removes the status bar first here, then new data arrives, then a tick passes."""
    from k8snet_tui.widgets.status_bar import StatusBar

    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.query_one(StatusBar).remove()
        app.session.with_namespace("default")  # the session now answers differently
        await pilot.pause(1.3)  # one tick at least
        assert app.is_running

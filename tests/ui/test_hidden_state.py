"""What the screen must say at 80x24 on the bundled lab: a filter in force, the keys of the box
that has the keyboard, the way back after `:find`, `k` on a path, the lab panel beside a trace.

Each of these was found by hand: a filter the lab or a `:` command set stayed on a list with
nothing saying so; the footer offered "/ Filter" while typing in pane 8's destination box;
esc after `:find` on a trace landed on the Services list; `k` on pane 8 listed commands for
no path in particular; the lab panel left a trace seven rows; `k8snet find` at 60 columns
dropped the KIND column first.
"""

from __future__ import annotations

from k8snet_tui.cli import main

from tests import lab_roles as roles
from tests.support.cli_env import isolate_cli_env
from tests.ui.conftest import screen_lines, screen_text, screen_words, settle


def header(app) -> str:
    return screen_lines(app)[0]


def footer(app) -> str:
    return screen_lines(app)[-1]


async def command(pilot, line: str) -> None:
    await pilot.press("colon", *line, "enter")
    await settle(pilot)


async def until(pilot, words: str, tries: int = 40) -> None:
    """Until `words` are on screen (an answer made in a thread worker)."""
    for _ in range(tries):
        if words in screen_words(pilot.app):
            return
        await pilot.pause(0.1)
        await settle(pilot)


def box_rows(app) -> int:
    """The rows inside the first bordered box (the trace), between its top and bottom edges."""
    lines = screen_lines(app)
    top = next(i for i, line in enumerate(lines) if line.startswith("▊▔"))
    bottom = next(i for i, line in enumerate(lines) if i > top and line.startswith("▊▁"))
    return bottom - top - 1


# -- a filter in force is never hidden --------------------------------------------------------------

async def test_svc_name_filter_is_named_in_the_header_and_esc_clears_it(make_lab_app):
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await command(pilot, "svc website")
        text = screen_text(app)
        assert " engine " not in text  # the list is narrowed...
        assert "/website" in header(app), header(app)  # ...and the header says by what
        await pilot.press("escape")
        await settle(pilot)
        assert " engine " in screen_text(app) and "/website" not in header(app), screen_text(app)


async def test_the_lab_stops_filter_stays_named_after_lab_off(make_lab_app):
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await command(pilot, "lab 2.1")
        await until(pilot, "Which cluster IP does the Service get")
        await command(pilot, "lab off")
        assert "LAB" not in header(app)
        text = screen_text(app)
        # the stop narrowed the Services list to its Service: either that is said, or it is undone
        assert " engine " in text or "/website" in header(app), text
        await pilot.press("escape")
        await settle(pilot)
        assert " engine " in screen_text(app) and "/website" not in header(app)


async def test_pods_and_host_commands_name_their_filter(make_lab_app):
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await command(pilot, "pods client")
        assert "/client" in header(app) and "3 Pod network" in header(app), header(app)
        await command(pilot, "host node-2")
        assert "/node-2" in header(app) and "2 Host" in header(app), header(app)
        await pilot.press("3")  # each pane's own filter: the Pods list is still narrowed, and says so
        await settle(pilot)
        assert "/client" in header(app), header(app)
        await pilot.press("slash")  # `/` edits the filter in force on this pane
        await settle(pilot)
        assert "client" in screen_lines(app)[-2], screen_text(app)


# -- the footer says what keys do where the keyboard is ---------------------------------------------

async def test_the_footer_in_a_box_shows_the_boxs_keys_not_the_letters_it_types(make_lab_app):
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("8")
        await settle(pilot)
        assert "s Source" in footer(app) and "? Help" in footer(app), footer(app)
        await pilot.press("d")  # the destination box takes the keyboard
        await settle(pilot)
        line = footer(app)
        assert "⏎ Check" in line and "esc Back" in line, line
        for typed in ("/ Filter", "? Help", "q Quit", ": Cmd", "s Source"):  # those keys type into the box
            assert typed not in line, line
        await pilot.press("escape")
        await settle(pilot)
        assert "s Source" in footer(app) and "? Help" in footer(app), footer(app)


# -- the way back --------------------------------------------------------------------------------

async def test_esc_after_find_on_a_trace_comes_back_to_that_trace(make_lab_app):
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await command(pilot, "trace default/website")
        assert "Trace default/website " in screen_text(app)
        ip = roles.pod_ip(roles.website_pod())
        await command(pilot, f"find {ip}")
        await until(pilot, "hits")
        words = screen_words(app)
        assert f"endpoint default/headlesswebsite:http -> {ip}:80 → 4 Services" in words, words
        await pilot.press("down", "enter")  # that endpoint: its Service's trace, in the same pane
        await settle(pilot)
        assert "Trace default/headlesswebsite " in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert "Trace default/website " in screen_text(app), screen_text(app)  # where :find was typed
        await pilot.press("escape")
        await settle(pilot)
        assert " engine " in screen_text(app)  # and then the list


# -- `k` on pane 8 -------------------------------------------------------------------------------

async def test_k_on_the_path_pane_gives_the_commands_for_that_path(make_lab_app):
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await command(pilot, "path default/client website:80")
        await pilot.press("k")
        await settle(pilot)
        app.clear_notifications()  # the answer's toast covers the strip's right half at 80 columns
        await settle(pilot)
        words = screen_words(app)
        assert "$ kubectl exec client -n default -- nslookup website" in words, screen_text(app)
        assert "$ kubectl exec client -n default -- curl -sv -m 5 http://website:80/" in words, screen_text(app)
        ip = roles.pod_ip(roles.website_pod())
        await command(pilot, f"path default/client {ip}:80")
        app.clear_notifications()
        await settle(pilot)
        words = screen_words(app)
        assert f"$ kubectl exec client -n default -- nc -zv -w 3 {ip} 80" in words, screen_text(app)
        assert "nslookup" not in words  # an address needs no lookup


# -- the lab panel beside a trace at 80x24 ------------------------------------------------------------

async def test_the_lab_panel_leaves_the_trace_room_and_folds(make_lab_app):
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await command(pilot, "lab 2.2")
        await until(pilot, "the rest")
        words = screen_words(app)
        assert "Which KUBE-SVC chain serves it" in words
        for share in ("p=0.33333333349 → 33.3%", "p=0.50000000000 → 33.3%", "the rest → 33.3%"):
            assert share in words, screen_text(app)  # the whole answer is readable
        assert box_rows(app) >= 9, screen_text(app)  # it had 7
        await pilot.press("L")  # fold: the question stays, the trace gets the rows
        await settle(pilot)
        assert "LAB 2.2" in screen_text(app) and "the rest → 33.3%" not in screen_words(app)
        assert box_rows(app) >= 15, screen_text(app)
        await pilot.press("L")
        await settle(pilot)
        assert "the rest → 33.3%" in screen_words(app)


# -- `k8snet find` on a narrow terminal --------------------------------------------------------------

def test_find_at_60_columns_keeps_kind_beside_what(tmp_path, monkeypatch, capsys):
    isolate_cli_env(tmp_path, monkeypatch, unset=("NO_COLOR",))
    monkeypatch.setenv("COLUMNS", "60")
    pod_ref = roles.website_pod()  # a website pod on the captured node
    assert main(["find", roles.pod_ip(pod_ref), "--snapshot", "lab"]) == 0
    lines = capsys.readouterr().out.splitlines()
    head = next(line for line in lines if "WHAT" in line)
    assert head.split()[:2] == ["KIND", "WHAT"], head
    assert max(len(line) for line in lines) <= 60
    assert any(line.startswith("pod ") and pod_ref.split("/")[1] in line for line in lines), lines


def test_path_commands_keep_the_users_words_as_single_shell_words():
    import shlex

    from k8snet_tui.present.commands import path_commands

    for dst in ("web;rm -rf ~:80", "http://x/$(id)", "10.0.0.3:80 && id"):
        for c in path_commands("default/client", dst):
            words = shlex.split(c.command)  # as a shell reads the line: the path's words stay one word
            assert not {"rm", "-rf", "~", "&&", "id", "$(id)"} & set(words), c.command

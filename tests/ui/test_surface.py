"""What a user sees of the app's own keys, read from the rendered screen (toasts on)."""

from __future__ import annotations

import pytest

from k8snet_tui.config import THEME_NAMES, Settings
from k8snet_tui.registry import PANES

from tests.ui.conftest import press_and_settle, screen_lines, screen_text, settle


async def test_ctrl_s_writes_both_files_and_says_where(make_lab_app, tmp_path):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press_and_settle(pilot, "ctrl+s")
        text = screen_text(app)
        assert "saved" in text, text
        names = sorted(p.suffix for p in (tmp_path / "saved").iterdir())
        assert names == [".svg", ".txt"]
        assert app.is_running


async def test_a_toast_shows_cluster_text_inert(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.notify("[bold]pod[/bold] \x1b[31mred\x07", title="[i]t[/i]")
        await settle(pilot)
        text = screen_text(app)
        assert "[bold]pod[/bold]" in text and "\x1b" not in text and "\x07" not in text
        from rich.text import Text  # rich Text, as the panes used to pass, is shown as its plain text

        app.notify(Text("a rich text message"))
        await settle(pilot)
        assert "a rich text message" in screen_text(app) and app.is_running


async def test_header_and_banner_take_two_rows_and_the_footer_shows_help_and_quit(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        lines = screen_lines(app)
        # At 80 columns the badges take their short forms (RO for READ-ONLY) to fit one row.
        assert "SNAPSHOT" in lines[0] and " RO " in lines[0] and "4 Services" in lines[0]
        assert lines[1].strip().startswith("Nothing here is live")
        assert "Nothing here is live" not in "\n".join(lines[2:])
        for key in PANES:
            await press_and_settle(pilot, key.key)
            footer = screen_lines(app)[-1]
            assert "? Help" in footer and "q Quit" in footer, (key.id, footer)
            # The palette key covers the right edge: no letter of a key hidden beneath it.
            assert footer.rstrip().endswith("▏^p palette"), (key.id, footer)


async def test_services_endpoints_are_on_screen_at_80_columns(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "endpoints" in text and "website" in text
        row = next(line for line in screen_lines(app) if " website " in line)
        assert "3/3" in row or "/3" in row, row


async def test_help_lists_the_keys_as_remapped(make_lab_app):
    app = make_lab_app(Settings(offline=True, keymap={"pane.dns": "f5", "app.command": "colon,ctrl+o"}))
    async with app.run_test(size=(120, 76)) as pilot:  # tall enough for every key of the help at once (10 panes)
        await settle(pilot)
        await press_and_settle(pilot, "question_mark")
        text = screen_text(app)
        assert "Everywhere" in text and "4 Services" in text
        dns_line = next(line for line in text.splitlines() if "DNS:" in line)
        assert "f5" in dns_line and " 5 " not in dns_line, dns_line
        assert any("^o" in line and "command line" in line for line in text.splitlines()), text
        await pilot.press("escape")
        await press_and_settle(pilot, "f5")
        assert "5 DNS" in screen_lines(app)[0]


async def test_help_of_each_pane_names_its_own_keys(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(pilot)
        for spec in PANES:
            await press_and_settle(pilot, spec.key)
            await press_and_settle(pilot, "question_mark")
            text = screen_text(app)
            assert f"{spec.key} {spec.title}" in text and "esc closes" in text, text
            await press_and_settle(pilot, "escape")
            assert "esc closes" not in screen_text(app)


@pytest.mark.parametrize("word", THEME_NAMES)
async def test_every_theme_works_from_config_and_from_the_command_line(make_lab_app, word):
    app = make_lab_app(Settings(offline=True, theme=word))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.is_running and "SNAPSHOT" in screen_text(app)
        for other in THEME_NAMES:
            await press_and_settle(pilot, "colon", *f"theme {other}", "enter")
            assert "unknown theme" not in screen_text(app)
        await press_and_settle(pilot, "colon", *"theme nope", "enter")
        text = screen_text(app)
        assert "unknown theme 'nope'" in text and "high-contrast" in text


async def test_zoom_follows_every_pane_switch(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("z")
        for spec in PANES:
            await press_and_settle(pilot, spec.key)
            text = screen_text(app)
            assert text.count("╱") < 50, f"{spec.id} zoomed is hatched:\n{text}"
            assert "SNAPSHOT" not in text  # zoomed: the pane has the whole screen
            assert "? Help" in text  # and the keys stay
        await press_and_settle(pilot, "z")
        assert "SNAPSHOT" in screen_lines(app)[0]


async def test_bad_config_values_show_one_message_each_and_the_app_starts(make_lab_app, tmp_path, monkeypatch):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('theme = "nope"\ninterval = "fast"\n[keymap]\n"app.nope" = "x"\n', encoding="utf-8")
    monkeypatch.setenv("K8SNET_CONFIG", str(cfg))
    app = make_lab_app(Settings.load())
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert app.is_running and "SNAPSHOT" in text
        assert "theme = 'nope'" in text and "interval = 'fast'" in text and "'app.nope'" in text, text
        assert app.theme == "textual-dark"


async def test_an_unknown_command_says_so(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press_and_settle(pilot, "colon", *"frobnicate", "enter")
        assert "frobnicate" in screen_text(app) and app.is_running


async def test_q_quits_with_0(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0 and not app.is_running


async def test_a_palette_search_still_running_when_the_palette_closes_ends_quietly(make_lab_app):
    # The race a fast typist can hit (enter, then more keys): the search worker looks for its
    # list after the palette screen has lost its children. Made certain here by starting a
    # search on the closed palette.
    from k8snet_tui.screens.modals import CommandPaletteScreen

    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press_and_settle(pilot, "ctrl+p")
        palette = app.screen
        assert isinstance(palette, CommandPaletteScreen)
        await press_and_settle(pilot, "escape")
        await palette.remove_children()
        palette._gather_commands("th")
        palette._list_visible = not palette._list_visible
        await settle(pilot)
        assert app.is_running
        assert "Services" in screen_text(app)

"""The shell, driven by keys as a user would, checked on the rendered screen (toasts on)."""

from __future__ import annotations

from k8snet_tui.config import Settings
from k8snet_tui.registry import PANES

from tests.ui.conftest import screen_lines, screen_text, settle


def header(app) -> str:
    return screen_lines(app)[0]


async def test_number_keys_switch_panes_and_header_names_them(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "4 Services" in header(app)  # the default pane
        for spec in PANES:
            await pilot.press(spec.key)
            await settle(pilot)
            assert f"{spec.key} {spec.title}" in header(app)


async def test_header_says_snapshot_read_only_and_namespace(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        line = header(app)
        assert "SNAPSHOT lab" in line and "READ-ONLY" in line and "all namespaces" in line
        assert "STALE" not in line
        banner = screen_lines(app)[1].lower()
        assert "nothing here is live" in banner and "opened by a test" in banner


async def test_explain_drawer_toggles_on_every_pane(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for spec in PANES:
            await pilot.press(spec.key)
            await settle(pilot)
            before = screen_text(app)
            await pilot.press("e")
            await settle(pilot)
            opened = screen_text(app)
            assert opened != before, opened  # the drawer takes the right side
            await pilot.press("e")
            await settle(pilot)
            assert screen_text(app) == before, spec.id


async def test_help_shows_the_pane_and_global_keys_and_closes_with_escape(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(100, 50)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        text = screen_text(app)
        assert "4 Services" in text and "esc closes" in text
        seen = text
        for _ in range(8):  # the app's own keys come after the pane's: page down to them
            if all(t in seen for t in ("Everywhere", "save the view as text and SVG", "pick a namespace")):
                break
            await pilot.press("pagedown")
            await settle(pilot)
            seen += screen_text(app)
        assert "Everywhere" in seen and "save the view as text and SVG" in seen and "pick a namespace" in seen
        await pilot.press("escape")
        await settle(pilot)
        assert "Everywhere" not in screen_text(app)


async def test_namespace_picker_narrows_and_widens(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert "Namespace (enter picks, esc cancels)" in screen_text(app)
        # The list is "all namespaces", then the namespaces sorted: default, kube-system.
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        assert "ns: kube-system" in header(app)
        assert "kube-dns" in screen_text(app) and " website " not in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("home", "enter")
        await settle(pilot)
        # "ns: all" at 80 columns, where the header also names the node whose state is read
        assert "ns: all" in header(app) and "ns: kube-system" not in header(app) and " website " in screen_text(app)


async def test_command_line_switches_panes_and_namespace(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("colon")
        await settle(pilot)
        assert ":command" in screen_text(app)  # the box is open, empty, showing what it takes
        await pilot.press(*"dns", "enter")
        await settle(pilot)
        assert "5 DNS" in header(app) and ":command" not in screen_text(app)
        await pilot.press("colon", *"ns default", "enter")
        await settle(pilot)
        assert "ns: default" in header(app)
        await pilot.press("colon", *"bogus", "enter")
        await settle(pilot)
        assert "5 DNS" in header(app)  # an unknown command changes nothing but says so
        assert "bogus" in screen_text(app)


async def test_filter_opens_and_escape_clears_it(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        assert "filter (esc clears)" in screen_text(app)
        await pilot.press(*"kube-dns")
        await settle(pilot)
        text = screen_text(app)
        assert "kube-dns" in text and " website " not in text
        await pilot.press("escape")
        await settle(pilot)
        text = screen_text(app)
        assert "filter (esc clears)" not in text and " website " in text and " kube-dns " in text


async def test_zoom_fills_the_screen_with_the_pane_and_escape_restores(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("z")
        await settle(pilot)
        text = screen_text(app)
        assert "SNAPSHOT" not in text and " website " in text and "? Help" in text
        await pilot.press("escape")
        await settle(pilot)
        assert "SNAPSHOT" in header(app)


async def test_ctrl_s_saves_text_and_svg(make_lab_app, tmp_path):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "saved" in screen_text(app)
    saved = sorted((tmp_path / "saved").iterdir())
    assert [p.suffix for p in saved] == [".svg", ".txt"]
    assert saved[0].read_text().lstrip().startswith("<svg")
    assert "website" in saved[1].read_text()


async def test_quit_key_exits_with_0(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    assert not app.is_running


async def test_user_keymap_remaps_a_binding(make_lab_app):
    app = make_lab_app(Settings(offline=True, keymap={"pane.dns": "f5"}))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        assert "4 Services" in header(app)  # 5 is no longer bound
        await pilot.press("f5")
        await settle(pilot)
        assert "5 DNS" in header(app)


async def test_every_pane_has_an_explanation_in_its_drawer(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        for spec in PANES:
            await pilot.press(spec.key, "e")
            await settle(pilot)
            drawer = [line[-46:] for line in screen_lines(app)[2:-1]]
            words = sum(len(line.split()) for line in drawer)
            assert words > 30, (spec.id, drawer)
            await pilot.press("e")
            await settle(pilot)


async def test_a_pane_asked_for_before_it_was_built_gets_its_command(make_lab_app, monkeypatch):
    """Only the first pane exists at the first frame. One asked for before the others are built
    (here: never built in the background) is mounted then, and the command waits for it."""
    from k8snet_tui.app import K8snetApp

    monkeypatch.setattr(K8snetApp, "_build_other_panes", lambda self: None)
    app = make_lab_app(start_pane="dns")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"trace default/website", "enter")
        await settle(pilot)
        assert "4 Services" in header(app)
        assert "Trace default/website" in screen_text(app)
        await pilot.press("escape")  # back where the trace was opened from
        await settle(pilot)
        assert "5 DNS" in header(app)
        await pilot.press("6")  # a pane switch to a pane never built
        await settle(pilot)
        assert "6 Ingress" in header(app) and "a URL or /PATH to test" in screen_text(app)

"""The shell, driven by keys as a user would: panes, drawers, filter, commands, help, save."""

from __future__ import annotations

from textual.widgets import ContentSwitcher, Input

from k8snet_tui.config import Settings
from k8snet_tui.screens.base import Pane
from k8snet_tui.screens.modals import HelpScreen, NamespacePicker
from k8snet_tui.widgets.explain import ExplainDrawer
from k8snet_tui.widgets.status_bar import StatusBar

PANES = {"1": "internet", "2": "host", "3": "pods", "4": "services", "5": "dns", "6": "ingress"}


def current(app) -> str:
    return app.query_one(ContentSwitcher).current.removeprefix("pane-")


async def test_number_keys_switch_panes_and_header_names_them(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert current(app) == "services"  # the default pane
        for key, pane in PANES.items():
            await pilot.press(key)
            await pilot.pause()
            assert current(app) == pane
            title = app.query_one(StatusBar).render().plain
            assert app.current_pane.TITLE in title


async def test_header_says_snapshot_read_only_and_namespace(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        line = app.query_one(StatusBar).render().plain
        assert "SNAPSHOT lab" in line
        assert "READ-ONLY" in line
        assert "all namespaces" in line
        assert "STALE" not in line
        banner = app.query_one("#banner").render()
        assert "opened by a test" in str(banner).lower()
        assert "nothing here is live" in str(banner).lower()


async def test_explain_drawer_toggles_on_every_pane(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for key in PANES:
            await pilot.press(key)
            await pilot.pause()
            drawer = app.current_pane.query_one(ExplainDrawer)
            assert not drawer.display
            await pilot.press("e")
            await pilot.pause()
            assert drawer.display
            await pilot.press("e")
            assert not drawer.display


async def test_help_lists_global_keys_and_closes_with_escape(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_namespace_picker_narrows_and_widens(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, NamespacePicker)
        # The list is "all namespaces", then the namespaces sorted: default, kube-system.
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert app.observed.cluster.namespace == "kube-system"
        assert "kube-system" in app.query_one(StatusBar).render().plain
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("home", "enter")
        await pilot.pause()
        assert app.observed.cluster.namespace is None


async def test_command_line_switches_panes_and_namespace(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("colon")
        await pilot.pause()
        box = app.query_one("#command-input", Input)
        assert box.display and box.has_focus
        await pilot.press(*"dns", "enter")
        await pilot.pause()
        assert current(app) == "dns"
        assert not box.display
        await pilot.press("colon", *"ns default", "enter")
        await pilot.pause()
        assert app.observed.cluster.namespace == "default"
        await pilot.press("colon", *"bogus", "enter")
        await pilot.pause()
        assert current(app) == "dns"  # an unknown command changes nothing


async def test_filter_opens_and_escape_clears_it(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("slash")
        await pilot.pause()
        box = app.query_one("#filter-input", Input)
        assert box.display and box.has_focus
        await pilot.press(*"web")
        assert box.value == "web"
        await pilot.press("escape")
        await pilot.pause()
        assert not box.display and box.value == ""


async def test_zoom_maximizes_the_pane_and_escape_restores(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("z")
        await pilot.pause()
        assert app.screen.maximized is app.current_pane
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.maximized is None


async def test_ctrl_s_saves_text_and_svg(make_lab_app, tmp_path):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
    saved = sorted((tmp_path / "saved").iterdir())
    assert [p.suffix for p in saved] == [".svg", ".txt"]
    assert saved[0].read_text().lstrip().startswith("<svg")
    assert saved[1].read_text().strip()


async def test_quit_key_exits(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code in (0, None)
    assert not app.is_running


async def test_user_keymap_remaps_a_binding(make_lab_app):
    app = make_lab_app(Settings(offline=True, keymap={"pane.dns": "f5"}))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f5")
        await pilot.pause()
        assert current(app) == "dns"


async def test_high_contrast_theme_applies(make_lab_app):
    app = make_lab_app(Settings(offline=True, theme="high-contrast"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == "k8snet-high-contrast"


async def test_every_pane_is_a_pane_with_an_explanation(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(80, 24)):
        panes = list(app.query(Pane))
        assert [p.PANE_ID for p in panes] == list(PANES.values())
        assert all(len(p.EXPLAIN) > 200 for p in panes)

"""The explain drawer's lesson is on screen when `e` opens it, though its Markdown is made only
then (no pane's drawer is open at start, so the app's start imports no Markdown)."""

from __future__ import annotations

import subprocess
import sys

from tests.ui.conftest import press_and_settle, screen_words, settle


async def test_e_shows_the_lesson_then_hides_it_then_shows_it_again(make_lab_app) -> None:
    app = make_lab_app(start_pane="services")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert "Services and the datapath" not in screen_words(app)
        await press_and_settle(pilot, "e")
        words = screen_words(app)
        assert "Services and the datapath" in words and "conntrack remembers" in words, words
        await press_and_settle(pilot, "e")
        assert "Services and the datapath" not in screen_words(app)
        await press_and_settle(pilot, "e")
        assert "Services and the datapath" in screen_words(app)
        await press_and_settle(pilot, "3")  # another pane's drawer: its own lesson, made when shown
        await press_and_settle(pilot, "e")
        assert "Services and the datapath" not in screen_words(app)
        app.exit(0)


def test_the_app_imports_no_markdown_until_a_drawer_opens() -> None:
    code = "import sys, k8snet_tui.app; print(any('markdown' in m for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False"

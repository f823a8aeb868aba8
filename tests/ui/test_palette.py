"""The command palette finds what the `:` words and pane keys do, by name (read from the screen).

A user test typed "check" in ctrl+p and got "No matches found": the config vs kernel check was
only `:check` and `!` on panes 3 and 4.
"""

from __future__ import annotations

from pathlib import Path

from tests.ui.conftest import press_and_settle, screen_words, settle

LAB = Path(__file__).resolve().parents[2] / "k8snet_tui" / "data" / "lab"


async def until_words(pilot, words: str, tries: int = 40) -> str:
    """The palette searches in a worker: until `words` are on screen."""
    for _ in range(tries):
        await settle(pilot)
        shown = screen_words(pilot.app)
        if words in shown:
            return shown
        await pilot.pause(0.05)
    raise AssertionError(f"{words!r} never shown: {screen_words(pilot.app)}")


async def test_typing_check_in_the_palette_finds_and_runs_the_config_vs_kernel_check(make_lab_app):
    app = make_lab_app(snapshot=str(LAB))
    async with app.run_test(size=(80, 24)) as pilot:
        await press_and_settle(pilot, "1")
        await press_and_settle(pilot, "ctrl+p", *"check")
        shown = await until_words(pilot, "Config vs kernel check: kube-proxy")
        assert "No matches found" not in shown and "Config vs kernel check pane 3" in shown, shown
        await press_and_settle(pilot, "enter")  # the first match: pane 3's
        words = await until_words(pilot, "Config vs kernel (tunnel, pod CIDRs)")  # pane 3's details
        assert "3 Pod network" in words and "node-1" in words, words


async def test_the_palettes_kube_proxy_check_opens_pane_4s_details(make_lab_app):
    app = make_lab_app(snapshot=str(LAB))
    async with app.run_test(size=(80, 24)) as pilot:
        await press_and_settle(pilot, "1")
        await press_and_settle(pilot, "ctrl+p", *"check: kube-proxy")
        await until_words(pilot, "Config vs kernel check: kube-proxy")
        await press_and_settle(pilot, "enter")
        words = await until_words(pilot, "config.conf mode: iptables")
        assert "4 Services" in words and "✓ node-1: ConfigMap kube-system/kube-proxy" in words, words
        assert app.is_running


async def test_enter_typed_before_the_search_ends_picks_from_what_was_typed(make_lab_app, monkeypatch):
    """The monkey test pasted into the palette and pressed enter at once: enter met the list of
    the text before (Quit first) and the app ended. Enter now waits for the search of the box.
    The search is slowed as a loaded machine slows it, so enter surely comes first."""
    import asyncio

    from textual.command import CommandPalette
    from textual.widgets import Input

    app = make_lab_app(snapshot=str(LAB))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await press_and_settle(pilot, "1")
        await press_and_settle(pilot, "ctrl+p", *"quit")
        await until_words(pilot, "Quit the application")  # the list shown now has Quit first
        search = CommandPalette._search_for

        async def slow_search(palette, value):
            await asyncio.sleep(0.3)
            async for hit in search(palette, value):
                yield hit

        monkeypatch.setattr(CommandPalette, "_search_for", slow_search)
        box = app.focused
        assert isinstance(box, Input), box
        box.value = "Go to DNS"  # as pasted, with enter straight after it
        await pilot.press("enter")
        for _ in range(40):
            await settle(pilot)
            if len(app.screen_stack) == 1 or not app.is_running:
                break
            await pilot.pause(0.05)
        assert app.is_running, "enter picked Quit from the list of the text before"
        assert app.current_pane.PANE_ID == "dns"
        await until_words(pilot, "ClusterFirst")  # pane 5's own rows, drawn


async def test_the_palettes_find_starts_a_find_and_its_namespace_entry_opens_the_picker(make_lab_app):
    """A user test looked for find, diff and the namespace picker in ctrl+p and found none."""
    app = make_lab_app(snapshot=str(LAB))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await press_and_settle(pilot, "1")
        await press_and_settle(pilot, "ctrl+p", *"Find")
        await until_words(pilot, "everything that mentions an address")
        await press_and_settle(pilot, "enter")
        await until_words(pilot, "find ")  # the `:` box, with the word typed for the user
        await press_and_settle(pilot, *"10.96.0.10", "enter")
        await until_words(pilot, "kube-dns")  # the cluster DNS Service's address, found
        await press_and_settle(pilot, "escape", "escape")
        await press_and_settle(pilot, "ctrl+p", *"Namespace")
        await until_words(pilot, "pick the namespace the panes show")
        await press_and_settle(pilot, "enter")
        await until_words(pilot, "Namespace (enter picks, esc cancels)")
        assert app.is_running


async def test_each_theme_entry_says_what_its_colours_are_for(make_lab_app):
    app = make_lab_app(snapshot=str(LAB))
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await press_and_settle(pilot, "ctrl+p", *"Theme: ")
        words = await until_words(pilot, "for a projector")
        assert "16 colours" in words and "dark colours" in words, words

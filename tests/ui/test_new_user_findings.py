"""What a new user met on the rendered screen at 80x24 while using this round's features by
hand: each test presses the keys that showed the fault and reads the words that were wrong."""

from __future__ import annotations

from k8snet_tui.sources.snapshot import bundled_lab_path

from tests import lab_roles as roles
from tests.ui.conftest import screen_words, settle

LAB = str(bundled_lab_path())


async def test_the_node_picker_says_whole_sentence_for_a_node_the_snapshot_lacks(make_lab_app):
    """The reason a node cannot be read ended in "to have every node's", a sentence cut short."""
    app = make_lab_app(snapshot=LAB)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("8")
        await settle(pilot)
        await pilot.press("d", *"website:80", "enter")
        await settle(pilot)
        await pilot.press("N")  # highlights the source pod's node, listed first; node-2 (not captured) next
        await settle(pilot)
        assert f"starts on the node of pod {roles.client()}" in screen_words(app)
        if roles.pod_node(roles.client()) != "node-2":
            await pilot.press("down")
            await settle(pilot)
        words = screen_words(app)
        assert "the snapshot holds no state of node node-2" in words
        assert "to have every node's state" in words


async def test_help_names_the_new_command_line_words(make_lab_app):
    """`?` said the command line takes "svc, trace NS/NAME, dns NAME, route URL, ns NAME, theme
    NAME, q": path, find, diff, lab and policy check, which `:` takes too, were missing."""
    app = make_lab_app(snapshot=LAB)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("8", "question_mark")
        await settle(pilot)
        seen = screen_words(app)
        for _ in range(10):  # the app's keys come after the pane's: page down to them
            if "theme NAME, q" in seen:
                break
            await pilot.press("pagedown")
            await settle(pilot)
            seen += " " + screen_words(app)
        assert "command line: svc" in seen
        for word in ("path FROM TO", "find WORD", "diff B", "lab,", "policy check"):
            assert word in seen, word


async def _from_palette(pilot, words: str) -> None:
    await pilot.press("ctrl+p")
    await settle(pilot)
    await pilot.press(*words)
    await pilot.pause(0.3)  # the palette searches in a worker of its own
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def test_the_palette_opens_the_guided_lab_and_the_by_hand_commands(make_lab_app):
    """ctrl+p had no entry for the guided lab nor for the by-hand commands ("No matches found"
    for "lab"), though it lists the other keys of the app."""
    app = make_lab_app(snapshot=LAB)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _from_palette(pilot, "guided lab")
        words = screen_words(app)
        assert "LAB 1.1" in words and "What public address reaches this machine" in words
        await _from_palette(pilot, "by-hand")
        assert "CMDS" in screen_words(app)
        assert "$ curl -s" in screen_words(app)  # the by-hand line (the lab's own has no -s)

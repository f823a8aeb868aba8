"""`:find` from anywhere, at 80x24 on the bundled lab: the hits, a jump to each pane, and back."""

from __future__ import annotations

from tests.ui.conftest import screen_text, screen_words, settle


async def find(pilot, word: str) -> str:
    """Type `:WORD`; the search runs in a thread: wait until its list (or a message) is drawn."""
    await pilot.press("colon", *word, "enter")
    for _ in range(50):
        await settle(pilot)
        words = screen_words(pilot.app)
        if "searching…" not in words and ("hit" in words or "nothing mentions" in words or "expected" in words):
            return words
        await pilot.pause(0.1)
    return screen_words(pilot.app)


async def test_find_an_address_lists_every_mention_and_jumps_to_the_pod_and_back(make_lab_app):
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        words = await find(pilot, "find 10.0.0.3")
        assert "find 10.0.0.3 — 8 hits (7 exact)" in words
        for line in ("pod default/website-67cdc95f5f-gmn95 → 3 Pod network",
                     "chain KUBE-SEP-N7VSNWLSIFJSRFBL → 4 Services",
                     "endpoint default/website:http -> 10.0.0.3:80 → 4 Services",
                     "route 10.0.0.3 dev kv5 on node-1 → 2 Host/VPC"):
            assert line in words, line
        await pilot.press("enter")  # the first hit: the pod
        await settle(pilot)
        text = screen_text(app)
        assert "3 Pod network" in text and "website-67cdc95f5f-gmn95" in text
        assert "website-67cdc95f5f-fhmzn" not in text  # the list is narrowed to it
        await pilot.press("escape")
        await settle(pilot)
        assert "4 Services" in screen_text(app)  # back where :find was typed


async def test_find_a_chain_opens_the_trace_that_holds_it(make_lab_app):
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")  # from another pane
        await settle(pilot)
        words = await find(pilot, "find KUBE-SEP-N7VSNWLSIFJSRFBL")
        assert "the endpoint chain of 10.0.0.3:80 (default/website-67cdc95f5f-gmn95) of default/website:http" in words
        await pilot.press("enter")
        await settle(pilot)
        assert "Trace default/website" in screen_text(app)
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert "2 Host/VPC" in screen_text(app)


async def test_find_a_node_opens_the_nodes_section_and_nothing_found_says_so(make_lab_app):
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await find(pilot, "find node-2")
        await pilot.press("enter")
        await settle(pilot)
        text = screen_text(app)
        assert "▶Nodes◀" in text and "172.31.24.122" in text
        words = await find(pilot, "find no-such-name")
        assert "nothing mentions it" in words
        await pilot.press("escape")
        await settle(pilot)
        words = await find(pilot, "find a b")  # two words: a usage message, no box
        assert "find: one word expected, got 2" in words

"""`:find` from anywhere, at 80x24 on the bundled lab: the hits, a jump to each pane, and back."""

from __future__ import annotations

from tests import lab_roles as roles
from tests.ui.conftest import screen_text, screen_words, settle


def lab_hits(word: str) -> tuple[int, int]:
    """(hits, exact ones) the find index gives on the lab: what the box's title must say."""
    from k8snet_tui.collect.session import SnapshotSession
    from k8snet_tui.domain.find import find as find_index
    from k8snet_tui.sources.snapshot import load_snapshot

    hits, _ = find_index(SnapshotSession(load_snapshot("lab")).observed(), word)
    return len(hits), sum(1 for h in hits if h.exact)


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
    node = roles.captured_node()
    pod_ref = roles.website_pod(node)  # a website pod on the node whose rules and routes the lab holds
    ip, name = roles.pod_ip(pod_ref), pod_ref.split("/")[1]
    other = next(n for n in roles.website_pods() if n != name)
    total, exact = lab_hits(ip)
    assert total >= 7 and exact >= 5  # pod, endpoints, chain, route, names, node...
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        words = await find(pilot, f"find {ip}")
        assert f"find {ip} — {total} hits ({exact} exact)" in words
        for line in (f"pod {pod_ref} → 3 Pod network",
                     f"chain {roles.sep_chain(ip)} → 4 Services",
                     f"endpoint default/website:http -> {ip}:80 → 4 Services",
                     f"route {ip} dev {roles.pod_route_device(ip)} on {node} → 2 Host/VPC"):
            assert line in words, line
        await pilot.press("enter")  # the first hit: the pod
        await settle(pilot)
        text = screen_text(app)
        assert "3 Pod network" in text and name in text
        assert other not in text  # the list is narrowed to it
        await pilot.press("escape")
        await settle(pilot)
        assert "4 Services" in screen_text(app)  # back where :find was typed


async def test_find_a_chain_opens_the_trace_that_holds_it(make_lab_app):
    pod_ref = roles.website_pod()
    ip = roles.pod_ip(pod_ref)
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")  # from another pane
        await settle(pilot)
        words = await find(pilot, f"find {roles.sep_chain(ip)}")
        assert f"the endpoint chain of {ip}:80 ({pod_ref}) of default/website:http" in words
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
        assert "▶Nodes◀" in text and roles.node_ip("node-2") in text
        words = await find(pilot, "find no-such-name")
        assert "nothing mentions it" in words
        await pilot.press("escape")
        await settle(pilot)
        words = await find(pilot, "find a b")  # two words: a usage message, no box
        assert "find: one word expected, got 2" in words

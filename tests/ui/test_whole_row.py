"""`w` shows the selected row whole at 80x24: the columns a narrow table hides (`…+N cols`) and
the cells it cuts (`…`), named and in full, following the cursor. Driven by keys on the bundled lab."""

from __future__ import annotations

from tests import lab_roles as roles
from tests.ui.conftest import press_and_settle, screen_lines, screen_text, screen_words, settle


def _hostname(node: str) -> str:
    (node_obj,) = [n for n in roles._items("nodes") if n["metadata"]["name"] == node]
    return next(a["address"] for a in node_obj["status"]["addresses"] if a["type"] == "Hostname")


async def test_host_nodes_hidden_columns_are_shown_whole_with_w(make_lab_app):
    first, second = roles.nodes()[:2]
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press_and_settle(pilot, "2", "left_square_bracket", "w")  # the Nodes section, its card at once
        assert f"node 1 of {len(roles.nodes())} · not on screen: shares subnet, Hostname" in screen_words(app), screen_text(app)
        await press_and_settle(pilot, "w")
        text = screen_text(app)
        assert "…+2 cols" in text and "Hostname" not in text and "shares subnet" not in text, text
        assert "w Whole row" in screen_lines(app)[-1]  # the footer names the key
        await press_and_settle(pilot, "w")
        words = screen_words(app)
        assert f"node 1 of {len(roles.nodes())}" in words
        assert "not on screen: shares subnet, Hostname" in words, words
        assert f"Hostname: {_hostname(first)}" in words and f"InternalIP: {roles.node_ip(first)}" in words
        await press_and_settle(pilot, "down")  # the card follows the cursor
        words = screen_words(app)
        assert f"node 2 of {len(roles.nodes())}" in words and f"Hostname: {_hostname(second)}" in words
        await press_and_settle(pilot, "w")
        assert "Hostname" not in screen_text(app)  # w again hides it


async def test_host_help_lists_w(make_lab_app):
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press_and_settle(pilot, "2", "question_mark")
        assert "w the whole selected row, every column: the ones a narrow screen hides" in screen_words(app)


async def test_dns_cut_answers_end_in_an_ellipsis_and_w_shows_them_whole(make_lab_app):
    port = roles.service("default", "website")["spec"]["ports"][0]["port"]
    target = "website.default.svc.cluster.local."
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press_and_settle(pilot, "5", "i", *"website", "enter", "t", "t", "t")  # type A -> SRV
        (row,) = [ln for ln in screen_lines(app) if ln.startswith(" 0 ◀")]
        assert row.rstrip().endswith("—") and "…" in row, row  # the SRV answer, cut and marked
        assert f" {port} {target}" not in row
        assert "w Whole row" in screen_lines(app)[-1]
        await press_and_settle(pilot, "w")
        words = screen_words(app)
        assert "query 1 of 1" in words and f"expected: 0 100 {port} {target}" in words, words
        assert "not on screen: live, type" in words and "type: SRV" in words

        await press_and_settle(pilot, "l")  # the names list: its answers column is cut too
        await press_and_settle(pilot, "down")  # headlesswebsite, three endpoint addresses
        assert any("headlesswebsite.default.svc.cluster.local." in ln and "…" in ln for ln in screen_lines(app))
        card = screen_words(app).split("answers: ", 1)[1]
        assert all(a in card for a in roles.endpoint_addresses("default", "headlesswebsite")), card
        assert "name 2 of" in screen_words(app)


def _routes() -> list[tuple[str, str]]:
    """(namespace, name) of the lab's Ingresses and Mappings, from its files."""
    out = []
    for kind in ("ingresses", "mappings"):
        out += [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in roles._items(kind)]
    return out


async def test_ingress_routes_in_one_namespace_are_told_apart_at_80x24(make_lab_app):
    routes = _routes()
    assert len({ns for ns, _ in routes}) == 1 and len(routes) >= 2  # the lab's case: one namespace
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press_and_settle(pilot, "6")
        lines = screen_lines(app)
        header = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("kind"))
        name_at = lines[header].index("name")
        shown = [ln[name_at:].split("  ")[0] for ln in lines[header + 1:header + 1 + len(routes)]]
        assert len(set(shown)) == len(routes), shown  # every route's name cell differs from the others
        for (ns, name), cell in zip(sorted(routes, key=lambda r: r[1]), sorted(shown), strict=True):
            assert cell.startswith(name[:len(cell) - 1].rstrip("…")) and not cell.startswith(ns), cell
        assert "w Whole row" in lines[-1]
        await press_and_settle(pilot, "w")
        words = screen_words(app)
        assert f"route 1 of {len(routes)} · not on screen: rewrite, health, via, where" in words, words
        assert "health: ✓ ok" in words and "where: rules[0].http.paths[0]" in words

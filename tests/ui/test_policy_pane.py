"""Pane 7 on the rendered screen: the matrix at 80x24, enter explains a cell, `t` tests a pair,
`:policy check` runs from the command line, and cluster text (a policy named with markup and
escape sequences) stays inert."""

from __future__ import annotations

from tests import lab_roles as roles
from tests.support.policy_lab import LAB, many_groups_lab, policy_lab
from tests.ui.conftest import screen_text, settle

WEB = roles.website_pod()  # a website pod of the lab (names change from one capture to the next)
ENGINE = roles.engine_pod()


async def _open(app, pilot) -> None:
    await settle(pilot)
    await pilot.press("7")
    await settle(pilot)


async def test_lab_without_policies_says_so_and_draws_an_all_allow_matrix(make_lab_app):
    app = make_lab_app(snapshot=str(LAB))
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(app, pilot)
        text = screen_text(app)
        assert "no NetworkPolicy in this namespace: every pod may reach every pod" in text
        assert "from \\ to" in text and "G1" in text
        assert "[✓]" in text and "✗" not in text


async def test_matrix_fits_80x24_and_enter_explains_the_cell(make_lab_app, tmp_path):
    app = make_lab_app(snapshot=str(policy_lab(tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(app, pilot)
        text = screen_text(app)
        assert "5 NetworkPolicies in default" in text
        assert "port 80/TCP" in text
        for name in ("G1", "G2", "G3", "G4"):
            assert name in text
        # G1 (client) to G3 (website) on 80: allowed by website-from-client.
        await pilot.press("right", "right", "enter")
        await settle(pilot)
        text = screen_text(app)
        assert "G1 → G3" in text
        assert "allow: default/client may reach default/website" in text
        assert "website-from-client" in text
        # G1 to G4 (webstate): no rule allows it.
        await pilot.press("right", "enter")
        await settle(pilot)
        text = screen_text(app)
        assert "deny: default/client may not reach default/webstate" in text
        assert "deny-ingress" in text


async def test_the_test_box_gives_the_verdict(make_lab_app, tmp_path):
    app = make_lab_app(snapshot=str(policy_lab(tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(app, pilot)
        await pilot.press("t")
        await settle(pilot)
        src = app.query_one("#policy-src")
        dst = app.query_one("#policy-dst")
        port = app.query_one("#policy-port")
        for widget, value in ((src, WEB), (dst, ENGINE), (port, "8080")):
            widget.value = ""
            widget.focus()
            await pilot.press(*value)
        await pilot.press("enter")
        await settle(pilot)
        text = screen_text(app)
        assert f"allow: {WEB} may reach" in text
        assert "engine-from-website" in text
        port.value = ""
        port.focus()
        await pilot.press(*"80", "enter")
        await settle(pilot)
        assert f"deny: {WEB} may not reach" in screen_text(app)


async def test_colon_policy_check_runs_in_the_pane(make_lab_app, tmp_path):
    app = make_lab_app(snapshot=str(policy_lab(tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"policy check default/client default/nope --port 80", "enter")
        await settle(pilot)
        assert "no pod default/nope" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("colon", *f"np check default/client ip:{roles.pod_ip(WEB)} --port 80", "enter")
        await settle(pilot)
        text = screen_text(app)
        assert "allow: default/client may reach" in text


async def test_a_hostile_policy_name_is_inert(make_lab_app, tmp_path):
    app = make_lab_app(snapshot=str(policy_lab(tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(app, pilot)
        await pilot.press("right_square_bracket")
        await settle(pilot)
        text = screen_text(app)
        assert "[bold red]evil[/]" in text  # shown as typed, not as markup
        assert "\x1b" not in text
        assert app.is_running


async def test_the_explain_drawer_and_esc_back_to_the_matrix(make_lab_app, tmp_path):
    app = make_lab_app(snapshot=str(policy_lab(tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(app, pilot)
        await pilot.press("e")
        await settle(pilot)
        assert "A connection needs both sides" in " ".join(screen_text(app).split())
        await pilot.press("e", "t")
        await settle(pilot)
        text = screen_text(app)
        assert "▶Test◀" in text and "from \\ to" not in text
        await pilot.press("escape")
        await settle(pilot)
        text = screen_text(app)
        assert "▶Matrix◀" in text and "from \\ to" in text


async def test_more_groups_than_fit_scroll_with_the_cursor(make_lab_app, tmp_path):
    app = make_lab_app(snapshot=str(many_groups_lab(tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(app, pilot)
        header = next(line for line in screen_text(app).splitlines() if "from \\ to" in line)
        assert " 1  2  3" in header and "31" not in header
        await pilot.press(*["right"] * 30)
        await settle(pilot)
        text = screen_text(app)
        header = next(line for line in text.splitlines() if "from \\ to" in line)
        assert header.rstrip().endswith("31") and "columns G12-G31 of 31" in text
        assert "(rows G1-G10 of 31)" in text

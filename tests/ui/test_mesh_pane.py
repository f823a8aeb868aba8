"""Pane 0 "Mesh" on the rendered screen at 80x24: the meshed pod of the mesh lab is listed with
its mesh and its own redirect rules; its layout reads in sentences; `t` walks a connection
through the real istio-iptables rules (redirected to 15001; as uid 1337 straight out); esc
closes it; `m` on the Services trace says what the mesh does before kube-proxy."""

from __future__ import annotations

from tests.support.mesh_lab import CLIENT, mesh_lab
from tests.ui.conftest import screen_text, screen_words, settle


async def _open(pilot) -> None:
    await settle(pilot)
    await pilot.press("0")
    await settle(pilot)
    await pilot.pause(0.2)
    await settle(pilot)


async def test_the_meshed_pod_and_its_rules_at_80x24(make_lab_app, tmp_path):
    app = make_lab_app(snapshot=str(mesh_lab(tmp_path)))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _open(pilot)
        text = screen_text(app)
        assert "2 of " in text and " pods meshed" in text
        assert CLIENT in text and "istio 1.31.0 sidecar" in text
        assert "out->15001 in->15006" in text
        words = screen_words(app)
        assert "rules written by: istio-init" in words
        assert "never for uid 1337, gid 1337" in words
        await pilot.press("t")
        await pilot.press(*"10.96.0.10:53")
        await pilot.press("enter")
        await settle(pilot)
        words = screen_words(app)
        assert "redirected to port 15001 in the pod" in words
        assert "app -> OUTPUT -> ISTIO_OUTPUT -> ISTIO_REDIRECT -> port 15001 (proxy)" in words
        await pilot.press("escape")
        await settle(pilot)
        assert "redirected to port 15001" not in screen_words(app)
        await pilot.press("t")
        await pilot.press(*"10.0.0.2:80 as 1337")
        await pilot.press("enter")
        await settle(pilot)
        assert "not redirected: straight out" in screen_words(app)


async def test_a_bad_destination_is_said_in_words(make_lab_app, tmp_path):
    app = make_lab_app(snapshot=str(mesh_lab(tmp_path)))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _open(pilot)
        await pilot.press("t")
        await pilot.press(*"website")
        await pilot.press("enter")
        await settle(pilot)
        assert "is not ADDRESS:PORT" in screen_words(app)


async def test_m_on_the_services_trace_shows_the_mesh_first(make_lab_app, tmp_path):
    app = make_lab_app(snapshot=str(mesh_lab(tmp_path)))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press(":")
        await pilot.press(*"trace default/website")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        words = screen_words(app)
        assert "MESH default/website" in words
        assert "default/client: redirected to port 15001" in words
        assert "before kube-proxy's DNAT" in words
        await pilot.press("escape")
        await settle(pilot)
        assert "MESH default/website" not in screen_words(app)

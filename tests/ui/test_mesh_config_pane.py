"""Pane 0 and the Services trace's `m` box read the mesh configuration, on the rendered screen at
80x24: the mesh lab plus a DestinationRule, VirtualService and PeerAuthentication for the lab's
website Service (tests/test_cli_mesh_config.py's objects)."""

from __future__ import annotations

import json

from tests.support.mesh_lab import mesh_lab
from tests.test_cli_mesh_config import MESH_OBJECTS
from tests.ui.conftest import screen_words, settle


def _lab(tmp_path) -> str:
    out = mesh_lab(tmp_path)
    (out / "api" / "mesh-config.json").write_text(json.dumps({"kind": "List", "apiVersion": "v1",
                                                              "items": MESH_OBJECTS}))
    return str(out)


async def test_a_website_pod_shows_its_services_mesh_config(make_lab_app, tmp_path):
    app = make_lab_app(snapshot=_lab(tmp_path))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("0")
        await settle(pilot)
        assert "mesh config for default/website" not in screen_words(app)  # the client pod backs no Service
        for _ in range(3):  # the client, the ambient pod, engine's pod: then a website pod
            await pilot.press("down")
        await settle(pilot)
        words = screen_words(app)
        assert "Mesh configuration: read: read 1 PeerAuthentication, 1 DestinationRule, 1 VirtualService" in words
        assert "mesh config for default/website port 80" in words


async def test_m_on_the_trace_lists_routes_mtls_and_findings(make_lab_app, tmp_path):
    app = make_lab_app(snapshot=_lab(tmp_path))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press(":")
        await pilot.press(*"trace default/website")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert "routes (VirtualService): depends on the request" in screen_words(app)
        await pilot.press("end")
        await settle(pilot)
        words = screen_words(app)
        assert "connection: plaintext: auto mTLS sends plaintext: the server has no Istio sidecar" in words
        assert "answers 503 (no healthy upstream)" in words

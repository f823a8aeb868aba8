"""Pane 7's test box given a Service where a pod is wanted says it is a Service and names its
pods (the same words as `k8snet policy check`)."""

from __future__ import annotations

from tests import lab_roles as roles
from tests.ui.conftest import screen_words, settle


async def test_pane_7_test_box_names_the_services_pods(make_lab_app):
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("7")
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("tab", "ctrl+u", *"default/website", "enter")
        await settle(pilot)
        words = screen_words(app)
        assert "default/website is a Service, not a pod" in words
        assert sorted(roles.website_pods())[0] in words

"""`:ns NAME` narrows every pane's namespaced lists, as the header says, not only Services."""

from __future__ import annotations

from tests.ui.conftest import press_and_settle, screen_text, settle


async def _ns(app, pilot, name: str) -> None:
    await pilot.press("colon")
    await press_and_settle(pilot, *f"ns {name}", "enter")


async def test_the_pod_network_shows_only_the_chosen_namespace(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press_and_settle(pilot, "3")
        assert "website-5746f499f" in screen_text(app)
        await _ns(app, pilot, "kube-system")
        await press_and_settle(pilot, "3")
        text = screen_text(app)
        assert "ns: kube-system" in text
        assert "coredns-6d4b75cb6d-fzsbw" in text and "website-5746f499f" not in text


async def test_the_dns_names_show_only_the_chosen_namespace(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await _ns(app, pilot, "kube-system")
        await press_and_settle(pilot, "5", "l")
        text = screen_text(app)
        assert "kube-dns.kube-system.svc.cluster.local." in text
        assert ".default.svc.cluster.local." not in text
        await _ns(app, pilot, "all")
        await press_and_settle(pilot, "5", "l")
        assert ".default.svc.cluster.local." in screen_text(app)

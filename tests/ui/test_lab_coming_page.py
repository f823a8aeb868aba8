"""The guided lab's last page lists only the steps still coming: step 5 (load balancing) is in
k8snet now, so `:lab 5` opens its first stop and the coming page says steps 1-5 are done; step 6
has no guided questions yet, but pane 0 shows the mesh, and the page says so."""

from __future__ import annotations

from k8snet_tui.sources.snapshot import bundled_lab_path

from tests.ui.conftest import screen_words, settle


async def test_lab_5_opens_step_5_and_the_coming_page_lists_only_step_6(make_lab_app):
    app = make_lab_app(snapshot=str(bundled_lab_path()))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(":", *"lab 5", "enter")
        await settle(pilot)
        words = screen_words(app)
        assert "LAB 5.1" in words and "Who gave this Service its EXTERNAL-IP" in words
        await pilot.press(":", *"lab 6", "enter")
        await settle(pilot)
        words = screen_words(app)
        assert "LAB 6 coming" in words
        assert "Steps 1-5 are done. The lab's last step has no guided questions yet:" in words
        assert "Service mesh (coming)" in words and "Steps 1-4" not in words
        # pane 0 is in k8snet: the page must not say the mesh is missing, and must say where it is
        assert "not in k8snet" not in words
        assert "pane 0 (Mesh) shows these already: press 0" in words

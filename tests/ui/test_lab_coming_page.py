"""The guided lab's last page: every step of the lab has its questions now (step 6, the service
mesh, answered from pane 0's facts), so `:lab 6` opens step 6's first stop, and the page after
the last stop says the lab is done instead of listing steps to come."""

from __future__ import annotations

from k8snet_tui.sources.snapshot import bundled_lab_path

from tests.support.mesh_lab import CLIENT, mesh_lab
from tests.ui.conftest import lab_answer_words, screen_text, screen_words, settle


async def test_lab_6_opens_step_6_and_the_last_page_says_the_lab_is_done(make_lab_app):
    app = make_lab_app(snapshot=str(bundled_lab_path()))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(":", *"lab 6", "enter")
        words = await lab_answer_words(pilot, app, "LAB 6.1")
        assert "Which pods are meshed" in words and "0 Mesh" in screen_text(app).splitlines()[0]
        assert "No pod here is meshed" in words  # the bundled lab has no mesh, and says what would show one
        await pilot.press(":", *"lab 6.3", "enter", "greater_than_sign")
        await settle(pilot)
        words = screen_words(app)
        assert "LAB end" in words and "That was the lab's last question" in words
        assert "coming" not in words


async def test_step_6_on_a_meshed_pod_answers_from_the_mesh_pane(make_lab_app, tmp_path):
    """The mesh lab: the client has Istio's sidecar and the rules the real istio-iptables wrote."""
    app = make_lab_app(snapshot=str(mesh_lab(tmp_path)))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press(":", *"lab 6.1", "enter")
        words = await lab_answer_words(pilot, app, "LAB 6.1")
        assert "2 of 14 pods are meshed" in words and f"{CLIENT}: istio 1.31.0 sidecar" in words, words
        await pilot.press("greater_than_sign")
        words = await lab_answer_words(pilot, app, "LAB 6.2")
        assert "go to port 15001" in words and "never for uid 1337" in words, words
        await pilot.press("greater_than_sign")
        words = await lab_answer_words(pilot, app, "LAB 6.3")
        assert "redirected to port 15001 in the pod" in words, words
        assert "0 Mesh" in screen_text(app).splitlines()[0]
        for line in screen_text(app).splitlines():
            assert len(line) <= 80

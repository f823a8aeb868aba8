"""`?` says what the header's STALE badge means and what to do about it.

The badge (` STALE 21:40:02 `) appears in the header while the API server does not answer; a
user who sees it needs to know the screen is old data, that k8snet retries by itself, and what
to check when it stays.
"""

from __future__ import annotations

from tests.ui.conftest import press_and_settle, screen_words, settle


async def test_help_explains_the_stale_badge_at_80x24(make_lab_app):
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press_and_settle(pilot, "question_mark")
        await press_and_settle(pilot, "end")  # the help scrolls; the badges come after the keys
        words = screen_words(app)
        assert "STALE HH:MM:SS in the header: the API server stopped answering at that time" in words, words
        assert "what you see is the last data read, not now" in words
        assert "k8snet keeps retrying" in words and "the badge goes when it reads again" in words
        assert "check the network or VPN to the API server" in words
        assert "kubectl get --raw /readyz" in words

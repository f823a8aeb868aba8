"""The `:` line's help names every verb the command line accepts.

The verbs come from the grammar the `:` line parses with (its verbs and the verbs that open a
pane), from the `:` forms the panes' own help gives, and from README's `:` forms (`:mesh NS/POD`
is a pane word with a target); the help's line is read from the screen (`?`). It used to leave
out `balance` and `mesh`, though both work there.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from k8snet_tui import grammar
from k8snet_tui.registry import PANES, load_pane_class

from tests.ui.conftest import screen_lines, settle

README = Path(__file__).resolve().parents[2] / "README.md"


def accepted_verbs() -> set[str]:
    verbs = set(grammar.VERBS) | set(grammar.VERB_PANE) | {"lab"}
    verbs |= set(re.findall(r"`:([a-z]+)[^`]*`", README.read_text(encoding="utf-8")))
    for spec in PANES:
        for key, _ in getattr(load_pane_class(spec), "PANE_KEYS", ()):
            if key.startswith(":"):
                verbs.add(key[1:].split()[0])
    return verbs


def colon_help_words(lines: list[str]) -> list[str]:
    """The words of the help's `:` row (its wrapped lines joined): the verb of each comma item."""
    rows = [ln.strip().strip("│").rstrip() for ln in lines if ln.strip().startswith("│")]
    text, everywhere, inside = "", False, False
    for row in rows:
        has_key = row.startswith("  ") and not row.startswith("   ")
        key, _, what = row.strip().partition("  ")
        if has_key and key == "Everywhere":
            everywhere = True
            continue
        if not everywhere:
            continue  # a pane's own `:trace`, `:svc` rows come first
        if inside and has_key:
            break  # the next key's row
        if has_key and key == ":":
            inside = True
        if inside:
            text += " " + (what if has_key else row).strip()
    assert inside, "no `:` row in the help"
    text = text.split(":", 1)[1]  # "command line: svc, trace NS/NAME, ..."
    return [item.split()[0] for item in text.split(",") if item.split()]


def canonical(word: str) -> str:
    return grammar.VERB_ALIASES.get(word, word)


@pytest.mark.asyncio
async def test_colon_help_names_every_verb_the_command_line_accepts(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(110, 100)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        words = colon_help_words(screen_lines(app))
    listed = {canonical(w) for w in words}
    missing = sorted(v for v in accepted_verbs() if canonical(v) not in listed)
    assert not missing, f"the `:` help line leaves out {missing}: it lists {words}"
    for word in words:  # and each word it lists is one the command line takes
        try:
            grammar.parse(word)
        except grammar.GrammarError as exc:
            assert "unknown command" not in exc.message, f"the help lists {word!r}: {exc.message}"

"""`?` lists each key once in a help, with the words written for it.

A pane's key can be declared on a child widget (pane 8's hop chain has space and enter) or be one
of a pair written on one line (`s / d`, `[ / ]`): the help used to show the binding's bare label
("Details", "Source") and then the written line again, so such a key was listed twice.
"""

from __future__ import annotations

import re

import pytest

from tests.ui.conftest import screen_lines, settle

PANES = "1234567890"
GLYPHS = {"⏎": "enter", "↑": "up", "↓": "down", "←": "left", "→": "right"}


def help_sections(lines: list[str]) -> dict[str, list[str]]:
    """The key cells of the open help, by section (the pane's title, "Everywhere")."""
    inside = [ln.strip().strip("│").rstrip() for ln in lines if ln.strip().startswith("│")]
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for row in inside:
        if not row.startswith("  ") or row.startswith("   "):
            continue  # the about lines, and wrapped descriptions (no key cell)
        key = re.split(r"\s{2,}", row.strip(), maxsplit=1)[0]
        if re.fullmatch(r"\d \S.*|Everywhere", key):
            current = sections.setdefault(key, [])
        elif current is not None:
            current.append(key)
    return sections


def keys_of(cell: str) -> list[str]:
    """The keys one key cell names: `s / d` names s and d, `:path FROM TO` is one command."""
    if cell.startswith(":"):
        return [cell.split()[0]]
    cell = cell.split(" (")[0]  # `m (Services trace)`: where the key works
    words = cell.replace(",", " ").split()
    if len(words) > 1:  # `[ / ]`, `up/down pgup/pgdn`: the slash joins keys; alone it is the key
        words = [k for w in words for k in w.split("/") if k]
    return [GLYPHS.get(k, k) for k in words]


@pytest.mark.asyncio
async def test_each_pane_help_lists_each_key_once(make_lab_app):
    app = make_lab_app()
    async with app.run_test(size=(110, 100)) as pilot:
        await settle(pilot)
        seen_titles = []
        for key in PANES:
            await pilot.press(key)
            await settle(pilot)
            await pilot.press("question_mark")
            await settle(pilot)
            sections = help_sections(screen_lines(app))
            title = next((t for t in sections if t.startswith(f"{key} ")), None)
            assert title is not None, f"pane {key}: no help of its own on screen: {sorted(sections)}"
            assert "Everywhere" in sections, f"pane {key}: the help has no Everywhere section"
            seen_titles.append(title)
            for name in (title, "Everywhere"):
                named = [k for cell in sections[name] for k in keys_of(cell)]
                twice = sorted({k for k in named if named.count(k) > 1})
                assert not twice, f"pane {key}'s help lists {twice} twice under {name!r}: {sections[name]}"
            await pilot.press("escape")
            await settle(pilot)
        assert len(seen_titles) == len(PANES)


@pytest.mark.asyncio
async def test_path_help_gives_the_written_words(make_lab_app):
    """Pane 8: space, enter, s and d each on one line, with the words PANE_KEYS gives them."""
    app = make_lab_app()
    async with app.run_test(size=(110, 100)) as pilot:
        await settle(pilot)
        await pilot.press("8")
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        text = "\n".join(screen_lines(app))
        assert re.search(r"│\s+space\s+open or close the hop's details", text), text
        assert re.search(r"│\s+(⏎|enter)\s+in a box: diagnose", text), text
        assert re.search(r"│\s+s / d\s+type the source", text), text
        for bare in ("Details", "Open hop", "Source", "Destination"):
            assert not re.search(rf"│\s+\S+\s+{bare}\s+│", text), f"{bare!r} still listed:\n{text}"

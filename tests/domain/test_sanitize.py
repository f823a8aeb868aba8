"""`clean` makes cluster- and kernel-derived strings inert before they reach a terminal."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from k8snet_tui.domain.sanitize import clean

R = "\ufffd"

BIDI = {"\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
        "\u200e", "\u200f"}
# U+061C ARABIC LETTER MARK is a bidi mark like LRM/RLM.
ALM = "\u061c"
LINE_SEPARATORS = {"\u2028", "\u2029"}  # break a line where no newline shows
ZERO_WIDTH = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}


@pytest.mark.parametrize("hostile, expected", [
    ("a\x1bb", f"a{R}b"),  # bare ESC
    ("\x1b[31mred\x1b[0m", f"{R}[31mred{R}[0m"),  # CSI colour
    ("\x9b31mred", f"{R}31mred"),  # 8-bit CSI (C1)
    ("\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\",
     f"{R}]8;;http://evil.example/{R}\\click{R}]8;;{R}\\"),  # OSC 8 hyperlink
    ("\x1b]0;title\x07", f"{R}]0;title{R}"),  # OSC with BEL terminator
    ("good\rbad", f"good{R}bad"),  # carriage return repaints the line
    ("abc\x08\x08\x08xyz", f"abc{R}{R}{R}xyz"),  # backspaces overwrite
    ("\x7fdel", f"{R}del"),
    ("svc\u202egpj.exe", f"svc{R}gpj.exe"),  # RLO bidi override
    ("a\u2066b\u2069c", f"a{R}b{R}c"),  # bidi isolates
    ("ad\u200bmin", f"ad{R}min"),  # zero-width space
    ("a\u200db", f"a{R}b"),
    ("\ufeffbom", f"{R}bom"),
    ("nul\x00", f"nul{R}"),
    ("one\u2028two\u2029", f"one{R}two{R}"),  # line/paragraph separators
])
def test_control_and_invisible_characters_are_replaced(hostile: str, expected: str) -> None:
    assert clean(hostile) == expected


@pytest.mark.parametrize("text", [
    "kube-dns", "default/website:80", "10.96.0.10", "[link=https://x]x", "[bold]not markup[/]",
    "café", "сервис", "服务-名", "サービス", "خدمة", "שירות", "🚀-svc", "KUBE-SVC-TCOUIEB43IE5GY2G",
])
def test_plain_and_non_latin_text_is_unchanged(text: str) -> None:
    assert clean(text) == text


def test_newlines_and_tabs_become_visible_escapes_in_single_line_mode() -> None:
    assert clean("row1\nrow2\tx") == "row1\\nrow2\\tx"
    assert clean("row1\nrow2\tx", single_line=False) == "row1\nrow2\tx"
    assert clean("a\x1b\nb", single_line=False) == f"a{R}\nb"


def test_arabic_letter_mark_is_replaced() -> None:
    assert clean(f"a{ALM}b") == f"a{R}b"


def test_non_strings_are_converted() -> None:
    assert clean(8080) == "8080"
    assert clean(None) == "None"


def _unsafe(ch: str) -> bool:
    cp = ord(ch)
    if cp < 0x20 or 0x7F <= cp <= 0x9F:
        return True
    return ch in BIDI or ch in ZERO_WIDTH or ch == ALM or ch in LINE_SEPARATORS or unicodedata.bidirectional(ch) in {
        "LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"}


@given(st.text(alphabet=st.characters(codec="utf-8")))
def test_output_never_holds_a_control_or_bidi_character(text: str) -> None:
    out = clean(text)
    assert not [c for c in out if _unsafe(c)], repr(out)


@given(st.text(alphabet=st.characters(codec="utf-8")))
def test_multi_line_output_keeps_only_newline_and_tab_controls(text: str) -> None:
    out = clean(text, single_line=False)
    assert not [c for c in out if _unsafe(c) and c not in "\n\t"], repr(out)


@given(st.text(alphabet=st.characters(codec="utf-8")))
def test_clean_is_idempotent_and_keeps_safe_characters(text: str) -> None:
    out = clean(text, single_line=False)
    assert clean(out, single_line=False) == out
    # every safe character survives, in order: only unsafe ones are replaced one for one
    assert len(out) == len(text)
    for a, b in zip(text, out, strict=True):
        assert b in (a, R)

"""The pane registry: every word names one pane, and every spec's modules load."""

from __future__ import annotations

import pytest

from k8snet_tui.registry import PANES, load_pane_class, pane_by_word


def test_words_are_unique_and_keys_are_the_number_row():
    words = [w.lower() for spec in PANES for w in spec.words]
    assert len(words) == len(set(words))
    assert [spec.key for spec in PANES] == list("1234567890"[: len(PANES)])  # pane 10 is on the 0 key


@pytest.mark.parametrize("word, pane", [("svc", "services"), ("4", "services"), ("SVC", "services"),
                                        ("vpc", "host"), ("po", "pods"), ("ing", "ingress"),
                                        ("dns", "dns"), (" internet ", "internet")])
def test_pane_by_word(word, pane):
    spec = pane_by_word(word)
    assert spec is not None and spec.id == pane


def test_unknown_word():
    assert pane_by_word("nope") is None
    assert pane_by_word("") is None


@pytest.mark.parametrize("spec", PANES, ids=lambda s: s.id)
def test_pane_class_loads(spec):
    cls = load_pane_class(spec)
    assert cls.__name__ == spec.pane_class.rpartition(":")[2]

"""The trace model carries each step's rule in words: the widget never looks rules up."""

from __future__ import annotations

from k8snet_tui.domain.datapath.backend import parse_node_datapath
from k8snet_tui.domain.services import trace_service
from k8snet_tui.present.trace import present_trace
from k8snet_tui.sources.snapshot import load_snapshot
from k8snet_tui.widgets.trace_view import trace_lines


def test_rule_words_come_with_the_model():
    snap = load_snapshot("lab")
    dp = parse_node_datapath(snap.local, snap.cluster)
    trace = trace_service(snap.cluster, snap.local, "default", "website", datapath=dp)
    model = present_trace(trace, dp)
    words = [w for w in model.rules[0] if w is not None]
    assert len(model.rules[0]) == len(trace.ports[0].steps)
    assert any("probability 0.33333333349" in w.summary for w in words)
    assert any(w.dnat_to.startswith("10.0.") for w in words)
    # Drawn without the datapath, the lines still show the rule words.
    text = "\n".join(line.text.plain for line in trace_lines(model))
    assert "probability 0.33333333349" in text and "→ DNAT to 10.0." in text


def test_without_a_dump_the_steps_show_their_own_text():
    snap = load_snapshot("lab")
    dp = parse_node_datapath(snap.local, snap.cluster)
    trace = trace_service(snap.cluster, snap.local, "default", "website", datapath=dp)
    model = present_trace(trace, None)
    assert all(w is None for w in model.rules[0])
    text = "\n".join(line.text.plain for line in trace_lines(model))
    assert "KUBE-SVC-" in text

"""`m`'s counting: what the entry nodes' DNAT counters say per pod between two states.

The rules are the lab's real iptables-save -c of node-1; the second state is the same dump with
one endpoint's DNAT rule counting 7 packets more, as a poll after seven requests would read it.
"""

from __future__ import annotations

from dataclasses import replace

from k8snet_tui.domain.balancing.measure import measure
from k8snet_tui.snapshot_state import open_state

SEP_RULE = '[2:120] -A KUBE-SEP-X2MCN5BVWANDBEEH -p tcp'  # default/website -> 10.0.0.2:80


def _bumped(observed, by: int):
    node = observed.nodes["node-1"]
    text = node.iptables["legacy"]
    assert SEP_RULE in text
    bumped = text.replace(SEP_RULE, SEP_RULE.replace("[2:120]", f"[{2 + by}:{120 + 60 * by}]"))
    nodes = {**observed.nodes, "node-1": replace(node, iptables={**node.iptables, "legacy": bumped})}
    return replace(observed, nodes=nodes)


def test_dnat_counter_deltas_are_counted_per_pod():
    start, _, _ = open_state("lab", report=False)
    now = _bumped(start, 7)
    got = measure(start, now, "default", "website", 80, ("node-1",))
    assert got.how == "DNAT packet counters" and got.nodes == ("node-1",)
    counts = {(a, p): c for a, p, c in got.counts}
    assert counts[("10.0.0.2", 80)] == 7
    assert all(c == 0 for k, c in counts.items() if k != ("10.0.0.2", 80))


def test_a_node_without_state_at_both_ends_is_named():
    start, _, _ = open_state("lab", report=False)
    got = measure(start, start, "default", "website", 80, ("node-1", "node-2"))
    assert got.missing == ("node-2",) and all(c == 0 for _, _, c in got.counts)

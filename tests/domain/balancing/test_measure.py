"""`m`'s counting: what the entry nodes' DNAT counters say per pod between two states.

The rules are the lab's real iptables-save -c of node-1; the second state is the same dump with
one endpoint's DNAT rule counting 7 packets more, as a poll after seven requests would read it.
"""

from __future__ import annotations

import re
from dataclasses import replace

from k8snet_tui.domain.balancing.measure import measure
from k8snet_tui.snapshot_state import open_state

# The first DNAT rule of default/website:http in the dump: its counters, the rule, where it sends.
WEBSITE_DNAT = re.compile(r'^\[(\d+):(\d+)\] (-A KUBE-SEP-\S+ .*"default/website:http(?:"| ->).*-j DNAT '
                          r'--to-destination ([\d.]+):(\d+))$', re.MULTILINE)


def _bumped(observed, by: int):
    node = observed.nodes["node-1"]
    backend = next(iter(node.iptables))
    text = node.iptables[backend]
    m = WEBSITE_DNAT.search(text)
    assert m, "no DNAT rule of default/website:http in the lab's dump"
    packets, octets, rule, address, port = m.groups()
    bumped = text.replace(m.group(0), f"[{int(packets) + by}:{int(octets) + 60 * by}] {rule}")
    nodes = {**observed.nodes, "node-1": replace(node, iptables={**node.iptables, backend: bumped})}
    return replace(observed, nodes=nodes), (address, int(port))


def test_dnat_counter_deltas_are_counted_per_pod():
    start, _, _ = open_state("lab", report=False)
    now, hit = _bumped(start, 7)
    got = measure(start, now, "default", "website", 80, ("node-1",))
    assert got.how == "DNAT packet counters" and got.nodes == ("node-1",)
    counts = {(a, p): c for a, p, c in got.counts}
    assert counts[hit] == 7
    assert all(c == 0 for k, c in counts.items() if k != hit)


def test_a_node_without_state_at_both_ends_is_named():
    start, _, _ = open_state("lab", report=False)
    got = measure(start, start, "default", "website", 80, ("node-1", "node-2"))
    assert got.missing == ("node-2",) and all(c == 0 for _, _, c in got.counts)

"""The probe's speed-ups change nothing in its document (docs/performance.md has the numbers).

- The python-iptables cross-check child starts first and runs while the other tools do: the
  document is the one the probe writes when the child runs in its turn, key for key and error
  for error.
- The child no longer imports setuptools (whose distutils shim python-iptables pulled in):
  python-iptables takes its own fallback for the one function it wanted, and reads the same.
"""

from __future__ import annotations

import json
import sys

import pytest

from tests.probe.test_probe_netns import NAT_CHAINS, NAT_RULES, nat_rules

pytestmark = pytest.mark.root

COMPARE = r"""
import json, sys
from k8snet_tui.probe import collect
def doc(early):
    p = collect.Probe()
    if not early:
        p.start_cross_check = lambda: None   # the child in its turn, as before
    d = p.collect()
    d.pop("captured_at")
    for family in ("iptables", "ip6tables"):  # iptables-save stamps the time in its comments
        d[family] = {k: "".join(ln for ln in v.splitlines(True) if not ln.startswith("#"))
                     for k, v in d[family].items()}
    return d
print(json.dumps([doc(True), doc(False), doc(True)]))
"""

CHILD_MODULES = r"""
import json, sys
from k8snet_tui.probe import iptc_child
reply = iptc_child._read("nat")
print(json.dumps({"reply": reply, "setuptools": "setuptools" in sys.modules,
                  "distutils": any(m == "distutils" or m.startswith("distutils.") for m in sys.modules)}))
"""


def test_the_early_cross_check_writes_the_same_document(netns):
    ns = netns()
    ns.run("iptables-legacy-restore", input=nat_rules())
    early, in_turn, again = json.loads(ns.python(COMPARE))
    assert list(early) == list(in_turn)  # the same keys in the same order
    assert early == in_turn == again
    check = early["legacy_check"]
    assert check["agree"] is True and check["python_iptables"] == {"chains": NAT_CHAINS, "rules": NAT_RULES}
    assert early["errors"] == []


def test_no_legacy_table_starts_no_child(netns, monkeypatch):
    ns = netns()
    out = ns.python("from k8snet_tui.probe import collect\n"
                    "p = collect.Probe(); p.start_cross_check(); print(p._cross_check is None)")
    assert out.strip() == "True"  # nothing listed in /proc/net/ip_tables_names: nothing started


def test_the_child_reads_the_table_without_setuptools(netns):
    ns = netns()
    ns.run("iptables-legacy-restore", input=nat_rules())
    out = json.loads(ns.run(sys.executable, "-I", "-c", CHILD_MODULES, timeout=120).stdout)
    assert out["setuptools"] is False and out["distutils"] is False, out
    assert sum(out["reply"]["chains"].values()) == NAT_RULES and len(out["reply"]["chains"]) == NAT_CHAINS

"""The probe's speed-up changes nothing it reads (docs/performance.md has the numbers).

The python-iptables cross-check child no longer imports setuptools (whose distutils shim
python-iptables pulled in): python-iptables takes its own fallback for the one function it
wanted, and reads the same table.
"""

from __future__ import annotations

import json
import sys

import pytest

from tests.probe.test_probe_netns import NAT_CHAINS, NAT_RULES, nat_rules

pytestmark = pytest.mark.root

CHILD_MODULES = r"""
import json, sys
from k8snet_tui.probe import iptc_child
reply = iptc_child._read("nat")
print(json.dumps({"reply": reply, "setuptools": "setuptools" in sys.modules,
                  "distutils": any(m == "distutils" or m.startswith("distutils.") for m in sys.modules)}))
"""


def test_the_child_reads_the_table_without_setuptools(netns):
    ns = netns()
    ns.run("iptables-legacy-restore", input=nat_rules())
    out = json.loads(ns.run(sys.executable, "-I", "-c", CHILD_MODULES, timeout=120).stdout)
    assert out["setuptools"] is False and out["distutils"] is False, out
    assert sum(out["reply"]["chains"].values()) == NAT_RULES and len(out["reply"]["chains"]) == NAT_CHAINS

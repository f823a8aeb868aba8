"""The bundled lab, checked: its config and its kernel state must agree.

Today's lab (captured before the test cluster built Cilium's real device layout) contradicts
itself: cilium-config says VXLAN tunnelling, node-1's routes send node-2's pod CIDR unwrapped
through eth0, and there are no cilium_* or lxc* devices. The check must say so. When the lab is
regenerated from a cluster with Cilium's layout (cilium_host/cilium_net, lxc* veths, cilium_vxlan),
this test flips to "no disagreement" (see /work/notes/CC-expects.md for what the check expects).
"""

from __future__ import annotations

from k8snet_tui.domain.consistency import DISAGREE, check_observed
from k8snet_tui.snapshot_state import open_state


def test_todays_lab_disagrees():
    observed, _, _ = open_state("lab", report=False)
    report = check_observed(observed)
    assert report.nodes == ("node-1",)
    found = {c.code for c in report.checks if c.status == DISAGREE}
    assert found == {"tunnel-device", "host-device", "pod-devices", "remote-pod-cidr"}
    remote = next(c for c in report.findings if c.code == "remote-pod-cidr")
    assert "tunnel" in remote.config and "vxlan" in remote.config
    assert "10.0.1.0/24 via 172.31.24.122 dev eth0" in remote.kernel
    # The proxy side of the lab is consistent: iptables mode, real KUBE-SERVICES rules.
    assert next(c for c in report.checks if c.code == "proxy-mode").status == "agree"

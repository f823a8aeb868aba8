"""The bundled lab, checked: its config and its kernel state must agree.

The lab is captured from the test cluster with Cilium's tunnel layout built for real
(cilium_host/cilium_net, lxc* veths, cilium_vxlan on UDP 8472, every pod CIDR via cilium_host), so
the cilium-config (tunnel: vxlan), node-1's devices and its routes agree, and so does the proxy
side (iptables mode, real KUBE-SERVICES rules). The lab captured before that contradicted itself
(cilium-config said VXLAN while node-1 routed node-2's pods unwrapped through eth0, with no
cilium_* or lxc* device): these same checks flagged tunnel-device, host-device, pod-devices and
remote-pod-cidr on it.
"""

from __future__ import annotations

from k8snet_tui.domain.consistency import AGREE, DISAGREE, check_observed
from k8snet_tui.snapshot_state import open_state


def test_the_bundled_lab_has_no_consistency_finding():
    observed, _, _ = open_state("lab", report=False)
    report = check_observed(observed)
    assert report.nodes == ("node-1",)
    assert [c for c in report.checks if c.status == DISAGREE] == []
    agreeing = {c.code for c in report.checks if c.status == AGREE}
    assert {"tunnel-device", "tunnel-port", "host-device", "pod-devices", "remote-pod-cidr",
            "proxy-mode"} <= agreeing
    remote = [c for c in report.checks if c.code == "remote-pod-cidr" and "10.0.1.0/24" in c.kernel]
    assert remote and "dev cilium_host" in remote[0].kernel

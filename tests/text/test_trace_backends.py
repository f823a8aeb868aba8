"""The trace text for every backend the domain traces: nftables (both forms), IPVS and Cilium,
from the domain tests' fixtures. The lab's goldens pin iptables; here each backend's tree has its
entries, shares and DNAT lines, and nothing a serialized value would leave."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from k8snet_tui.domain.model import NodeState
from k8snet_tui.domain.services import trace_service
from k8snet_tui.text import TextOptions, render

from tests.domain.test_services_trace import NODE, lab_cluster

FIX = Path(__file__).resolve().parents[1] / "domain" / "fixtures" / "datapath"


def _node(backend: str) -> tuple[NodeState, list]:
    if backend.startswith("nft-"):
        form = backend.removeprefix("nft-")
        return NodeState(node=NODE, nft_ruleset=json.loads((FIX / f"nft-kube-proxy-{form}.json").read_text())), []
    if backend == "ipvs":
        return NodeState(node=NODE, ipvsadm=(FIX / "ipvsadm-Ln.txt").read_text()), []
    items = tuple(json.loads((FIX / "cilium-service-list.json").read_text()))
    extra = [{"kind": "ConfigMap", "metadata": {"name": "cilium-config", "namespace": "kube-system"},
              "data": {"kube-proxy-replacement": "true"}}]
    return NodeState(node=NODE, cilium_services=items), extra


@pytest.mark.parametrize("backend, expected", [("nft-vmap", "nftables"), ("nft-map", "nftables"),
                                               ("ipvs", "ipvs"), ("cilium", "cilium")])
@pytest.mark.parametrize("width", [80, 120, None])
def test_every_backend_draws_a_tree(backend: str, expected: str, width: int | None) -> None:
    node, extra = _node(backend)
    result = trace_service(lab_cluster(extra) if extra else lab_cluster(), node, "default", "website")
    out = io.StringIO()
    render("trace", result, out, TextOptions(width=width))
    text = out.getvalue()
    assert f"Backend: {expected}" in text
    assert "cluster: cluster-ip" in text and "external: node-port" in text
    shares = re.findall(r"^\s+(\d+\.\d)%", text, flags=re.M)
    assert shares and all(0 <= float(s) <= 100 for s in shares)
    assert text.count("DNAT ") == len(shares)
    assert '{"' not in text and "[{" not in text and "Traceback" not in text
    if width is not None:
        assert max(len(line) for line in text.splitlines()) <= width

"""The path's route hop on a node's public address: with the cloud facts (cloud.json: public
address, 1:1 NAT to a node's own address) it names the node, as the route tester does; without
them the address stays unknown."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from k8snet_tui.domain.model import Observed
from k8snet_tui.domain.path import diagnose
from k8snet_tui.sources.snapshot import bundled_lab_path, load_snapshot

from tests import lab_roles as roles

INGRESS_NODEPORT = roles.node_port("emissary", "emissary-ingress", "http")


@lru_cache(maxsize=1)
def with_cloud() -> Observed:
    snap = load_snapshot(bundled_lab_path())
    assert snap.cloud is not None, "the bundled lab holds cloud.json"
    return Observed(cluster=snap.cluster, nodes=snap.nodes, local_node=snap.local_node, cloud=snap.cloud)


def _route_text(observed: Observed, url: str) -> str:
    hop = diagnose(observed, "outside", url).hop("route")
    return "\n".join([hop.summary] + [f"{e.ref}: {e.text}" for e in hop.evidence])


def test_the_route_hop_names_the_node_behind_the_public_address():
    observed = with_cloud()
    public, private = observed.cloud["public_ipv4"], observed.cloud["private_ipv4"]
    text = _route_text(observed, f"http://{public}:{INGRESS_NODEPORT}/engine")
    assert f"{public} is the public address of Node {roles.captured_node()}" in text, text
    assert f"1:1 (NAT) to {private}" in text, text
    assert "not a node address" not in text, text
    assert "default/engine:80" in text, text


def test_without_cloud_facts_the_public_address_stays_unknown():
    observed = replace(with_cloud(), cloud=None)
    public = with_cloud().cloud["public_ipv4"]
    text = _route_text(observed, f"http://{public}:{INGRESS_NODEPORT}/engine")
    assert f"{public} is not a node address the API reports" in text, text
    assert "public address of Node" not in text, text

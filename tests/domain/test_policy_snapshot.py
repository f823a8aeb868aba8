"""NetworkPolicies (and the policy kinds we only list) travel through `k8snet capture` and back
through the snapshot loader, and the verdict on the loaded snapshot is the one on the original."""

from __future__ import annotations

from test_policy_evaluator import World

from k8snet_tui.domain.model import ClusterState, Observed
from k8snet_tui.domain.policy import build_index, evaluate
from k8snet_tui.sources.capture import write_snapshot
from k8snet_tui.sources.snapshot import load_snapshot


def test_capture_and_load_keep_policies_and_the_verdicts(tmp_path):
    w = (World().ns("default").pod("default", "web", {"app": "web"}).pod("default", "client", {"app": "client"})
         .policy("default", "web-from-client", {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [
             {"from": [{"podSelector": {"matchLabels": {"app": "client"}}}], "ports": [{"port": 80}]}]})
         .add({"kind": "AdminNetworkPolicy", "apiVersion": "policy.networking.k8s.io/v1alpha1",
               "metadata": {"name": "guard"}, "spec": {"priority": 10}})
         .add({"kind": "CiliumNetworkPolicy", "apiVersion": "cilium.io/v2",
               "metadata": {"namespace": "default", "name": "l7"}, "spec": {}}))
    before = ClusterState.from_objects(w.objs)
    written = write_snapshot(tmp_path / "snap", Observed(cluster=before), source="test")
    assert written["networkpolicies"] == 1 and written["adminnetworkpolicies"] == 1
    assert written["ciliumnetworkpolicies"] == 1
    assert (tmp_path / "snap" / "api" / "networkpolicies.json").exists()
    after = load_snapshot(tmp_path / "snap").cluster
    assert [o["metadata"]["name"] for o in after.of("NetworkPolicy")] == ["web-from-client"]
    for src, dst, port in (("default/client", "default/web", 80), ("default/client", "default/web", 81),
                           ("default/web", "default/client", 80)):
        a, b = evaluate(build_index(before), src, dst, port), evaluate(build_index(after), src, dst, port)
        assert a.as_dict() == b.as_dict()
        assert b.not_evaluated == ("AdminNetworkPolicy guard: not evaluated", "CiliumNetworkPolicy default/l7: not evaluated")

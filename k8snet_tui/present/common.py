"""What every presenter needs: which node's state to read, which cloud facts to use."""

from __future__ import annotations

from k8snet_tui.domain.layers import CloudFacts, cloud_facts_from_json
from k8snet_tui.domain.model import ClusterState, NodeState, Obj, Observed
from k8snet_tui.errors import UsageError


def node_for(observed: Observed, node: str | None = None) -> NodeState:
    """The state of `node` (None: the local node); an unknown node is a usage error."""
    if node:
        found = observed.nodes.get(node)
        if found is None:
            known = ", ".join(observed.nodes) or "none"
            raise UsageError(f"no node state for node {node!r}", hint=f"nodes with state: {known}")
        return found
    return observed.local


def cloud_of(observed: Observed, looked_up: CloudFacts | None = None) -> CloudFacts | None:
    if looked_up is not None:
        return looked_up
    if observed.cloud is not None:
        return cloud_facts_from_json(dict(observed.cloud))
    return None


def objects_in(cluster: ClusterState, kind: str, namespace: str | None) -> tuple[Obj, ...]:
    """`kind`'s objects in `namespace`, every one for None (the state's own scope is not used:
    the selection says what the user picked)."""
    return cluster.in_namespace(kind, namespace) if namespace else cluster.of(kind)

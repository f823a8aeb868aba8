"""What several cluster tests read the way the product does: the API through LiveApi, and a
node through the real probe run inside that node's network namespace."""

from __future__ import annotations

import sys

from k8snet_tui.domain.model import ClusterState, NodeState
from k8snet_tui.sources.kinds import KINDS
from k8snet_tui.sources.kubeconfig import check_context, resolve_kubeconfig
from k8snet_tui.sources.live_api import LiveApi
from k8snet_tui.sources.ports import ApiFailure
from k8snet_tui.sources.probe_client import run_probe


def api_state(cluster) -> ClusterState:
    """Every kind k8snet reads, listed page by page with the admin kubeconfig."""
    choice = resolve_kubeconfig(str(cluster.kubeconfig), env={})
    api = LiveApi(choice, check_context(choice, None))
    objs = []
    for kind in KINDS:
        try:
            token = ""
            while True:
                page = api.list_page(kind, None, limit=500, continue_token=token)
                objs.extend(page.items)
                token = page.continue_token
                if not token:
                    break
        except ApiFailure as exc:
            assert kind.optional and exc.not_served, f"{kind.kind}: {exc}"
    return ClusterState.from_objects(objs)


def probe_argv(cluster, node: str = "node-1") -> list[str]:
    return ["ip", "netns", "exec", cluster.nodes[node].netns, sys.executable, "-m", "k8snet_tui.probe"]


def read_node(cluster, node: str = "node-1") -> NodeState:
    state = run_probe(probe_argv(cluster, node), timeout=60, node=node)
    assert state.node == node
    fatal = [e for e in state.errors if "probe" in e and ("exited" in e or "no probe JSON" in e)]
    assert not fatal, state.errors
    return state

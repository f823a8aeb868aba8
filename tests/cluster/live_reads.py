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


def live_app(cluster, monkeypatch, tmp_path):
    """The app on the live test cluster as a user starts it: its kubeconfig, no config file,
    node-1's state from the real probe inside node-1's namespace, the Services pane first."""
    import argparse

    from k8snet_tui.app import make_app
    from k8snet_tui.collect.session import LiveSession
    from k8snet_tui.config import Settings
    from k8snet_tui.runtime import choose_session

    monkeypatch.setenv("KUBECONFIG", str(cluster.kubeconfig))
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    monkeypatch.setenv("K8SNET_PROBE_CMD", f"ip netns exec {cluster.nodes['node-1'].netns} "
                                           f"{sys.executable} -m k8snet_tui.probe")
    args = argparse.Namespace(snapshot=None, kubeconfig=None, context=None, namespace=None,
                              all_namespaces=False, node="node-1", interval=1.0)
    settings = Settings(offline=True)
    session = choose_session(args, settings)
    assert isinstance(session, LiveSession)
    assert type(session.source).__name__ == "LiveApi"
    return make_app(settings, session, start_pane="services", save_dir=str(tmp_path / "saved"))

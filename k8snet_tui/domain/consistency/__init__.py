"""Config vs kernel: where the cluster's configuration and a node's kernel disagree.

`check_consistency` compares, for every node whose kernel state was read, what the CNI's and
kube-proxy's configuration promise (tunnel or native routing, pod CIDRs, the proxy mode) with the
devices, routes and rules the node really holds. A node without kernel state gives "not checked",
never "consistent".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from ..datapath.backend import Datapath, parse_node_datapath
from ..layers.kernel import read_kernel
from ..model import ClusterState, NodeState, Observed, name_of
from ..sanitize import clean
from .findings import (
    AGREE,
    DISAGREE,
    NOT_CHECKED,
    POD_NETWORK_TOPICS,
    SERVICE_TOPICS,
    TOPICS,
    Check,
    ConsistencyReport,
    make_report,
)
from .plugins import expectations
from .podnet import node_facts, pod_network_checks
from .proxy import proxy_check, service_cidr_check

__all__ = [
    "AGREE",
    "DISAGREE",
    "NOT_CHECKED",
    "POD_NETWORK_TOPICS",
    "SERVICE_TOPICS",
    "TOPICS",
    "Check",
    "ConsistencyReport",
    "check_consistency",
    "check_observed",
]

DatapathFor = Callable[[NodeState], Datapath]
MAX_UNREAD_LISTED = 10  # nodes without kernel state named one by one; more are counted in one check


def _ordered(nodes: Mapping[str, NodeState], local: str) -> list[tuple[str, NodeState]]:
    named = [(clean(state.node or key), state) for key, state in nodes.items()]
    return sorted(named, key=lambda item: (item[0] != local, item[0]))


def check_consistency(cluster: ClusterState, nodes: Mapping[str, NodeState], *, local_node: str = "",
                      topics: Iterable[str] = TOPICS, datapath: DatapathFor | None = None) -> ConsistencyReport:
    """Every check of `topics` for every node in `nodes` that has kernel state.

    `datapath(node)` gives a node's parsed service datapath (the Services pane passes the one it
    already parsed); by default it is parsed here, only when a proxy topic asks for it.
    """
    wanted = tuple(t for t in topics if t in TOPICS)
    pod_network = "tunnel" in wanted or "pod-cidr" in wanted
    plugins = cluster.memo(expectations) if pod_network else ()  # kept with the state
    expectation = plugins[0] if plugins else None
    # Every Pod is read for the pod network checks only; the proxy ones need just the nodes' names.
    facts = cluster.memo(node_facts, expectation) if pod_network else {}
    api_nodes = set(facts) if pod_network else {clean(name_of(n)) for n in cluster.of("Node")}
    checks: list[Check] = []
    read: list[str] = []
    for name, state in _ordered(nodes, clean(local_node)):
        if not state.has_kernel_state:
            continue
        read.append(name)
        kernel = read_kernel(state)
        if pod_network:
            checks += [c for c in pod_network_checks(cluster, name, kernel, facts, expectation) if c.topic in wanted]
        dp: Datapath | None = None
        if "proxy" in wanted or "service-cidr" in wanted:
            dp = datapath(state) if datapath is not None else parse_node_datapath(state, cluster)
        if "proxy" in wanted and dp is not None:
            checks += proxy_check(cluster, state, name, dp)
        if "service-cidr" in wanted:
            checks += service_cidr_check(cluster, name, kernel, dp)
    if len(plugins) > 1 and ("tunnel" in wanted):
        others = ", ".join(f"{p.plugin} ({p.source})" for p in plugins[1:])
        checks.append(Check("tunnel-mode", "tunnel", NOT_CHECKED, "", f"also configured: {others}",
                            f"only {plugins[0].plugin}'s settings are compared", "the CNI ConfigMaps and IPPools",
                            "two plugins' settings usually mean a migration in progress", ""))
    unread = sorted(api_nodes - set(read))
    for topic in ("tunnel", "proxy"):
        if not (topic in wanted or (topic == "tunnel" and "pod-cidr" in wanted) or
                (topic == "proxy" and "service-cidr" in wanted)):
            continue
        if len(unread) > MAX_UNREAD_LISTED:  # one line for many: a big cluster read from one node
            shown = ", ".join(unread[:3])
            checks.append(Check("node-state", topic, NOT_CHECKED, "", f"{len(unread)} nodes are in the API",
                                f"no kernel state of {len(unread)} nodes was read ({shown}, ...)", "Node objects",
                                "their devices, routes and rules could disagree with the configuration unseen",
                                "k8snet --node NAME (through its agent) for the ones that matter"))
            continue
        for name in unread:
            checks.append(Check("node-state", topic, NOT_CHECKED, name, "the node is in the API",
                                f"no kernel state of {name} was read", f"Node {name}",
                                "its devices, routes and rules could disagree with the configuration unseen",
                                f"k8snet --node {name} (through its agent), or a capture on {name}"))
    if not read:
        checks.append(Check("node-state", wanted[0] if wanted else "tunnel", NOT_CHECKED, "",
                            "the configuration was read", "no node's kernel state was read",
                            "every node", "nothing can be compared with the configuration",
                            "run k8snet on a node (the probe reads it), or open a snapshot with node state"))
    return make_report(tuple(read), checks)


def check_observed(observed: Observed, topics: Iterable[str] = TOPICS,
                   datapath: DatapathFor | None = None) -> ConsistencyReport:
    return check_consistency(observed.cluster, observed.nodes, local_node=observed.local_node,
                             topics=topics, datapath=datapath)

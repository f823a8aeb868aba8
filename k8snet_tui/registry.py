"""The one list of panes: what the CLI, the bindings, the `:` words, the palette and help read.

Adding a pane means one `PaneSpec` here, one presenter module in `present/` and one pane module
in `screens/`. Nothing here imports Textual or the presenters: the pane class and the presenter
are named as `module:attribute` strings and loaded on first use, so `k8snet show` never pays for
the UI and the UI never pays for panes it does not open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any


@dataclass(frozen=True)
class PaneSpec:
    id: str                    # "services": the CLI choice, the binding id "pane.<id>", a `:` word
    key: str                   # "4": the number key that opens it
    title: str                 # "Services"
    aliases: tuple[str, ...]   # more `:` / `show` words ("svc", "service")
    summary: str               # one line for help and the palette
    pane_class: str            # "k8snet_tui.screens.services:ServicesPane"
    presenter: str             # "k8snet_tui.present.services:present"
    reads_node: bool = False   # draws a node's kernel state: the node picker (`N`) applies to it

    @property
    def binding_id(self) -> str:
        return f"pane.{self.id}"

    @property
    def words(self) -> tuple[str, ...]:
        """Every word that names this pane: id, key and aliases."""
        return (self.id, self.key, *self.aliases)


PANES: tuple[PaneSpec, ...] = (
    PaneSpec("internet", "1", "Internet", ("inet", "cloud"),
             "the public address (cloud metadata) and, on request, the outbound (SNAT) address",
             "k8snet_tui.screens.internet:InternetPane", "k8snet_tui.present.internet:present"),
    PaneSpec("host", "2", "Host/VPC", ("vpc", "node", "nodes"),
             "interfaces, addresses, routes, neighbours; the nodes' host addresses",
             "k8snet_tui.screens.host:HostPane", "k8snet_tui.present.host:present", reads_node=True),
    PaneSpec("pods", "3", "Pod network", ("po", "pod", "podnet"),
             "pod IPs, the CNI's pool and per-node CIDRs, overlay or native routing",
             "k8snet_tui.screens.pods:PodNetworkPane", "k8snet_tui.present.pods:present", reads_node=True),
    PaneSpec("services", "4", "Services", ("svc", "service"),
             "every Service, and its trace through kube-proxy's chains to a pod",
             "k8snet_tui.screens.services:ServicesPane", "k8snet_tui.present.services:present", reads_node=True),
    PaneSpec("dns", "5", "DNS", ("coredns",),
             "a pod's resolv.conf, the queries one lookup makes, expected vs real answers",
             "k8snet_tui.screens.dns:DnsPane", "k8snet_tui.present.dns:present"),
    PaneSpec("ingress", "6", "Ingress", ("ing", "routes", "gateway"),
             "NodePorts, ingress controllers, Mappings, Gateway API; where a URL goes",
             "k8snet_tui.screens.ingress:IngressPane", "k8snet_tui.present.ingress:present"),
    PaneSpec("policy", "7", "Policy", ("netpol", "networkpolicy", "np"),
             "NetworkPolicies in words, who may talk to whom in a namespace, and which rule says so",
             "k8snet_tui.screens.policy:PolicyPane", "k8snet_tui.present.policy:present"),
    PaneSpec("path", "8", "Path", ("reach", "diagnose"),
             "can this pod reach that? every hop judged, the first failure and its fix",
             "k8snet_tui.screens.path:PathPane", "k8snet_tui.present.path:present"),
    PaneSpec("balancing", "9", "Balancing", ("lb", "loadbalancer", "metallb"),
             "a LoadBalancer's address: who gave it, which node answers, each node's and each pod's share",
             "k8snet_tui.screens.balancing:BalancingPane", "k8snet_tui.present.balancing:present"),
    PaneSpec("mesh", "0", "Mesh", ("istio", "linkerd", "10"),
             "which pods are meshed and how; what a pod's own rules redirect to the proxy, and in what order",
             "k8snet_tui.screens.mesh:MeshPane", "k8snet_tui.present.mesh:present"),
)

_BY_WORD: dict[str, PaneSpec] = {word.lower(): spec for spec in PANES for word in spec.words}


def pane_by_word(word: str) -> PaneSpec | None:
    """The pane `word` names (its id, number key or an alias, any case), or None."""
    return _BY_WORD.get(word.strip().lower())


def pane_by_id(pane_id: str) -> PaneSpec:
    for spec in PANES:
        if spec.id == pane_id:
            return spec
    raise KeyError(pane_id)


def pane_words() -> tuple[str, ...]:
    """Every word `show` and `:` accept for a pane, in registry order (for choices and help)."""
    return tuple(_BY_WORD)


def _load(ref: str) -> Any:
    module, _, attr = ref.partition(":")
    return getattr(import_module(module), attr)


def load_pane_class(spec: PaneSpec) -> type:
    """The Textual pane class of `spec` (imports Textual: UI callers only)."""
    cls = _load(spec.pane_class)
    assert isinstance(cls, type), spec.pane_class
    return cls


def load_presenter(spec: PaneSpec) -> Callable[..., Any]:
    """`present(state, selection) -> PaneModel` of `spec` (pure: no Textual, no Rich)."""
    fn = _load(spec.presenter)
    assert callable(fn), spec.presenter
    return fn

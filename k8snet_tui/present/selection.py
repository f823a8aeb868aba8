"""What the user chose, the second input of every presenter (the first is the state)."""

from __future__ import annotations

from dataclasses import dataclass

from k8snet_tui.domain.datapath.backend import Datapath
from k8snet_tui.domain.layers import CloudFacts


@dataclass(frozen=True)
class Selection:
    """The user's choices a pane model depends on.

    `namespace` narrows every namespaced list of every pane (None: all namespaces); cluster-
    scoped rows (nodes, IngressClasses) always show. `node` picks whose kernel state to read
    (None: the local node). `selected` is the key of the object the user is on ("ns/name").
    The rest are pane-specific and ignored by the other panes.
    """

    namespace: str | None = None
    node: str | None = None
    selected: str | None = None
    datapath: Datapath | None = None  # services: a parsed dump to reuse (parsing can take seconds)
    cloud: CloudFacts | None = None  # internet: facts looked up now (else the snapshot's)

    def same(self, other: Selection) -> bool:
        """The same choices, the parsed datapath and cloud facts by identity (a parsed dump is
        large: comparing it field by field would cost more than building the model again)."""
        return (self.namespace, self.node, self.selected) == (other.namespace, other.node, other.selected) \
            and self.datapath is other.datapath and self.cloud is other.cloud


def in_namespace(key: str, namespace: str | None) -> bool:
    """`ns/name` is in `namespace`; a key without `ns/` is cluster-scoped and always in."""
    return not namespace or "/" not in key or key.split("/", 1)[0] == namespace

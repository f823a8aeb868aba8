"""Pane 1: the public address, the cloud's facts and the NAT in between.

The domain's `InternetView` is already the pane's model: a frozen dataclass of plain fields
whose JSON is its fields. The presenter picks the node and the cloud facts.
"""

from __future__ import annotations

from k8snet_tui.domain.layers import InternetView, build_internet_view
from k8snet_tui.domain.model import Observed

from .common import cloud_of, node_for
from .selection import Selection

InternetModel = InternetView


def present(observed: Observed, selection: Selection) -> InternetModel:
    node = node_for(observed, selection.node)
    return build_internet_view(cloud_of(observed, selection.cloud), node, observed.cluster)

"""One pane per lab topic, plus the modal screens (help, namespace picker)."""

from k8snet_tui.screens.dns import DnsPane
from k8snet_tui.screens.host import HostPane
from k8snet_tui.screens.ingress import IngressPane
from k8snet_tui.screens.internet import InternetPane
from k8snet_tui.screens.pods import PodNetworkPane
from k8snet_tui.screens.services import ServicesPane

PANE_CLASSES = (InternetPane, HostPane, PodNetworkPane, ServicesPane, DnsPane, IngressPane)

__all__ = ["PANE_CLASSES"]

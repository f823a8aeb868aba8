"""One pane per lab topic (which ones, in which order: `k8snet_tui.registry`), plus the modals."""

from k8snet_tui.registry import PANES, load_pane_class

PANE_CLASSES = tuple(load_pane_class(spec) for spec in PANES)

__all__ = ["PANE_CLASSES"]

"""One pane per lab topic (which ones, in which order: `k8snet_tui.registry`), plus the modals."""

from k8snet_tui.registry import PANES, load_pane_class
from k8snet_tui.screens.base import Pane


def _pane_class(cls: type) -> type[Pane]:
    assert issubclass(cls, Pane), cls
    return cls


PANE_CLASSES: tuple[type[Pane], ...] = tuple(_pane_class(load_pane_class(spec)) for spec in PANES)

__all__ = ["PANE_CLASSES"]

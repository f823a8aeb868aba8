"""Presenters: `present(state, selection) -> PaneModel`, one module per pane.

Pure functions from what was observed (`Observed`) and what the user chose (`Selection`) to a
frozen, typed model; no Textual, no Rich (tests/domain/test_layering.py walks the imports). The
panes draw these models and `k8snet show PANE` prints them: `--json` through the one serializer
(`present.serialize`), text through `render_text`.
"""

from __future__ import annotations

from k8snet_tui.domain.model import Observed

from .selection import Selection


def present_pane(pane_id: str, observed: Observed, selection: Selection | None = None) -> object:
    """The model of the pane `pane_id` names (a registry id), through its registered presenter."""
    from k8snet_tui.registry import load_presenter, pane_by_id

    model: object = load_presenter(pane_by_id(pane_id))(observed, selection or Selection())
    return model


__all__ = ["Selection", "present_pane"]

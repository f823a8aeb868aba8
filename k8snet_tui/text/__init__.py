"""Text for people: each view laid out by hand from its model (see `table` for the rules)."""

from __future__ import annotations

from typing import Any, TextIO

from . import check, diff, find, flows, panes, path, policy
from .balancing import VIEWS as BALANCING_VIEWS
from .mesh import VIEWS as MESH_VIEWS
from .table import Column, TextOptions, Writer, terminal_width

VIEWS = {**panes.SHOW, "policy": policy.show, "trace": flows.trace, "dns-lookup": flows.dns, "route": flows.route,
         "policy-check": policy.check, "diff": diff.diff, "find": find.find,
         "path": path.path, "check": check.check}

VIEWS.update(BALANCING_VIEWS)  # pane 9's `show balancing` and `k8snet balance`
VIEWS.update(MESH_VIEWS)  # pane 0's `show mesh` and `k8snet mesh`


def render(view: str, model: Any, out: TextIO, options: TextOptions) -> None:
    """Write `model` (of the pane or command `view` names) to `out` as text."""
    VIEWS[view](model, Writer(out, options))


__all__ = ["VIEWS", "Column", "TextOptions", "Writer", "render", "terminal_width"]

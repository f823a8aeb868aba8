"""The explain drawer: a short lesson beside each pane, toggled with `e`."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.widgets import Markdown


class ExplainDrawer(VerticalScroll):
    """Markdown written by us (never cluster data), so it may use markup freely."""

    DEFAULT_CLASSES = "explain"

    def __init__(self, markdown: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self._markdown = markdown

    def compose(self):
        yield Markdown(self._markdown)

"""The explain drawer: a short lesson beside each pane, toggled with `e`."""

from __future__ import annotations

from textual.containers import VerticalScroll


class ExplainDrawer(VerticalScroll):
    """Markdown written by us (never cluster data), so it may use markup freely.

    The drawer starts hidden, and its Markdown widget (Textual's Markdown and markdown-it,
    ~50 ms of imports, and a parse per pane in a worker) is made when it is first shown:
    every pane has a drawer, and at start none of them is open."""

    DEFAULT_CLASSES = "explain"

    def __init__(self, markdown: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self._markdown = markdown
        self._filled = False

    def on_show(self) -> None:
        if self._filled:
            return
        self._filled = True
        from textual.widgets import Markdown  # here: see the class docstring

        self.mount(Markdown(self._markdown))

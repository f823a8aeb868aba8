"""What several panes share: labelled text lines and a pane made of switchable sections.

The Host/VPC and Pod network panes show more than fits 80x24 at once, so each is a row of
section names over one section at a time (`[` and `]` switch); the Internet pane reuses the
text helpers.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import ContentSwitcher, Static

from k8snet_tui.screens.base import Pane
from k8snet_tui.sources.reachability import Check
from k8snet_tui.widgets.safe import data_text


def heading(text: str) -> Text:
    return Text(text, style="bold underline")


def line(label: str, value: object, *, style: str = "") -> Text:
    """`  label: value`, the label ours, the value data (inert)."""
    out = Text("  ")
    out.append(f"{label}: ", style="bold")
    out.append(value if isinstance(value, Text) else data_text(value, style=style))
    return out


def lines(parts: list[Text]) -> Text:
    return Text("\n").join(parts)


def check_words(check: Check) -> str:
    """A check's outcome with a sign, so the meaning never rides on colour alone."""
    sign = {True: "✓ ok", False: "✗ failed", None: "? not tried"}[check.ok]
    return f"{sign}: {check.words}"


class SectionedPane(Pane):
    """A pane whose body is one section at a time: `[`/`]` switch, the section bar names them all."""

    SECTIONS: ClassVar[tuple[tuple[str, str], ...]] = ()  # (id suffix, title), the main one first

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right_square_bracket", "section(1)", "Next section", id="view.next_section"),
        Binding("left_square_bracket", "section(-1)", "Prev section", id="view.prev_section"),
    ]

    DEFAULT_CSS = """
    SectionedPane .section-bar { height: 1; padding: 0 1; }
    SectionedPane .sections { height: 1fr; }
    SectionedPane .section { height: 1fr; }
    SectionedPane .section-text { height: auto; padding: 0 1; }
    SectionedPane .one-line { height: auto; max-height: 3; padding: 0 1; }
    """

    def section_id(self, name: str) -> str:
        return f"{self.PANE_ID}-sec-{name}"

    def compose_sections(self) -> ComposeResult:
        """Yield one container per section, with ids from `section_id`."""
        yield from ()

    def compose_body(self) -> ComposeResult:
        yield Static(id=f"{self.PANE_ID}-sections-bar", classes="section-bar")
        with ContentSwitcher(id=f"{self.PANE_ID}-sections", classes="sections",
                             initial=self.section_id(self.SECTIONS[0][0])):
            yield from self.compose_sections()

    def on_mount(self) -> None:
        self._draw_section_bar()

    @property
    def section(self) -> str:
        switcher = self.query_one(f"#{self.PANE_ID}-sections", ContentSwitcher)
        return (switcher.current or "").removeprefix(f"{self.PANE_ID}-sec-")

    def show_section(self, name: str, *, focus: bool = True) -> None:
        self.query_one(f"#{self.PANE_ID}-sections", ContentSwitcher).current = self.section_id(name)
        self._draw_section_bar()
        if focus:
            self.call_after_refresh(self.focus_section)

    def action_section(self, step: int) -> None:
        names = [n for n, _ in self.SECTIONS]
        here = names.index(self.section) if self.section in names else 0
        self.show_section(names[(here + step) % len(names)])

    def _draw_section_bar(self) -> None:
        bar = Text()
        for name, title in self.SECTIONS:
            if name == self.section:
                bar.append(f"▶{title}◀", style="bold reverse")
            else:
                bar.append(f" {title} ")
            bar.append(" ")
        bar.append(" [ ] switch", style="dim")
        self.query_one(f"#{self.PANE_ID}-sections-bar", Static).update(bar)

    def focus_section(self) -> None:
        container = self.query_one(f"#{self.section_id(self.section)}")
        focusable = [w for w in container.query("*") if w.focusable and w.display]
        if container.focusable:
            focusable.insert(0, container)
        if focusable:
            focusable[0].focus()

    def on_descendant_focus(self, event: Any) -> None:
        # The app focuses the pane's first focusable widget, which may sit in a hidden section;
        # keys must go to what the user sees.
        current = self.query_one(f"#{self.section_id(self.section)}")
        widget = event.widget
        switcher = self.query_one(f"#{self.PANE_ID}-sections", ContentSwitcher)
        if widget is not current and switcher in widget.ancestors and current not in widget.ancestors:
            self.call_after_refresh(self.focus_section)

    def say(self, widget_id: str, text: Text) -> None:
        self.query_one(f"#{widget_id}", Static).update(text)


# -- the host pane ------------------------------------------------------------------------------

"""The app's first screen, the one that holds the panes.

Textual's screen repaints itself whole whenever the keyboard moves (its `focused` is a reactive
that repaints): every widget shown is drawn again, in a frame of its own right after the layout's.
The widgets that look different with focus are restyled, and so redrawn, by the focus change
itself (`_update_focus_styles`), so the whole-screen repaint draws nothing new; at scale L it was
a second full frame on every pane switch. Here the keyboard's moves repaint only what they restyle.
"""

from __future__ import annotations

from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget


class MainScreen(Screen[None]):
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

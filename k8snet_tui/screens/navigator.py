"""Moving between panes, with a real back stack.

Number keys and `:svc` open a pane where the user asked (and forget the way back: the user
chose a new place). Drilling across panes (`enter` on an Ingress rule opens its Service's trace)
remembers where it came from, so `esc` walks back the way the user came: from the trace to the
Services table (the pane's own level), and then on to the Ingress pane it was opened from.
Opened in the pane the user is on (`:find` typed on a trace, a hit in the Services pane), the
way back is that pane where it was (the first trace), not its home.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class Destination(Protocol):
    """What the navigator needs of a pane."""

    @property
    def PANE_ID(self) -> str: ...  # the panes say it as a class constant

    def depth(self) -> int:
        """How deep inside itself the pane is (0: its home view; a trace: 1; a log under it: 2)."""
        ...

    def go_back(self) -> bool:
        """Up one level inside the pane; False when already at its home view."""
        ...

    def handle_command(self, verb: str, arg: str) -> None:
        """Open what a `:` command or a drill from another pane asks for (`trace NS/NAME`)."""
        ...

    def location(self) -> tuple[str, str] | None:
        """Where the pane is, as the (verb, arg) that opens it there again; None at its home."""
        ...


@dataclass(frozen=True)
class Return:
    origin: str  # the pane to go back to
    target: str  # the pane that was opened from it
    depth: int  # how deep the target was right after opening: back above it means "leave"
    # Opened in the pane the user was on (`:find` on a trace, a hit in the same pane): where
    # that pane was, to open it there again on the way back.
    restore: tuple[str, str] | None = None


class Navigator:
    def __init__(self, show: Callable[[str], Destination], current: Callable[[], Destination]) -> None:
        self._show = show
        self._current = current
        self._stack: list[Return] = []

    @property
    def stack(self) -> tuple[Return, ...]:
        return tuple(self._stack)

    def open_pane(self, pane_id: str) -> Destination:
        """Go to `pane_id` as the user asked (a number key, `:svc`): no way back is kept."""
        self._stack.clear()
        return self._show(pane_id)

    def open(self, pane_id: str, verb: str, arg: str) -> Destination:
        """Open `verb arg` in `pane_id` from the current pane, remembering the way back."""
        current = self._current()
        origin = current.PANE_ID
        was = current.location() if origin == pane_id else None
        pane = self._show(pane_id)
        pane.handle_command(verb, arg)
        if origin != pane_id:
            self._stack.append(Return(origin, pane_id, pane.depth()))
        elif was is not None and pane.location() != was:
            self._stack.append(Return(origin, pane_id, pane.depth(), restore=was))
        return pane

    def opened_at(self, pane_id: str, depth: int) -> None:
        """`pane_id` reached `depth` only now (a pane built on demand ran its command later)."""
        if self._stack and self._stack[-1].target == pane_id:
            self._stack[-1] = Return(self._stack[-1].origin, pane_id, depth)

    def open_trace(self, service: str) -> Destination:
        """The trace of `ns/name[:port]` in the Services pane."""
        return self.open("services", "trace", service)

    def back(self) -> bool:
        """`esc`: up one level in the pane; past the level another pane opened it at, back there."""
        pane = self._current()
        handled = pane.go_back()
        top = self._stack[-1] if self._stack else None
        if top is not None and top.target == pane.PANE_ID and (not handled or pane.depth() < top.depth):
            self._stack.pop()
            if top.restore is not None:  # the same pane, where it was
                pane.handle_command(*top.restore)
            else:
                self._show(top.origin)
            return True
        return handled

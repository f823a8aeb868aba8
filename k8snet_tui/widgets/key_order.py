"""Keys from the terminal, handled one at a time in the order they were typed.

Textual hands a key to the focused widget's queue at once and runs the key's binding only when
the key has bubbled back up to the app. Keys typed faster than that round trip (a paste, a fast
typist, or anything typed while the app starts and its loop is busy mounting the panes) were
handed to the widget that had the keyboard before the first key took effect: `4` then `/web`
opened the filter box and the Services table got `w`, `e` (the explain drawer) and `b`.

`KeyOrder` holds a key from the terminal until the one before it has been handled on its whole
way: by the widget it was given to and by each of that widget's ancestors up to the app (one
callback queued behind the key in each, in turn). Then the next key is routed, to wherever the
keyboard is by then. A way that never ends (a widget removed while the key was in its queue)
lets the held keys go after `STUCK_S`.
"""

from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING, Any

from textual import events

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode
    from textual.timer import Timer

# A way that takes longer than this lets the held keys go (as before). Long: while the app
# starts, its loop is busy mounting the panes for a second or more on a loaded machine.
STUCK_S = 5.0
CHECK_S = 0.05  # while keys are held: how often to look whether the key's way was cut


class KeyOrder:
    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self._flying: events.Key | None = None  # the key on its way (or released, not yet read)
        self._since = 0.0
        self._at: DOMNode | None = None  # the node whose queue holds the callback behind it
        self._held: deque[events.Key] = deque()
        self._timer: Timer | None = None

    @property
    def pending(self) -> bool:
        """A key is on its way or waiting for one (for tests that wait until keys are handled)."""
        return self._flying is not None or bool(self._held)

    def admit(self, event: events.Event) -> bool:
        """Whether the app handles `event` now; a key from the terminal that arrives while the one
        before it is on its way is held (and posted to the app again when its turn comes)."""
        if not isinstance(event, events.Key) or event.is_forwarded or event is self._flying:
            return True  # not from the terminal, a key on its way back up, or a held key's turn
        if self._flying is not None:
            self._held.append(event)
            if self._timer is None:
                self._timer = self.app.set_interval(CHECK_S, self._check)
            return False
        self._fly(event)
        return True

    def handled_by_app(self, event: events.Event, target: DOMNode | None) -> None:
        """The app has handled `event` (admitted): follow it from the widget it was handed to."""
        if event is not self._flying:
            return
        if not event.is_forwarded or target is None:  # a priority binding took it: done
            self._done(event)
            return
        self._follow(event, list(target.ancestors_with_self))

    def drop(self) -> None:
        """Forget the held keys (the app is closing)."""
        self._held.clear()
        self._flying = self._at = None
        self._stop_timer()

    def _fly(self, event: events.Key) -> None:
        self._flying, self._at, self._since = event, None, time.monotonic()

    def _follow(self, event: events.Key, way: list[DOMNode]) -> None:
        if event is not self._flying:
            return  # let go meanwhile
        while way:
            node = way.pop(0)
            if node.call_later(self._follow, event, way):  # runs once `node` has handled the key
                self._at = node
                return
        self._done(event)

    def _done(self, event: events.Key) -> None:
        if event is self._flying:
            self._flying = self._at = None
            self._release()

    def _check(self) -> None:
        """A key's way can be cut: a modal closed by that key takes its queue (and the callback
        waiting there) with it."""
        at = self._at
        cut = at is not None and (not at.is_attached or at._closing or at._closed)
        if self._flying is not None and (cut or time.monotonic() - self._since > STUCK_S):
            self._flying = self._at = None
        if self._flying is None:
            self._release()

    def _release(self) -> None:
        if self._held:
            event = self._held.popleft()
            self._fly(event)
            self.app.post_message(event)  # admitted when the app reads it
        if not self._held:
            self._stop_timer()

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

"""The cyclic garbage collector's settings while the TUI runs.

The app freezes what is loaded at mount (a snapshot, the first lists), so collections never
walk it. What they still walk is everything made since: under a watch that is every updated
object and every model built, and Python's default thresholds (700, 10, 10) then run a young
collection every 700 allocations and a full one every few seconds, each full one walking
hundreds of thousands of objects (0.1-0.9 s at 30k pods, with the event loop stopped).

`calm()` sets young collections every 50,000 allocations (each walks at most that many young
objects: a few ms) and full ones only after 100 middle ones, where the default is 10. The
models and indexes the TUI builds are acyclic (refcounting frees them); what reaches the old
generation as cyclic garbage (closed widgets) waits longer for a full collection, a few MB.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

THRESHOLDS = (50_000, 20, 100)


def calm() -> Callable[[], None]:
    """Set the TUI's thresholds; returns what puts the previous ones back (at app exit, so
    tests that run many apps in one process end with the thresholds they started with)."""
    before = gc.get_threshold()
    gc.set_threshold(*THRESHOLDS)

    def restore() -> None:
        gc.set_threshold(*before)

    return restore

"""The difference between two pictures of a cluster (two snapshots, or a snapshot and now), in words."""

from __future__ import annotations

from .compare import IGNORED, Change, ChangeGroup, StateDiff, compare

__all__ = ["IGNORED", "Change", "ChangeGroup", "StateDiff", "compare"]

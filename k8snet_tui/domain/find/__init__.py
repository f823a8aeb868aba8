"""Find from anywhere: every object, chain, route and name that mentions an address, a name or a chain."""

from __future__ import annotations

from .index import KINDS, Hit, Jump, find

__all__ = ["KINDS", "Hit", "Jump", "find"]

"""What a tolerant parser could not read: kept, counted and located, never raised."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ParseProblem:
    source: str  # "iptables-save:nft", "nft -j", "ipvsadm -Ln", "cilium service list"
    line: int  # 1-based line number, or the index of the offending item for JSON input
    field: str  # which part was wrong ("rule", "counters", "chain", "elem", ...)
    message: str
    text: str = ""  # the offending text (truncated), kept so the user can see it

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "line": self.line,
            "field": self.field,
            "message": self.message,
            "text": self.text,
        }


def snippet(value: object, limit: int = 200) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"

"""`k8snet find WORD` and `:find WORD`: everything that mentions an address, a name or a chain.

One row per hit, exact ones first, each with the pane and command that show it (the TUI's jump;
the CLI prints it as the `:` command to type).
"""

from __future__ import annotations

from dataclasses import dataclass

from k8snet_tui.domain.find import KINDS, find
from k8snet_tui.domain.model import Observed
from k8snet_tui.present.serialize import JsonModel
from k8snet_tui.registry import pane_by_id


@dataclass(frozen=True, slots=True)
class FindRow:
    kind: str  # pod, service, endpoint, chain, node, route, dns, policy
    subject: str
    detail: str
    exact: bool
    pane: str  # the registry id of the pane that shows it
    command: str  # what to type on the `:` line to get there ("trace default/website:http")
    section: str  # the pane's section, "" for its main view

    @property
    def verb(self) -> str:
        return self.command.split(" ", 1)[0]

    @property
    def arg(self) -> str:
        return self.command.split(" ", 1)[1] if " " in self.command else ""

    def cells(self) -> tuple[str, str, str, str]:
        spec = pane_by_id(self.pane)
        return (self.kind, self.subject, self.detail, f"{spec.key} {spec.title}")


@dataclass(frozen=True)
class FindModel(JsonModel):
    query: str
    kinds: tuple[str, ...]  # every kind a hit may have, in the order hits are sorted
    hits: tuple[FindRow, ...]
    more: int  # hits past the cap, not listed


def present_find(observed: Observed, word: str) -> FindModel:
    hits, more = find(observed, word)
    rows = tuple(FindRow(h.kind, h.subject, h.detail, h.exact, h.jump.pane,
                         f"{h.jump.verb} {h.jump.arg}".rstrip(), h.jump.section) for h in hits)
    return FindModel(word, KINDS, rows, more)

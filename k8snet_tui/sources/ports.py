"""The small interfaces between the outside world and the rest of the app.

Sources hand back plain dicts (raw API JSON) and NodeState; they never leak a kubernetes
model or an iptc object. The collect layer depends on these Protocols, so tests can swap in
a snapshot or a fake without touching the network.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from k8snet_tui.domain.model import NodeState
from k8snet_tui.sources.kinds import Kind


class ApiFailure(Exception):
    """An API request failed; `status` is the HTTP status, 0 for a transport failure."""

    def __init__(self, status: int, reason: str, message: str = "") -> None:
        super().__init__(f"{status} {reason}: {message}" if message else f"{status} {reason}")
        self.status = status
        self.reason = reason
        self.message = message

    @property
    def forbidden(self) -> bool:
        return self.status == 403

    @property
    def gone(self) -> bool:
        return self.status == 410

    @property
    def not_served(self) -> bool:
        return self.status == 404

    @property
    def unauthorized(self) -> bool:
        return self.status == 401


@dataclass(frozen=True)
class ListPage:
    items: list[dict[str, Any]]
    resource_version: str
    continue_token: str


@dataclass(frozen=True)
class WatchEvent:
    type: str  # ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
    object: dict[str, Any]


class ClusterSource(Protocol):
    """Raw list and watch of one kind, as the API gives them.

    `name` (passed only by watchers of kinds read object by object, `Kind.only`) limits both
    to the object of that name in `namespace`.
    """

    def list_page(self, kind: Kind, namespace: str | None, *, limit: int, continue_token: str = "",
                  name: str = "") -> ListPage:
        ...

    def watch(self, kind: Kind, namespace: str | None, *, resource_version: str,
              timeout_seconds: int, name: str = "") -> Iterator[WatchEvent]:
        ...


class NodeSource(Protocol):
    """The network state of one node, read now."""

    def read(self) -> NodeState:
        ...

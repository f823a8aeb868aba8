"""What a pane is given instead of reaching into the app: the context.

`PaneContext` carries the session (a `Session` Protocol: live and snapshot alike), what this
machine can ask the network (`Network`: ping, a pod's reachability, the cloud metadata service,
an echo service, a DNS server), the settings, a way to tell the user (`notify`, cleaned text,
never markup) and the navigator. The app builds one and hands it to every pane's constructor;
tests build their own with fakes. Panes never `getattr(self.app, ...)` and never import a
source module to start network I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from k8snet_tui.collect.session import PodLogs, Session
from k8snet_tui.config import Settings
from k8snet_tui.domain.model import Observed
from k8snet_tui.screens.navigator import Navigator

if TYPE_CHECKING:
    from k8snet_tui.domain.dns.lookup import Actual
    from k8snet_tui.domain.layers import CloudFacts, Outbound
    from k8snet_tui.sources.reachability import Check, Reachability


Severity = Literal["information", "warning", "error"]


class Notify(Protocol):
    def __call__(self, message: str, *, title: str = ..., severity: Severity = ...,
                 timeout: float | None = ...) -> None: ...


class Network(Protocol):
    """What this machine can ask the network; each call blocks (run it in a job)."""

    def ping(self, ip: str, timeout: float = 1.0) -> Check: ...

    def check_pod(self, ip: str, port: int, timeout: float = 1.0) -> Reachability: ...

    def lookup_cloud(self, url: str) -> CloudFacts: ...

    def lookup_outbound(self, urls: Sequence[str]) -> Outbound: ...

    def query_dns(self, server: str, queries: Iterable[tuple[str, str]], *, timeout: float,
                  max_in_flight: int) -> Sequence[Actual]: ...


class LocalNetwork:
    """`Network` from this machine, through the source modules (imported when first used, so
    the first frame pays for none of them, and looked up at call time, so tests can stub them)."""

    def ping(self, ip: str, timeout: float = 1.0) -> Check:
        from k8snet_tui.sources import reachability

        return reachability._ping(ip, timeout, None)

    def check_pod(self, ip: str, port: int, timeout: float = 1.0) -> Reachability:
        from k8snet_tui.sources import reachability

        return reachability.check_pod(ip, port, timeout=timeout)

    def lookup_cloud(self, url: str) -> CloudFacts:
        from k8snet_tui.sources import cloud_metadata

        return cloud_metadata.lookup_cloud(url)

    def lookup_outbound(self, urls: Sequence[str]) -> Outbound:
        from k8snet_tui.sources import cloud_metadata

        return cloud_metadata.lookup_outbound(tuple(urls))

    def query_dns(self, server: str, queries: Iterable[tuple[str, str]], *, timeout: float,
                  max_in_flight: int) -> Sequence[Actual]:
        from k8snet_tui.sources import dns_query

        return list(dns_query.query_plan(server, queries, timeout=timeout, max_in_flight=max_in_flight))


@dataclass
class ViewToggles:
    """Display choices every pane shares: `by_hand` (`k`) shows the commands behind the facts."""

    by_hand: bool = False


@dataclass
class PaneContext:
    session: Session
    settings: Settings
    navigator: Navigator
    notify: Notify
    network: Network
    # The line a node pane shows while the node picked with `N` is not the one it reads.
    node_notice: Callable[[str, Observed], str] | None = None
    # A modal over the app (a picker) and what to do with its answer: the app's `push_screen`.
    open_modal: Callable[[Any, Callable[[Any], None]], object] | None = None
    view: ViewToggles = field(default_factory=ViewToggles)

    @property
    def live(self) -> bool:
        return self.session.mode == "live"

    @property
    def pod_logs(self) -> PodLogs | None:
        """Reading pod logs, when the session can (live sessions); None for snapshots."""
        return self.session.pod_logs

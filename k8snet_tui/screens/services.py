"""Pane 4: Services, and the trace of one Service through the node's datapath.

The table is the domain's services view (one pass over Services and EndpointSlices), applied
to a ResourceTable by row key. The node's datapath (a dump can be 300k lines) is parsed once
per NodeState, in a thread worker when it is big, and cached by the NodeState's identity, so
a tick that brings no new node poll reuses it. `enter` opens the trace; in live mode the
pane keeps the packet deltas of the last polls per endpoint ("which pod did you hit?").
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any, NamedTuple

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static
from textual.worker import NoActiveWorker, get_current_worker

from k8snet_tui.domain.consistency import ConsistencyReport
from k8snet_tui.domain.datapath.backend import (
    Datapath,
    cilium_replaces_kube_proxy,
    parse_node_datapath,
)
from k8snet_tui.domain.model import NodeState, Observed
from k8snet_tui.domain.packet_deltas import EndpointKey, extend_history, packet_deltas
from k8snet_tui.domain.service_cidr import ServiceCIDRs, find_service_cidrs
from k8snet_tui.domain.services import (
    ServiceTrace,
    find_service,
    trace_service,
    with_connections,
)
from k8snet_tui.present import Selection
from k8snet_tui.present.services import COLUMNS, ServiceRow, first_service_rows, service_consistency, service_rows
from k8snet_tui.present.trace import TraceModel, present_trace
from k8snet_tui.screens import explain_text
from k8snet_tui.screens.base import Pane
from k8snet_tui.screens.context import PaneContext
from k8snet_tui.widgets.resource_table import ResourceTable
from k8snet_tui.widgets.safe import data_block, data_text
from k8snet_tui.widgets.trace_view import TraceLine, TraceView, message_lines, trace_lines

HISTORY = 10  # polls of packet deltas kept per endpoint
# Node states smaller than this are parsed at once; bigger ones in a thread worker.
SYNC_PARSE_CHARS = 256_000
READING = "reading the node's rules..."
FIRST_ROWS = 200  # rows shown ahead of a big table's first whole build (a few screens)


def _node_size(node: NodeState) -> int:
    size = sum(len(t) for t in (node.iptables or {}).values() if isinstance(t, str))
    size += len(node.ipvsadm or "")
    if node.nft_ruleset is not None:
        items = node.nft_ruleset.get("nftables") if isinstance(node.nft_ruleset, dict) else None
        size += 100 * len(items) if isinstance(items, list) else 0
    size += 200 * len(node.cilium_services or ())
    return size


def _cells(rows: tuple[ServiceRow, ...], dp: Datapath | None) -> list[tuple[str, tuple[str, ...]]]:
    """The table's (key, cells); rows built before the node's rules were read say "…reading"."""
    return [(r.key, r.cells(reading=dp is None)) for r in rows]


class _Model(NamedTuple):
    kpr: Any
    dp: Datapath | None  # None: not read yet (a worker reads a big dump)
    parsed: Datapath | None  # parsed by this build (to cache)
    cidrs_for: tuple[Any, ServiceCIDRs]
    rows_for: tuple[Any, str | None, str | None]
    rows: tuple[ServiceRow, ...] | None  # None: the rows shown are for the same state and backend
    cells: list[tuple[str, tuple[str, ...]]] | None  # None: the same rows as shown
    consistency: ConsistencyReport | None = None  # None while the node's rules are being read


class ServicesPane(Pane):
    PANE_ID = "services"
    TITLE = "Services"
    KEY = "4"
    EXPLAIN = explain_text.SERVICES
    NEEDS = ("Service", "EndpointSlice", "Pod")
    PANE_KEYS = (
        ("enter", "trace the selected service through the node's datapath"),
        ("esc", "back: log -> trace -> table (the cursor stays on the service)"),
        ("/", "filter the table by any column"),
        ("up/down, pgup/pgdn", "move; in a trace, walk the rules, endpoints and the Service CIDR"),
        ("l", "on an endpoint (⇒) line of a trace: tail its pod's log (live mode)"),
        ("r", "what if: a pretend request to the traced Service (seeded): the pod that answers, the counters that move"),
        ("x", "what if: on an endpoint (⇒) line, its pod deleted: the endpoints, chains and probabilities next"),
        ("m", "on a trace: what the mesh does to this Service's connections from meshed pods, before kube-proxy"),
        (":trace NS/NAME[:PORT]", "open the trace of that service (and port)"),
        (":svc", "back to the services table"),
        ("◀ hit +N", "live mode: that endpoint's DNAT rule counted N new packets since the last poll"),
        ("exclamation_mark", "config vs kernel: kube-proxy's configured mode and the Service CIDR against this node's rules "
              "and routes (the ✗ badge in the header counts the disagreements); again: hide"),
    )
    BINDINGS = [
        Binding("l", "pod_log", "Pod log", id="services.pod_log"),
        Binding("exclamation_mark", "consistency", "Config≠kernel", id="services.consistency", show=False),
        Binding("r", "whatif_request", "Request?", id="services.whatif_request"),
        Binding("x", "whatif_delete", "Delete?", id="services.whatif_delete"),
        Binding("m", "mesh", "Mesh", id="services.mesh"),
    ]

    DEFAULT_CSS = """
    ServicesPane #svc-summary { height: auto; max-height: 2; padding: 0 1; }
    ServicesPane #svc-note { height: auto; padding: 0 1; text-style: bold; }
    ServicesPane #svc-trace-status { height: 1; padding: 0 1; background: $panel; }
    ServicesPane #svc-log { height: 1fr; border-top: solid $primary; }
    ServicesPane #svc-log-text { padding: 0 1; }
    """

    def __init__(self, context: PaneContext) -> None:
        super().__init__(context)
        self._dp_cache: dict[int, tuple[NodeState, Any, Datapath]] = {}
        self._parsing: set[int] = set()
        self._rows_shown: tuple[Any, ...] | None = None
        self._first_shown = False  # the first screenful went ahead of the first whole build
        self._rows_for: tuple[Any, str | None, str | None] | None = None  # (state, backend, namespace) shown
        self._cidrs_for: tuple[Any, ServiceCIDRs] | None = None
        self._mode = "table"  # table | trace | log
        self._trace_ref: tuple[str, str, str | None] | None = None  # ns, name, port
        self._trace_message: list[TraceLine] | None = None
        self._trace: ServiceTrace | None = None
        self._history: dict[EndpointKey, tuple[int | None, ...]] = {}
        self._history_key: tuple[str, str | None] | None = None
        self._history_node: int | None = None
        self._log_for: str | None = None
        self._summary = Text()
        self._note = ""  # what the note line says ("" when hidden)
        self._log_text = Text()
        self._consistency: ConsistencyReport | None = None
        self._consistency_shown = False  # `!` opened the details in the note line

    # -- layout --------------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        yield Static(id="svc-summary")
        note = Static(id="svc-note")
        note.display = False
        yield note
        yield ResourceTable(COLUMNS, id="svc-table")
        trace = TraceView(id="svc-trace")
        trace.display = False
        yield trace
        status = Static(id="svc-trace-status")
        status.display = False
        yield status
        with VerticalScroll(id="svc-log") as log:
            log.display = False
            yield Static(id="svc-log-text")

    @property
    def table(self) -> ResourceTable:
        return self.query_one("#svc-table", ResourceTable)

    @property
    def trace_view(self) -> TraceView:
        return self.query_one("#svc-trace", TraceView)

    # -- the node's datapath, parsed once per NodeState -------------------------------------------

    def _cached_datapath(self, node: NodeState | None, kpr: Any) -> Datapath | None:
        hit = self._dp_cache.get(id(node)) if node is not None else None
        if hit is not None and hit[0] is node and hit[1] == kpr:
            return hit[2]
        return None

    def _datapath(self, node: NodeState | None, observed: Observed) -> Datapath | None:
        """The cached datapath of `node`; None while it is being read (a worker is started)."""
        if node is None:
            return None
        kpr = cilium_replaces_kube_proxy(observed.cluster)
        hit = self._dp_cache.get(id(node))
        if hit is not None and hit[0] is node and hit[1] == kpr:
            return hit[2]
        if _node_size(node) <= SYNC_PARSE_CHARS:
            dp = parse_node_datapath(node, observed.cluster)
            self._remember(node, kpr, dp)
            return dp
        if id(node) not in self._parsing:
            self._parsing.add(id(node))
            cluster = observed.cluster
            self.jobs.start(f"datapath-{id(node)}", lambda: parse_node_datapath(node, cluster),
                            lambda dp: self._datapath_ready(node, kpr, dp),
                            failed=lambda exc: self._datapath_failed(node, f"could not read the node's rules: {exc}"),
                            description="reading the node's rules")
        return None

    def _remember(self, node: NodeState, kpr: Any, dp: Datapath) -> None:
        self._dp_cache[id(node)] = (node, kpr, dp)
        while len(self._dp_cache) > 4:  # the current and previous polls, and a little slack
            self._dp_cache.pop(next(iter(self._dp_cache)))

    def _datapath_ready(self, node: NodeState, kpr: Any, dp: Datapath) -> None:
        self._parsing.discard(id(node))
        self._remember(node, kpr, dp)
        if self.observed is not None and self.is_mounted:
            self.show_observed(self.observed)  # rows get their backend: rebuilt off the UI thread

    def _datapath_failed(self, node: NodeState, message: str) -> None:
        self._parsing.discard(id(node))
        self._set_note("✖ " + message)

    @staticmethod
    def _previous_node(observed: Observed, node: NodeState) -> NodeState | None:
        prev = observed.previous
        if not prev:
            return None
        found = prev.get(node.node or observed.local_node) or prev.get(observed.local_node)
        if found is None and len(prev) == 1:
            found = next(iter(prev.values()))
        return found

    # -- rendering -----------------------------------------------------------------------------

    def selection(self, observed: Observed) -> Selection:
        node = observed.local
        dp = self._cached_datapath(node, cilium_replaces_kube_proxy(observed.cluster))
        return Selection(namespace=observed.cluster.namespace, datapath=dp)

    def build_model(self, observed: Observed) -> _Model:
        """Off the UI thread: the datapath (when small), Service CIDRs and the table's cells."""
        node = observed.local
        kpr = cilium_replaces_kube_proxy(observed.cluster)
        selection = self.selection(observed)
        dp = selection.datapath
        parsed = None
        if dp is None and node is not None and _node_size(node) <= SYNC_PARSE_CHARS:
            dp = parsed = parse_node_datapath(node, observed.cluster)
        if not self._rows_shown and not self._first_shown:  # none yet (or none while a big snapshot was read)
            self._first_rows(observed, dp, selection.namespace)
        cidrs_for = self._cidrs_for
        if cidrs_for is None or cidrs_for[0] is not observed.cluster:
            cidrs_for = (observed.cluster, observed.cluster.memo(find_service_cidrs))
        rows_for = (observed.cluster, dp.backend if dp else None, selection.namespace)
        shown_for = self._rows_for
        rows = None
        if not (shown_for is not None and shown_for[0] is rows_for[0] and shown_for[1:] == rows_for[1:]):
            # A node poll that changed no API object (the store hands out the same
            # ClusterState) and no backend needs no new rows: at 10k services that saves a pass.
            rows = service_rows(observed.cluster, dp.backend if dp else "unknown", selection.namespace)
        cells = _cells(rows, dp) if rows is not None and rows != self._rows_shown else None
        consistency = service_consistency(observed, node, dp) if dp is not None and node is not None else None
        return _Model(kpr, dp, parsed, cidrs_for, rows_for, rows, cells, consistency)

    def _first_rows(self, observed: Observed, dp: Datapath | None, namespace: str | None) -> None:
        """In a worker, before a table's first whole build: its first screenful at once (a big
        cluster's 10k rows take a second; these need only their own Services' slices)."""
        try:
            get_current_worker()
        except NoActiveWorker:
            return  # an inline build: the whole table comes as fast
        first, total = first_service_rows(observed.cluster, dp.backend if dp else "unknown", namespace, FIRST_ROWS)
        if total > len(first):
            self._first_shown = True
            with suppress(RuntimeError):  # the app is closing
                self.app.call_from_thread(self._show_first_rows, _cells(first, dp), total)

    def _show_first_rows(self, cells: list[tuple[str, tuple[str, ...]]], total: int) -> None:
        if not self._rows_shown:  # the whole table has not come first
            self.table.set_rows(cells)
            self._set_note(f"⏳ the first {len(cells)} of {total:,} services; the rest are being read")

    def render_model(self, observed: Observed, model: _Model) -> None:
        node = observed.local
        if model.parsed is not None and node is not None:
            self._remember(node, model.kpr, model.parsed)
        dp = model.dp if model.dp is not None else self._datapath(node, observed)
        self._cidrs_for = model.cidrs_for
        cidrs = model.cidrs_for[1]
        self._consistency = model.consistency
        self._render_summary(observed, node, dp, cidrs)
        if self._consistency_shown:
            self._show_consistency()
        if model.rows is not None:
            # Rows built before the node's rules were read say "…reading": the parse worker
            # asks for a new build when it is done.
            self._rows_for = model.rows_for
            if model.cells is not None:
                self._rows_shown = model.rows
                self.table.set_rows(model.cells)
        if self._mode in ("trace", "log"):
            self._render_trace(observed, dp, cidrs)

    def _service_cidrs(self, observed: Observed) -> ServiceCIDRs:
        if self._cidrs_for is None or self._cidrs_for[0] is not observed.cluster:
            self._cidrs_for = (observed.cluster, observed.cluster.memo(find_service_cidrs))
        return self._cidrs_for[1]

    def _render_summary(self, observed: Observed, node: NodeState, dp: Datapath | None,
                        cidrs: ServiceCIDRs) -> None:
        line = Text("Node ")
        line.append_text(data_text(node.node or observed.local_node or "unknown", "bold"))
        line.append(": ")
        if dp is None:
            line.append(READING, style="bold")
        else:
            line.append_text(data_text(dp.backend, "bold"))
            badge = self._consistency.badge() if self._consistency is not None else ""
            if badge:  # the details are one key away (`!`), the header keeps its two rows
                line.append(" ")
                line.append(f" {badge} (!) ", style="bold reverse")
            line.append(" — ")
            line.append_text(data_text("; ".join(dp.reasons)))
        line.append("\nService CIDR ")
        if cidrs.cidrs:
            line.append_text(data_text(", ".join(cidrs.cidrs), "bold"))
            line.append(" (guessed) — " if not cidrs.certain else " — ")
        else:
            line.append("unknown — ")
        line.append_text(data_text(f"{cidrs.source}: {cidrs.detail}"))
        line.no_wrap = True
        line.overflow = "ellipsis"
        self._summary = line
        self.query_one("#svc-summary", Static).update(line)
        if dp is None:
            self._set_note("⏳ " + READING + " (a big dump takes a few seconds; the table fills in meanwhile)")
        elif node.errors and dp.backend == "none":
            self._set_note("⚠ node state: " + "; ".join(node.errors))
        elif self._note.startswith(("⏳", "⚠")):
            # A note about an earlier reading (still parsing, or node state that had failed)
            # is cleared once a good reading arrives.
            self._set_note("")

    def action_consistency(self) -> None:
        self._consistency_shown = not self._consistency_shown
        if self._consistency_shown:
            self._show_consistency()
        else:
            self._set_note("")

    def _show_consistency(self) -> None:
        """The config vs kernel checks in the note line under the header (`!` again hides them)."""
        report = self._consistency
        if report is None:
            out = Text("⏳ config vs kernel: the node's rules are still being read")
        else:
            parts: list[Text] = []
            for c in report.findings:
                parts.append(Text.assemble(("✗ ", "bold"), data_text(f"{c.node}: {c.config}", "bold")))
                parts.append(Text("  kernel: ").append_text(data_text(c.kernel)))
                parts.append(Text("  why: ").append_text(data_text(c.why)))
                parts.append(Text("  next: ").append_text(data_text(c.next or "-")))
            parts += [Text("? ").append_text(data_text(f"{c.node or 'cluster'}: {c.code} not checked: {c.kernel}"))
                      for c in report.checks if c.status == "not-checked"]
            parts += [Text("✓ ").append_text(data_text(f"{c.node}: {c.config}; {c.kernel}"))
                      for c in report.checks if c.status == "agree"]
            out = Text("\n").join(parts) if parts else Text("nothing to check")
        self._note = "consistency"
        note = self.query_one("#svc-note", Static)
        note.update(out)
        note.display = True

    def _set_note(self, message: str) -> None:
        self._note = message
        note = self.query_one("#svc-note", Static)
        note.update(data_text(message) if message else Text())
        note.display = bool(message)

    # -- the trace -----------------------------------------------------------------------------

    def open_trace(self, ref: str) -> None:
        """Open the trace of `ns/name[:port]` (or show the closest names when there is none)."""
        from k8snet_tui.views import split_service_ref  # here: views imports DNS and routes, not needed to start

        key, port = split_service_ref(ref.strip())
        observed = self.observed
        self._trace_message = None
        self._trace = None
        if observed is None:
            return
        match = find_service(observed.cluster, key)
        if match.service is None:
            body = [f"did you mean: {s}" for s in match.suggestions] or ["no similar names; see the table (:svc)"]
            self._trace_ref = None
            self._trace_message = message_lines(f"⚠ unknown service {match.key}", [*body, "esc: back to the table"])
        else:
            ns, _, name = match.key.partition("/")
            self._trace_ref = (ns, name, port)
        self._show_mode("trace")
        node = observed.local
        self._render_trace(observed, self._datapath(node, observed), self._service_cidrs(observed), fresh=True)

    def _render_trace(self, observed: Observed, dp: Datapath | None, cidrs: ServiceCIDRs,
                      fresh: bool = False) -> None:
        view = self.trace_view
        if self._trace_message is not None:
            view.show_lines(self._trace_message, keep_cursor=not fresh)
            self._update_trace_status()
            return
        if self._trace_ref is None:
            return
        if dp is None:
            view.show_lines(message_lines(READING, ["the trace appears when the node's rules are read"]))
            self._update_trace_status()
            return
        ns, name, port = self._trace_ref
        node = observed.local
        if observed.cluster.get("Service", ns, name) is None:
            self._trace = None
            view.show_lines(message_lines(f"⚠ service {ns}/{name} is gone", ["esc: back to the table"]),
                            keep_cursor=not fresh)
            self._update_trace_status()
            return
        trace = trace_service(observed.cluster, node, ns, name, port, datapath=dp)
        if port is not None and not trace.ports:
            view.show_lines(message_lines(f"⚠ service {ns}/{name} has no port {port}",
                                          ["give the port's name or number, or leave it out"]),
                            keep_cursor=not fresh)
            self._update_trace_status()
            return
        if node.conntrack:
            trace = with_connections(trace, node.conntrack)
        self._trace = trace
        lines = trace_lines(self._trace_model(observed, node, trace, dp, cidrs, ns, name, port))
        view.show_lines(lines, keep_cursor=not fresh)
        self._update_trace_status()

    def _trace_model(self, observed: Observed, node: NodeState, trace: ServiceTrace, dp: Datapath,
                     cidrs: ServiceCIDRs, ns: str, name: str, port: str | None) -> TraceModel:
        has_conntrack = bool(node.conntrack)
        if observed.mode != "live":
            return present_trace(trace, dp, cidrs=cidrs, has_conntrack=has_conntrack)
        prev_node = self._previous_node(observed, node)
        prev_dp = self._datapath(prev_node, observed) if prev_node is not None else None
        before = (trace_service(observed.cluster, prev_node, ns, name, port, datapath=prev_dp)
                  if prev_node is not None and prev_dp is not None else None)
        deltas = packet_deltas(before, trace)
        # One history entry per node poll, for the service being watched.
        watch = (f"{ns}/{name}", port)
        if self._history_key != watch:
            self._history_key, self._history, self._history_node = watch, {}, None
        if self._history_node != id(node):
            self._history_node = id(node)
            self._history = extend_history(self._history, deltas, HISTORY)
        return present_trace(trace, dp, cidrs=cidrs, live=True, deltas=deltas, history=self._history,
                             has_conntrack=has_conntrack)

    def _update_trace_status(self) -> None:
        status = self.query_one("#svc-trace-status", Static)
        line = self.trace_view.current_line()
        text = Text()
        if line is not None and line.endpoint is not None:
            ep = line.endpoint
            text.append("on endpoint ")
            text.append_text(data_text(f"{ep.address}:{ep.port}", "bold"))
            text.append(" pod ")
            text.append_text(data_text(ep.pod or "unknown"))
            text.append(" · l: its log · esc: back")
        else:
            text.append("↑↓ walk the trace · ⇒ lines are endpoints (l: pod log) · esc: back to the table")
        text.no_wrap = True
        text.overflow = "ellipsis"
        status.update(text)

    def selected_pod(self) -> str | None:
        """On a trace's endpoint line: its pod (`N` starts on that pod's node)."""
        line = self.trace_view.current_line() if self._mode == "trace" else None
        return line.endpoint.pod if line is not None and line.endpoint is not None else None

    def on_option_list_option_highlighted(self, event: TraceView.OptionHighlighted) -> None:
        if event.option_list is self.trace_view:
            self._update_trace_status()

    # -- the pod log ---------------------------------------------------------------------------

    def action_whatif_request(self) -> None:
        from k8snet_tui.screens.whatif import open_request

        line = self.trace_view.current_line()
        if self.observed is not None and self._trace is not None:
            open_request(self.app, self.observed, self._trace, line.endpoint if line else None)

    def action_mesh(self) -> None:
        from k8snet_tui.screens.mesh import open_service_mesh

        if self.observed is not None and self._trace is not None:
            line = self.trace_view.current_line()
            port = next((p for p in self._trace.ports if line is not None and line.endpoint is not None
                         and any(e is line.endpoint for e in p.endpoints)), self._trace.ports[0] if self._trace.ports else None)
            open_service_mesh(self.app, self.observed, self._trace.service, str(port.port) if port else "")

    def action_whatif_delete(self) -> None:
        from k8snet_tui.screens.whatif import open_deletion

        line = self.trace_view.current_line()
        if self.observed is not None:
            dp = self._datapath(self.observed.local, self.observed)
            open_deletion(self.app, self.context.notify, self.observed, dp, line.endpoint if line else None)

    def action_pod_log(self) -> None:
        if self._mode != "trace":
            return
        line = self.trace_view.current_line()
        if line is None or line.endpoint is None:
            self.context.notify("move the cursor to an endpoint line (⇒) first", title="pod log", severity="warning")
            return
        pod = line.endpoint.pod
        if not pod:
            self._show_log(f"no pod is known for {line.endpoint.address}:{line.endpoint.port}", "")
            return
        logs = self.context.pod_logs
        if logs is None:
            self._show_log(pod, "logs are not in snapshots: open a live cluster to read pod logs "
                                "(kubectl logs works too)")
            return
        self._show_log(pod, "reading the log...")
        ns, _, name = pod.partition("/")

        def read() -> str:
            text = logs.pod_log(ns, name, tail_lines=50)
            return text if text.strip() else "(the log is empty)"

        self.jobs.start("log", read, lambda body: self._log_ready(pod, body),
                        failed=lambda exc: self._log_ready(pod, _log_error_words(exc)), description="pod log")

    def _log_ready(self, pod: str, body: str) -> None:
        if self._mode == "log" and self._log_for == pod:
            self._show_log(pod, body)

    def _show_log(self, pod: str, body: str) -> None:
        self._log_for = pod
        text = Text("log of ", style="bold")
        text.append_text(data_text(pod, "bold"))
        text.append(" (last 50 lines; esc closes)\n", style="bold")
        text.append_text(data_block(body))
        self._log_text = text
        self.query_one("#svc-log-text", Static).update(text)
        self._show_mode("log")

    # -- modes, keys, commands -----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # `l` means something only on a trace: keep it out of the footer elsewhere.
        if action in ("pod_log", "whatif_request", "whatif_delete", "mesh"):
            return self._mode == "trace"
        return True

    def _show_mode(self, mode: str, focus: bool = True) -> None:
        self._mode = mode
        self.refresh_bindings()
        table, trace = self.table, self.trace_view
        log = self.query_one("#svc-log", VerticalScroll)
        status = self.query_one("#svc-trace-status", Static)
        table.display = mode == "table"
        trace.display = mode in ("trace", "log")
        status.display = mode in ("trace", "log")
        log.display = mode == "log"
        if not focus:
            return
        if mode == "table":
            table.focus()
        elif mode == "trace":
            trace.focus()
        else:
            log.focus()

    def on_resource_table_row_selected(self, event: ResourceTable.RowSelected) -> None:
        if event.data_table is self.table and event.row_key.value:
            event.stop()
            self.open_trace(event.row_key.value)

    def drill_in(self) -> bool:
        if self._mode != "table":
            return False
        key = self.table.selected_key()
        if key:
            self.open_trace(key)
            return True
        return False

    def depth(self) -> int:
        return {"table": 0, "trace": 1, "log": 2}.get(self._mode, 0)

    def location(self) -> tuple[str, str] | None:
        if self._mode == "table" or self._trace_ref is None:
            return None
        ns, name, port = self._trace_ref
        return ("trace", f"{ns}/{name}" + (f":{port}" if port else ""))

    def go_back(self, focus: bool = True) -> bool:
        if self._mode == "log":
            self._show_mode("trace", focus)
            return True
        if self._mode == "trace":
            key = f"{self._trace_ref[0]}/{self._trace_ref[1]}" if self._trace_ref else None
            self._trace_ref = None
            self._trace_message = None
            self._trace = None
            self._show_mode("table", focus)
            self._cursor_to(key)
            return True
        return False

    def _cursor_to(self, key: str | None) -> None:
        if not key:
            return
        table = self.table
        with suppress(Exception):  # filtered out or gone: leave the cursor where it is
            table.move_cursor(row=table.get_row_index(key))

    def handle_command(self, verb: str, arg: str) -> None:
        if verb == "check":  # `:check proxy`: the config vs kernel details shown, as `!` does
            self._consistency_shown = False
            self.action_consistency()
        elif verb == "trace" and arg.strip():
            self.open_trace(arg)
        elif verb in ("svc", "services", "service"):
            while self.go_back():
                pass
            if arg.strip():
                self.table.set_filter(arg)

    def apply_filter(self, text: str) -> None:
        self.table.set_filter(text)
        if text and self._mode != "table":
            # The filter is for the table: show it, but leave the focus in the filter box.
            while self.go_back(focus=False):
                pass

    def focus_key(self) -> str | None:
        """`k` in a trace or a log: the traced Service; in the table, its row."""
        if self._mode != "table" and self._trace_ref is not None:
            return f"{self._trace_ref[0]}/{self._trace_ref[1]}"
        return super().focus_key()

    def plain_text(self) -> str:
        head = self._summary.plain
        if self._note:
            head += "\n" + self._note
        if self._mode in ("trace", "log"):
            body = self.trace_view.plain_text()
            if self._mode == "log":
                body += "\n\n" + self._log_text.plain
            return f"{self.TITLE}\n{head}\n\n{body}"
        return f"{self.TITLE}\n{head}\n\n{self.table.plain_text()}"


def _log_error_words(exc: Exception) -> str:
    status = getattr(exc, "status", None)  # an ApiFailure carries the HTTP status
    if status == 403:
        return "forbidden: get pods/log — your RBAC role may not read pod logs in this namespace"
    if status == 404:
        return "not found: the pod is gone (or has no such container)"
    return f"could not read the log: {exc}"

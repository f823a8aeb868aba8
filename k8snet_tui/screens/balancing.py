"""Pane 9: "Balancing". A LoadBalancer Service from its address to its pods, in two levels.

The table lists the LoadBalancer Services (address, who allocated it, the node that answers);
below it the picture of the one the cursor is on: address -> announcing node(s) -> each node's
own pick (its kube-proxy rules as the Services trace reads them, or the API's model of them) ->
pods, every edge with its share, then each pod's share of all the traffic as a bar. `s`
simulates 1,000 seeded requests and draws the counts beside the expected shares; `m` (live)
counts per pod what the entry nodes' DNAT counters (or conntrack) say since it was pressed;
`w` opens the why under the picture; `p` goes to the next port. Enter (or tab) moves into the
picture to scroll it, esc back to the list. Everything cluster-derived goes through data_text.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from k8snet_tui.domain.balancing import BalancePlan, Simulation, plan_service, simulate
from k8snet_tui.domain.balancing.measure import Measured, measure
from k8snet_tui.domain.model import Observed
from k8snet_tui.domain.sanitize import clean
from k8snet_tui.present.balancing import (
    BalancingModel,
    bar,
    explain,
    headline,
    load_balancer_key,
    pct,
    port_lines,
    present,
)
from k8snet_tui.present.selection import Selection
from k8snet_tui.screens.base import Pane
from k8snet_tui.text.table import crop
from k8snet_tui.widgets.resource_table import ResourceTable
from k8snet_tui.widgets.safe import data_text

SIM_REQUESTS = 1000
SIM_CLIENTS = 100  # pretend clients, so ClientIP affinity still lets the requests spread
COLUMNS = ("service", "address", "by", "entry")

EXPLAIN = """\
## Load balancing, in two levels

A LoadBalancer Service's address is given by an **allocator**: a cloud controller, MetalLB
(from an `IPAddressPool`), Cilium LB IPAM, kube-vip; with none, it stays `<pending>`
(the NodePort still works on every node).

**Node level**: who answers for the address. MetalLB in layer 2 has *one* node answer ARP
for it (its `ServiceL2Status` and the speaker's `nodeAssigned` event name it), so that node
takes all of it. With BGP, every announcing node takes a share (the router's ECMP). A cloud
balancer sends to every node, or under `externalTrafficPolicy: Local` only to the nodes whose
health check (`healthCheckNodePort`) finds a ready endpoint.

**Pod level**: each entry node's kube-proxy picks the pod (iptables statistic rules, nftables
numgen, IPVS weights). `Cluster` spreads over every ready pod and rewrites the source to the
node's; `Local` keeps the client's address and sends only to the node's own pods.

`s` simulates seeded requests; `m` (live) counts what the nodes' counters saw since you
pressed it.
"""


class Picture(Static):
    """The picture; drawn again when its width changes (the explain drawer opens, a resize)."""

    def on_resize(self) -> None:
        pane = next((a for a in self.ancestors if isinstance(a, BalancingPane)), None)
        if pane is not None:
            pane.call_after_refresh(pane.redraw)


@dataclass(frozen=True)
class BalancingPaneModel:
    overview: BalancingModel
    plan: BalancePlan | None  # the selected Service's picture
    error: str = ""


class BalancingPane(Pane):
    PANE_ID = "balancing"
    TITLE = "Balancing"
    KEY = "9"
    EXPLAIN = EXPLAIN
    NEEDS = ("Service", "EndpointSlice", "IPAddressPool", "L2Advertisement", "ServiceL2Status", "Event")
    PANE_KEYS = (
        ("up / down", "pick a LoadBalancer Service"),
        ("s", f"simulate {SIM_REQUESTS:,} requests (seeded; again: the next seed) beside the expected shares"),
        ("m", "live: count per pod what the entry nodes' counters say since you pressed it (again: stop)"),
        ("w", "why: who allocated, who answers, what the traffic policy does"),
        ("p", "the next port of the Service"),
        ("enter / tab", "into the picture, to scroll it (esc: back to the list)"),
        (":balance NS/SVC", "the same view from the command line"),
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "simulate", "Simulate", id="balancing.simulate"),
        Binding("m", "measure", "Measure", id="balancing.measure"),
        Binding("w", "why", "Why", id="balancing.why"),
        Binding("p", "next_port", "Port", id="balancing.port"),
    ]
    DEFAULT_CSS = """
    BalancingPane #bal-head { height: auto; max-height: 2; padding: 0 1; }
    BalancingPane #bal-table { height: auto; max-height: 7; }
    BalancingPane #bal-scroll { height: 1fr; border-top: solid $primary; }
    BalancingPane #bal-scroll:focus { background: $boost; }
    BalancingPane #bal-picture { height: auto; padding: 0 1; }
    """

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self._selected: str | None = None
        self._model: BalancingPaneModel | None = None
        self._port = 0
        self._seed = 1
        self._sim: tuple[str, int, Simulation] | None = None  # (service, port index, run)
        self._why = False
        self._start: Observed | None = None  # `m`: the state counting starts from
        self._measure_for: tuple[str, int] | None = None
        self._picture = Text()
        self._node_results: dict[str, Any] = {}  # entry node -> NodeStateResult read for it
        self._reading: set[str] = set()
        self._parsed: dict[str, tuple[Any, Any]] = {}  # node -> (the NodeState parsed, its Datapath)

    def compose_body(self) -> ComposeResult:
        yield Static(id="bal-head")
        yield ResourceTable(COLUMNS, id="bal-table", priorities=(0, 0, 1, 1))
        with VerticalScroll(id="bal-scroll"):
            yield Picture(id="bal-picture")

    # -- the model -------------------------------------------------------------------------------

    def selection(self, observed: Observed) -> Selection:
        return Selection(namespace=observed.cluster.namespace, selected=self._selected)

    def _with_entry_nodes(self, observed: Observed) -> Observed:
        """`observed` with the entry nodes' states read for this pane (the agent, or the snapshot)."""
        extra = {n: r.state for n, r in list(self._node_results.items())
                 if r.state is not None and n not in observed.nodes}
        return replace(observed, nodes={**observed.nodes, **extra}) if extra else observed

    def _datapaths(self, observed: Observed) -> dict[str, Any]:
        """The parsed datapaths of nodes whose state is the one parsed last time: indexing a big
        dump takes a while, and a poll that brings the same node state reuses it."""
        return {n: dp for n, (state, dp) in self._parsed.items() if observed.nodes.get(n) is state}

    def _keep_parsed(self, observed: Observed, datapaths: dict[str, Any]) -> None:
        self._parsed = {n: (observed.nodes[n], dp) for n, dp in datapaths.items() if n in observed.nodes}

    def build_model(self, observed: Observed) -> BalancingPaneModel:
        observed = self._with_entry_nodes(observed)
        selection = self.selection(observed)
        overview = present(observed, selection)
        keys = [s.service for s in overview.services]
        key = selection.selected if selection.selected in keys else (keys[0] if keys else None)
        if key is None:
            return BalancingPaneModel(overview, None)
        ns, _, name = key.partition("/")
        try:
            datapaths = self._datapaths(observed)  # filled with what this build parses
            plan = plan_service(observed, ns, name, datapaths=datapaths)
            self._keep_parsed(observed, datapaths)
            return BalancingPaneModel(overview, plan)
        except KeyError:
            return BalancingPaneModel(overview, None, f"{key} is gone")

    def render_model(self, observed: Observed, model: BalancingPaneModel) -> None:
        self._model = model
        table = self.query_one("#bal-table", ResourceTable)
        table.set_rows((s.service, (data_text(s.service), data_text(", ".join(s.addresses) or "<pending>"),
                                    data_text(s.allocator),
                                    data_text(f"{s.announce_mode}: {', '.join(s.nodes) or '-'}")))
                       for s in model.overview.services)
        if model.plan is not None and self._selected is None:
            self._selected = model.plan.balance.service
        keys = [s.service for s in model.overview.services]
        if self._selected in keys and table.selected_key() != self._selected:
            table.move_cursor(row=keys.index(self._selected))
        self._draw()
        if model.plan is not None:
            self._read_entry_nodes(observed, model.plan)
            if self._start is not None:
                self._refresh_read_nodes()

    def _refresh_read_nodes(self) -> None:
        """While `m` counts: read again the entry nodes read through the session, so their
        counters move with each poll (the session's own node is polled anyway)."""
        session = self.context.session
        for node, held in list(self._node_results.items()):
            if held.state is None or node in self._reading:
                continue
            self._reading.add(node)

            def done(result: Any, node: str = node) -> None:
                self._reading.discard(node)
                if result.state is not None:
                    self._node_results[node] = result
                self._draw()

            self.jobs.start(f"node {node} again", partial(session.node_state, node, refresh=True), done,
                            description=f"node {node}'s counters for m")
    def _read_entry_nodes(self, observed: Observed, plan: BalancePlan) -> None:
        """Read the entry nodes whose kernel state is not here (live: through their agent pods),
        so their own rules give the pod-level spread; the picture is built again when they come."""
        ann = plan.balance.announce
        session = self.context.session
        for node in ann.nodes or ann.candidates:
            if node in observed.nodes or node in self._node_results or node in self._reading:
                continue
            held = session.cached_node_state(node)
            if held is not None and held.state is not None:
                self._node_results[node] = held
                continue
            if observed.mode != "live":
                continue  # a snapshot holds what it holds: the node stays modelled, and says so
            self._reading.add(node)

            def done(result: Any, node: str = node) -> None:
                self._reading.discard(node)
                self._node_results[node] = result
                if result.state is not None and self.observed is not None:
                    self._model_for = None  # the same state, now with this node: build again
                    self.show_observed(self.observed)
                else:
                    self._draw()

            self.jobs.start(f"node {node}", partial(session.node_state, node), done,
                            description=f"node {node}'s state for the balancing picture")

    def _current_plan(self) -> BalancePlan | None:
        m = self._model
        if m is None or m.plan is None or (self._selected and m.plan.balance.service != self._selected):
            return None
        if self._filtered_out():
            return None
        return m.plan

    def _filtered_out(self) -> str:
        """The filter when it hides every Service (the picture must not show one the list hides)."""
        table = self.query_one("#bal-table", ResourceTable)
        return table.filter_text if table.filter_text and table.row_count == 0 else ""

    # -- drawing ---------------------------------------------------------------------------------

    def _draw(self) -> None:
        m = self._model
        head = Text()
        plan = self._current_plan()
        if m is None:
            return
        if not m.overview.services:
            head.append("No LoadBalancer Service here. ", style="bold")
            head.append("e: what this pane shows", style="dim")
        elif self._filtered_out():
            head.append("No LoadBalancer Service matches ", style="bold")
            head.append(data_text(f"/{crop(self._filtered_out(), 40)}", style="bold"))
            head.append("  (/ changes the filter)", style="dim")
        elif plan is not None:
            head.append(data_text(crop(clean(headline(plan.balance)), max(20, self._width())), style="bold"))
        self.query_one("#bal-head", Static).update(head)
        out = Text()
        lines: list[tuple[str, str]] = []
        if plan is not None and plan.ports:
            b = plan.balance
            self._port %= len(plan.ports)
            port = plan.ports[self._port].spread
            sim = self._sim[2] if self._sim and self._sim[:2] == (b.service, self._port) else None
            lines += [(text, "") for text in port_lines(b, port, sim)]
            lines += [(text, "") for text in self._measured_lines(plan)]
            for n in port.nodes:
                got = self._node_results.get(n.node)
                if n.source == "api" and n.node in self._reading:
                    lines.append((f"{n.node}: reading its state…", "dim"))
                elif n.source == "api" and got is not None and got.state is None and got.error:
                    lines.append((f"{n.node} is modelled: {got.error}", "dim"))
            if self._why:
                lines.append(("Why:", "bold"))
                lines += [(f"  {text}", "") for text in explain(b)]
            else:
                found = [f for f in b.findings if f.severity != "info"
                         and (f.code != "no-lb-rule" or f":{port.port};" in f.message)]
                lines += [(f"! {f.message}", "bold") for f in found[:3]]
                lines.append(("s: simulate · m: measure (live) · w: why · p: next port · enter: scroll", "dim"))
        elif m.error:
            lines.append((m.error, "bold"))
        elif m.overview.findings:
            lines += [(f"! {f.message}", "bold") for f in m.overview.findings]
        width = max(30, self._width())
        first = True
        for text, style in lines:
            lead = len(text) - len(text.lstrip(" "))
            # drop_whitespace: a line broken at a space starts its next part with it, one column
            # deeper than the indent (the paragraph's own leading indent is kept either way)
            parts = textwrap.wrap(clean(text), width, subsequent_indent=" " * (lead + 4),
                                  break_long_words=True) or [""]
            for part in parts:
                if not first:
                    out.append("\n")
                first = False
                out.append(data_text(part.rstrip(), style=style) if part.strip() else Text(""))
        self._picture = out
        self.query_one("#bal-picture", Static).update(out)

    def _width(self) -> int:
        """The picture's width (the pane's, less the explain drawer when open), once laid out."""
        picture = self.query_one("#bal-picture", Static)
        return picture.content_size.width or self.size.width or self.app.size.width or 80

    def redraw(self) -> None:
        self._draw()

    def _measured_lines(self, plan: BalancePlan) -> list[str]:
        if self._start is None or self.observed is None or self._measure_for != (plan.balance.service, self._port):
            return []
        b = plan.balance
        port = plan.ports[self._port].spread
        entry = tuple(n.node for n in port.nodes)
        ns, _, name = b.service.partition("/")
        got: Measured = measure(self._start, self._with_entry_nodes(self.observed), ns, name, port.port, entry)
        if not got.how:
            why = ", ".join(got.missing) if got.missing else "no entry node"
            return [f"measured: nothing to count yet ({why}: no kernel state at both ends)"]
        counts = {(a, p): c for a, p, c in got.counts}
        known = [c for c in counts.values() if c is not None]
        total = sum(known)
        out = [f"measured since m ({got.how} on {', '.join(got.nodes)}): {total} in all"]
        for pod in port.pods:
            c = counts.get((pod.address, pod.port))
            seen = (c / total) if c is not None and total else 0.0
            out.append(f"  {bar(seen, 8)} {('?' if c is None else str(c)):>5}  {pct(seen):>6}  "
                       f"{pod.pod or pod.address}")
        return out

    # -- keys ------------------------------------------------------------------------------------

    def on_resource_table_row_highlighted(self, event: ResourceTable.RowHighlighted) -> None:
        super().on_resource_table_row_highlighted(event)
        key = str(event.row_key.value)
        if key != self._selected:
            self._selected = key
            self._port = 0
            if self.observed is not None:
                self.show_observed(self.observed)

    def action_simulate(self, requests: int = SIM_REQUESTS) -> None:
        plan = self._current_plan()
        if plan is None or not plan.ports:
            self.context.notify("no LoadBalancer Service to simulate", title="simulate")
            return
        port, seed, b = plan.ports[self._port % len(plan.ports)], self._seed, plan.balance
        index = self._port % len(plan.ports)

        def work() -> Simulation:
            return simulate(port, requests, seed=seed, clients=SIM_CLIENTS, affinity_seconds=b.affinity_seconds,
                            service=b.service)

        def done(sim: Simulation) -> None:
            self._sim = (b.service, index, sim)
            self._seed += 1
            self._draw()
            answered = sim.requests - sim.lost
            fit = "nothing to compare" if answered == 0 else f"chi-square {sim.chi_square:.2f}"
            self.context.notify(f"{sim.requests:,} requests (seed {sim.seed}): {answered:,} answered, "
                                f"{sim.lost:,} lost; {fit}", title="simulate")

        self.jobs.start("simulate", work, done, description="simulated requests")

    def action_measure(self) -> None:
        plan = self._current_plan()
        if self.observed is None or plan is None:
            return
        if self.observed.mode != "live":
            self.context.notify("m counts on a live cluster: a snapshot's counters never move (s simulates)",
                                title="measure")
            return
        if self._start is not None:
            self._start = None
            self._measure_for = None
            self.context.notify("measuring stopped", title="measure")
        else:
            self._start = self._with_entry_nodes(self.observed)
            self._measure_for = (plan.balance.service, self._port)
            self.context.notify("measuring: send requests to the address; the counts grow with each poll",
                                title="measure")
        self._draw()

    def action_why(self) -> None:
        self._why = not self._why
        self._draw()

    def action_next_port(self) -> None:
        plan = self._current_plan()
        if plan is not None and plan.ports:
            self._port = (self._port + 1) % len(plan.ports)
            self._draw()

    # -- what the app forwards -------------------------------------------------------------------

    def handle_command(self, verb: str, arg: str) -> None:
        """`:balance NS/SVC` selects that Service (and simulates with --requests)."""
        if verb != "balance" or not arg.strip():
            return
        from k8snet_tui import grammar
        from k8snet_tui.errors import K8snetError

        try:
            cmd = grammar.parse(["balance", *grammar.split_line(arg)])
        except K8snetError as exc:
            self.context.notify(exc.message, title="balance", severity="warning")
            return
        if cmd is None or not cmd.arg or self.observed is None:
            return
        try:  # an unknown Service or one that is not a LoadBalancer: say so, keep the one shown
            self._selected = load_balancer_key(self.observed, cmd.arg)
        except K8snetError as exc:
            self.context.notify(str(exc), title="balance", severity="warning")
            return
        self._port = 0
        if self.observed is not None:
            self.show_observed(self.observed)
        if cmd.requests and self._current_plan() is not None:
            if cmd.seed is not None:
                self._seed = cmd.seed
            self.action_simulate(cmd.requests)

    def apply_filter(self, text: str) -> None:
        self.query_one("#bal-table", ResourceTable).set_filter(text)
        self._draw()

    def on_resource_table_row_selected(self, event: ResourceTable.RowSelected) -> None:
        if event.data_table.id == "bal-table":  # enter on the list: the table takes it first
            event.stop()
            self.drill_in()

    def drill_in(self) -> bool:
        """enter: into the picture, to scroll it."""
        self.query_one("#bal-scroll", VerticalScroll).focus()
        return True

    def go_back(self) -> bool:
        """esc in the picture: back to the list."""
        if not self.query_one("#bal-scroll", VerticalScroll).has_focus:
            return False
        self.query_one("#bal-table", ResourceTable).focus()
        return True

    def plain_text(self) -> str:
        return "\n\n".join(p for p in (self.TITLE, self._picture.plain) if p)

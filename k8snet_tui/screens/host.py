"""Pane 2: Host/VPC, the middle of the lab's three IP spaces.

The node's interfaces (with each address classed: RFC 1918, CGNAT, link-local, public), its
routes and policy rules (where each node's pod CIDR goes), its neighbours, and the nodes the API
knows with the subnet they share. `p` pings a node's host IP from here, on request only.

`SectionedPane` (sections switched with `[` and `]`, one line of section names instead of a
two-line tab bar, so a table keeps most of an 80x24 screen) is shared with the pod pane.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from k8snet_tui.domain.layers import cidr
from k8snet_tui.domain.model import Observed
from k8snet_tui.present.host import HostModel
from k8snet_tui.screens import explain_text
from k8snet_tui.screens.context import PaneContext
from k8snet_tui.screens.sectioned import (
    SectionedPane,
    check_words,
    heading,
    line,
    lines,
)
from k8snet_tui.sources.reachability import Check
from k8snet_tui.widgets.resource_table import ResourceTable
from k8snet_tui.widgets.row_card import KEY_HELP, RowCard
from k8snet_tui.widgets.safe import data_text

IFACE_COLUMNS = ("name", "kind", "state", "MTU", "MAC", "addresses (class)")
NEIGH_COLUMNS = ("IP", "device", "MAC", "state", "is")
NODE_COLUMNS = ("node", "InternalIP", "shares subnet", "ExternalIP", "Hostname", "pod CIDRs")
TABLES = {"ifaces": ("host-ifaces", IFACE_COLUMNS, "interface"), "neigh": ("host-neigh", NEIGH_COLUMNS, "neighbour"),
          "nodes": ("host-nodes", NODE_COLUMNS, "node")}  # section -> (table id, columns, what a row is)

# -- shared by the host and pod panes -----------------------------------------------------------


def _addresses_cell(iface: Any) -> Text:
    if not iface.addresses:
        return data_text(None)
    return Text(", ").join(data_text(f"{a.cidr} {a.kind}") for a in iface.addresses)


class HostPane(SectionedPane):
    PANE_ID = "host"
    TITLE = "Host/VPC"
    KEY = "2"
    EXPLAIN = explain_text.HOST
    NEEDS = ("Node",)
    SECTIONS = (("ifaces", "Interfaces"), ("routes", "Routes"), ("neigh", "Neighbours"), ("nodes", "Nodes"))
    PANE_KEYS = (
        ("[ / ]", "previous / next section: Interfaces, Routes, Neighbours, Nodes"),
        ("↑ ↓ ← →", "move in a table (← → scroll wide tables)"),
        ("p", "on the Nodes section: ping the selected node's host IP from this node (live only)"),
        ("w", KEY_HELP),
        ("/", "filter the interfaces, neighbours and nodes"),
        ("e", "what the host network is, and what to look for"),
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "ping_node", "Ping node", id="host.ping"),
        Binding("w", "whole_row", "Whole row", id="host.row"),
    ]
    DEFAULT_CSS = """
    HostPane #host-summary { max-height: 6; }
    """

    def __init__(self, context: PaneContext) -> None:
        super().__init__(context)
        self.view: HostModel | None = None
        self._ping_words = Text("")
        self._pinging = False

    def compose_sections(self) -> ComposeResult:
        with Vertical(id=self.section_id("ifaces"), classes="section"):
            yield Static(id="host-summary", classes="one-line")
            yield ResourceTable(IFACE_COLUMNS, id="host-ifaces")
        with VerticalScroll(id=self.section_id("routes"), classes="section"):
            yield Static(id="host-routes", classes="section-text")
        with Vertical(id=self.section_id("neigh"), classes="section"):
            yield ResourceTable(NEIGH_COLUMNS, id="host-neigh")
        with Vertical(id=self.section_id("nodes"), classes="section"):
            yield ResourceTable(NODE_COLUMNS, id="host-nodes")
            yield Static(id="host-ping", classes="one-line")

    def compose_body(self) -> ComposeResult:
        yield from super().compose_body()
        yield RowCard(id="host-row")  # `w`: the selected row whole, under whichever section is shown

    # -- rendering ---------------------------------------------------------------------------------

    def build_model(self, observed: Observed) -> Any:
        view: HostModel = super().build_model(observed)
        ifaces = [(i.key, (i.name, i.kind, i.state, i.mtu, i.mac, _addresses_cell(i)))
                  for i in view.interfaces]
        neigh = [(n.key, (n.ip, n.dev, n.mac, n.state, n.who)) for n in view.neighbours]
        nodes = [(n.name, (n.name + (" (this node)" if n.local else ""), ", ".join(n.internal_ips),
                           ", ".join(n.shares_subnet_with) or "no: reached through a gateway",
                           ", ".join(n.external_ips), ", ".join(n.hostnames), ", ".join(n.pod_cidrs)))
                 for n in view.nodes]
        return view, ifaces, neigh, nodes, self._summary(view), self._routes_text(view)

    def render_model(self, observed: Observed, model: Any) -> None:
        self.view, ifaces, neigh, nodes, summary, routes = model
        self.say("host-summary", summary)
        self.query_one("#host-ifaces", ResourceTable).set_rows(ifaces)
        self.say("host-routes", routes)
        self.query_one("#host-neigh", ResourceTable).set_rows(neigh)
        self.query_one("#host-nodes", ResourceTable).set_rows(nodes)
        self.say("host-ping", self._ping_line())
        self._draw_row_card()

    def _summary(self, view: HostModel) -> Text:
        parts = [Text.assemble(("node ", "bold"), data_text(view.node or "unknown"))]
        if not view.has_kernel_state:
            parts.append(Text.assemble(("⚠ ", "bold"), data_text(view.more)))
        for error in view.errors[:2]:
            parts.append(Text.assemble(("⚠ ", "bold"), data_text(error)))
        return lines(parts)

    def _routes_text(self, view: HostModel) -> Text:
        out: list[Text] = []
        if not view.has_kernel_state:
            out += [Text.assemble(("⚠ ", "bold"), data_text(view.more)), Text("")]
        out.append(heading("Default gateway"))
        if view.default_gateways:
            out += [line("via", gw) for gw in view.default_gateways]
        elif view.routes:
            out.append(Text("  none in the main table: only directly attached subnets are reachable"))
        else:
            out.append(Text("  unknown: no routes were read (`ip route show table all` on the node, "
                            "or `sudo k8snet probe`, reads them)"))
        out += [Text(""), heading("Where each node's pod CIDR goes")]
        if not view.pod_cidr_routes:
            out.append(Text("  no node has a pod CIDR in its spec (the CNI may keep its own; see pane 3)"))
        for pr in view.pod_cidr_routes:
            who = f"{pr.node} (this node)" if pr.local else pr.node
            entry = Text("  ")
            entry.append(data_text(f"{pr.cidr} of {who}", style="bold"))
            entry.append(": ")
            entry.append(data_text(pr.route or "no covering route"))
            entry.append("\n    ")
            entry.append(data_text(pr.words))
            out.append(entry)
        main = [r for r in view.routes if r.table == "main"]
        other = [r for r in view.routes if r.table != "main"]
        out += [Text(""), heading(f"Main routing table ({len(main)})")]
        out += [self._route_line(r) for r in main] or [Text("  —")]
        if other:
            out += [Text(""), heading(f"Other tables ({len(other)})")]
            out += [self._route_line(r) for r in other]
        out += [Text(""), heading(f"Policy rules ({len(view.rules)})")]
        out += [Text("  ").append(data_text(
            f"{r.priority if r.priority is not None else '?'}: {r.selector} {r.action or 'lookup'} {r.table}"))
            for r in view.rules] or [Text("  — (none read; `ip rule` lists them)")]
        return lines(out)

    @staticmethod
    def _route_line(route: Any) -> Text:
        extra = [f"proto {route.protocol}" if route.protocol else "", f"scope {route.scope}" if route.scope else "",
                 f"src {route.prefsrc}" if route.prefsrc else "",
                 f"type {route.type}" if route.type and route.type != "unicast" else ""]
        return Text("  ").append(data_text(" ".join([route.describe(), *[e for e in extra if e]])))

    def _ping_line(self) -> Text:
        if self._pinging or self._ping_words.plain:
            return self._ping_words
        if self.context.live:
            return Text("p: ping the selected node's host IP from this node", style="dim")
        return Text("p (ping a node) needs a live session: this is a snapshot", style="dim")

    # -- the `w` card: the selected row whole ------------------------------------------------------

    def action_whole_row(self) -> None:
        self.query_one("#host-row", RowCard).toggle()
        self._draw_row_card()

    def _draw_row_card(self) -> None:
        card = self.query_one("#host-row", RowCard)
        table_id, columns, what = TABLES.get(self.section, ("", (), "row"))
        table = self.query_one(f"#{table_id}", ResourceTable) if table_id else None
        card.show_row(columns, table, what)

    def on_resource_table_row_highlighted(self, event: ResourceTable.RowHighlighted) -> None:
        self._draw_row_card()

    def show_section(self, name: str, *, focus: bool = True) -> None:
        super().show_section(name, focus=focus)
        self._draw_row_card()

    # -- the `p` action ----------------------------------------------------------------------------

    def action_ping_node(self) -> None:
        if self.view is None:
            return
        if self.section != "nodes":
            self.show_section("nodes")
            self._ping_words = Text("pick a node, then press p to ping its host IP")
            self.say("host-ping", self._ping_words)
            return
        key = self.query_one("#host-nodes", ResourceTable).selected_key()
        node = next((n for n in self.view.nodes if n.name == key), None)
        if node is None:
            self._ping_words = Text("no node selected")
        elif not self.context.live:
            self._ping_words = Text("not pinged: this is a snapshot, and this machine is not the node it shows "
                                    "(run k8snet on a node of a live cluster to ping)")
        elif self._pinging:
            self._ping_words = Text("a ping is already running")
        else:
            target = next((ip for ip in (*node.internal_ips, *node.external_ips) if cidr.parse_address(ip)), "")
            if not target:
                self._ping_words = data_text(f"node {node.name} has no InternalIP or ExternalIP to ping")
            else:
                self._pinging = True
                self._ping_words = data_text(f"pinging {node.name} at {target} (once, up to 1 s)...")
                self._ping(node.name, target)
        self.say("host-ping", self._ping_words)

    def _ping(self, name: str, ip: str) -> None:
        network = self.context.network
        self.jobs.start("ping", lambda: network.ping(ip, 1.0), lambda result: self._pinged(name, ip, result),
                        failed=lambda exc: self._pinged(name, ip, Check(None, f"could not ping: {type(exc).__name__}: {exc}")),
                        description="ping")

    def _pinged(self, name: str, ip: str, result: Check) -> None:
        self._pinging = False
        self._ping_words = data_text(f"ping {name} ({ip}) from this node: {check_words(result)}")
        self.say("host-ping", self._ping_words)
        self.context.notify(self._ping_words.plain, title="ping")

    # -- user actions the app forwards -------------------------------------------------------------

    def apply_filter(self, text: str) -> None:
        for table in self.query(ResourceTable):
            table.set_filter(text)

    def handle_command(self, verb: str, arg: str) -> None:
        self.apply_filter(arg)

    def go_back(self) -> bool:
        if self.section != self.SECTIONS[0][0]:
            self.show_section(self.SECTIONS[0][0])
            return True
        return False

    def plain_text(self) -> str:
        if self.view is None:
            return self.TITLE
        parts = [f"{self.TITLE}", self._summary(self.view).plain,
                 "Interfaces", self.query_one("#host-ifaces", ResourceTable).plain_text(),
                 self._routes_text(self.view).plain,
                 "Neighbours", self.query_one("#host-neigh", ResourceTable).plain_text(),
                 "Nodes", self.query_one("#host-nodes", ResourceTable).plain_text()]
        if self._ping_words.plain:
            parts.append(self._ping_words.plain)
        return "\n\n".join(parts)

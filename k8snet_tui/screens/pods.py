"""Pane 3: the pod network, the innermost of the lab's three IP spaces.

Pods and their addresses; the cluster pod CIDR and each node's slice, each with its source; the
CNI with its evidence (and Cilium's settings); the host end of each local pod's veth. `enter` on
one pod then another draws the path between them; `c` checks a pod's reachability from here.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from k8snet_tui.domain.layers import PodPath, binary_breakdown, pod_path
from k8snet_tui.domain.layers.podnet import PodRow
from k8snet_tui.domain.model import Obj, Observed, dig, dig_list, name_of, namespace_of
from k8snet_tui.domain.sanitize import clean
from k8snet_tui.present.pods import PodsModel
from k8snet_tui.screens import explain_text
from k8snet_tui.screens.context import PaneContext
from k8snet_tui.screens.sectioned import (
    SectionedPane,
    check_words,
    heading,
    line,
    lines,
)
from k8snet_tui.sources.reachability import Check, Reachability
from k8snet_tui.widgets.resource_table import PreparedRows, ResourceTable, prepare_rows
from k8snet_tui.widgets.safe import data_text

COLUMNS = ["namespace", "name", "IPs", "node", "hostNet", "phase", "ready", "host end"]
YES_NO = {True: "yes", False: "no", None: "?"}


def first_port(pod: Obj | None) -> int | None:
    """The first TCP containerPort the pod declares (what `c` GETs), or None."""
    for container in dig_list(pod, "spec", "containers"):
        for port in dig_list(container, "ports"):
            number = dig(port, "containerPort")
            protocol = dig(port, "protocol") or "TCP"
            if isinstance(number, int) and not isinstance(number, bool) and 0 < number < 65536 and protocol == "TCP":
                return number
    return None


def labels_text(pod: Obj | None) -> Text:
    labels = dig(pod, "metadata", "labels")
    if not isinstance(labels, dict) or not labels:
        return data_text(None)
    return Text(", ").join(data_text(f"{k}={v}") for k, v in sorted(labels.items(), key=lambda kv: str(kv[0])))


def _pod_cells(row: PodRow) -> tuple[Any, ...]:
    return (row.namespace, row.name, ", ".join(row.ips), row.node, YES_NO[row.host_network],
            row.phase, YES_NO[row.ready], _host_end_cell(row))


def _host_end_cell(row: PodRow) -> Text:
    if row.host_network:
        return Text("the node's own", style="dim")
    if row.host_end is None:
        return data_text("" if not row.local else "not found")
    return data_text(row.host_end.interface)


class PodNetworkPane(SectionedPane):
    PANE_ID = "pods"
    TITLE = "Pod network"
    KEY = "3"
    EXPLAIN = explain_text.PODS
    NEEDS = ("Pod", "Node")
    SECTIONS = (("list", "Pods"), ("ranges", "Ranges & CNI"), ("path", "Path"))
    PANE_KEYS = (
        ("enter", "pick pod A; enter on a second pod picks B and shows the path between them"),
        ("esc", "drop the picked pod / back to the pod list"),
        ("c", "check the selected pod from this node: one ping and an HTTP GET to its first port (live only)"),
        ("/", "filter the pods (any column)"),
        ("[ / ]", "previous / next section: Pods, Ranges & CNI, Path"),
        ("e", "how pods get addresses and how they talk"),
        ("exclamation_mark", "config vs kernel: the tunnel and pod CIDR checks of this node in full (the ✗ badge counts "
              "the disagreements)"),
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "check_pod", "Check pod", id="pods.check"),
        Binding("exclamation_mark", "consistency", "Config≠kernel", id="pods.consistency", show=False),
    ]

    def __init__(self, context: PaneContext) -> None:
        super().__init__(context)
        self.view: PodsModel | None = None
        self.path: PodPath | None = None
        self.picked: str | None = None  # pod A's key while waiting for B
        self._objects: dict[str, Obj] = {}
        self._rows: dict[str, PodRow] | None = None
        self._checking = False
        self._check_words = Text("")
        # Kept between builds (only the build, one at a time, reads and replaces them):
        self._pod_keys: dict[int, tuple[Obj, str]] = {}  # id(pod) -> (pod, its row key)
        self._pod_cells: dict[int, tuple[PodRow, tuple[Any, ...]]] = {}  # id(row) -> (row, cells)
        self._prepared: PreparedRows | None = None
        self._prepared_for: str | None = None  # the namespace `_prepared` shows

    def compose_sections(self) -> ComposeResult:
        with Vertical(id=self.section_id("list"), classes="section"):
            yield ResourceTable(COLUMNS, id="pods-table")
            yield Static(id="pods-detail", classes="one-line")
        with VerticalScroll(id=self.section_id("ranges"), classes="section"):
            yield Static(id="pods-ranges", classes="section-text")
        with VerticalScroll(id=self.section_id("path"), classes="section"):
            yield Static(id="pods-path", classes="section-text")

    # -- rendering ---------------------------------------------------------------------------------

    def build_model(self, observed: Observed) -> Any:
        view: PodsModel = super().build_model(observed)  # pods narrowed to the chosen namespace
        # Keys as the view shows them (cleaned); the raw objects stay behind them for lookups.
        # Both are kept per object: under a watch most pods are the very objects of the last
        # build (and their rows the same PodRows), so only the changed ones are redone.
        last_keys, keys = self._pod_keys, {}
        objects = {}
        for p in observed.cluster.of("Pod"):
            if isinstance(p, dict):
                hit = last_keys.get(id(p))
                key = hit[1] if hit is not None and hit[0] is p else f"{clean(namespace_of(p))}/{clean(name_of(p))}"
                keys[id(p)] = (p, key)
                objects[key] = p
        self._pod_keys = keys
        last_cells, cells = self._pod_cells, {}
        for row in view.pods:
            kept = last_cells.get(id(row))
            cells[id(row)] = kept if kept is not None and kept[0] is row else (row, _pod_cells(row))
        self._pod_cells = cells
        previous = self._prepared if self._prepared_for == observed.cluster.namespace else None
        prepared = prepare_rows(COLUMNS, ((row.key, cells[id(row)][1]) for row in view.pods), previous)
        self._prepared, self._prepared_for = prepared, observed.cluster.namespace
        return view, objects, prepared, self._ranges_text(view), {p.key: p for p in view.pods}

    def render_model(self, observed: Observed, model: Any) -> None:
        self.view, self._objects, prepared, ranges, self._rows = model
        self.query_one("#pods-table", ResourceTable).set_prepared(prepared)
        self.say("pods-ranges", ranges)
        self._draw_section_bar()  # the config vs kernel badge
        self._draw_detail()
        self._draw_path()

    def _row(self, key: str | None) -> PodRow | None:
        if self.view is None or key is None:
            return None
        if self._rows is None:  # by key, once per view: a linear search per cursor move is 30k long
            self._rows = {p.key: p for p in self.view.pods}
        return self._rows.get(key)

    def _selected(self) -> str | None:
        return self.query_one("#pods-table", ResourceTable).selected_key()

    def selected_pod(self) -> str | None:
        return self._selected()  # `N` starts on this pod's node

    def _draw_detail(self) -> None:
        key = self._selected()
        row = self._row(key)
        out: list[Text] = []
        if row is not None:
            pod = self._objects.get(row.key)
            port = first_port(pod)
            out.append(Text.assemble(data_text(row.key, style="bold"), "  labels: ", labels_text(pod),
                                     "  first port: ", data_text(port)))
        if self.picked:
            out.append(Text.assemble(("A = ", "bold"), data_text(self.picked),
                                     ": enter on another pod to see the path (esc drops A)"))
        elif self._checking or self._check_words.plain:
            out.append(self._check_words)
        else:
            out.append(Text("enter: pick pod A, then B for the path · c: check reachability", style="dim"))
        self.say("pods-detail", lines(out))

    def on_resource_table_row_highlighted(self, event: ResourceTable.RowHighlighted) -> None:
        if event.data_table.id == "pods-table":
            self._draw_detail()

    def _draw_section_bar(self) -> None:
        super()._draw_section_bar()
        badge = self.view.consistency.badge() if self.view is not None else ""
        bar = self.query_one(f"#{self.PANE_ID}-sections-bar", Static)
        if badge and isinstance(bar.content, Text):
            bar.update(Text.assemble(bar.content, "  ", (f" {badge} (!) ", "bold reverse")))

    def action_consistency(self) -> None:
        self.show_section("ranges")
        self.query_one(f"#{self.section_id('ranges')}", VerticalScroll).scroll_home(animate=False)

    def _consistency_text(self, view: PodsModel) -> list[Text]:
        report = view.consistency
        out: list[Text] = [heading("Config vs kernel (tunnel, pod CIDRs)")]
        for c in report.findings:
            out.append(Text("  ✗ ", style="bold").append(data_text(f"{c.node}: {c.code}", style="bold")))
            out += [line(f"  {label}", value) for label, value in (
                ("config says", c.config), ("kernel shows", c.kernel), ("where", c.where),
                ("why it matters", c.why), ("check next", c.next or "-"))]
        out += [Text("  ? ").append(data_text(f"{c.node or 'cluster'}: {c.code} not checked: {c.kernel}"))
                for c in report.checks if c.status == "not-checked"]
        out.append(Text(f"  ✓ {report.agreed} check(s) agree" + ("" if report.disagreements else
                                                                 "; nothing disagrees"), style="dim"))
        return out + [Text("")]

    def _ranges_text(self, view: PodsModel) -> Text:
        out: list[Text] = [*self._consistency_text(view), heading("Cluster pod CIDR")]
        for fact in view.cluster_cidrs:
            entry = Text("  ")
            entry.append(data_text(fact.cidr, style="bold"))
            entry.append("  from ")
            entry.append(data_text(fact.source))
            if fact.per_node_mask is not None:
                fits = fact.nodes_fit
                entry.append(data_text(f"; each node gets a /{fact.per_node_mask} ({fits} of them fit)"))
            if fact.note:
                entry.append("\n    ")
                entry.append(data_text(fact.note))
            out.append(entry)
            breakdown = binary_breakdown(fact.cidr) if fact.valid else None
            if breakdown is not None:
                out.append(Text("    in binary: ").append(data_text(
                    "  ".join(breakdown.lines()) + f"  ({breakdown.prefixlen} network bits, "
                    f"{breakdown.first} - {breakdown.last})")))
        if not view.cluster_cidrs:
            out.append(Text("  not found: no cilium-config pool, kubeadm-config podSubnet or "
                            "kube-controller-manager --cluster-cidr in what the API showed"))
        out += [Text(""), heading("Per-node pod CIDRs")]
        out += [line(f.node or "?", Text.assemble(data_text(f.cidr, style="bold"), "  from ", data_text(f.source)))
                for f in view.node_cidrs] or [Text("  none found (Node spec.podCIDRs, CiliumNode spec.ipam.podCIDRs)")]
        out += [Text(""), heading("CNI plugin")]
        if not view.cni_evidence:
            out.append(Text("  not recognised: no known DaemonSet, ConfigMap or host device"))
        for i, guess in enumerate(view.cni_evidence):
            out.append(line("likeliest" if i == 0 else "also seen", guess.name))
            out += [Text("    evidence: ").append(data_text(e)) for e in guess.evidence]
        if view.cilium is not None:
            c = view.cilium
            out += [Text(""), heading("Cilium settings"), line("from", c.source),
                    line("IPAM mode", c.ipam or "(not set)"),
                    line("pool", f"{c.pool_ipv4 or '(not set)'}, per-node mask "
                                 f"{('/' + c.mask_size_ipv4) if c.mask_size_ipv4 else '(not set)'}"),
                    line("routing", (f"tunnel: {c.tunnel_protocol or '?'} on UDP {c.overlay_port or '?'}"
                                     if c.routing_mode == "tunnel" else f"{c.routing_mode}: pod packets cross unwrapped")
                         + f" (decided by {c.routing_from})"),
                    line("kube-proxy replacement", f"{c.kube_proxy_replacement or '(not set)'}: " + {
                        True: "Cilium replaces kube-proxy", False: "kube-proxy still handles Services",
                        None: "partly or unknown"}[c.replaces_kube_proxy])]
            out += [Text("  ⚠ ").append(data_text(n)) for n in c.notes]
        out += [Text(""), heading("How pods talk"), Text("  ").append(data_text(view.same_node)),
                Text("  ").append(data_text(view.cross_node))]
        out += [Text(""), heading("Host ends of local pods' veths")]
        local = [p for p in view.pods if p.local and not p.host_network]
        if view.more:
            out.append(Text("  ⚠ ").append(data_text(view.more)))
        for pod in local:
            end = pod.host_end
            if end is None:
                out.append(line(pod.key, "not found (no /32 route or neighbour entry for "
                                         f"{pod.ips[0] if pod.ips else 'its IP'})"))
            else:
                peer = f", pod side @if{end.peer_ifindex}" if end.peer_ifindex is not None else ""
                netns = f" in netns id {end.peer_netnsid}" if end.peer_netnsid is not None else ""
                out.append(line(pod.key, f"{end.interface} ({end.kind or 'unknown kind'}, ifindex "
                                         f"{end.ifindex if end.ifindex is not None else '?'}{peer}{netns}); "
                                         f"found by {end.found_by}"))
        if not local:
            out.append(Text("  no pod of this pane runs on the node whose kernel was read"))
        if view.notes or view.errors:
            out += [Text(""), heading("Notes")]
            out += [Text("  ⚠ ").append(data_text(n)) for n in (*view.notes, *view.errors)]
        return lines(out)

    # -- the pod path (enter, enter) ----------------------------------------------------------------

    def on_resource_table_row_selected(self, event: ResourceTable.RowSelected) -> None:
        if event.data_table.id == "pods-table":
            event.stop()
            self.drill_in()

    def drill_in(self) -> bool:
        key = self._selected()
        if key is None or self.observed is None:
            return False
        if self.picked is None:
            self.picked = key
            self.path = None
            self._draw_detail()
            return True
        a, self.picked = self.picked, None
        self.path = pod_path(self.observed.cluster, self.observed.local,
                             self._objects.get(a, a), self._objects.get(key, key))
        self._draw_path()
        self._draw_detail()
        self.show_section("path")
        return True

    def _draw_path(self) -> None:
        self.say("pods-path", self._path_text())

    def _path_text(self) -> Text:
        path = self.path
        if path is None:
            return Text("No path yet: on the Pods section press enter on pod A, then enter on pod B.")
        out: list[Text] = [heading("From pod A to pod B")]
        for label, end in (("A", path.a), ("B", path.b)):
            if end is not None:
                out.append(line(label, f"{end.pod} {end.ip or '(no IP)'} on {end.node or '(no node)'}"
                                       + (" (hostNetwork)" if end.host_network else "")))
        if path.error:
            out.append(Text("  ⚠ ").append(data_text(path.error)))
            return lines(out)
        how = {"kernel": "through the node's kernel (same node)", "overlay": "overlay",
               "native": "native routes", "loopback": "loopback (same pod)"}.get(path.mechanism, path.mechanism)
        verdict = how
        if path.mechanism == "overlay":
            verdict = f"overlay: {path.protocol or 'encapsulated'}" + (f" on UDP {path.udp_port}" if path.udp_port else "")
        out += [line("kind", path.kind), line("mechanism", verdict), line("decided by", path.decided_by),
                Text(""), heading("Hops")]
        out += [Text(f"  {i}. ").append(data_text(step)) for i, step in enumerate(path.steps, 1)]
        out += [Text(""), Text("esc: back to the pods", style="dim")]
        return lines(out)

    def go_back(self) -> bool:
        if self.picked is not None:
            self.picked = None
            self._draw_detail()
            return True
        if self.section != "list":
            self.show_section("list")
            return True
        return False

    # -- the `c` check -----------------------------------------------------------------------------

    def action_check_pod(self) -> None:
        if self.section != "list":
            self.show_section("list")
        row = self._row(self._selected())
        if row is None:
            self._check_words = Text("no pod selected")
        elif not self.context.live:
            self._check_words = Text("not checked: this is a snapshot, and this machine is not in its pod "
                                     "network (run k8snet on a node of a live cluster to check)")
        elif self._checking:
            self._check_words = Text("a check is already running")
        elif not row.ips:
            self._check_words = data_text(f"{row.key} has no IP yet (phase {row.phase or 'unknown'})")
        else:
            port = first_port(self._objects.get(row.key))
            self._checking = True
            note = "" if port else " (it declares no TCP port: trying 80)"
            self._check_words = data_text(f"checking {row.key} at {row.ips[0]}: ping, then GET :{port or 80}{note}...")
            self._check(row.key, row.ips[0], port or 80, note)
        self._draw_detail()

    def _check(self, key: str, ip: str, port: int, note: str) -> None:
        def failed(exc: Exception) -> None:
            words = Check(None, f"could not check: {type(exc).__name__}: {exc}")
            self._checked(key, Reachability(ip, port, "", words, words), note)

        network = self.context.network
        self.jobs.start("check", lambda: network.check_pod(ip, port, 1.0),
                        lambda result: self._checked(key, result, note), failed=failed, description="pod check")

    def _checked(self, key: str, result: Reachability, note: str) -> None:
        self._checking = False
        self._check_words = data_text(f"{key} ({result.ip}) from this node: ping {check_words(result.icmp)}; "
                                      f"HTTP GET :{result.port}{note} {check_words(result.http)}")
        self._draw_detail()
        self.context.notify(self._check_words.plain, title="reachability")

    # -- user actions the app forwards -------------------------------------------------------------

    def apply_filter(self, text: str) -> None:
        self.query_one("#pods-table", ResourceTable).set_filter(text)
        self._draw_detail()

    def handle_command(self, verb: str, arg: str) -> None:
        if verb == "check":  # `:check`: the config vs kernel details, as `!`
            self.action_consistency()
            return
        self.show_section("list")
        self.apply_filter(arg)

    def plain_text(self) -> str:
        if self.view is None:
            return self.TITLE
        return "\n\n".join([self.TITLE, self.query_one("#pods-table", ResourceTable).plain_text(),
                            self._ranges_text(self.view).plain, self._path_text().plain])

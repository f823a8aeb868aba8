"""Pane 0: "Mesh". Which pods are meshed, by which mesh and how, and what their own rules redirect.

The table lists the pods (meshed first): the mesh and its mode (Istio sidecar or ambient,
Linkerd, Cilium), what the pod's own nat rules redirect (read by the probe inside the pod's
network namespace), and how many findings. Below it, the pod under the cursor in sentences:
which ports go to the proxy, which uids, CIDRs and ports are left out. `t` asks for a
destination (ADDRESS:PORT, optionally `as UID`, an HTTP METHOD and /PATH for the mesh's routes and
policies) and shows the order a connection from that pod takes (app -> ISTIO_OUTPUT ->
ISTIO_REDIRECT -> port 15001, or straight out). `:mesh NS/POD [ADDRESS:PORT ...]` picks the pod
(and asks the same question). `MeshServiceScreen`
is the box `m` opens on the Services trace. Everything cluster-derived goes through data_text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from k8snet_tui.domain.mesh.view import explain
from k8snet_tui.domain.model import ClusterState, Observed
from k8snet_tui.errors import UsageError
from k8snet_tui.present.mesh import (
    PROMPT_FORM,
    MeshModel,
    connection_lines,
    dest_config,
    for_service,
    layout_lines,
    mode_words,
    no_pod,
    parse_question,
    pod_config_lines,
    present,
    redirect_words,
    service_lines,
)
from k8snet_tui.present.selection import Selection
from k8snet_tui.screens.base import Pane
from k8snet_tui.widgets.resource_table import ResourceTable
from k8snet_tui.widgets.safe import data_text

COLUMNS = ("pod", "mesh", "own rules", "!")

EXPLAIN = """\
## Service mesh: the pod's own datapath

A **sidecar** mesh adds a proxy container to each pod and an **init container** that rewrites
the pod's *own* iptables (inside its network namespace, where the node's rules never show):
Istio's `istio-init` sends every outbound TCP connection through `ISTIO_OUTPUT` ->
`ISTIO_REDIRECT` to the proxy on **15001**, and arriving ones through `ISTIO_INBOUND` to
**15006**. The proxy's own uid/gid (**1337**) is left out, or it would loop. Annotations such
as `traffic.sidecar.istio.io/excludeOutboundPorts` or `excludeOutboundIPRanges` leave ports
and CIDRs out. Linkerd's `linkerd-init` does the same with `PROXY_INIT_*` (4140 / 4143).

**Ambient** (`istio.io/dataplane-mode=ambient`) has no sidecar: the node's ztunnel takes the
traffic. For a ClusterIP the proxy picks the endpoint itself, so kube-proxy's DNAT never sees
a meshed pod's connection.

`t` walks one connection through the pod's rules, rule by rule.
"""


@dataclass(frozen=True)
class MeshPaneModel:
    overview: MeshModel


class MeshPane(Pane):
    PANE_ID = "mesh"
    TITLE = "Mesh"
    KEY = "0"
    EXPLAIN = EXPLAIN
    NEEDS = ("Pod", "Namespace")
    PANE_KEYS = (
        ("up / down", "pick a pod"),
        ("t", f"a destination ({PROMPT_FORM}): the order a connection from this pod takes"),
        ("esc", "close the destination box"),
        ("m (Services trace)", "what the mesh does to that Service's connections before kube-proxy"),
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "ask_dest", "Connect?", id="mesh.dest"),
    ]
    DEFAULT_CSS = """
    MeshPane #mesh-head { height: auto; max-height: 2; padding: 0 1; }
    MeshPane #mesh-table { height: auto; max-height: 9; }
    MeshPane #mesh-dest { display: none; }
    MeshPane #mesh-scroll { height: 1fr; border-top: solid $primary; }
    MeshPane #mesh-detail { height: auto; padding: 0 1; }
    """

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self._model: MeshPaneModel | None = None
        self._connection: tuple[str, list[str]] | None = None  # (pod key, lines)
        self._cluster: ClusterState | None = None

    def compose_body(self) -> ComposeResult:
        yield Static(id="mesh-head")
        yield ResourceTable(COLUMNS, id="mesh-table", priorities=(2, 0, 1, 3))
        # No destination starts with t: a `t` pressed in the box (asking again after a warning,
        # the old text selected) is refused rather than typed in front of the next try.
        yield Input(placeholder=f"{PROMPT_FORM}, enter: walk it, esc: close", id="mesh-dest",
                    restrict=r"(?![tT])[\s\S]*")
        with VerticalScroll(id="mesh-scroll"):
            yield Static(id="mesh-detail")

    def selection(self, observed: Observed) -> Selection:
        return Selection(namespace=observed.cluster.namespace)

    def build_model(self, observed: Observed) -> MeshPaneModel:
        return MeshPaneModel(present(observed, self.selection(observed)))

    def render_model(self, observed: Observed, model: MeshPaneModel) -> None:
        self._model = model
        self._cluster = observed.cluster  # the `t` box joins a ClusterIP destination to its Service's mesh config
        table = self.query_one("#mesh-table", ResourceTable)
        table.set_rows((p.key, (data_text(p.key), data_text(mode_words(p)), data_text(redirect_words(p.redirects)),
                                data_text(str(len(p.findings)) if p.findings else "")))
                       for p in model.overview.pods)
        o = model.overview
        head = Text(f"{o.meshed} of {len(o.pods)} pods meshed", style="bold")
        if o.namespaces_injected:
            head.append("  injection: ")
            head.append_text(data_text(", ".join(o.namespaces_injected)))
        head.append("  t: connect?  e: explain", style="dim")
        self.query_one("#mesh-head", Static).update(head)
        self._draw()

    def on_resource_table_row_highlighted(self, event: ResourceTable.RowHighlighted) -> None:
        super().on_resource_table_row_highlighted(event)
        self.call_after_refresh(self._draw)

    def _row(self) -> Any:
        if self._model is None:
            return None
        key = self.query_one("#mesh-table", ResourceTable).selected_key()
        pods = self._model.overview.pods
        return next((p for p in pods if p.key == key), pods[0] if pods else None)

    def _draw(self) -> None:
        row = self._row()
        out = Text()
        if row is None:
            out.append("No pods here.", style="bold")
        else:
            if self._connection is not None and self._connection[0] == row.key:
                # the connection first: it is what was asked, and 80x24 shows only the top
                out.append("Connection (esc: close):", style="bold underline")
                for line in self._connection[1]:
                    out.append("\n")
                    out.append_text(data_text(line))
                out.append("\n\n")
            for i, line in enumerate(layout_lines(row)):
                if i:
                    out.append("\n")
                out.append_text(data_text(line, "bold" if i == 0 or line.startswith("!") else ""))
            if self._model is not None:
                out.append("\n\nMesh configuration:", style="bold")
                for line in pod_config_lines(self._model.overview.config, row.key):
                    out.append("\n")
                    out.append_text(data_text(line, "bold" if line.startswith("mesh config") else ""))
        self.query_one("#mesh-detail", Static).update(out)

    def selected_pod(self) -> str | None:
        row = self._row()
        return row.key if row is not None else None

    def focus_key(self) -> str | None:
        return self.selected_pod()

    # -- the destination box ---------------------------------------------------------------------

    def action_ask_dest(self) -> None:
        box = self.query_one("#mesh-dest", Input)
        box.display = True
        box.focus()
        box.select_all()  # what was asked last is kept to edit; typing replaces it

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "mesh-dest":
            return
        row = self._row()
        if row is None or not event.value.split():
            return
        if self._ask(row, event.value):
            event.input.display = False
            self.query_one("#mesh-table", ResourceTable).focus()
        else:  # kept open, its text selected: the next try replaces it rather than appending to it
            event.input.select_all()

    def _ask(self, row: Any, text: str) -> bool:
        """Walk `text` (the box's form) from `row`; a warning in the box's words when it does not parse."""
        try:
            q = parse_question(text)
        except UsageError as exc:
            self.context.notify(str(exc), title="mesh", severity="warning")
            return False
        lines = list(connection_lines(explain(row, q.host, q.port, uid=q.uid)))
        svc = (dest_config(self._cluster, row.key, q.host, q.port, path=q.path, method=q.method)
               if self._cluster is not None else None)
        self._connection = (row.key, lines + list(svc.lines if svc is not None else ()))
        self._draw()
        # the answer is drawn first: show it, wherever the detail was scrolled to before
        self.query_one("#mesh-scroll", VerticalScroll).scroll_home(animate=False)
        return True

    def handle_command(self, verb: str, arg: str) -> None:
        """`:mesh NS/POD [ADDRESS:PORT [as UID] [METHOD] [/PATH]]`: that pod, and the connection if asked;
        an unknown pod is said as `k8snet mesh` says it (the pane stays where it was)."""
        words = arg.split()
        if not words or self.observed is None:
            return
        cluster = self.observed.cluster
        key = words[0] if "/" in words[0] else f"{cluster.namespace or 'default'}/{words[0]}"
        if self._model is None:  # opened by this command: its rows are not drawn yet
            self.render_model(self.observed, self.build_model(self.observed))
        model = self._model
        row = next((p for p in model.overview.pods if p.key == key), None) if model is not None else None
        if row is None:
            ns, _, name = key.partition("/")
            if cluster.get("Pod", ns, name) is not None:
                self.context.notify(f"mesh: {key} is outside namespace {cluster.namespace}: :ns {ns} or :ns all "
                                    "shows it", title="mesh", severity="warning")
            else:
                self.context.notify(str(no_pod(cluster, key)), title="mesh", severity="warning")
            return
        table = self.query_one("#mesh-table", ResourceTable)
        if key in table.keys:  # a filter may hide it: the detail still answers
            table.move_cursor(row=table.get_row_index(key))
        if len(words) > 1:
            self._ask(row, " ".join(words[1:]))
        else:
            self._draw()

    def go_back(self) -> bool:
        box = self.query_one("#mesh-dest", Input)
        if box.display:
            box.display = False
            self.query_one("#mesh-table", ResourceTable).focus()
            return True
        if self._connection is not None:
            self._connection = None
            self._draw()
            return True
        return False

    def depth(self) -> int:
        return 1 if self._connection is not None or self.query_one("#mesh-dest", Input).display else 0

    def plain_text(self) -> str:
        row = self._row()
        return "\n".join(layout_lines(row)) if row is not None else self.TITLE


class MeshServiceScreen(ModalScreen[None]):
    """`m` on the Services trace: what the mesh does to that Service's connections."""

    BINDINGS = [Binding("escape,q,m", "dismiss_box", "Close", id="meshsvc.close")]
    DEFAULT_CSS = """
    MeshServiceScreen { align: center middle; }
    MeshServiceScreen #meshsvc-box { width: 100%; max-width: 110; height: 100%; border: heavy $accent;
                                     background: $surface; }
    MeshServiceScreen #meshsvc-body { padding: 0 1; }
    MeshServiceScreen #meshsvc-keys { height: 1; padding: 0 1; background: $panel; }
    """

    def __init__(self, lines: tuple[str, ...]) -> None:
        super().__init__()
        self._lines = lines

    def compose(self) -> ComposeResult:
        with Vertical(id="meshsvc-box"):
            with VerticalScroll(id="meshsvc-scroll"):
                yield Static(id="meshsvc-body")
            yield Static(Text("esc: close"), id="meshsvc-keys")

    def on_mount(self) -> None:
        body = Text()
        for i, line in enumerate(self._lines):
            if i:
                body.append("\n")
            body.append_text(data_text(line, "bold" if i == 0 else ""))
        self.query_one("#meshsvc-body", Static).update(body)
        self.query_one("#meshsvc-scroll", VerticalScroll).focus()

    def action_dismiss_box(self) -> None:
        self.dismiss(None)


def open_service_mesh(app: App[Any], observed: Observed, service: str, port: str) -> None:
    ref = f"{service}:{port}" if port else service
    app.push_screen(MeshServiceScreen(service_lines(for_service(observed, ref))))

"""Pane 8: "Can this pod reach that?" The hops from a source pod to a destination, each judged.

Two boxes (source: a pod, by default the one selected in another pane; destination: a name as
the pod types it, IP:PORT or a URL), then the chain: one line per hop, ✓ ok, ✗ fail, ? unknown,
the first failure marked ◀, the hops after it dimmed. Arrows move over the hops, space opens
and closes a hop's details (evidence, fix, reason), enter opens the pane that shows the hop in
full (the DNS plan, the trace, the policy explanation; esc comes back), `c` makes the real
connection from the pod's network namespace. Everything cluster-derived goes through data_text.
"""

from __future__ import annotations

import textwrap
from dataclasses import replace
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.geometry import Region
from textual.message import Message
from textual.widgets import Input, Static

from k8snet_tui.domain.model import Observed
from k8snet_tui.domain.path import Diagnosis
from k8snet_tui.domain.sanitize import clean
from k8snet_tui.errors import K8snetError
from k8snet_tui.present.path import ChainModel, HopRow, PathModel, chain, report, short_headline
from k8snet_tui.screens.base import Pane
from k8snet_tui.text.table import crop
from k8snet_tui.widgets.safe import data_text

EXPLAIN = """\
## Can this pod reach that?

The pane walks the hops a connection meets, in order, and judges each from the cluster's
objects and the source node's kernel state:

- **dns**: the pod's resolv.conf search walk and the cluster DNS's answer (and whether an
  egress policy lets the pod ask it at all);
- **service**: the address is a Service and the port one of its ports (or a pod, a NodePort,
  outside the cluster);
- **endpoints**: ready endpoints (a selector that matches no pod, pods not ready);
- **port**: the targetPort against each endpoint pod's declared containerPorts;
- **datapath**: the source node's kube-proxy rules DNAT to those endpoints;
- **network**: from the source's node to each endpoint's node (same node, overlay, route);
- **policy**: the source's egress and each endpoint's ingress;
- **route** (URLs): the Ingress, Mapping or HTTPRoute the URL hits.

The first ✗ is the answer. **?** means the data to judge is missing (a node's state not read,
a kind forbidden): never taken as ok. `c` tries the connection for real (live, as root or with
sudo, on the pod's node); a disagreement with the diagnosis is shown as a finding.
"""

COLORS = {"✓": "green", "✗": "red"}  # "?" yellow; the sign carries the meaning, colour only helps
LABEL = 10  # the hop's name column
DETAIL_INDENT = 4


class ChainScroll(VerticalScroll, can_focus=False):
    """Scrolls the chain; never takes the focus itself (the chain has it, arrows move its cursor)."""


class HopChain(Static, can_focus=True):
    """The vertical chain of hops; the cursor hop is reversed, open hops show their details."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("space", "details", "Details", id="path.details"),
        Binding("enter", "open", "Open hop", id="path.open_hop"),
    ]

    class Opened(Message):
        def __init__(self, row: HopRow) -> None:
            super().__init__()
            self.row = row

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model: ChainModel | None = None
        self.cursor = 0
        self.expanded: set[str] = set()
        self.text = Text("")

    def set_model(self, model: ChainModel | None) -> None:
        same = self.model is not None and model is not None and (self.model.src, self.model.dst) == (model.src,
                                                                                                     model.dst)
        self.model = model
        if not same:
            self.cursor = 0
            self.expanded = set()
            first = next((r for r in model.rows if r.first_failure), None) if model is not None else None
            if first is not None and model is not None:  # the answer opens by itself
                self.expanded.add(first.hop)
                self.cursor = model.rows.index(first)
        if model is not None:
            self.cursor = min(self.cursor, max(len(model.rows) - 1, 0))
        self.redraw()

    def current(self) -> HopRow | None:
        if self.model is None or not self.model.rows:
            return None
        return self.model.rows[self.cursor]

    def action_move(self, step: int) -> None:
        if self.model is not None and self.model.rows:
            self.cursor = max(0, min(len(self.model.rows) - 1, self.cursor + step))
            self.redraw()

    def action_details(self) -> None:
        row = self.current()
        if row is not None:
            self.expanded ^= {row.hop}
            self.redraw()

    def action_open(self) -> None:
        row = self.current()
        if row is not None:
            self.post_message(self.Opened(row))

    def redraw(self) -> None:
        m = self.model
        if m is None:
            self.text = Text("Type a destination and press enter.", style="dim")
            self.update(self.text)
            return
        width = max(40, (self.size.width or 78))
        out = Text()
        cursor_line = 0
        for i, row in enumerate(m.rows):
            if i:
                out.append("\n")
            if i == self.cursor:
                cursor_line = out.plain.count("\n")
            style = "dim" if row.greyed else ""
            sign_style = "dim" if row.greyed else f"bold {COLORS.get(row.mark, 'yellow')}"
            tail = "  ◀ first" if row.first_failure else ""
            room = width - 2 - LABEL - len(tail)
            line = Text()
            line.append(f"{row.mark} ", style=sign_style)
            line.append(f"{row.hop:<{LABEL}}", style="bold" if not row.greyed else "dim")
            line.append(data_text(crop(clean(row.summary), room), style=style))
            line.append(tail, style="bold")
            if i == self.cursor:
                line.stylize("reverse")
            out.append(line)
            if row.hop in self.expanded:  # details wrap under their own indent
                for detail in row.details:
                    for j, part in enumerate(textwrap.wrap(clean(detail), max(20, width - DETAIL_INDENT - 2),
                                                           break_long_words=True) or [""]):
                        out.append("\n" + " " * (DETAIL_INDENT if j == 0 else DETAIL_INDENT + 2))
                        out.append(data_text(part, style="dim" if row.greyed else ""))
        self.text = out
        self.update(out)
        self.call_after_refresh(self._keep_cursor_in_view, cursor_line)

    def _keep_cursor_in_view(self, line: int) -> None:
        scroll = self.parent
        if isinstance(scroll, VerticalScroll):
            scroll.scroll_to_region(Region(0, self.virtual_region.y + line, 1, 1), animate=False)

    def on_resize(self) -> None:
        self.redraw()


class PathPane(Pane):
    PANE_ID = "path"
    TITLE = "Path"
    KEY = "8"
    EXPLAIN = EXPLAIN
    NEEDS = ("Pod", "Service", "EndpointSlice", "NetworkPolicy")
    PANE_KEYS = (
        ("s / d", "type the source (NS/POD, node/NAME, outside) / the destination (name:port, IP:PORT, URL)"),
        ("enter", "in a box: diagnose; on a hop: open the pane that shows it (esc comes back)"),
        ("up / down", "move over the hops"),
        ("space", "open or close the hop's details: evidence, the fix, what is missing"),
        ("c", "try the connection for real from the pod's network namespace (live, on its node)"),
        (":path FROM TO", "the same question from the command line"),
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "edit('path-src')", "Source", id="path.source"),
        Binding("d", "edit('path-dst')", "Destination", id="path.destination"),
        Binding("c", "check", "Check", id="path.check"),
    ]
    DEFAULT_CSS = """
    PathPane #path-boxes { height: 3; dock: top; }
    PathPane #path-boxes Input { width: 1fr; }
    PathPane #path-head { height: auto; padding: 0 1; }
    PathPane #path-scroll { height: 1fr; }
    PathPane #path-chain { height: auto; padding: 0 1; }
    PathPane #path-chain:focus { background: $boost; }
    PathPane #path-check { height: auto; padding: 0 1; }
    """

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.model: PathModel | None = None
        self.diagnosis: Diagnosis | None = None
        self.asked: tuple[str, str] | None = None
        self.error: Text | None = None
        self.node_errors: dict[str, str] = {}
        self.reading: set[str] = set()  # nodes whose state is being read for the source
        self.node_results: dict[str, Any] = {}  # what those reads gave (NodeStateResult)

    def compose_body(self) -> ComposeResult:
        # The chain comes first in the DOM, so it (not a box) has the focus when the pane opens and
        # the app's keys (`?`, `q`, the pane numbers) work at once; the boxes are docked above.
        with ChainScroll(id="path-scroll"):
            yield Static(id="path-head")
            yield HopChain(id="path-chain")
            yield Static(id="path-check")
        with Horizontal(id="path-boxes"):
            for box in (Input(placeholder="from NS/POD", id="path-src"),
                        Input(placeholder="to name:port, IP:PORT or URL", id="path-dst")):
                box.submit_hint = "Check"  # type: ignore[attr-defined]  # the footer's "⏎ Check" while typing
                yield box

    # -- rendering ---------------------------------------------------------------------------------

    def render_model(self, observed: Observed, model: PathModel) -> None:
        self.model = model
        src = self.query_one("#path-src", Input)
        if not src.value:
            src.value = self._default_source(model) or ""
        if self.asked is not None:
            self._run(*self.asked, quiet=True)  # the state changed: the answer may have too
        self._draw()

    def _default_source(self, model: PathModel) -> str | None:
        """The pod selected in another pane, else the model's first pod."""
        for pane in self.app.query(Pane):
            if pane is not self:
                pod = pane.selected_pod()
                if pod and pod in model.pods:
                    return pod
        return model.default_source

    def _draw(self) -> None:
        head, chain_model = Text(), None
        if self.error is not None:
            head = self.error
        elif self.diagnosis is not None:
            chain_model = chain(self.diagnosis)
            head.append(data_text(crop(clean(short_headline(self.diagnosis)), max(20, self.size.width - 2)),
                                  style="bold"))
        else:
            head.append("s: source, d: destination, enter: diagnose · e: what each hop checks", style="dim")
        self.query_one("#path-head", Static).update(head)
        self.query_one(HopChain).set_model(chain_model)
        check = Text()
        for i, line in enumerate((*chain_model.check, *chain_model.findings) if chain_model else ()):
            if i:
                check.append("\n")
            check.append(data_text(line, style="bold" if line.startswith("disagreement") else ""))
        if chain_model is not None and not chain_model.check:
            check.append("enter: open the hop's pane · space: details · c: try it for real", style="dim")
        self.query_one("#path-check", Static).update(check)

    # -- asking --------------------------------------------------------------------------------------

    @on(Input.Submitted, "#path-src, #path-dst")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        src = self.query_one("#path-src", Input).value.strip()
        dst = self.query_one("#path-dst", Input).value.strip()
        if not dst:
            self.query_one("#path-dst", Input).focus()
            return
        self.node_results.clear()  # a new question reads the source node afresh
        self._run(src, dst)
        self.query_one(HopChain).focus()

    def _run(self, src: str, dst: str, *, quiet: bool = False) -> None:
        if self.observed is None:
            return
        self.asked = (src, dst)
        observed = self._with_source_node(self.observed, src)
        try:
            self.diagnosis = report(observed, src, dst, node_errors=self.node_errors)
            self.error = None
        except K8snetError as exc:
            self.diagnosis = None
            self.error = Text("✗ ", style="bold").append(data_text(exc.message))
            if not quiet:
                self.context.notify(exc.message, title="path", severity="warning")
        self._draw()
        if self.diagnosis is not None and not quiet:
            self.context.notify(chain(self.diagnosis).headline, title="path")

    def _with_source_node(self, observed: Observed, src: str) -> Observed:
        """`observed` with the source pod's node state, when the session already holds it (`N`)."""
        ns, _, name = src.partition("/")
        pod = observed.cluster.get("Pod", ns, name) if ns and name else None
        node = (pod or {}).get("spec", {}).get("nodeName") if isinstance(pod, dict) else None
        if ns == "node":
            node = name
        if not isinstance(node, str) or not node or node in observed.nodes:
            return observed
        held = self.node_results.get(node) or self.context.session.cached_node_state(node)
        if held is None:  # not read yet: read it (the agent, pods/exec) and ask again when it is there
            self._read_node(node)
            return observed
        if held.state is not None:
            return replace(observed, nodes={**observed.nodes, node: held.state})
        if held.error:
            self.node_errors[node] = held.error
        return observed

    def _read_node(self, node: str) -> None:
        if node in self.reading:
            return
        self.reading.add(node)
        session = self.context.session

        def done(result: Any) -> None:
            self.reading.discard(node)
            self.node_results[node] = result
            if result.state is None and result.error:
                self.node_errors[node] = result.error
            if self.asked is not None:
                self._run(*self.asked, quiet=True)

        self.jobs.start(f"node {node}", lambda: session.node_state(node), done,
                        description=f"node {node}'s state for the path")

    def action_edit(self, box: str) -> None:
        self.query_one(f"#{box}", Input).focus()

    def action_check(self) -> None:
        d = self.diagnosis
        if d is None:
            self.context.notify("diagnose first: type a destination and press enter", title="path check")
            return
        mode = self.context.session.mode

        def work() -> Diagnosis:
            from k8snet_tui.sources.path_attempt import attempt

            return attempt(d, d.src_ip, mode)

        self.query_one("#path-check", Static).update(Text("check: connecting…", style="dim"))
        self.jobs.start("check", work, self._checked, description="path check")

    def _checked(self, result: Diagnosis) -> None:
        if self.diagnosis is None or (result.src, result.dst) != (self.diagnosis.src, self.diagnosis.dst):
            return
        self.diagnosis = result
        self._draw()
        lines = chain(result)
        self.context.notify((lines.check + lines.findings)[0] if lines.check else "check done", title="path check")

    @on(HopChain.Opened)
    def _open_hop(self, event: HopChain.Opened) -> None:
        see = event.row.see
        if not see:
            self.context.notify(f"the {event.row.hop} hop has no pane of its own: space shows its details",
                                title="path")
            return
        from k8snet_tui import grammar

        try:
            cmd = grammar.parse(see)
        except K8snetError as exc:
            self.context.notify(exc.message, title="path", severity="warning")
            return
        if cmd is None or cmd.pane is None or cmd.pane == self.PANE_ID:
            return
        verb = cmd.verb if cmd.verb in grammar.VERB_PANE else cmd.pane
        self.context.navigator.open(cmd.pane, verb, cmd.pane_argument() if verb == cmd.verb else cmd.arg)

    # -- what the app forwards ---------------------------------------------------------------------

    def handle_command(self, verb: str, arg: str) -> None:
        """`:path FROM TO` fills the boxes and diagnoses; `:path` alone (or `:8`) comes home."""
        if verb != "path" or not arg.strip():
            return
        from k8snet_tui import grammar

        try:
            cmd = grammar.parse(["path", *grammar.split_line(arg)])
        except K8snetError as exc:
            self.error = data_text(exc.message)
            self._draw()
            return
        if cmd is not None and cmd.src:
            self.query_one("#path-src", Input).value = cmd.src
            self.query_one("#path-dst", Input).value = cmd.dst
            self._run(cmd.src, cmd.dst)
            if cmd.check:
                self.action_check()
            self.call_after_refresh(self.query_one(HopChain).focus)

    def depth(self) -> int:
        return 0

    def go_back(self) -> bool:
        focused = self.app.focused
        if isinstance(focused, Input) and focused.parent is not None and focused.parent.id == "path-boxes":
            self.query_one(HopChain).focus()
            return True
        return False

    def drill_in(self) -> bool:
        self.query_one(HopChain).action_open()
        return True

    def focus_key(self) -> str | None:
        """`k`: the question on screen ("SRC -> DST"), so the commands are for this path."""
        if self.asked is not None and self.asked[1]:
            return f"{self.asked[0]} -> {self.asked[1]}"
        return None

    def selected_pod(self) -> str | None:
        src = self.query_one("#path-src", Input).value.strip()
        return src if src.count("/") == 1 and not src.startswith("node/") else None

    def plain_text(self) -> str:
        d = self.diagnosis
        parts = [self.TITLE, f"{d.src} -> {d.dst}" if d else "", chain(d).headline if d else ""]
        parts.append(self.query_one(HopChain).text.plain)
        return "\n\n".join(p for p in parts if p)

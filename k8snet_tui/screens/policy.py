"""Pane 7: NetworkPolicy, who may talk to whom in the current namespace and which rule says so.

Three sections (`[`/`]`): the Matrix (source groups as rows, destination groups as columns, one
port at a time; arrows move over the cells and on to the next port past the edge, `enter`
explains the cell), the Policies in words, and the Test box (`t`: source, destination, port).
Pods the namespace's policies treat alike share a group, so a namespace of hundreds of pods is
a handful of rows. Every name and reason is cluster data, drawn through `data_text`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Static

from k8snet_tui.domain.numbers import parse_decimal
from k8snet_tui.errors import K8snetError
from k8snet_tui.present.policy import CellRow, CheckModel, PolicyModel, PortRow, check, mark
from k8snet_tui.screens.sectioned import SectionedPane, heading, lines
from k8snet_tui.widgets.safe import data_text

EXPLAIN = """\
## NetworkPolicy in short

A connection needs **both** sides: the source's **egress** and the destination's **ingress**.

- **Isolation.** A pod no policy selects (for a direction) is open in that direction. Once
  one policy selects it, only what some rule allows gets through: everything else is denied.
- **Union.** Policies never subtract: a pod allows the sum of every rule of every policy that
  selects it. There is no "deny" rule in NetworkPolicy.
- **policyTypes.** Left out, it is `Ingress`, plus `Egress` when the policy has egress rules.
  A policy with `policyTypes: [Egress]` and no rules cuts the pod off from everything.
- **AND or OR.** `namespaceSelector` and `podSelector` in **one** `from`/`to` entry must both
  match (pods with those labels in those namespaces). In **two** entries, either matches.
- **DNS.** An egress policy isolates lookups too: without a rule to kube-system's DNS pods on
  UDP and TCP 53, every name lookup fails.
- **Named ports** (`port: http`) are looked up on the destination pod's containers.
- **ipBlock** matches addresses; `except` cuts holes into its `cidr`. Whether it applies to
  pod addresses is up to the network plugin (k8snet says when an answer depends on it).
- A pod may always reach itself; host-network pods are not selected by any policy.

AdminNetworkPolicy and Cilium's policies are listed, not evaluated: answers they could change
are marked **incomplete**.
"""

VISIBLE_ROWS = 10  # matrix rows drawn at once; the cursor's row is always among them
LABEL_WIDTH = 17
CORNER = "from \\ to G"


@dataclass
class Cursor:
    row: int = 0
    col: int = 0
    port: int = 0


class PolicyMatrix(Static, can_focus=True):
    """The who-can-talk grid of one port; the cursor cell is bracketed and reversed (NO_COLOR too)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1, 0)", "Up", show=False),
        Binding("down", "move(1, 0)", "Down", show=False),
        Binding("left", "move(0, -1)", "Left", show=False),
        Binding("right", "move(0, 1)", "Right", show=False),
        Binding("enter", "pick", "Explain cell", id="policy.explain_cell"),
    ]

    class Moved(Message):
        def __init__(self, cell: CellRow | None) -> None:
            super().__init__()
            self.cell = cell

    class Picked(Message):
        def __init__(self, cell: CellRow | None) -> None:
            super().__init__()
            self.cell = cell

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model: PolicyModel | None = None
        self.cursor = Cursor()
        self.text = Text("")

    def set_model(self, model: PolicyModel) -> None:
        self.model = model
        n, p = len(model.groups), len(model.ports)
        self.cursor = Cursor(min(self.cursor.row, max(n - 1, 0)), min(self.cursor.col, max(n - 1, 0)),
                             min(self.cursor.port, max(p - 1, 0)))
        self.redraw()

    @property
    def port(self) -> PortRow | None:
        if self.model is None or not self.model.ports:
            return None
        return self.model.ports[self.cursor.port]

    def current(self) -> CellRow | None:
        m, port = self.model, self.port
        if m is None or port is None or not m.groups:
            return None
        return m.cell(m.groups[self.cursor.row].id, m.groups[self.cursor.col].id, port)

    def action_move(self, rows: int, cols: int) -> None:
        m = self.model
        if m is None or not m.groups:
            return
        n, c = len(m.groups), self.cursor
        c.row = max(0, min(n - 1, c.row + rows))
        col = c.col + cols
        if col >= n or col < 0:  # past the edge: the next (or previous) port
            c.port = (c.port + (1 if col >= n else -1)) % len(m.ports)
            col = 0 if col >= n else n - 1
        c.col = col
        self.redraw()
        self.post_message(self.Moved(self.current()))

    def on_resize(self) -> None:
        self.redraw()  # the columns that fit depend on the width

    def action_pick(self) -> None:
        self.post_message(self.Picked(self.current()))

    @property
    def cell_width(self) -> int:
        return 3 if self.model is None or len(self.model.groups) < 100 else 4

    def _columns(self) -> range:
        assert self.model is not None
        n = len(self.model.groups)
        width = self.size.width or 78
        fit = max(1, (width - LABEL_WIDTH) // self.cell_width)
        first = max(0, min(self.cursor.col - fit // 2, n - fit))
        return range(first, min(n, first + fit))

    def _rows(self) -> range:
        assert self.model is not None
        n = len(self.model.groups)
        first = max(0, min(self.cursor.row - VISIBLE_ROWS // 2, n - VISIBLE_ROWS))
        return range(first, min(n, first + VISIBLE_ROWS))

    def redraw(self) -> None:
        m, port = self.model, self.port
        if m is None or port is None or not m.groups:
            self.text = Text("no pods to draw" if m is not None else "…")
            self.update(self.text)
            return
        cols, rows, w = self._columns(), self._rows(), self.cell_width
        out = Text()
        out.append(f"port {port.text}", style="bold")
        out.append(f" ({self.cursor.port + 1} of {len(m.ports)}; ←/→ past the edge: next port)", style="dim")
        if cols.stop < len(m.groups) or cols.start > 0:
            out.append(f" columns G{cols.start + 1}-G{cols.stop} of {len(m.groups)}", style="dim")
        out.append("\n")
        out.append(CORNER.ljust(LABEL_WIDTH))
        for j in cols:  # column headers are the groups' numbers: "G12" would fill the cell
            out.append(f"{m.groups[j].name[1:]:^{w}}", style="bold")
        for i in rows:
            g = m.groups[i]
            out.append("\n")
            out.append(f"{g.name:<4}", style="bold")
            out.append(data_text(g.label[:LABEL_WIDTH - 5].ljust(LABEL_WIDTH - 4)))
            for j in cols:
                cell = m.cell(g.id, m.groups[j].id, port)
                sign = mark(cell.verdict) if cell is not None else " "
                style = {"✓": "green", "✗": "red"}.get(sign, "yellow")
                if (i, j) == (self.cursor.row, self.cursor.col):
                    out.append(f"[{sign}]".center(w), style=f"bold reverse {style}")
                else:
                    out.append(sign.center(w), style=style)
        if rows.stop < len(m.groups) or rows.start > 0:
            out.append(f"\n(rows G{rows.start + 1}-G{rows.stop} of {len(m.groups)})", style="dim")
        self.text = out
        self.update(out)


class PolicyPane(SectionedPane):
    PANE_ID = "policy"
    TITLE = "Policy"
    KEY = "7"
    EXPLAIN = EXPLAIN
    NEEDS = ("NetworkPolicy", "Pod", "Namespace")
    SECTIONS = (("matrix", "Matrix"), ("policies", "Policies"), ("test", "Test"))
    PANE_KEYS = (
        ("arrows", "move over the matrix cells (past the right edge: the next port)"),
        ("enter", "explain the cell: both sides, the rule that allows or the policies that isolate"),
        ("t", "the test box: source (NS/POD or ip:ADDRESS), destination, port[/PROTOCOL]"),
        (":policy check A B --port N", "the same question from the command line"),
        ("[ / ]", "previous / next section: Matrix, Policies, Test"),
        ("e", "how NetworkPolicy decides, in short"),
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "test_box", "Test", id="policy.test"),
    ]
    DEFAULT_CSS = """
    PolicyPane #policy-matrix { height: auto; padding: 0 1; }
    PolicyPane #policy-matrix:focus { background: $boost; }
    PolicyPane #policy-test-row { height: 3; }
    PolicyPane #policy-test-row Input { width: 1fr; }
    PolicyPane #policy-test-row #policy-port { width: 14; }
    """

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.model: PolicyModel | None = None
        self.explained: CheckModel | None = None
        self.explained_cell: CellRow | None = None
        self.tested: Text | None = None

    def compose_sections(self) -> ComposeResult:
        with Vertical(id=self.section_id("matrix"), classes="section"):
            yield Static(id="policy-notice", classes="one-line")
            yield PolicyMatrix(id="policy-matrix")
            yield Static(id="policy-cell", classes="one-line")
            with VerticalScroll(id="policy-explain-box"):
                yield Static(id="policy-explain", classes="section-text")
        with VerticalScroll(id=self.section_id("policies"), classes="section"):
            yield Static(id="policy-list", classes="section-text")
        with Vertical(id=self.section_id("test"), classes="section"):
            with Horizontal(id="policy-test-row"):
                yield Input(placeholder="source NS/POD or ip:A", id="policy-src")
                yield Input(placeholder="destination", id="policy-dst")
                yield Input(placeholder="port[/UDP]", id="policy-port")
            with VerticalScroll(id="policy-result-box"):
                yield Static(id="policy-result", classes="section-text")

    # -- rendering ---------------------------------------------------------------------------------

    def render_model(self, observed: Any, model: PolicyModel) -> None:
        self.model = model
        self.query_one(PolicyMatrix).set_model(model)
        self.say("policy-notice", self._notice_text(model))
        self.say("policy-list", self._policies_text(model))
        if self.explained_cell is not None:  # the state changed: the answer may have too
            self._explain(self.explained_cell)
        self._draw_cell()
        self._draw_explanation()
        self._draw_result()

    def _notice_text(self, model: PolicyModel) -> Text:
        out = Text()
        out.append(data_text(model.namespace, style="bold"))
        out.append(": ")
        out.append(data_text(model.notice))
        if model.not_evaluated:
            out.append(f" · ⚠ {len(model.not_evaluated)} not evaluated (see Policies)", style="yellow")
        if model.truncated:
            out.append(" · only the first pods are drawn", style="yellow")
        return out

    def _policies_text(self, model: PolicyModel) -> Text:
        out: list[Text] = [heading("Policies")]
        if not model.policies:
            out.append(Text("  ").append(data_text(model.notice)))
        for p in model.policies:
            entry = Text("  ")
            entry.append(data_text(p.key, style="bold"))
            entry.append(": ")
            entry.append(data_text(p.text))
            out.append(entry)
            out += [Text("    ").append(data_text(r)) for r in p.rules]
            out += [Text("    ⚠ ").append(data_text(f"{pr.path}: {pr.message}")) for pr in p.problems]
        out += [Text(""), heading(f"Groups in {model.namespace}")]
        for g in model.groups:
            entry = Text("  ")
            entry.append(f"{g.name} ", style="bold")
            entry.append(data_text(f"{g.label} ({len(g.pods)} pod{'s' if len(g.pods) != 1 else ''})"))
            if g.common_labels:
                entry.append("  ")
                entry.append(data_text(", ".join(g.common_labels)))
            out += [entry, Text("    ").append(data_text(g.text))]
        if model.findings or model.not_evaluated:
            out += [Text(""), heading("Findings")]
            out += [Text("  ⚠ ").append(data_text(f)) for f in (*model.findings, *model.not_evaluated)]
        return lines(out)

    def _cell_words(self, cell: CellRow) -> Text:
        assert self.model is not None
        names = {g.id: g.name for g in self.model.groups}
        out = Text()
        out.append(f"{mark(cell.verdict)} {cell.verdict}", style="bold")
        out.append(f" {names.get(cell.src, '?')}→{names.get(cell.dst, '?')} {cell.port}/{cell.protocol}: ")
        out.append(data_text(cell.reason))
        return out

    def _draw_cell(self) -> None:
        cell = self.query_one(PolicyMatrix).current()
        text = self._cell_words(cell) if cell is not None and self.model is not None else Text("")
        text.append("\n")
        text.append("enter: explain · t: test box · [ ]: Policies, Test · e: how it works", style="dim")
        self.say("policy-cell", text)

    def _draw_explanation(self) -> None:
        if self.explained is None or self.explained_cell is None or self.model is None:
            self.say("policy-explain", Text(""))
            return
        cell = self.explained_cell
        groups = {g.id: g for g in self.model.groups}
        src, dst = groups.get(cell.src), groups.get(cell.dst)
        head = Text()
        if src is not None and dst is not None:
            head.append(f"{src.name} → {dst.name}", style="bold")
            head.append(data_text(f": worked out for {cell.src_pod} → {cell.dst_pod}; every pod of "
                                  f"{src.name} and {dst.name} gets the same answer"))
        self.say("policy-explain", lines([head, *self._check_lines(self.explained)]))

    @staticmethod
    def _check_lines(result: CheckModel) -> list[Text]:
        out = []
        for i, words in enumerate(result.explanation):
            style = "bold" if i == 0 else ""
            out.append(Text(mark(result.verdict) + " ", style="bold") + data_text(words, style=style)
                       if i == 0 else data_text(words, style=style))
        return out

    def _draw_result(self) -> None:
        self.say("policy-result", self.tested or Text(
            "Type a source and a destination (NS/POD or ip:ADDRESS) and a port (80, 53/UDP, or a "
            "port name of the destination pod); enter in any box runs the check.", style="dim"))

    # -- the matrix cursor -------------------------------------------------------------------------

    @on(PolicyMatrix.Moved)
    def _moved(self, event: PolicyMatrix.Moved) -> None:
        self._draw_cell()

    @on(PolicyMatrix.Picked)
    def _picked(self, event: PolicyMatrix.Picked) -> None:
        if event.cell is not None:
            self._explain(event.cell)
            self._draw_explanation()

    def _explain(self, cell: CellRow) -> None:
        if self.observed is None:
            return
        self.explained_cell = cell
        try:
            self.explained = check(self.observed, cell.src_pod, cell.dst_pod, cell.port, cell.protocol)
        except K8snetError:  # the pods left with the last update
            self.explained, self.explained_cell = None, None

    def drill_in(self) -> bool:
        if self.section != "matrix":
            return False
        self.query_one(PolicyMatrix).action_pick()
        return True

    # -- the test box ------------------------------------------------------------------------------

    def action_test_box(self) -> None:
        cell = self.query_one(PolicyMatrix).current()
        src, dst = self.query_one("#policy-src", Input), self.query_one("#policy-dst", Input)
        if cell is not None and not src.value and not dst.value:
            src.value, dst.value = cell.src_pod, cell.dst_pod
            self.query_one("#policy-port", Input).value = f"{cell.port}/{cell.protocol}"
        self.show_section("test", focus=False)
        self.call_after_refresh(src.focus)

    @on(Input.Submitted, "#policy-src, #policy-dst, #policy-port")
    def _test_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        port_text = self.query_one("#policy-port", Input).value.strip()
        number, _, protocol = port_text.partition("/")
        self.run_test(self.query_one("#policy-src", Input).value.strip(),
                      self.query_one("#policy-dst", Input).value.strip(), number or None, protocol or "TCP")

    def run_test(self, src: str, dst: str, port: str | None, protocol: str) -> None:
        if self.observed is None:
            return
        if not src or not dst:
            self.tested = Text("give both a source and a destination")
        else:
            try:
                result = check(self.observed, src, dst, number if (number := parse_decimal(port)) is not None else port,
                               protocol)
                self.tested = lines(self._check_lines(result))
                self.context.notify(result.explanation[0], title="policy check")
            except K8snetError as exc:
                self.tested = Text("✗ ", style="bold").append(data_text(exc.message))
                if exc.hint:
                    self.tested.append("\n").append(data_text(exc.hint, style="dim"))
        self._draw_result()

    # -- what the app forwards ---------------------------------------------------------------------

    def handle_command(self, verb: str, arg: str) -> None:
        """`:policy check SRC DST [--port N] [--protocol P]` fills the test box and runs it;
        `:policy` alone (or `:7`) comes home to the matrix."""
        if verb == "policy" and arg.split()[:1] == ["check"]:
            from k8snet_tui import grammar

            try:
                cmd = grammar.parse(["policy", *grammar.split_line(arg)])
            except K8snetError as exc:
                self.tested = data_text(exc.message)
                cmd = None
            if cmd is not None and cmd.src:
                self.query_one("#policy-src", Input).value = cmd.src
                self.query_one("#policy-dst", Input).value = cmd.dst
                port = (cmd.port or "") + (f"/{cmd.protocol}" if cmd.protocol else "")
                self.query_one("#policy-port", Input).value = port
                self.run_test(cmd.src, cmd.dst, cmd.port, cmd.protocol or "TCP")
            self._draw_result()
            self.show_section("test")
            return
        self.show_section("matrix")

    def depth(self) -> int:
        return 1 if self.section != "matrix" or self.explained is not None else 0

    def go_back(self) -> bool:
        if self.section != "matrix":
            self.show_section("matrix")
            return True
        if self.explained is not None:
            self.explained, self.explained_cell = None, None
            self._draw_explanation()
            return True
        return False

    def plain_text(self) -> str:
        if self.model is None:
            return self.TITLE
        return "\n\n".join([self.TITLE, self._notice_text(self.model).plain, self.query_one(PolicyMatrix).text.plain,
                            self._policies_text(self.model).plain])

"""Pane 6: Ingress: every way into the cluster, the route table, and "where does this URL go?".

The model (`present.ingress`: entry points, the route table's rows in words, findings) is built
by the pane contract; the tester (`route_url`) runs as a job. Both are pure domain work, off
the UI thread on a large cluster. `enter` asks the navigator for the Service's trace, so `esc`
there comes back here. Everything cluster-derived is shown through `data_text`, never markup.

Layout (usable at 80x24): the tester row (URL box + entry choice) docked at the top, one line
of view tabs, then one of four views: routes, entry points, findings, the last test result.
The tester row comes last in the DOM so that activating the pane focuses the current view,
not the URL box (which would swallow the app's 1-6 keys); after a test the focus leaves the
box for the result, for the same reason.
"""

from __future__ import annotations

import contextlib
from typing import ClassVar

from rich.text import Text
from textual import on
from textual._widget_navigation import Direction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import ContentSwitcher, Input, Select, Static
from textual.widgets._select import SelectCurrent, SelectOverlay  # no public names for them (Textual 8.2)

from k8snet_tui.domain.model import Observed
from k8snet_tui.domain.routes import Finding, RouteResult, UrlError, parse_url, route_url
from k8snet_tui.present.ingress import (
    ENTRY_COLUMNS,
    ROUTE_COLUMNS,
    SEVERITY_SIGN,
    STATUS_WORDS,
    IngressModel,
    ResultLine,
    TableRow,
    result_lines,
    severity_word,
    sorted_findings,
    trace_target,
    url_error_lines,
)
from k8snet_tui.screens import explain_text
from k8snet_tui.screens.base import Pane
from k8snet_tui.screens.context import PaneContext
from k8snet_tui.widgets.resource_table import ResourceTable
from k8snet_tui.widgets.row_card import KEY_HELP, RowCard
from k8snet_tui.widgets.safe import data_text

VIEWS = (  # (view id, key, label)
    ("routes", "r", "Routes"),
    ("entries", "p", "Entry points"),
    ("findings", "f", "Findings"),
    ("result", "v", "Test result"),
)
SEVERITY_STYLE = {"error": "bold", "warning": "", "info": "dim"}

def _finding_line(f: Finding) -> Text:
    line = Text()
    line.append(f"{SEVERITY_SIGN.get(f.severity, '·')} {severity_word(f.severity):<7} ", style="bold")
    line.append_text(data_text(f.subject))
    line.append(": ")
    line.append_text(data_text(f.message))
    line.append("  ")
    line.append_text(data_text(f"[{f.code}]", style="dim"))
    return line


NAME_COLUMN = 1  # `name` in both of the pane's tables


def name_first(ref: str) -> Text:
    """`ns/name` drawn as `name (ns)`: a narrow table cuts a cell's end, and routes in one
    namespace (`default/web-ingress`, `default/website`) were all cut to the same `default/w…`."""
    ns, slash, name = ref.partition("/")
    if not slash or not ns or not name:
        return data_text(ref or None)
    return data_text(name) + Text(" (") + data_text(ns, style="dim") + Text(")")


def _cells(row: TableRow, health_column: int | None = None, *, names_first: bool = False) -> tuple[Text, ...]:
    """A presenter row as inert cells; the health cell styled by its worst severity; with
    `names_first` (the route table) the name shown name first."""
    return tuple(name_first(c) if names_first and i == NAME_COLUMN else
                 data_text(c if c not in ("", "—") else None,
                           style=SEVERITY_STYLE.get(row.severity, "") if i == health_column else "")
                 for i, c in enumerate(row.cells))


def render_lines(lines: tuple[ResultLine, ...]) -> Text:
    """The tester's answer (`present.ingress.result_lines`) as styled, inert text."""
    out = Text()
    for i, line in enumerate(lines):
        if i:
            out.append("\n")
        if line.kind in ("row", "status"):
            if line.label or line.kind == "row":
                out.append(f"{line.label:<10}", style="bold")
            if line.kind == "status":  # the whole status line stands out, its reason too
                out.append_text(data_text(f"{line.text}  {line.note}" if line.note else line.text,
                                          style="bold reverse"))
            else:
                if line.text or not line.note:
                    out.append_text(data_text(line.text or None))
                if line.note:
                    out.append("   " if line.text else "", style="dim")
                    out.append_text(data_text(line.note, style="dim"))
        elif line.kind == "heading":
            out.append(line.text, style="bold underline")
        elif line.kind in ("yes", "no"):
            out.append("  yes " if line.kind == "yes" else "  no  ", style="bold" if line.kind == "yes" else "")
            out.append_text(data_text(line.text))
        elif line.kind == "finding":
            out.append("  ")
            out.append(line.label, style="bold")
            out.append_text(data_text(line.text))
            out.append("  ")
            out.append_text(data_text(line.note, style="dim"))
        elif line.kind == "text":
            out.append_text(data_text(line.text))
    out.rstrip()
    return out


def render_result(result: RouteResult, typed: str) -> Text:
    return render_lines(result_lines(result, typed))


def render_url_error(typed: str, part: str, message: str) -> Text:
    return render_lines(url_error_lines(typed, part, message))


def default_base(view: IngressModel | None) -> str | None:
    """For a bare /PATH: the first ingress controller's HTTP node port on the first node address."""
    if view is None:
        return None
    controllers = [e.target for e in view.entry_points if e.kind == "IngressController" and e.target]
    node_ports = [e for e in view.entry_points if e.kind == "NodePort" and e.name in controllers and e.addresses]
    node_ports.sort(key=lambda e: (controllers.index(e.name), not e.port.startswith("80:")))
    for e in node_ports:
        try:  # addresses come from the cluster: use one only if it makes a URL
            return parse_url(f"http://{e.addresses[0]}").text().rstrip("/")
        except UrlError:
            continue
    return None


def intro_text(base: str | None) -> Text:
    text = Text("No URL tested yet. Press t, type a URL such as http://HOST:PORT/PATH and press enter.")
    if base:
        text.append("\nA bare /PATH is sent to ")
        text.append_text(data_text(base))
        text.append(" (the first ingress controller's node port).")
    text.append("\nPress c to choose the entry (IngressClass, Listener, Gateway); by default the URL's host "
                "and port decide it.")
    return text


class _ScrollView(VerticalScroll, can_focus=True):
    """A focusable scrolling text view (findings, the test result)."""


class _EntryOverlay(SelectOverlay):
    """In Textual 8.2 a page key in a Select's list before the list is laid out (`c`, then pgdn
    at once) raises KeyError and ends the app; the monkey test found it. The move is dropped:
    the list is drawn a frame later (as for the command palette, screens/modals.py)."""

    def _move_page(self, direction: Direction) -> None:
        with contextlib.suppress(KeyError, IndexError):
            super()._move_page(direction)


class _EntrySelect(Select[str]):
    def compose(self) -> ComposeResult:
        yield SelectCurrent(self.prompt)
        yield _EntryOverlay(type_to_search=self._type_to_search).data_bind(compact=Select.compact)


class IngressPane(Pane):
    PANE_ID = "ingress"
    TITLE = "Ingress"
    KEY = "6"
    EXPLAIN = explain_text.INGRESS
    NEEDS = ("Service", "Ingress", "IngressClass")
    PANE_KEYS = (
        ("t", "type a URL to test; enter runs it (a bare /PATH goes to the first controller's node port)"),
        ("c", "choose the entry: an IngressClass, Listener or Gateway, or auto from the URL"),
        ("r / p / f / v", "show routes / entry points / findings / the last test result"),
        ("enter", "on a route, entry point or test result: trace its Service in the Services pane"),
        ("/", "filter the route table"),
        ("w", KEY_HELP),
        ("esc", "leave the URL box; back to the routes"),
        (":route URL", "fill in the tester and run it"),
    )

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "focus_tester", "Test URL", id="ingress.tester"),
        Binding("c", "choose_entry", "Entry", id="ingress.entry", show=False),
        Binding("r", "show_view('routes')", "Routes", id="ingress.routes", show=False),
        Binding("p", "show_view('entries')", "Entry points", id="ingress.entries", show=False),
        Binding("f", "show_view('findings')", "Findings", id="ingress.findings", show=False),
        Binding("v", "show_view('result')", "Result", id="ingress.result", show=False),
        Binding("enter", "drill_in", "Trace", id="ingress.trace", show=False),
        Binding("w", "whole_row", "Whole row", id="ingress.row"),
    ]

    DEFAULT_CSS = """
    IngressPane #ing-tester { dock: top; height: 3; }
    IngressPane #ing-url { width: 1fr; }
    IngressPane #ing-entry { width: 30; }
    IngressPane #ing-tabs { height: 1; padding: 0 1; }
    IngressPane #ing-views { height: 1fr; }
    IngressPane #ing-views > * { height: 1fr; }
    IngressPane .ing-text { padding: 0 1; }
    """

    def __init__(self, context: PaneContext) -> None:
        super().__init__(context)
        self.view: IngressModel | None = None
        self.result: RouteResult | None = None
        self.result_text: Text = intro_text(None)
        self.view_error: str | None = None
        self._rules: dict[str, TableRow] = {}
        self._entries: dict[str, TableRow] = {}
        self._entry_options: list[tuple[str, str]] = []
        self._pending: tuple[str, str | None] | None = None
        self._last_test: tuple[str, str | None] | None = None
        self._namespace: str | None = None
        self._current = "routes"

    # -- layout --------------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        yield Static(id="ing-tabs")
        with ContentSwitcher(id="ing-views", initial="ing-view-routes"):
            yield ResourceTable(ROUTE_COLUMNS, id="ing-view-routes")
            yield ResourceTable(ENTRY_COLUMNS, id="ing-view-entries")
            with _ScrollView(id="ing-view-findings"):
                yield Static(Text("loading…"), id="ing-findings", classes="ing-text")
            with _ScrollView(id="ing-view-result"):
                yield Static(self.result_text, id="ing-result", classes="ing-text")
        yield RowCard(id="ing-row")  # `w`: the selected route or entry point whole
        # Last in the DOM (docked on top): the pane's first focus goes to the current view.
        with Horizontal(id="ing-tester"):
            yield Input(placeholder="t: a URL or /PATH to test; enter runs it", id="ing-url")
            yield _EntrySelect([], prompt="entry: auto (from URL)", allow_blank=True, id="ing-entry")

    def on_mount(self) -> None:
        self._render_tabs()

    @property
    def routes_table(self) -> ResourceTable:
        return self.query_one("#ing-view-routes", ResourceTable)

    @property
    def entries_table(self) -> ResourceTable:
        return self.query_one("#ing-view-entries", ResourceTable)

    @property
    def url_input(self) -> Input:
        return self.query_one("#ing-url", Input)

    @property
    def entry_select(self) -> Select[str]:
        return self.query_one("#ing-entry", Select)

    @property
    def current_view(self) -> str:
        return self._current

    def _render_tabs(self) -> None:
        counts = {
            "routes": len(self._rules), "entries": len(self._entries),
            "findings": len(self.view.findings) if self.view else 0,
        }
        line = Text()
        for i, (view_id, key, label) in enumerate(VIEWS):
            if i:
                line.append(" │ ", style="dim")
            current = view_id == self._current
            extra = f" {counts[view_id]}" if view_id in counts else ""
            if view_id == "result" and self.result is not None:
                extra = f": {STATUS_WORDS.get(self.result.status, (self.result.status,))[0].split(' ', 1)[1]}"
            text = f"{'▸' if current else ' '}{key} {label}{extra}"
            line.append(text, style="bold reverse" if current else "")
        if self._namespace:
            line.append("   ns: ", style="dim")
            line.append_text(data_text(self._namespace))
        flt = self.routes_table.filter_text if self.is_mounted else ""
        if flt:
            line.append("   filter: ", style="dim")
            line.append_text(data_text(flt))
        self.query_one("#ing-tabs", Static).update(line)

    def show_view(self, view_id: str, focus: bool = True) -> None:
        self._current = view_id
        self.query_one("#ing-views", ContentSwitcher).current = f"ing-view-{view_id}"
        self._render_tabs()
        self._draw_row_card()
        if focus:
            self.query_one(f"#ing-view-{view_id}").focus()

    # -- data ----------------------------------------------------------------------------------

    def render_model(self, observed: Observed, model: IngressModel) -> None:
        self.view_error = None
        self._namespace = model.namespace
        self.view = model
        self._rules = {r.key: r for r in model.route_rows}
        self.routes_table.set_rows((r.key, _cells(r, health_column=7, names_first=True)) for r in model.route_rows)
        self._entries = {r.key: r for r in model.entry_rows}
        self.entries_table.set_rows((r.key, _cells(r)) for r in model.entry_rows)
        self.query_one("#ing-findings", Static).update(self._findings_text(model))
        self._update_entry_choices(model)
        self._draw_row_card()
        if self.result is None and not self.url_input.value:
            self.result_text = intro_text(default_base(model))
            self.query_one("#ing-result", Static).update(self.result_text)
        self._render_tabs()
        if self._last_test is not None:  # new data: the last answer may have changed; keep the user's place
            typed, entry = self._last_test
            self._start_test(observed, typed, entry, quiet=True)

    def _findings_text(self, view: IngressModel) -> Text:
        if not view.findings:
            text = Text("✓ no findings: every rule points at a Service with ready endpoints.")
        else:
            text = Text()
            for i, f in enumerate(sorted_findings(view.findings)):
                if i:
                    text.append("\n")
                text.append_text(_finding_line(f))
        if not view.rules:
            text.append("\n\nNo Ingress, Mapping or HTTPRoute objects were read: the route table is empty.")
        return text

    def _update_entry_choices(self, view: IngressModel) -> None:
        options: list[tuple[str, str]] = []
        for e in view.entry_points:
            if e.kind == "IngressController":
                options.append((f"IngressClass {e.name}", f"IngressClass/{e.name}"))
            elif e.kind in ("Listener", "Gateway"):
                options.append((f"{e.kind} {e.name}", f"{e.kind}/{e.name}"))
        options = list(dict.fromkeys(options))
        if options == self._entry_options:
            return
        self._entry_options = options
        select = self.entry_select
        keep = select.value
        select.set_options((data_text(label), value) for label, value in options)
        if keep in {v for _, v in options}:
            select.value = keep

    # -- the route tester ------------------------------------------------------------------------

    def _entry(self) -> str | None:
        value = self.entry_select.value
        return value if isinstance(value, str) and value else None

    def run_test(self, typed: str | None = None) -> None:
        typed = self.url_input.value if typed is None else typed
        if not typed.strip():
            self.result, self.result_text = None, render_url_error(typed, "url", "empty: type a URL first")
            self._last_test = None
            self.jobs.cancel("route")  # a test still running must not overwrite this answer
            self._show_result()
            return
        observed = self.observed
        if observed is None:
            self._pending = (typed, self._entry())
            return
        self._last_test = (typed, self._entry())
        self.query_one("#ing-result", Static).update(data_text(f"testing {typed.strip()} …"))
        self.show_view("result", focus=False)
        self._start_test(observed, typed, self._entry(), quiet=False)

    def _start_test(self, observed: Observed, typed: str, entry: str | None, *, quiet: bool) -> None:
        view = self.view

        def test() -> tuple[RouteResult | None, Text]:
            url = typed.strip()
            try:
                if url.startswith("/"):
                    base = default_base(view if view is not None else self.build_model(observed))
                    url = (base or "") + url  # without a base the parser says the host is missing
                result = route_url(observed.cluster, url, entry, cloud=observed.cloud)
                return result, render_result(result, typed)
            except UrlError as exc:
                return None, render_url_error(typed, exc.part, str(exc).split(": ", 1)[-1])

        def failed(exc: Exception) -> None:  # a domain bug shows in words, never kills the pane
            self._apply_result(None, render_url_error(typed, "url", f"the tester failed: {type(exc).__name__}: {exc}"),
                               quiet)

        self.jobs.start("route", test, lambda answer: self._apply_result(*answer, quiet), failed=failed,
                        description="route tester")

    def _apply_result(self, result: RouteResult | None, text: Text, quiet: bool) -> None:
        self.result, self.result_text = result, text
        if quiet:  # a refresh of the last test after new data: no jump, no scroll
            self.query_one("#ing-result", Static).update(self.result_text)
            self._render_tabs()
        else:
            self._show_result()

    def _show_result(self) -> None:
        self.query_one("#ing-result", Static).update(self.result_text)
        self.query_one("#ing-view-result", _ScrollView).scroll_home(animate=False)
        # The focus goes to the result, out of the URL box: there the app's keys (`4`, `q`) would be
        # typed into the box. `t` goes back to it.
        self.show_view("result", focus=not self.entry_select.has_focus)

    @on(Input.Submitted, "#ing-url")
    def _url_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.run_test(event.value)

    @on(Select.Changed, "#ing-entry")
    def _entry_changed(self, event: Select.Changed) -> None:
        event.stop()
        if self.url_input.value.strip() and self.result_text is not None and self.result is not None:
            self.run_test()

    def handle_command(self, verb: str, arg: str) -> None:
        if verb == "route" and arg:
            self.url_input.value = arg
            self.run_test(arg)

    def show_observed(self, observed: Observed) -> None:
        super().show_observed(observed)
        if self._pending is not None:
            typed, _ = self._pending
            self._pending = None
            self.run_test(typed)

    # -- keys ------------------------------------------------------------------------------------

    def action_focus_tester(self) -> None:
        self.url_input.focus()

    def action_choose_entry(self) -> None:
        select = self.entry_select
        select.focus()
        select.action_show_overlay()

    def action_show_view(self, view_id: str) -> None:
        self.show_view(view_id)

    def action_drill_in(self) -> None:
        self.drill_in()

    def action_whole_row(self) -> None:
        self.query_one("#ing-row", RowCard).toggle()
        self._draw_row_card()

    def _draw_row_card(self) -> None:
        card = self.query_one("#ing-row", RowCard)
        if self._current == "routes":
            card.show_row(ROUTE_COLUMNS, self.routes_table, "route")
        elif self._current == "entries":
            card.show_row(ENTRY_COLUMNS, self.entries_table, "entry point")
        else:
            card.show_row((), None, "row")

    def on_resource_table_row_highlighted(self, event: ResourceTable.RowHighlighted) -> None:
        self._draw_row_card()

    @on(ResourceTable.RowSelected)
    def _row_selected(self, event: ResourceTable.RowSelected) -> None:
        event.stop()
        self.drill_in()

    def apply_filter(self, text: str) -> None:
        self.routes_table.set_filter(text)
        if text and self._current != "routes":
            self.show_view("routes", focus=False)
        self._render_tabs()

    def _trace(self, service: str | None, why_not: str) -> bool:
        if service is None:
            self.context.notify(why_not, title="trace", severity="warning")
            return False
        self.context.navigator.open_trace(service)  # esc in the trace comes back here
        return True

    def drill_in(self) -> bool:
        if self._current in ("routes", "entries"):
            table, rows = ((self.routes_table, self._rules) if self._current == "routes"
                           else (self.entries_table, self._entries))
            key = table.selected_key()
            row = rows.get(key) if key else None
            if row is None:
                return False
            return self._trace(row.trace, row.why_not)
        if self._current == "result":
            if self.result is None or self.result.matched is None:
                self.context.notify("no rule matched: there is no backend to trace", title="trace", severity="warning")
                return False
            return self._trace(*trace_target(self.result.matched.backends))
        return False

    def go_back(self) -> bool:
        if self.url_input.has_focus or self.entry_select.has_focus:
            self.show_view(self._current)
            return True
        if self._current != "routes":
            self.show_view("routes")
            return True
        return False

    def plain_text(self) -> str:
        parts = [f"{self.KEY} {self.TITLE}"]
        parts.append("== Test result ==")
        parts.append(self.result_text.plain)
        flt = self.routes_table.filter_text
        parts.append("== Routes" + (f" (filter: {flt})" if flt else "") + " ==")
        parts.append(self.routes_table.plain_text())
        parts.append("== Entry points ==")
        parts.append(self.entries_table.plain_text())
        parts.append("== Findings ==")
        parts.append(self._findings_text(self.view).plain if self.view else (self.view_error or "not read yet"))
        return "\n".join(parts)

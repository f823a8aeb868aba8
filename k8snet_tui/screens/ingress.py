"""Pane 6: Ingress: every way into the cluster, the route table, and "where does this URL go?".

The view model (`views.build("ingress", ...)`) and the tester (`route_url`) are pure domain
functions; both run in a thread worker so a large cluster never stalls the event loop, and
their results come back with `call_from_thread`. Everything cluster-derived is shown through
`data_text`, never as markup.

Layout (usable at 80x24): the tester row (URL box + entry choice) docked at the top, one line
of view tabs, then one of four views: routes, entry points, findings, the last test result.
The tester row comes last in the DOM so that activating the pane focuses the current view,
not the URL box (which would swallow the app's 1-6 keys).
"""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import ContentSwitcher, Input, Select, Static
from textual.worker import get_current_worker

from k8snet_tui import views
from k8snet_tui.domain.model import Observed
from k8snet_tui.domain.routes import (
    EntryPoint,
    Finding,
    IngressView,
    RouteResult,
    RouteRule,
    UrlError,
    parse_url,
    route_url,
)
from k8snet_tui.domain.routes.backends import Backend
from k8snet_tui.domain.routes.rules import (
    ANY,
    ELEMENT_PREFIX,
    EXACT,
    REGEX,
    STRING_PREFIX,
)
from k8snet_tui.domain.routes.tester import NO_ENDPOINTS, NO_ROUTE, ROUTED
from k8snet_tui.screens import explain_text
from k8snet_tui.screens.base import Pane
from k8snet_tui.widgets.resource_table import ResourceTable
from k8snet_tui.widgets.safe import data_block, data_text

ROUTE_COLUMNS = ("kind", "name", "host", "match", "rewrite", "backend", "ready", "health", "via", "where")
ENTRY_COLUMNS = ("kind", "name", "port", "addresses", "target", "details")

VIEWS = (  # (view id, key, label)
    ("routes", "r", "Routes"),
    ("entries", "p", "Entry points"),
    ("findings", "f", "Findings"),
    ("result", "v", "Test result"),
)

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
SEVERITY_SIGN = {"error": "✗", "warning": "!", "info": "i"}

STATUS_WORDS = {
    ROUTED: ("✓ routed", "the request reaches a ready endpoint of the Service"),
    NO_ROUTE: ("✗ 404 no route", "no rule matches: the proxy answers 404 Not Found"),
    NO_ENDPOINTS: ("✗ 503 no endpoints", "a rule matches but its Service has no ready endpoint: the proxy answers 503"),
}

MATCH_WORDS = {
    EXACT: "exact", ELEMENT_PREFIX: "prefix, whole path elements", STRING_PREFIX: "string prefix",
    REGEX: "regex, whole path", ANY: "any path",
}


def _severity_word(severity: str) -> str:
    return severity.upper() if severity in SEVERITY_ORDER else "NOTE"


def _finding_line(f: Finding) -> Text:
    line = Text()
    line.append(f"{SEVERITY_SIGN.get(f.severity, '·')} {_severity_word(f.severity):<7} ", style="bold")
    line.append_text(data_text(f.subject))
    line.append(": ")
    line.append_text(data_text(f.message))
    line.append("  ")
    line.append_text(data_text(f"[{f.code}]", style="dim"))
    return line


def _sorted_findings(findings: tuple[Finding, ...] | list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: SEVERITY_ORDER.get(f.severity, 3))


def rule_findings(rule: RouteRule) -> list[Finding]:
    return list(rule.findings) + [f for b in rule.backends for f in b.findings]


def health_cell(findings: list[Finding]) -> Text:
    """Health in words with a sign in front: never colour alone."""
    if not findings:
        return Text("✓ ok")
    worst = min(findings, key=lambda f: SEVERITY_ORDER.get(f.severity, 3))
    words = ", ".join(dict.fromkeys(f.code.replace("-", " ") for f in _sorted_findings(findings)))
    style = {"error": "bold", "warning": "", "info": "dim"}.get(worst.severity, "")
    return data_text(f"{SEVERITY_SIGN.get(worst.severity, '·')} {words}", style=style)


def match_cell(rule: RouteRule) -> Text:
    if rule.match == ANY:
        return Text("any path (default backend)")
    if not rule.path:
        return Text("—", style="dim")
    kind = rule.path_type or MATCH_WORDS.get(rule.match, rule.match)
    return data_text(f"{rule.path} {kind}")


def rewrite_cell(rule: RouteRule) -> Text:
    if rule.kind == "Ingress" and rule.implementation == "emissary":
        return Text("/ (Emissary default)")
    if rule.regex_rewrite:
        return data_text(f"s/{rule.regex_rewrite[0]}/{rule.regex_rewrite[1]}/")
    if rule.rewrite is None:
        return Text("— (unchanged)", style="dim")
    if rule.rewrite_mode:
        return data_text(f"{rule.rewrite_mode} {rule.rewrite}")
    return data_text(rule.rewrite)


def backend_label(b: Backend) -> str:
    weight = f" (weight {b.ref.weight})" if b.ref.weight is not None else ""
    return f"{b.ref.label}{weight}"


def ready_cell(backends: tuple[Backend, ...]) -> Text:
    if not backends:
        return Text("—", style="dim")
    if all(b.ref.external for b in backends):
        return Text("external")
    if not any(b.service_found for b in backends):
        return Text("✗ no service")
    ready = sum(len(b.endpoints) for b in backends)
    waiting = sum(len(b.not_ready) for b in backends)
    text = f"{ready} ready" + (f", {waiting} not" if waiting else "")
    return Text(text if ready else f"✗ {text}")


def via_cell(rule: RouteRule) -> Text:
    if rule.kind == "HTTPRoute":
        return data_text(", ".join(rule.parents) or "no parent Gateway")
    parts = []
    if rule.ingress_class:
        parts.append(f"class {rule.ingress_class}")
    parts.append({"emissary": "Emissary", "spec": rule.controller or "controller",
                  "gateway": "Gateway"}.get(rule.implementation, "no controller"))
    if rule.tls:
        parts.append("TLS")
    return data_text(", ".join(parts))


def route_row(rule: RouteRule) -> tuple[Text, ...]:
    backend = ", ".join(backend_label(b) for b in rule.backends)
    return (
        data_text(rule.kind), data_text(rule.name), data_text(rule.host or "*"), match_cell(rule), rewrite_cell(rule),
        data_text(backend or None), ready_cell(rule.backends), health_cell(rule_findings(rule)), via_cell(rule),
        data_text(rule.where),
    )


def entry_row(e: EntryPoint) -> tuple[Text, ...]:
    details = "; ".join(e.details)
    if e.findings:
        details = "; ".join([details] if details else []) + ("; " if details else "") + "; ".join(
            f"{_severity_word(f.severity)}: {f.message}" for f in e.findings)
    return (data_text(e.kind), data_text(e.name), data_text(e.port or None), data_text(", ".join(e.addresses) or None),
            data_text(e.target), data_text(details or None))


def in_namespace(name: str, namespace: str | None) -> bool:
    """Lists narrow to the chosen namespace; cluster-scoped rows (no `ns/`) always show."""
    return not namespace or "/" not in name or name.split("/", 1)[0] == namespace


def _unique(key: str, seen: set[str]) -> str:
    out, n = key, 1
    while out in seen:
        n += 1
        out = f"{key}#{n}"
    seen.add(out)
    return out


def service_of_target(target: str | None) -> str | None:
    """`ns/name[:port]` (an entry point's target) -> `ns/name`."""
    if not target or "/" not in target:
        return None
    ns, _, rest = target.partition("/")
    name = rest.split(":", 1)[0]
    return f"{ns}/{name}" if ns and name and "/" not in name else None


def trace_target(backends: tuple[Backend, ...]) -> tuple[str | None, str]:
    """The Service to trace for these backends, or why there is none (in words)."""
    if not backends:
        return None, "this rule has no backend to trace"
    b = backends[0]
    if b.ref.external:
        return None, f"backend {b.ref.external} is not a Service in this cluster"
    if not b.service_found:
        return None, f"Service {b.ref.namespace}/{b.ref.name} does not exist: nothing to trace"
    return f"{b.ref.namespace}/{b.ref.name}", ""


def render_result(result: RouteResult, typed: str) -> Text:
    out = Text()

    def row(label: str, value: Text | str) -> None:
        out.append(f"{label:<10}", style="bold")
        out.append_text(value if isinstance(value, Text) else data_text(value))
        out.append("\n")

    row("URL", data_text(result.url))
    if typed.strip() != result.url:
        out.append(" " * 10)
        out.append_text(data_text(f"(you typed {typed.strip()})", style="dim"))
        out.append("\n")
    row("Entry", data_text(result.entry or "unknown: each controller's rules were tried"))
    words, why = STATUS_WORDS.get(result.status, (result.status, ""))
    status = Text(words, style="bold reverse")
    status.append(f"  {why}", style="")
    row("Status", status)
    m = result.matched
    if m is None:
        row("Rule", Text("none matched (see why each candidate lost below)"))
    else:
        rule = Text()
        rule.append_text(data_text(f"{m.kind} {m.name}"))
        if m.path is not None:
            rule.append("  ")
            rule.append_text(data_text(f"{m.path} {m.path_type or ''}".rstrip()))
        if m.host:
            rule.append("  host ")
            rule.append_text(data_text(m.host))
        row("Rule", rule)
        row("Upstream", data_text(f"the pod receives the path {m.rewritten_path}"))
        for i, b in enumerate(m.backends):
            service = data_text(backend_label(b))
            if i == 0:
                service.append("   (enter: trace it in Services)", style="dim")
            row("Service" if i == 0 else "", service)
            row("Endpoints", data_text(", ".join(b.endpoints) or ("none ready" + (f" ({len(b.not_ready)} not ready)" if b.not_ready else ""))))
            row("Pods", data_text(", ".join(b.pods) or None))
    out.append("\n")
    out.append(f"Candidates ({len(result.candidates)})\n", style="bold underline")
    if not result.candidates:
        out.append("  no rules in the cluster\n")
    for c in result.candidates:
        out.append("  yes " if c.matched else "  no  ", style="bold" if c.matched else "")
        out.append_text(data_text(f"{c.kind} {c.name}"))
        out.append(" — ")
        out.append_text(data_text(c.reason))
        out.append("\n")
    out.append("\n")
    out.append(f"Findings ({len(result.findings)})\n", style="bold underline")
    if not result.findings:
        out.append("  none\n")
    for f in _sorted_findings(result.findings):
        out.append("  ")
        out.append_text(_finding_line(f))
        out.append("\n")
    out.rstrip()
    return out


def render_url_error(typed: str, part: str, message: str) -> Text:
    out = Text()
    out.append("✗ cannot test this URL", style="bold reverse")
    out.append("\n\n")
    out.append("typed     ", style="bold")
    out.append_text(data_text(typed))
    out.append("\nwrong     ", style="bold")
    out.append_text(data_text(f"the {part}"))
    out.append("\nwhy       ", style="bold")
    out.append_text(data_text(message))
    out.append("\n\nA URL looks like http://HOST[:PORT]/PATH, e.g. http://NODE-IP:NODE-PORT/web/ ; "
               "a bare /PATH is sent to the first ingress controller's node port.")
    return out


def default_base(view: IngressView | None) -> str | None:
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
        ("esc", "leave the URL box; back to the routes"),
        (":route URL", "fill in the tester and run it"),
    )

    BINDINGS: ClassVar[list[Binding]] = [
        Binding("t", "focus_tester", "Test URL", id="ingress.tester"),
        Binding("c", "choose_entry", "Entry", id="ingress.entry", show=False),
        Binding("r", "show_view('routes')", "Routes", id="ingress.routes", show=False),
        Binding("p", "show_view('entries')", "Entry points", id="ingress.entries", show=False),
        Binding("f", "show_view('findings')", "Findings", id="ingress.findings", show=False),
        Binding("v", "show_view('result')", "Result", id="ingress.result", show=False),
        Binding("enter", "drill_in", "Trace", id="ingress.trace", show=False),
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

    def __init__(self) -> None:
        super().__init__()
        self.view: IngressView | None = None
        self.result: RouteResult | None = None
        self.result_text: Text = intro_text(None)
        self.view_error: str | None = None
        self._rules: dict[str, RouteRule] = {}
        self._entries: dict[str, EntryPoint] = {}
        self._entry_options: list[tuple[str, str]] = []
        self._pending: tuple[str, str | None] | None = None
        self._last_test: tuple[str, str | None] | None = None
        self._namespace: str | None = None
        self._view_gen = 0
        self._route_gen = 0
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
        # Last in the DOM (docked on top): the pane's first focus goes to the current view.
        with Horizontal(id="ing-tester"):
            yield Input(placeholder="t: a URL or /PATH to test; enter runs it", id="ing-url")
            yield Select([], prompt="entry: auto (from URL)", allow_blank=True, id="ing-entry")

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
    def entry_select(self) -> Select:
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
        if focus:
            self.query_one(f"#ing-view-{view_id}").focus()

    # -- data ----------------------------------------------------------------------------------

    def view_model(self, observed: Observed) -> Any:
        return views.build("ingress", observed)

    def render_view(self, observed: Observed) -> None:
        self._view_gen += 1
        self.run_worker(partial(self._build_in_thread, observed, self._view_gen), thread=True, exclusive=True,
                        group="ingress-view", name="ingress view", description="ingress view", exit_on_error=False)
        if self._last_test is not None:  # new data: the last answer may have changed; keep the user's place
            typed, entry = self._last_test
            self._route_gen += 1
            self.run_worker(partial(self._route_in_thread, observed, None, typed, entry, True, self._route_gen), thread=True,
                            exclusive=True, group="ingress-route", name="route tester", description="route tester",
                            exit_on_error=False)

    def _build_in_thread(self, observed: Observed, gen: int) -> None:
        worker = get_current_worker()
        try:
            view, error = views.build("ingress", observed), None
        except Exception as exc:  # noqa: BLE001 - one bad object must cost a message, not the pane
            view, error = None, f"could not build the ingress view: {type(exc).__name__}: {exc}"
        if not worker.is_cancelled:
            self.app.call_from_thread(self._apply_view, view, error, observed.cluster.namespace, gen)

    def _apply_view(self, view: IngressView | None, error: str | None, namespace: str | None, gen: int) -> None:
        if gen != self._view_gen:  # an older build finishing late: a newer one is on its way
            return
        self.view_error = error
        self._namespace = namespace
        if view is None:
            self.query_one("#ing-findings", Static).update(data_block(error or "no view"))
            self._render_tabs()
            return
        self.view = view
        seen: set[str] = set()
        self._rules = {}
        for rule in view.rules:
            if not in_namespace(rule.name, namespace):
                continue
            self._rules[_unique(f"{rule.kind}|{rule.name}|{rule.where}", seen)] = rule
        self.routes_table.set_rows((k, route_row(r)) for k, r in self._rules.items())
        seen = set()
        self._entries = {}
        for e in view.entry_points:
            if not in_namespace(e.name, namespace):
                continue
            self._entries[_unique(f"{e.kind}|{e.name}|{e.port}", seen)] = e
        self.entries_table.set_rows((k, entry_row(e)) for k, e in self._entries.items())
        self.query_one("#ing-findings", Static).update(self._findings_text(view))
        self._update_entry_choices(view)
        if self.result is None and not self.url_input.value:
            self.result_text = intro_text(default_base(view))
            self.query_one("#ing-result", Static).update(self.result_text)
        self._render_tabs()

    def _findings_text(self, view: IngressView) -> Text:
        if not view.findings:
            text = Text("✓ no findings: every rule points at a Service with ready endpoints.")
        else:
            text = Text()
            for i, f in enumerate(_sorted_findings(view.findings)):
                if i:
                    text.append("\n")
                text.append_text(_finding_line(f))
        if not view.rules:
            text.append("\n\nNo Ingress, Mapping or HTTPRoute objects were read: the route table is empty.")
        return text

    def _update_entry_choices(self, view: IngressView) -> None:
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
            self._route_gen += 1  # a test still running must not overwrite this answer
            self._show_result()
            return
        observed = self.observed
        if observed is None:
            self._pending = (typed, self._entry())
            return
        self._last_test = (typed, self._entry())
        self.query_one("#ing-result", Static).update(data_text(f"testing {typed.strip()} …"))
        self.show_view("result", focus=False)
        self._route_gen += 1
        self.run_worker(partial(self._route_in_thread, observed, self.view, typed, self._entry(), False,
                                self._route_gen), thread=True,
                        exclusive=True, group="ingress-route", name="route tester", description="route tester",
                            exit_on_error=False)

    def _route_in_thread(self, observed: Observed, view: IngressView | None, typed: str, entry: str | None,
                         quiet: bool, gen: int) -> None:
        worker = get_current_worker()
        result: RouteResult | None = None
        url = typed.strip()
        try:
            if url.startswith("/"):
                base = default_base(view if view is not None else views.build("ingress", observed))
                url = (base or "") + url  # without a base the parser says the host is missing
            result = route_url(observed.cluster, url, entry)
            text = render_result(result, typed)
        except UrlError as exc:
            text = render_url_error(typed, exc.part, str(exc).split(": ", 1)[-1])
        except Exception as exc:  # noqa: BLE001 - a domain bug must show in words, not kill the pane
            text = render_url_error(typed, "url", f"the tester failed: {type(exc).__name__}: {exc}")
        if not worker.is_cancelled:
            self.app.call_from_thread(self._apply_result, result, text, quiet, gen)

    def _apply_result(self, result: RouteResult | None, text: Text, quiet: bool, gen: int) -> None:
        if gen != self._route_gen:
            return
        self.result, self.result_text = result, text
        if quiet:  # a refresh of the last test after new data: no jump, no scroll
            self.query_one("#ing-result", Static).update(self.result_text)
            self._render_tabs()
        else:
            self._show_result()

    def _show_result(self) -> None:
        self.query_one("#ing-result", Static).update(self.result_text)
        self.query_one("#ing-view-result", _ScrollView).scroll_home(animate=False)
        self.show_view("result", focus=not (self.url_input.has_focus or self.entry_select.has_focus))

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
            self.app.notify(data_text(why_not), title="trace", severity="warning")
            return False
        self.app.run_command(f"trace {service}")
        return True

    def drill_in(self) -> bool:
        if self._current == "routes":
            key = self.routes_table.selected_key()
            rule = self._rules.get(key) if key else None
            if rule is None:
                return False
            return self._trace(*trace_target(rule.backends))
        if self._current == "entries":
            key = self.entries_table.selected_key()
            entry = self._entries.get(key) if key else None
            if entry is None:
                return False
            service = service_of_target(entry.target)
            return self._trace(service, f"{entry.kind} {entry.name} leads to no Service we know")
        if self._current == "result":
            if self.result is None or self.result.matched is None:
                self.app.notify("no rule matched: there is no backend to trace", title="trace", severity="warning")
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

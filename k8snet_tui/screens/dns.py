"""Pane 5: DNS. What a pod's resolver asks for a name, what CoreDNS should say, what it says.

The plan (queries in order, expected answers) comes from the pure domain
(`views.dns_lookup`), the names and the Corefile lines from the presenter (`present.dns`,
narrowed to the chosen namespace); this pane only renders them. In live mode the plan's
queries are then asked for real, as a job, through the context's network
(`context.network.query_dns`) against the pod's first nameserver, or against the server in
`K8SNET_DNS_SERVER` (`IP` or `IP:PORT`, for tests and debugging; `dns_server` on the pane
overrides both). The UI never waits on DNS: it says "asking ..." and attaches the answers when
they arrive. In snapshot mode nothing is asked.
"""

from __future__ import annotations

import ipaddress
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import ContentSwitcher, Input, OptionList, Static
from textual.widgets.option_list import Option

from k8snet_tui import views
from k8snet_tui.domain.dns import Actual
from k8snet_tui.domain.model import Observed, dig, dig_str, name_of, namespace_of
from k8snet_tui.present.dns import DnsModel
from k8snet_tui.screens import explain_text
from k8snet_tui.screens.base import Pane
from k8snet_tui.screens.context import PaneContext
from k8snet_tui.sources.dns_query import (
    DEFAULT_TIMEOUT,
    MAX_IN_FLIGHT,
    SERVER_ENV,
    ServerError,
    parse_server,
    server_override,
    show_server,
)
from k8snet_tui.widgets.resource_table import ResourceTable
from k8snet_tui.widgets.row_card import KEY_HELP, RowCard
from k8snet_tui.widgets.safe import data_block, data_text

RESOLVERS = ("glibc", "musl", "busybox")
QTYPES = ("A", "AAAA", "A+AAAA", "SRV", "PTR", "TXT", "CNAME")
VIEWS = {"plan": "plan", "resolv": "resolv.conf", "corefile": "Corefile", "names": "names"}
VIEW_KEYS = {"plan": "a", "resolv": "v", "corefile": "c", "names": "l"}
ANY_POD = "\x00any"

PLAN_COLUMNS = ("#", "live", "query", "type", "expected", "actual", "TTL", "ms", "why")
NAME_COLUMNS = ("name", "type", "kind", "answers", "note")


def _result(rcode: str | None, answers: tuple[str, ...]) -> str:
    if rcode is None:
        return "? unknown"
    if rcode == "NOERROR":
        return ", ".join(answers) if answers else "NODATA"
    return rcode


class PodPicker(ModalScreen[str | None]):
    """Pick the pod whose resolver does the lookup; the first entry is a generic ClusterFirst pod."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel", id="dns.pod.cancel")]

    def __init__(self, namespace: str, pods: list[tuple[str, Text]], current: str | None) -> None:
        super().__init__()
        self._namespace = namespace
        self._pods = pods
        self._current = current

    def compose(self) -> ComposeResult:
        options = [Option(Text("a ClusterFirst pod in ") + data_text(self._namespace, "italic"), id=ANY_POD)]
        options += [Option(label, id=key) for key, label in self._pods]
        with Vertical(id="dns-pod-box", classes="modal-box"):
            yield Static("Resolve as which pod? (enter picks, esc cancels)")
            yield OptionList(*options, id="dns-pod-list")

    def on_mount(self) -> None:
        olist = self.query_one(OptionList)
        keys = [k for k, _ in self._pods]
        olist.highlighted = keys.index(self._current) + 1 if self._current in keys else 0
        olist.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class DnsPane(Pane):
    PANE_ID = "dns"
    TITLE = "DNS"
    KEY = "5"
    EXPLAIN = explain_text.DNS
    NEEDS = ("Service", "EndpointSlice", "Pod", "ConfigMap")
    PANE_KEYS = (
        ("i", "type a name to look up (enter runs it, esc leaves the box)"),
        ("p", "pick the pod whose resolver asks (or a ClusterFirst pod in the namespace)"),
        ("r", "next resolver: glibc, musl (alpine), busybox (its own nslookup)"),
        ("t", "next query type: A, AAAA, A+AAAA, SRV, PTR, TXT, CNAME"),
        ("a", "the plan: each query in order, expected and (live) real answers"),
        ("v", "the pod's resolv.conf and how the kubelet derived it"),
        ("c", "the Corefile: server blocks, plugins, kubernetes plugin options"),
        ("l", "every service DNS name; enter looks one up"),
        ("g", "live: ask the DNS server again"),
        ("w", KEY_HELP + " (a long answer, cut with …, is whole here)"),
        ("/", "filter the plan and the names list"),
        (":dns NAME [TYPE] [RESOLVER]", "look NAME up from the command line"),
        ("esc", "leave the name box, or back to the plan"),
        ("✓ / ✗", "real answer matches / differs from the expected one; ◀ marks the answering query"),
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("i", "edit_name", "Name", id="dns.name"),
        Binding("p", "pick_pod", "Pod", id="dns.pod"),
        Binding("r", "next_resolver", "Resolver", id="dns.resolver"),
        Binding("t", "next_type", "Type", id="dns.type"),
        Binding("a", "show_view('plan')", "Plan", id="dns.view.plan", show=False),
        Binding("v", "show_view('resolv')", "resolv.conf", id="dns.view.resolv", show=False),
        Binding("c", "show_view('corefile')", "Corefile", id="dns.view.corefile", show=False),
        Binding("l", "show_view('names')", "Names", id="dns.view.names", show=False),
        Binding("g", "ask_again", "Ask again", id="dns.ask", show=False),
        Binding("w", "whole_row", "Whole row", id="dns.row"),
    ]

    DEFAULT_CSS = """
    #dns-controls { height: auto; padding: 0 1; }
    #dns-views { height: 1fr; }
    #dns-plan, #dns-names { height: 1fr; }
    #dns-summary { height: auto; max-height: 6; padding: 0 1; }
    #dns-names-hint { height: auto; padding: 0 1; }
    #dns-resolv-text, #dns-corefile-text { height: auto; padding: 0 1; }
    #dns-name { height: 3; }
    """

    def __init__(self, context: PaneContext) -> None:
        super().__init__(context)
        self.name_text = ""
        self.pod: str | None = None
        self.resolver = "glibc"
        self.qtype = "A"
        self.view_id = "plan"
        self.lookup: Any = None
        self.dns_view: DnsModel | None = None
        # Where real answers come from: this, else $K8SNET_DNS_SERVER, else the pod's nameserver.
        self.dns_server: str | None = None
        self.dns_timeout = DEFAULT_TIMEOUT
        self._asking: str | None = None
        self._asked: str | None = None
        self._ask_error: str | None = None
        self._asked_note = ""

    # -- layout --------------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        yield Static(id="dns-controls")
        with ContentSwitcher(id="dns-views", initial="dns-plan"):
            with Vertical(id="dns-plan"):
                yield Static(id="dns-summary")
                yield ResourceTable(PLAN_COLUMNS, id="dns-plan-table")
            with VerticalScroll(id="dns-resolv"):
                yield Static(id="dns-resolv-text")
            with VerticalScroll(id="dns-corefile"):
                yield Static(id="dns-corefile-text")
            with Vertical(id="dns-names"):
                yield Static(Text("every service DNS name: enter looks it up (/ filters)", style="dim"),
                             id="dns-names-hint")
                yield ResourceTable(NAME_COLUMNS, id="dns-names-table")
        yield RowCard(id="dns-row")  # `w`: the selected query or name whole (answers cut in the table)
        # Last in the DOM, so switching to the pane focuses the plan, not the box (digits stay pane keys).
        yield Input(placeholder="name to look up: i to type, enter runs it (e.g. website)", id="dns-name",
                    max_length=1024)

    # -- data ----------------------------------------------------------------------------------

    def build_model(self, observed: Observed) -> Any:
        dns_view: DnsModel = super().build_model(observed)  # names narrowed to the chosen namespace
        return dns_view, self._name_rows(dns_view)

    def render_model(self, observed: Observed, model: Any) -> None:
        self.dns_view, names = model
        self._plan(ask=False)
        self.query_one("#dns-names-table", ResourceTable).set_rows(names)
        self._render_corefile()
        self._draw_row_card()

    def _namespace(self) -> str:
        cluster = self.observed.cluster if self.observed else None
        return (cluster.namespace if cluster is not None and cluster.namespace else "default")

    def _pod_label(self) -> str:
        return self.pod if self.pod else f"a ClusterFirst pod in {self._namespace()}"

    def _plan(self, *, ask: bool) -> None:
        """(Re)build the plan from the current inputs; with `ask`, send its queries when live."""
        obs = self.observed
        if obs is None:
            return
        name = self.name_text
        asked_as = ""
        if self.qtype == "PTR":
            try:
                name = ipaddress.ip_address(name.strip()).reverse_pointer + "."
                asked_as = f"{self.name_text.strip()} asked as {name}"
            except ValueError:
                pass
        old = self.lookup
        self.lookup = views.dns_lookup(obs, name, pod=self.pod, namespace=None if self.pod else self._namespace(),
                                       resolver=self.resolver, qtype=self.qtype)
        self._asked_note = asked_as
        if ask:
            self.jobs.cancel("answers")  # answers still on their way are for an older question
            self._asking = None
            self._asked = None
            self._ask_error = None
            self._ask()
        elif old is not None:
            self.lookup = self._carry_over(old, self.lookup)
        self._render_all()

    @staticmethod
    def _carry_over(old: Any, new: Any) -> Any:
        """Keep real answers for the same queries when the plan is rebuilt from fresher API data."""
        known = {(q.fqdn, q.type): q.actual for q in old.queries if q.actual is not None}
        return new.with_actuals([known.get((q.fqdn, q.type)) for q in new.queries])

    def _server(self) -> tuple[str | None, str]:
        """(server to ask, where it came from)."""
        if self.dns_server:
            return self.dns_server, "chosen"
        env = server_override()
        if env:
            return env, SERVER_ENV
        servers = self.lookup.resolv_conf.nameservers if self.lookup is not None else ()
        if servers:
            return servers[0], "the pod's first nameserver"
        return None, ""

    def _ask(self) -> None:
        lookup = self.lookup
        if self.observed is None or self.observed.mode != "live" or lookup is None:
            return
        if not lookup.valid or not lookup.queries:
            return
        server, source = self._server()
        if server is None:
            self._ask_error = "the pod's resolv.conf has no nameserver: there is no server to ask"
            return
        try:
            ip, port = parse_server(server)
        except ServerError as exc:
            self._ask_error = f"cannot ask {source} {server}: {exc}"
            return
        where = show_server(ip, port)
        self._asking = f"{where} ({source})"
        pairs = [(q.fqdn, q.type) for q in lookup.queries]
        network, timeout = self.context.network, self.dns_timeout
        # A new question starts a new "answers" job: answers still on their way are dropped.
        self.jobs.start("answers",
                        lambda: network.query_dns(where, pairs, timeout=timeout, max_in_flight=MAX_IN_FLIGHT),
                        lambda actuals: self._attach_answers(where, pairs, list(actuals)),
                        failed=lambda exc: self._attach_answers(
                            where, pairs, [Actual(error=f"asking {where} failed: {exc}")] * len(pairs)),
                        description="DNS answers")

    def _attach_answers(self, where: str, pairs: list[tuple[str, str]], actuals: list[Actual]) -> None:
        if self.lookup is None:
            return
        got = dict(zip(pairs, actuals, strict=False))
        self.lookup = self.lookup.with_actuals([got.get((q.fqdn, q.type)) for q in self.lookup.queries])
        self._asked = self._asking or where
        self._asking = None
        self._render_all()

    # -- rendering -----------------------------------------------------------------------------

    def _render_all(self) -> None:
        self._render_controls()
        self._render_plan()
        self._render_resolv()

    def _render_controls(self) -> None:
        line = Text()
        line.append("pod ", style="dim")
        line.append_text(data_text(self._pod_label(), "bold"))
        line.append("  resolver ", style="dim")
        line.append(self.resolver, style="bold")
        line.append("  type ", style="dim")
        line.append(self.qtype, style="bold")
        line.append("\n")
        for vid, label in VIEWS.items():
            key = VIEW_KEYS[vid]
            if vid == self.view_id:
                line.append(f"▸{key} {label}", style="reverse bold")
            else:
                line.append(f" {key} {label}")
            line.append(" ")
        line.append(" ? help", style="dim")
        self.query_one("#dns-controls", Static).update(line)

    def _summary(self) -> Text:
        lk = self.lookup
        out = Text()
        if lk is None or not self.name_text.strip():
            out.append("Type a name to look up: press i, type it (e.g. website), then enter; "
                       "or pick one from the names list (l).")
            return out
        if not lk.valid:
            out.append("✗ not a name a resolver would send: ", style="bold")
            out.append_text(data_text("; ".join(lk.problems)))
            out.append("\nNo queries: nothing is planned or asked for an invalid name.")
            return out
        n = len(lk.queries)
        out.append_text(data_text(lk.name, "bold"))
        out.append(f" via {lk.resolver}: {n} quer{'y' if n == 1 else 'ies'}; ")
        if lk.answered_by is not None:
            out.append(f"#{lk.answered_by} ◀ answers")
        else:
            out.append("none is answered from cluster data")
        if lk.stop:
            out.append(" (")
            out.append_text(data_text(lk.stop))
            out.append(")")
        out.append(f"\nwasted queries: {lk.wasted}")
        for advice in lk.advice:
            out.append("\nadvice: ", style="bold")
            out.append_text(data_text(advice))
        if self._asked_note:
            out.append("\n")
            out.append_text(data_text(self._asked_note))
        out.append("\n")
        out.append_text(self._live_line())
        return out

    def _live_line(self) -> Text:
        obs = self.observed
        if obs is None or obs.mode != "live":
            return Text("snapshot: real answers need a live cluster", style="italic")
        if self._ask_error:
            return Text("✗ ") + data_text(self._ask_error)
        if self._asking:
            return Text("asking ") + data_text(self._asking) + Text(" … (the plan shows meanwhile)")
        if self._asked and self.lookup is not None and any(q.actual for q in self.lookup.queries):
            bad = self.lookup.mismatches if self.lookup is not None else ()
            line = Text("real answers from ") + data_text(self._asked) + Text(": ")
            if bad:
                line.append(f"✗ {len(bad)} differ from the expected ones (#{', #'.join(map(str, bad))})",
                            style="bold")
            else:
                line.append("✓ all as expected")
            line.append("  (g asks again)", style="dim")
            return line
        return Text("live: g asks the DNS server", style="dim")

    def _plan_rows(self) -> list[tuple[str, list[Any]]]:
        lk = self.lookup
        if lk is None or not self.name_text.strip() or not lk.valid:
            return []
        rows = []
        for i, q in enumerate(lk.queries):
            exp = q.expected
            act = q.actual
            why = []
            if act is None:
                live = "…" if self._asking else ""
                actual = ttl = ms = None
            else:
                reason = q.mismatch
                live = "✗ differs" if reason else "✓"
                actual = "✗ error" if act.error else _result(act.rcode, act.answers)
                ttl = act.ttl
                ms = None if act.latency_ms is None else f"{act.latency_ms:.0f}"
                if reason:
                    why.append(reason)
            if exp.note:
                why.append(exp.note)
            mark = f"{i} ◀" if i == lk.answered_by else str(i)
            rows.append((f"{i}", [mark, live, q.fqdn, q.type, _result(exp.rcode, exp.answers), actual, ttl, ms,
                                  "; ".join(why) or None]))
        return rows

    def _render_plan(self) -> None:
        self.query_one("#dns-summary", Static).update(self._summary())
        self.query_one("#dns-plan-table", ResourceTable).set_rows(self._plan_rows())
        self._draw_row_card()

    def _draw_row_card(self) -> None:
        card = self.query_one("#dns-row", RowCard)
        if self.view_id == "plan":
            card.show_row(PLAN_COLUMNS, self.query_one("#dns-plan-table", ResourceTable), "query")
        elif self.view_id == "names":
            card.show_row(NAME_COLUMNS, self.query_one("#dns-names-table", ResourceTable), "name")
        else:
            card.show_row((), None, "row")

    def action_whole_row(self) -> None:
        self.query_one("#dns-row", RowCard).toggle()
        self._draw_row_card()

    def on_resource_table_row_highlighted(self, event: ResourceTable.RowHighlighted) -> None:
        self._draw_row_card()

    def _resolv_text(self) -> Text:
        out = Text()
        lk = self.lookup
        out.append("Resolver config of ", style="bold")
        out.append_text(data_text(self._pod_label(), "bold"))
        if lk is None or lk.derivation is None:
            out.append("\n(no data yet)")
            return out
        d = lk.derivation
        out.append("\ndnsPolicy ")
        out.append_text(data_text(d.policy))
        out.append(f" → {d.effective} DNS\n\n")
        out.append("/etc/resolv.conf as the kubelet writes it:\n", style="underline")
        out.append_text(data_block(d.resolv_conf.render().rstrip("\n") or "(empty)"))
        out.append("\n\nHow it was derived:\n", style="underline")
        for n, step in enumerate(d.steps, start=1):
            out.append(f"{n}. ")
            out.append_text(data_block(step))
            out.append("\n")
        for event in d.events:
            out.append("⚠ event: ", style="bold")
            out.append_text(data_block(event))
            out.append("\n")
        server, source = self._server()
        out.append("\nReal answers come from: ", style="underline")
        if server:
            out.append_text(data_text(server))
            out.append(f" ({source})")
        else:
            out.append("nowhere: no nameserver")
        if self.observed is not None and self.observed.mode != "live":
            out.append(" — only when live")
        view = self.dns_view
        if view is not None:
            cd = view.cluster_dns
            out.append("\nCluster DNS: ", style="underline")
            out.append_text(data_text(", ".join(cd.ips) or "unknown"))
            out.append(" from ")
            out.append_text(data_text(cd.source))
            out.append(", domain ")
            out.append_text(data_text(cd.domain))
            node_rc = view.node_resolv_conf
            if node_rc:
                out.append("\nThe node's resolv.conf: ", style="underline")
                out.append("nameservers ")
                out.append_text(data_text(" ".join(node_rc.nameservers) or "none"))
                out.append("; search ")
                out.append_text(data_text(" ".join(node_rc.search) or "none"))
        notes = list(lk.notes)
        if notes:
            out.append("\n\nNotes:\n", style="underline")
            for note in notes:
                out.append("• ")
                out.append_text(data_block(note))
                out.append("\n")
        if lk.candidates and lk.valid:
            out.append("\nNames the walk would try, in order:\n", style="underline")
            for c in lk.candidates:
                out.append("  ")
                out.append_text(data_text(c))
                out.append("\n")
        return out

    def _render_resolv(self) -> None:
        self.query_one("#dns-resolv-text", Static).update(self._resolv_text())

    def _corefile_text(self) -> Text:
        """The presenter's Corefile lines, drawn: its words, our styles, the data inert."""
        view = self.dns_view
        if view is None:
            return Text("(no data yet)")
        styles = {"title": "bold", "heading": "underline", "warning": "", "body": "", "raw": ""}
        out = Text()
        for i, ln in enumerate(view.corefile_lines):
            if i:
                out.append("\n")
            # Raw lines (the Corefile as written) and blank ones keep their exact text.
            out.append_text(data_block(ln.text, styles.get(ln.kind, "")) if ln.kind == "raw" or not ln.text
                            else data_text(ln.text, styles.get(ln.kind, "")))
        return out

    def _render_corefile(self) -> None:
        self.query_one("#dns-corefile-text", Static).update(self._corefile_text())

    @staticmethod
    def _name_rows(dns_view: DnsModel | None) -> list[tuple[str, tuple[str | None, ...]]]:
        return [(f"{i}:{r.fqdn}:{r.qtype}", (r.fqdn, r.qtype, r.kind, ", ".join(r.answers) or None, r.note or None))
                for i, r in enumerate(dns_view.names if dns_view is not None else ())]

    # -- actions -------------------------------------------------------------------------------

    def run_lookup(self, name: str, qtype: str | None = None) -> None:
        """Look `name` up as the chosen pod would (and ask the server when live)."""
        self.name_text = name.strip()
        if qtype:
            self.qtype = qtype
        box = self.query_one("#dns-name", Input)
        if box.value != self.name_text:
            box.value = self.name_text
        self._set_view("plan")
        self._plan(ask=True)

    def handle_command(self, verb: str, arg: str) -> None:
        words = arg.split()
        if not words:
            return
        qtype = None
        for word in words[1:]:
            if word.upper() in QTYPES:
                qtype = word.upper()
            elif word.lower() in RESOLVERS:
                self.resolver = word.lower()
        if "--pod" in words[1:-1]:  # `:dns NAME --pod NS/POD`, as the CLI takes it (grammar.py)
            self.pod = words[words.index("--pod") + 1]
        self.run_lookup(words[0], qtype)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "dns-name":
            return
        event.stop()
        self.run_lookup(event.value)
        self.query_one("#dns-plan-table", ResourceTable).focus()

    def on_resource_table_row_selected(self, event: ResourceTable.RowSelected) -> None:
        if event.data_table.id == "dns-names-table":
            event.stop()
            self._lookup_selected_name()

    def _lookup_selected_name(self) -> bool:
        key = self.query_one("#dns-names-table", ResourceTable).selected_key()
        if key is None or self.dns_view is None:
            return False
        index = int(key.split(":", 1)[0])
        row = self.dns_view.names[index]
        self.run_lookup(row.fqdn, row.qtype if row.qtype in QTYPES else None)
        self.query_one("#dns-plan-table", ResourceTable).focus()
        return True

    def action_edit_name(self) -> None:
        box = self.query_one("#dns-name", Input)
        box.focus()

    def action_pick_pod(self) -> None:
        if self.observed is None:
            return
        cluster = self.observed.cluster
        pods = []
        for pod in sorted(cluster.in_namespace("Pod"), key=lambda p: (namespace_of(p), name_of(p))):
            key = f"{namespace_of(pod)}/{name_of(pod)}"
            policy = dig_str(pod, "spec", "dnsPolicy") or "ClusterFirst (unset)"
            label = data_text(key) + Text(f"  dnsPolicy {policy}", style="dim")
            if dig(pod, "spec", "hostNetwork") is True:
                label.append(" hostNetwork", style="dim")
            pods.append((key, label))
        if self.context.open_modal is not None:
            self.context.open_modal(PodPicker(self._namespace(), pods, self.pod), self._pod_picked)

    def _pod_picked(self, choice: str | None) -> None:
        if choice is None:
            return
        self.pod = None if choice == ANY_POD else choice
        self._plan(ask=True)

    def action_next_resolver(self) -> None:
        self.resolver = RESOLVERS[(RESOLVERS.index(self.resolver) + 1) % len(RESOLVERS)]
        self._plan(ask=True)

    def action_next_type(self) -> None:
        self.qtype = QTYPES[(QTYPES.index(self.qtype) + 1) % len(QTYPES)]
        self._plan(ask=True)

    def action_ask_again(self) -> None:
        self._plan(ask=True)

    def action_show_view(self, view_id: str) -> None:
        self._set_view(view_id)

    def _set_view(self, view_id: str) -> None:
        self.view_id = view_id
        self.query_one("#dns-views", ContentSwitcher).current = f"dns-{view_id}"
        if self.is_mounted:
            self._render_controls()
            self._draw_row_card()
        target = {"plan": "#dns-plan-table", "names": "#dns-names-table", "resolv": "#dns-resolv",
                  "corefile": "#dns-corefile"}[view_id]
        if not self.query_one("#dns-name", Input).has_focus:
            self.query_one(target).focus()

    def apply_filter(self, text: str) -> None:
        self.query_one("#dns-plan-table", ResourceTable).set_filter(text)
        self.query_one("#dns-names-table", ResourceTable).set_filter(text)

    def drill_in(self) -> bool:
        if self.view_id == "names":
            return self._lookup_selected_name()
        return False

    def go_back(self) -> bool:
        box = self.query_one("#dns-name", Input)
        if box.has_focus:
            self._set_view(self.view_id)
            self.query_one({"plan": "#dns-plan-table", "names": "#dns-names-table", "resolv": "#dns-resolv",
                            "corefile": "#dns-corefile"}[self.view_id]).focus()
            return True
        if self.view_id != "plan":
            self._set_view("plan")
            return True
        return False

    def focus_key(self) -> str | None:
        """`k`: the name looked up, from the pod chosen (`NAME@NS/POD`), for its by-hand nslookup."""
        if self.lookup is None:
            return super().focus_key()
        return f"{self.lookup.name}@{self.pod}" if self.pod else self.lookup.name

    def plain_text(self) -> str:
        parts = [f"{self.KEY} {self.TITLE}",
                 f"pod: {self._pod_label()}  resolver: {self.resolver}  type: {self.qtype}",
                 "", self._summary().plain, "",
                 self.query_one("#dns-plan-table", ResourceTable).plain_text(), "",
                 self._resolv_text().plain, "", self._corefile_text().plain, "",
                 "Service DNS names", self.query_one("#dns-names-table", ResourceTable).plain_text()]
        return "\n".join(parts)

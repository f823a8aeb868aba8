"""The datapath trace of one Service, as a scrollable list of lines the cursor can walk.

`trace_lines` lays a `TraceModel` (present/trace.py: the `ServiceTrace` of any backend, each
step's rule already in words, live packet deltas and their history) out as lines of inert
`rich.text.Text`: the entry points, the rules as an indented path with their counters, each
endpoint with its pod, share, counters (or deltas and history in live mode), the findings and
the Service CIDR worked out in binary. It reads nothing else: no dump, no cluster. `TraceView`
shows them in an OptionList so the cursor can rest on an endpoint (for `l`) and a live update
keeps the cursor on the same line.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from k8snet_tui.domain.datapath.balance import nice_fraction
from k8snet_tui.domain.datapath.trace_model import Step
from k8snet_tui.domain.packet_deltas import endpoint_key
from k8snet_tui.domain.service_cidr import ServiceCIDRs, binary_breakdown
from k8snet_tui.domain.services import EndpointTrace, PortTrace, ServiceTrace
from k8snet_tui.present.trace import RuleWords, TraceModel
from k8snet_tui.widgets.safe import data_text

SEVERITY_WORDS = {"error": "✖ ERROR", "warning": "⚠ WARNING", "info": "ℹ INFO"}
KIND_WORDS = {
    "entry": "entry", "jump": "jump", "masquerade": "mark for masquerade", "affinity": "affinity",
    "endpoint": "pick endpoint", "dnat": "DNAT", "reject": "REJECT", "drop": "DROP", "other": "rule",
}
ENTRY_WORDS = {"cluster-ip": "ClusterIP", "node-port": "NodePort", "external-ip": "externalIP",
               "load-balancer": "LoadBalancer"}
HIT_SIGN = "◀ hit"


@dataclass(frozen=True)
class TraceLine:
    id: str
    text: Text
    endpoint: EndpointTrace | None = None


def _piece(out: Text, value: object, style: str = "") -> None:
    if value is not None and value != "":
        out.append_text(data_text(value, style))


def _counter_words(packets: int | None, nbytes: int | None) -> str:
    if packets is None:
        return ""
    return f"[{packets} pkt{'' if packets == 1 else 's'}, {nbytes if nbytes is not None else '?'} B]"


def _step_line(step: Step, rule: RuleWords | None) -> Text:
    out = Text("  " * step.depth)
    label = step.chain if step.index is None else f"{step.chain} #{step.index}"
    _piece(out, label, "bold")
    out.append(f"  {KIND_WORDS.get(step.kind, step.kind)}: ")
    if rule is not None:
        if rule.summary:
            _piece(out, rule.summary)
            out.append(" ")
        if rule.comment:
            out.append("/* ")
            _piece(out, rule.comment, "italic")
            out.append(" */ ")
        if rule.dnat_to:
            out.append("→ DNAT to ")
            _piece(out, rule.dnat_to, "bold")
        elif rule.target:
            out.append("→ ")
            _piece(out, rule.target, "bold")
            if rule.target_args and rule.target != "DNAT":
                out.append(" ")
                _piece(out, rule.target_args)
    else:
        _piece(out, step.text)
    words = _counter_words(step.packets, step.bytes)
    if words:
        out.append("  " + words)
    return out


def _share_words(ep: EndpointTrace) -> str:
    if ep.share is None:
        return "share unknown"
    pct = f"{ep.share * 100:.1f}%"
    frac = nice_fraction(ep.share) if ep.share > 0 else "none"
    return f"share {pct} ({frac})" if frac not in (pct, "all") else f"share {pct}"


def _history_words(values: Sequence[int | None]) -> str:
    return " ".join("?" if v is None else str(v) for v in values)


def _endpoint_line(port: PortTrace, ep: EndpointTrace, indent: int, counters: TraceModel,
                   lb_counters: bool) -> Text:
    pad = "  " * indent
    out = Text(pad)
    key = endpoint_key(port, ep)
    delta = counters.deltas.get(key) if counters.live else None
    if counters.live and delta:
        out.append(f"{HIT_SIGN} +{delta} ", style="bold reverse")
    out.append("⇒ endpoint ")
    _piece(out, f"{ep.address}:{ep.port}", "bold")
    out.append("  pod ")
    if ep.pod:
        _piece(out, ep.pod, "bold")
    else:
        out.append("unknown", style="dim")
    out.append("  node ")
    _piece(out, ep.node or "unknown")
    out.append("  ")
    out.append({True: "ready", False: "NOT READY ⚠", None: "readiness unknown"}[ep.ready],
               style="" if ep.ready else "bold")
    out.append(f"\n{pad}    ")
    if ep.probability is not None:
        out.append("probability ")
        _piece(out, ep.probability)
        out.append(" → ")
    elif ep.in_kernel and ep.chain:
        out.append("no probability (takes the rest) → ")
    if ep.in_kernel or ep.share is not None:
        out.append(_share_words(ep))
    if not ep.in_kernel:
        out.append("  ⚠ not in the node's rules", style="bold")
    if ep.packets is not None:
        if counters.live:
            shown = "?" if delta is None else f"+{delta}"
            out.append(f"  packets {shown} since last poll (total {ep.packets})")
            hist = counters.history.get(key)
            if hist:
                out.append(f"  last polls: {_history_words(hist)}")
        else:
            out.append(f"  packets {ep.packets}, bytes {ep.bytes if ep.bytes is not None else '?'}")
    elif ep.in_kernel and not lb_counters:
        out.append("  no counters")
    if ep.connections is not None:
        out.append(f"  conntrack connections {ep.connections}")
    return out


def _counters_note(backend: str, port: PortTrace, has_conntrack: bool) -> str | None:
    kernel = [e for e in port.endpoints if e.in_kernel]
    if not kernel or any(e.packets is not None for e in kernel):
        return None
    if backend in ("nftables", "ipvs", "cilium"):
        why = f"the {backend} datapath keeps no per-rule packet counters"
    elif backend.startswith("iptables"):
        why = "the dump has no counters (it was saved without `iptables-save -c`)"
    else:
        return None
    if has_conntrack:
        return f"{why}; connections per endpoint come from the node's conntrack table"
    return f"{why}, and this node state has no conntrack entries to count connections from"


def _port_lines(pi: int, port: PortTrace, model: TraceModel) -> list[TraceLine]:
    trace, counters, has_conntrack = model.trace, model, model.has_conntrack
    rules = model.rules[pi] if pi < len(model.rules) else ()
    lines: list[TraceLine] = []
    p = f"p{pi}"
    head = Text("── port ", style="bold")
    _piece(head, port.name or "(unnamed)", "bold")
    head.append(f" {port.port}/", style="bold")
    _piece(head, port.protocol, "bold")
    head.append(" → target port ")
    _piece(head, port.target_port or str(port.port))
    if port.node_port:
        head.append(f"  NodePort {port.node_port}")
    head.append(" ──")
    lines.append(TraceLine(p, head))

    entry = Text("Entry points: ")
    if port.entry_points:
        for i, e in enumerate(port.entry_points):
            if i:
                entry.append(" · ")
            entry.append(ENTRY_WORDS.get(e.kind, e.kind) + " ")
            _piece(entry, f"{e.address or '<any node address>'}:{e.port}", "bold")
    else:
        entry.append("none (headless or no ClusterIP)")
    lines.append(TraceLine(f"{p}entry", entry))

    chains = [f"{role} {name}" for role, name in port.chains.items() if name]
    if chains:
        lines.append(TraceLine(f"{p}chains", data_text("Chains: " + ", ".join(chains))))
    if port.explanation:
        bal = Text("Balancing: ")
        _piece(bal, port.explanation, "bold")
        lines.append(TraceLine(f"{p}explain", bal))
    if port.affinity_seconds:
        lines.append(TraceLine(f"{p}affinity", Text(
            f"Session affinity: a client seen in the last {port.affinity_seconds} s goes back to its endpoint")))
    note = _counters_note(trace.backend, port, has_conntrack)
    if note:
        lines.append(TraceLine(f"{p}counters", Text("Counters: " + note)))

    lb_counters = any(e.packets is not None for e in port.endpoints)
    by_chain = {e.chain: e for e in port.endpoints if e.chain}
    placed: set[int] = set()
    if port.steps:
        lines.append(TraceLine(f"{p}path", Text("Path (rule, what it does, packets/bytes):", style="underline")))
    seen_ids: dict[str, int] = {}
    steps = port.steps
    # An endpoint's own chain (its masquerade mark and DNAT) follows the rule that picks it;
    # the pod line goes right after that chain's rules, at the step index recorded here.
    inserts: dict[int, list[tuple[EndpointTrace, int]]] = {}

    def emit_endpoints(at: int) -> None:
        for ep, depth in inserts.pop(at, []):
            lines.append(TraceLine(f"ep:{p}:{ep.address}:{ep.port}",
                                   _endpoint_line(port, ep, depth, counters, lb_counters), ep))

    for si, step in enumerate(steps):
        emit_endpoints(si)
        sid = f"{p}s{step.table}:{step.chain}#{step.index}@{step.depth}"
        n = seen_ids.get(sid, 0)
        seen_ids[sid] = n + 1
        lines.append(TraceLine(f"{sid}~{n}" if n else sid, _step_line(step, rules[si] if si < len(rules) else None)))
        ep = by_chain.get(step.chain)
        if ep is None or id(ep) in placed:
            continue
        end = si + 1
        while end < len(steps) and steps[end].chain == step.chain:
            end += 1
        placed.add(id(ep))
        inserts.setdefault(end, []).append((ep, step.depth))
    emit_endpoints(len(steps))

    rest = [e for e in port.endpoints if id(e) not in placed]
    if rest:
        lines.append(TraceLine(f"{p}eps", Text("Endpoints:", style="underline")))
        for rest_ep in rest:
            lines.append(TraceLine(f"ep:{p}:{rest_ep.address}:{rest_ep.port}",
                                   _endpoint_line(port, rest_ep, 1, counters, lb_counters), rest_ep))
    if not port.endpoints:
        lines.append(TraceLine(f"{p}noeps", Text("Endpoints: none")))

    if port.findings:
        lines.append(TraceLine(f"{p}findings", Text("Findings:", style="underline")))
        for i, f in enumerate(port.findings):
            t = Text("  ")
            t.append(SEVERITY_WORDS.get(f.severity, f.severity.upper()), style="bold")
            t.append(" ")
            _piece(t, f.code)
            t.append(": ")
            _piece(t, f.message)
            lines.append(TraceLine(f"{p}f{i}", t))
    else:
        lines.append(TraceLine(f"{p}findings", Text("Findings: none")))
    return lines


def _cidr_lines(trace: ServiceTrace, cidrs: ServiceCIDRs | None) -> list[TraceLine]:
    lines: list[TraceLine] = [TraceLine("cidr", Text("── Service CIDR ──", style="bold"))]
    if cidrs is None or not cidrs.cidrs:
        detail = cidrs.detail if cidrs else "not looked up"
        lines.append(TraceLine("cidr-none", data_text(f"unknown: {detail}")))
        return lines
    src = Text("Range ")
    _piece(src, ", ".join(cidrs.cidrs), "bold")
    src.append(" from " + ("" if cidrs.certain else "a GUESS: "))
    _piece(src, cidrs.detail)
    lines.append(TraceLine("cidr-src", src))
    ips = list(dict.fromkeys(p.cluster_ip for p in trace.ports if p.cluster_ip))
    if not ips:
        lines.append(TraceLine("cidr-noip", Text("This service has no ClusterIP to place in the range.")))
    targets: list[str | None] = [*ips] if ips else [None]
    for ip in targets:
        prefix = cidrs.cidrs[0]
        for c in cidrs.cidrs:
            bb = binary_breakdown(c, ip)
            if bb is not None and bb.contains:
                prefix = c
                break
        bb = binary_breakdown(prefix, ip)
        if bb is None:
            lines.append(TraceLine(f"cidr-bad-{ip}", data_text(f"cannot read {prefix} / {ip}")))
            continue
        tag = f"cidr-{ip}"
        head = Text(f"{bb.network}: the first {bb.prefix_len} bits are fixed "
                    f"(marked with |); {bb.size} addresses, {bb.first} - {bb.last}")
        lines.append(TraceLine(f"{tag}-head", head))
        header = Text("  octet  prefix        ")
        if bb.ip:
            header.append("ClusterIP ")
            _piece(header, bb.ip, "bold")
        lines.append(TraceLine(f"{tag}-cols", header))
        for i, net in enumerate(bb.network_octets):
            row = Text(f"  {i + 1:>5}  {_mark(net.bits, net.prefix_bits):<12}  ")
            if bb.ip_octets:
                o = bb.ip_octets[i]
                row.append(f"{_mark(o.bits, o.prefix_bits):<12}  = {o.value}")
            else:
                row.append(f"= {net.value}")
            lines.append(TraceLine(f"{tag}-o{i}", row))
        if bb.ip:
            verdict = "inside the range ✔" if bb.contains else "OUTSIDE the range ✖"
            lines.append(TraceLine(f"{tag}-verdict", Text(f"{bb.ip} is {verdict}")))
    return lines


def _mark(bits: str, prefix_bits: int) -> str:
    """'0110 1111' with 4 prefix bits -> '0110|1111' (a bar after the last fixed bit)."""
    if prefix_bits <= 0 or prefix_bits >= 8:
        return bits
    flat = bits.replace(" ", "")
    marked = flat[:prefix_bits] + "|" + flat[prefix_bits:]
    # keep the nibble gap the lab uses when the bar is not in it
    if prefix_bits != 4:
        marked = marked[:5] + " " + marked[5:] if prefix_bits < 4 else marked[:4] + " " + marked[4:]
    return marked


def trace_lines(model: TraceModel) -> list[TraceLine]:
    trace = model.trace
    head = Text("Trace ")
    _piece(head, trace.service, "bold")
    head.append("  ")
    _piece(head, trace.service_type or "unknown type")
    head.append("  on node ")
    _piece(head, trace.node or "unknown")
    head.append("  backend ")
    _piece(head, trace.backend, "bold")
    lines = [TraceLine("head", head)]
    if model.live:
        lines.append(TraceLine("mode", Text("LIVE: packets since the previous poll; ◀ hit marks the pod that got them")))
    else:
        lines.append(TraceLine("mode", Text("SNAPSHOT: counters are totals as captured")))
    for pi, port in enumerate(trace.ports):
        lines.extend(_port_lines(pi, port, model))
    lines.extend(_cidr_lines(trace, model.cidrs))
    return lines


def message_lines(title: str, body: Iterable[str]) -> list[TraceLine]:
    lines = [TraceLine("msg", data_text(title, "bold"))]
    lines += [TraceLine(f"msg{i}", data_text(b)) for i, b in enumerate(body)]
    return lines


class HangingIndent:
    """A trace line that wraps under itself: continuation lines start two columns right of the
    line's own indent, not at column 0, so a long rule never flattens the chain hierarchy."""

    HANG = 2

    def __init__(self, text: Text) -> None:
        self.text = text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        plain = self.text.plain
        lead = len(plain) - len(plain.lstrip(" "))
        body = self.text[lead:]
        width = max(options.max_width - lead - self.HANG, 8)
        pieces = body.wrap(console, width, overflow="fold")
        out = Text(no_wrap=True, overflow="crop")
        for i, piece in enumerate(pieces):
            if i:
                out.append("\n")
            out.append(" " * (lead + (self.HANG if i else 0)))
            out.append_text(piece)
        yield out


class TraceView(OptionList):
    """The trace lines; updates keep the cursor on the same line (by id)."""

    DEFAULT_CSS = """
    TraceView { height: 1fr; border: none; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._trace_lines: list[TraceLine] = []

    @property
    def lines(self) -> list[TraceLine]:
        return self._trace_lines

    def _move_page(self, direction: Any) -> None:
        # Textual 8.2 maps options to lines only once the list has a size: a page key on a
        # trace not laid out yet raised KeyError and ended the app (the monkey test found it,
        # seed 66). The move is dropped, as in the palette (screens/modals.py).
        with contextlib.suppress(KeyError, IndexError):
            super()._move_page(direction)

    def show_lines(self, lines: list[TraceLine], *, keep_cursor: bool = True) -> None:
        old_ids = [ln.id for ln in self._trace_lines]
        new_ids = [ln.id for ln in lines]
        current = self.highlighted_option.id if keep_cursor and self.highlighted_option else None
        if old_ids == new_ids:
            for old, new in zip(self._trace_lines, lines, strict=True):  # same ids: same length
                if old.text != new.text:
                    self.replace_option_prompt(new.id, HangingIndent(new.text))
            self._trace_lines = list(lines)
            return
        self._trace_lines = list(lines)
        with self.app.batch_update():
            self.clear_options()
            self.add_options(Option(HangingIndent(ln.text), id=ln.id) for ln in lines)
            if current is not None and current in new_ids:
                self.highlighted = new_ids.index(current)
            elif lines:
                self.highlighted = 0
                self.scroll_home(animate=False)

    def current_line(self) -> TraceLine | None:
        idx = self.highlighted
        if idx is None or not 0 <= idx < len(self._trace_lines):
            return None
        return self._trace_lines[idx]

    def move_to(self, line_id: str) -> bool:
        for i, ln in enumerate(self._trace_lines):
            if ln.id == line_id or ln.id.startswith(line_id):
                self.highlighted = i
                return True
        return False

    def plain_text(self) -> str:
        return "\n".join(ln.text.plain for ln in self._trace_lines)

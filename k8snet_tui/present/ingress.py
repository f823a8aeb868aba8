"""Pane 6: every way into the cluster (entry points), the route table and its findings.

Besides the JSON contract (`entry_points`, `rules`, `findings`), the model carries the rows the
pane draws, already in words (`route_rows`, `entry_rows`, narrowed to the selected namespace),
with the Service each row leads to, so the pane only draws cells and turns `enter` into a trace.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from k8snet_tui.domain.model import Observed
from k8snet_tui.domain.routes import EntryPoint, Finding, build_ingress_view
from k8snet_tui.domain.routes.backends import Backend
from k8snet_tui.domain.routes.rules import ANY, ELEMENT_PREFIX, EXACT, REGEX, STRING_PREFIX, RouteRule
from k8snet_tui.domain.routes.tester import NO_ENDPOINTS, NO_ROUTE, ROUTED, RouteResult

from .selection import Selection, in_namespace
from .serialize import JsonModel, json_field

ROUTE_COLUMNS = ("kind", "name", "host", "match", "rewrite", "backend", "ready", "health", "via", "where")
ENTRY_COLUMNS = ("kind", "name", "port", "addresses", "target", "details")

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
SEVERITY_SIGN = {"error": "✗", "warning": "!", "info": "i"}
MATCH_WORDS = {
    EXACT: "exact", ELEMENT_PREFIX: "prefix, whole path elements", STRING_PREFIX: "string prefix",
    REGEX: "regex, whole path", ANY: "any path",
}


@dataclass(frozen=True, slots=True)
class BackendRow:
    """JSON: service (ns/name[:port], or the external target), weight, service_found, port_found,
    endpoints (ready ip:port), not_ready, pods (ns/name of ready endpoints)."""

    service: str
    weight: int | None
    service_found: bool
    port_found: bool
    endpoints: tuple[str, ...]
    not_ready: tuple[str, ...]
    pods: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RuleRow:
    """One path rule of an Ingress, Mapping or HTTPRoute (see the domain's `RouteRule`)."""

    kind: str
    name: str
    where: str
    hosts: tuple[str, ...]
    path: str | None
    path_type: str | None
    match: str
    rewrite: str | None
    rewrite_mode: str | None
    precedence: int
    method: str | None
    headers: tuple[tuple[str, str], ...]
    query: tuple[tuple[str, str], ...]
    tls: bool
    ingress_class: str | None = field(metadata=json_field("class"))
    controller: str | None
    implementation: str
    parents: tuple[str, ...]
    backends: tuple[BackendRow, ...]
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class TableRow:
    """A row as the pane draws it: a unique key, the cells in words, and where `enter` leads.

    `trace` is the Service (ns/name) to trace, or None with `why_not` saying why there is none;
    `severity` is the worst finding's (error, warning, info, "" for none), for the style."""

    key: str
    cells: tuple[str, ...]
    trace: str | None
    why_not: str
    severity: str = ""


@dataclass(frozen=True)
class IngressModel(JsonModel):
    """`k8snet show ingress --json`: entry_points, rules, findings (every namespace's: the route
    table is one for the whole cluster); the drawn rows are narrowed to the selection."""

    entry_points: tuple[EntryPoint, ...]
    rules: tuple[RuleRow, ...]
    findings: tuple[Finding, ...]
    route_rows: tuple[TableRow, ...] = field(default=(), metadata=json_field(None))
    entry_rows: tuple[TableRow, ...] = field(default=(), metadata=json_field(None))
    namespace: str | None = field(default=None, metadata=json_field(None))


def backend_label(b: Backend) -> str:
    weight = f" (weight {b.ref.weight})" if b.ref.weight is not None else ""
    return f"{b.ref.label}{weight}"


def sorted_findings(findings: tuple[Finding, ...] | list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: SEVERITY_ORDER.get(f.severity, 3))


def severity_word(severity: str) -> str:
    return severity.upper() if severity in SEVERITY_ORDER else "NOTE"


def rule_findings(rule: RouteRule) -> list[Finding]:
    return list(rule.findings) + [f for b in rule.backends for f in b.findings]


def health(findings: list[Finding]) -> tuple[str, str]:
    """Health in words with a sign in front (never colour alone), and the worst severity."""
    if not findings:
        return "✓ ok", ""
    worst = min(findings, key=lambda f: SEVERITY_ORDER.get(f.severity, 3))
    words = ", ".join(dict.fromkeys(f.code.replace("-", " ") for f in sorted_findings(findings)))
    return f"{SEVERITY_SIGN.get(worst.severity, '·')} {words}", worst.severity


def match_words(rule: RouteRule) -> str:
    if rule.match == ANY:
        return "any path (default backend)"
    if not rule.path:
        return "—"
    return f"{rule.path} {rule.path_type or MATCH_WORDS.get(rule.match, rule.match)}"


def rewrite_words(rule: RouteRule) -> str:
    if rule.kind == "Ingress" and rule.implementation == "emissary":
        return "/ (Emissary default)"
    if rule.regex_rewrite:
        return f"s/{rule.regex_rewrite[0]}/{rule.regex_rewrite[1]}/"
    if rule.rewrite is None:
        return "— (unchanged)"
    return f"{rule.rewrite_mode} {rule.rewrite}" if rule.rewrite_mode else rule.rewrite


def ready_words(backends: tuple[Backend, ...]) -> str:
    if not backends:
        return "—"
    if all(b.ref.external for b in backends):
        return "external"
    if not any(b.service_found for b in backends):
        return "✗ no service"
    ready = sum(len(b.endpoints) for b in backends)
    waiting = sum(len(b.not_ready) for b in backends)
    text = f"{ready} ready" + (f", {waiting} not" if waiting else "")
    return text if ready else f"✗ {text}"


def via_words(rule: RouteRule) -> str:
    if rule.kind == "HTTPRoute":
        return ", ".join(rule.parents) or "no parent Gateway"
    parts = [f"class {rule.ingress_class}"] if rule.ingress_class else []
    parts.append({"emissary": "Emissary", "spec": rule.controller or "controller",
                  "gateway": "Gateway"}.get(rule.implementation, "no controller"))
    if rule.tls:
        parts.append("TLS")
    return ", ".join(parts)


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


def service_of_target(target: str | None) -> str | None:
    """`ns/name[:port]` (an entry point's target) -> `ns/name`."""
    if not target or "/" not in target:
        return None
    ns, _, rest = target.partition("/")
    name = rest.split(":", 1)[0]
    return f"{ns}/{name}" if ns and name and "/" not in name else None


def _unique(key: str, seen: set[str]) -> str:
    out, n = key, 1
    while out in seen:
        n += 1
        out = f"{key}#{n}"
    seen.add(out)
    return out


def route_row(rule: RouteRule, key: str) -> TableRow:
    words, severity = health(rule_findings(rule))
    service, why = trace_target(rule.backends)
    cells = (rule.kind, rule.name, rule.host or "*", match_words(rule), rewrite_words(rule),
             ", ".join(backend_label(b) for b in rule.backends) or "—", ready_words(rule.backends), words,
             via_words(rule), rule.where)
    return TableRow(key, cells, service, why, severity)


def entry_row(e: EntryPoint, key: str) -> TableRow:
    details = "; ".join([*e.details, *(f"{severity_word(f.severity)}: {f.message}" for f in e.findings)])
    service = service_of_target(e.target)
    return TableRow(key, (e.kind, e.name, e.port or "—", ", ".join(e.addresses) or "—", e.target or "",
                          details or "—"),
                    service, "" if service else f"{e.kind} {e.name} leads to no Service we know")


def backend_row(b: Backend) -> BackendRow:
    return BackendRow(b.ref.label, b.ref.weight, b.service_found, b.port_found, b.endpoints, b.not_ready, b.pods)


def _rule(r: RouteRule) -> RuleRow:
    backends = tuple(backend_row(b) for b in r.backends)
    return RuleRow(r.kind, r.name, r.where, r.hosts, r.path, r.path_type, r.match, r.rewrite, r.rewrite_mode,
                   r.precedence, r.method, r.headers, r.query, r.tls, r.ingress_class, r.controller,
                   r.implementation, r.parents, backends, r.findings)


def present(observed: Observed, selection: Selection) -> IngressModel:
    view = build_ingress_view(observed.cluster)
    ns = selection.namespace
    seen: set[str] = set()
    routes = tuple(route_row(r, _unique(f"{r.kind}|{r.name}|{r.where}", seen))
                   for r in view.rules if in_namespace(r.name, ns))
    seen = set()
    entries = tuple(entry_row(e, _unique(f"{e.kind}|{e.name}|{e.port}", seen))
                    for e in view.entry_points if in_namespace(e.name, ns))
    return IngressModel(view.entry_points, tuple(_rule(r) for r in view.rules), view.findings, routes, entries, ns)


# ---- the route tester: `k8snet route URL --json` and the pane's `t` ----------------------------

@dataclass(frozen=True, slots=True)
class MatchModel:
    """The rule a URL hit. `service`, `endpoints` and `pods` are the first backend's (the one a
    plain Ingress or Mapping has); `backends` lists every one, with weights for HTTPRoutes."""

    kind: str
    name: str
    host: str | None
    path: str | None
    path_type: str | None
    rewritten_path: str
    service: str | None
    endpoints: tuple[str, ...]
    pods: tuple[str, ...]
    backends: tuple[BackendRow, ...]


@dataclass(frozen=True, slots=True)
class CandidateRow:
    """A rule the tester looked at, whether it matched, and why (or why not) in words."""

    kind: str
    name: str
    matched: bool
    reason: str


@dataclass(frozen=True)
class RouteModel(JsonModel):
    """`k8snet route URL --json`: status `routed`, `no-route-404` or `no-endpoints-503`; `matched`
    is null on a 404."""

    url: str
    entry: str | None
    matched: MatchModel | None
    status: str
    candidates: tuple[CandidateRow, ...]
    findings: tuple[Finding, ...]


def route_model(result: RouteResult) -> RouteModel:
    m = result.matched
    matched = None
    if m is not None:
        first = m.backends[0] if m.backends else None
        matched = MatchModel(m.kind, m.name, m.host, m.path, m.path_type, m.rewritten_path, m.service,
                             first.endpoints if first else (), first.pods if first else (),
                             tuple(backend_row(b) for b in m.backends))
    return RouteModel(result.url, result.entry, matched, result.status,
                      tuple(CandidateRow(c.kind, c.name, c.matched, c.reason) for c in result.candidates),
                      result.findings)


# ---- the route tester's answer in words (pane 6's result view) ------------------------------------

STATUS_WORDS = {
    ROUTED: ("✓ routed", "the request reaches a ready endpoint of the Service"),
    NO_ROUTE: ("✗ 404 no route", "no rule matches: the proxy answers 404 Not Found"),
    NO_ENDPOINTS: ("✗ 503 no endpoints", "a rule matches but its Service has no ready endpoint: the proxy answers 503"),
}


@dataclass(frozen=True, slots=True)
class ResultLine:
    """One line of the tester's answer. `kind` says how to draw it: `row` (a `label` in a
    10-column field, then `text`, "—" when empty), `status` (the same, the text standing out),
    `text` (a line as it is), `heading`, `yes` / `no` (a candidate rule that matched or lost),
    `finding` (`label` its sign and severity), `blank`. `text` is cluster text: the pane shows it
    inert. `note` comes after the text, quieter."""

    kind: str
    text: str = ""
    label: str = ""
    note: str = ""
    severity: str = ""


def result_lines(result: RouteResult, typed: str) -> tuple[ResultLine, ...]:
    """What the tester says about one URL: where it entered, the status, the rule and what the
    upstream receives, the Service, endpoints and pods, every candidate and every finding."""
    out = [ResultLine("row", result.url, "URL")]
    if typed.strip() != result.url:
        out.append(ResultLine("row", "", "", f"(you typed {typed.strip()})"))
    out.append(ResultLine("row", result.entry or "unknown: each controller's rules were tried", "Entry"))
    words, why = STATUS_WORDS.get(result.status, (result.status, ""))
    out.append(ResultLine("status", words, "Status", why))
    m = result.matched
    if m is None:
        out.append(ResultLine("row", "none matched (see why each candidate lost below)", "Rule"))
    else:
        rule = f"{m.kind} {m.name}"
        if m.path is not None:
            rule += f"  {m.path} {m.path_type or ''}".rstrip()
        if m.host:
            rule += f"  host {m.host}"
        out.append(ResultLine("row", rule, "Rule"))
        out.append(ResultLine("row", f"the pod receives the path {m.rewritten_path}", "Upstream"))
        for i, b in enumerate(m.backends):
            out.append(ResultLine("row", backend_label(b), "Service" if i == 0 else "",
                                  "(enter: trace it in Services)" if i == 0 else ""))
            waiting = f" ({len(b.not_ready)} not ready)" if b.not_ready else ""
            out.append(ResultLine("row", ", ".join(b.endpoints) or f"none ready{waiting}", "Endpoints"))
            out.append(ResultLine("row", ", ".join(b.pods), "Pods"))
    out += [ResultLine("blank"), ResultLine("heading", f"Candidates ({len(result.candidates)})")]
    if not result.candidates:
        out.append(ResultLine("text", "  no rules in the cluster"))
    out += [ResultLine("yes" if c.matched else "no", f"{c.kind} {c.name} — {c.reason}") for c in result.candidates]
    out += [ResultLine("blank"), ResultLine("heading", f"Findings ({len(result.findings)})")]
    if not result.findings:
        out.append(ResultLine("text", "  none"))
    out += [ResultLine("finding", f"{f.subject}: {f.message}",
                       f"{SEVERITY_SIGN.get(f.severity, '·')} {severity_word(f.severity):<7} ", f"[{f.code}]",
                       f.severity) for f in sorted_findings(result.findings)]
    return tuple(out)


URL_HINT = ("A URL looks like http://HOST[:PORT]/PATH, e.g. http://NODE-IP:NODE-PORT/web/ ; "
            "a bare /PATH is sent to the first ingress controller's node port.")


def url_error_lines(typed: str, part: str, message: str) -> tuple[ResultLine, ...]:
    """Why the tester could not read what was typed, and what a URL looks like."""
    return (ResultLine("status", "✗ cannot test this URL"), ResultLine("blank"),
            ResultLine("row", typed, "typed"), ResultLine("row", f"the {part}", "wrong"),
            ResultLine("row", message, "why"), ResultLine("blank"), ResultLine("text", URL_HINT))

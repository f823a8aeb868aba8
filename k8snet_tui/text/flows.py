"""`k8snet trace`, `dns` and `route` as text: the answer first, then how it was reached.

- trace: per port and path, an indented tree entry -> KUBE-SERVICES -> SVC -> SEP -> DNAT -> pod,
  each branch with its share of new connections and its rule counters;
- dns: the resolver's queries as a numbered list, the one that answers marked;
- route: one line `URL -> rule -> rewrite -> Service -> pods`, then the candidates and findings.

These render the domain's results (ServiceTrace, DnsLookupView, RouteResult): the models the panes
draw for the same questions.
"""

from __future__ import annotations

from typing import Any

from .table import NONE, Writer, cell


def _counters(packets: int | None, nbytes: int | None) -> str:
    if packets is None:
        return ""
    return f"[{packets:,} pkts, {nbytes or 0:,} B]"


def _share(share: float | None) -> str:
    return "   ?  " if share is None else f"{share * 100:5.1f}%"


def trace(result: Any, w: Writer) -> None:
    w.fields([("Service", f"{result.service} ({result.service_type or 'not found'})"),
              ("Node", result.node), ("Backend", result.backend)])
    for port in result.ports:
        _port(port, w, result.backend)


def _entry_step(port: Any, chain: str | None) -> Any:
    for step in port.steps:
        if step.depth == 0 and chain and step.text.endswith(f"-j {chain}"):
            return step
    return None


# What stands where kube-proxy's iptables and nftables backends have chains.
NO_CHAIN_WORDS = {"ipvs": "IPVS virtual server", "cilium": "Cilium service (eBPF)"}


def _port(port: Any, w: Writer, backend: str = "") -> None:
    if not port.protocol:  # the service was not found: only findings
        _findings(port.findings, w)
        return
    label = f"{port.name} " if port.name else ""
    where = [f"ClusterIP {port.cluster_ip}" if port.cluster_ip else "headless"]
    if port.node_port:
        where.append(f"NodePort {port.node_port}")
    w.section(f"Port {label}{port.port}/{port.protocol} ({', '.join(where)}) -> target {port.target_port or NONE}")
    counters = {(e.address, e.port): (e.packets, e.bytes) for e in port.endpoints}
    if port.explanation:
        w.line(f"split: {port.explanation}", indent=2)
    if not port.paths:
        w.line("no path through this node's datapath" if port.steps == () else "paths unknown", indent=2)
    for path in port.paths:
        entry = path.entry
        address = f"{entry.address}:{entry.port}" if entry.address else f"any node address:{entry.port}"
        w.line(f"{path.path}: {entry.kind} {address}", indent=2)
        step = _entry_step(port, path.chain)
        head = f"{step.chain} -> " if step is not None else ""
        tail = f"  {_counters(step.packets, step.bytes)}" if step is not None and step.packets is not None else ""
        w.line(f"{head}{path.chain or NO_CHAIN_WORDS.get(backend, 'no chain')}{tail}", indent=4)
        if path.masquerade:
            w.line("masquerade: the pod sees the node's address, not the client's", indent=6)
        if path.source_ranges:
            w.line(f"admits only {', '.join(path.source_ranges)}", indent=6)
        for ep in path.endpoints:
            c = counters.get((ep.address, ep.port), (None, None))
            facts = [ep.node or "node unknown", *(["this node"] if ep.local else []), ep.condition or "not in the API"]
            dnat = f"DNAT {ep.address}:{ep.port} -> {ep.pod or 'no pod known'} ({', '.join(facts)})"
            if ep.chain:  # the branch's chain with its counters, the DNAT under it
                w.line(f"{_share(ep.share)}  {ep.chain} {_counters(*c)}".rstrip(), indent=6)
                w.line(dnat, indent=8)
            else:  # IPVS, Cilium: the share picks the backend directly
                w.line(f"{_share(ep.share)}  {dnat}", indent=6, hanging=9)
        for word, value in (("dropped", path.dropped), ("rejected", path.rejected), ("unhandled", path.unhandled)):
            if value > 0:
                w.line(f"{_share(value)}  {word}", indent=6)
    missing = [e for e in port.endpoints if not e.in_kernel]
    # A headless Service has no proxy rules: its endpoints are reached directly, by DNS.
    label = "endpoint, reached directly" if not port.cluster_ip else "not in the kernel"
    for e in missing:
        w.line(f"{label}: {e.address}:{e.port} (pod {e.pod or NONE})", indent=2)
    _findings(port.findings, w, indent=2)


def _findings(findings: Any, w: Writer, indent: int = 0) -> None:
    for f in findings:
        w.line(f"! {f.severity}: {f.message}", indent=indent)


def dns(view: Any, w: Writer) -> None:
    rc = view.resolv_conf
    pod = view.pod or "a ClusterFirst pod"
    policy = getattr(view.derivation, "policy", "") if view.derivation is not None else ""
    w.fields([("Name", view.name), ("Pod", f"{pod} (dnsPolicy {policy})" if policy else pod),
              ("Resolver", view.resolver), ("Type", view.qtype),
              ("Nameservers", list(rc.nameservers)), ("Search", list(rc.search)),
              ("Options", [f"{k}:{v}" if v is not None else k for k, v in _options(rc)])])
    w.section("Queries")
    if not view.queries:
        w.line("(none: the name is not valid)", indent=2)
    for i, q in enumerate(view.queries, start=1):
        exp = q.expected
        expected = f"{exp.rcode or 'unknown (forwarded)'}" + (f" {', '.join(exp.answers)}" if exp.answers else
                                                               " (no such record)" if exp.rcode == "NOERROR" else "")
        mark = "  <- the answer" if view.answered_by is not None and view.answered_by == i - 1 else ""
        w.line(f"{i:>2}. {q.fqdn} {q.type} => {expected}{mark}", indent=2, hanging=4)
        if q.actual is not None:
            a = q.actual
            got = a.error or f"{a.rcode} {', '.join(a.answers)}".rstrip()
            miss = q.mismatch()
            w.line(f"got {got}" + (f" (differs: {miss})" if miss else ""), indent=6)
        if exp.note:
            w.line(exp.note, indent=6)
    w.blank()
    w.fields([("Stop", view.stop), ("Wasted", f"{view.wasted} quer{'y' if view.wasted == 1 else 'ies'}")])
    for title, items in (("Problems", view.problems), ("Advice", view.advice), ("Notes", view.notes)):
        if items:
            w.section(title)
            for text in items:
                w.line(text, indent=2)
    if view.derivation is not None and view.derivation.steps:
        w.section("How the kubelet wrote resolv.conf")
        for text in view.derivation.steps:
            w.line(text, indent=2)


def _options(rc: Any) -> list[tuple[str, object]]:
    options = rc.options
    if isinstance(options, dict):
        return [(k, v) for k, v in options.items()]
    return [(k, v) for k, v in options]


def route(result: Any, w: Writer) -> None:
    m = result.matched
    if m is None:
        w.line(f"{result.url} -> no rule matches ({result.status})")
    else:
        first = m.backends[0] if m.backends else None
        rule = f"{m.kind} {m.name}" + (f" ({m.path} {m.path_type or ''})".replace(" )", ")") if m.path else "")
        pods = ", ".join(first.pods) if first and first.pods else "no ready pod"
        w.line(f"{result.url} -> {rule} -> rewrite {m.rewritten_path} -> Service {m.service or NONE} -> pods {pods}")
    w.blank()
    w.fields([("Status", result.status), ("Entry", result.entry or "from the URL's host and port")])
    if m is not None and m.backends:
        w.section("Backends")
        for b in m.backends:
            weight = f" weight {b.ref.weight}" if b.ref.weight is not None else ""
            w.line(f"{b.ref.label}{weight}: ready {cell(list(b.endpoints))}"
                   + (f"; not ready {', '.join(b.not_ready)}" if b.not_ready else ""), indent=2)
    w.section("Candidates")
    for c in result.candidates:
        w.line(f"{'matched' if c.matched else 'skipped'}  {c.kind} {c.name}: {c.reason}", indent=2, hanging=9)
    if not result.candidates:
        w.line("(no rule was considered)", indent=2)
    if result.findings:
        w.section("Findings")
        for f in result.findings:
            w.line(f"! {f.severity}: {f.message}", indent=2)

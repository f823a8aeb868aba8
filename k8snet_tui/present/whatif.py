"""What-if views for the Services trace: pretend requests and a pretend pod deletion, in lines.

Both are predictions on whatever state is open (a snapshot or a live cluster): nothing is sent
and nothing is deleted, and every view says so in its first line. The models hold display lines
already in words, so the screen only lays them out (through the safe text helpers).
"""

from __future__ import annotations

from dataclasses import dataclass

from k8snet_tui.domain.datapath.backend import Datapath
from k8snet_tui.domain.datapath.balance import nice_fraction
from k8snet_tui.domain.model import ClusterState, NodeState, dig_str, key_of, name_of
from k8snet_tui.domain.services import PortTrace, ServiceTrace
from k8snet_tui.domain.whatif import Request, RequestRun, predict_pod_deletion, send_requests
from k8snet_tui.domain.whatif.deletion import DeletionPrediction
from k8snet_tui.domain.whatif.request import service_affinity_seconds
from k8snet_tui.present.serialize import JsonModel

WHAT_IF = "WHAT IF (computed: nothing is sent, nothing is deleted)"
SEED = 1  # the TUI's runs are seeded too: the same presses give the same answers
PRETEND_CLIENT = "192.0.2.10"  # TEST-NET-1: a pretend client when the state has no `client` pod


@dataclass(frozen=True)
class WhatIfView(JsonModel):
    title: str  # "what if: 3 requests to default/website:http"
    lines: tuple[str, ...]  # the body, one display line each


def lab_client(cluster: ClusterState) -> tuple[str, str]:
    """(address, words) of the client requests come from: the lab's `client` pod when there is one."""
    for pod in cluster.of("Pod"):
        if name_of(pod) == "client" and dig_str(pod, "status", "podIP"):
            ip = dig_str(pod, "status", "podIP")
            return ip, f"the client pod {key_of(pod)} ({ip})"
    return PRETEND_CLIENT, f"a pretend client ({PRETEND_CLIENT})"


def pick_port(trace: ServiceTrace, address: str | None = None) -> PortTrace | None:
    """The port a request goes to: the one whose endpoints hold `address` (the cursor's), else the first."""
    for p in trace.ports:
        if address and any(e.address == address for e in p.endpoints):
            return p
    return next((p for p in trace.ports if p.paths), trace.ports[0] if trace.ports else None)


def _counter(before: int | None, moved: int) -> str:
    return f"[{before} -> {before + moved} pkts]" if before is not None else "[no counter in this dump]"


def request_view(cluster: ClusterState, trace: ServiceTrace, port: PortTrace, count: int, *,
                 seed: int = SEED) -> WhatIfView:
    """`count` requests from the lab's client to `port`: the last answer, the rules it met (with
    their counters now and after all `count`), and the tally against the datapath's shares."""
    client, client_words = lab_client(cluster)
    ns, _, name = trace.service.partition("/")
    affinity = service_affinity_seconds(cluster.get("Service", ns, name))
    requests = [Request(client, float(i)) for i in range(count)]
    run: RequestRun = send_requests(port, trace.backend, requests, seed=seed, service=trace.service,
                                    affinity_seconds=affinity)
    spn = f"{trace.service}:{run.port}"
    title = f"what if: {count} request{'s' if count != 1 else ''} to {spn}"
    lines = [WHAT_IF, f"from {client_words} to {run.entry or 'no entry point'} on node {trace.node}",
             f"pick: {run.scheduler} ({trace.backend}), seed {seed}"
             + (f"; session affinity ClientIP, {run.affinity_seconds} s" if run.affinity_seconds else
                "; no session affinity")]
    if not run.answers:
        return WhatIfView(title, (*lines, "this port has no path a request could take on this node"))
    last = run.answers[-1]
    if last.address:
        lines.append(f"request #{last.number}: answered by {last.pod or 'an unknown pod'} at "
                     f"{last.address}:{last.port} ({last.how}; node {last.node or '?'})")
    else:
        lines.append(f"request #{last.number}: {last.how} (no pod answers)")
    lines.append("rules it goes through (their packet counters would move):")
    through: dict[tuple[str, int | None], int] = {}
    for a in run.answers:
        for m in a.moved:
            through[(m.chain, m.index)] = through.get((m.chain, m.index), 0) + 1
    for m in last.moved:
        where = f"{m.chain} #{m.index}" if m.index is not None else m.chain
        lines.append(f"  {where} {_counter(m.packets, through[(m.chain, m.index)])}")
        lines.append(f"    {m.text.removeprefix(f'-A {m.chain} ')}")
    lines.append(f"after {count} request{'s' if count != 1 else ''}:")
    for t in run.tally:
        lines.append(f"  {t.address}:{t.port} {t.pod or '?'}: {t.count} "
                     f"(expected {nice_fraction(t.expected)} = {t.expected * len(run.answers):.1f})")
    if run.lost:
        lines.append(f"  {run.lost} got no pod (dropped, rejected or no rule took it)")
    return WhatIfView(title, tuple(lines))


def _endpoint_words(address: str, port: int, pod: str | None, chain: str | None) -> str:
    return f"{address}:{port} {pod or '(no pod)'}" + (f" {chain}" if chain else "")


def deletion_lines(p: DeletionPrediction) -> tuple[str, ...]:
    lines = [WHAT_IF, f"pod {p.pod} ({', '.join(p.addresses) or 'no address'}) is deleted; node {p.node} "
             f"({p.backend or 'no datapath'}) would then program:"]
    if not p.found:
        return (*lines, *p.notes)
    for port in p.ports:
        lines.append(f"{port.service}:{port.port}/{port.protocol} ({port.role} chain {port.chain or '?'}): "
                     f"{len(port.before)} -> {len(port.after)} endpoints")
        for c in port.changes:
            what = _endpoint_words(c.address, c.port, c.pod, c.chain)
            if c.change == "removed":
                lines.append(f"  - {what}: gone (was {c.before}); its chain is removed")
            elif c.change == "added":
                lines.append(f"  + {what}: {c.after}")
            else:
                lines.append(f"  ~ {what}: {c.before} -> {c.after}")
        kept = [e for e in port.after if not any(c.address == e.address and c.port == e.port for c in port.changes)]
        lines += [f"  = {_endpoint_words(e.address, e.port, e.pod, e.chain)}: unchanged" for e in kept]
        if port.rejects_after:
            lines.append("  no endpoint left: new connections to it are rejected")
    lines += [f"note: {n}" for n in p.notes]
    return tuple(lines)


def deletion_view(cluster: ClusterState, node: NodeState, pod: str, datapath: Datapath | None = None) -> WhatIfView:
    ns, _, name = pod.partition("/")
    prediction = predict_pod_deletion(cluster, node, ns, name, datapath=datapath)
    return WhatIfView(f"what if pod {pod} is deleted", deletion_lines(prediction))

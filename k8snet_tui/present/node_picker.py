"""The node picker (`N`): every node of the cluster, whether its state is here, and why not.

`present_nodes` is pure: it gets the cluster's Node objects (through `Observed`), what the
session already holds for each node (`NodeReading`s: a node read through its agent, the local
probe, a snapshot's node; never fetched here), the node the panes read now, and the pod the
user is on. The first row is the one the picker starts on: the selected pod's node, else the
node shown now, else the node k8snet runs on (or the snapshot was captured on).

`missing_notice` is the one line a node pane shows when the chosen node's state is missing:
which node, why in a few words, what to apply or ask for, and whose state is shown instead.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from k8snet_tui.domain.model import ClusterState, NodeState, Observed, dig_str, name_of, namespace_of
from k8snet_tui.domain.sanitize import clean

APPLY = "apply `k8snet agent manifest | kubectl apply -f -`"
ROLE = "ask for the Role of `k8snet agent manifest --reader-role`"
AGENT_PODS = "`kubectl -n k8snet-agent get pods -o wide`"

# NodeStateResult.reason -> (the picker's few words, what to do about it)
WHY: Mapping[str, tuple[str, str]] = {
    "no-agents": ("no agent in the cluster", APPLY),
    "no-agent": ("no agent pod on that node", f"see where the agent runs: {AGENT_PODS}"),
    "list-forbidden": ("may not list the agent pods", ROLE),
    "forbidden": ("exec forbidden", ROLE),
    "not-ready": ("agent not ready", f"wait for its pod: {AGENT_PODS}"),
    "timeout": ("timeout", "N and pick it again to retry"),
    "unreachable": ("node unreachable", "is its kubelet reachable on port 10250? N and pick it to retry"),
    "too-big": ("state too big", "its probe printed more than the cap"),
    "failed": ("probe failed", "N shows the message; pick it again to retry"),
    "snapshot": ("not in the snapshot", f"{APPLY}, then `k8snet capture`"),
    "no-api": ("no API connection", "open a live cluster"),
}
NOT_READ = "not read yet"


class NodeReading(Protocol):
    """What a session holds for one node (`sources.node_exec.NodeStateResult` is one)."""

    @property
    def node(self) -> str: ...

    @property
    def state(self) -> NodeState | None: ...

    @property
    def error(self) -> str: ...

    @property
    def source(self) -> str: ...

    @property
    def fetched_at(self) -> float: ...

    @property
    def reason(self) -> str: ...

    @property
    def notes(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class NodeRow:
    """One node. `here`: its state is held; `where`: local probe, agent, snapshot ("" if not
    here); `age`: "12s", "3m" ("" when never read); `why`: a few words when not here; `detail`:
    the full message (or the notes of a state read from an agent of another version)."""

    name: str
    here: bool
    where: str
    age: str
    why: str
    detail: str
    shown: bool  # the node the panes read now
    pod_node: bool  # the node of the pod the user is on

    def cells(self) -> tuple[str, str, str]:
        """(node, state, age) for a table 80 columns wide."""
        marks = ("▶ " if self.shown else "  ") + self.name + (" (pod's)" if self.pod_node else "")
        state = f"✔ {self.where}" if self.here else f"· {self.why}" if self.why == NOT_READ else f"✖ {self.why}"
        if self.here and self.why:  # read, with something to know (another agent version)
            state += f" ({self.why})"
        return marks, state, self.age or "—"


@dataclass(frozen=True)
class NodePickerModel:
    rows: tuple[NodeRow, ...]  # the default first, then the cluster's nodes by name
    default: str  # the row the picker starts on ("" when there is no node at all)
    default_why: str  # "the node of pod default/client", "the node shown now", ...
    shown: str  # the node the panes read now
    title: str  # one line: what choosing does

    def row(self, name: str) -> NodeRow | None:
        return next((r for r in self.rows if r.name == name), None)


def age_words(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(max(0.0, seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h"
    return f"{s // 86400}d"


def where_words(source: str, state: NodeState | None) -> str:
    """"agent", "local probe", "snapshot" from a reading's source (or the state's own)."""
    text = source or (state.source if state is not None else "")
    if text.startswith("agent"):
        return "agent"
    if text.startswith("snapshot"):
        return "snapshot"
    if text in ("probe", "local probe") or text.startswith("probe"):
        return "local probe"
    return clean(text) or "here"


def pod_node(observed: Observed, pod_key: str | None) -> str:
    """The node `ns/name` runs on ("" when unknown or not scheduled)."""
    if not pod_key or "/" not in pod_key:
        return ""
    ns, _, name = pod_key.partition("/")
    for pod in observed.cluster.of("Pod"):
        if isinstance(pod, dict) and namespace_of(pod) == ns and name_of(pod) == name:
            return clean(dig_str(pod, "spec", "nodeName"))
    return ""


def present_nodes(observed: Observed, readings: Mapping[str, NodeReading | None], *, shown: str,
                  selected_pod: str | None = None, now: float | None = None) -> NodePickerModel:
    """The picker's rows. `readings[name]` is what the session holds (None: never read);
    `observed.nodes` (the local probe's poll, a snapshot's nodes) count as held too."""
    now = time.time() if now is None else now
    local = observed.local_node
    names = {clean(name_of(n)) for n in observed.cluster.of("Node") if isinstance(n, dict) and name_of(n)}
    # A reader who may not list Nodes still sees where pods run.
    names |= {clean(dig_str(p, "spec", "nodeName")) for p in observed.cluster.of("Pod") if isinstance(p, dict)}
    names |= {n for n in (*observed.nodes, *readings, local, shown) if n}
    names.discard("")
    from_pod = pod_node(observed, selected_pod)
    if from_pod:
        names.add(from_pod)
    rows: dict[str, NodeRow] = {}
    for name in sorted(names):
        rows[name] = _row(name, observed, readings.get(name), shown=name == shown, pod_node=name == from_pod,
                          now=now)
    if from_pod:
        default, why = from_pod, f"the node of pod {clean(selected_pod or '')}"
    elif shown and shown != local:
        default, why = shown, "the node shown now"
    elif local:
        default, why = local, ("the snapshot's node" if observed.mode == "snapshot" else "the node k8snet runs on")
    else:
        default, why = (min(rows), "the first node") if rows else ("", "no node is known")
    ordered = ([rows[default]] if default in rows else []) + [r for n, r in rows.items() if n != default]
    title = "the node whose state Host, Pods' path and the Services trace read (enter picks, esc keeps)"
    return NodePickerModel(tuple(ordered), default, why, shown, title)


def _row(name: str, observed: Observed, reading: NodeReading | None, *, shown: bool, pod_node: bool,
         now: float) -> NodeRow:
    polled = observed.nodes.get(name)
    if reading is not None and reading.state is not None and not reading.error:
        extra = WHY.get(reading.reason, ("", ""))[0] if reading.reason != "other-version" else "other version"
        return NodeRow(name, True, where_words(reading.source, reading.state),
                       age_words(now - reading.fetched_at if reading.fetched_at else None), extra,
                       clean("; ".join(reading.notes)), shown, pod_node)
    if polled is not None:
        when = polled.captured_at
        return NodeRow(name, True, where_words(polled.source, polled),
                       age_words(now - when if when else None), "", "", shown, pod_node)
    if reading is None:
        return NodeRow(name, False, "", "", NOT_READ, "enter reads it through its agent pod", shown, pod_node)
    words = WHY.get(reading.reason, ("not readable", ""))[0]
    return NodeRow(name, False, "", age_words(now - reading.fetched_at if reading.fetched_at else None),
                   words, clean(reading.error), shown, pod_node)


def not_a_node_notice(observed: Observed) -> str:
    """Live, on a machine that is not one of the cluster's nodes: its probe has no kube-proxy
    rules to show, so say how to read a node instead ("" when it is a node, or unknown)."""
    if observed.mode != "live" or not observed.local_node:
        return ""
    nodes = {name_of(n) for n in observed.cluster.of("Node") if isinstance(n, dict)}
    if observed.local_node in nodes:
        return ""  # the usual case, without walking every pod on the UI thread each tick
    nodes |= observed.cluster.memo(_pod_nodes)
    nodes.discard("")
    if not nodes or observed.local_node in nodes:
        return ""
    return clean(f"ⓘ this machine ({observed.local_node}) is not one of the cluster's nodes: N reads a node "
                 f"through its agent pod (if none runs: {APPLY})")


def _pod_nodes(cluster: ClusterState) -> frozenset[str]:
    return frozenset(dig_str(p, "spec", "nodeName") for p in cluster.of("Pod") if isinstance(p, dict))


def missing_notice(node: str, reading: NodeReading | None, *, instead: str, instead_where: str,
                   reading_now: bool = False) -> str:
    """The line a node pane shows while the chosen `node` is not what it reads."""
    if reading_now or reading is None:
        shown = f"showing {instead}'s ({instead_where}) meanwhile" if instead else "nothing shown meanwhile"
        return clean(f"⏳ reading node {node}'s state through its agent pod; {shown}")
    shown = f"showing {instead}'s ({instead_where}) instead" if instead else "no node's state is shown"
    words, todo = WHY.get(reading.reason, ("could not be read", "N and pick it again to retry"))
    return clean(f"⚠ node {node}'s state is missing ({words}); {shown}. To have it: {todo}")

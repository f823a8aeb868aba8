"""One comparison of what the configuration says with what a node's kernel shows, and the report.

A check is never silently "fine": it either agrees (both sides were read and match), disagrees
(a finding: the packet will not go the way the configuration says), or was not checked, and then
it says why (no kernel state for that node, no ConfigMap to say the mode, ...).
"""

from __future__ import annotations

from dataclasses import dataclass

AGREE = "agree"
DISAGREE = "disagree"
NOT_CHECKED = "not-checked"
STATUSES = (DISAGREE, NOT_CHECKED, AGREE)  # the order a report lists them in

TOPICS = ("tunnel", "pod-cidr", "proxy", "service-cidr")
POD_NETWORK_TOPICS = ("tunnel", "pod-cidr")  # pane 3 draws these
SERVICE_TOPICS = ("proxy", "service-cidr")  # pane 4 draws these


@dataclass(frozen=True)
class Check:
    """One comparison.

    JSON: code (what was compared, e.g. `tunnel-device`, `remote-pod-cidr`, `proxy-mode`), topic
    (tunnel | pod-cidr | proxy | service-cidr), status (agree | disagree | not-checked), node (""
    for a cluster-wide check), config (what the configuration says, naming the object and key),
    kernel (what the node's kernel shows, or why it was not read), where (the objects, devices and
    routes involved), why (what it means for a packet), next (what to look at or run next).
    """

    code: str
    topic: str
    status: str
    node: str
    config: str
    kernel: str
    where: str
    why: str
    next: str

    @property
    def disagrees(self) -> bool:
        return self.status == DISAGREE

    def headline(self) -> str:
        """One short line: the node, and what disagrees (or why nothing was checked)."""
        where = f"{self.node}: " if self.node else ""
        if self.status == NOT_CHECKED:
            return f"{where}{self.code} not checked: {self.kernel}"
        return f"{where}{self.config}; {self.kernel}"


@dataclass(frozen=True)
class ConsistencyReport:
    """`k8snet check --json`: config vs kernel, per node whose kernel state was read.

    JSON: nodes (whose kernel state was read, in the order checked), disagreements, not_checked,
    agreed (counts of checks by status), checks (disagreements first, then not-checked, then agreed).
    """

    nodes: tuple[str, ...]
    disagreements: int
    not_checked: int
    agreed: int
    checks: tuple[Check, ...]

    @property
    def findings(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.disagrees)

    def badge(self) -> str:
        """A few words for a pane's header: "" when nothing disagrees."""
        return f"✗ {self.disagreements} config≠kernel" if self.disagreements else ""

    def of_topics(self, topics: tuple[str, ...]) -> ConsistencyReport:
        return make_report(self.nodes, [c for c in self.checks if c.topic in topics])


def make_report(nodes: tuple[str, ...], checks: list[Check]) -> ConsistencyReport:
    ordered = sorted(checks, key=lambda c: (STATUSES.index(c.status), TOPICS.index(c.topic)
                                            if c.topic in TOPICS else len(TOPICS)))
    count = {s: sum(1 for c in checks if c.status == s) for s in STATUSES}
    return ConsistencyReport(nodes, count[DISAGREE], count[NOT_CHECKED], count[AGREE], tuple(ordered))

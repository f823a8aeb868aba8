"""Pane 4's trace: a Service through the node's datapath, with everything the view draws.

The domain's `ServiceTrace` says which rules a packet meets; this model adds, per step, the
rule in `iptables -L` words (looked up once, here, in the parsed dump: the widget never reads
the dump), and in live mode each endpoint's packets since the previous poll and their recent
history, so the trace widget only lays lines out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from k8snet_tui.domain.datapath.backend import Datapath
from k8snet_tui.domain.datapath.iptables_save import Rule
from k8snet_tui.domain.datapath.trace_model import Step
from k8snet_tui.domain.packet_deltas import EndpointKey
from k8snet_tui.domain.service_cidr import ServiceCIDRs
from k8snet_tui.domain.services import ServiceTrace


@dataclass(frozen=True, slots=True)
class RuleWords:
    """One rule of a trace step as people read it: matches, comment and where it jumps."""

    summary: str  # `-d 10.1.2.3/32 tcp dpt:80 probability 0.5`
    comment: str
    target: str  # "" for a counting rule
    target_args: str
    dnat_to: str  # the DNAT destination, "" when not a DNAT


@dataclass(frozen=True)
class TraceModel:
    trace: ServiceTrace
    rules: tuple[tuple[RuleWords | None, ...], ...]  # per port, per step (None: no rule found)
    cidrs: ServiceCIDRs | None = None
    live: bool = False
    deltas: Mapping[EndpointKey, int | None] = field(default_factory=dict)  # since the last poll
    history: Mapping[EndpointKey, tuple[int | None, ...]] = field(default_factory=dict)  # oldest first
    has_conntrack: bool = False


def rule_for(dp: Datapath | None, step: Step) -> Rule | None:
    """The dump's rule a step names, only when its text is the step's (a stale index is no match)."""
    if dp is None or step.index is None or step.table not in ("nat", "filter"):
        return None
    dump = dp.iptables_dump
    if dump is None:
        return None
    rules = dump.rules(step.table, step.chain)
    if 0 < step.index <= len(rules) and rules[step.index - 1].text == step.text:
        return rules[step.index - 1]
    return None


def rule_summary(rule: Rule) -> str:
    """The rule's matches as `iptables -L` words: `-d 10.1.2.3/32 tcp dpt:80 probability 0.5`."""
    words: list[str] = []
    for m in rule.matches:
        if m.module == "comment":
            continue
        neg = "! " if m.negated else ""
        if m.option == "-p":
            words.append(f"{neg}{m.value}")
        elif m.option == "--dport":
            words.append(f"{neg}dpt:{m.value}")
        elif m.option == "--mode" and m.module == "statistic":
            continue
        elif m.option == "--probability":
            words.append(f"probability {m.value}")
        elif m.module in ("tcp", "udp", "sctp") and m.option == "-m":
            continue
        else:
            words.append(m.render())
    return " ".join(words)


def rule_words(dp: Datapath | None, step: Step) -> RuleWords | None:
    rule = rule_for(dp, step)
    if rule is None:
        return None
    dnat = rule.dnat_destination if rule.target == "DNAT" and rule.dnat_destination else ""
    return RuleWords(rule_summary(rule), rule.comment or "", rule.target,
                     " ".join(rule.target_args) if rule.target_args else "", dnat or "")


def present_trace(trace: ServiceTrace, datapath: Datapath | None, *, cidrs: ServiceCIDRs | None = None,
                  live: bool = False, deltas: Mapping[EndpointKey, int | None] | None = None,
                  history: Mapping[EndpointKey, tuple[int | None, ...]] | None = None,
                  has_conntrack: bool = False) -> TraceModel:
    rules = tuple(tuple(rule_words(datapath, s) for s in p.steps) for p in trace.ports)
    return TraceModel(trace, rules, cidrs, live, dict(deltas or {}), dict(history or {}), has_conntrack)

"""NetworkPolicy (networking.k8s.io/v1): who may talk to whom, and which rule says so.

    index = index_of(cluster)                     # once per cluster state
    v = evaluate(index, "default/web", "ip:10.0.0.9", 80, "TCP")
    v.verdict, v.egress.rule, v.ingress.reason, v.as_dict()
    m = matrix(index, "default", [(80, "TCP")])   # pods grouped by identical policy treatment
    summaries(index, "default")                   # each policy in words

AdminNetworkPolicy, BaselineAdminNetworkPolicy and Cilium's policies are recognised and listed,
not evaluated: a verdict they could change says so (`not_evaluated`, `incomplete`).
"""

from .compile import EGRESS, INGRESS, Peer, Policy, Rule, compile_policy
from .evaluator import Endpoint, PolicyInputError, dns_findings, evaluate, resolve
from .index import NOT_EVALUATED_KINDS, OtherPolicy, PodInfo, PolicyIndex, build_index, index_of
from .matrix import Cell, Group, Matrix, matrix, ports_of_interest
from .problems import Problem
from .summary import PolicySummary, summaries, summarize
from .verdict import ALLOW, DENY, UNKNOWN, RuleRef, Side, Verdict

__all__ = ["ALLOW", "DENY", "EGRESS", "INGRESS", "NOT_EVALUATED_KINDS", "UNKNOWN", "Cell", "Endpoint",
           "Group", "Matrix", "OtherPolicy", "Peer", "PodInfo", "Policy", "PolicyIndex", "PolicyInputError",
           "PolicySummary", "Problem", "Rule", "RuleRef", "Side", "Verdict", "build_index",
           "compile_policy", "dns_findings", "evaluate", "index_of", "matrix", "ports_of_interest", "resolve",
           "summaries", "summarize"]

"""What-if: what the datapath would do, computed, never done to the cluster.

`request` sends pretend requests through a traced Service port (the node's own probabilities,
session affinity, the rules whose counters would move); `deletion` predicts what kube-proxy
programs after a pod is deleted. Both work the same on snapshots and live clusters, and neither
changes anything.
"""

from __future__ import annotations

from .deletion import DeletionPrediction, EndpointChange, PortPrediction, ProgrammedEndpoint, predict_pod_deletion
from .request import Answer, MovedRule, Request, RequestRun, send_requests

__all__ = ["Answer", "DeletionPrediction", "EndpointChange", "MovedRule", "PortPrediction", "ProgrammedEndpoint",
           "Request", "RequestRun", "predict_pod_deletion", "send_requests"]

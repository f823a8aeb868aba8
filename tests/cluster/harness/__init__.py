"""The k8snet test cluster: a real control plane and node datapath in network namespaces.

    from tests.cluster.harness import LabCluster, MODES
    c = LabCluster(bin_dir).start(); ...; c.stop()

Pytest fixtures live in harness.fixtures (re-exported by tests/conftest.py); the topology
and how to debug it are in docs/test-cluster.md.
"""

from .cluster import (
           DNS_IP,
           MODES,
           ClusterError,
           LabCluster,
           cleanup_stale_runs,
           svc_chain_hash,
)
from .prereq import unavailable_reason

__all__ = ["DNS_IP", "MODES", "ClusterError", "LabCluster", "cleanup_stale_runs",
           "svc_chain_hash", "unavailable_reason"]

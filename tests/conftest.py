"""Shared fixtures. The real test cluster's fixtures (lab_cluster, kube_proxy_mode) come
from tests/cluster/harness; see docs/test-cluster.md."""

from tests.cluster.harness.fixtures import kube_proxy_mode, lab_cluster  # noqa: F401

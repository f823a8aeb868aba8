"""The lab's three IP spaces as views: the internet, the host network (VPC) and the pod network.

Public entry points are re-exported here; each lives in a module named for what it does.
"""

from .cidr import binary_breakdown, classify_address, parse_prefix, prefix_contains
from .host import HostView, build_host_view
from .internet import CloudFacts, InternetView, Outbound, build_internet_view, cloud_facts_from_json
from .podnet import PodNetView, build_podnet_view
from .podpath import PodPath, pod_path

__all__ = [
    "CloudFacts",
    "HostView",
    "InternetView",
    "Outbound",
    "PodNetView",
    "PodPath",
    "binary_breakdown",
    "build_host_view",
    "build_internet_view",
    "build_podnet_view",
    "classify_address",
    "cloud_facts_from_json",
    "parse_prefix",
    "pod_path",
    "prefix_contains",
]

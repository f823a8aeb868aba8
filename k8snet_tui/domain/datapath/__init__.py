"""Service datapaths of a node: kube-proxy (iptables, nftables, IPVS) and Cilium, parsed and indexed."""

from .backend import BACKENDS, Datapath, parse_node_datapath
from .chain_names import (
    hash_and_truncate,
    iptables_chain_names,
    iptables_endpoint_chain,
    nft_chain_names,
    nft_endpoint_chain,
    port_proto_hash,
    service_port_name,
)
from .cilium import parse_cilium_services
from .iptables_save import parse_iptables_save
from .ipvsadm import parse_ipvsadm
from .nft_json import parse_nft_json
from .problems import ParseProblem

__all__ = [
    "BACKENDS", "Datapath", "ParseProblem", "hash_and_truncate", "iptables_chain_names",
    "iptables_endpoint_chain", "nft_chain_names", "nft_endpoint_chain", "parse_cilium_services",
    "parse_iptables_save", "parse_ipvsadm", "parse_nft_json", "parse_node_datapath",
    "port_proto_hash", "service_port_name",
]

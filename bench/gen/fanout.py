"""The trace's worst case: N service-chain rules that all jump to one endpoint chain of N rules.

A hostile (or broken) dump of this shape made the trace list the endpoint chain once per rule
that jumps to it: N^2 steps, 23 s and 2 GB at N = 4000 in iptables mode. The same in nftables
mode: N service-chain rules with a numgen vmap whose element is one endpoint chain of N rules.
Written as text / JSON documents (no kernel needed), small: about 0.45 MB at N = 4000.
"""

from __future__ import annotations

from typing import Any

from k8snet_tui.domain.datapath.chain_names import (
    iptables_chain_names,
    iptables_endpoint_chain,
    nft_chain_names,
    nft_endpoint_chain,
    service_port_name,
)

NAMESPACE, NAME, PORT_NAME, PORT = "default", "fanout", "http", 80
CLUSTER_IP, POD_IP = "10.96.77.7", "10.244.9.9"


def _src(i: int) -> str:
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


def fanout_objects() -> list[dict[str, Any]]:
    """The Service and its EndpointSlice (one ready endpoint)."""
    svc = {"kind": "Service", "metadata": {"name": NAME, "namespace": NAMESPACE},
           "spec": {"type": "ClusterIP", "clusterIP": CLUSTER_IP,
                    "ports": [{"name": PORT_NAME, "port": PORT, "protocol": "TCP", "targetPort": PORT}]}}
    eps = {"kind": "EndpointSlice", "addressType": "IPv4",
           "metadata": {"name": f"{NAME}-x", "namespace": NAMESPACE,
                        "labels": {"kubernetes.io/service-name": NAME}},
           "ports": [{"name": PORT_NAME, "port": PORT, "protocol": "TCP"}],
           "endpoints": [{"addresses": [POD_IP], "conditions": {"ready": True}}]}
    return [svc, eps]


def fanout_iptables(n: int) -> str:
    spn = service_port_name(NAMESPACE, NAME, PORT_NAME)
    svc = iptables_chain_names(spn, "tcp")["service"]
    sep = iptables_endpoint_chain(spn, "tcp", POD_IP, PORT)
    out = ["*nat", ":PREROUTING ACCEPT [0:0]", ":KUBE-SERVICES - [0:0]", ":KUBE-MARK-MASQ - [0:0]",
           f":{svc} - [0:0]", f":{sep} - [0:0]",
           "-A PREROUTING -j KUBE-SERVICES",
           "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000",
           f"-A KUBE-SERVICES -d {CLUSTER_IP}/32 -p tcp -m tcp --dport {PORT} -j {svc}"]
    out += [f"-A {svc} -m statistic --mode random --probability 0.5 -j {sep}" for _ in range(n - 1)]
    out.append(f"-A {svc} -j {sep}")
    out += [f"-A {sep} -s {_src(i)}/32 -j KUBE-MARK-MASQ" for i in range(n - 1)]
    out.append(f"-A {sep} -p tcp -m tcp -j DNAT --to-destination {POD_IP}:{PORT}")
    out.append("COMMIT")
    return "\n".join(out) + "\n"


def fanout_nft(n: int) -> dict[str, Any]:
    t, f = "kube-proxy", "ip"
    svc = nft_chain_names(NAMESPACE, NAME, "tcp", PORT_NAME)["service"]
    ep = nft_endpoint_chain(NAMESPACE, NAME, "tcp", PORT_NAME, POD_IP, PORT)
    saddr = {"payload": {"protocol": "ip", "field": "saddr"}}
    objs: list[dict[str, Any]] = [
        {"table": {"family": f, "name": t, "handle": 1}},
        {"map": {"family": f, "table": t, "name": "service-ips", "handle": 2, "map": "verdict",
                 "type": ["ipv4_addr", "inet_proto", "inet_service"],
                 "elem": [[{"concat": [CLUSTER_IP, "tcp", PORT]}, {"goto": {"target": svc}}]]}},
        {"chain": {"family": f, "table": t, "name": svc, "handle": 3}},
        {"chain": {"family": f, "table": t, "name": ep, "handle": 4}},
    ]
    vmap = {"vmap": {"key": {"numgen": {"mode": "random", "mod": 1, "offset": 0}},
                     "data": {"set": [[0, {"goto": {"target": ep}}]]}}}
    objs += [{"rule": {"family": f, "table": t, "chain": svc, "expr": [vmap]}} for _ in range(n)]
    objs += [{"rule": {"family": f, "table": t, "chain": ep,
                       "expr": [{"match": {"op": "==", "left": saddr, "right": _src(i)}},
                                {"jump": {"target": "mark-for-masquerade"}}]}} for i in range(n - 1)]
    objs.append({"rule": {"family": f, "table": t, "chain": ep,
                          "expr": [{"dnat": {"addr": POD_IP, "port": PORT}}]}})
    return {"nftables": objs}

"""The nftables-mode (`kube-proxy --proxy-mode=nftables`, up to 1.35) `nft -j list ruleset` document.

Table `ip kube-proxy` with the shared maps (`service-ips`, `service-nodeports`,
`no-endpoint-services`, ...), per service-port chains `service-<hash>-ns/name/proto/port` whose
last rule is `numgen random mod N vmap { i : goto endpoint-... }`, and per-endpoint chains that
mark hairpin traffic and DNAT. The JSON shapes follow real `nft -j` output (nft 1.0.x), see
tests/domain/fixtures/datapath/nft-kube-proxy-vmap.json.
"""

from __future__ import annotations

from typing import Any

from k8snet_tui.domain.datapath.chain_names import (
    nft_affinity_set,
    nft_chain_names,
    nft_endpoint_chain,
    service_port_name,
)

from .model import CLUSTER_CIDR, Cluster

T = "kube-proxy"
F = "ip"
_DADDR = {"payload": {"protocol": "ip", "field": "daddr"}}
_SADDR = {"payload": {"protocol": "ip", "field": "saddr"}}
_L4 = {"meta": {"key": "l4proto"}}
_DPORT = {"payload": {"protocol": "th", "field": "dport"}}


def _eq(left: Any, right: Any, op: str = "==") -> dict[str, Any]:
    return {"match": {"op": op, "left": left, "right": right}}


def _prefix(cidr: str) -> dict[str, Any]:
    addr, _, length = cidr.partition("/")
    return {"prefix": {"addr": addr, "len": int(length)}}


def build_ruleset(c: Cluster) -> dict[str, Any]:
    handle = iter(range(1, 10**9))
    objs: list[dict[str, Any]] = [
        {"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}},
        {"table": {"family": F, "name": T, "handle": next(handle), "comment": "rules for kube-proxy"}},
    ]
    chains: list[dict[str, Any]] = []
    rules: list[dict[str, Any]] = []
    sets: list[dict[str, Any]] = []

    def chain(name: str, **hook: Any) -> None:
        chains.append({"chain": {"family": F, "table": T, "name": name, "handle": next(handle), **hook}})

    def rule(chain_name: str, *expr: Any, comment: str | None = None) -> None:
        body: dict[str, Any] = {"family": F, "table": T, "chain": chain_name, "handle": next(handle), "expr": list(expr)}
        if comment:
            body["comment"] = comment
        rules.append({"rule": body})

    cluster_ips: list[str] = []
    service_ips: list[Any] = []
    nodeports: list[Any] = []
    no_ep: list[Any] = []
    mark_masq = {"jump": {"target": "mark-for-masquerade"}}

    for name, hook in (("nat-prerouting", {"type": "nat", "hook": "prerouting", "prio": -100, "policy": "accept"}),
                       ("nat-output", {"type": "nat", "hook": "output", "prio": -100, "policy": "accept"}),
                       ("nat-postrouting", {"type": "nat", "hook": "postrouting", "prio": 100, "policy": "accept"}),
                       ("filter-input", {"type": "filter", "hook": "input", "prio": -110, "policy": "accept"}),
                       ("filter-forward", {"type": "filter", "hook": "forward", "prio": -110, "policy": "accept"}),
                       ("filter-output", {"type": "filter", "hook": "output", "prio": -110, "policy": "accept"})):
        chain(name, **hook)
    for name in ("reject-chain", "mark-for-masquerade", "masquerading", "services", "service-endpoints-check",
                 "nodeport-endpoints-check"):
        chain(name)
    rule("reject-chain", {"reject": {"type": "icmp", "expr": "port-unreachable"}})
    rule("mark-for-masquerade", {"mangle": {"key": {"meta": {"key": "mark"}},
                                            "value": {"|": [{"meta": {"key": "mark"}}, 16384]}}})
    rule("masquerading", _eq({"&": [{"meta": {"key": "mark"}}, 16384]}, 0), {"return": None})
    rule("masquerading", {"mangle": {"key": {"meta": {"key": "mark"}},
                                     "value": {"^": [{"meta": {"key": "mark"}}, 16384]}}})
    rule("masquerading", {"masquerade": {"flags": "fully-random"}})
    rule("services", {"vmap": {"key": {"concat": [_DADDR, _L4, _DPORT]}, "data": "@service-ips"}})
    rule("services", _eq({"fib": {"result": "type", "flags": ["daddr"]}}, "local"),
         _eq(_DADDR, _prefix("127.0.0.0/8"), "!="),
         {"vmap": {"key": {"concat": [_L4, _DPORT]}, "data": "@service-nodeports"}})
    for base, target in (("nat-prerouting", "services"), ("nat-output", "services"),
                         ("nat-postrouting", "masquerading")):
        rule(base, {"jump": {"target": target}})
    ct_new = _eq({"ct": {"key": "state"}}, "new", "in")
    rule("filter-input", ct_new, {"jump": {"target": "nodeport-endpoints-check"}})
    rule("filter-input", ct_new, {"jump": {"target": "service-endpoints-check"}})
    rule("filter-forward", ct_new, {"jump": {"target": "service-endpoints-check"}})
    rule("filter-output", ct_new, {"jump": {"target": "service-endpoints-check"}})
    rule("service-endpoints-check", {"vmap": {"key": {"concat": [_DADDR, _L4, _DPORT]}, "data": "@no-endpoint-services"}})
    rule("nodeport-endpoints-check", _eq({"fib": {"result": "type", "flags": ["daddr"]}}, "local"),
         {"vmap": {"key": {"concat": [_L4, _DPORT]}, "data": "@no-endpoint-nodeports"}})

    for svc in c.services:
        cluster_ips.append(svc.cluster_ip)
        for port in svc.ports:
            proto = port.protocol.lower()
            names = nft_chain_names(svc.namespace, svc.name, proto, port.name)
            key = {"concat": [svc.cluster_ip, proto, port.port]}
            if not svc.endpoints:
                spn = service_port_name(svc.namespace, svc.name, port.name)
                no_ep.append([{"elem": {"val": key, "comment": spn}}, {"goto": {"target": "reject-chain"}}])
                continue
            svc_chain = names["service"]
            service_ips.append([key, {"goto": {"target": svc_chain}}])
            eps = [(ep, nft_endpoint_chain(svc.namespace, svc.name, proto, port.name, ep.ip, port.target_port))
                   for ep in svc.endpoints]
            for ep, ep_chain in eps:
                chain(ep_chain)
                rule(ep_chain, _eq(_SADDR, ep.ip), mark_masq)
                if svc.affinity_seconds:
                    aff = nft_affinity_set(svc.namespace, svc.name, proto, port.name, ep.ip, port.target_port)
                    sets.append({"set": {"family": F, "name": aff, "table": T, "type": "ipv4_addr",
                                         "handle": next(handle), "size": 65535, "flags": ["timeout"],
                                         "timeout": svc.affinity_seconds}})
                    rule(ep_chain, {"set": {"op": "update", "elem": _SADDR, "set": "@" + aff}})
                rule(ep_chain, _eq(_L4, proto), {"dnat": {"addr": ep.ip, "port": port.target_port}})
            chain(svc_chain)
            rule(svc_chain, _eq(_DADDR, svc.cluster_ip), _eq(_SADDR, _prefix(CLUSTER_CIDR), "!="), mark_masq)
            if svc.affinity_seconds:
                for ep, ep_chain in eps:
                    aff = nft_affinity_set(svc.namespace, svc.name, proto, port.name, ep.ip, port.target_port)
                    rule(svc_chain, _eq(_SADDR, "@" + aff), {"goto": {"target": ep_chain}})
            rule(svc_chain, {"vmap": {"key": {"numgen": {"mode": "random", "mod": len(eps), "offset": 0}},
                                      "data": {"set": [[i, {"goto": {"target": ch}}] for i, (_, ch) in enumerate(eps)]}}})
            if port.node_port:
                ext = names["external"]
                chain(ext)
                rule(ext, mark_masq)
                rule(ext, {"goto": {"target": svc_chain}})
                nodeports.append([{"concat": [proto, port.node_port]}, {"goto": {"target": ext}}])

    def vmap(name: str, types: list[str], comment: str, elems: list[Any]) -> dict[str, Any]:
        body: dict[str, Any] = {"family": F, "name": name, "table": T, "type": types, "handle": next(handle),
                                "comment": comment, "map": "verdict"}
        if elems:
            body["elem"] = elems
        return {"map": body}

    objs.append({"set": {"family": F, "name": "cluster-ips", "table": T, "type": "ipv4_addr", "handle": next(handle),
                         "comment": "Active ClusterIPs",
                         "elem": sorted(cluster_ips, key=lambda s: tuple(map(int, s.split("."))))}})
    three = ["ipv4_addr", "inet_proto", "inet_service"]
    objs.append(vmap("service-ips", three, "ClusterIP, ExternalIP and LoadBalancer IP traffic", service_ips))
    objs.append(vmap("service-nodeports", ["inet_proto", "inet_service"], "NodePort traffic", nodeports))
    objs.append(vmap("no-endpoint-services", three,
                     "vmap to drop or reject packets to services with no endpoints", no_ep))
    objs.append(vmap("no-endpoint-nodeports", ["inet_proto", "inet_service"],
                     "vmap to drop or reject packets to service nodeports with no endpoints", []))
    return {"nftables": objs + sets + chains + rules}

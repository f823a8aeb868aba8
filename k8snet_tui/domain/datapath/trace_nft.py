"""Follow one service port through kube-proxy's nftables rules (`table ip kube-proxy`).

Two shapes of load balancing are understood: up to 1.35 the service chain does
`numgen random mod N vmap { i : goto endpoint-... }` and each endpoint chain DNATs; newer
releases DNAT straight from the service chain with `numgen random mod N map { i : IP . port }`
(or a plain `dnat to IP:port` for a single endpoint).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from .chain_names import nft_chain_names
from .endpoints import ServicePort
from .nft_json import NftRule, NftRuleset, plain_value
from .trace_model import Finding, KernelEndpoint, KernelPortView, Step, StepLog

TABLE = "kube-proxy"


def _d(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else None


def _numgen_mod(key: Any) -> int | None:
    ng = _d(key, "numgen")
    mod = _d(ng, "mod")
    return mod if isinstance(mod, int) and not isinstance(mod, bool) and mod > 0 else None


def _pairs(data: Any) -> list[tuple[Any, Any]]:
    items = _d(data, "set")
    if not isinstance(items, list):
        return []
    return [(x[0], x[1]) for x in items if isinstance(x, list) and len(x) == 2]


def _addr_port(value: Any) -> tuple[str, int] | None:
    v = plain_value(value)
    if isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], str) and isinstance(v[1], int):
        return v[0], v[1]
    return None


def _classify(rule: NftRule) -> tuple[str, list[tuple[int, str | tuple[str, int]]], int | None]:
    """(kind, [(numgen index, endpoint chain or (ip, port))], numgen modulus) for one rule."""
    mod = None
    targets: list[tuple[int, str | tuple[str, int]]] = []
    kind = "other"
    for e in rule.expr:
        if not isinstance(e, dict):
            continue
        vmap = _d(e, "vmap")
        if vmap is not None and _numgen_mod(_d(vmap, "key")):
            mod = _numgen_mod(_d(vmap, "key"))
            for idx, verdict in _pairs(_d(vmap, "data")):
                tgt = plain_value(verdict)
                if isinstance(idx, int) and isinstance(tgt, tuple) and len(tgt) == 2 and isinstance(tgt[1], str):
                    targets.append((idx, tgt[1]))
            kind = "endpoint"
        dnat = _d(e, "dnat")
        if isinstance(dnat, dict):
            addr = dnat.get("addr")
            amap = _d(addr, "map")
            if amap is not None and _numgen_mod(_d(amap, "key")):
                mod = _numgen_mod(_d(amap, "key"))
                for idx, val in _pairs(_d(amap, "data")):
                    ap = _addr_port(val)
                    if isinstance(idx, int) and ap:
                        targets.append((idx, ap))
                kind = "dnat"
            elif isinstance(addr, str) and isinstance(dnat.get("port"), int):
                targets.append((0, (addr, dnat["port"])))
                kind = "dnat"
        if "mangle" in e and "mark" in str(_d(_d(e["mangle"], "key"), "meta")):
            kind = "masquerade"
        for verb in ("jump", "goto"):
            tgt = _d(_d(e, verb), "target")
            if tgt == "mark-for-masquerade":
                kind = "masquerade"
            elif isinstance(tgt, str) and tgt.startswith("endpoint-") and kind == "other":
                kind = "affinity" if "@affinity-" in rule.text else "jump"
                targets.append((-1, tgt))
            elif isinstance(tgt, str) and kind == "other":
                kind = "jump"
        if "reject" in e:
            kind = "reject"
        if "drop" in e:
            kind = "drop"
    return kind, targets, mod


def _step(rule: NftRule, depth: int, kind: str) -> Step:
    return Step(depth, kind, rule.chain, rule.index, rule.text, None, None, f"{rule.family} {rule.table}")


def _elem_step(map_name: str, key: Any, value: Any, comment: str) -> Step:
    k = " . ".join(str(x) for x in key) if isinstance(key, tuple) else str(key)
    v = " ".join(str(x) for x in value if x) if isinstance(value, tuple) else str(value)
    text = f"@{map_name}: {k} : {v}" + (f"  # {comment}" if comment else "")
    kind = "reject" if "reject" in v else "drop" if v.startswith("drop") else "entry"
    return Step(0, kind, map_name, None, text)


def trace_nft_port(rs: NftRuleset, namespace: str, name: str, port: ServicePort,
                   entry_ips: tuple[str, ...], ipv6: bool = False) -> KernelPortView:
    family = "ip6" if ipv6 else "ip"
    proto = port.protocol.lower()
    names = nft_chain_names(namespace, name, proto, port.name)
    present = {r: (n if rs.chain(family, TABLE, n) is not None else None) for r, n in names.items()}
    log = StepLog()
    findings: list[Finding] = []
    rejects = False
    entry_keys = {(ip, proto, port.port) for ip in entry_ips}
    for map_name in ("service-ips", "no-endpoint-services", "firewall-ips"):
        for key, value, comment in rs.elements_with_keys(family, TABLE, map_name, entry_keys):
            log.add(_elem_step(map_name, key, value, comment))
            rejects |= map_name == "no-endpoint-services"
    if port.node_port:
        for map_name in ("service-nodeports", "no-endpoint-nodeports"):
            for key, value, comment in rs.elements_with_keys(family, TABLE, map_name, ((proto, port.node_port),)):
                log.add(_elem_step(map_name, key, value, comment))
                rejects |= map_name == "no-endpoint-nodeports"

    for role in ("firewall", "external"):
        if present[role]:
            chain = rs.chain(family, TABLE, present[role])
            for rule in chain.rules if chain else ():
                log.add(_step(rule, 1, _classify(rule)[0]))

    # Each endpoint chain is walked once however many rules or map elements name it, and a
    # numgen map that covers every value ends the chain: later rules get nothing.
    lb_chain = present["service"] or present["local"]
    endpoints: list[KernelEndpoint] = []
    by_target: dict[Any, int] = {}
    walked: dict[str, tuple[str, int] | None] = {}
    explanation = "no endpoints"
    affinity_seen = False
    for chain_name in (c for c in (present["service"], present["local"]) if c):
        chain = rs.chain(family, TABLE, chain_name)
        left = 1.0  # the part of new connections no earlier numgen rule took
        for rule in chain.rules if chain else ():
            kind, targets, mod = _classify(rule)
            log.add(_step(rule, 2, kind))
            affinity_seen |= kind == "affinity"
            if kind not in ("endpoint", "dnat"):
                continue
            for _, tgt in targets:
                if isinstance(tgt, str) and tgt not in walked:
                    ap = None
                    ep_chain = rs.chain(family, TABLE, tgt)
                    for ep_rule in ep_chain.rules if ep_chain else ():
                        ek, et, _ = _classify(ep_rule)
                        log.add(_step(ep_rule, 3, ek))
                        if ap is None and ek == "dnat" and et and not isinstance(et[0][1], str):
                            ap = et[0][1]
                    walked[tgt] = ap
            if chain_name != lb_chain or left <= 0.0:
                continue
            n = mod or 1
            hits = Counter(t for i, t in targets if not mod or 0 <= i < n)
            covered = len({i for i, _ in targets if not mod or 0 <= i < n})
            for tgt, count in hits.items():
                share = left * count / n
                if tgt in by_target:
                    i = by_target[tgt]
                    e = endpoints[i]
                    endpoints[i] = KernelEndpoint(e.address, e.port, e.chain, None, e.share + share)
                    continue
                by_target[tgt] = len(endpoints)
                if isinstance(tgt, str):  # an endpoint chain: its DNAT tells the address
                    ap = walked.get(tgt)
                    if ap is None:
                        findings.append(Finding("warning", "endpoint-chain-unreadable",
                                                f"{tgt} has no DNAT rule; its endpoint is unknown"))
                        ap = ("?", 0)
                    endpoints.append(KernelEndpoint(ap[0], ap[1], tgt, None, share))
                else:
                    endpoints.append(KernelEndpoint(tgt[0], tgt[1], None, None, share))
            left -= left * min(covered, n) / n
            if mod:
                explanation = f"numgen random mod {mod}: each value picks one endpoint"
                if len(endpoints) and len({round(e.share, 9) for e in endpoints}) == 1:
                    explanation += f" (1/{len(endpoints)} each)"
            elif endpoints:
                explanation = "every connection goes to the only endpoint"
    found = any(present.values()) or bool(log.steps) or bool(log.dropped)
    if affinity_seen:
        findings.append(Finding("info", "session-affinity",
                                "clients seen recently go back to the same endpoint before the random pick"))
    findings += log.findings()
    return KernelPortView(present, tuple(endpoints), tuple(log.steps), tuple(findings), explanation, found, rejects)

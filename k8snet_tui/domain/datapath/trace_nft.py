"""Follow one service port through kube-proxy's nftables rules (`table ip kube-proxy`).

Two shapes of load balancing are understood: up to 1.35 the service chain does
`numgen random mod N vmap { i : goto endpoint-... }` and each endpoint chain DNATs; newer
releases DNAT straight from the service chain with `numgen random mod N map { i : IP . port }`
(or a plain `dnat to IP:port` for a single endpoint).
"""

from __future__ import annotations

from typing import Any

from .chain_names import nft_chain_names
from .endpoints import ServicePort
from .ipvsadm import split_host_port
from .nft_json import NftRule, NftRuleset, plain_value
from .trace_model import (
    ChainWalk,
    Client,
    Finding,
    KernelEndpoint,
    KernelPath,
    KernelPortView,
    Outcome,
    Step,
    StepLog,
)

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


class _Client(Client):
    __slots__ = ()

    def matches(self, rule: NftRule, in_firewall: bool, ranges: list[str]) -> bool:
        for e in rule.expr:
            m = _d(e, "match")
            if not isinstance(m, dict):
                continue
            left, right, op = m.get("left"), m.get("right"), m.get("op", "==")
            negated = op == "!="
            if isinstance(right, str) and right.startswith("@affinity-"):
                return False  # a new client is in no affinity set
            field_ = _d(_d(left, "payload"), "field")
            if field_ == "saddr":
                if in_firewall:
                    for r in _plain_list(right):
                        if r not in ranges:
                            ranges.append(r)
                    # the client is one the source ranges admit: `saddr != {ranges} drop` skips it
                    if negated:
                        return False
                elif negated:
                    if not self.external:
                        return False
                else:
                    return False  # pod-CIDR or hairpin short-cuts are for other clients
            elif field_ == "daddr" and isinstance(right, str) and not right.startswith("@"):
                same = right == self.address if self.address else not right.startswith("127.")
                if same == negated:
                    return False
            elif field_ == "dport" or _d(_d(left, "meta"), "key") == "l4proto":
                want = self.port if field_ == "dport" else self.protocol
                if type(right) is type(want) and (right == want) == negated:
                    return False
            elif (isinstance(_d(left, "fib"), dict) and "saddr" in str(_d(_d(left, "fib"), "flags"))
                  and (right == "local") != negated):
                return False  # traffic from the node itself
        return True


def _plain_list(value: Any) -> list[str]:
    v = plain_value(_d(value, "set") if isinstance(value, dict) and "set" in value else value)
    items = v if isinstance(v, tuple) else (v,)
    return [x for x in items if isinstance(x, str)]


def _numgen_pairs(data: Any, mod: int) -> list[tuple[float, Any]]:
    """(share, raw value) per map element of a numgen map with modulus `mod`."""
    out = []
    for idx, val in _pairs(data):
        if isinstance(idx, int) and 0 <= idx < mod:
            out.append((1.0 / mod, val))
    return out


class _Walk(ChainWalk[_Client]):
    def __init__(self, rs: NftRuleset, family: str, log: StepLog, findings: list[Finding]):
        super().__init__(log, findings)
        self.rs, self.family = rs, family
        self.affinity = False

    def chain_rules(self, name: str) -> tuple[Any, bool]:
        chain = self.rs.chain(self.family, TABLE, name)
        return (chain.rules if chain else ()), name.startswith("firewall-")

    def _verdict(self, out: Outcome, value: Any, part: float, client: _Client, depth: int) -> float:
        """Apply a verdict (goto/jump chain, drop, reject) to `part`; returns what comes back."""
        v = plain_value(value) if not isinstance(value, tuple) else value
        if isinstance(v, tuple) and len(v) == 2 and v[0] in ("goto", "jump") and isinstance(v[1], str):
            target = v[1]
            if target == "reject-chain":
                out.rejected += part
                return 0.0
            if target == "mark-for-masquerade":
                out.masquerade += part
                return part
            if self.rs.chain(self.family, TABLE, target) is None:
                return part
            return out.add(self.chain(target, client, depth + 1), part)
        if isinstance(v, tuple) and v and v[0] == "drop":
            out.dropped += part
            return 0.0
        if isinstance(v, tuple) and v and v[0] == "reject":
            out.rejected += part
            return 0.0
        return part

    def rules(self, rules: Any, client: _Client, depth: int, log: bool, in_firewall: bool) -> Outcome:
        out = Outcome()
        left = 1.0
        for rule in rules:
            if log:
                kind = _classify(rule)[0]
                self.log.add(_step(rule, depth, kind))
                self.affinity |= kind == "affinity"
            applies = client.matches(rule, in_firewall, out.source_ranges)
            if not applies:
                if log:
                    for _, tgt in rule.verdicts:
                        if tgt.startswith(("endpoint-", "service-", "local-", "external-")):
                            self.chain(tgt, client, depth + 1)  # listed once, though this client skips it
                continue
            if left <= 0.0:
                continue
            part = left
            done = False
            for e in rule.expr:
                if not isinstance(e, dict):
                    continue
                if "mangle" in e and "mark" in str(_d(_d(e["mangle"], "key"), "meta")) and "|" in str(e["mangle"]):
                    out.masquerade += part
                vmap = _d(e, "vmap")
                mod = _numgen_mod(_d(vmap, "key")) if vmap is not None else None
                if mod:
                    back = 0.0
                    taken = 0.0
                    for share, val in _numgen_pairs(_d(vmap, "data"), mod):
                        taken += share * part
                        back += self._verdict(out, val, share * part, client, depth)
                    left = left - taken + back
                    done = True
                    break
                dnat = _d(e, "dnat")
                if isinstance(dnat, dict):
                    addr = dnat.get("addr")
                    amap = _d(addr, "map")
                    mod = _numgen_mod(_d(amap, "key")) if amap is not None else None
                    if mod:
                        taken = 0.0
                        for share, val in _numgen_pairs(_d(amap, "data"), mod):
                            ap = _addr_port(val)
                            dest = f"{ap[0]}:{ap[1]}" if ap else "?"
                            out.dnat[(dest, rule.chain)] = out.dnat.get((dest, rule.chain), 0.0) + share * part
                            taken += share * part
                        left -= taken
                    elif isinstance(addr, str):
                        dest = f"{addr}:{dnat.get('port')}" if isinstance(dnat.get("port"), int) else addr
                        out.dnat[(dest, rule.chain)] = out.dnat.get((dest, rule.chain), 0.0) + part
                        left -= part
                    done = True
                    break
                for verb in ("goto", "jump"):
                    tgt = _d(_d(e, verb), "target")
                    if isinstance(tgt, str):
                        back = self._verdict(out, (verb, tgt), part, client, depth)
                        left = left - part + back
                        done = True
                if done:
                    break
                if "drop" in e:
                    out.dropped += part
                    left -= part
                    break
                if "reject" in e:
                    out.rejected += part
                    left -= part
                    break
                if "return" in e:
                    out.fall += part
                    left -= part
                    break
        out.fall += left
        return out


def _elem_target(value: Any) -> str | None:
    v = value
    if isinstance(v, tuple) and len(v) == 2 and v[0] in ("goto", "jump") and isinstance(v[1], str):
        return v[1]
    return None


def _nft_path(walk: _Walk, rs: NftRuleset, family: str, name: str, entry: str, client: _Client,
              proto: str) -> KernelPath | None:
    node_port = entry == "node-port"
    key: tuple[Any, ...] = (proto, client.port) if node_port else (client.address, proto, client.port)
    nat_map, none_map = ("service-nodeports", "no-endpoint-nodeports") if node_port else ("service-ips", "no-endpoint-services")
    out = Outcome()
    left = 1.0
    found = False
    first_chain = None
    if not node_port:
        # 1.31 on: a firewall-ips map to a per-service chain (`ip saddr != {ranges} drop`);
        # 1.29-1.30: a `firewall` set of destinations and a `firewall-allow` set of
        # destination . source-range pairs. Either way the client is one the ranges admit.
        for k, value, comment in rs.elements_with_keys(family, TABLE, "firewall-ips", (key,)):
            found = True
            walk.log.add(_elem_step("firewall-ips", k, value, comment))
            left = walk._verdict(out, value, left, client, 0)
        if rs.elements_with_keys(family, TABLE, "firewall", (key,)):
            allow = rs.set(family, TABLE, "firewall-allow")
            for k, value, comment in allow.elements if allow else ():
                if isinstance(k, tuple) and len(k) == 4 and k[:3] == key and isinstance(k[3], str):
                    walk.log.add(_elem_step("firewall-allow", k, value, comment))
                    if k[3] not in out.source_ranges:
                        out.source_ranges.append(k[3])
    for k, value, comment in rs.elements_with_keys(family, TABLE, nat_map, (key,)):
        found = True
        walk.log.add(_elem_step(nat_map, k, value, comment))
        first_chain = first_chain or _elem_target(value)
        if left > 0:
            left = walk._verdict(out, value, left, client, 0)
    for k, value, comment in rs.elements_with_keys(family, TABLE, none_map, (key,)):
        found = True
        walk.log.add(_elem_step(none_map, k, value, comment))
        if left > 0:
            left = walk._verdict(out, value, left, client, 0)
    if not found:
        return None
    endpoints = []
    for (dest, chain), share in out.dnat.items():
        hp = split_host_port(dest) or ("?", 0)
        endpoints.append(KernelEndpoint(hp[0], hp[1], chain if chain.startswith("endpoint-") else None, None, share))
    return KernelPath(name, entry, client.address, client.port, first_chain, tuple(endpoints),
                      out.dropped, out.rejected, left, out.masquerade > 1e-9, tuple(out.source_ranges))


def prepare(rs: NftRuleset) -> None:
    """Index kube-proxy's maps by key now, so the first trace costs what the others do."""
    for family, table in rs.tables:
        if table == TABLE:
            for name in ("service-ips", "service-nodeports", "no-endpoint-services", "no-endpoint-nodeports",
                         "firewall-ips", "firewall"):
                rs.elements_with_keys(family, table, name, ())


def trace_nft_port(rs: NftRuleset, namespace: str, name: str, port: ServicePort,
                   entry_ips: tuple[str, ...], ipv6: bool = False,
                   entries: tuple[tuple[str, str], ...] = ()) -> KernelPortView:
    """Trace one port; `entries` are (kind, address) pairs (else: the first IP is the ClusterIP)."""
    family = "ip6" if ipv6 else "ip"
    proto = port.protocol.lower()
    names = nft_chain_names(namespace, name, proto, port.name)
    log = StepLog()
    findings: list[Finding] = []
    walk = _Walk(rs, family, log, findings)
    points = list(entries) or [("cluster-ip" if i == 0 else "external-ip", ip) for i, ip in enumerate(entry_ips)]
    paths: list[KernelPath] = []
    for kind, addr in points:
        client = _Client(kind != "cluster-ip", addr, port.port, proto)
        p = _nft_path(walk, rs, family, "cluster" if kind == "cluster-ip" else "external", kind, client, proto)
        if p is not None:
            paths.append(p)
    if port.node_port:
        p = _nft_path(walk, rs, family, "external", "node-port", _Client(True, "", port.node_port, proto), proto)
        if p is not None:
            paths.append(p)

    present: dict[str, str | None] = {r: (n if rs.chain(family, TABLE, n) is not None else None)
                                      for r, n in names.items()}
    for chain in walk.seen_chains:
        for prefix, role in (("service-", "service"), ("local-", "local"), ("external-", "external"),
                             ("firewall-", "firewall")):
            if chain.startswith(prefix) and present[role] is None:
                present[role] = chain
    for role in ("service", "local", "external", "firewall"):
        chain_name = present[role]
        if chain_name and chain_name not in walk.logged:
            walk.chain(chain_name, _Client(role != "service", "", 0, proto), 1)

    main = next((p for p in paths if p.path == "cluster"), paths[0] if paths else None)
    endpoints = list(main.endpoints) if main else []
    explanation = "no endpoints"
    lb_chain = present["service"] or present["local"]
    lb = rs.chain(family, TABLE, lb_chain) if lb_chain else None
    for rule in lb.rules if lb else ():
        kind, _, mod = _classify(rule)
        if kind in ("endpoint", "dnat"):
            if mod:
                explanation = f"numgen random mod {mod}: each value picks one endpoint"
                if endpoints and len({round(e.share, 9) for e in endpoints}) == 1:
                    explanation += f" (1/{len(endpoints)} each)"
            elif endpoints:
                explanation = "every connection goes to the only endpoint"
            break
    for e in endpoints:
        if e.address == "?":
            findings.append(Finding("warning", "endpoint-chain-unreadable",
                                    f"{e.chain} has no readable DNAT rule; its endpoint is unknown"))
    rejects = any(p.dropped + p.rejected > 1e-9 and not p.endpoints for p in paths)
    found = any(present.values()) or bool(paths)
    if walk.affinity:
        findings.append(Finding("info", "session-affinity",
                                "clients seen recently go back to the same endpoint before the random pick"))
    findings += log.findings()
    return KernelPortView(present, tuple(endpoints), tuple(log.steps), tuple(findings), explanation, found,
                          rejects, None, tuple(paths))


"""A kube-proxy (iptables mode) `iptables-save -c` dump of a generated cluster.

Written the way iptables-legacy-save prints what kube-proxy restored: built-in chains first,
then user chains in name order (libiptc keeps them sorted), each chain's rules in turn; the
match order, `/32` suffixes, quoting and `--set-xmark` spelling iptables-save normalises to;
probabilities as iptables stores and prints them (round(2^31 p), then %.11f). Above 1000
endpoints kube-proxy's large-cluster mode drops comments from KUBE-SVC->KUBE-SEP and KUBE-SEP
rules, and so does this writer.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator

from k8snet_tui.domain.datapath.chain_names import (
    iptables_chain_names,
    iptables_endpoint_chain,
    service_port_name,
)

from .model import CLUSTER_CIDR, Cluster

HEADER_DATE = "Thu Nov 26 05:00:00 2026"
VERSION = "v1.8.9"  # iptables-legacy-save prints no backend tag; -nft prints "(nf_tables)"


def iptables_probability(n_left: int) -> str:
    """What iptables-save prints for kube-proxy's `--probability %0.10f` of 1/n_left."""
    p = float(f"{1.0 / n_left:0.10f}")
    stored = math.floor(p * 2**31 + 0.5)  # xt_statistic keeps a u32 out of 2^31 (lround)
    return f"{stored / 2**31:.11f}"


class _Table:
    def __init__(self, name: str, builtins: list[str]):
        self.name = name
        self.builtins = builtins
        self.chains: dict[str, list[str]] = {b: [] for b in builtins}

    def chain(self, name: str) -> None:
        self.chains.setdefault(name, [])

    def add(self, chain: str, rule: str) -> None:
        self.chains.setdefault(chain, []).append(rule)


def _c(comment: str) -> str:
    return f'-m comment --comment "{comment}"'


def build_tables(c: Cluster) -> list[_Table]:
    large = c.large_cluster_mode
    mangle = _Table("mangle", ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"])
    for ch in ("KUBE-IPTABLES-HINT", "KUBE-KUBELET-CANARY", "KUBE-PROXY-CANARY"):
        mangle.chain(ch)

    flt = _Table("filter", ["INPUT", "FORWARD", "OUTPUT"])
    for ch in ("KUBE-EXTERNAL-SERVICES", "KUBE-FIREWALL", "KUBE-FORWARD", "KUBE-KUBELET-CANARY",
               "KUBE-NODEPORTS", "KUBE-PROXY-CANARY", "KUBE-PROXY-FIREWALL", "KUBE-SERVICES"):
        flt.chain(ch)
    new = "-m conntrack --ctstate NEW"
    flt.add("INPUT", f'{new} {_c("kubernetes load balancer firewall")} -j KUBE-PROXY-FIREWALL')
    flt.add("INPUT", f'{_c("kubernetes health check service ports")} -j KUBE-NODEPORTS')
    flt.add("INPUT", f'{new} {_c("kubernetes externally-visible service portals")} -j KUBE-EXTERNAL-SERVICES')
    flt.add("INPUT", "-j KUBE-FIREWALL")
    flt.add("FORWARD", f'{new} {_c("kubernetes load balancer firewall")} -j KUBE-PROXY-FIREWALL')
    flt.add("FORWARD", f'{_c("kubernetes forwarding rules")} -j KUBE-FORWARD')
    flt.add("FORWARD", f'{new} {_c("kubernetes service portals")} -j KUBE-SERVICES')
    flt.add("FORWARD", f'{new} {_c("kubernetes externally-visible service portals")} -j KUBE-EXTERNAL-SERVICES')
    flt.add("OUTPUT", f'{new} {_c("kubernetes load balancer firewall")} -j KUBE-PROXY-FIREWALL')
    flt.add("OUTPUT", f'{new} {_c("kubernetes service portals")} -j KUBE-SERVICES')
    flt.add("OUTPUT", "-j KUBE-FIREWALL")
    flt.add("KUBE-FIREWALL", f'! -s 127.0.0.0/8 -d 127.0.0.0/8 {_c("block incoming localnet connections")} '
                             "-m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP")
    flt.add("KUBE-FORWARD", "-m conntrack --ctstate INVALID -j DROP")
    flt.add("KUBE-FORWARD", f'{_c("kubernetes forwarding rules")} -m mark --mark 0x4000/0x4000 -j ACCEPT')
    flt.add("KUBE-FORWARD", f'{_c("kubernetes forwarding conntrack rule")} '
                            "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")

    nat = _Table("nat", ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"])
    for ch in ("KUBE-KUBELET-CANARY", "KUBE-MARK-MASQ", "KUBE-NODEPORTS", "KUBE-POSTROUTING",
               "KUBE-PROXY-CANARY", "KUBE-SERVICES"):
        nat.chain(ch)
    nat.add("PREROUTING", f'{_c("kubernetes service portals")} -j KUBE-SERVICES')
    nat.add("OUTPUT", f'{_c("kubernetes service portals")} -j KUBE-SERVICES')
    nat.add("POSTROUTING", f'{_c("kubernetes postrouting rules")} -j KUBE-POSTROUTING')
    nat.add("KUBE-MARK-MASQ", "-j MARK --set-xmark 0x4000/0x4000")
    nat.add("KUBE-POSTROUTING", "-m mark ! --mark 0x4000/0x4000 -j RETURN")
    nat.add("KUBE-POSTROUTING", "-j MARK --set-xmark 0x4000/0x0")
    nat.add("KUBE-POSTROUTING", f'{_c("kubernetes service traffic requiring SNAT")} -j MASQUERADE --random-fully')

    for svc in c.services:
        for port in svc.ports:
            spn = service_port_name(svc.namespace, svc.name, port.name)
            proto = port.protocol.lower()
            names = iptables_chain_names(spn, proto)
            svc_chain = names["service"]
            dst = f"-d {svc.cluster_ip}/32 -p {proto}"
            dport = f"-m {proto} --dport {port.port}"
            if not svc.endpoints:
                flt.add("KUBE-SERVICES", f'{dst} {_c(spn + " has no endpoints")} {dport} '
                                         "-j REJECT --reject-with icmp-port-unreachable")
                continue
            nat.chain(svc_chain)
            nat.add("KUBE-SERVICES", f'{dst} {_c(spn + " cluster IP")} {dport} -j {svc_chain}')
            if port.node_port:
                ext = names["external"]
                nat.chain(ext)
                nat.add("KUBE-NODEPORTS", f'-p {proto} {_c(spn)} -m {proto} --dport {port.node_port} -j {ext}')
                nat.add(ext, f'{_c(f"masquerade traffic for {spn} external destinations")} -j KUBE-MARK-MASQ')
                nat.add(ext, f"-j {svc_chain}")
            nat.add(svc_chain, f'! -s {CLUSTER_CIDR} {dst} {_c(spn + " cluster IP")} {dport} -j KUBE-MARK-MASQ')
            seps = [(ep, iptables_endpoint_chain(spn, proto, ep.ip, port.target_port)) for ep in svc.endpoints]
            if svc.affinity_seconds:
                for ep, sep in seps:
                    cm = "" if large else _c(f"{spn} -> {ep.ip}:{port.target_port}") + " "
                    nat.add(svc_chain, f"{cm}-m recent --rcheck --seconds {svc.affinity_seconds} --reap "
                                       f"--name {sep} --mask 255.255.255.255 --rsource -j {sep}")
            n = len(seps)
            for i, (ep, sep) in enumerate(seps):
                cm = "" if large else _c(f"{spn} -> {ep.ip}:{port.target_port}") + " "
                stat = "" if i == n - 1 else f"-m statistic --mode random --probability {iptables_probability(n - i)} "
                nat.add(svc_chain, f"{cm}{stat}-j {sep}".replace("  ", " "))
                nat.chain(sep)
                scm = "" if large else _c(spn) + " "
                nat.add(sep, f"-s {ep.ip}/32 {scm}-j KUBE-MARK-MASQ")
                recent = (f"-m recent --set --name {sep} --mask 255.255.255.255 --rsource "
                          if svc.affinity_seconds else "")
                nat.add(sep, f"-p {proto} {scm}{recent}-m {proto} -j DNAT --to-destination {ep.ip}:{port.target_port}")
    nat.add("KUBE-SERVICES", f'{_c("kubernetes service nodeports; NOTE: this must be the last rule in this chain")} '
                             "-m addrtype --dst-type LOCAL -j KUBE-NODEPORTS")
    # The order iptables-legacy-save prints them in after a restore (/proc/net/ip_tables_names).
    return [nat, flt, mangle]


def _counter(rng: random.Random, counters: bool) -> str:
    if not counters:
        return ""
    if rng.random() < 0.8:
        return "[0:0] "
    p = rng.randrange(1, 5000)
    return f"[{p}:{p * rng.randrange(40, 1500)}] "


def iter_dump(c: Cluster, counters: bool = True) -> Iterator[str]:
    """The dump's lines (without newlines)."""
    rng = random.Random(f"counters-{c.scale.name}")
    for t in build_tables(c):
        yield f"# Generated by iptables-save {VERSION} on {HEADER_DATE}"
        yield f"*{t.name}"
        users = sorted(n for n in t.chains if n not in t.builtins)
        order = t.builtins + users
        for name in t.builtins:
            cnt = _counter(rng, counters).strip() or "[0:0]"
            yield f":{name} ACCEPT {cnt}"
        for name in users:
            yield f":{name} - [0:0]"
        for name in order:
            for rule in t.chains[name]:
                yield f"{_counter(rng, counters)}-A {name} {rule}"
        yield "COMMIT"
        yield f"# Completed on {HEADER_DATE}"


def render_dump(c: Cluster, counters: bool = True) -> str:
    return "\n".join(iter_dump(c, counters)) + "\n"

"""`k8snet show balancing` and `k8snet balance NS/SVC` as text: the LoadBalancer Services and
pools as tables; one Service as its picture (address -> node -> pods, each with its share), the
explanation and the findings."""

from __future__ import annotations

from typing import Any

from k8snet_tui.present.balancing import explain, headline, port_lines

from .table import Column, Writer

SERVICES = (Column("service", 0), Column("addresses", 0), Column("allocator", 1), Column("pool", 2),
            Column("announce", 1), Column("nodes", 1), Column("ETP", 3), Column("summary", 4))
POOLS = (Column("pool", 0), Column("kind", 1), Column("ranges", 0), Column("auto", 2), Column("advertised", 1),
         Column("used", 2))


def show(model: Any, w: Writer) -> None:
    w.section("LoadBalancer Services")
    w.table(SERVICES, lambda: ((s.service, s.addresses or "<pending>", s.allocator, s.pool, s.announce_mode,
                                s.nodes, s.external_traffic_policy, s.summary) for s in model.services),
            empty="(no LoadBalancer Services)")
    w.section("Pools")
    w.table(POOLS, lambda: ((p.pool, p.kind, p.ranges, p.auto_assign, p.advertised or "-", p.used)
                            for p in model.pools), empty="(no MetalLB or Cilium LB IPAM pools)")
    problems = [*(f"! {f.severity}: {f.message}" for f in model.findings)]
    if problems:
        w.section("Findings")
        for text in problems:
            w.line(text, indent=2, hanging=4)


def balance(b: Any, w: Writer) -> None:
    w.line(headline(b), hanging=4)
    sim = b.simulation
    for p in b.ports:
        w.section(f"Port {p.name or p.port}")
        for text in port_lines(b, p, sim if sim is not None and sim.port == (p.name or str(p.port)) else None):
            w.line(text, indent=2, hanging=6)
    w.section("Why")
    for text in explain(b):
        w.line(text, indent=2, hanging=4)


VIEWS = {"balancing": show, "balance": balance}

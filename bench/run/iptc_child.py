"""Run inside the scratch network namespace: read every legacy table with python-iptables.

Reads what our parser extracts (chains, per rule: counters, addresses, protocol, each match's
parameters, target and its parameters) and prints one JSON line with the timing and counts.
Only tables that already exist are read (reading one can create it). Never imported by the
benchmark process itself: python-iptables swaps file descriptor 1 while it reads.
"""

from __future__ import annotations

import json
import sys
import time


def main() -> None:
    t_import = time.perf_counter()
    import iptc

    import_s = time.perf_counter() - t_import
    with open("/proc/net/ip_tables_names") as f:
        names = [n.strip() for n in f if n.strip()]
    t0 = time.perf_counter()
    rules = chains = 0
    index: dict[tuple[str, str], list] = {}
    for name in names:
        table = iptc.Table(name)
        table.autocommit = False
        table.refresh()
        for chain in table.chains:
            chains += 1
            for rule in chain.rules:
                rules += 1
                rec = (
                    rule.get_counters(), rule.src, rule.dst, rule.protocol, rule.in_interface, rule.out_interface,
                    [(m.name, m.get_all_parameters()) for m in rule.matches],
                    rule.target.name if rule.target else "", rule.target.get_all_parameters() if rule.target else {},
                )
                index.setdefault((name, rec[7]), []).append(rec)
    secs = time.perf_counter() - t0
    sys.stdout.write(json.dumps({"seconds": secs, "import_seconds": import_s, "rules": rules,
                                 "chains": chains, "tables": names, "targets": len(index)}) + "\n")


if __name__ == "__main__":
    main()

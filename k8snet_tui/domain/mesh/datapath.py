"""One pod's own datapath, from its network namespace's reading (probe/podnetns.py's shape).

The reading holds `iptables-save` text per backend ("legacy", "nft") and the nft ruleset. A
mesh's init container writes through one backend; the other often holds an empty table made by
the detection itself (istio-iptables opens the legacy nat table to see whether it is in use), so
the backend whose nat table has mesh chains is the one explained; if both have them, that is a
finding. An unreadable namespace is "unknown" with its reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..datapath.iptables_save import IptablesDump, parse_iptables_save
from .layout import NO_LAYOUT, Layout, read_layout
from .walk import Packet, Walk, walk

_EMPTY = parse_iptables_save("")


@dataclass(frozen=True)
class PodDatapath:
    """state: "read", "unknown" (`reason` says why), "none" (no reading of this pod's namespace)."""

    state: str
    reason: str
    backend: str  # "legacy" / "nft" / "" (where the explained rules are)
    layout: Layout
    dump: IptablesDump
    addresses: tuple[str, ...]
    native_nft_tables: tuple[str, ...]  # Istio's --native-nftables tables, if any (shown, not walked)
    findings: tuple[str, ...]

    def walk(self, packet: Packet, *, inbound: bool = False) -> Walk:
        if self.state != "read":
            return Walk("unknown", None, "", (), self.reason or "the pod's rules were not read")
        if self.native_nft_tables and not self.layout.redirects:
            return Walk("unknown", None, "", (), "the redirect is in native nftables tables "
                        f"({', '.join(self.native_nft_tables)}), which this reader shows but does not walk")
        return walk(self.dump, packet, start="PREROUTING" if inbound else "OUTPUT")


NOT_READ = PodDatapath("none", "no reading of this pod's network namespace", "", NO_LAYOUT, _EMPTY, (), (), ())


def _list(value: Any) -> list[Any]:
    """A reading's list field, or nothing: a snapshot's file may hold anything there."""
    return value if isinstance(value, list) else []


def _native_tables(ruleset: Any) -> tuple[str, ...]:
    if not isinstance(ruleset, Mapping):
        return ()
    out = []
    for item in _list(ruleset.get("nftables")):
        table = item.get("table") if isinstance(item, Mapping) else None
        if isinstance(table, Mapping) and str(table.get("name", "")).startswith("istio"):
            out.append(f"{table.get('family')} {table.get('name')}")
    return tuple(sorted(set(out)))


def pod_datapath(reading: Mapping[str, Any] | None) -> PodDatapath:
    if not reading:
        return NOT_READ
    if reading.get("error"):
        return PodDatapath("unknown", str(reading["error"]), "", NO_LAYOUT, _EMPTY,
                           (), (), ())
    texts = reading.get("iptables") if isinstance(reading.get("iptables"), Mapping) else {}
    addresses = tuple(str(a) for a in _list(reading.get("addresses")))
    native = _native_tables(reading.get("nft_ruleset"))
    parsed = {b: parse_iptables_save(str(t), backend=b) for b, t in (texts or {}).items() if isinstance(t, str)}
    layouts = {b: read_layout(d) for b, d in parsed.items()}
    with_mesh = [b for b, lay in layouts.items() if lay.mesh]
    findings: list[str] = [f"reading: {e}" for e in _list(reading.get("errors")) if isinstance(e, str)][:5]
    if len(with_mesh) > 1:
        findings.append(f"mesh chains in both iptables backends ({', '.join(with_mesh)}): the kernel runs both")
    backend = with_mesh[0] if with_mesh else (next(iter(parsed)) if parsed else "")
    dump = parsed.get(backend, _EMPTY)
    layout = layouts.get(backend, NO_LAYOUT)
    if native:
        findings.append(f"native nftables tables {', '.join(native)}: shown as they are, not walked")
    return PodDatapath("read", "", backend, layout, dump, addresses, native, tuple(findings) + layout.findings)

"""Small, pure readers the probe needs: conntrack lines and iptables-save structure.

The domain layer owns the full iptables-save parser; the probe only needs to know which tables
a dump holds and how many chains and rules each has, to cross-check libiptc against it.
"""

from __future__ import annotations

import re
from typing import Any

from ..domain.numbers import parse_decimal

# Keys that appear once for the original tuple and once again for the reply tuple.
_TUPLE_KEYS = ("src", "dst", "sport", "dport", "type", "code", "id")
_INT_KEYS = {"sport", "dport", "type", "code", "id", "mark", "zone", "use", "packets", "bytes"}


def _num(value: str) -> int | str:
    # int() would also read "٣", "1_0" and " 7": conntrack prints ASCII digits, anything else stays text.
    number = parse_decimal(value)
    return value if number is None else number


def parse_conntrack_line(line: str) -> dict[str, Any] | None:
    """One line of `conntrack -L -o extended` or /proc/net/nf_conntrack as a flat dict.

    `ipv4 2 tcp 6 119 TIME_WAIT src=.. dst=.. sport=.. dport=.. src=.. ... [ASSURED] mark=0 use=1`
    The first src/dst/sport/dport are the original direction, the second the reply. Also accepts
    the shorter `conntrack -L` lines that start at the protocol name. None for lines that are not
    conntrack entries.
    """
    tokens = line.split()
    if len(tokens) < 4:
        return None
    entry: dict[str, Any] = {}
    i = 0
    if tokens[0] in ("ipv4", "ipv6") and parse_decimal(tokens[1]) is not None:
        entry["family"] = tokens[0]
        i = 2
    proto_num = parse_decimal(tokens[i + 1]) if len(tokens) >= i + 3 else None
    timeout = parse_decimal(tokens[i + 2]) if len(tokens) >= i + 3 else None
    if proto_num is None or timeout is None:
        return None
    entry["proto"] = tokens[i]
    entry["proto_num"] = proto_num
    entry["timeout"] = timeout
    flags: list[str] = []
    seen: dict[str, int] = {}
    for tok in tokens[i + 3 :]:
        if tok.startswith("[") and tok.endswith("]"):
            flags.append(tok[1:-1])
            continue
        key, sep, value = tok.partition("=")
        if not sep:
            if "state" not in entry and tok.isupper():
                entry["state"] = tok
            continue
        if key in _TUPLE_KEYS:
            count = seen.get(key, 0)
            seen[key] = count + 1
            if count == 0:
                entry[f"orig_{key}"] = _num(value) if key in _INT_KEYS else value
            elif count == 1:
                entry[f"reply_{key}"] = _num(value) if key in _INT_KEYS else value
            continue
        if key not in entry:
            entry[key] = _num(value) if key in _INT_KEYS else value
    if "orig_src" not in entry:
        return None
    entry.setdefault("state", "")
    entry["flags"] = flags
    return entry


# ASCII classes on purpose: in a str pattern \d, \s and \S are Unicode-wide, and iptables words
# are separated by blanks and tabs only (a comment may hold U+2028; it is not a separator).
_TABLE = re.compile(r"^\*([^ \t]+)[ \t]*$")
_CHAIN = re.compile(r"^:([^ \t]+)[ \t]")
_RULE = re.compile(r"^(?:\[[0-9]+:[0-9]+\][ \t]+)?-A[ \t]+([^ \t]+)")
_KUBELET_HINT = re.compile(r"^:(KUBE-IPTABLES-HINT|KUBE-KUBELET-CANARY)[ \t]")


def _lines(text: str) -> list[str]:
    """iptables-save lines: cut at "\n" only ("\r", U+0085, U+2028 inside a rule are data)."""
    return text.split("\n")


def save_tables(text: str) -> dict[str, dict[str, int]]:
    """Table -> chain -> rule count, read from iptables-save text (with or without -c)."""
    tables: dict[str, dict[str, int]] = {}
    chains: dict[str, int] | None = None
    for raw in _lines(text):
        line = raw.rstrip(" \t\r")
        if m := _TABLE.match(line):
            chains = tables.setdefault(m.group(1), {})
        elif chains is None:
            continue
        elif line == "COMMIT":
            chains = None
        elif m := _CHAIN.match(line):
            chains.setdefault(m.group(1), 0)
        elif m := _RULE.match(line):
            chains[m.group(1)] = chains.get(m.group(1), 0) + 1
    return tables


def has_kubelet_hint(text: str) -> bool:
    """Whether the mangle table of this dump holds kubelet's KUBE-IPTABLES-HINT/CANARY chain."""
    current = None
    for line in _lines(text):
        if line.startswith("*"):
            current = line[1:].strip(" \t\r")
        elif current == "mangle" and _KUBELET_HINT.match(line):
            return True
    return False


def compare_chain_counts(
    iptc: dict[str, int], save: dict[str, int]
) -> list[str]:
    """Differences between two chain -> rule-count maps, in words (empty when they agree)."""
    diffs: list[str] = []
    for name in sorted(set(iptc) | set(save)):
        if name not in save:
            diffs.append(f"chain {name} seen by python-iptables only ({iptc[name]} rules)")
        elif name not in iptc:
            diffs.append(f"chain {name} seen by iptables-legacy-save only ({save[name]} rules)")
        elif iptc[name] != save[name]:
            diffs.append(
                f"chain {name}: python-iptables {iptc[name]} rules, iptables-legacy-save {save[name]}"
            )
    return diffs

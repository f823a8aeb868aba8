"""DNS name checks and the small name helpers every other DNS module shares.

A name is checked before any plan is made: a resolver refuses (or silently mangles) names that
break the wire-format limits, and a plan built on such a name would teach the wrong thing.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from ..numbers import is_decimal

MAX_NAME = 253  # presentation form without the trailing dot (255 octets on the wire)
MAX_LABEL = 63

# Letters, digits, hyphen and underscore: underscores appear in SRV owner names
# (`_http._tcp...`); anything else (spaces, punctuation, raw unicode) is not a DNS name a
# resolver library will send unchanged.
_LABEL_CHARS = re.compile(r"^[A-Za-z0-9_-]+$")
_MUSL_CHARS = re.compile(r"^[A-Za-z0-9.-]+$")


@dataclass(frozen=True)
class NameCheck:
    name: str
    ok: bool
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "problems": list(self.problems),
                "warnings": list(self.warnings)}


def check_name(name: object) -> NameCheck:
    """Say whether `name` can be looked up, and if not, why, in words."""
    if not isinstance(name, str):
        return NameCheck(str(name), False, ("a name must be text",))
    problems: list[str] = []
    warnings: list[str] = []
    text = name.strip()
    if text != name:
        warnings.append("leading/trailing whitespace ignored")
    if not text:
        return NameCheck(name, False, ("the name is empty",))
    if text == ".":
        return NameCheck(name, False, ("the root name '.' is not a host name",))
    bare = text.removesuffix(".")
    if len(bare) > MAX_NAME:
        problems.append(f"the name is {len(bare)} characters long; DNS allows at most {MAX_NAME}")
    labels = bare.split(".")
    for i, label in enumerate(labels, start=1):
        if label == "":
            problems.append(f"label {i} is empty (two dots in a row, or a leading dot)")
            continue
        if len(label) > MAX_LABEL:
            problems.append(f"label {i} ('{label[:20]}...') is {len(label)} characters; at most {MAX_LABEL}")
        if not _LABEL_CHARS.match(label):
            bad = sorted({c for c in label if not (c.isascii() and (c.isalnum() or c in "-_"))})
            problems.append(f"label {i} ('{label}') has characters DNS names do not use: {''.join(bad)!r}")
    if not problems:
        if any(lbl.startswith("-") or lbl.endswith("-") for lbl in labels):
            warnings.append("a label starts or ends with '-': not a valid host name (RFC 1123)")
        if "_" in bare:
            warnings.append("'_' is fine in SRV names but musl's getaddrinfo refuses names containing it")
    return NameCheck(name, not problems, tuple(problems), tuple(warnings))


def musl_accepts(name: str) -> bool:
    """musl's getaddrinfo only sends names of letters, digits, '-', '.' and bytes >= 0x80."""
    return bool(name) and len(name) < 255 and all(
        c in ".-" or (c.isascii() and c.isalnum()) or ord(c) >= 0x80 for c in name)


def fqdn(name: str) -> str:
    """Lower-case absolute form with exactly one trailing dot (DNS compares names case-blind)."""
    return name.strip().rstrip(".").lower() + "."


def dots_in(name: str) -> int:
    return name.count(".")


def is_subdomain(name: str, zone: str) -> bool:
    """True when `name` equals `zone` or lies below it (both absolute)."""
    name, zone = fqdn(name), fqdn(zone)
    return zone == "." or name == zone or name.endswith("." + zone)


def dashed_ip(ip: str) -> str:
    """The label CoreDNS builds from an endpoint address that has no hostname."""
    if "." in ip:
        return ip.replace(".", "-")
    if ":" in ip:
        dashed = ip.replace(":", "-")
        return dashed + "0" if dashed.endswith("-") else dashed
    return ""


def reverse_name(ip: str) -> str | None:
    """`in-addr.arpa.` / `ip6.arpa.` name for an address, None when `ip` is not one."""
    try:
        return ipaddress.ip_address(ip.strip()).reverse_pointer + "."
    except ValueError:
        return None


def address_from_reverse(name: str) -> str | None:
    """The address a full reverse name stands for; None for partial or malformed names."""
    n = fqdn(name)
    if n.endswith(".in-addr.arpa."):
        parts = n[: -len(".in-addr.arpa.")].split(".")
        if len(parts) != 4 or not all(is_decimal(p) and len(p) <= 3 for p in parts):
            return None
        try:
            return str(ipaddress.IPv4Address(".".join(reversed(parts))))
        except ValueError:
            return None
    if n.endswith(".ip6.arpa."):
        nibbles = n[: -len(".ip6.arpa.")].split(".")
        if len(nibbles) != 32 or not all(len(x) == 1 and x in "0123456789abcdef" for x in nibbles):
            return None
        hexstr = "".join(reversed(nibbles))
        return str(ipaddress.IPv6Address(int(hexstr, 16)))
    return None


_OCTETS = frozenset(str(i) for i in range(256))


def _plain_ipv4(ip: object) -> bool:
    """A dotted quad `ipaddress` accepts (each part 0-255 without leading zeros); False when unsure."""
    if not isinstance(ip, str):
        return False
    parts = ip.strip().split(".")
    return len(parts) == 4 and parts[0] in _OCTETS and parts[1] in _OCTETS and parts[2] in _OCTETS \
        and parts[3] in _OCTETS


def is_reverse(name: str) -> bool:
    n = fqdn(name)
    return n.endswith((".in-addr.arpa.", ".ip6.arpa.")) or n in ("in-addr.arpa.", "ip6.arpa.")


def ip_family(ip: str) -> int:
    """4, 6, or 0 when `ip` is not an address."""
    if _plain_ipv4(ip):  # the common case, without building an ipaddress object
        return 4
    try:
        return ipaddress.ip_address(ip.strip()).version
    except ValueError:
        return 0

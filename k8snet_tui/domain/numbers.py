"""One reading of "a decimal number here" for every parser of node, snapshot and cluster text.

Python's own checks disagree with each other and with the tools that wrote the text:
`str.isdigit()` is true for `²`, which `int()` then refuses (a crash), and `int()` reads `٣`
(Arabic-Indic), `１` (fullwidth), `1_000` and ` 7 ` as numbers no kernel tool or Kubernetes ever
prints (a silent lie). Here a number is ASCII `0-9` only, with a sign only where the caller asks,
a cap on its length (`int()` also raises past 4300 digits) and optional bounds. Anything else is
None, which the caller turns into a problem naming the line and field.
"""

from __future__ import annotations

MAX_DIGITS = 20  # a 64-bit counter is at most 20 digits; nothing these parsers read is longer


def parse_decimal(text: object, *, lo: int | None = None, hi: int | None = None,
                  signed: bool = False, max_digits: int = MAX_DIGITS) -> int | None:
    """`text` as an int when it is ASCII digits only (after one `+`/`-` if `signed`), within [lo, hi]."""
    if not isinstance(text, str):
        return None
    digits = text[1:] if signed and text[:1] in ("+", "-") else text
    # isascii() first: for ASCII text, isdigit() is exactly 0-9.
    if not digits or len(digits) > max_digits or not (digits.isascii() and digits.isdigit()):
        return None
    value = int(text)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        return None
    return value


def parse_decimal_pair(text: object, sep: str) -> tuple[int, int] | None:
    """`12:345` -> (12, 345): two numbers by parse_decimal's rule, read in one call (iptables
    prints a `[packets:bytes]` pair on every line of a dump, so this is a hot path)."""
    if not isinstance(text, str) or not text.isascii():  # ASCII: isdigit() is exactly 0-9 below
        return None
    first, found, second = text.partition(sep)
    if found and first.isdigit() and second.isdigit() and (
            len(text) <= MAX_DIGITS or (len(first) <= MAX_DIGITS and len(second) <= MAX_DIGITS)):
        return int(first), int(second)
    return None


def is_decimal(text: object) -> bool:
    """Whether `text` is one or more ASCII digits (any length)."""
    return isinstance(text, str) and text.isascii() and text.isdigit()


def parse_fraction(text: object, *, lo: float = 0.0, hi: float = 1.0, max_digits: int = 30) -> float | None:
    """`0.33333333349`-style text (ASCII digits, one optional point inside) as a float in [lo, hi].

    float() would also take `٠.٥`, `1_0`, `1e-3`, `nan` and `inf`; iptables prints none of them.
    """
    if not isinstance(text, str) or not text or len(text) > max_digits or not text.isascii():
        return None
    whole, point, frac = text.partition(".")
    if not whole.isdigit() or (point and not frac.isdigit()):
        return None
    value = float(text)
    return value if lo <= value <= hi else None


def parse_json_int(value: object, *, lo: int | None = None, hi: int | None = None) -> int | None:
    """A JSON integer (never a bool or float), or a decimal string as some tools print them, within [lo, hi]."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if (lo is None or value >= lo) and (hi is None or value <= hi) else None
    return parse_decimal(value, lo=lo, hi=hi)


def decimal_prefix(text: object, max_digits: int = MAX_DIGITS) -> str:
    """The leading ASCII digits of `text` (what C's atoi/strtoul read), at most `max_digits` of them."""
    if not isinstance(text, str):
        return ""
    end = 0
    for ch in text[:max_digits]:
        if not ("0" <= ch <= "9"):
            break
        end += 1
    return text[:end]


def parse_port(text: object, *, lo: int = 0) -> int | None:
    """A TCP/UDP/SCTP port number written as decimal text."""
    return parse_decimal(text, lo=lo, hi=65535, max_digits=5)


def is_port_range(text: object, sep: str = ":") -> bool:
    """Whether `text` is `port` or `port<sep>port`, as iptables writes --dport and --to-ports."""
    if not isinstance(text, str):
        return False
    first, found, last = text.partition(sep)
    return parse_port(first) is not None and (not found or parse_port(last) is not None)

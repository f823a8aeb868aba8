"""`iptables-save [-c]` text -> tables, chains and rules with structured match tokens.

Real dumps reach hundreds of thousands of lines (kubernetes#96018), so this is one pass over
the lines with `str.split` and a small quote handler, no regular expressions, interned chain
and target names, and indexes built as the rules stream by.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

from ..model import gc_paused
from ..numbers import MAX_DIGITS as _MAX_DIGITS
from ..numbers import is_port_range, parse_decimal, parse_decimal_pair, parse_fraction, parse_port
from .problems import ParseProblem, snippet

_intern = sys.intern
_EMPTY_MAP: Mapping[Any, Any] = MappingProxyType({})

# Core (module-less) options and their canonical short spelling.
_CORE = {
    "-s": "-s", "--source": "-s", "--src": "-s",
    "-d": "-d", "--destination": "-d", "--dst": "-d",
    "-p": "-p", "--protocol": "-p",
    "-i": "-i", "--in-interface": "-i",
    "-o": "-o", "--out-interface": "-o",
    "-f": "-f", "--fragment": "-f",
}


class Match(NamedTuple):
    """One match option: module ("" for core options), option, its value (may be ""), negation."""

    module: str
    option: str
    value: str
    negated: bool = False

    def render(self) -> str:
        neg = "! " if self.negated else ""
        return f"{neg}{self.option} {self.value}".rstrip()


_SPAN_BITS = 24  # a rule's text is located in its dump as (start << _SPAN_BITS) | length


@dataclass(frozen=True, slots=True, eq=False)
class Rule:
    """One rule. `text` is the rule as dumped, without the counters prefix.

    The text is not copied per rule: `_src` is the whole dump (shared by every rule, and kept by
    the NodeState anyway) and `_span` says where the rule's text lies in it; with `_span` -1,
    `_src` is the text itself (`Rule(..., target_args, "the text")` still works).
    """

    table: str
    chain: str
    index: int  # 1-based position in its chain, as `iptables -L --line-numbers` counts
    line: int  # line number in the dump
    packets: int | None
    bytes: int | None
    matches: tuple[Match, ...]
    target: str  # "" when the rule has no -j/-g (a counting rule)
    goto: bool  # -g instead of -j
    target_args: tuple[str, ...]
    _src: str = field(repr=False)
    _span: int = field(default=-1, repr=False)

    @property
    def text(self) -> str:
        span = self._span
        if span < 0:
            return self._src
        start = span >> _SPAN_BITS
        return self._src[start : start + (span & ((1 << _SPAN_BITS) - 1))]

    def _key(self) -> tuple[Any, ...]:
        return (self.table, self.chain, self.index, self.line, self.packets, self.bytes, self.matches,
                self.target, self.goto, self.target_args, self.text)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (f"Rule(table={self.table!r}, chain={self.chain!r}, index={self.index!r}, line={self.line!r}, "
                f"packets={self.packets!r}, bytes={self.bytes!r}, matches={self.matches!r}, "
                f"target={self.target!r}, goto={self.goto!r}, target_args={self.target_args!r}, text={self.text!r})")

    def option(self, option: str, module: str | None = None) -> str | None:
        for m in self.matches:
            if m.option == option and (module is None or m.module == module):
                return m.value
        return None

    def has_module(self, module: str) -> bool:
        return any(m.module == module for m in self.matches)

    @property
    def comment(self) -> str | None:
        return self.option("--comment", "comment")

    @property
    def probability(self) -> str | None:
        return self.option("--probability", "statistic")

    @property
    def source(self) -> str | None:
        return self.option("-s", "")

    @property
    def destination(self) -> str | None:
        return self.option("-d", "")

    @property
    def protocol(self) -> str | None:
        return self.option("-p", "")

    @property
    def dport(self) -> str | None:
        return self.option("--dport")

    def target_option(self, option: str) -> str | None:
        args = self.target_args
        for i, tok in enumerate(args):
            if tok == option:
                return args[i + 1] if i + 1 < len(args) else ""
        return None

    @property
    def dnat_destination(self) -> str | None:
        return self.target_option("--to-destination") if self.target == "DNAT" else None

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "chain": self.chain,
            "index": self.index,
            "line": self.line,
            "packets": self.packets,
            "bytes": self.bytes,
            "matches": [list(m) for m in self.matches],
            "target": self.target,
            "goto": self.goto,
            "target_args": list(self.target_args),
            "text": self.text,
        }


class _RuleInTheMaking:
    """A `Rule`'s slots, writable: the parser fills them in and makes the object a `Rule`.

    The frozen dataclass's `__init__` sets each of its 12 fields through `object.__setattr__`
    (~1.5 us a rule, a fifth of a full parse); plain slot stores and one class change give
    the same object (same slots, same values: `_new_rule(...) == Rule(...)`, frozen after)."""

    __slots__ = Rule.__slots__  # the same layout, so `__class__` may change to Rule


def _new_rule(table: str, chain: str, index: int, line: int, packets: int | None, byts: int | None,
              matches: tuple[Match, ...], target: str, goto: bool, target_args: tuple[str, ...],
              src: str, span: int) -> Rule:
    r: Any = _RuleInTheMaking()
    r.table = table
    r.chain = chain
    r.index = index
    r.line = line
    r.packets = packets
    r.bytes = byts
    r.matches = matches
    r.target = target
    r.goto = goto
    r.target_args = target_args
    r._src = src
    r._span = span
    r.__class__ = Rule
    return r  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class Chain:
    table: str
    name: str
    policy: str  # "ACCEPT"/"DROP" for built-in chains, "-" for user chains
    packets: int | None
    bytes: int | None
    rules: tuple[Rule, ...]
    line: int = 0


@dataclass(frozen=True)
class IptablesDump:
    """A parsed dump with lookups kube-proxy tracing needs in O(1) / O(k)."""

    backend: str  # "legacy" / "nft" / "" (what the caller said it came from)
    tables: Mapping[str, Mapping[str, Chain]]
    warnings: tuple[str, ...] = ()  # e.g. "# Warning: iptables-legacy tables present"
    problems: tuple[ParseProblem, ...] = ()
    line_count: int = 0
    rule_count: int = 0
    has_counters: bool = False
    _jumps: Mapping[tuple[str, str], tuple[Rule, ...]] = field(default_factory=lambda: _EMPTY_MAP, repr=False)
    _dnat: Mapping[str, tuple[Rule, ...]] = field(default_factory=lambda: _EMPTY_MAP, repr=False)

    def chain(self, table: str, name: str) -> Chain | None:
        return self.tables.get(table, _EMPTY_MAP).get(name)

    def rules(self, table: str, chain: str) -> tuple[Rule, ...]:
        c = self.chain(table, chain)
        return c.rules if c else ()

    def jumps_to(self, table: str, target: str) -> tuple[Rule, ...]:
        """Rules in `table` whose -j/-g target is `target`."""
        return self._jumps.get((table, target), ())

    def dnat_to(self, destination: str) -> tuple[Rule, ...]:
        """DNAT rules with `--to-destination destination` (`IP:port`, IPv6 bracketed)."""
        return self._dnat.get(destination, ())

    def chain_names(self, table: str) -> tuple[str, ...]:
        return tuple(self.tables.get(table, _EMPTY_MAP))

    @property
    def is_empty(self) -> bool:
        return not any(self.tables.values())


# iptables-restore separates words with blanks and tabs only; any other character, line
# separators such as U+2028 or U+0085 included, is part of a word. str.split() with no argument
# (the fast way) also cuts at those, so it is used only on text known to hold none of them.
_BLANKS = " \t"
_LINE_END = " \t\r\n"  # stripped off each line: a CRLF dump still reads
# What str.split() cuts ASCII text at, besides " " (and "\n", where lines already end).
_ASCII_SPLIT_AT = "\t\x0b\x0c\r\x1c\x1d\x1e\x1f"


def splits_at_spaces_only(text: str) -> bool:
    """Whether str.split() cuts each line of `text` at " " and nowhere else (a few scans of the
    text, cheap enough to ask once of a whole dump)."""
    return text.isascii() and not any(c in text for c in _ASCII_SPLIT_AT)


def _words(text: str) -> list[str]:
    return [w for w in text.replace("\t", " ").split(" ") if w]


def tokenize(text: str, plain: bool | None = None) -> list[str] | None:
    """Split a rule line like iptables-save quotes it; None if a quote is left open.

    iptables-save wraps values containing spaces in double quotes and escapes `"` and `\\`
    inside them with a backslash. `plain`: the caller already knows splits_at_spaces_only(text).
    """
    if plain is None:
        plain = splits_at_spaces_only(text)
    if '"' not in text:
        return text.split() if plain else _words(text)
    if "\\" not in text:
        # No escapes: odd pieces between quotes are quoted values, even pieces plain tokens.
        pieces = text.split('"')
        if len(pieces) % 2 == 0:
            return None
        out: list[str] = []
        for k, piece in enumerate(pieces):
            if k & 1:
                out.append(piece)
            else:
                out.extend(piece.split() if plain else _words(piece))
        return out
    return _tokenize_escaped(text)


def _tokenize_escaped(text: str) -> list[str] | None:
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _BLANKS:
            i += 1
            continue
        if ch == '"':
            i += 1
            buf: list[str] = []
            closed = False
            while i < n:
                ch = text[i]
                if ch == "\\" and i + 1 < n:
                    buf.append(text[i + 1])
                    i += 2
                    continue
                if ch == '"':
                    closed = True
                    i += 1
                    break
                buf.append(ch)
                i += 1
            if not closed:
                return None
            out.append("".join(buf))
            continue
        j = i
        while j < n and text[j] not in ' \t"':
            j += 1
        out.append(text[i:j])
        i = j
    return out


def _counters(tok: str) -> tuple[int, int] | None:
    # "[123:4567]"
    if len(tok) < 5 or tok[0] != "[" or tok[-1] != "]":
        return None
    return parse_decimal_pair(tok[1:-1], ":")


_DIGITS = "0123456789"


def _is_option(tok: str) -> bool:
    return len(tok) > 1 and tok[0] == "-" and tok[1] not in _DIGITS


def _port_list(value: str) -> bool:  # multiport: "80,443,8000:8080"
    return all(is_port_range(p) for p in value.split(","))


def _destination(value: str) -> bool:
    """DNAT --to-destination: `ip`, `ip:port`, `ip:port-port`, `[ipv6]:port`, `ip-ip:port`."""
    if value.startswith("["):
        _, sep, port = value.partition("]:")
        return not sep or is_port_range(port, "-")
    if value.count(":") != 1:
        return True  # no port (an IPv6 address is all colons)
    return is_port_range(value.partition(":")[2], "-")


def _count(value: str) -> bool:
    return parse_decimal(value) is not None


def _probability(value: str) -> bool:
    return parse_fraction(value) is not None


def _port(value: str) -> bool:
    return parse_port(value) is not None


def _port_span(value: str) -> bool:  # REDIRECT/MASQUERADE --to-ports 8080 or 8080-8090
    return is_port_range(value, "-")


# The numbers a trace reads or shows, per option: each must be what iptables prints (ASCII digits).
_NUMERIC_MATCHES: dict[str, Callable[[str], bool]] = {
    "--probability": _probability,
    "--dport": is_port_range, "--sport": is_port_range, "--destination-port": is_port_range,
    "--source-port": is_port_range, "--dports": _port_list, "--sports": _port_list, "--ports": _port_list,
    "--seconds": _count, "--hitcount": _count, "--every": _count, "--packet": _count,
}
_NUMERIC_TARGET_ARGS: dict[str, Callable[[str], bool]] = {
    "--to-destination": _destination, "--to-ports": _port_span, "--to-port": _port,
}


def _bad_match(matches: tuple[Match, ...]) -> tuple[str, str] | None:
    """(option, message) for the first numeric match value that is not a plain decimal, else None."""
    for m in matches:
        check = _NUMERIC_MATCHES.get(m.option)
        if check is not None and not check(m.value):
            return m.option, f"{m.option} {m.value!r} is not a number as iptables writes it (ASCII digits)"
    return None


def _bad_target_arg(targs: tuple[str, ...]) -> tuple[str, str] | None:
    for k in range(len(targs) - 1):
        check = _NUMERIC_TARGET_ARGS.get(targs[k])
        if check is not None and not check(targs[k + 1]):
            return targs[k], f"{targs[k]} {targs[k + 1]!r} is not an address and port as iptables writes them"
    return None


_tuple_new = tuple.__new__  # Match(...) without its Python-level __new__: the same tuple


# What a token that is not a module option's is, found with one dict lookup (the words are
# disjoint, so this is the order of checks it replaces): "!", a module, a target, a core option.
_NOT, _MODULE, _TARGET = 0, 1, 2
_TOKEN_KIND: dict[str, int | str] = {"!": _NOT, "-m": _MODULE, "--match": _MODULE, "-j": _TARGET, "--jump": _TARGET,
                                     "-g": _TARGET, "--goto": _TARGET, **_CORE}


def _parse_rule_tokens(toks: list[str], start: int = 0) -> tuple[tuple[Match, ...], str, bool, tuple[str, ...]] | str:
    """Tokens from `start` (after `-A CHAIN`) -> (matches, target, goto, target args), or an error message."""
    matches: list[Match] = []
    kind_of = _TOKEN_KIND.get
    intern = _intern
    module = ""
    negate = False
    i, n = start, len(toks)
    while i < n:
        tok = toks[i]
        kind = kind_of(tok)
        if kind is None:  # a module option (or a stray word)
            if not (len(tok) > 1 and tok[0] == "-" and tok[1] not in _DIGITS):  # _is_option, inlined
                return f"unexpected token {tok!r}"
            # Its value is every token up to the next option or "!".
            j = i + 1
            while j < n:
                t = toks[j]
                if t == "!" or (len(t) > 1 and t[0] == "-" and t[1] not in _DIGITS):
                    break
                j += 1
            value = toks[i + 1] if j == i + 2 else " ".join(toks[i + 1 : j])
            matches.append(_tuple_new(Match, (module, intern(tok), value, negate)))
            negate = False
            i = j
        elif kind is _NOT:
            negate = True
            i += 1
        elif kind is _MODULE:
            if i + 1 >= n:
                return "-m without a module name"
            module = intern(toks[i + 1])
            i += 2
        elif kind is _TARGET:
            if i + 1 >= n:
                return f"{tok} without a target"
            return tuple(matches), intern(toks[i + 1]), tok in ("-g", "--goto"), tuple(toks[i + 2 :])
        elif kind == "-f":
            matches.append(_tuple_new(Match, ("", "-f", "", negate)))
            negate = False
            i += 1
        else:  # a core option with its value
            if i + 1 >= n:
                return f"{tok} without a value"
            value = toks[i + 1]
            matches.append(_tuple_new(Match, ("", kind, intern(value) if kind == "-p" else value, negate)))
            negate = False
            i += 2
    return tuple(matches), "", False, ()


class _ChainBuilder:
    __slots__ = ("bytes", "line", "name", "packets", "policy", "rules")

    def __init__(self, name: str, policy: str, packets: int | None, byts: int | None, line: int):
        self.name = name
        self.policy = policy
        self.packets = packets
        self.bytes = byts
        self.rules: list[Rule] = []
        self.line = line


class _RuleReader:
    """Makes `Rule`s of rule lines, sharing equal matches and target arguments within one dump.

    Used by the full parse (every line in order) and by the lazy index (one chain's lines when
    the chain is first read): both give the same rules and the same problems for a line.
    """

    __slots__ = ("plain", "problems", "shared_args", "shared_lists", "shared_matches", "source", "src")

    def __init__(self, source: str, src: str | None, plain: bool | None) -> None:
        self.source = source
        self.src = src  # rules point into it instead of copying their text
        self.plain = plain
        self.problems: list[ParseProblem] = []
        self.shared_matches: dict[Match, Match] = {}
        # Each distinct match list / target argument tuple, shared, with what is wrong with its numbers.
        self.shared_lists: dict[tuple[Match, ...], tuple[tuple[Match, ...], tuple[str, str] | None]] = {}
        self.shared_args: dict[tuple[str, ...], tuple[tuple[str, ...], tuple[str, str] | None]] = {}

    def problem(self, lineno: int, fld: str, msg: str, raw: str) -> None:
        self.problems.append(ParseProblem(self.source, lineno, fld, msg, snippet(raw)))

    def read(self, raw: str, line: str, body: str, lineno: int, start: int, table: str,
             pk: int | None, by: int | None, chains: dict[str, _ChainBuilder]) -> Rule | None:
        """The rule of one `-A` line (`body`: the line after its counters), appended to its chain."""
        if '"' in body:
            toks = tokenize(body, self.plain)
        else:  # tokenize()'s first case, without the call
            toks = body.split() if self.plain else _words(body)
        if toks is None or len(toks) < 2:
            self.problem(lineno, "rule", "unterminated quote" if toks is None else "rule without a chain", line)
            return None
        chain_name = _intern(toks[1])
        parsed = _parse_rule_tokens(toks, 2)
        if isinstance(parsed, str):
            self.problem(lineno, "rule", parsed, line)
            return None
        cb = chains.get(chain_name)
        if cb is None:
            self.problem(lineno, "chain", f"rule for undeclared chain {chain_name}", line)
            cb = chains[chain_name] = _ChainBuilder(chain_name, "-", None, None, lineno)
        matches, target, goto, targs = parsed
        # Equal matches (and whole match lists, target arguments) are one object per dump:
        # kube-proxy repeats `-p tcp`, `--probability 0.1000...`, `-m tcp -p tcp` on most rules.
        # Their numbers are checked once per distinct list, not once per rule.
        bad = None
        if matches:
            same = self.shared_lists.get(matches)
            if same is None:
                shared_matches = self.shared_matches
                matches = tuple([shared_matches.setdefault(m, m) for m in matches])
                same = self.shared_lists[matches] = (matches, _bad_match(matches))
            matches, bad = same
        if targs:
            shared = self.shared_args.get(targs)
            if shared is None:
                shared = self.shared_args[targs] = (targs, _bad_target_arg(targs))
            targs = shared[0]
            bad = bad or shared[1]
        if bad is not None:  # the rule stays (its place in the chain matters); the value is flagged
            self.problem(lineno, bad[0], bad[1], line)
        src = self.src
        if src is not None and len(body) < (1 << _SPAN_BITS):
            # body is the tail of the stripped line (strip() hands back raw itself when it had no blanks)
            end = start + (len(raw) if raw is line else raw.find(line[0]) + len(line))
            rule = _new_rule(table, chain_name, len(cb.rules) + 1, lineno, pk, by, matches, target, goto, targs,
                             src, ((end - len(body)) << _SPAN_BITS) | len(body))
        else:
            rule = _new_rule(table, chain_name, len(cb.rules) + 1, lineno, pk, by, matches, target, goto, targs,
                             body, -1)
        cb.rules.append(rule)
        return rule


def parse_iptables_save(text: str | Iterable[str], backend: str = "") -> IptablesDump:
    """Parse iptables-save output (with or without `-c`); never raises on bad input."""
    with gc_paused():
        return _parse(text, backend)


def _split_lines(text: str) -> list[str]:
    # Lines end at "\n" only, as every iptables tool reads them: "\r", U+0085, U+2028 and the
    # other characters str.splitlines() also cuts at are data inside a rule (a comment may hold them).
    split = text.split("\n")
    if split[-1] == "":  # the newline ending the last line does not start another
        split.pop()
    return split


def _parse(text: str | Iterable[str], backend: str) -> IptablesDump:
    source = f"iptables-save:{backend}" if backend else "iptables-save"
    lines: Iterable[str] = _split_lines(text) if isinstance(text, str) else text
    src = text if isinstance(text, str) else None
    pos = 0  # where the next line starts in src
    start = 0
    tables: dict[str, dict[str, _ChainBuilder]] = {}
    warnings: list[str] = []
    # Jumps by table, then target (no (table, target) tuple made and hashed per rule);
    # flattened to (table, target) keys at the end.
    jumps_by_table: dict[str, dict[str, list[Rule]]] = {}
    table_jumps: dict[str, list[Rule]] = {}
    dnat: dict[str, list[Rule]] = {}
    table = ""
    chains: dict[str, _ChainBuilder] | None = None
    lineno = 0
    rule_count = 0
    # One scan of the whole dump says whether the fast str.split() may cut its rules into words.
    plain = splits_at_spaces_only(text) if isinstance(text, str) else None
    reader = _RuleReader(source, src, plain)
    problems = reader.problems
    read = reader.read
    has_counters = False

    def problem(fld: str, msg: str, raw: str) -> None:
        problems.append(ParseProblem(source, lineno, fld, msg, snippet(raw)))

    for raw in lines:
        lineno += 1
        if src is not None:
            start = pos
            pos = start + len(raw) + 1
        if not isinstance(raw, str):
            problem("line", "not text", repr(raw))
            continue
        line = raw.strip() if plain else raw.strip(_LINE_END)
        if not line:
            continue
        first = line[0]
        if first == "#":
            if "Warning" in line:
                warnings.append(line.lstrip("# ").strip())
            continue
        if first == "*":
            table = _intern(line[1:].strip(_BLANKS))
            if not table:
                problem("table", "empty table name", line)
                chains = None
                continue
            chains = tables.setdefault(table, {})
            table_jumps = jumps_by_table.setdefault(table, {})
            continue
        if line == "COMMIT":
            table, chains = "", None
            continue
        if first == ":":
            decl = _plain_declaration(line) if plain else None
            if decl is None:
                decl = _declaration(line, plain)
            if chains is None:
                problem("chain", "chain declared outside a table", line)
                continue
            if decl is None:
                problem("chain", "empty chain declaration", line)
                continue
            name, policy, pk, by, bad = decl
            if bad:
                problem("counters", "bad chain counters (two decimal numbers, as [packets:bytes])", line)
            if name not in chains:
                chains[name] = _ChainBuilder(name, policy, pk, by, lineno)
            continue
        # A rule: "[p:b] -A CHAIN ..." or "-A CHAIN ...".
        pk = by = None
        body = line
        if first == "[":
            head, _, body = line.partition(" ")
            # _counters(head), inlined: this runs for every rule of a `-c` dump. In a plain dump
            # (all ASCII) isdigit() is exactly 0-9, so parse_decimal_pair's reading is spelt out.
            if plain and len(head) >= 5 and head[-1] == "]":
                p_text, sep, b_text = head[1:-1].partition(":")
                if sep and p_text.isdigit() and b_text.isdigit() and len(p_text) <= _MAX_DIGITS \
                        and len(b_text) <= _MAX_DIGITS:
                    pk, by = int(p_text), int(b_text)
                else:
                    problem("counters", "bad rule counters (two decimal numbers, as [packets:bytes])", line)
                    continue
            else:
                cnt = parse_decimal_pair(head[1:-1], ":") if len(head) >= 5 and head[-1] == "]" else None
                if cnt is None:
                    problem("counters", "bad rule counters (two decimal numbers, as [packets:bytes])", line)
                    continue
                pk, by = cnt
            has_counters = True
            body = body.lstrip(_BLANKS)
        if not body.startswith("-A ") and not body.startswith("--append "):
            problem("rule", "not a rule, chain, table or COMMIT line", line)
            continue
        if chains is None:
            problem("rule", "rule outside a table", line)
            continue
        rule = read(raw, line, body, lineno, start, table, pk, by, chains)
        if rule is None:
            continue
        rule_count += 1
        target = rule.target
        if target:
            lst = table_jumps.get(target)
            if lst is None:
                table_jumps[target] = [rule]
            else:
                lst.append(rule)
            if target == "DNAT":
                dest = rule.target_option("--to-destination")
                if dest:
                    dnat.setdefault(dest, []).append(rule)

    jumps = {(t, target): rules for t, by_target in jumps_by_table.items() for target, rules in by_target.items()}
    return _frozen(backend, tables, warnings, problems, lineno, rule_count, has_counters, jumps, dnat)


def _plain_declaration(line: str) -> tuple[str, str, int | None, int | None, bool] | None:
    """`_declaration` of the common line in a plain dump (`:NAME POLICY [p:b]`, readable
    counters) without its calls (a kube-proxy dump declares one chain per three rules); None
    for any other line, which `_declaration` then reads."""
    parts = line[1:].split()
    if len(parts) != 3:
        return None
    head = parts[2]
    if len(head) < 5 or head[0] != "[" or head[-1] != "]":
        return None
    p_text, sep, b_text = head[1:-1].partition(":")
    if sep and p_text.isdigit() and b_text.isdigit() and len(p_text) <= _MAX_DIGITS and len(b_text) <= _MAX_DIGITS:
        return _intern(parts[0]), parts[1], int(p_text), int(b_text), False
    return None


def _declaration(line: str, plain: bool | None = False) -> tuple[str, str, int | None, int | None, bool] | None:
    """`:NAME POLICY [p:b]` -> (name, policy, packets, bytes, counters unreadable); None when empty.
    `plain`: the dump splits at spaces only (splits_at_spaces_only), so str.split() cuts the words."""
    parts = line[1:].split() if plain else _words(line[1:])
    if not parts:
        return None
    pk = by = None
    bad = False
    if len(parts) > 2:
        cnt = _counters(parts[2])
        if cnt is None:
            bad = True
        else:
            pk, by = cnt
    return _intern(parts[0]), parts[1] if len(parts) > 1 else "-", pk, by, bad


def _frozen(backend: str, tables: Mapping[str, Mapping[str, _ChainBuilder]], warnings: list[str],
            problems: list[ParseProblem], line_count: int, rule_count: int, has_counters: bool,
            jumps: Mapping[tuple[str, str], list[Rule]], dnat: Mapping[str, list[Rule]]) -> IptablesDump:
    frozen_tables = {
        t: MappingProxyType(
            {n: Chain(t, n, cb.policy, cb.packets, cb.bytes, tuple(cb.rules), cb.line) for n, cb in cs.items()}
        )
        for t, cs in tables.items()
    }
    return IptablesDump(
        backend=backend,
        tables=MappingProxyType(frozen_tables),
        warnings=tuple(warnings),
        problems=tuple(problems),
        line_count=line_count,
        rule_count=rule_count,
        has_counters=has_counters,
        _jumps=MappingProxyType({k: tuple(v) for k, v in jumps.items()}),
        _dnat=MappingProxyType({k: tuple(v) for k, v in dnat.items()}),
    )

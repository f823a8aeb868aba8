"""`iptables-save` text indexed in one pass, each chain's rules parsed the first time it is read.

A one-shot trace reads a few dozen of the hundreds of thousands of rules a big cluster's dump
holds, so paying for every rule up front is most of its cost. `index_iptables_save` walks the
lines once to note, per (table, chain), where its rule lines lie (runs of consecutive lines)
and the chain's declaration, and gives a `LazyIptablesDump` with the interface of
`IptablesDump`: `chain()` and `rules()` parse that chain's lines on first use and keep them.

Everything a single chain cannot answer (`tables`, `jumps_to`, `dnat_to`, `problems`,
`rule_count`) parses the rest first, so every answer is the full parse's, rule for rule and
problem for problem (tests/domain/test_datapath_lazy.py compares them on every bench scale and
on hostile input). Rule lines are parsed by the same `_RuleReader` as the full parse.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from ..model import gc_paused
from ..numbers import parse_decimal_pair
from .iptables_save import (
    _BLANKS,
    _LINE_END,
    Chain,
    IptablesDump,
    Rule,
    _ChainBuilder,
    _declaration,
    _RuleReader,
    _split_lines,
    parse_iptables_save,
    splits_at_spaces_only,
    tokenize,
)
from .problems import ParseProblem, snippet

_intern = sys.intern
# A chain found in the text costs one scan of its table's text (~6 ms at scale L), the line index
# ~100-150 scans' worth: past this many chains read one by one (a Service with hundreds of
# endpoints, a pane walking every chain), the index is built and the rest are read through it.
FINDS_BEFORE_INDEX = 48
# A chain's jump targets found together (`_ChainFinder.locate_many`) when it has this many unread.
PREFETCH_MIN, PREFETCH_MAX = 3, 64
_SIMPLE_NAME = re.compile(r"[A-Za-z0-9_-]+")  # (kube-proxy's: no blank, quote, colon or backslash)
# A declaration: (its line, policy, packets, bytes); only the first one of a chain counts.
_Decl = tuple[int, str, "int | None", "int | None"]


def index_iptables_save(text: str | Iterable[str], backend: str = "") -> IptablesDump:
    """A lazily parsed dump of `text`; lines given as an iterable are parsed at once, in full."""
    if not isinstance(text, str):
        return parse_iptables_save(text, backend)
    with gc_paused():
        return LazyIptablesDump(text, backend)


class LazyIptablesDump(IptablesDump):
    """An `IptablesDump` whose chains are parsed when first read (so every caller takes it as one).

    Safe to share between threads: parsing takes a lock, and what it produces never changes.
    Equality is identity: comparing two dumps field by field would parse both in full.
    """

    def __init__(self, text: str, backend: str) -> None:  # not the dataclass's: its fields are computed
        _set(self, "backend", backend)
        source = f"iptables-save:{backend}" if backend else "iptables-save"
        self._reader = _RuleReader(source, text, splits_at_spaces_only(text))
        self._lock = threading.RLock()
        # (table, chain) -> [[first line number, its offset in text, line count], ...]
        self._runs: dict[tuple[str, str], list[list[int]]] = {}
        self._decls: dict[tuple[str, str], _Decl] = {}
        self._order: dict[str, None] = {}  # tables, in the order they first appear
        self._line_problems: list[ParseProblem] = []  # found by the index pass itself
        self._parsed: dict[tuple[str, str], Chain | None] = {}
        self._full: IptablesDump | None = None
        # A dump as kube-proxy writes it is not indexed up front: a chain's lines are found with
        # str.find when it is first read (`_ChainFinder`), and the line index is built only when
        # something needs more than chains (`_ensure_index`).
        self._finder = _ChainFinder.of(text, self._reader.plain)
        self._finds = 0  # chains read so far (each found by one scan of its table's text)
        # (table, chain) -> its runs and how many of its lines are surely good rules (None: no finder)
        self._sure: dict[tuple[str, str], _ChainLines | None] = {}
        self._holding: dict[tuple[str, str, str], tuple[Rule, ...] | None] = {}  # rules_holding's answers
        self._escaped = "\\" in text  # quoted words may then spell a word otherwise than the text
        if self._finder is None:
            self._index(text)

    def _ensure_index(self) -> None:
        if self._finder is None:
            return
        with self._lock, gc_paused():
            if self._finder is not None:
                text = self._reader.src
                assert text is not None
                self._index(text)
                self._finder = None

    # -- the one pass ------------------------------------------------------------------------

    def _index(self, text: str) -> None:
        reader = self._reader
        plain = reader.plain
        runs, decls, order = self._runs, self._decls, self._order
        problems = self._line_problems
        source = reader.source
        warnings: list[str] = []
        table = ""
        in_table = False
        lineno = 0
        pos = 0
        has_counters = False
        last_name = ""  # the chain of the run being extended (a table change ends it)
        last_run: list[int] = [0, 0, 0]

        def problem(fld: str, msg: str, raw: str) -> None:
            problems.append(ParseProblem(source, lineno, fld, msg, snippet(raw)))

        for raw in _split_lines(text):
            lineno += 1
            start = pos
            pos = start + len(raw) + 1
            if plain and in_table:
                # The common line, a rule as iptables-save writes it, read with one split. Its
                # counters are checked when its chain is parsed (a bad one is that line's problem).
                parts = raw.split(None, 3)
                if len(parts) > 2:
                    p0 = parts[0]
                    if p0[0] == "[" and (parts[1] == "-A" or parts[1] == "--append"):
                        name = parts[2]
                    elif p0 == "-A" or p0 == "--append":
                        name = parts[1]
                    else:
                        name = ""
                        if len(parts) == 3 and p0[0] == ":" and len(p0) > 1 and parts[2] == "[0:0]":
                            # a declaration as kube-proxy writes its chains (`:KUBE-SEP-... - [0:0]`)
                            decls.setdefault((table, _intern(p0[1:])), (lineno, parts[1], 0, 0))
                            continue
                    if name and '"' not in name:
                        if p0[0] == "[" and not has_counters:  # (a run's later lines count too)
                            has_counters = _counters_ok(p0)
                        if name == last_name:
                            if last_run[0] + last_run[2] == lineno:
                                last_run[2] += 1
                                continue
                        else:
                            last_name = name = _intern(name)
                        key = (table, name)
                        lst = runs.get(key)
                        last_run = [lineno, start, 1]
                        if lst is None:
                            runs[key] = [last_run]
                        else:
                            lst.append(last_run)
                        continue
            line = raw.strip() if plain else raw.strip(_LINE_END)
            if not line:
                continue
            first = line[0]
            if first == "[" or first == "-":
                body = line
                if first == "[":
                    head, _, body = line.partition(" ")
                    if not _counters_ok(head):
                        problem("counters", "bad rule counters (two decimal numbers, as [packets:bytes])", line)
                        continue
                    has_counters = True
                    body = body.lstrip(_BLANKS)
                if body.startswith("-A "):
                    rest = body[3:]
                elif body.startswith("--append "):
                    rest = body[9:]
                else:
                    problem("rule", "not a rule, chain, table or COMMIT line", line)
                    continue
                if not in_table:
                    problem("rule", "rule outside a table", line)
                    continue
                word = _chain_word(rest)
                if word is None:  # a quote in or before the name: the tokenizer says what it is
                    toks = tokenize(body, plain)
                    if toks is None or len(toks) < 2:
                        problem("rule", "unterminated quote" if toks is None else "rule without a chain", line)
                        continue
                    word = toks[1]
                name = word
                if name != last_name:
                    last_name = name = _intern(name)
                elif last_run[0] + last_run[2] == lineno:
                    last_run[2] += 1
                    continue
                key = (table, name)
                lst = runs.get(key)
                last_run = [lineno, start, 1]
                if lst is None:
                    runs[key] = [last_run]
                else:
                    lst.append(last_run)
                continue
            if first == "#":
                if "Warning" in line:
                    warnings.append(line.lstrip("# ").strip())
                continue
            if first == "*":
                table = _intern(line[1:].strip(_BLANKS))
                last_name = ""
                if not table:
                    problem("table", "empty table name", line)
                    in_table = False
                    continue
                in_table = True
                order.setdefault(table)
                continue
            if line == "COMMIT":
                table, in_table, last_name = "", False, ""
                continue
            if first == ":":
                decl = _declaration(line)
                if not in_table:
                    problem("chain", "chain declared outside a table", line)
                    continue
                if decl is None:
                    problem("chain", "empty chain declaration", line)
                    continue
                name, policy, pk, by, bad = decl
                if bad:
                    problem("counters", "bad chain counters (two decimal numbers, as [packets:bytes])", line)
                decls.setdefault((table, name), (lineno, policy, pk, by))
                continue
            problem("rule", "not a rule, chain, table or COMMIT line", line)
        self._warnings = tuple(warnings)
        self._line_count = lineno
        self._has_counters = has_counters

    # -- one chain -----------------------------------------------------------------------------

    def _chain(self, table: str, name: str) -> Chain | None:
        key = (table, name)
        try:
            return self._parsed[key]
        except KeyError:
            pass
        with self._lock, gc_paused():
            if key not in self._parsed:
                self._parsed[key] = self._parse_chain(table, name)
            return self._parsed[key]

    def _parse_chain(self, table: str, name: str) -> Chain | None:
        self._finds += 1
        if self._finds > FINDS_BEFORE_INDEX:
            self._ensure_index()  # many chains read one by one: the line index costs less from here
        found = self._finder.locate(table, name) if self._finder is not None else None
        if found is None:
            self._ensure_index()
        if found is not None:
            decl, runs = found
        else:
            decl = self._decls.get((table, name))
            runs = self._runs.get((table, name), [])
        chain = self._built(table, name, decl, runs)
        if chain is not None and found is not None:
            self._prefetch(table, chain)
        return chain

    def _prefetch(self, table: str, chain: Chain) -> None:
        """The chains `chain` jumps to, found in one pass of the text when there are a few (a
        Service's SVC chain and its endpoints' SEP chains: 10 scans of the 35 MB nat text at scale
        L, ~6 ms each, against ~25 ms for one pass of a regular expression of their names)."""
        finder = self._finder
        # Endpoint chains only: a hashed name is met a few times, where a shared target
        # (KUBE-MARK-MASQ, ~100k times) would make the one pass slower than its own scan.
        wanted = [t for t in dict.fromkeys(r.target for r in chain.rules)
                  if t.startswith("KUBE-SEP-") and (table, t) not in self._parsed and _SIMPLE_NAME.fullmatch(t)]
        if finder is None or not PREFETCH_MIN <= len(wanted) <= PREFETCH_MAX:
            return
        self._finds += 1
        for target, (decl, runs) in finder.locate_many(table, wanted).items():
            self._parsed[(table, target)] = self._built(table, target, decl, runs)

    def _built(self, table: str, name: str, decl: _Decl | None, runs: list[list[int]]) -> Chain | None:
        if decl is None and not runs:
            return None
        reader = self._reader
        text = reader.src
        assert text is not None
        plain = reader.plain
        chains: dict[str, _ChainBuilder] = {}
        # A declaration after the chain's first good rule comes too late, as in the full parse.
        for first_line, offset, count in runs:
            pos = offset
            for lineno in range(first_line, first_line + count):
                end = text.find("\n", pos)
                if end < 0:
                    end = len(text)
                raw = text[pos:end]
                start, pos = pos, end + 1
                if decl is not None and decl[0] < lineno and name not in chains:
                    chains[name] = _ChainBuilder(name, decl[1], decl[2], decl[3], decl[0])
                line = raw.strip() if plain else raw.strip(_LINE_END)
                pk = by = None
                body = line
                if line[0] == "[":
                    head, _, body = line.partition(" ")
                    cnt = parse_decimal_pair(head[1:-1], ":") if len(head) >= 5 and head[-1] == "]" else None
                    if cnt is None:
                        reader.problem(lineno, "counters", "bad rule counters (two decimal numbers, as [packets:bytes])",
                                       line)
                        continue
                    pk, by = cnt
                    body = body.lstrip(_BLANKS)
                reader.read(raw, line, body, lineno, start, table, pk, by, chains)
        if decl is not None and name not in chains:
            chains[name] = _ChainBuilder(name, decl[1], decl[2], decl[3], decl[0])
        cb = chains.get(name)
        if cb is None:
            return None
        return Chain(table, name, cb.policy, cb.packets, cb.bytes, tuple(cb.rules), cb.line)

    # -- the whole dump, when asked ----------------------------------------------------------

    def full(self) -> IptablesDump:
        """Every chain parsed: the `IptablesDump` the full parse gives (built once, kept)."""
        if self._full is not None:
            return self._full
        with self._lock, gc_paused():
            if self._full is None:
                self._full = self._build_full()
            return self._full

    def _build_full(self) -> IptablesDump:
        self._ensure_index()
        keys = list(dict.fromkeys([*self._decls, *self._runs]))
        made = {key: self._chain(*key) for key in keys}
        chains = {key: c for key, c in made.items() if c is not None}
        # A chain exists from its declaration, or from its first good rule when that comes first.
        tables: dict[str, dict[str, Chain]] = {t: {} for t in self._order}
        for (table, name), chain in sorted(chains.items(), key=lambda kv: kv[1].line):
            tables[table][name] = chain
        rules = sorted((r for c in chains.values() for r in c.rules), key=lambda r: r.line)
        jumps: dict[tuple[str, str], list[Rule]] = {}
        dnat: dict[str, list[Rule]] = {}
        for rule in rules:
            if rule.target:
                jumps.setdefault((rule.table, rule.target), []).append(rule)
                if rule.target == "DNAT":
                    dest = rule.target_option("--to-destination")
                    if dest:
                        dnat.setdefault(dest, []).append(rule)
        problems = sorted([*self._line_problems, *self._reader.problems], key=lambda p: p.line)
        return IptablesDump(
            backend=self.backend,
            tables=MappingProxyType({t: MappingProxyType(cs) for t, cs in tables.items()}),
            warnings=self.warnings,
            problems=tuple(problems),
            line_count=self.line_count,
            rule_count=len(rules),
            has_counters=self.has_counters,
            _jumps=MappingProxyType({k: tuple(v) for k, v in jumps.items()}),
            _dnat=MappingProxyType({k: tuple(v) for k, v in dnat.items()}),
        )

    # -- the IptablesDump interface ------------------------------------------------------------

    def chain(self, table: str, name: str) -> Chain | None:
        return self._chain(table, name)

    def rules(self, table: str, chain: str) -> tuple[Rule, ...]:
        c = self._chain(table, chain)
        return c.rules if c else ()

    # -- a chain's rules holding a word, read without parsing the chain ------------------------

    def rules_holding(self, table: str, name: str, needle: str) -> tuple[Rule, ...] | None:
        """The rules of `table`/`name` whose text holds `needle`, in chain order, exactly as
        `rules()` gives them (index and all); None when telling them takes parsing the chain
        (then read `rules()`). A trace's entry rules are 2 of the 10,903 of KUBE-SERVICES at scale
        L: parsing them all is ~0.2 s, finding the chain and reading the lines that hold its
        address ~0.03 s. A rule's index is its place among the chain's good rules, so this
        answers only when every line up to the last one holding `needle` is surely a rule
        (`_sure_rule`); with no line holding it, the answer is none."""
        if not needle or "\n" in needle:
            return None
        with self._lock, gc_paused():
            if (table, name) in self._parsed:
                chain = self._parsed[(table, name)]
                return tuple(r for r in chain.rules if needle in r.text) if chain is not None else ()
            # Kept, as the parsed chains are: a caller may know a rule by its id while it reads.
            key = (table, name, needle)
            if key in self._holding:
                return self._holding[key]
            lines = self._chain_lines(table, name)
            found = None if lines is None else self._read_holding(table, lines, needle)
            self._holding[key] = found
            return found

    def has_rules(self, table: str, name: str) -> bool | None:
        """`bool(rules(table, name))`, without parsing the chain when its first line is surely a
        rule (None: parse it to tell)."""
        with self._lock:
            if (table, name) in self._parsed:
                return bool(self.rules(table, name))
            lines = self._chain_lines(table, name)
            if lines is None:
                return None
            if not lines.runs:
                return False
            return True if self._surely_rules(lines, 1) else None

    def _chain_lines(self, table: str, name: str) -> _ChainLines | None:
        """The chain's runs as the finder finds them (kept), in a dump read word by word."""
        key = (table, name)
        if key in self._sure:
            return self._sure[key]
        lines = None
        finder = self._finder
        if finder is not None and not self._escaped and " " not in name and "\n" not in name:
            self._finds += 1
            found = finder.locate(table, name)
            if found is not None:
                lines = _ChainLines(name, found[1])
        self._sure[key] = lines
        return lines

    def _surely_rules(self, lines: _ChainLines, count: int) -> bool:
        """Whether the chain's first `count` lines are surely good rules (checked once, kept)."""
        if count <= lines.checked:
            return True
        if count >= lines.fails_at:
            return False
        text = self._reader.src
        assert text is not None
        sure = _sure_rule(lines.name)
        seen = 0  # lines of the runs before this one
        for _, offset, n in lines.runs:
            lo, hi = max(lines.checked - seen, 0), min(count - seen, n)  # this run's lines to check
            if lo < hi:
                start = offset
                for _ in range(lo):
                    start = text.find("\n", start) + 1
                end = start
                for _ in range(hi - lo):
                    end = text.find("\n", end) + 1 or len(text) + 1
                # `^...$` per line: as many whole lines match as there are, or one is not sure
                if sum(1 for _ in sure.finditer(text, start, end - 1)) != hi - lo:
                    lines.fails_at = min(lines.fails_at, count)
                    return False
            seen += n
            if seen >= count:
                break
        lines.checked = max(lines.checked, min(count, seen))
        return True

    def _read_holding(self, table: str, lines: _ChainLines, needle: str) -> tuple[Rule, ...] | None:
        text = self._reader.src
        assert text is not None
        name = lines.name
        # The lines holding the needle: (first line, its end, its line number, its place in the chain)
        held: list[tuple[int, int, int, int]] = []
        before = 0  # lines of the runs before this one (each one rule, once they are sure)
        for first_line, offset, count in lines.runs:
            end = offset
            for _ in range(count):
                end = text.find("\n", end) + 1 or len(text) + 1
            k = text.find(needle, offset, end - 1)
            seen, at = offset, 0  # newlines counted up to `seen`: the line's place in the run
            while k >= 0:
                line_start = text.rfind("\n", offset, k) + 1 or offset
                line_end = text.find("\n", k, end - 1)
                line_end = end - 1 if line_end < 0 else line_end
                at += text.count("\n", seen, line_start)
                seen = line_start
                held.append((line_start, line_end, first_line + at, before + at))
                k = text.find(needle, line_end, end - 1)
            before += count
        if not held:
            return ()  # no line holds it: whatever the others are, no rule does
        if not self._surely_rules(lines, held[-1][3] + 1):
            return None
        # A reader of its own: these lines are read again, with their problems, if the chain is.
        reader = _RuleReader(self._reader.source, text, self._reader.plain)
        cb = _ChainBuilder(name, "-", None, None, 0)  # its rules: as many as come before a line
        out: list[Rule] = []
        for line_start, line_end, lineno, place in held:
            raw = text[line_start:line_end]
            body = raw
            pk = by = None
            if raw[0] == "[":
                head, _, body = raw.partition(" ")
                cnt = parse_decimal_pair(head[1:-1], ":")
                if cnt is None:
                    return None
                pk, by = cnt
            pad = place - len(cb.rules)  # (only the length counts: lines come in order)
            cb.rules.extend([None] * pad)  # type: ignore[list-item]
            rule = reader.read(raw, raw, body, lineno, line_start, table, pk, by, {name: cb})
            if rule is None or rule.index != place + 1:
                return None  # (a line _sure_rule passed is always a rule: never reached)
            if needle in rule.text:
                out.append(rule)
        return tuple(out)

    def declares(self, table: str, name: str) -> bool:
        """Whether the dump declares or fills chain `name`, without parsing it (a cheap pre-check)."""
        self._finds += 1
        if self._finds > FINDS_BEFORE_INDEX:
            self._ensure_index()
        found = self._finder.locate(table, name) if self._finder is not None else None
        if found is not None:
            return found[0] is not None or bool(found[1])
        self._ensure_index()
        return (table, name) in self._decls or (table, name) in self._runs

    # Known after the line index: asking for them builds it.
    @property
    def warnings(self) -> tuple[str, ...]:
        self._ensure_index()
        return self._warnings

    @property
    def line_count(self) -> int:
        self._ensure_index()
        return self._line_count

    @property
    def has_counters(self) -> bool:
        self._ensure_index()
        return self._has_counters

    @property
    def tables(self) -> Mapping[str, Mapping[str, Chain]]:
        return self.full().tables

    @property
    def problems(self) -> tuple[ParseProblem, ...]:
        return self.full().problems

    @property
    def rule_count(self) -> int:
        return self.full().rule_count

    @property
    def _jumps(self) -> Mapping[tuple[str, str], tuple[Rule, ...]]:
        return self.full()._jumps

    @property
    def _dnat(self) -> Mapping[str, tuple[Rule, ...]]:
        return self.full()._dnat

    def jumps_to(self, table: str, target: str) -> tuple[Rule, ...]:
        return self.full().jumps_to(table, target)

    def dnat_to(self, destination: str) -> tuple[Rule, ...]:
        return self.full().dnat_to(destination)

    def chain_names(self, table: str) -> tuple[str, ...]:
        return self.full().chain_names(table)

    @property
    def is_empty(self) -> bool:
        self._ensure_index()
        if self._decls:
            return False  # a declared chain exists whatever its rules say
        return not self._runs or self.full().is_empty

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return f"LazyIptablesDump(backend={self.backend!r}, parsed chains={len(self._parsed)})"

    @property
    def lines_indexed(self) -> bool:
        """Whether the one-pass index of every line was built (for benchmarks and tests)."""
        return self._finder is None

    @property
    def parsed_chains(self) -> int:
        """How many chains have been parsed so far (for benchmarks and tests of the laziness)."""
        return len(self._parsed)


# A rule line whose chain word holds a quote. Without a backslash in the dump a quoted word is
# the text between its quotes, so the name is spelled out; with one, `"A\B"` is chain AB.
_QUOTED_CHAIN = re.compile(r'-A +[^ \n"]*"')
_QUOTED_APPEND = re.compile(r'--append +[^ \n"]*"')


class _ChainFinder:
    """One chain's declaration and rule lines found with `str.find`, in a dump of plain words
    (ASCII, lines cut at spaces only). Every line that declares or fills chain C holds C as it
    is: in a dump without a backslash a quoted word is the text between its quotes, and a dump
    with one is found in only when no rule line quotes its chain word; a name holding a quote or
    a backslash goes the line index's way (kube-proxy's never do). Every place C is met is read
    as the line index would read its line (`_read_line`), inside the table that line is in; a
    place right after `-j ` or inside a longer word is passed over at once (at scale L,
    KUBE-MARK-MASQ is met ~100k times, as a jump). The answers are the line index's (tests/domain/
    test_datapath_lazy.py compares the two on every bench scale and on generated and hostile
    dumps). At scale L the line index takes ~0.6 s; a trace finds its ~25 chains in ~0.15 s."""

    __slots__ = ("_lines", "_plain", "_regions", "_text")

    def __init__(self, text: str, plain: bool) -> None:
        self._text = text
        self._plain = plain
        self._regions = self._tables(text)
        self._lines: list[int] = []  # newlines before each 1 MiB block of text (built on first use)

    @classmethod
    def of(cls, text: str, plain: bool | None) -> _ChainFinder | None:
        if not plain:
            return None
        if "\\" in text and (_QUOTED_CHAIN.search(text) or ("--append" in text and _QUOTED_APPEND.search(text))):
            return None  # an escape may spell a quoted chain word otherwise than its name
        return cls(text, plain)

    @staticmethod
    def _tables(text: str) -> dict[str, list[tuple[int, int]]]:
        """table -> [(where its first line starts, where its region ends), ...] in text order.

        A table starts at a line that is `*NAME` once stripped and ends at one that is `COMMIT`
        or at the next table; a `*` or `COMMIT` elsewhere in a line is passed over."""
        marks: list[tuple[int, int]] = []  # (line start, line end) of table and COMMIT lines
        for needle in ("*", "COMMIT"):
            k = text.find(needle)
            while k >= 0:
                line_start = text.rfind("\n", 0, k) + 1
                if not text[line_start:k].strip():
                    line_end = text.find("\n", k)
                    line_end = len(text) if line_end < 0 else line_end
                    line = text[line_start:line_end].strip()
                    if line[:1] == "*" or line == "COMMIT":
                        marks.append((line_start, line_end))
                k = text.find(needle, k + 1)
        regions: dict[str, list[tuple[int, int]]] = {}
        table = ""
        start = 0
        for line_start, line_end in sorted(set(marks)):
            if table:
                regions.setdefault(table, []).append((start, line_start))
            line = text[line_start:line_end].strip()
            table = _intern(line[1:].strip(_BLANKS)) if line[:1] == "*" else ""
            start = line_end + 1
        if table:
            regions.setdefault(table, []).append((start, len(text)))
        return regions

    def _line_number(self, offset: int) -> int:
        """The 1-based number of the line starting at `offset`."""
        text = self._text
        block = 1 << 20
        lines = self._lines
        if not lines:
            count = 0
            for start in range(0, len(text), block):
                lines.append(count)
                count += text.count("\n", start, start + block)
            lines.append(count)
        i = offset // block
        return lines[i] + text.count("\n", i * block, offset) + 1

    def locate(self, table: str, name: str) -> tuple[_Decl | None, list[list[int]]] | None:
        """The declaration and the runs of rule lines (first line, offset, count) of `table`/`name`;
        None for a name with a quote or a backslash, which a quoted word may spell otherwise."""
        if '"' in name or "\\" in name:
            return None
        text = self._text
        size = len(text)
        decl: _Decl | None = None
        runs: list[list[int]] = []
        after = len(name)
        # A line that starts `-A NAME ` names NAME as the line index reads it, when NAME holds no
        # blank (lines of a plain dump are cut at " " only): most lines met, kube-proxy's runs.
        bare = " " not in name and "\n" not in name
        skipped = 0
        candidates: re.Pattern[str] | None = None
        for start, end in self._regions.get(table, ()):
            last: list[int] | None = None
            last_end = -1
            k = text.find(name, start, end)
            while k >= 0:
                stop = k + after
                if (stop < size and text[stop] not in ' \n"') or text[k - 3:k] == "-j " or text[k - 3:k] == "-g ":
                    skipped += 1
                    if skipped < _SKIPS_IN_PYTHON:
                        k = text.find(name, k + 1, end)
                        continue
                    # A name met mostly as a jump (KUBE-MARK-MASQ, DNAT: ~100k times at scale L):
                    # the same places passed over by a regular expression, at C speed.
                    if candidates is None:
                        candidates = _candidates(name)
                    m = candidates.search(text, k + 1, min(size, end + 1))
                    k = m.start() if m is not None and m.end() <= end else -1
                    continue
                line_start = text.rfind("\n", start, k) + 1 or start
                line_end = text.find("\n", stop)
                line_end = size if line_end < 0 else line_end
                if bare and (stop == size or text[stop] != '"') and (
                        (k == line_start + 3 and text[line_start:k] == "-A ")
                        or (text[line_start] == "[" and text[k - 4:k] == " -A " and " " not in text[line_start:k - 4])):
                    kind = "-A"  # `-A NAME ...` or `[p:b] -A NAME ...`: split()'s second or third word
                else:
                    read = _read_line(text[line_start:line_end], self._plain)
                    if read is None or read[1] != name:
                        k = text.find(name, line_end, end)
                        continue
                    kind = read[0]
                if kind == ":":
                    if decl is None:
                        assert read is not None
                        decl = (self._line_number(line_start), read[2], read[3], read[4])
                elif last is not None and line_start == last_end + 1:
                    last[2] += 1
                    last_end = line_end
                else:
                    first = (self._line_number(line_start) if last is None
                             else last[0] + last[2] - 1 + text.count("\n", last_end, line_start))
                    last = [first, line_start, 1]
                    runs.append(last)
                    last_end = line_end
                k = text.find(name, line_end, end)
        return decl, runs

    def locate_many(self, table: str, names: list[str]) -> dict[str, tuple[_Decl | None, list[list[int]]]]:
        """`locate(table, name)` for each of `names` (words of [A-Za-z0-9_-] only), in one pass
        of a regular expression of them. A line that declares or fills a chain holds its name
        at a place no other such name can cover (right after a blank, a colon or a quote), so
        each line met is read once and given to the chain it names, as `locate` would."""
        text = self._text
        size = len(text)
        out: dict[str, tuple[_Decl | None, list[list[int]]]] = {}
        state: dict[str, list[Any]] = {}  # name -> [decl, runs, last run, its last line's end]
        for n in names:
            state[n] = [None, [], None, -1]
        # (a name met as a jump is passed over inside the expression: KUBE-MARK-MASQ ~100k times)
        words = "|".join(f"{w}(?<!-j {w})(?<!-g {w})" for w in map(re.escape, sorted(state, key=len, reverse=True)))
        found = re.compile(f'(?:{words})(?![^ \\n"])')
        for start, end in self._regions.get(table, ()):
            for st in state.values():
                st[2], st[3] = None, -1
            m = found.search(text, start, min(size, end + 1))
            while m is not None and m.end() <= end:
                k, stop = m.start(), m.end()
                if text[k - 3:k] == "-j " or text[k - 3:k] == "-g ":
                    m = found.search(text, k + 1, min(size, end + 1))
                    continue
                name = m.group()
                line_start = text.rfind("\n", start, k) + 1 or start
                line_end = text.find("\n", stop)
                line_end = size if line_end < 0 else line_end
                read = None
                if (stop == size or text[stop] != '"') and (
                        (k == line_start + 3 and text[line_start:k] == "-A ")
                        or (text[line_start] == "[" and text[k - 4:k] == " -A " and " " not in text[line_start:k - 4])):
                    owner, kind = name, "-A"
                else:
                    read = _read_line(text[line_start:line_end], self._plain)
                    owner, kind = (read[1], read[0]) if read is not None else ("", "")
                got = state.get(owner)
                if got is not None:
                    st = got
                    if kind == ":":
                        if st[0] is None:
                            assert read is not None
                            st[0] = (self._line_number(line_start), read[2], read[3], read[4])
                    elif st[2] is not None and line_start == st[3] + 1:
                        st[2][2] += 1
                        st[3] = line_end
                    else:
                        last = st[2]
                        first = (self._line_number(line_start) if last is None
                                 else last[0] + last[2] - 1 + text.count("\n", st[3], line_start))
                        st[2] = [first, line_start, 1]
                        st[1].append(st[2])
                        st[3] = line_end
                m = found.search(text, line_end, min(size, end + 1))
        for n, st in state.items():
            out[n] = (st[0], st[1])
        return out


# A rule line that is surely a good rule of chain NAME, as kube-proxy writes them: optional
# counters, `-A NAME`, pairs of an option (a match option, not -f, -j or -g) and one value
# (plain, or quoted, not starting with `-` or `!`), each maybe negated, then `-j TARGET` and
# its words; single spaces, in a dump of plain words without a backslash. Each pair is read as
# one match and nothing in such a line is refused (iptables_save._parse_rule_tokens).
_OPTION = r"(?:-[a-eh-ik-zA-Z]|--(?!(?:jump|goto|fragment) )[a-zA-Z][a-zA-Z0-9-]*)"
_VALUE = r'(?:[^ "!\-\n][^ "\n]*|"(?:[^"!\-\n][^"\n]*)?")'
_WORD = r'(?:[^ "\n]+|"[^"\n]*")'


class _ChainLines:
    """A chain's runs of lines (first line, offset, count): how many of them, from the first, are
    known to be surely good rules (`checked`), and from how many on one is known not to be."""

    __slots__ = ("checked", "fails_at", "name", "runs")

    def __init__(self, name: str, runs: list[list[int]]) -> None:
        self.name = name
        self.runs = runs
        self.checked = 0
        self.fails_at = sys.maxsize


def _sure_rule(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?m)^(?:\[[0-9]{{1,20}}:[0-9]{{1,20}}\] )?-A {re.escape(name)}"
                      rf"(?: (?:! )?{_OPTION} {_VALUE})* -j [^ \"\n]+(?: {_WORD})*$")


# Places of a name passed over one by one in Python before a regular expression takes over.
_SKIPS_IN_PYTHON = 64


def _candidates(name: str) -> re.Pattern[str]:
    """The places of `name` the finder reads a line at: followed by a blank, a newline, a quote
    or the end, and not right after `-j ` or `-g ` (where it is a jump's target)."""
    word = re.escape(name)
    return re.compile(f'{word}(?![^ \\n"])(?<!-j {word})(?<!-g {word})')


def _read_line(raw: str, plain: bool) -> tuple[str, str, str, int | None, int | None] | None:
    """What the line index makes of one line inside a table: ("-A", chain, "", None, None) for a
    rule line, (":", chain, policy, packets, bytes) for a declaration, None for anything else
    (the index's other lines, problems included, declare and fill no chain)."""
    parts = raw.split(None, 3)
    if len(parts) > 2:
        p0 = parts[0]
        if p0[0] == "[" and (parts[1] == "-A" or parts[1] == "--append"):
            name = parts[2]
        elif p0 == "-A" or p0 == "--append":
            name = parts[1]
        else:
            name = ""
            if len(parts) == 3 and p0[0] == ":" and len(p0) > 1 and parts[2] == "[0:0]":
                return ":", p0[1:], parts[1], 0, 0
        if name and '"' not in name:
            return "-A", name, "", None, None
    line = raw.strip() if plain else raw.strip(_LINE_END)
    if not line:
        return None
    first = line[0]
    if first == "[" or first == "-":
        body = line
        if first == "[":
            head, _, body = line.partition(" ")
            if not _counters_ok(head):
                return None
            body = body.lstrip(_BLANKS)
        if body.startswith("-A "):
            rest = body[3:]
        elif body.startswith("--append "):
            rest = body[9:]
        else:
            return None
        word = _chain_word(rest)
        if word is None:
            toks = tokenize(body, plain)
            if toks is None or len(toks) < 2:
                return None
            word = toks[1]
        return "-A", word, "", None, None
    if first == ":":
        decl = _declaration(line)
        if decl is None:
            return None
        return ":", decl[0], decl[1], decl[2], decl[3]
    return None


def _set(dump: LazyIptablesDump, name: str, value: Any) -> None:
    object.__setattr__(dump, name, value)  # a field of the frozen IptablesDump, computed here


def _counters_ok(head: str) -> bool:
    return len(head) >= 5 and head[-1] == "]" and parse_decimal_pair(head[1:-1], ":") is not None


def _chain_word(rest: str) -> str | None:
    """The chain an `-A` line names (`rest`: after `-A `), when found without tokenizing the line.

    None when the line needs the tokenizer to say (a quote in or before the name, no name).
    """
    word = rest.lstrip(_BLANKS)
    cut = len(word)
    for blank in _BLANKS:
        k = word.find(blank)
        if 0 <= k < cut:
            cut = k
    word = word[:cut]
    # Both ways `tokenize` reads a line cut its words at " " and "\t" (a plain line holds no other
    # blank); a quote in the name needs the tokenizer itself.
    return word if word and '"' not in word else None


__all__ = ["LazyIptablesDump", "index_iptables_save"]

"""resolv.conf: parse it as written, then read it the way each consumer does.

glibc, musl and the kubelet disagree in small ways (musl drops over-long lines, the kubelet
ignores `domain`, caps differ), so the parse keeps every line and the per-consumer views
are computed from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..numbers import decimal_prefix, parse_decimal
from .names import ip_family

# name -> (glibc cap, musl cap); None: not numeric
NUMERIC_OPTIONS = {"ndots": (15, 15), "timeout": (30, 60), "attempts": (5, 10)}
FLAG_OPTIONS = frozenset({
    "rotate", "edns0", "single-request", "single-request-reopen", "no-aaaa", "use-vc",
    "trust-ad", "no-tld-query", "inet6", "debug", "no-reload", "no-check-names",
    "ip6-bytestring", "ip6-dotint", "no-ip6-dotint", "insecure1", "insecure2",
})
KEYWORDS = ("nameserver", "search", "domain", "options", "sortlist")
GLIBC_MAXNS = 3
MUSL_LINE_MAX = 254  # musl reads lines into a 256-byte buffer and skips longer ones
# Both libraries read a line up to "\n" and a word up to an ASCII blank: "\r", U+0085 or U+2028
# inside a line are part of a word (as they are to the resolver), never a line or word break.
_BLANKS = " \t\r\v\f"
_TO_SPACE = str.maketrans({c: " " for c in _BLANKS})


def _words(line: str) -> list[str]:
    return [w for w in line.translate(_TO_SPACE).split(" ") if w]


@dataclass(frozen=True)
class Problem:
    line: int
    text: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "text": self.text, "reason": self.reason}


@dataclass(frozen=True)
class Entry:
    line: int
    keyword: str
    args: tuple[str, ...]
    raw: str


@dataclass(frozen=True)
class ResolvConf:
    """Every meaningful line of one resolv.conf, in order, with what was wrong with the rest."""

    entries: tuple[Entry, ...] = ()
    problems: tuple[Problem, ...] = ()
    comments: int = 0

    @classmethod
    def build(cls, nameservers: Sequence[str] = (), search: Sequence[str] = (), options: Sequence[str] = ()) -> ResolvConf:
        """A file as a container runtime writes it from a kubelet DNS config."""
        entries: list[Entry] = []
        n = 0
        if search:
            n += 1
            entries.append(Entry(n, "search", tuple(search), "search " + " ".join(search)))
        for ns in nameservers:
            n += 1
            entries.append(Entry(n, "nameserver", (ns,), "nameserver " + ns))
        if options:
            n += 1
            entries.append(Entry(n, "options", tuple(options), "options " + " ".join(options)))
        return cls(tuple(entries))

    # The glibc reading: the usual meaning of the file.
    @property
    def nameservers(self) -> tuple[str, ...]:
        return tuple(e.args[0] for e in self.entries if e.keyword == "nameserver" and e.args)

    @property
    def search(self) -> tuple[str, ...]:
        """`search` and `domain` replace each other: the last one in the file wins."""
        result: tuple[str, ...] = ()
        for e in self.entries:
            if e.keyword == "search":
                result = e.args
            elif e.keyword == "domain":
                result = e.args[:1]
        return result

    @property
    def options(self) -> tuple[tuple[str, str | None], ...]:
        merged: dict[str, str | None] = {}
        for e in self.entries:
            if e.keyword == "options":
                for opt in e.args:
                    name, _, value = opt.partition(":")
                    merged[name] = value if ":" in opt else None
        return tuple(merged.items())

    def option(self, name: str) -> str | None:
        return dict(self.options).get(name)

    def has_option(self, name: str) -> bool:
        return name in dict(self.options)

    def option_strings(self) -> tuple[str, ...]:
        return tuple(n if v is None else f"{n}:{v}" for n, v in self.options)

    def render(self) -> str:
        lines = []
        if self.search:
            lines.append("search " + " ".join(self.search))
        lines += [f"nameserver {ns}" for ns in self.nameservers]
        if self.options:
            lines.append("options " + " ".join(self.option_strings()))
        return "\n".join(lines) + ("\n" if lines else "")

    def to_json(self) -> dict[str, Any]:
        opts: dict[str, object] = {}
        for name, value in self.options:
            if value is None:
                opts[name] = True
            elif (number := parse_decimal(value)) is not None:
                opts[name] = number
            else:
                opts[name] = value
        return {"nameservers": list(self.nameservers), "search": list(self.search), "options": opts}


def parse_resolv_conf(text: object) -> ResolvConf:
    """Parse resolv.conf text; never raises. Bad lines are kept as problems with their number."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if not isinstance(text, str):
        return ResolvConf(problems=(Problem(0, "", "resolv.conf is not text"),))
    entries: list[Entry] = []
    problems: list[Problem] = []
    comments = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        stripped = raw.strip(_BLANKS)
        if not stripped:
            continue
        if stripped[0] in "#;":
            comments += 1
            continue
        fields = _words(stripped)
        keyword, args = fields[0], tuple(fields[1:])
        if keyword not in KEYWORDS:
            problems.append(Problem(number, raw, f"unknown keyword '{keyword}': resolvers ignore this line"))
            continue
        if any(a.startswith(("#", ";")) for a in args):
            problems.append(Problem(number, raw, "'#' inside a line is not a comment: resolvers read it as data"))
        if keyword == "nameserver":
            if not args:
                problems.append(Problem(number, raw, "nameserver without an address"))
                continue
            if ip_family(args[0].split("%")[0]) == 0:
                problems.append(Problem(number, raw, f"'{args[0]}' is not an IP address: resolvers skip it"))
            if len(args) > 1:
                problems.append(Problem(number, raw, "extra words after the address are ignored"))
        elif keyword in ("search", "domain") and not args:
            problems.append(Problem(number, raw, f"'{keyword}' without a domain clears the search list"))
        elif keyword == "options":
            for opt in args:
                reason = _option_problem(opt)
                if reason:
                    problems.append(Problem(number, raw, reason))
        entries.append(Entry(number, keyword, args, raw))
    return ResolvConf(tuple(entries), tuple(problems), comments)


def _option_problem(opt: str) -> str | None:
    name, sep, value = opt.partition(":")
    if name in NUMERIC_OPTIONS:
        number = parse_decimal(value)
        if not sep or number is None:
            return f"option '{opt}' needs a whole number (ASCII digits), as {name}:N"
        glibc_cap, musl_cap = NUMERIC_OPTIONS[name]
        if number > glibc_cap:
            return f"option '{opt}' is above the cap ({glibc_cap} in glibc, {musl_cap} in musl)"
        return None
    if name in FLAG_OPTIONS:
        return None if not sep else f"option '{name}' takes no value"
    return f"unknown option '{opt}'"


@dataclass(frozen=True)
class ResolverSettings:
    """What one resolver library actually uses from a file."""

    resolver: str
    nameservers: tuple[str, ...]
    search: tuple[str, ...]
    ndots: int
    timeout: int
    attempts: int
    flags: frozenset[str] = field(default_factory=frozenset)
    notes: tuple[str, ...] = ()


def _number(value: str | None, default: int, cap: int) -> int:
    # The libraries read the leading ASCII digits (atoi/strtoul): `5x` is 5, `²` is no number.
    digits = decimal_prefix(value)
    return min(int(digits), cap) if digits else default


def glibc_settings(rc: ResolvConf) -> ResolverSettings:
    notes = []
    servers = tuple(ns for ns in rc.nameservers if ip_family(ns.split("%")[0]))
    if len(servers) > GLIBC_MAXNS:
        notes.append(f"glibc uses the first {GLIBC_MAXNS} of {len(servers)} nameservers")
    if not servers:
        servers = ("127.0.0.1",)
        notes.append("no usable nameserver: glibc falls back to 127.0.0.1")
    opts = dict(rc.options)
    return ResolverSettings(
        "glibc", servers[:GLIBC_MAXNS], tuple(d.rstrip(".") or "." for d in rc.search),
        _number(opts.get("ndots"), 1, 15), _number(opts.get("timeout"), 5, 30),
        _number(opts.get("attempts"), 2, 5),
        frozenset(n for n, v in rc.options if v is None), tuple(notes))


def musl_settings(rc: ResolvConf) -> ResolverSettings:
    """musl's reading: lines of 255+ characters are skipped whole; options are found anywhere on an options line."""
    notes: list[str] = []
    servers: list[str] = []
    search: tuple[str, ...] = ()
    ndots, timeout, attempts = 1, 5, 2
    for e in rc.entries:
        if len(e.raw) > MUSL_LINE_MAX:
            notes.append(f"line {e.line} is {len(e.raw)} characters: musl skips lines longer than {MUSL_LINE_MAX}")
            continue
        if e.keyword == "nameserver" and e.args and len(servers) < 3 and ip_family(e.args[0].split("%")[0]):
            servers.append(e.args[0])
        elif e.keyword in ("search", "domain"):
            search = e.args
        elif e.keyword == "options":
            for opt in e.args:
                name, _, value = opt.partition(":")
                if name == "ndots":
                    ndots = _number(value, ndots, 15)
                elif name == "timeout":
                    timeout = _number(value, timeout, 60)
                elif name == "attempts":
                    attempts = _number(value, attempts, 10)
    if not servers:
        servers = ["127.0.0.1"]
        notes.append("no usable nameserver: musl falls back to 127.0.0.1")
    return ResolverSettings("musl", tuple(servers), tuple(search), ndots, timeout, attempts,
                            frozenset(), tuple(notes))


def settings_for(resolver: str, rc: ResolvConf) -> ResolverSettings:
    return musl_settings(rc) if resolver == "musl" else glibc_settings(rc)

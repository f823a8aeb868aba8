"""The queries a resolver library sends for one name, in order, and where the walk stops.

glibc (res_search): a name with at least `ndots` dots, or a trailing dot, is tried as-is first
(a trailing dot: only as-is); then each search domain; then as-is last if not yet tried.
NXDOMAIN, NODATA and SERVFAIL all move on to the next name.
musl (name_from_dns_search): at least `ndots` dots or a trailing dot: only the absolute name;
otherwise each search domain (skipping those that would make the name too long), then the
absolute name. Only NXDOMAIN moves on; NODATA and SERVFAIL end the walk.
busybox nslookup (its own client, not libc): a name without a dot goes to every search domain
at once and never as-is; a name with a dot goes only as-is; ndots is not read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .answers import Expected
from .names import check_name, dots_in, fqdn, musl_accepts
from .resolv_conf import ResolvConf, settings_for

RESOLVERS = ("glibc", "musl", "busybox")
Oracle = Callable[[str, str], Expected]
_MUSL_REFUSES = ("musl's getaddrinfo refuses this name before sending anything "
                 "(only letters, digits, '-' and '.' are allowed)")


@dataclass(frozen=True)
class PlannedQuery:
    fqdn: str
    qtype: str
    expected: Expected
    candidate: int  # index of the name in the walk; queries of one name share it


@dataclass(frozen=True)
class Plan:
    name: str
    resolver: str
    qtypes: tuple[str, ...]
    candidates: tuple[str, ...]  # every name the walk would try, in order
    queries: tuple[PlannedQuery, ...]  # the queries actually sent, up to where the walk stops
    answered_by: int | None  # index in `queries` of the first query that answered
    stop: str
    wasted: int
    advice: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


def candidate_names(name: str, rc: ResolvConf, resolver: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(absolute names in the order tried, notes about the choice)."""
    s = settings_for(resolver, rc)
    notes: list[str] = list(s.notes)
    trailing = name.endswith(".")
    dots = dots_in(name)
    bare = name.rstrip(".")
    as_is = fqdn(bare)
    if resolver == "busybox":
        if "." in name:
            return (as_is,), ("busybox nslookup sends a dotted name only as-is (it ignores ndots)",)
        search = [d for d in rc.search if d != "."]
        if not search:
            return (as_is,), ()
        return tuple(fqdn(f"{bare}.{d}") for d in search), (
            "busybox nslookup sends one query per search domain, all at once, and never the bare name",)
    if resolver == "musl":
        if dots >= s.ndots or trailing:
            why = "a trailing dot" if trailing else f"{dots} dot(s) >= ndots {s.ndots}"
            return (as_is,), tuple(notes) + (f"{why}: musl tries only the absolute name",)
        out = []
        for d in s.search:
            if d == ".":
                notes.append("musl cannot use '.' as a search domain: skipped")
                continue
            if len(d) < 256 - len(bare) - 1:
                out.append(fqdn(f"{bare}.{d}"))
            else:
                notes.append(f"search domain {d} would make the name too long: musl skips it")
        out.append(as_is)
        return tuple(out), tuple(notes)
    out = []
    tried = False
    if dots >= s.ndots or trailing:
        out.append(as_is)
        tried = True
        notes.append("a trailing dot: glibc tries only the name itself" if trailing
                      else f"{dots} dot(s) >= ndots {s.ndots}: glibc tries the name as-is first")
    if not trailing:
        root_listed = False
        no_tld = "no-tld-query" in s.flags
        for d in s.search:
            if d in (".", ""):
                root_listed = True
                if no_tld and dots == 0:
                    continue
                out.append(as_is)
                continue
            out.append(fqdn(f"{bare}.{d}"))
        if not tried and not root_listed and not (no_tld and dots == 0):
            out.append(as_is)
    return tuple(out), tuple(notes)


def _continues(resolver: str, results: list[Expected]) -> tuple[bool, str]:
    """(walk goes on, why) for the responses to one name."""
    def kind(e: Expected) -> str:
        return "NXDOMAIN" if e.rcode is None else e.kind  # unknown upstream: assume not found
    if any(e.found for e in results) and resolver != "musl":
        return False, "answered"
    if resolver == "musl":
        for e in results:
            k = kind(e)
            if k == "SERVFAIL":
                return False, "SERVFAIL ends musl's walk"
            if k == "NXDOMAIN":
                return True, "NXDOMAIN"
            if k not in ("answer", "NODATA"):
                return False, f"{k} ends musl's walk"
        if any(e.found for e in results):
            return False, "answered"
        return False, "NODATA ends musl's walk"
    if resolver == "busybox":
        return True, "sent together"
    for e in results:
        k = kind(e)
        if k not in ("NXDOMAIN", "NODATA", "SERVFAIL", "answer"):
            return False, f"{k} ends glibc's walk"
    return True, "not found here"


def plan_lookup(name: str, rc: ResolvConf, oracle: Oracle, resolver: str = "glibc",
                qtypes: tuple[str, ...] = ("A",)) -> Plan:
    resolver = resolver if resolver in RESOLVERS else "glibc"
    qtypes = tuple(q.upper() for q in qtypes) or ("A",)
    check = check_name(name)
    if not check.ok:
        return Plan(name, resolver, qtypes, (), (), None, "invalid name", 0, (), check.warnings, check.problems)
    name = name.strip()
    if resolver == "musl" and not musl_accepts(name.rstrip(".")) and any(q in ("A", "AAAA") for q in qtypes):
        return Plan(name, resolver, qtypes, (), (), None, "refused by musl", 0, (),
                    check.warnings, (_MUSL_REFUSES,))
    candidates, notes = candidate_names(name, rc, resolver)
    queries: list[PlannedQuery] = []
    answered_by: int | None = None
    stop = "every name tried; none answered"
    unknown_seen = False
    for ci, cand in enumerate(candidates):
        results = []
        for qt in qtypes:
            exp = oracle(cand, qt)
            unknown_seen = unknown_seen or exp.rcode is None
            queries.append(PlannedQuery(cand, qt, exp, ci))
            results.append(exp)
        if answered_by is None:
            for i in range(len(queries) - len(results), len(queries)):
                if queries[i].expected.found:
                    answered_by = i
                    break
        go_on, why = _continues(resolver, results)
        if resolver == "musl" and answered_by is not None and why != "answered":
            answered_by = None  # a NXDOMAIN beside the answer sends musl onwards
        if resolver == "busybox":
            continue
        if not go_on:
            stop = f"{cand}: {why}"
            break
    if resolver == "busybox":
        stop = "all queries sent at once"
    elif answered_by is not None:
        stop = f"{queries[answered_by].fqdn} answered"
    elif queries and queries[-1].expected.rcode is None:
        stop = "the last query goes upstream: its answer is unknown here"
    if answered_by is None:
        wasted = len(queries)
    elif resolver == "busybox":
        wasted = len(queries) - sum(1 for q in queries if q.candidate == queries[answered_by].candidate)
    else:
        wasted = sum(1 for q in queries if q.candidate < queries[answered_by].candidate)
    if unknown_seen:
        notes = notes + ("queries that leave the cluster zone are assumed not found upstream",)
    advice = _advice(name, rc, resolver, qtypes, queries, answered_by, stop)
    return Plan(name, resolver, qtypes, candidates, tuple(queries), answered_by, stop, wasted,
                advice, tuple(notes) + check.warnings, ())


def _advice(name: str, rc: ResolvConf, resolver: str, qtypes: tuple[str, ...], queries: Sequence[PlannedQuery],
            answered_by: int | None, stop: str) -> tuple[str, ...]:
    out: list[str] = []
    if answered_by is not None:
        hit = queries[answered_by]
        before = sum(1 for q in queries if q.candidate < hit.candidate)
        if before:
            out.append(f"write {hit.fqdn} (the full name with its trailing dot): {len(qtypes)} "
                       f"quer{'y' if len(qtypes) == 1 else 'ies'} instead of {before + len(qtypes)}")
            if hit.fqdn == fqdn(name) and not name.endswith("."):
                need = dots_in(name)
                out.append(f"or lower ndots to {need} (spec.dnsConfig.options) so a name with "
                           f"{need} dot(s) is tried as-is first")
    elif resolver == "musl" and "NODATA ends" in stop:
        out.append(f"musl stopped at a name that exists without a {'/'.join(qtypes)} record; "
                   "glibc would have gone on: use the full name")
    return tuple(out)

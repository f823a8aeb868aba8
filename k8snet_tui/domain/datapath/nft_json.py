"""`nft -j list ruleset` -> tables, chains, sets/maps with elements, rules with their expressions.

Only the parts a service trace needs get a structured reading (verdicts, DNAT targets, numgen
load balancing, map lookups); every expression is also kept raw and rendered back to a short
nft-like text for display. Malformed objects are skipped and reported, never raised.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .problems import ParseProblem, snippet

_SRC = "nft -j"


@dataclass(frozen=True, slots=True)
class NftSet:
    family: str
    table: str
    name: str
    is_map: bool
    key_type: tuple[str, ...]
    value_type: str  # "verdict", "ipv4_addr", ... ("" for sets)
    elements: tuple[tuple[Any, Any, str], ...]  # (key, value or None, comment)
    comment: str = ""


@dataclass(frozen=True, slots=True)
class NftRule:
    family: str
    table: str
    chain: str
    handle: int | None
    index: int  # 1-based position in its chain
    expr: tuple[Any, ...]
    comment: str
    text: str  # rendered nft-like text, for display only

    @property
    def verdicts(self) -> tuple[tuple[str, str], ...]:
        """Top-level ("jump"|"goto", target) statements of the rule."""
        out = []
        for e in self.expr:
            if isinstance(e, dict):
                for kind in ("jump", "goto"):
                    tgt = e.get(kind)
                    if isinstance(tgt, dict) and isinstance(tgt.get("target"), str):
                        out.append((kind, tgt["target"]))
        return tuple(out)


@dataclass(frozen=True, slots=True)
class NftChain:
    family: str
    table: str
    name: str
    hook: str
    rules: tuple[NftRule, ...]
    comment: str = ""


@dataclass(frozen=True)
class NftRuleset:
    tables: tuple[tuple[str, str], ...]  # (family, name)
    chains: Mapping[tuple[str, str, str], NftChain]
    sets: Mapping[tuple[str, str, str], NftSet]
    problems: tuple[ParseProblem, ...] = ()
    version: str = ""

    def chain(self, family: str, table: str, name: str) -> NftChain | None:
        return self.chains.get((family, table, name))

    def set(self, family: str, table: str, name: str) -> NftSet | None:
        return self.sets.get((family, table, name))

    def has_table(self, family: str, table: str) -> bool:
        return (family, table) in self.tables

    def elements_with_keys(self, family: str, table: str, name: str, keys: Iterable[Any]) -> tuple[tuple[Any, Any, str], ...]:
        """The elements of a set/map whose key is one of `keys`, in map order (a scan's answer).

        kube-proxy's `service-ips` map holds one element per service IP and port (10k+ on a big
        cluster) and a trace asks for a few keys, so the map is indexed by key on first use.
        """
        indexes = self.__dict__.get("_element_index")
        if indexes is None:
            indexes = self.__dict__.setdefault("_element_index", {})  # frozen: bypass __setattr__
        skey = (family, table, name)
        index = indexes.get(skey)
        if index is None:
            index = indexes.setdefault(skey, _index_elements(self.sets.get(skey)))
        hits: dict[int, tuple[Any, Any, str]] = {}  # position -> element: each element once
        for key in keys:
            try:
                hits.update(index.get(key, ()))
            except TypeError:  # an unhashable key equals no element key (those are plain values)
                continue
        return tuple(hits[pos] for pos in sorted(hits))


def _index_elements(nset: NftSet | None) -> dict[Any, list[tuple[int, tuple[Any, Any, str]]]]:
    """key -> [(position in the set, element)]."""
    out: dict[Any, list[tuple[int, tuple[Any, Any, str]]]] = {}
    for pos, elem in enumerate(nset.elements if nset is not None else ()):
        try:
            out.setdefault(elem[0], []).append((pos, elem))
        except TypeError:  # not hashable: cannot equal a lookup key built from plain values
            continue
    return out


def _s(value: Any) -> str:
    return value if isinstance(value, str) else ""


# Real rulesets nest expressions a handful of levels (a concatenation inside a set inside a map);
# past this depth a walker stops descending and says so, instead of recursing until Python gives up.
MAX_DEPTH = 32
TOO_DEEP = "<nested too deeply>"


def render_expr(e: Any) -> str:
    """Best-effort nft-like text for one expression (display only; unknown shapes as JSON-ish)."""
    return _render(e, 0)


def _render(e: Any, depth: int) -> str:
    if isinstance(e, (str, int, float)) and not isinstance(e, bool):
        return snippet(e, 80) if isinstance(e, int) else str(e)  # str() of a 5000-digit int raises
    if depth >= MAX_DEPTH:
        return TOO_DEEP
    d = depth + 1
    if isinstance(e, list):
        return "{ " + ", ".join(_render(x, d) for x in e) + " }"
    if not isinstance(e, dict) or len(e) != 1:
        return snippet(e, 80)
    (k, v), = e.items()
    if k == "match" and isinstance(v, dict):
        op = _s(v.get("op")) or "=="
        op = "" if op in ("==", "in") else op + " "
        return f"{_render(v.get('left'), d)} {op}{_render(v.get('right'), d)}"
    if k == "payload" and isinstance(v, dict):
        return f"{_s(v.get('protocol'))} {_s(v.get('field'))}".strip()
    if k == "meta" and isinstance(v, dict):
        return f"meta {_s(v.get('key'))}"
    if k == "concat" and isinstance(v, list):
        return " . ".join(_render(x, d) for x in v)
    if k == "prefix" and isinstance(v, dict):
        return f"{_render(v.get('addr'), d)}/{_render(v.get('len'), d)}"
    if k == "range" and isinstance(v, list) and len(v) == 2:
        return f"{_render(v[0], d)}-{_render(v[1], d)}"
    if k == "set":
        if isinstance(v, list):
            return "{ " + ", ".join(_render_pair(x, d) for x in v) + " }"
        return _render(v, d)
    if k in ("jump", "goto") and isinstance(v, dict):
        return f"{k} {_s(v.get('target'))}"
    if k == "vmap" and isinstance(v, dict):
        return f"{_render(v.get('key'), d)} vmap {_render(v.get('data'), d)}"
    if k == "map" and isinstance(v, dict):
        return f"{_render(v.get('key'), d)} map {_render(v.get('data'), d)}"
    if k == "numgen" and isinstance(v, dict):
        return f"numgen {_s(v.get('mode'))} mod {_render(v.get('mod'), d)}"
    if k in ("dnat", "snat") and isinstance(v, dict):
        addr = _render(v.get("addr"), d) if "addr" in v else ""
        port = f":{_render(v.get('port'), d)}" if "port" in v else ""
        return f"{k} to {addr}{port}"
    if k == "mangle" and isinstance(v, dict):
        return f"{_render(v.get('key'), d)} set {_render(v.get('value'), d)}"
    if k == "|" and isinstance(v, list):
        return " | ".join(_render(x, d) for x in v)
    if k == "fib" and isinstance(v, dict):
        flags = v.get("flags")
        flags_s = " ".join(f for f in flags if isinstance(f, str)) if isinstance(flags, list) else ""
        return f"fib {flags_s} {_s(v.get('result'))}".replace("  ", " ")
    if k == "counter" and isinstance(v, dict):
        return f"counter packets {v.get('packets')} bytes {v.get('bytes')}"
    if k in ("accept", "drop", "return", "continue", "masquerade", "reject"):
        return str(k)
    if k == "elem" and isinstance(v, dict):
        return _render(v.get("val"), d)
    return f"{k} {snippet(v, 60)}"


def _render_pair(x: Any, d: int) -> str:
    if isinstance(x, list) and len(x) == 2:
        return f"{_render(x[0], d)} : {_render(x[1], d)}"
    return _render(x, d)


def elem_key(raw: Any) -> tuple[Any, str]:
    """A set/map element key as a plain value (tuple for concatenations), plus its comment."""
    comment = ""
    if isinstance(raw, dict) and isinstance(raw.get("elem"), dict):
        comment = _s(raw["elem"].get("comment"))
        raw = raw["elem"].get("val")
    return plain_value(raw), comment


def plain_value(raw: Any, _depth: int = 0) -> Any:
    if _depth >= MAX_DEPTH:
        return TOO_DEEP
    d = _depth + 1
    if isinstance(raw, dict):
        if isinstance(raw.get("concat"), list):
            return tuple(plain_value(x, d) for x in raw["concat"])
        if isinstance(raw.get("prefix"), dict):
            p = raw["prefix"]
            return f"{plain_value(p.get('addr'), d)}/{plain_value(p.get('len'), d)}"
        for kind in ("goto", "jump"):
            if isinstance(raw.get(kind), dict):
                return (kind, _s(raw[kind].get("target")))
        for verdict in ("drop", "accept", "return", "reject"):
            if verdict in raw:
                return (verdict, "")
        return snippet(raw, 120)
    if isinstance(raw, list):
        return tuple(plain_value(x, d) for x in raw)
    return raw


def _cut_short(value: Any) -> bool:
    """Whether plain_value() stopped descending somewhere in `value` (its output is at most MAX_DEPTH deep)."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str) and TOO_DEEP in v:  # TOO_DEEP itself, or inside a prefix's text
            return True
        if isinstance(v, tuple):
            stack.extend(v)
    return False


def parse_nft_json(doc: Any) -> NftRuleset:
    """Parse the document `nft -j list ruleset` prints (already json-decoded)."""
    problems: list[ParseProblem] = []
    items = doc.get("nftables") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        if doc is not None:
            problems.append(ParseProblem(_SRC, 0, "nftables", "no top-level nftables list", snippet(doc)))
        return NftRuleset((), MappingProxyType({}), MappingProxyType({}), tuple(problems))
    tables: list[tuple[str, str]] = []
    chain_meta: dict[tuple[str, str, str], tuple[str, str]] = {}
    rules: dict[tuple[str, str, str], list[NftRule]] = {}
    sets: dict[tuple[str, str, str], NftSet] = {}
    version = ""
    for i, item in enumerate(items):
        if not isinstance(item, dict) or len(item) != 1:
            problems.append(ParseProblem(_SRC, i, "object", "not a one-key object", snippet(item)))
            continue
        (kind, body), = item.items()
        if not isinstance(body, dict):
            problems.append(ParseProblem(_SRC, i, kind, "body is not an object", snippet(body)))
            continue
        if kind == "metainfo":
            version = _s(body.get("version"))
            continue
        family, table, name = _s(body.get("family")), _s(body.get("table")), _s(body.get("name"))
        if kind == "table":
            if not family or not name:
                problems.append(ParseProblem(_SRC, i, "table", "table without family or name", snippet(body)))
                continue
            tables.append((family, name))
        elif kind == "chain":
            if not family or not table or not name:
                problems.append(ParseProblem(_SRC, i, "chain", "chain without family, table or name", snippet(body)))
                continue
            chain_meta[(family, table, name)] = (_s(body.get("hook")), _s(body.get("comment")))
        elif kind in ("set", "map"):
            if not family or not table or not name:
                problems.append(ParseProblem(_SRC, i, kind, f"{kind} without family, table or name", snippet(body)))
                continue
            sets[(family, table, name)] = _parse_set(body, kind == "map", i, problems)
        elif kind == "rule":
            chain = _s(body.get("chain"))
            expr = body.get("expr")
            if not family or not table or not chain or not isinstance(expr, list):
                problems.append(ParseProblem(_SRC, i, "rule", "rule without family, table, chain or expr", snippet(body)))
                continue
            key = (family, table, chain)
            lst = rules.setdefault(key, [])
            handle = body.get("handle")
            text = " ".join(render_expr(e) for e in expr)
            if TOO_DEEP in text:
                problems.append(ParseProblem(_SRC, i, "rule", f"expression nested more than {MAX_DEPTH} levels: "
                                             "the deeper part is not read", snippet(text)))
            lst.append(
                NftRule(
                    family, table, chain,
                    handle if isinstance(handle, int) and not isinstance(handle, bool) else None,
                    len(lst) + 1, tuple(expr), _s(body.get("comment")), text,
                )
            )
        # Other objects (flowtables, counters, ct helpers, ...) are irrelevant to services.
    chains: dict[tuple[str, str, str], NftChain] = {}
    for key in set(chain_meta) | set(rules):
        hook, comment = chain_meta.get(key, ("", ""))
        chains[key] = NftChain(key[0], key[1], key[2], hook, tuple(rules.get(key, ())), comment)
    return NftRuleset(tuple(tables), MappingProxyType(chains), MappingProxyType(sets), tuple(problems), version)


def _parse_set(body: dict[str, Any], is_map: bool, i: int, problems: list[ParseProblem]) -> NftSet:
    ktype = body.get("type")
    key_type = tuple(t for t in ktype if isinstance(t, str)) if isinstance(ktype, list) else (_s(ktype),)
    elements: list[tuple[Any, Any, str]] = []
    raw_elems = body.get("elem", [])
    if not isinstance(raw_elems, list):
        problems.append(ParseProblem(_SRC, i, "elem", "elements are not a list", snippet(raw_elems)))
        raw_elems = []
    for raw in raw_elems:
        if is_map:
            if not isinstance(raw, list) or len(raw) != 2:
                problems.append(ParseProblem(_SRC, i, "elem", "map element is not a [key, value] pair", snippet(raw)))
                continue
            key, comment = elem_key(raw[0])
            value = plain_value(raw[1])
            elements.append((key, value, comment))
        else:
            key, comment = elem_key(raw)
            value = None
            elements.append((key, None, comment))
        if _cut_short(key) or _cut_short(value):
            problems.append(ParseProblem(_SRC, i, "elem", f"element nested more than {MAX_DEPTH} levels: "
                                         "the deeper part is not read", snippet(raw)))
    return NftSet(
        _s(body.get("family")), _s(body.get("table")), _s(body.get("name")), is_map, key_type,
        _s(body.get("map")), tuple(elements), _s(body.get("comment")),
    )

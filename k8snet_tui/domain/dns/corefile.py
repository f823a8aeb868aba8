"""Corefile: CoreDNS's Caddy-style configuration, read tolerantly.

The shape is what matters for expectations: which server block answers the cluster zone, what
the kubernetes plugin is told (zones, pods mode, fallthrough, ttl, ...), where the rest is
forwarded. Anything not understood is kept raw with a note, and the expectations then say they
assume the defaults for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..numbers import parse_decimal, parse_port
from .names import fqdn, is_subdomain

MAX_NESTING = 8  # block levels read; deeper blocks are skipped whole, with one problem

# The order CoreDNS 1.15 runs plugins in a server block (plugin.cfg), whatever the Corefile order.
PLUGIN_ORDER = (
    "root", "metadata", "geoip", "cancel", "proxyproto", "quic", "grpc_server", "https",
    "https3", "timeouts", "multisocket", "reload", "nsid", "bufsize", "bind", "debug", "trace",
    "ready", "health", "pprof", "shed", "prometheus", "errors", "log", "dnstap", "local",
    "dns64", "siit", "any", "chaos", "loadbalance", "tsig", "rewrite", "autopath", "acl",
    "cache", "header", "dnssec", "tls", "minimal", "template", "transfer", "dynupdate", "hosts",
    "route53", "azure", "clouddns", "k8s_external", "kubernetes", "file", "auto", "secondary",
    "etcd", "loop", "forward", "grpc", "erratic", "whoami", "on", "sign", "view", "nomad",
)
# Plugins whose answers we cannot predict when they sit before `kubernetes` in that order.
_OPAQUE_BEFORE_K8S = ("rewrite", "template", "route53", "azure", "clouddns", "k8s_external", "dns64")

KUBEADM_COREFILE = """.:53 {{
    errors
    health {{
       lameduck 5s
    }}
    ready
    kubernetes {domain} in-addr.arpa ip6.arpa {{
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }}
    prometheus :9153
    forward . /etc/resolv.conf {{
       max_concurrent 1000
    }}
    cache 30 {{
       disable success {domain}
       disable denial {domain}
    }}
    loop
    reload
    loadbalance
}}
"""


@dataclass(frozen=True)
class CfProblem:
    line: int
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "reason": self.reason}


@dataclass(frozen=True)
class Directive:
    name: str
    args: tuple[str, ...]
    line: int
    block: tuple[Directive, ...] = ()

    def sub(self, name: str) -> tuple[Directive, ...]:
        return tuple(d for d in self.block if d.name == name)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "args": list(self.args), "line": self.line}
        if self.block:
            out["block"] = [d.to_json() for d in self.block]
        return out


@dataclass(frozen=True)
class ServerKey:
    zone: str  # absolute, lower case
    port: int
    scheme: str

    def to_json(self) -> dict[str, Any]:
        return {"zone": self.zone, "port": self.port, "scheme": self.scheme}


def parse_key(key: str) -> ServerKey | None:
    text = key.strip().rstrip(",")
    scheme = "dns"
    if "://" in text:
        scheme, _, text = text.partition("://")
        scheme = scheme.lower()
    port = {"dns": 53, "tls": 853, "https": 443, "grpc": 443, "quic": 853}.get(scheme, 53)
    host = text
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            bracketed = parse_port(rest[1:]) if rest.startswith(":") else None
            if bracketed is None:
                return None
            port = bracketed
    elif text.count(":") == 1:
        host, _, p = text.partition(":")
        given = parse_port(p)
        if given is None:
            return None
        port = given
    if not host:
        host = "."
    return ServerKey(fqdn(host) if host != "." else ".", port, scheme)


@dataclass(frozen=True)
class ServerBlock:
    keys: tuple[str, ...]
    line: int
    directives: tuple[Directive, ...] = ()

    @property
    def zones(self) -> tuple[ServerKey, ...]:
        return tuple(k for k in (parse_key(x) for x in self.keys) if k is not None)

    def plugin(self, name: str) -> Directive | None:
        for d in self.directives:
            if d.name == name:
                return d
        return None

    def to_json(self) -> dict[str, Any]:
        return {"keys": list(self.keys), "line": self.line, "zones": [z.to_json() for z in self.zones],
                "plugins": [d.name for d in self.directives]}


@dataclass(frozen=True)
class Corefile:
    blocks: tuple[ServerBlock, ...] = ()
    snippets: tuple[str, ...] = ()
    problems: tuple[CfProblem, ...] = ()
    assumed: bool = False  # True: not read from the cluster, kubeadm's default used instead

    def to_json(self) -> dict[str, Any]:
        return {"blocks": [b.to_json() for b in self.blocks], "snippets": list(self.snippets),
                "problems": [p.to_json() for p in self.problems], "assumed": self.assumed}


def _tokens(text: str) -> tuple[list[tuple[str, int, bool]], list[CfProblem]]:
    """(token, line, quoted) triples; comments dropped; newline-separated lines keep their number."""
    out: list[tuple[str, int, bool]] = []
    problems: list[CfProblem] = []
    i, line, n = 0, 1, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c.isspace():
            i += 1
        elif c == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif c == '"':
            start_line = line
            i += 1
            buf = []
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n and text[i + 1] in '"\\':
                    i += 1
                if text[i] == "\n":
                    line += 1
                buf.append(text[i])
                i += 1
            if i >= n:
                problems.append(CfProblem(start_line, "unterminated quoted string"))
            i += 1
            out.append(("".join(buf), start_line, True))
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] != '"':
                i += 1
            out.append((text[start:i], line, False))
    return out, problems


def _lines(tokens: list[tuple[str, int, bool]]) -> list[list[tuple[str, int, bool]]]:
    rows: list[list[tuple[str, int, bool]]] = []
    for tok in tokens:
        if rows and rows[-1][-1][1] == tok[1]:
            rows[-1].append(tok)
        else:
            rows.append([tok])
    return rows


def _is(tok: tuple[str, int, bool], brace: str) -> bool:
    return tok[0] == brace and not tok[2]


def parse_corefile(text: object) -> Corefile:
    """Parse Corefile text; never raises. Problems carry line numbers."""
    if not isinstance(text, str):
        return Corefile(problems=(CfProblem(0, "Corefile is not text"),))
    tokens, problems = _tokens(text)
    rows = _lines(tokens)
    blocks: list[ServerBlock] = []
    snippets: list[str] = []
    pos = 0

    def skip_block(pos: int) -> tuple[int, bool]:
        """Past the '}' that closes the block opened just before `pos` (iteratively); closed or not."""
        level = 1
        while pos < len(rows):
            row = rows[pos]
            pos += 1
            if _is(row[0], "}"):
                level -= 1
                if level == 0:
                    return pos, True
            elif _is(row[-1], "{"):
                level += 1
        return pos, False

    def parse_body(pos: int, depth: int) -> tuple[list[Directive], int, bool]:
        items: list[Directive] = []
        while pos < len(rows):
            row = rows[pos]
            if _is(row[0], "}"):
                if len(row) > 1:
                    problems.append(CfProblem(row[0][1], "text after '}' on the same line ignored"))
                return items, pos + 1, True
            opens = _is(row[-1], "{")
            words = row[:-1] if opens else row
            if any(_is(t, "{") or _is(t, "}") for t in words):
                problems.append(CfProblem(row[0][1], "a brace in the middle of a line: kept as text"))
            name = words[0][0] if words else ""
            args = tuple(t[0] for t in words[1:])
            if not words:
                problems.append(CfProblem(row[0][1], "'{' without a directive"))
            pos += 1
            sub: list[Directive] = []
            if opens:
                if depth >= MAX_NESTING:
                    # Stop descending: the block is skipped whole, so neither this parse nor any
                    # walker over the result (to_json, ...) goes deeper than MAX_NESTING.
                    problems.append(CfProblem(row[0][1], f"blocks nested more than {MAX_NESTING} deep: "
                                                         "the inner blocks are skipped"))
                    pos, closed = skip_block(pos)
                else:
                    sub, pos, closed = parse_body(pos, depth + 1)
                if not closed:
                    problems.append(CfProblem(row[0][1], f"block of '{name}' is never closed"))
                    if name:
                        items.append(Directive(name, args, row[0][1], tuple(sub)))
                    return items, pos, False
            if name:
                items.append(Directive(name, args, row[0][1], tuple(sub)))
        return items, pos, False

    while pos < len(rows):
        row = rows[pos]
        if _is(row[0], "}"):
            problems.append(CfProblem(row[0][1], "'}' without a matching '{'"))
            pos += 1
            continue
        keys_toks: list[tuple[str, int, bool]] = []
        start_line = row[0][1]
        # keys may continue on following lines after a trailing comma
        while True:
            opens = _is(row[-1], "{")
            keys_toks += row[:-1] if opens else row
            pos += 1
            if opens or not (row[-1][0].endswith(",")) or pos >= len(rows):
                break
            row = rows[pos]
        keys = tuple(k for t in keys_toks for k in t[0].split(",") if k)
        if not opens:
            problems.append(CfProblem(start_line, "server block keys without '{': the rest of the file is taken as its body"))
        body, pos, closed = parse_body(pos, 1)
        if opens and not closed:
            problems.append(CfProblem(start_line, "server block is never closed"))
        if len(keys) == 1 and keys[0].startswith("(") and keys[0].endswith(")"):
            snippets.append(keys[0][1:-1])
            problems.append(CfProblem(start_line, f"snippet {keys[0]} is not expanded"))
            continue
        for d in body:
            if d.name == "import":
                problems.append(CfProblem(d.line, f"import {' '.join(d.args)} is not expanded: "
                                                  "expectations assume it adds nothing"))
        for key in keys:
            if parse_key(key) is None:
                problems.append(CfProblem(start_line, f"server key '{key}' not understood (a port is 0-65535 in ASCII digits)"))
        problems.extend(_number_problems(body))
        blocks.append(ServerBlock(keys, start_line, tuple(body)))
    return Corefile(tuple(blocks), tuple(snippets), tuple(problems))


def _number_problems(body: list[Directive]) -> list[CfProblem]:
    """Numbers CoreDNS will not read as numbers (Go's strconv.Atoi takes ASCII digits only)."""
    out = []
    for d in body:
        first = d.args[0] if d.args else ""
        if d.name == "cache" and first.isdigit() and parse_decimal(first) is None:
            # `cache [TTL] [ZONES...]`: a first argument that is no number is a zone.
            out.append(CfProblem(d.line, f"cache '{first}' looks like a TTL but CoreDNS reads it as a zone "
                                         "(a TTL is ASCII digits); the TTL stays 3600"))
        for sub in d.block:
            if sub.name == "ttl" and sub.args and parse_decimal(sub.args[0], signed=True) is None:
                out.append(CfProblem(sub.line, f"{d.name} ttl '{sub.args[0]}' is not a number of seconds "
                                               "(ASCII digits): CoreDNS refuses to start"))
    return out


def default_corefile(domain: str) -> Corefile:
    cf = parse_corefile(KUBEADM_COREFILE.format(domain=domain or "cluster.local"))
    return Corefile(cf.blocks, cf.snippets, cf.problems, assumed=True)


@dataclass(frozen=True)
class KubernetesPlugin:
    """The kubernetes plugin's settings, defaults filled in where the Corefile is silent."""

    zones: tuple[str, ...]
    pods: str = "disabled"
    endpoint_pod_names: bool = False
    fallthrough: tuple[str, ...] | None = None  # None: off; (): every zone
    ttl: int = 5
    namespaces: tuple[str, ...] = ()
    ignore_empty_service: bool = False
    noendpoints: bool = False
    notes: tuple[str, ...] = ()

    def falls_through(self, name: str) -> bool:
        if self.fallthrough is None:
            return False
        return not self.fallthrough or any(is_subdomain(name, z) for z in self.fallthrough)

    def zone_for(self, name: str) -> str | None:
        best = None
        for z in self.zones:
            if is_subdomain(name, z) and (best is None or len(z) > len(best)):
                best = z
        return best

    @property
    def primary_zone(self) -> str | None:
        for z in self.zones:
            if not z.endswith(("in-addr.arpa.", "ip6.arpa.")):
                return z
        return None

    def to_json(self) -> dict[str, Any]:
        return {"zones": list(self.zones), "pods": self.pods,
                "endpoint_pod_names": self.endpoint_pod_names,
                "fallthrough": None if self.fallthrough is None else list(self.fallthrough),
                "ttl": self.ttl, "namespaces": list(self.namespaces),
                "ignore_empty_service": self.ignore_empty_service, "noendpoints": self.noendpoints,
                "notes": list(self.notes)}


_K8S_IGNORED = {"endpoint", "tls", "kubeconfig", "startup_timeout", "apiserver_qps", "apiserver_burst",
                "apiserver_max_inflight", "labels"}


def kubernetes_plugin(block: ServerBlock) -> KubernetesPlugin | None:
    d = block.plugin("kubernetes")
    if d is None:
        return None
    zones = tuple(fqdn(a) if a != "." else "." for a in d.args) or tuple(k.zone for k in block.zones)
    kw: dict[str, Any] = {}
    notes: list[str] = []
    for opt in d.block:
        a = opt.args
        if opt.name == "pods":
            if len(a) == 1 and a[0] in ("disabled", "insecure", "verified"):
                kw["pods"] = a[0]
            else:
                notes.append(f"line {opt.line}: 'pods {' '.join(a)}' is invalid (CoreDNS would refuse to start)")
        elif opt.name == "endpoint_pod_names":
            kw["endpoint_pod_names"] = True
        elif opt.name == "fallthrough":
            kw["fallthrough"] = tuple(fqdn(z) for z in a)
        elif opt.name == "ttl":
            ttl = parse_decimal(a[0], hi=3600) if a else None
            if ttl is not None:
                kw["ttl"] = ttl
            else:
                notes.append(f"line {opt.line}: ttl must be 0..3600; assuming the default 5")
        elif opt.name == "namespaces":
            kw["namespaces"] = tuple(a)
        elif opt.name == "ignore" and a[:1] == ("empty_service",):
            kw["ignore_empty_service"] = True
        elif opt.name == "noendpoints":
            kw["noendpoints"] = True
        elif opt.name in _K8S_IGNORED:
            if opt.name == "labels":
                notes.append(f"line {opt.line}: label selector {' '.join(a)} not applied: expectations include every service")
        else:
            notes.append(f"line {opt.line}: option '{opt.name}' not modelled: expectations assume its default")
    return KubernetesPlugin(zones=zones, notes=tuple(notes), **kw)


def route(cf: Corefile, name: str, port: int = 53) -> ServerBlock | None:
    """The server block CoreDNS picks for a query: the longest zone that contains the name."""
    best: tuple[int, ServerBlock] | None = None
    for block in cf.blocks:
        for key in block.zones:
            if key.port != port or key.scheme != "dns":
                continue
            if is_subdomain(name, key.zone):
                score = len(key.zone) if key.zone != "." else 0
                if best is None or score > best[0]:
                    best = (score, block)
    return best[1] if best else None


@dataclass(frozen=True)
class HostsEntries:
    names: dict[str, tuple[str, ...]] = field(default_factory=dict)  # fqdn -> addresses
    has_file: bool = True
    fallthrough: tuple[str, ...] | None = None
    zones: tuple[str, ...] = (".",)


def hosts_plugin(block: ServerBlock) -> HostsEntries | None:
    d = block.plugin("hosts")
    if d is None:
        return None
    names: dict[str, list[str]] = {}
    fall = None
    for sub in d.block:
        if sub.name == "fallthrough":
            fall = tuple(fqdn(z) for z in sub.args)
        elif sub.name in ("ttl", "reload", "no_reverse"):
            continue
        elif sub.args:
            for host in sub.args:
                names.setdefault(fqdn(host), []).append(sub.name)
    zones = tuple(fqdn(z) for z in d.args[1:]) or tuple(k.zone for k in block.zones)
    return HostsEntries({k: tuple(v) for k, v in names.items()}, True, fall, zones)


def _cache_ttl(cache: Directive | None) -> int | None:
    """The cache plugin's maximum TTL: its first argument when that is a number (else it is a zone), or 3600."""
    if cache is None:
        return None
    ttl = parse_decimal(cache.args[0]) if cache.args else None
    return 3600 if ttl is None else ttl


def block_summary(block: ServerBlock) -> dict[str, Any]:
    plugins = [d.name for d in block.directives]
    ordered = sorted(set(plugins), key=lambda p: PLUGIN_ORDER.index(p) if p in PLUGIN_ORDER else len(PLUGIN_ORDER))
    fwd = block.plugin("forward")
    cache = block.plugin("cache")
    k8s = kubernetes_plugin(block)
    unknown = [p for p in plugins if p not in PLUGIN_ORDER and p != "import"]
    return {
        "keys": list(block.keys),
        "zones": [z.to_json() for z in block.zones],
        "plugins": plugins,
        "run_order": ordered,
        "kubernetes": k8s.to_json() if k8s else None,
        "forward": {"from": fwd.args[0], "to": list(fwd.args[1:])} if fwd and fwd.args else None,
        "cache": _cache_ttl(cache),
        "opaque": [p for p in ordered if p in _OPAQUE_BEFORE_K8S],
        "unknown_plugins": unknown,
    }

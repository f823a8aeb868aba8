"""The command words, parsed once for both the CLI and the TUI's `:` line.

    show PANE [FILTER]                 PANE: its number, id or an alias (`4`, `services`, `svc`)
    PANE [FILTER]                      (`:` only: `:svc web`)
    trace NS/NAME[:PORT] | NAME[:PORT] | IP[:PORT] | NODEPORT
    dns NAME [TYPE] [RESOLVER] [--pod NS/POD] [--resolver glibc|musl|busybox] [--type T]
    route URL | /PATH [--class ENTRY]  (a bare path goes to the default entry point)
    policy check SRC DST [--port N] [--protocol TCP|UDP|SCTP]   SRC/DST: NS/POD or ip:ADDRESS
    path FROM TO [--check] [--node NAME]   FROM: NS/POD, node/NAME, outside; TO: NAME[:PORT], IP:PORT, URL
    balance NS/SVC [--requests N] [--seed S] [--clients K] [--port P]   (a LoadBalancer: nodes, then pods)
    ns NAME | all     theme NAME       ctx NAME        q | quit
    lab [STEP.N | next | prev | off]   (the guided lab: its questions, answered from the data)
    diff [A] B                         (two snapshots; `:` only B: the open state against B)
    find IP | NAME | CHAIN             (everything that mentions it)

`parse` turns words into a `Command` and says in words what is wrong with bad ones. Nothing here
reads the cluster; `resolve_trace` and `route_base` turn an address or a bare path into what the
trace and the route tester take, from an already observed state.
"""

from __future__ import annotations

import ipaddress
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from k8snet_tui.domain.sanitize import clean
from k8snet_tui.errors import UsageError
from k8snet_tui.registry import PANES, pane_by_word

RESOLVERS = ("glibc", "musl", "busybox")
QTYPES = ("A", "AAAA", "A+AAAA", "SRV", "PTR", "TXT", "CNAME")
QUIT_WORDS = ("q", "quit", "q!", "exit")
# The verbs and the pane each opens in the TUI.
VERB_PANE = {"trace": "services", "dns": "dns", "route": "ingress", "policy": "policy", "path": "path",
             "balance": "balancing"}
VERBS = ("show", "trace", "dns", "route", "policy", "ns", "theme", "ctx", "quit", "diff", "find", "check")
PROTOCOLS = ("TCP", "UDP", "SCTP")
VERB_ALIASES = {"namespace": "ns", "context": "ctx", **{w: "quit" for w in QUIT_WORDS}}
MAX_LINE = 4096  # a command line longer than this is not a command


class GrammarError(UsageError):
    """Words that are not a command; the message says which word and what was expected."""


@dataclass(frozen=True)
class TraceTarget:
    """What `trace` was given: a Service (`service`), an address or a NodePort."""

    kind: str  # service | ip | nodeport
    service: str = ""  # "ns/name" or "name" (kind service)
    ip: str = ""  # kind ip
    port: str | None = None  # a port name or number; the NodePort for kind nodeport

    def text(self) -> str:
        if self.kind == "service":
            return self.service + (f":{self.port}" if self.port else "")
        if self.kind == "nodeport":
            return str(self.port)
        host = f"[{self.ip}]" if ":" in self.ip and self.port else self.ip
        return host + (f":{self.port}" if self.port else "")


@dataclass(frozen=True)
class Command:
    """One parsed command. `word` is the verb as typed (`svc`, `4`); `verb` the canonical one."""

    verb: str
    word: str = ""
    pane: str | None = None  # the pane it opens in the TUI
    arg: str = ""  # show: a filter; ns/theme/ctx: the name
    target: TraceTarget | None = None  # trace
    name: str = ""  # dns
    pod: str | None = None
    resolver: str | None = None  # None: not given (glibc for the CLI; the pane keeps its choice)
    qtype: str | None = None  # None: not given (A for the CLI; the pane keeps its choice)
    url: str = ""  # route
    entry: str | None = None
    check: bool = False  # path: also make the real connection from the pod
    node: str | None = None  # path: the node whose datapath to read (None: the source's)
    src: str = ""  # policy check: NS/POD or ip:ADDRESS
    dst: str = ""
    port: str | None = None  # a number, or a port name of the destination pod
    protocol: str | None = None  # None: not given (TCP)
    paths: tuple[str, ...] = ()  # diff: the snapshots (one on the `:` line, two on the CLI)
    requests: int | None = None  # balance: requests to simulate (None: none)
    seed: int | None = None  # balance: the simulation's seed (None: 1)
    clients: int | None = None  # balance: pretend clients the requests come from in turn (None: 1)

    @property
    def has_argument(self) -> bool:
        return bool(self.target or self.name or self.url or self.src or (self.verb == "balance" and self.arg))

    def canonical(self) -> str:
        """The command spelled the one way both surfaces print it (used by tests and help)."""
        if self.verb == "show":
            return f"show {self.pane}" + (f" {self.arg}" if self.arg else "")
        if self.verb == "trace":
            return "trace" + (f" {self.target.text()}" if self.target else "")
        if self.verb == "dns":
            pod = f" --pod {self.pod}" if self.pod else ""
            return f"dns {self.name}{pod} --resolver {self.resolver or 'glibc'} --type {self.qtype or 'A'}"
        if self.verb == "route":
            return f"route {self.url}" + (f" --class {self.entry}" if self.entry else "")
        if self.verb == "path":
            return "path " + self.pane_argument()
        if self.verb == "policy":
            return "policy " + self.pane_argument()
        if self.verb == "diff":
            return shlex.join(["diff", *self.paths])
        if self.verb == "balance":
            return "balance " + self.pane_argument()
        return f"{self.verb} {self.arg}".rstrip()

    def pane_argument(self) -> str:
        """The argument the pane's `handle_command` takes for this command (its older word form)."""
        if self.verb == "trace":
            return self.target.text() if self.target else ""
        if self.verb == "dns":
            words = [self.name, *(w for w in (self.qtype, self.resolver) if w)]
            return " ".join(words + (["--pod", self.pod] if self.pod else []))
        if self.verb == "route":
            return self.url
        if self.verb == "policy":
            words = ["check", self.src, self.dst, *(["--port", self.port] if self.port else []),
                     *(["--protocol", self.protocol] if self.protocol else [])]
            return shlex.join(words)
        if self.verb == "path":
            return shlex.join([self.src, self.dst, *(["--node", self.node] if self.node else []),
                               *(["--check"] if self.check else [])])
        if self.verb == "balance":
            words = [self.arg] if self.arg else []
            for opt, value in (("requests", self.requests), ("seed", self.seed), ("clients", self.clients),
                               ("port", self.port)):
                if value is not None:
                    words += [f"--{opt}", str(value)]
            return shlex.join(words)
        return self.arg


def split_line(line: str) -> list[str]:
    """Words as a shell splits them (quotes group), or plain whitespace splits when quotes are unbalanced."""
    if len(line) > MAX_LINE:
        raise GrammarError(f"the command is {len(line):,} characters long; at most {MAX_LINE:,} are read")
    try:
        return shlex.split(line)
    except ValueError:
        return line.split()


def parse(line: str | Sequence[str]) -> Command | None:
    """Parse a `:` line (or CLI words); None for an empty line."""
    words = split_line(line) if isinstance(line, str) else list(line)
    if words and words[0].startswith(":"):
        words[0] = words[0][1:]
        if not words[0]:
            words = words[1:]
    if not words:
        return None
    word, rest = words[0], words[1:]
    verb = VERB_ALIASES.get(word.lower(), word.lower())
    if verb == "show":
        if not rest:
            raise GrammarError("show: which pane?", hint=_pane_hint())
        return _show(rest[0], rest[1:], word)
    if verb == "trace":
        return _trace(rest, word)
    if verb == "dns":
        return _dns(rest, word)
    if verb == "route":
        return _route(rest, word)
    if verb == "path":
        return _path(rest, word)
    if verb == "balance":
        return _balance(rest, word)
    if verb in ("ns", "theme", "ctx"):
        if len(rest) > 1:
            raise GrammarError(f"{word}: one name expected, got {len(rest)} words")
        arg = rest[0] if rest else ""
        if verb == "ns" and arg in ("all", "-A", "--all-namespaces"):
            arg = ""
        return Command(verb, word, arg=arg)
    if verb == "lab":
        if len(rest) > 1:
            raise GrammarError(f"{word}: one word expected (STEP.N, next, prev or off), got {len(rest)}")
        return Command("lab", word, arg=rest[0] if rest else "")
    if verb == "quit":
        return Command("quit", word)
    if verb == "diff":
        return _diff(rest, word)
    if verb == "find":
        return _find(rest, word)
    if verb == "check":  # config vs kernel: pane 3's tunnel and pod CIDR checks, or pane 4's proxy ones
        topic = rest[0].lower() if len(rest) == 1 else ""
        if len(rest) > 1 or topic not in ("", "pods", "proxy", "services"):
            raise GrammarError(f"{word}: pods (the default) or proxy expected", hint="check | check proxy")
        return Command("show", word, pane="services" if topic in ("proxy", "services") else "pods")
    spec = pane_by_word(word)
    if spec is not None and spec.id == "policy" and rest[:1] and rest[0].lower() == "check":
        return _policy_check(rest[1:], word)
    if spec is not None:
        return Command("show", word, pane=spec.id, arg=" ".join(rest))
    raise GrammarError(f"unknown command {clean(word)!r}",
                       hint="one of: " + ", ".join(VERBS[:4]) + ", a pane (" + _pane_hint() + "), ns, theme, q")


def _pane_hint() -> str:
    return "; ".join(f"{s.key} {s.id} ({', '.join(s.aliases)})" for s in PANES)


def _show(pane_word: str, rest: Sequence[str], word: str) -> Command:
    spec = pane_by_word(pane_word)
    if spec is None:
        raise GrammarError(f"show: invalid choice: {clean(pane_word)!r}", hint="a pane by number, id or alias: "
                           + _pane_hint())
    return Command("show", word, pane=spec.id, arg=" ".join(rest))


def _options(rest: Sequence[str], known: Iterable[str], verb: str) -> tuple[list[str], dict[str, str]]:
    """Positional words and `--opt VALUE` / `--opt=VALUE` options (the last given wins)."""
    known = tuple(known)
    positional: list[str] = []
    options: dict[str, str] = {}
    words = list(rest)
    i = 0
    while i < len(words):
        w = words[i]
        if w.startswith("--") and len(w) > 2:
            name, eq, value = w[2:].partition("=")
            if name not in known:
                raise GrammarError(f"{verb}: unknown option --{clean(name)}",
                                   hint="options: " + (", ".join(f"--{k}" for k in known) or "none"))
            if not eq:
                if i + 1 >= len(words):
                    raise GrammarError(f"{verb}: --{name} needs a value")
                i += 1
                value = words[i]
            options[name] = value
        else:
            positional.append(w)
        i += 1
    return positional, options


def parse_trace_target(text: str) -> TraceTarget:
    """`ns/name[:port]`, `name[:port]`, `IP[:PORT]` (`[v6]:PORT`) or a bare NodePort number."""
    t = text.strip()
    if not t:
        raise GrammarError("trace: a Service, address or NodePort is needed")
    if t.isascii() and t.isdigit():
        number = int(t)
        if not 1 <= number <= 65535:
            raise GrammarError(f"trace: {t} is not a port (1-65535)")
        return TraceTarget("nodeport", port=str(number))
    ip, port = _address(t)
    if ip is not None:
        return TraceTarget("ip", ip=ip, port=port)
    base, sep, port_word = t.rpartition(":")
    service, port_s = (base, port_word) if sep and port_word and "/" not in port_word else (t, None)
    ns, slash, name = service.rpartition("/")
    if not name or (slash and not ns) or "/" in ns or any(c.isspace() for c in service):
        raise GrammarError(f"trace: {clean(t)!r} is not NS/NAME[:PORT], IP[:PORT] or a NodePort")
    if port_s is not None and port_s.isascii() and port_s.isdigit() and not 1 <= int(port_s) <= 65535:
        raise GrammarError(f"trace: {port_s} is not a port (1-65535)")
    return TraceTarget("service", service=service, port=port_s)


def _address(text: str) -> tuple[str | None, str | None]:
    """(ip, port) when `text` is an address with an optional port, else (None, None)."""
    host, port = text, None
    if text.startswith("["):
        host, _, after = text[1:].partition("]")
        port = after[1:] if after.startswith(":") else None
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if "." in host and host.isascii() and host.replace(".", "").isdigit():  # no Service name has a dot
            raise GrammarError(f"trace: {clean(host)[:40]!r} is not an IP address (four numbers 0-255)",
                               hint="trace NS/NAME[:PORT] | IP[:PORT] | NODEPORT") from None
        return None, None
    if port is not None and not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
        raise GrammarError(f"trace: {clean(port)!r} is not a port (1-65535)")
    return str(ip), port


def _trace(rest: Sequence[str], word: str) -> Command:
    positional, _ = _options(rest, (), "trace")
    if not positional:
        return Command("trace", word, pane="services")
    if len(positional) > 1:
        raise GrammarError(f"trace: one target expected, got {len(positional)} words",
                           hint="trace NS/NAME[:PORT] | IP[:PORT] | NODEPORT")
    return Command("trace", word, pane="services", target=parse_trace_target(positional[0]))


def _dns(rest: Sequence[str], word: str) -> Command:
    positional, options = _options(rest, ("pod", "resolver", "type"), "dns")
    if not positional:
        if options:
            raise GrammarError("dns: which name?", hint="dns NAME [--pod NS/POD] [--resolver R] [--type T]")
        return Command("dns", word, pane="dns")
    name, extra = positional[0], positional[1:]
    resolver: str | None = None
    qtype: str | None = None
    for w in extra:  # the short forms the DNS pane always took: `dns web AAAA musl`
        if w.upper() in QTYPES:
            qtype = w.upper()
        elif w.lower() in RESOLVERS:
            resolver = w.lower()
        else:
            raise GrammarError(f"dns: {clean(w)!r} is neither a query type nor a resolver",
                               hint=f"types: {', '.join(QTYPES)}; resolvers: {', '.join(RESOLVERS)}")
    if "resolver" in options:
        resolver = options["resolver"].lower()
        if resolver not in RESOLVERS:
            raise GrammarError(f"dns: --resolver: invalid choice: {clean(options['resolver'])!r}",
                               hint=f"one of {', '.join(RESOLVERS)}")
    if "type" in options:
        qtype = options["type"].upper()
        if qtype not in QTYPES:
            raise GrammarError(f"dns: --type: invalid choice: {clean(options['type'])!r}",
                               hint=f"one of {', '.join(QTYPES)}")
    pod = options.get("pod")
    if pod is not None and (pod.count("/") != 1 or not all(pod.split("/"))):
        raise GrammarError(f"dns: --pod {clean(pod)!r} is not NS/POD")
    if not name.strip() or any(c.isspace() for c in name):
        raise GrammarError(f"dns: {clean(name)!r} is not a name")
    return Command("dns", word, pane="dns", name=name, pod=pod, resolver=resolver, qtype=qtype)


def _route(rest: Sequence[str], word: str) -> Command:
    positional, options = _options(rest, ("class",), "route")
    if not positional:
        return Command("route", word, pane="ingress")
    if len(positional) > 1:
        raise GrammarError(f"route: one URL expected, got {len(positional)} words",
                           hint="route URL | /PATH (quote a URL with spaces)")
    return Command("route", word, pane="ingress", url=positional[0], entry=options.get("class"))


PATH_USAGE = "path FROM TO [--check] [--node NAME]   FROM: NS/POD, node/NAME or outside; TO: NAME[:PORT], IP:PORT or a URL"


def _path(rest: Sequence[str], word: str) -> Command:
    """`path FROM TO`: the words are checked here; the pod and the destination when diagnosed."""
    check = "--check" in rest
    positional, options = _options([w for w in rest if w != "--check"], ("node",), "path")
    if not positional:
        return Command("path", word, pane="path")
    if len(positional) != 2:
        raise GrammarError(f"path: a source and a destination expected, got {len(positional)} words",
                           hint=PATH_USAGE)
    src, dst = positional
    if src.lower() != "outside" and (src.count("/") != 1 or not all(src.split("/")) or any(c.isspace() for c in src)):
        raise GrammarError(f"path: {clean(src)!r} is not NS/POD, node/NAME or outside", hint=PATH_USAGE)
    if not dst.strip() or any(c.isspace() for c in dst):
        raise GrammarError(f"path: {clean(dst)!r} is not NAME[:PORT], IP:PORT or a URL", hint=PATH_USAGE)
    return Command("path", word, pane="path", src=src, dst=dst, check=check, node=options.get("node"))


BALANCE_USAGE = "balance NS/SVC [--requests N] [--seed S] [--clients K] [--port P]"
BALANCE_LIMITS = {"requests": 1_000_000, "seed": 2**32 - 1, "clients": 10_000}


def _balance(rest: Sequence[str], word: str) -> Command:
    """`balance NS/SVC`: a LoadBalancer Service's spread over nodes and pods, simulated on request."""
    positional, options = _options(rest, ("requests", "seed", "clients", "port"), "balance")
    if len(positional) > 1:
        raise GrammarError(f"balance: one Service expected, got {len(positional)} words", hint=BALANCE_USAGE)
    service = positional[0] if positional else ""
    ns, slash, name = service.rpartition("/")
    if service and (not name or (slash and not ns) or "/" in ns or any(c.isspace() for c in service)):
        raise GrammarError(f"balance: {clean(service)!r} is not NS/NAME", hint=BALANCE_USAGE)
    numbers: dict[str, int] = {}
    for opt, top in BALANCE_LIMITS.items():
        if opt in options:
            text = options[opt]
            low = 0 if opt == "seed" else 1
            if not (text.isascii() and text.isdigit() and len(text) <= 10 and low <= int(text) <= top):
                raise GrammarError(f"balance: --{opt} {clean(text)!r} is not a number from {low} to {top:,}",
                                   hint=BALANCE_USAGE)
            numbers[opt] = int(text)
    return Command("balance", word, pane="balancing", arg=service, port=options.get("port"),
                   requests=numbers.get("requests"), seed=numbers.get("seed"), clients=numbers.get("clients"))


def _policy_check(rest: Sequence[str], word: str) -> Command:
    usage = "policy check NS/POD|ip:ADDRESS NS/POD|ip:ADDRESS [--port N] [--protocol TCP|UDP|SCTP]"
    positional, options = _options(rest, ("port", "protocol"), "policy check")
    if len(positional) != 2:
        raise GrammarError(f"policy check: a source and a destination expected, got {len(positional)} words",
                           hint=usage)
    for end in positional:
        if end.startswith("ip:"):
            try:
                ipaddress.ip_address(end[3:])
            except ValueError:
                raise GrammarError(f"policy check: {clean(end)!r} is not ip:ADDRESS", hint=usage) from None
        elif end.count("/") != 1 or not all(end.split("/")) or any(c.isspace() for c in end):
            raise GrammarError(f"policy check: {clean(end)!r} is not NS/POD or ip:ADDRESS", hint=usage)
    port = options.get("port")
    if port is not None:
        if port.isascii() and port.isdigit():
            if not 1 <= int(port) <= 65535:
                raise GrammarError(f"policy check: --port {clean(port)} is not a port (1-65535)")
        elif not port or len(port) > 15 or any(c.isspace() for c in port):
            raise GrammarError(f"policy check: --port {clean(port)!r} is neither a number nor a port name")
    protocol = options.get("protocol")
    if protocol is not None:
        protocol = protocol.upper()
        if protocol not in PROTOCOLS:
            raise GrammarError(f"policy check: --protocol: invalid choice: {clean(options['protocol'])!r}",
                               hint="one of " + ", ".join(PROTOCOLS))
    return Command("policy", word, pane="policy", src=positional[0], dst=positional[1], port=port,
                   protocol=protocol)


def _diff(rest: Sequence[str], word: str) -> Command:
    positional, _ = _options(rest, (), "diff")
    if not 1 <= len(positional) <= 2 or any(not p.strip() for p in positional):
        raise GrammarError(f"diff: one or two snapshots expected, got {len(positional)} words",
                           hint="diff A B (CLI: two snapshot paths or `lab`); :diff B (the open state against B)")
    return Command("diff", word, paths=tuple(positional))


def _find(rest: Sequence[str], word: str) -> Command:
    positional, _ = _options(rest, (), "find")
    if len(positional) != 1 or not positional[0].strip():
        got = "an empty word" if len(positional) == 1 else f"{len(positional)} words"
        raise GrammarError(f"find: one word expected, got {got}",
                           hint="find 10.0.0.3 | find website | find KUBE-SEP-... (quote nothing: one word)")
    return Command("find", word, arg=positional[0].strip())


# -- from words to what the trace and the tester take, against an observed state ------------------


def resolve_trace(cluster: object, target: TraceTarget) -> str:
    """`ns/name[:port]` for `target`: a Service as given, or the one an address or NodePort belongs to."""
    if target.kind == "service":
        return target.text()
    from k8snet_tui.domain.datapath.endpoints import cluster_ips, external_ips, lb_ingress_ips, service_ports
    from k8snet_tui.domain.model import key_of

    found: list[str] = []
    for svc in cluster.of("Service"):  # type: ignore[attr-defined]
        for p in service_ports(svc):
            if target.kind == "nodeport":
                hit = p.node_port is not None and str(p.node_port) == target.port
            else:
                addresses = {_norm_ip(a) for a in (*cluster_ips(svc), *external_ips(svc), *lb_ingress_ips(svc))}
                hit = target.ip in addresses and (target.port is None or str(p.port) == target.port)
            if hit:
                ref = f"{key_of(svc)}:{p.name or p.port}"
                if target.port is None:  # an address alone: every port of its Service
                    ref = key_of(svc)
                if ref not in found:
                    found.append(ref)
    if not found:
        what = f"NodePort {target.port}" if target.kind == "nodeport" else f"address {target.text()}"
        raise GrammarError(f"trace: no Service has {what}", hint="list them with: k8snet show services")
    return found[0]


def _norm_ip(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text


def route_base(entry_points: Iterable[object]) -> str | None:
    """For a bare /PATH: the first ingress controller's HTTP NodePort on its first node address
    (the TUI's tester does the same)."""
    from k8snet_tui.domain.routes.urls import UrlError, parse_url

    entries = list(entry_points)
    controllers = [e.target for e in entries if e.kind == "IngressController" and e.target]  # type: ignore[attr-defined]
    node_ports = [e for e in entries if e.kind == "NodePort" and e.name in controllers and e.addresses]  # type: ignore[attr-defined]
    node_ports.sort(key=lambda e: (controllers.index(e.name), not e.port.startswith("80:")))  # type: ignore[attr-defined]
    for e in node_ports:
        try:
            return parse_url(f"http://{e.addresses[0]}").text().rstrip("/")  # type: ignore[attr-defined]
        except UrlError:
            continue
    return None

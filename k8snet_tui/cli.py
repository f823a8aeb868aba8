"""`k8snet`: the explorer, and its one-shot subcommands.

    k8snet [--snapshot PATH|lab] [--kubeconfig F] [--context C] [-n NS | -A]
    k8snet show PANE [-o json|yaml|wide] [--no-headers]     PANE: number, id or alias
    k8snet trace NS/NAME[:PORT] | IP[:PORT] | NODEPORT [--node NODE]
    k8snet dns NAME [--pod NS/POD] [--resolver glibc|musl|busybox] [--type T]
    k8snet route URL | /PATH [--class NAME]
    k8snet policy check SRC DST [--port N] [--protocol P]   SRC/DST: NS/POD or ip:ADDRESS
    k8snet path FROM TO [--check] [--node NODE]   can FROM (NS/POD, node/NAME, outside) reach TO?
    k8snet balance NS/SVC [--requests N] [--seed S]   a LoadBalancer's spread over nodes, then pods
    k8snet mesh NS/POD [ADDRESS:PORT] [--uid N] [--from ADDRESS]   a pod's mesh redirect rules; one connection
    k8snet diff A B [--json]      (what changed between two snapshots, in words)
    k8snet find IP|NAME|CHAIN     (everything that mentions it)
    k8snet check [--json]         (config vs kernel: tunnel mode, pod CIDR routes, kube-proxy mode)
    k8snet capture -o PATH        (a snapshot of the live cluster and this node)
    k8snet agent manifest         (the opt-in node agent's DaemonSet: apply it yourself)
    k8snet probe                  (root: this node's network state as JSON)
    k8snet completion bash|zsh|fish

The words of show, trace, dns and route are parsed by `grammar`, the parser of the TUI's `:`
line, so both take the same forms. --snapshot, --kubeconfig, --context, -n/-A, --node and
--strict may come before or after the command; given at both places, the rightmost wins.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from k8snet_tui import __version__
from k8snet_tui.errors import K8snetError, UsageError
from k8snet_tui.registry import PANES as PANE_SPECS
from k8snet_tui.registry import pane_by_word

PANES = tuple(spec.id for spec in PANE_SPECS)
PANE_HELP = "; ".join(f"{spec.key} {spec.id} ({', '.join(spec.aliases)})" for spec in PANE_SPECS)
OUTPUTS = ("text", "wide", "json", "yaml")
ONE_SHOT = frozenset({"show", "trace", "dns", "route", "policy", "balance", "check", "mesh"})  # commands that answer and exit

EXIT_CODES = """exit codes:
  0    ok
  1    a bug in k8snet (one line here, the traceback in the crash log)
  2    usage error; unreadable input (kubeconfig, snapshot, an empty
       snapshot); an explicit --context or --kubeconfig that cannot be used;
       with --strict, any snapshot problem; --node NAME on a snapshot that
       holds no state for that node
  3    the cluster could not be reached
  4    --node NAME on a live cluster: that node's state could not be read (no
       agent pod on it, pods/exec forbidden, the agent not ready, a timeout);
       stderr says which and what to apply
  5    check: at least one config vs kernel disagreement (the report is
       printed either way)
  130  interrupted"""


def _pane_id(word: str) -> str:
    """A pane's number, id or alias -> its id (anything else is left for `choices` to reject)."""
    spec = pane_by_word(word)
    return spec.id if spec is not None else word


SOURCE_HELP = ("These options may come before or after the command: `k8snet --snapshot lab show services` and "
               "`k8snet show services --snapshot lab` are the same. Given twice, the later (rightmost) one wins; "
               "-n and -A count as one option.")


class _Namespace(argparse.Action):
    """-n NS: one namespace; undoes an earlier -A, so the rightmost of the two wins."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        namespace.namespace = values
        namespace.all_namespaces = False


class _AllNamespaces(argparse.Action):
    """-A: every namespace; undoes an earlier -n."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        namespace.all_namespaces = True
        namespace.namespace = None


def _add_source_args(p: argparse.ArgumentParser, *, top: bool) -> None:
    """The options that say where the data comes from, on the top parser and on each command.

    argparse copies every attribute a subparser's namespace holds over the top parser's, so a
    command's own default (None) would erase a value given before the command. The command
    copies therefore have no default at all (SUPPRESS): they set an attribute only when given,
    and the defaults come once, from the top parser.
    """
    def default(value: Any) -> Any:
        return value if top else argparse.SUPPRESS

    g = p.add_argument_group("where the data comes from", SOURCE_HELP)
    g.add_argument("--snapshot", metavar="PATH", default=default(None),
                   help="explore a snapshot directory or .tar.gz ('lab' = the bundled one)")
    g.add_argument("--kubeconfig", metavar="FILE", default=default(None),
                   help="kubeconfig file (default: $KUBECONFIG, then ~/.kube/config); given, it must work")
    g.add_argument("--context", metavar="NAME", default=default(None),
                   help="kubeconfig context (default: the current one); given, it must exist")
    g.add_argument("-n", "--namespace", metavar="NS", action=_Namespace, default=default(None),
                   help="only this namespace")
    g.add_argument("-A", "--all-namespaces", action=_AllNamespaces, default=default(False),
                   help="every namespace (the default)")
    g.add_argument("--node", metavar="NODE", default=default(None),
                   help="the node whose datapath to read (default: the local one); on a live cluster another "
                        "node is read through its agent pod (`k8snet agent manifest`): the one-shot commands "
                        "exit 4 if it cannot be read, the app starts with it picked as with N")
    g.add_argument("--strict", action="store_true", default=default(False),
                   help="exit 2 when the snapshot has any problem (each is a warning on stderr anyway)")


def _add_output_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("output")
    g.add_argument("-o", "--output", choices=OUTPUTS, default=None,
                   help="text (default: fitted to the terminal, COLUMNS honoured, unlimited when piped), "
                        "wide (every column in full), json, yaml; each JSON/YAML document says its source")
    g.add_argument("--json", dest="output", action="store_const", const="json", help="the same as -o json")
    g.add_argument("--no-headers", action="store_true",
                   help="text without table headers, section labels and summary fields: rows for scripts")


def build_parser(prog: str = "k8snet") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="A keyboard-driven terminal explorer of Kubernetes networking.",
        epilog="With no cluster configured, k8snet opens the bundled lab snapshot (and says so on stderr).\n\n"
               + EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"k8snet {__version__}")
    _add_source_args(parser, top=True)
    parser.add_argument("--interval", type=float, metavar="SECONDS", help="node poll period in live mode (default 2)")
    parser.add_argument("--theme", choices=("default", "high-contrast", "ansi"), help="colour theme")
    parser.add_argument("--pane", type=_pane_id, choices=PANES, default="services", metavar="PANE",
                        help=f"pane to open first, by number, name or alias: {PANE_HELP}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_text, epilog=EXIT_CODES,
                              formatter_class=argparse.RawDescriptionHelpFormatter)

    show = command("show", "print one pane's view")
    show.add_argument("pane", metavar="PANE", help=f"by number, name or alias: {PANE_HELP}")
    _add_output_args(show)
    _add_source_args(show, top=False)

    trace = command("trace", "trace a Service through the node's datapath")
    trace.add_argument("service", metavar="NS/NAME[:PORT]|IP[:PORT]|NODEPORT",
                       help="a Service (name alone: the current namespace), one of its addresses, or a NodePort")
    _add_output_args(trace)
    _add_source_args(trace, top=False)

    dns = command("dns", "the queries a lookup makes, and the answers expected")
    dns.add_argument("name")
    dns.add_argument("words", nargs="*", metavar="TYPE|RESOLVER", help="short forms: `dns web AAAA musl`")
    dns.add_argument("--pod", metavar="NS/POD", help="resolve as this pod would")
    dns.add_argument("--resolver", metavar="glibc|musl|busybox", help="whose search walk (default glibc)")
    dns.add_argument("--type", metavar="TYPE", help="A (default), AAAA, A+AAAA, SRV, PTR, CNAME, TXT")
    _add_output_args(dns)
    _add_source_args(dns, top=False)

    route = command("route", "where does this URL go?")
    route.add_argument("url", metavar="URL|/PATH", help="a bare /PATH goes to the first ingress controller's NodePort")
    route.add_argument("--class", dest="ingress_class", metavar="NAME", help="entry: IngressClass, Listener or Gateway")
    _add_output_args(route)
    _add_source_args(route, top=False)

    policy = command("policy", "NetworkPolicy: may SRC reach DST on this port?")
    policy.add_argument("action", choices=("check",), help="check: the verdict and the rule that decides it")
    policy.add_argument("src", metavar="SRC", help="the source: NS/POD or ip:ADDRESS")
    policy.add_argument("dst", metavar="DST", help="the destination: NS/POD or ip:ADDRESS")
    policy.add_argument("--port", metavar="N", help="the destination port: a number or the pod's port name")
    policy.add_argument("--protocol", metavar="TCP|UDP|SCTP", help="default TCP")
    _add_output_args(policy)
    _add_source_args(policy, top=False)

    diff = command("diff", "what changed between two snapshots: pods, endpoints, chains, probabilities, "
                           "routes, DNS answers")
    diff.add_argument("before", metavar="A", help="a snapshot directory, .tar.gz, or `lab`")
    diff.add_argument("after", metavar="B", help="the snapshot to compare with A")
    _add_output_args(diff)
    _add_source_args(diff, top=False)

    find = command("find", "everything that mentions an address, a name or a chain")
    find.add_argument("word", metavar="IP|NAME|CHAIN", help="10.0.0.3, website, KUBE-SEP-...")
    _add_output_args(find)
    _add_source_args(find, top=False)

    check = command("check", "config vs kernel: where the CNI's and kube-proxy's settings disagree with the "
                             "nodes' devices, routes and rules (exit 5 when any does)")
    _add_output_args(check)
    _add_source_args(check, top=False)

    path = command("path", "can this pod reach that? the hops from FROM to TO, each judged")
    path.add_argument("src", metavar="FROM", help="NS/POD, node/NAME, or outside (a client beyond the nodes)")
    path.add_argument("dst", metavar="TO", help="a name as the pod types it (website:80), IP:PORT, or a URL")
    path.add_argument("--check", action="store_true",
                      help="also connect for real from the pod's network namespace (live, on the pod's node)")
    _add_output_args(path)
    _add_source_args(path, top=False)

    bal = command("balance", "a LoadBalancer Service: who gave its address, which node answers, each pod's share")
    bal.add_argument("service", metavar="NS/SVC", help="the Service (name alone: the current namespace)")
    bal.add_argument("--requests", metavar="N", help="also simulate N requests (seeded) and count them per pod")
    bal.add_argument("--seed", metavar="S", help="the simulation's seed (default 1): the same seed, the same counts")
    bal.add_argument("--clients", metavar="K", help="pretend clients the requests come from in turn (default 1)")
    bal.add_argument("--port", metavar="P", help="only this port (its name or number); the simulation uses the first")
    _add_output_args(bal)
    _add_source_args(bal, top=False)

    mesh = command("mesh", "a pod's mesh: who redirects it, its own rules in words, and where a connection goes")
    mesh.add_argument("pod", metavar="NS/POD", help="the pod (name alone: the current namespace)")
    mesh.add_argument("dest", metavar="ADDRESS:PORT", nargs="?", default="",
                      help="a destination: the order a connection from the pod's app takes")
    mesh.add_argument("--uid", type=int, default=0, metavar="N", help="the app's uid (default 0; 1337 is Istio's proxy)")
    mesh.add_argument("--from", dest="inbound_from", default="", metavar="ADDRESS",
                      help="walk a connection arriving at the pod's ADDRESS:PORT from this address instead")
    mesh.add_argument("--path", default="", metavar="/P",
                      help="the HTTP request's path, for the mesh routes and policies that match on it")
    mesh.add_argument("--method", default="", metavar="M", help="the HTTP request's method (GET, POST, ...), likewise")
    _add_output_args(mesh)
    _add_source_args(mesh, top=False)

    cap = command("capture", "write a snapshot of the live cluster and this node")
    cap.add_argument("-o", "--output", required=True, metavar="PATH", help="directory, or a path ending in .tar.gz")
    cap.add_argument("--notes", default="", help="free text stored in meta.json")
    cap.add_argument("--no-probe", action="store_true", help="do not read this node's kernel state")
    cap.add_argument("--pod-netns", action="store_true",
                     help="also read the pods' own network namespaces on this node (pane 0's redirect rules; "
                     "through sudo it needs the probe's second sudoers line, docs/security.md)")
    _add_source_args(cap, top=False)

    lab = command("lab", "the app in guided lab mode: the lab's questions, step by step, answered from the data")
    _add_source_args(lab, top=False)

    serve = command("serve", "the app in a browser (textual-serve), read-only, on 127.0.0.1 unless --host says otherwise")
    serve.add_argument("--port", type=int, default=8000, help="the port to listen on (default 8000)")
    serve.add_argument("--host", default="127.0.0.1", metavar="ADDRESS",
                       help="the address to listen on (default 127.0.0.1: this machine only)")
    serve.add_argument("--font-size", type=int, default=16, metavar="PX", help="the page's font size (default 16)")
    serve.add_argument("--lab", action="store_true", help="open the app in guided lab mode")
    _add_source_args(serve, top=False)

    comp = command("completion", "print a shell completion script: eval \"$(k8snet completion bash)\"")
    comp.add_argument("shell", choices=("bash", "zsh", "fish"))

    from k8snet_tui.agent import add_parser as add_agent_parser

    add_agent_parser(sub)  # main() hands `agent ...` to agent.py; here it is for the help
    sub.add_parser("probe", help="(root) print this node's network state as JSON", add_help=False)
    return parser


def command_words(args: argparse.Namespace) -> list[str]:
    """The words of show/trace/dns/route as the grammar reads them (the `:` line's words)."""
    if args.command == "show":
        return ["show", args.pane]
    if args.command == "trace":
        return ["trace", args.service]
    if args.command == "dns":
        words = ["dns", args.name, *args.words]
        for option in ("pod", "resolver", "type"):
            if getattr(args, option, None) is not None:
                words += [f"--{option}", getattr(args, option)]
        return words
    if args.command == "route":
        return ["route", args.url] + (["--class", args.ingress_class] if args.ingress_class else [])
    if args.command == "policy":
        return ["policy", args.action, args.src, args.dst, *(["--port", args.port] if args.port else []),
                *(["--protocol", args.protocol] if args.protocol else [])]
    if args.command == "diff":
        return ["diff", args.before, args.after]
    if args.command == "find":
        return ["find", args.word]
    if args.command == "path":
        return ["path", args.src, args.dst, *(["--check"] if args.check else [])]
    if args.command == "balance":
        return ["balance", args.service, *(w for opt in ("requests", "seed", "clients", "port")
                                            if getattr(args, opt) is not None for w in (f"--{opt}", getattr(args, opt)))]
    raise UsageError(f"{args.command} has no command words")


def parse_command(argv: Sequence[str]) -> Any:
    """argv -> the grammar's Command (what the `:` line gives for the same words)."""
    from k8snet_tui import grammar

    args = build_parser().parse_args(list(argv))
    return grammar.parse(command_words(args))


def main(argv: Sequence[str] | None = None, *, prog: str = "k8snet") -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["probe"]:
        from k8snet_tui.probe import main as probe_main

        return probe_main(args_list[1:])
    if args_list[:1] == ["agent"]:  # `k8snet agent manifest`: parsed by k8snet_tui/agent.py
        from k8snet_tui.agent import main as agent_main

        return agent_main(args_list[1:])
    if args_list[:1] == ["__complete"]:  # the shell completion scripts' helper (not in --help)
        from k8snet_tui.completion import complete_main

        return complete_main(args_list[1:])
    parser = build_parser(prog)
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help/--version
        return int(exc.code or 0)
    try:
        if args.command not in ONE_SHOT:
            return _dispatch(args)
        return _answer_once(args)
    except K8snetError as exc:
        print(f"k8snet: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `k8snet show pods | head`: the reader has what it wanted
        _quiet_stdout()
        return 0
    except Exception as exc:  # a bug: exit 1, one line here, the traceback in the crash log
        from k8snet_tui.errors import report_crash

        return report_crash(exc)


def _answer_once(args: argparse.Namespace) -> int:
    """A one-shot command with the cyclic collector off: the answer builds millions of small
    acyclic objects (a big snapshot's API objects, the dump's index) and exits, and the
    collector would only walk them again and again (~0.5 s of a trace at scale L); reference
    counting still frees them. Frozen after, so no collection walks them on the way out."""
    import gc

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _dispatch(args)
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()


def _quiet_stdout() -> None:
    import os

    try:  # Python flushes stdout at exit again: point it at /dev/null so that flush cannot fail
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _dispatch(args: argparse.Namespace) -> int:
    from k8snet_tui import runtime

    if args.command in (None, "lab"):
        return runtime.run_tui(args)
    if args.command == "serve":
        from k8snet_tui.serve import serve_from_args

        return serve_from_args(args)
    if args.command == "probe":  # main() runs a leading `probe` itself: here options came first
        raise UsageError("the probe takes no options before it", hint="run: k8snet probe")
    if args.command == "completion":
        from k8snet_tui.completion import script

        sys.stdout.write(script(args.shell))
        return 0
    if args.command == "capture":
        from k8snet_tui.sources.capture import capture_from_args

        return capture_from_args(args)
    from k8snet_tui import grammar
    from k8snet_tui.observe import observe

    if args.command == "check":
        return _check(args)
    if args.command == "mesh":
        return _mesh(args)
    command = grammar.parse(command_words(args))  # words are checked before any source is opened
    if command is not None and command.verb == "diff":
        return _diff(command, args)
    if command is not None and command.verb == "find":
        from k8snet_tui.present.find import present_find

        found_in, where = observe(args)
        return _emit("find", present_find(found_in, command.arg), args, where)
    if command is None or command.pane is None:  # cannot happen: the command words are never empty
        raise UsageError(f"{args.command}: nothing to do")
    observed, source = observe(args)
    from k8snet_tui import views

    if command.verb == "show":
        pane = command.pane
        return _emit(pane, views.build(pane, observed), args, source)
    if command.verb == "trace":
        assert command.target is not None
        ref = grammar.resolve_trace(observed.cluster, command.target)
        return _emit("trace", views.trace(observed, ref, node=args.node), args, source)
    if command.verb == "dns":
        if command.pod:
            _known_pod(observed, command.pod)
        view = views.dns_lookup(observed, command.name, pod=command.pod,
                                namespace=None if command.pod else args.namespace,
                                resolver=command.resolver or "glibc", qtype=command.qtype or "A")
        from k8snet_tui.present.dns import lookup_model

        return _emit("dns-lookup", view, args, source, document=lookup_model)
    if command.verb == "route":
        url = command.url
        if url.startswith("/"):  # as the TUI's tester: the default entry point
            base = grammar.route_base(views.build("ingress", observed).entry_points)
            if base is None:
                raise UsageError(f"route {url}: no ingress controller NodePort to send a bare path to",
                                 hint="give the whole URL: http://HOST[:PORT]/PATH")
            url = base + url
        from k8snet_tui.present.ingress import route_model

        return _emit("route", views.route(observed, url, entry=command.entry), args, source, document=route_model)
    if command.verb == "policy":
        view = views.policy_check(observed, command.src, command.dst, command.port, command.protocol or "TCP")
        return _emit("policy-check", view, args, source)
    if command.verb == "path":
        return _emit("path", _path(observed, command, args), args, source)
    if command.verb == "balance":
        from k8snet_tui.present.balancing import report as balance_report

        return _emit("balance", balance_report(observed, command.arg, requests=command.requests,
                                               seed=command.seed if command.seed is not None else 1,
                                               clients=command.clients or 1, port=command.port), args, source)
    raise UsageError(f"unknown command {args.command}")


def _check(args: argparse.Namespace) -> int:
    """`k8snet check`: exit 5 when a check disagrees, so a script can stop on it (docs/json.md)."""
    from k8snet_tui.domain.consistency import check_observed
    from k8snet_tui.observe import observe

    observed, source = observe(args)
    report = check_observed(observed)
    code = 5 if report.disagreements else 0
    try:
        _emit("check", report, args, source)
    except BrokenPipeError:  # `k8snet check | head`: the reader stopped early, the verdict stands
        _quiet_stdout()
    return code


def _mesh(args: argparse.Namespace) -> int:
    """`k8snet mesh NS/POD [DEST]` (docs/json.md)."""
    from k8snet_tui.observe import observe
    from k8snet_tui.present.mesh import check_request, parse_dest, pod_report

    if args.dest:
        parse_dest(args.dest)  # a bad destination is a usage error before any source is opened
    check_request(args.path, args.method)
    observed, source = observe(args)
    return _emit("mesh-pod", pod_report(observed, args.pod, args.dest, uid=args.uid, inbound_from=args.inbound_from,
                                        path=args.path, method=args.method), args, source)


def _path(observed: Any, command: Any, args: argparse.Namespace) -> Any:
    from k8snet_tui.present.path import as_report, report

    model = report(observed, command.src, command.dst, node=command.node or args.node)
    if not command.check:
        return model
    from k8snet_tui.sources.path_attempt import attempt

    return as_report(attempt(model, model.src_ip, observed.mode))


def _diff(command: Any, args: argparse.Namespace) -> int:
    """`k8snet diff A B`: both read as snapshots (never extracted, never followed), compared."""
    from k8snet_tui.present.diff import present_diff
    from k8snet_tui.snapshot_state import open_state

    before, before_label, _ = open_state(command.paths[0], strict=bool(args.strict))
    after, after_label, _ = open_state(command.paths[1], strict=bool(args.strict))
    model = present_diff(before, after, before_label=before_label, after_label=after_label)
    return _emit("diff", model, args, {"kind": "snapshots", "before": command.paths[0], "after": command.paths[1]})



def _known_pod(observed: Any, key: str) -> None:
    """`dns --pod NS/POD` names a pod that exists, as path, policy and mesh ask: a guess built
    for a mistyped name would answer for a pod nobody has."""
    from k8snet_tui.domain.pod_names import near_pods

    ns, _, name = key.partition("/")
    if observed.cluster.get("Pod", ns, name) is None:
        near = near_pods(observed.cluster, key)
        raise UsageError(f"dns: no pod {key}",
                         hint=f"did you mean: {', '.join(near)}" if near else "list them with: k8snet show pods")


def _emit(view: str, model: Any, args: argparse.Namespace, source: dict[str, Any],
          document: Callable[[Any], object] | None = None) -> int:
    """Print `model` as text, or as JSON/YAML: `document(model)` (else the model itself) through
    the one serializer, which reads the shape from the types (docs/json.md is the contract)."""
    from k8snet_tui.present.serialize import to_jsonable
    from k8snet_tui.render_text import print_document, print_text

    output = args.output or "text"
    if output in ("json", "yaml"):
        doc = to_jsonable(document(model) if document is not None else model)
        print_document({**doc, "source": source} if isinstance(doc, dict) else {"value": doc, "source": source},
                       output)
    else:
        print_text(view, model, wide=output == "wide", headers=not args.no_headers)
    return 0


def plugin_main(argv: Sequence[str] | None = None) -> int:
    """`kubectl k8snet ...`: kubectl runs `kubectl-k8snet` with the words after the plugin's name."""
    from k8snet_tui.plugin import translate

    try:
        words = translate(list(sys.argv[1:] if argv is None else argv))
    except K8snetError as exc:
        print(f"kubectl k8snet: {exc}", file=sys.stderr)
        return exc.exit_code
    return main(words, prog="kubectl k8snet")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

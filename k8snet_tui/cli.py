"""`k8snet`: the explorer, and its one-shot subcommands.

    k8snet [--snapshot PATH|lab] [--kubeconfig F] [--context C] [-n NS | -A]
    k8snet show internet|host|pods|services|dns|ingress [--json]
    k8snet trace NS/NAME[:PORT] [--node NODE] [--json]
    k8snet dns NAME [--pod NS/POD | --namespace NS] [--resolver glibc|musl] [--type A] [--json]
    k8snet route URL [--class NAME] [--json]
    k8snet capture -o PATH        (a snapshot of the live cluster and this node)
    k8snet probe                  (root: this node's network state as JSON)

--snapshot, --kubeconfig, --context, -n/-A and --node may come before or after the command;
given at both places, the rightmost wins.

Exit codes: 0 ok, 2 usage or unreadable input, 3 cluster unreachable.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from k8snet_tui import __version__
from k8snet_tui.errors import K8snetError, UsageError
from k8snet_tui.registry import PANES as PANE_SPECS
from k8snet_tui.registry import pane_by_word

PANES = tuple(spec.id for spec in PANE_SPECS)
PANE_HELP = "; ".join(f"{spec.key} {spec.id} ({', '.join(spec.aliases)})" for spec in PANE_SPECS)


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
                   help="kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
    g.add_argument("--context", metavar="NAME", default=default(None),
                   help="kubeconfig context (default: the current one)")
    g.add_argument("-n", "--namespace", metavar="NS", action=_Namespace, default=default(None),
                   help="only this namespace")
    g.add_argument("-A", "--all-namespaces", action=_AllNamespaces, default=default(False),
                   help="every namespace (the default)")
    g.add_argument("--node", metavar="NODE", default=default(None),
                   help="the node whose datapath to read (default: the local one)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="k8snet", description="A keyboard-driven terminal explorer of Kubernetes networking.",
        epilog="With no cluster configured, k8snet opens the bundled lab snapshot.")
    parser.add_argument("--version", action="version", version=f"k8snet {__version__}")
    _add_source_args(parser, top=True)
    parser.add_argument("--interval", type=float, metavar="SECONDS", help="node poll period in live mode (default 2)")
    parser.add_argument("--theme", choices=("default", "high-contrast", "ansi"), help="colour theme")
    parser.add_argument("--pane", type=_pane_id, choices=PANES, default="services", metavar="PANE",
                        help=f"pane to open first, by number, name or alias: {PANE_HELP}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    show = sub.add_parser("show", help="print one pane's view")
    show.add_argument("pane", type=_pane_id, choices=PANES, metavar="PANE",
                      help=f"by number, name or alias: {PANE_HELP}")
    show.add_argument("--json", action="store_true", help="the view model as JSON")
    _add_source_args(show, top=False)

    trace = sub.add_parser("trace", help="trace a Service through the node's datapath")
    trace.add_argument("service", metavar="NS/NAME[:PORT]")
    trace.add_argument("--json", action="store_true")
    _add_source_args(trace, top=False)

    dns = sub.add_parser("dns", help="the queries a lookup makes, and the answers expected")
    dns.add_argument("name")
    dns.add_argument("--pod", metavar="NS/POD", help="resolve as this pod would")
    dns.add_argument("--resolver", choices=("glibc", "musl"), default="glibc")
    dns.add_argument("--type", default="A", metavar="TYPE", help="A, AAAA, SRV, PTR, CNAME, TXT")
    dns.add_argument("--json", action="store_true")
    _add_source_args(dns, top=False)

    route = sub.add_parser("route", help="where does this URL go?")
    route.add_argument("url")
    route.add_argument("--class", dest="ingress_class", metavar="NAME", help="entry: IngressClass, Listener or Gateway")
    route.add_argument("--json", action="store_true")
    _add_source_args(route, top=False)

    cap = sub.add_parser("capture", help="write a snapshot of the live cluster and this node")
    cap.add_argument("-o", "--output", required=True, metavar="PATH", help="directory, or a path ending in .tar.gz")
    cap.add_argument("--notes", default="", help="free text stored in meta.json")
    cap.add_argument("--no-probe", action="store_true", help="do not read this node's kernel state")
    _add_source_args(cap, top=False)

    sub.add_parser("probe", help="(root) print this node's network state as JSON", add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["probe"]:
        from k8snet_tui.probe import main as probe_main

        return probe_main(args_list[1:])
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help/--version
        return int(exc.code or 0)
    try:
        return _dispatch(args)
    except K8snetError as exc:
        print(f"k8snet: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: exit 1, one line here, the traceback in the crash log
        from k8snet_tui.errors import report_crash

        return report_crash(exc)


def _dispatch(args: argparse.Namespace) -> int:
    from k8snet_tui import runtime

    if args.command is None:
        return runtime.run_tui(args)
    if args.command == "probe":  # main() runs a leading `probe` itself: here options came first
        raise UsageError("the probe takes no options before it", hint="run: k8snet probe")
    if args.command == "capture":
        from k8snet_tui.sources.capture import capture_from_args

        return capture_from_args(args)
    observed = runtime.observe_once(args)
    from k8snet_tui import views

    if args.command == "show":
        model = views.build(args.pane, observed)
        return _emit(model, args.json)
    if args.command == "trace":
        return _emit(views.trace(observed, args.service, node=args.node), args.json)
    if args.command == "dns":
        return _emit(views.dns_lookup(observed, args.name, pod=args.pod, namespace=args.namespace,
                                              resolver=args.resolver, qtype=args.type), args.json)
    if args.command == "route":
        return _emit(views.route(observed, args.url, entry=args.ingress_class), args.json)
    raise UsageError(f"unknown command {args.command}")


def _emit(model: Any, as_json: bool) -> int:
    from k8snet_tui.render_text import print_json, print_model

    doc = model.to_json() if hasattr(model, "to_json") else model
    if as_json:
        print_json(doc)
    else:
        print_model(doc)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())


"""`k8snet`: the explorer, and its one-shot subcommands.

    k8snet [--snapshot PATH|lab] [--kubeconfig F] [--context C] [-n NS | -A]
    k8snet show internet|host|pods|services|dns|ingress [--json]
    k8snet trace NS/NAME[:PORT] [--node NODE] [--json]
    k8snet dns NAME [--pod NS/POD | --namespace NS] [--resolver glibc|musl] [--type A] [--json]
    k8snet route URL [--class NAME] [--json]
    k8snet capture -o PATH        (a snapshot of the live cluster and this node)
    k8snet probe                  (root: this node's network state as JSON)

Exit codes: 0 ok, 2 usage or unreadable input, 3 cluster unreachable.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Sequence

from k8snet_tui import __version__
from k8snet_tui.errors import K8snetError, UsageError

PANES = ("internet", "host", "pods", "services", "dns", "ingress")


def _add_source_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("where the data comes from")
    g.add_argument("--snapshot", metavar="PATH", help="explore a snapshot directory or .tar.gz ('lab' = the bundled one)")
    g.add_argument("--kubeconfig", metavar="FILE", help="kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
    g.add_argument("--context", metavar="NAME", help="kubeconfig context (default: the current one)")
    g.add_argument("-n", "--namespace", metavar="NS", help="only this namespace")
    g.add_argument("-A", "--all-namespaces", action="store_true", help="every namespace (the default)")
    g.add_argument("--node", metavar="NODE", help="the node whose datapath to read (default: the local one)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="k8snet", description="A keyboard-driven terminal explorer of Kubernetes networking.",
        epilog="With no cluster configured, k8snet opens the bundled lab snapshot.")
    parser.add_argument("--version", action="version", version=f"k8snet {__version__}")
    _add_source_args(parser)
    parser.add_argument("--interval", type=float, metavar="SECONDS", help="node poll period in live mode (default 2)")
    parser.add_argument("--theme", choices=("default", "high-contrast", "ansi"), help="colour theme")
    parser.add_argument("--pane", choices=PANES, default="services", help="pane to open first")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    show = sub.add_parser("show", help="print one pane's view")
    show.add_argument("pane", choices=PANES)
    show.add_argument("--json", action="store_true", help="the view model as JSON")
    _add_source_args(show)

    trace = sub.add_parser("trace", help="trace a Service through the node's datapath")
    trace.add_argument("service", metavar="NS/NAME[:PORT]")
    trace.add_argument("--json", action="store_true")
    _add_source_args(trace)

    dns = sub.add_parser("dns", help="the queries a lookup makes, and the answers expected")
    dns.add_argument("name")
    dns.add_argument("--pod", metavar="NS/POD", help="resolve as this pod would")
    dns.add_argument("--resolver", choices=("glibc", "musl"), default="glibc")
    dns.add_argument("--type", default="A", metavar="TYPE", help="A, AAAA, SRV, PTR, CNAME, TXT")
    dns.add_argument("--json", action="store_true")
    _add_source_args(dns)

    route = sub.add_parser("route", help="where does this URL go?")
    route.add_argument("url")
    route.add_argument("--class", dest="ingress_class", metavar="NAME", help="entry: IngressClass, Listener or Gateway")
    route.add_argument("--json", action="store_true")
    _add_source_args(route)

    cap = sub.add_parser("capture", help="write a snapshot of the live cluster and this node")
    cap.add_argument("-o", "--output", required=True, metavar="PATH", help="directory, or a path ending in .tar.gz")
    cap.add_argument("--notes", default="", help="free text stored in meta.json")
    cap.add_argument("--no-probe", action="store_true", help="do not read this node's kernel state")
    _add_source_args(cap)

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


def _dispatch(args: argparse.Namespace) -> int:
    from k8snet_tui import runtime

    if args.command is None:
        return runtime.run_tui(args)
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


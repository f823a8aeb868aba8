"""`k8snet serve`: the same app in a browser, for a class following on their own screens.

textual-serve runs one k8snet process per browser tab and relays its screen over a websocket.
What runs is the ordinary app (`python -I -m k8snet_tui [source options]`), which only gets,
lists and watches: nothing a browser can send reaches anything else. The server listens on
127.0.0.1 unless told otherwise; `ctrl+s` in a served app writes into a private directory that
is removed when the server stops, never into the directory serve was started from. The page is
served without the web font textual-serve links to a third-party host, so a browser on the
page asks only this server for anything.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import shlex
import shutil
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

from k8snet_tui.errors import SnapshotError, UsageError

DEFAULT_PORT = 8000
DEFAULT_FONT_SIZE = 16
FONT_SIZES = range(6, 73)
# Source and view options passed on to each served app, as given to `k8snet serve`.
PASSED_ON = (("snapshot", "--snapshot"), ("kubeconfig", "--kubeconfig"), ("context", "--context"),
             ("namespace", "--namespace"), ("node", "--node"), ("theme", "--theme"), ("pane", "--pane"))
_THIRD_PARTY_LINK = re.compile(r"<link\b[^>]*\bhref=\"https?://(?!127\.0\.0\.1|localhost)[^\"]*\"[^>]*>", re.I)


def app_command(args: argparse.Namespace) -> list[str]:
    """The command line each browser tab runs: this Python, isolated (-I), the k8snet module."""
    words = [sys.executable, "-I", "-m", "k8snet_tui"]
    for attr, option in PASSED_ON:
        value = getattr(args, attr, None)
        if value:
            words += [option, str(value)]
    if getattr(args, "all_namespaces", False):
        words.append("-A")
    if getattr(args, "lab", False):
        words.append("lab")
    return words


def check_options(host: str, port: int, font_size: int) -> None:
    if not 1 <= port <= 65535:
        raise UsageError(f"serve: --port {port} is not a port (1-65535)")
    if font_size not in FONT_SIZES:
        raise UsageError(f"serve: --font-size {font_size} is out of range",
                         hint=f"{FONT_SIZES.start}-{FONT_SIZES.stop - 1} (pixels; default {DEFAULT_FONT_SIZE})")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise UsageError(f"serve: --host {host!r} is not an IP address",
                         hint="127.0.0.1 (the default: this machine only), or an address of this machine") from None


def is_loopback(host: str) -> bool:
    return ipaddress.ip_address(host).is_loopback


def make_server(command: list[str], *, host: str, port: int, font_size: int, title: str = "k8snet") -> Any:
    """A textual-serve Server for `command`, with our default font size and no third-party link."""
    from aiohttp import web
    from textual_serve.server import Server

    class K8snetServer(Server):
        async def handle_index(self, request: web.Request) -> web.StreamResponse:
            if "fontsize" not in request.query:
                request = request.clone(rel_url=request.rel_url.update_query(fontsize=str(font_size)))
            response = await super().handle_index(request)
            if isinstance(response, web.Response) and response.text:
                response.text = _THIRD_PARTY_LINK.sub("", response.text)
            return response

    url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    return K8snetServer(shlex.join(command), host=host, port=port, title=title, public_url=url)


def _check_can_listen(host: str, port: int) -> None:
    """Bind the address once before saying "serving": a port already taken was reported only after
    the 'serving http://...' lines and the server's banner, which read as if it had started. The
    option aiohttp binds with (SO_REUSEADDR) is set, so a port in TIME_WAIT is not refused here."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise UsageError(f"serve: cannot listen on {host}:{port}: {exc.strerror or exc}",
                             hint="choose another --port (or --host)") from None


def serve_from_args(args: argparse.Namespace) -> int:
    host = args.host
    check_options(host, args.port, args.font_size)
    snapshot = getattr(args, "snapshot", None)
    if snapshot and snapshot != "lab" and not Path(snapshot).expanduser().exists():
        # Said here, once, rather than by every browser tab's app after the server is up.
        raise SnapshotError(f"serve: no snapshot at {snapshot}",
                            hint="give a snapshot directory, a .tar.gz of one, or 'lab' for the bundled one")
    try:
        import textual_serve  # noqa: F401
    except ImportError:
        raise UsageError("serve needs textual-serve, which is not installed",
                         hint="python3 -m pip install 'k8snet[serve]'") from None
    command = app_command(args)
    _check_can_listen(host, args.port)
    save_dir = tempfile.mkdtemp(prefix="k8snet-serve-")
    os.environ["K8SNET_SAVE_DIR"] = save_dir  # each served app inherits it (ctrl+s lands there)
    url = f"http://{host}:{args.port}"
    print(f"k8snet: serving {url} (font size {args.font_size}px; ?fontsize=N in the URL changes it)", file=sys.stderr)
    print(f"k8snet: each browser tab runs: {shlex.join(command)}", file=sys.stderr)
    if not is_loopback(host):
        print(f"k8snet: {host} is not loopback: anyone who can reach it sees this cluster through the app",
              file=sys.stderr)
    try:
        make_server(command, host=host, port=args.port, font_size=args.font_size).serve()
    except OSError as exc:  # the port is taken, or the address is not this machine's
        raise UsageError(f"serve: cannot listen on {host}:{args.port}: {exc.strerror or exc}",
                         hint="choose another --port (or --host)") from None
    finally:
        shutil.rmtree(save_dir, ignore_errors=True)
    return 0

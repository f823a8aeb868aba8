"""From the words of `k8snet path FROM TO` to what the walk starts with.

FROM: a pod (`NS/NAME`), a node (`node/NAME`) or `outside` (a client beyond the nodes, for
NodePorts, load balancers and ingress URLs). TO: a DNS name as the pod would type it, with an
optional port (`website:80`, `website.default`, `website.default.svc.cluster.local:http`), an
address with a port (`10.96.0.10:53`, `[fd00::1]:80`), or a URL (`http://host[:port]/path`).
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from dataclasses import dataclass

from ..dns.names import check_name
from ..layers.podnet import pod_ips
from ..model import ClusterState, Obj, dig, dig_str, key_of
from ..routes.urls import UrlError, parse_url
from ..sanitize import clean
from .model import PathInputError, Target

_PORT_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$")
MAX_TEXT = 1024


@dataclass(frozen=True)
class Source:
    """Where the connection starts. kind: pod | node | outside."""

    kind: str
    text: str
    pod: Obj | None = None
    namespace: str = ""
    ip: str = ""
    node: str = ""  # the node the packet leaves from ("" for outside)
    host_network: bool = False

    @property
    def key(self) -> str:
        return key_of(self.pod) if self.pod is not None else self.text


def parse_source(cluster: ClusterState, text: str) -> Source:
    t = text.strip()
    if not t or len(t) > MAX_TEXT:
        raise PathInputError("a source is needed: NS/POD, node/NAME or outside")
    if t.lower() == "outside":
        return Source("outside", "outside")
    kind, slash, name = t.partition("/")
    if not slash or not kind or not name or "/" in name or any(c.isspace() for c in t):
        raise PathInputError(f"{clean(t)[:80]!r} is not NS/POD, node/NAME or outside")
    if kind.lower() == "node":
        if cluster.get("Node", "", name) is None and cluster.of("Node"):
            raise PathInputError(f"no node {clean(name)[:80]} in this cluster state" + _close(
                name, [dig_str(n, "metadata", "name") for n in cluster.of("Node")]))
        return Source("node", f"node/{name}", node=name)
    pod = cluster.get("Pod", kind, name)
    if pod is None:
        if "Pod" in cluster.forbidden:
            raise PathInputError(f"pods cannot be read ({clean(cluster.forbidden['Pod'])[:120]}), so {clean(t)} "
                                 "cannot be found")
        raise PathInputError(f"no pod {clean(t)[:80]} in this cluster state"
                             + _close(name, [dig_str(p, "metadata", "name") for p in cluster.in_namespace("Pod", kind)],
                                      kind + "/"))
    host_network = dig(pod, "spec", "hostNetwork") is True
    ips = pod_ips(pod)
    node = clean(dig_str(pod, "spec", "nodeName"))
    if not ips:
        phase = dig_str(pod, "status", "phase") or "no phase"
        raise PathInputError(f"pod {clean(t)} has no IP yet ({clean(phase)}"
                             + (f", on {node}" if node else ", not scheduled") + "): it cannot send anything")
    return Source("pod", key_of(pod), pod, kind, ips[0], node, host_network)


def _close(name: str, known: list[str], prefix: str = "") -> str:
    near = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    return f"; did you mean {', '.join(clean(prefix + n) for n in near)}?" if near else ""


def parse_destination(text: str) -> Target:
    t = text.strip()
    if not t:
        raise PathInputError("a destination is needed: NAME[:PORT], IP:PORT or a URL")
    if len(t) > MAX_TEXT:
        raise PathInputError(f"the destination is {len(t):,} characters long; at most {MAX_TEXT} are read")
    if "://" in t:
        try:
            url = parse_url(t)
        except UrlError as exc:
            raise PathInputError(f"{clean(t)[:120]!r} is not a URL: {exc}") from None
        return Target("url", url.text(), url.host, str(url.port), url.scheme, url.path)
    host, port = _split(t)
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None:
        if port is None:
            raise PathInputError(f"{clean(t)}: which port? give IP:PORT ([v6]:PORT for IPv6)")
        if not port.isdigit():
            raise PathInputError(f"{clean(port)!r} is not a port number: an address needs a number")
        return Target("ip", t, str(ip), port)
    check = check_name(host)
    if not check.ok or "/" in host or any(c.isspace() for c in host):
        why = "; ".join(check.problems) or "a DNS name has no '/' or spaces"
        raise PathInputError(f"{clean(t)[:120]!r} is not NAME[:PORT], IP:PORT or a URL ({why})")
    return Target("name", t, host.lower(), port)


def _split(t: str) -> tuple[str, str | None]:
    """(host, port) of `host[:port]` or `[v6]:port`; a bare IPv6 address has no port."""
    if t.startswith("["):
        host, close, after = t[1:].partition("]")
        if not close or (after and not after.startswith(":")):
            raise PathInputError(f"{clean(t)[:80]!r}: an IPv6 address with a port is written [ADDRESS]:PORT")
        return host, _port(after[1:]) if after else None
    if t.count(":") > 1:  # an IPv6 address without a port
        return t, None
    host, sep, port = t.partition(":")
    return host, _port(port) if sep else None


def _port(text: str) -> str:
    if text.isascii() and text.isdigit():
        if not 1 <= int(text) <= 65535:
            raise PathInputError(f"{text} is not a port (1-65535)")
        return str(int(text))
    if _PORT_NAME.match(text) and any(c.isalpha() for c in text):
        return text
    raise PathInputError(f"{clean(text)[:20]!r} is neither a port number (1-65535) nor a port name")

"""Parse the URL a user types into the route tester, naming the part that is wrong.

A small parser of our own rather than urllib's: urlsplit accepts nearly anything and reports
nothing, and the tester must say "the port is not a number", not route a nonsense request.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import unquote

from ..numbers import parse_port

_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_LABELS = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?$")
_PATH_BAD = re.compile(r"[\x00-\x20\x7f]")


class UrlError(ValueError):
    """`part` is one of url, scheme, host, port, path, query."""

    def __init__(self, part: str, message: str) -> None:
        self.part = part
        super().__init__(f"{part}: {message}")


@dataclass(frozen=True)
class ParsedUrl:
    scheme: str
    host: str  # lower-case; IPv6 without brackets
    port: int
    path: str
    query: tuple[tuple[str, str], ...] = ()
    port_given: bool = False

    @property
    def is_ip(self) -> bool:
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            return False
        return True

    def text(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = f":{self.port}" if self.port_given else ""
        query = "&".join(f"{k}={v}" if v else k for k, v in self.query)
        return f"{self.scheme}://{host}{port}{self.path}" + (f"?{query}" if query else "")


def parse_url(text: object) -> ParsedUrl:
    """Parse `scheme://host[:port][/path][?query]`; a missing scheme means http, as with curl."""
    if not isinstance(text, str):
        raise UrlError("url", "expected text")
    raw = text.strip()
    if not raw:
        raise UrlError("url", "empty")
    scheme = "http"
    rest = raw
    if "://" in raw:
        scheme, rest = raw.split("://", 1)
        scheme = scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            raise UrlError("scheme", f"{scheme!r} is not http or https")
    rest = rest.split("#", 1)[0]
    cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    authority, tail = rest[:cut], rest[cut:]
    if "@" in authority:  # user info never affects routing
        authority = authority.rsplit("@", 1)[1]
    host, port_text = _split_authority(authority)
    port = _DEFAULT_PORTS[scheme]
    if port_text is not None:
        given = parse_port(port_text, lo=1)
        if given is None:
            raise UrlError("port", f"{port_text!r} is not a port number (1-65535)")
        port = given
    path, _, query_text = tail.partition("?")
    path = path or "/"
    if _PATH_BAD.search(path):
        raise UrlError("path", "contains spaces or control characters")
    return ParsedUrl(scheme, host, port, path, _parse_query(query_text), port_text is not None)


def _split_authority(authority: str) -> tuple[str, str | None]:
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise UrlError("host", "IPv6 address without closing ']'")
        inner, after = authority[1:end], authority[end + 1 :]
        try:
            ipaddress.IPv6Address(inner)
        except ValueError:
            raise UrlError("host", f"{inner!r} is not an IPv6 address") from None
        if after and not after.startswith(":"):
            raise UrlError("host", f"unexpected {after!r} after the address")
        return inner.lower(), (after[1:] if after else None)
    host, sep, port = authority.partition(":")
    if ":" in port:
        raise UrlError("host", "IPv6 addresses must be written in [brackets]")
    host = host.lower().rstrip(".")
    if not host:
        raise UrlError("host", "missing")
    if not all(_HOST_LABELS.match(label) for label in host.split(".")) or len(host) > 253:
        raise UrlError("host", f"{host!r} is not a host name or IP address")
    return host, (port if sep else None)


def _parse_query(text: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in text.split("&"):
        if item:
            key, _, value = item.partition("=")
            pairs.append((unquote(key.replace("+", " ")), unquote(value.replace("+", " "))))
    return tuple(pairs)

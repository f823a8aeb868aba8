"""The path and host predicates each routing API defines, side by side so their differences show.

Ingress Prefix and Gateway PathPrefix compare whole `/`-separated elements; Emissary's `prefix`
(Envoy underneath) compares characters. That one difference is why `/enginex` reaches an Ingress
path `/engine` through Emissary but not through a spec-conforming controller.
"""

from __future__ import annotations

import re

# Cluster-supplied patterns run in-process; bound their size so a hostile object cannot stall a pane.
MAX_REGEX = 2000


def _elements(path: str) -> list[str]:
    trimmed = path.rstrip("/")
    return trimmed.split("/")[1:] if trimmed else []


def element_prefix(rule: str, path: str) -> bool:
    """Ingress `Prefix` / Gateway `PathPrefix`: every element of `rule` equals the request's, in order."""
    want = _elements(rule)
    have = _elements(path)
    return have[: len(want)] == want


def exact(rule: str, path: str) -> bool:
    return rule == path


def string_prefix(rule: str, path: str) -> bool:
    return path.startswith(rule)


def regex_error(pattern: str) -> str | None:
    """Why `pattern` cannot be used (Python's `re` stands in for Envoy's RE2), or None."""
    if len(pattern) > MAX_REGEX:
        return f"longer than {MAX_REGEX} characters"
    try:
        re.compile(pattern)
    except re.error as exc:
        return str(exc)
    return None


def regex_full(pattern: str, path: str) -> bool:
    """Envoy's safe_regex must match the WHOLE path, not a substring."""
    if regex_error(pattern) is not None:
        return False
    return re.fullmatch(pattern, path) is not None


def ingress_host(pattern: str | None, host: str) -> bool:
    """Ingress host: exact, or `*.` followed by a suffix matching exactly one extra label."""
    if not pattern:
        return True
    pattern = pattern.lower()
    if pattern.startswith("*."):
        first, dot, rest = host.partition(".")
        return bool(first) and bool(dot) and rest == pattern[2:]
    return host == pattern


def glob_host(pattern: str | None, host: str) -> bool:
    """Emissary `hostname`: a DNS glob with one `*` at the start or end (any number of characters)."""
    if not pattern or pattern == "*":
        return True
    pattern = pattern.lower()
    if pattern.startswith("*"):
        return host.endswith(pattern[1:])
    if pattern.endswith("*"):
        return host.startswith(pattern[:-1])
    return host == pattern


def gateway_host(pattern: str | None, host: str) -> bool:
    """Gateway API: `*.example.com` is a suffix match over one or more labels, never the apex."""
    if not pattern:
        return True
    pattern = pattern.lower()
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


def prefix_rewrite(prefix: str, rewrite: str, path: str) -> str:
    """Envoy swaps the matched characters for the rewrite: `/engine` + `/` turns `/engine/` into `//`."""
    return rewrite + path[len(prefix) :]


def gateway_replace_prefix(prefix: str, replacement: str, path: str) -> str:
    """Gateway `ReplacePrefixMatch` swaps whole elements, so no doubled slashes appear."""
    rest_parts = path.split("/")[len(_elements(prefix)) + 1 :]
    rest = "/" + "/".join(rest_parts) if rest_parts else ""
    return (replacement.rstrip("/") + rest) or "/"

"""What the mesh-configuration readers share: who decided a verdict, names, selectors, age order.

Every verdict carries its `Decider`s (the object and the rule in it), so the pane can say
"STRICT, by PeerAuthentication istio-system/default spec.mtls". Objects from the API are
untrusted: every reader here returns a plain value or "" for a field of the wrong type, and
counts are capped (`MAX_ITEMS`) so a huge object costs a bounded amount of work.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..model import Obj, dig, dig_dict, dig_str

MAX_ITEMS = 256  # routes per object, matches per route, rules per policy, pods per answer
DOMAIN = "cluster.local"


@dataclass(frozen=True, slots=True)
class Decider:
    """One object and the part of it that decided: kind ns/name, rule like "spec.http[1]"."""

    kind: str
    namespace: str
    name: str
    rule: str

    @property
    def words(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where} {self.rule}".strip() if self.kind else self.rule


DEFAULT = Decider("", "", "", "default")


@dataclass(frozen=True, slots=True)
class Verdict:
    """An answer in one word ("mtls", "plaintext", "refused", "tls", "allow", "deny", "unknown",
    "mixed"), in words, and the objects and rules that decided it."""

    answer: str
    words: str
    by: tuple[Decider, ...] = ()


def decider(obj: Obj, rule: str) -> Decider:
    return Decider(str(obj.get("kind", "")), dig_str(obj, "metadata", "namespace"),
                   dig_str(obj, "metadata", "name"), rule)


def group_of(obj: Obj) -> str:
    api = obj.get("apiVersion")
    return api.partition("/")[0] if isinstance(api, str) and "/" in api else ""


def age_key(obj: Obj) -> tuple[str, str, str]:
    """Oldest first: Istio breaks ties between policies at one level by creation time, then name.
    RFC 3339 timestamps of one form sort as text; an object without one sorts last."""
    created = dig_str(obj, "metadata", "creationTimestamp") or "~"
    return created, dig_str(obj, "metadata", "namespace"), dig_str(obj, "metadata", "name")


def labels_of(obj: Obj) -> dict[str, str]:
    return {str(k): str(v) for k, v in dig_dict(obj, "metadata", "labels").items()}


def match_labels(selector: Any, labels: Mapping[str, str]) -> bool:
    """`matchLabels` semantics: every pair present. An empty selector selects everything."""
    if not isinstance(selector, Mapping):
        return False
    return all(labels.get(str(k)) == str(v) for k, v in selector.items())


def selector_of(obj: Obj, *path: str) -> dict[str, Any] | None:
    """The matchLabels map under `path`, or None when the object has no selector there."""
    raw = dig(obj, *path)
    if raw is None:
        return None
    return raw if isinstance(raw, dict) else {"\0invalid": "\0"}  # a selector of the wrong type selects nothing


def fqdn(host: str, namespace: str) -> str:
    """Istio's reading of a host: a short name (no dot) is in the namespace of the rule that
    names it, not of the client or the Service; a name with a dot, or a wildcard, stays as it is."""
    host = host.strip().lower()
    if not host or host.startswith("*") or "." in host:
        return host
    return f"{host}.{namespace}.svc.{DOMAIN}"


def host_matches(pattern: str, host: str) -> int:
    """How specifically `pattern` matches `host`: 0 not at all, else longer is more specific
    (an exact name beats every wildcard; "*.ns.svc.cluster.local" beats "*")."""
    if pattern == host:
        return 10_000
    if pattern == "*":
        return 1
    if pattern.startswith("*.") and host.endswith(pattern[1:]):
        return len(pattern)
    return 0


def visible_to(obj: Obj, client_ns: str) -> bool:
    """exportTo: "." its own namespace, "*" every namespace, or names; unset means "*"."""
    raw = dig(obj, "spec", "exportTo")
    if not isinstance(raw, list) or not raw:
        return True
    own = dig_str(obj, "metadata", "namespace")
    return any(item in ("*", client_ns) or (item == "." and own == client_ns) for item in raw)


def as_int(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.isdigit() and len(raw) < 7:
        return int(raw)
    return None


def capped(items: Any) -> list[Any]:
    return list(items[:MAX_ITEMS]) if isinstance(items, list) else []


def names(objs: Iterable[Obj]) -> str:
    return ", ".join(f"{dig_str(o, 'metadata', 'namespace')}/{dig_str(o, 'metadata', 'name')}" for o in objs)

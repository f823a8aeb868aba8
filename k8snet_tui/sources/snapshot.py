"""Snapshots: a directory (or .tar.gz of one) of files that standard tools print.

The format is documented in docs/snapshot-format.md. Loading is forgiving by design: a file
that cannot be read becomes a `Problem` naming the file and the line or field, and everything
else still opens. Only a path that is not a snapshot at all raises `SnapshotError`. The bytes
come from `snapshot_read`, which reads tarballs without extracting them and directories
without following anything inside them; this module only makes sense of them.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from k8snet_tui.domain.model import ClusterState, LazyKinds, NodeState, gc_paused
from k8snet_tui.errors import SnapshotError
from k8snet_tui.sources import snapshot_decode
from k8snet_tui.sources import snapshot_read as rules
from k8snet_tui.sources.allowlist import slim
from k8snet_tui.sources.kinds import BY_NAME, LIST_KINDS
from k8snet_tui.sources.snapshot_decode import DeferredList
from k8snet_tui.sources.snapshot_dir import read_directory
from k8snet_tui.sources.snapshot_read import IP_JSON_FILES, IPTABLES_FILES, MAX_FILE_BYTES, Problem, Reading
from k8snet_tui.sources.snapshot_tar import read_tarball

FORMAT = "k8snet.snapshot/v1"
LAB_NAME = "lab"
TARBALL_SUFFIXES = (".tar.gz", ".tgz", ".tar")
# Every byte but `,` `{` `[`: deleting them leaves what the JSON-values bound counts (one C pass
# over a file instead of one per character; 57 MB of pods at scale L: ~20 ms instead of ~55 ms).
_NOT_VALUE_STARTS = bytes(b for b in range(256) if b not in b",{[")


@dataclass(frozen=True)
class Snapshot:
    name: str
    path: str
    meta: Mapping[str, Any]
    cluster: ClusterState
    nodes: Mapping[str, NodeState]
    local_node: str
    cloud: Mapping[str, Any] | None
    problems: tuple[Problem, ...] = ()
    bundled: bool = False

    @property
    def local(self) -> NodeState | None:
        return self.nodes.get(self.local_node)


def bundled_lab_path() -> Path:
    return Path(__file__).resolve().parent.parent / "data" / "lab"


def load_snapshot(path: str | Path, *, slim: bool | None = None, defer: bool = True) -> Snapshot:
    """Open a snapshot directory, a .tar.gz (.tgz, .tar) of one, or `lab` (the bundled lab snapshot).

    `slim`: keep of each API object only the allow-listed fields (as `k8snet capture` writes
    them; every answer stays the same): about half the memory of a pod. The default (None) is
    to slim when msgspec is there: a typed list is then decoded straight into its slim shape,
    ~3x faster than `json.loads` alone (`snapshot_decode`); without it slimming would cost ~4x
    the JSON decode, so objects stay whole. `slim=False` keeps every object as its file has it.

    `defer` (with slimming): the big lists (pods, EndpointSlices) are checked and cut into
    items now, and each item is decoded when first read (`ClusterState.deferred`), so a trace
    of one Service decodes a few of the 30,000 pods of scale L; reading the kind at large
    decodes it all. Every object and problem is the same either way.
    """
    if slim is None:
        slim = snapshot_decode.available()
    bundled = str(path) == LAB_NAME
    root = bundled_lab_path() if bundled else Path(path).expanduser()
    if root.is_file() and root.name.endswith(TARBALL_SUFFIXES):
        return _Loader(read_tarball(root), bundled=False, display=str(root), slim=slim, defer=defer).load()
    if not root.exists():
        raise SnapshotError(f"no snapshot at {root}",
                            hint="give a snapshot directory, a .tar.gz of one, or 'lab' for the bundled one")
    if not root.is_dir():
        raise SnapshotError(f"{root} is neither a snapshot directory nor a .tar.gz",
                            hint="a snapshot is a directory with meta.json, api/ and nodes/ (docs/snapshot-format.md)"
                                 ", or a .tar.gz / .tar of one")
    return _Loader(read_directory(root), bundled=bundled, display=str(root), slim=slim, defer=defer).load()


class _Loader:
    """Makes sense of the files a reader gathered; every file it cannot use is a problem."""

    def __init__(self, reading: Reading, *, bundled: bool, display: str, slim: bool = False,
                 defer: bool = False) -> None:
        self.reading = reading
        self.slim = slim
        self.defer = defer
        self.kept = _slimmed if slim else _whole
        self.files = reading.files
        self.bundled = bundled
        self.display = display
        self.json_values = 0

    def problem(self, path: str, where: str, message: str) -> None:
        self.reading.problem(path, where, message)

    def load(self) -> Snapshot:
        # Decoding makes millions of small acyclic objects: the collector would walk them again
        # and again (2.3x slower at scale L). After the load they are frozen out of its view.
        with gc_paused():
            snap = self._load()
        gc.freeze()
        return snap

    def _load(self) -> Snapshot:
        meta = self._meta()
        cluster = self._cluster()
        nodes = self._nodes()
        local_node = meta.get("local_node")
        local = local_node if isinstance(local_node, str) else ""
        if not local and len(nodes) == 1:
            local = next(iter(nodes))
        if local and local not in nodes:
            self.problem("meta.json", "local_node", f"names node {local!r}, which has no nodes/ directory")
        cloud = self._json_file("cloud.json", expect=dict) if "cloud.json" in self.files else None
        name = "lab" if self.bundled else Path(self.display).name
        return Snapshot(
            name=name,
            path=self.display,
            meta=MappingProxyType(meta),
            cluster=cluster,
            nodes=MappingProxyType(nodes),
            local_node=local,
            cloud=MappingProxyType(cloud) if isinstance(cloud, dict) else None,
            problems=self.reading.all_problems(),
            bundled=self.bundled,
        )

    # -- files ---------------------------------------------------------------------------------

    def _read_text(self, rel: str) -> str | None:
        data = self._read_bytes(rel)
        return None if data is None else data.decode("utf-8", errors="replace")

    def _read_bytes(self, rel: str) -> bytes | None:
        # Each file's bytes are dropped once decoded: a snapshot is not held twice in memory.
        data = self.files.pop(rel, None)
        if data is None:
            return None
        if len(data) > MAX_FILE_BYTES:  # the readers already refuse these; kept as a backstop
            self.problem(rel, "", f"larger than {MAX_FILE_BYTES >> 20} MiB; skipped")
            return None
        return data

    def _counted(self, rel: str, data: bytes) -> bool:
        """Is there room for this file's JSON values under the snapshot's cap? (counted before decoding)"""
        # An upper bound, at C speed; on the bytes, as the text would give the same counts
        # (invalid UTF-8 turns into U+FFFD, never into a comma or a bracket).
        values = len(data.translate(None, _NOT_VALUE_STARTS))  # the commas and brackets, in one pass
        if self.json_values + values > rules.MAX_JSON_VALUES:
            self.problem(rel, "", f"holds up to {values:,} JSON values, past the {rules.MAX_JSON_VALUES:,}"
                                  " a snapshot may hold in all; skipped")
            return False
        self.json_values += values
        return True

    def _json_file(self, rel: str, expect: type | tuple[type, ...]) -> Any:
        data = self._read_bytes(rel)
        if data is None or not self._counted(rel, data):
            return None
        return self._decoded(rel, data, expect)

    def _decoded(self, rel: str, data: bytes, expect: type | tuple[type, ...]) -> Any:
        text = data.decode("utf-8", errors="replace")
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            self.problem(rel, f"line {exc.lineno} column {exc.colno}", f"not valid JSON: {exc.msg}")
            return None
        except RecursionError:
            # json.loads recurses per nesting level: a hostile `[[[[...` file must not crash the loader.
            self.problem(rel, "", "JSON nested too deeply to read; skipped")
            return None
        if not isinstance(doc, expect):
            names = expect.__name__ if isinstance(expect, type) else " or ".join(t.__name__ for t in expect)
            self.problem(rel, "", f"expected a JSON {_json_type(names)}, found {_json_type(type(doc).__name__)}")
            return None
        return doc

    def _meta(self) -> dict[str, Any]:
        if "meta.json" not in self.files:
            if not any(p.path == "meta.json" for p in self.reading.problems):
                self.problem("meta.json", "", "missing; treating the directory as a snapshot without metadata")
            return {}
        meta = self._json_file("meta.json", expect=dict) or {}
        fmt = meta.get("format")
        if fmt is not None and fmt != FORMAT:
            self.problem("meta.json", "format", f"is {fmt!r}; this version reads {FORMAT!r} and will try anyway")
        return meta

    def _cluster(self) -> ClusterState:
        """The API objects by kind, as `ClusterState.from_objects` groups them; a big list of a
        kind no other file holds is left for its readers to decode (`snapshot_decode.defer_list`)."""
        parts = self._api_objects()
        lists = [p for p in parts if isinstance(p, list)]
        # Only a string kind can match a deferred list's; a hostile item may hold any JSON there.
        eager_kinds = {k for part in lists for o in part if isinstance(o, dict) and isinstance(k := o.get("kind"), str)}
        deferred_kinds = [p.kind for p in parts if not isinstance(p, list)]
        by_kind: dict[str, Any] = {}
        for part in parts:
            if not isinstance(part, list):
                if part.kind not in eager_kinds and deferred_kinds.count(part.kind) == 1:
                    by_kind[part.kind] = part
                    continue
                part = list(part.all())  # the kind is in other files too: in file order, as always
            for obj in part:
                kind = obj.get("kind") if isinstance(obj, dict) else None
                if isinstance(kind, str) and kind:
                    by_kind.setdefault(kind, []).append(obj)
        if len(lists) == len(parts):
            return ClusterState(objects=MappingProxyType({k: tuple(v) for k, v in by_kind.items()}))
        return ClusterState(objects=LazyKinds({k: v if isinstance(v, DeferredList) else tuple(v)
                                               for k, v in by_kind.items()}))

    def _api_objects(self) -> list[list[dict[str, Any]] | DeferredList]:
        out: list[list[dict[str, Any]] | DeferredList] = []
        for rel in sorted(r for r in self.files if r.startswith("api/")):
            data = self._read_bytes(rel)
            if data is None or not self._counted(rel, data):
                continue
            deferred = snapshot_decode.defer_list(data, rel) if self.slim and self.defer else None
            if deferred is not None:
                out.append(deferred)
                continue
            # Slimming: a typed list is decoded straight into its allow-listed shape when that
            # is sure to give what json.loads + slim() give; anything else takes that old path.
            items = snapshot_decode.decode_list(data, rel) if self.slim else None
            if items is not None:
                out.append(items)
                continue
            doc = self._decoded(rel, data, expect=dict)
            del data
            if doc is not None:
                out.append(self._objects_in(rel, doc))
        return out

    def _objects_in(self, path: str, doc: dict[str, Any]) -> list[dict[str, Any]]:
        kind = doc.get("kind")
        if "items" not in doc:
            if not isinstance(kind, str) or not kind:
                self.problem(path, "kind", "object has no kind; skipped")
                return []
            return [self.kept(doc)]
        items = doc.get("items")
        if not isinstance(items, list):
            self.problem(path, "items", "is not a list; skipped")
            return []
        item_kind = LIST_KINDS.get(kind) if isinstance(kind, str) else None
        found: list[dict[str, Any]] = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                self.problem(path, f"items[{i}]", "is not an object; skipped")
                continue
            if not isinstance(item.get("kind"), str) or not item.get("kind"):
                if item_kind is None:
                    self.problem(path, f"items[{i}].kind",
                                 f"missing, and the list kind {kind!r} does not say what it holds; skipped")
                    continue
                # Typed lists (ServiceList, ...) omit kind/apiVersion on their items; the
                # decoded item is ours to change, so no copy of it is made.
                item.setdefault("kind", item_kind.kind)  # what the item says wins, as before
                item.setdefault("apiVersion", item_kind.api_version)
            found.append(self.kept(item))
        return found

    def _nodes(self) -> dict[str, NodeState]:
        return {name: self._node(name) for name in sorted(self.reading.nodes)}

    def _node(self, name: str) -> NodeState:
        source = f"snapshot:{self.display}"
        d = f"nodes/{name}/"
        base = NodeState(node=name, source=source)
        if d + "probe.json" in self.files:
            doc = self._json_file(d + "probe.json", expect=dict)
            if doc is not None:
                from k8snet_tui.sources.probe_client import node_state_from_probe

                base = node_state_from_probe(doc, source=source, node=name)
        fields: dict[str, Any] = {}
        for filename, attr in IP_JSON_FILES.items():
            doc = self._json_file(d + filename, expect=list)
            if doc is not None:
                fields[attr] = tuple(self._only_objects(d + filename, doc))
        tables: dict[str, dict[str, str]] = {"iptables": dict(base.iptables), "ip6tables": dict(base.ip6tables)}
        for filename, (attr, backend) in IPTABLES_FILES.items():
            text = self._read_text(d + filename)
            if text is not None:
                tables[attr][backend or _save_backend(text)] = text
        fields["iptables"] = MappingProxyType(tables["iptables"])
        fields["ip6tables"] = MappingProxyType(tables["ip6tables"])
        doc = self._json_file(d + "nft-ruleset.json", expect=dict)
        if doc is not None:
            if not isinstance(doc.get("nftables"), list):
                self.problem(d + "nft-ruleset.json", "nftables",
                             "missing or not a list (expected `nft -j list ruleset` output)")
            else:
                fields["nft_ruleset"] = doc
        for filename, attr in (("ipvsadm.txt", "ipvsadm"), ("resolv.conf", "resolv_conf")):
            text = self._read_text(d + filename)
            if text is not None:
                fields[attr] = text
        for filename, attr in (("cilium-services.json", "cilium_services"), ("conntrack.json", "conntrack"),
                               ("pod-netns.json", "pod_netns")):
            doc = self._json_file(d + filename, expect=list)
            if doc is not None:
                fields[attr] = tuple(self._only_objects(d + filename, doc))
        return replace(base, **fields)

    def _only_objects(self, path: str, doc: list[Any]) -> list[dict[str, Any]]:
        good = []
        for i, item in enumerate(doc):
            if isinstance(item, dict):
                good.append(item)
            else:
                self.problem(path, f"[{i}]", "is not an object; skipped")
        return good


def _whole(obj: dict[str, Any]) -> dict[str, Any]:
    return obj


def _slimmed(obj: dict[str, Any]) -> dict[str, Any]:
    """Only the fields the panes read (the capture allow-list), strings interned; a kind the
    allow-list does not keep (a Secret, another ConfigMap) stays as it was, as before."""
    kept = slim(obj)
    return obj if kept is None else kept


def _save_backend(text: str) -> str:
    """Which iptables backend wrote an `iptables-save` dump, from its header comment."""
    head = text[:4096]
    if "(nf_tables)" in head or "iptables-nft-save" in head:
        return "nft"
    return "legacy"


def _json_type(python_name: str) -> str:
    return {"dict": "object", "list": "array", "str": "string", "int": "number", "float": "number",
            "bool": "boolean", "NoneType": "null"}.get(python_name, python_name)


def known_kinds() -> frozenset[str]:
    return frozenset(BY_NAME)


__all__ = ["FORMAT", "Problem", "Snapshot", "bundled_lab_path", "known_kinds", "load_snapshot"]

"""Snapshots: a directory (or .tar.gz of one) of files that standard tools print.

The format is documented in docs/snapshot-format.md. Loading is forgiving by design: a file
that cannot be read becomes a `Problem` naming the file and the line or field, and everything
else still opens. Only a path that is not a snapshot at all raises `SnapshotError`.
"""

from __future__ import annotations

import json
import tarfile
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from k8snet_tui.domain.model import ClusterState, NodeState
from k8snet_tui.errors import SnapshotError
from k8snet_tui.sources.kinds import BY_NAME, LIST_KINDS

FORMAT = "k8snet.snapshot/v1"
LAB_NAME = "lab"

# Files a node directory may hold, and the NodeState field each one fills.
IP_JSON_FILES = {
    "ip-link.json": "links",
    "ip-addr.json": "addresses",
    "ip-route.json": "routes",
    "ip-rule.json": "rules",
    "ip-neigh.json": "neighbours",
}
IPTABLES_FILES = {
    "iptables-save.txt": ("iptables", None),
    "iptables-legacy-save.txt": ("iptables", "legacy"),
    "iptables-nft-save.txt": ("iptables", "nft"),
    "ip6tables-save.txt": ("ip6tables", None),
    "ip6tables-legacy-save.txt": ("ip6tables", "legacy"),
    "ip6tables-nft-save.txt": ("ip6tables", "nft"),
}
MAX_FILE_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class Problem:
    """One thing in a snapshot that could not be read; the rest of the snapshot still opens."""

    path: str
    where: str
    message: str

    def __str__(self) -> str:
        loc = f"{self.path}:{self.where}" if self.where else self.path
        return f"{loc}: {self.message}"


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


def load_snapshot(path: str | Path) -> Snapshot:
    """Open a snapshot directory, a .tar.gz of one, or `lab` (the bundled lab snapshot)."""
    bundled = str(path) == LAB_NAME
    root = bundled_lab_path() if bundled else Path(path).expanduser()
    if root.is_file() and root.name.endswith((".tar.gz", ".tgz")):
        return _load_tarball(root)
    if not root.exists():
        raise SnapshotError(f"no snapshot at {root}",
                            hint="give a snapshot directory, a .tar.gz of one, or 'lab' for the bundled one")
    if not root.is_dir():
        raise SnapshotError(f"{root} is neither a snapshot directory nor a .tar.gz",
                            hint="a snapshot is a directory with meta.json, api/ and nodes/ (docs/snapshot-format.md)")
    return _Loader(root, bundled=bundled).load()


def _load_tarball(archive: Path) -> Snapshot:
    with tempfile.TemporaryDirectory(prefix="k8snet-snapshot-") as tmpdir:
        tmp = Path(tmpdir)
        try:
            with tarfile.open(archive, "r:gz") as tar:
                # The "data" filter refuses absolute paths, `..`, links out of the tree and devices.
                tar.extractall(tmp, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise SnapshotError(f"cannot unpack {archive}: {exc}",
                                hint="check that the file is a complete .tar.gz of a snapshot directory") from None
        entries = list(tmp.iterdir())
        root = entries[0] if len(entries) == 1 and entries[0].is_dir() else tmp
        # Everything is read into memory here, so the temporary tree can go.
        return _Loader(root, bundled=False, display=str(archive)).load()


class _Loader:
    def __init__(self, root: Path, *, bundled: bool, display: str | None = None) -> None:
        self.root = root
        self.bundled = bundled
        self.display = display or str(root)
        self.problems: list[Problem] = []

    def problem(self, path: Path | str, where: str, message: str) -> None:
        rel = str(path.relative_to(self.root)) if isinstance(path, Path) else path
        self.problems.append(Problem(rel, where, message))

    def load(self) -> Snapshot:
        meta = self._meta()
        objects = self._api_objects()
        nodes = self._nodes()
        local = meta.get("local_node") if isinstance(meta.get("local_node"), str) else ""
        if not local and len(nodes) == 1:
            local = next(iter(nodes))
        if local and local not in nodes:
            self.problem("meta.json", "local_node", f"names node {local!r}, which has no nodes/ directory")
        cloud = self._json_file(self.root / "cloud.json", expect=dict) if (self.root / "cloud.json").exists() else None
        name = "lab" if self.bundled else Path(self.display).name
        return Snapshot(
            name=name,
            path=self.display,
            meta=MappingProxyType(meta),
            cluster=ClusterState.from_objects(objects),
            nodes=MappingProxyType(nodes),
            local_node=local,
            cloud=MappingProxyType(cloud) if isinstance(cloud, dict) else None,
            problems=tuple(self.problems),
            bundled=self.bundled,
        )

    # -- files ---------------------------------------------------------------------------------

    def _read_text(self, path: Path) -> str | None:
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                self.problem(path, "", f"larger than {MAX_FILE_BYTES >> 20} MiB; skipped")
                return None
            return path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            self.problem(path, "", f"cannot be read: {exc.strerror or exc}")
            return None

    def _json_file(self, path: Path, expect: type | tuple[type, ...]) -> Any:
        text = self._read_text(path)
        if text is None:
            return None
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            self.problem(path, f"line {exc.lineno} column {exc.colno}", f"not valid JSON: {exc.msg}")
            return None
        except RecursionError:
            # json.loads recurses per nesting level: a hostile `[[[[...` file must not crash the loader.
            self.problem(path, "", "JSON nested too deeply to read; skipped")
            return None
        if not isinstance(doc, expect):
            names = expect.__name__ if isinstance(expect, type) else " or ".join(t.__name__ for t in expect)
            self.problem(path, "", f"expected a JSON {_json_type(names)}, found {_json_type(type(doc).__name__)}")
            return None
        return doc

    def _meta(self) -> dict[str, Any]:
        path = self.root / "meta.json"
        if not path.exists():
            self.problem("meta.json", "", "missing; treating the directory as a snapshot without metadata")
            return {}
        meta = self._json_file(path, expect=dict) or {}
        fmt = meta.get("format")
        if fmt is not None and fmt != FORMAT:
            self.problem(path, "format", f"is {fmt!r}; this version reads {FORMAT!r} and will try anyway")
        return meta

    def _api_objects(self) -> list[dict[str, Any]]:
        api = self.root / "api"
        out: list[dict[str, Any]] = []
        if not api.is_dir():
            return out
        for path in sorted(api.glob("*.json")):
            doc = self._json_file(path, expect=dict)
            if doc is not None:
                out.extend(self._objects_in(path, doc))
        return out

    def _objects_in(self, path: Path, doc: dict[str, Any]) -> list[dict[str, Any]]:
        kind = doc.get("kind")
        if "items" not in doc:
            if not isinstance(kind, str) or not kind:
                self.problem(path, "kind", "object has no kind; skipped")
                return []
            return [doc]
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
                # Typed lists (ServiceList, ...) omit kind/apiVersion on their items.
                item = {"kind": item_kind.kind, "apiVersion": item_kind.api_version, **item}
            found.append(item)
        return found

    def _nodes(self) -> dict[str, NodeState]:
        nodes_dir = self.root / "nodes"
        out: dict[str, NodeState] = {}
        if not nodes_dir.is_dir():
            return out
        for node_dir in sorted(p for p in nodes_dir.iterdir() if p.is_dir()):
            out[node_dir.name] = self._node(node_dir)
        return out

    def _node(self, node_dir: Path) -> NodeState:
        name = node_dir.name
        source = f"snapshot:{self.display}"
        probe_file = node_dir / "probe.json"
        base = NodeState(node=name, source=source)
        if probe_file.exists():
            doc = self._json_file(probe_file, expect=dict)
            if doc is not None:
                from k8snet_tui.sources.probe_client import node_state_from_probe

                base = node_state_from_probe(doc, source=source, node=name)
        fields: dict[str, Any] = {}
        for filename, attr in IP_JSON_FILES.items():
            path = node_dir / filename
            if path.exists():
                doc = self._json_file(path, expect=list)
                if doc is not None:
                    fields[attr] = tuple(self._only_objects(path, doc))
        tables: dict[str, dict[str, str]] = {"iptables": dict(base.iptables), "ip6tables": dict(base.ip6tables)}
        for filename, (attr, backend) in IPTABLES_FILES.items():
            path = node_dir / filename
            if path.exists():
                text = self._read_text(path)
                if text is not None:
                    tables[attr][backend or _save_backend(text)] = text
        fields["iptables"] = MappingProxyType(tables["iptables"])
        fields["ip6tables"] = MappingProxyType(tables["ip6tables"])
        nft = node_dir / "nft-ruleset.json"
        if nft.exists():
            doc = self._json_file(nft, expect=dict)
            if doc is not None:
                if not isinstance(doc.get("nftables"), list):
                    self.problem(nft, "nftables", "missing or not a list (expected `nft -j list ruleset` output)")
                else:
                    fields["nft_ruleset"] = doc
        for filename, attr in (("ipvsadm.txt", "ipvsadm"), ("resolv.conf", "resolv_conf")):
            path = node_dir / filename
            if path.exists():
                text = self._read_text(path)
                if text is not None:
                    fields[attr] = text
        cilium = node_dir / "cilium-services.json"
        if cilium.exists():
            doc = self._json_file(cilium, expect=list)
            if doc is not None:
                fields["cilium_services"] = tuple(self._only_objects(cilium, doc))
        conntrack = node_dir / "conntrack.json"
        if conntrack.exists():
            doc = self._json_file(conntrack, expect=list)
            if doc is not None:
                fields["conntrack"] = tuple(self._only_objects(conntrack, doc))
        known = {"probe.json", "nft-ruleset.json", "ipvsadm.txt", "resolv.conf", "cilium-services.json",
                 "conntrack.json", *IP_JSON_FILES, *IPTABLES_FILES}
        for path in node_dir.iterdir():
            if path.is_file() and path.name not in known and not path.name.startswith("."):
                self.problem(path, "", "not a file this version knows; ignored")
        return replace(base, **fields)

    def _only_objects(self, path: Path, doc: list[Any]) -> list[dict[str, Any]]:
        good = []
        for i, item in enumerate(doc):
            if isinstance(item, dict):
                good.append(item)
            else:
                self.problem(path, f"[{i}]", "is not an object; skipped")
        return good


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


__all__ = ["Problem", "Snapshot", "load_snapshot", "bundled_lab_path", "FORMAT", "known_kinds"]

"""Gather one node's network state as a `k8snet.probe/v1` document. Read-only, root-only.

Every external command is a fixed argv (no shell), resolved on a fixed PATH, run with a minimal
environment, a deadline and an output cap. Anything that fails becomes a sentence in `errors`
and leaves its field null or empty; one failing part never stops the others.

Care is taken never to change the kernel's state while reading it:
- a legacy x_tables table is created by the kernel the moment someone opens it, so legacy tables
  are read only when /proc/net/ip_tables_names lists them, with `iptables-legacy-save` WITHOUT
  `-t` (it then reads exactly the listed tables), and python-iptables only opens a listed table;
- the nf_tables backend is read with `iptables-nft-save` only when `nft -j list tables` shows an
  iptables-nft table (family ip/ip6, named filter/nat/mangle/raw/security).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

from k8snet_tui.probe import parse
from k8snet_tui.probe.runner import CHILD_ENV, SAFE_PATH, CmdResult, MiB, python_module_argv, run

FORMAT = "k8snet.probe/v1"
OUTPUT_CAP = 64 * MiB
CONNTRACK_CAP = 50_000
COMMAND_TIMEOUT = 8.0
XT_TABLES = ("filter", "nat", "mangle", "raw", "security")

_IP_JSON = (
    ("links", ("-j", "-d", "link", "show")),
    ("addresses", ("-j", "addr", "show")),
    ("routes", ("-j", "route", "show", "table", "all")),
    ("rules", ("-j", "rule", "show")),
    ("neighbours", ("-j", "neigh", "show")),
)
# family key -> (/proc names file, nft family, legacy save tool, nft save tool)
_FAMILIES = {
    "iptables": ("ip_tables_names", "ip", "iptables-legacy-save", "iptables-nft-save"),
    "ip6tables": ("ip6_tables_names", "ip6", "ip6tables-legacy-save", "ip6tables-nft-save"),
}


class Probe:
    """One probe run. `tool_path`, `proc` and `etc` exist so tests can point them elsewhere;
    the command line never exposes them (a root process must not run binaries the caller picks).
    """

    def __init__(
        self,
        *,
        tool_path: str = SAFE_PATH,
        timeout: float = COMMAND_TIMEOUT,
        output_cap: int = OUTPUT_CAP,
        conntrack_cap: int = CONNTRACK_CAP,
        proc: str = "/proc",
        resolv_conf: str = "/etc/resolv.conf",
        python: str = sys.executable,
        pod_netns: bool = False,
    ) -> None:
        self.read_pod_netns = pod_netns  # the pods' own namespaces (probe/podnetns.py); `k8snet probe` turns it on
        self.tool_path = tool_path
        self.timeout = timeout
        self.output_cap = output_cap
        self.conntrack_cap = conntrack_cap
        self.proc = proc
        self.resolv_conf_path = resolv_conf
        self.python = python
        self.env = {"PATH": tool_path, "LC_ALL": "C", "LANG": "C"}
        self.errors: list[str] = []
        self.truncated: list[str] = []
        self._missing: set[str] = set()

    # -- helpers -------------------------------------------------------------------------
    def tool(self, name: str) -> str | None:
        return shutil.which(name, path=self.tool_path)

    def exec(self, name: str, *args: str, max_lines: int | None = None) -> CmdResult | None:
        """Run tool `name`; None (with an error entry) when it is not installed or failed."""
        path = self.tool(name)
        if path is None:
            if name not in self._missing:
                self._missing.add(name)
                self.errors.append(f"`{name}` is not installed (looked in {self.tool_path})")
            return None
        result = run(
            [path, *args],
            timeout=self.timeout,
            max_bytes=self.output_cap,
            max_lines=max_lines,
            env=self.env,
        )
        shown = " ".join([name, *args])
        if result.truncated and max_lines is None:
            self.truncated.append(shown)
            self.errors.append(
                f"output of `{shown}` exceeded {self.output_cap // MiB} MiB; kept the first "
                f"{self.output_cap // MiB} MiB (the text ends mid-way)"
            )
        failure = result.failure(self.timeout)
        if failure is not None:
            self.errors.append(failure.replace(result.command, shown, 1))
            return None
        return result

    def read_file(self, path: str, limit: int | None = None) -> str | None:
        limit = self.output_cap if limit is None else limit
        try:
            with open(path, "rb") as fh:
                data = fh.read(limit + 1)
        except OSError as exc:
            self.errors.append(f"could not read {path}: {exc.strerror or exc}")
            return None
        if len(data) > limit:
            self.truncated.append(path)
            self.errors.append(f"{path} is larger than {limit} bytes; kept the first {limit}")
            data = data[:limit]
        return data.decode("utf-8", errors="replace")

    def section(self, doc: dict[str, Any], what: str, fn: Callable[[dict[str, Any]], None]) -> None:
        try:
            fn(doc)
        except Exception as exc:  # a bug in one part must not cost the whole document
            self.errors.append(f"internal error while reading {what}: {type(exc).__name__}: {exc}")

    # -- parts ---------------------------------------------------------------------------
    def ip_json(self, doc: dict[str, Any]) -> None:
        for key, args in _IP_JSON:
            doc[key] = []
            result = self.exec("ip", *args)
            if result is None:
                continue
            shown = "ip " + " ".join(args)
            try:
                # strict=False: iproute2 writes control characters in names raw (an interface
                # named with an ESC is legal), which strict JSON refuses; they stay data here.
                value = json.loads(result.text() or "[]", strict=False)
            except ValueError as exc:
                self.errors.append(f"`{shown}` did not print JSON: {exc}")
                continue
            if not isinstance(value, list):
                self.errors.append(f"`{shown}` printed {type(value).__name__}, expected a list")
                continue
            doc[key] = value

    def legacy_tables(self, names_file: str) -> list[str]:
        path = os.path.join(self.proc, "net", names_file)
        try:
            with open(path, encoding="ascii", errors="replace") as fh:
                return sorted(set(fh.read().split()))
        except FileNotFoundError:
            return []  # x_tables not loaded in this kernel: no legacy tables
        except OSError as exc:
            self.errors.append(f"could not read {path}: {exc.strerror or exc}")
            return []

    def nft_tables(self) -> list[dict[str, Any]] | None:
        """Tables from `nft -j list tables`, or None when nft cannot tell us."""
        result = self.exec("nft", "-j", "list", "tables")
        if result is None:
            return None
        try:
            items = json.loads(result.text() or "{}", strict=False).get("nftables", [])
        except (ValueError, AttributeError) as exc:
            self.errors.append(f"`nft -j list tables` did not print the expected JSON: {exc}")
            return None
        return [i["table"] for i in items if isinstance(i, dict) and isinstance(i.get("table"), dict)]

    def iptables(self, doc: dict[str, Any]) -> None:
        nft_tables = self.nft_tables()
        backends: dict[str, Any] = {}
        for key, (names_file, nft_family, legacy_tool, nft_tool) in _FAMILIES.items():
            texts: dict[str, str] = {}
            info: dict[str, Any] = {}
            legacy = self.legacy_tables(names_file)
            info["legacy_tables"] = legacy
            if legacy:
                # No -t: iptables-legacy-save then dumps only the tables the kernel lists.
                result = self.exec(legacy_tool, "-c")
                if result is not None:
                    texts["legacy"] = result.text()
            if nft_tables is None:
                info["nft_tables"] = None
                # nft could not list tables; iptables-nft-save only reads, so ask it directly
                # and keep its output only if it holds a table.
                result = self.exec(nft_tool, "-c") if self.tool(nft_tool) else None
                if result is not None and parse.save_tables(result.text()):
                    texts["nft"] = result.text()
                    info["nft_tables"] = sorted(parse.save_tables(result.text()))
            else:
                mine = sorted(
                    str(t.get("name"))
                    for t in nft_tables
                    if t.get("family") == nft_family and t.get("name") in XT_TABLES
                )
                info["nft_tables"] = mine
                if mine:
                    result = self.exec(nft_tool, "-c")
                    if result is not None:
                        texts["nft"] = result.text()
            info["kubelet_hint"] = {b: parse.has_kubelet_hint(t) for b, t in texts.items()}
            info["in_use"] = _guess_backend(info, texts)
            doc[key] = texts
            backends[key] = info
        doc["backends"] = backends
        legacy_text = doc["iptables"].get("legacy")
        if backends["iptables"]["legacy_tables"]:
            doc["legacy_check"] = self.legacy_check(backends["iptables"]["legacy_tables"], legacy_text)

    def legacy_check(self, tables: list[str], save_text: str | None) -> dict[str, Any]:
        check: dict[str, Any] = {"table": "nat", "agree": None}
        if "nat" not in tables:
            check["note"] = "no legacy nat table exists; nothing to cross-check (not creating one)"
            return check
        if save_text is None:
            check["note"] = "iptables-legacy-save failed, so there is nothing to compare against"
            return check
        result = run(
            python_module_argv(self.python, "k8snet_tui.probe.iptc_child", "nat"),
            timeout=self.timeout,
            max_bytes=16 * MiB,
            env=dict(CHILD_ENV),
        )
        try:
            reply = json.loads(result.text().strip().splitlines()[-1]) if result.stdout else None
        except (ValueError, IndexError):
            reply = None
        if not isinstance(reply, dict):
            why = result.failure(self.timeout) or "it printed no JSON"
            check["error"] = f"python-iptables child failed: {why}"
            self.errors.append(f"legacy cross-check: {check['error']}")
            return check
        if "error" in reply or not isinstance(reply.get("chains"), dict):
            check["error"] = str(reply.get("error", "python-iptables child sent no chains"))
            self.errors.append(f"legacy cross-check: {check['error']}")
            return check
        iptc_chains = {str(k): int(v) for k, v in reply["chains"].items()}
        save_chains = parse.save_tables(save_text).get("nat", {})
        check["python_iptables"] = {"chains": len(iptc_chains), "rules": sum(iptc_chains.values())}
        check["iptables_legacy_save"] = {"chains": len(save_chains), "rules": sum(save_chains.values())}
        diffs = parse.compare_chain_counts(iptc_chains, save_chains)
        if any(t == "iptables-legacy-save -c" for t in self.truncated):
            diffs.append("iptables-legacy-save output was truncated, so counts may differ for that reason")
        check["agree"] = not diffs
        check["differences"] = diffs
        return check

    def nft_ruleset(self, doc: dict[str, Any]) -> None:
        doc["nft_ruleset"] = None
        if self.tool("nft") is None:
            return  # already reported by the table listing
        result = self.exec("nft", "-j", "list", "ruleset")
        if result is None or result.truncated:
            return
        try:
            value = json.loads(result.text() or "{}", strict=False)
        except ValueError as exc:
            self.errors.append(f"`nft -j list ruleset` did not print JSON: {exc}")
            return
        if isinstance(value, dict):
            doc["nft_ruleset"] = value
        else:
            self.errors.append("`nft -j list ruleset` printed JSON that is not an object")

    def ipvs(self, doc: dict[str, Any]) -> None:
        doc["ipvsadm"] = None
        if not os.path.exists(os.path.join(self.proc, "net", "ip_vs")):
            return  # IPVS not loaded: nothing to read, and ipvsadm would try to load it
        if self.tool("ipvsadm") is None:
            self.errors.append("IPVS is loaded (/proc/net/ip_vs exists) but `ipvsadm` is not installed")
            return
        result = self.exec("ipvsadm", "-Ln")
        if result is not None:
            doc["ipvsadm"] = result.text()

    def conntrack(self, doc: dict[str, Any]) -> None:
        doc["conntrack"] = []
        cap = self.conntrack_cap
        lines: list[str] | None = None
        source = None
        if self.tool("conntrack") is not None:
            result = self.exec("conntrack", "-L", "-o", "extended", max_lines=cap)
            if result is not None:
                lines = result.text().splitlines()
                source = "conntrack -L -o extended"
        if lines is None:
            path = os.path.join(self.proc, "net", "nf_conntrack")
            if os.path.exists(path):
                lines = []
                try:
                    with open(path, encoding="utf-8", errors="replace") as fh:
                        for line in fh:
                            lines.append(line)
                            if len(lines) > cap:
                                break
                    source = path
                except OSError as exc:
                    self.errors.append(f"could not read {path}: {exc.strerror or exc}")
                    lines = None
        if lines is None:
            if self.tool("conntrack") is None:
                self.errors.append("no conntrack source: `conntrack` is not installed and "
                                   "/proc/net/nf_conntrack does not exist")
            return
        entries = []
        for line in lines:
            entry = parse.parse_conntrack_line(line)
            if entry is not None:
                entries.append(entry)
        capped = len(entries) > cap
        doc["conntrack"] = entries[:cap]
        doc["conntrack_source"] = source
        doc["limits"]["conntrack_capped"] = capped
        if capped:
            self.errors.append(f"conntrack table has more than {cap} entries; kept the first {cap}")

    def pod_netns(self, doc: dict[str, Any]) -> None:
        from k8snet_tui.probe.podnetns import collect_pod_netns

        doc["pod_netns"], errors = collect_pod_netns(python=self.python, proc=self.proc)
        self.errors.extend(errors)

    def resolv(self, doc: dict[str, Any]) -> None:
        doc["resolv_conf"] = self.read_file(self.resolv_conf_path, limit=1 * MiB)

    # -- the whole document --------------------------------------------------------------
    def collect(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "format": FORMAT,
            "hostname": socket.gethostname(),
            "captured_at": time.time(),
            "kernel": os.uname().release,
            "limits": {
                "output_cap_bytes": self.output_cap,
                "command_timeout_s": self.timeout,
                "conntrack_cap": self.conntrack_cap,
                "conntrack_capped": False,
                "truncated": self.truncated,
            },
            "iptables": {},
            "ip6tables": {},
        }
        self.section(doc, "ip links, addresses, routes, rules and neighbours", self.ip_json)
        self.section(doc, "iptables", self.iptables)
        self.section(doc, "the nftables ruleset", self.nft_ruleset)
        self.section(doc, "IPVS", self.ipvs)
        self.section(doc, "conntrack", self.conntrack)
        self.section(doc, "/etc/resolv.conf", self.resolv)
        if self.read_pod_netns:
            self.section(doc, "the pods' network namespaces", self.pod_netns)
        doc["errors"] = self.errors
        return doc


def _guess_backend(info: dict[str, Any], texts: dict[str, str]) -> str | None:
    """Which backend kubelet/kube-proxy use, the way iptables-wrappers decides it:
    kubelet's hint chain in nft first, then in legacy; else whichever backend alone has tables."""
    hints = info["kubelet_hint"]
    if hints.get("nft"):
        return "nft"
    if hints.get("legacy"):
        return "legacy"
    has_legacy = bool(info["legacy_tables"])
    has_nft = bool(info.get("nft_tables"))
    if has_legacy != has_nft:
        return "legacy" if has_legacy else "nft"
    return None

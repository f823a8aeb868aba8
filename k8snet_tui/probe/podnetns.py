"""The pods' own network namespaces on this node: their addresses and netfilter rules, read-only.

A sidecar's init container writes the pod's redirect rules inside the pod's network namespace,
so the node's own dump never shows them. The namespaces are found two ways: the runtime's
files (/run/netns/*: `ip netns`, CNI plugins, containerd and CRI-O keep pod sandboxes there) and
every process's /proc/<pid>/ns/net; the same namespace seen twice (same device and inode) is
read once, the node's own is skipped. A /run/netns entry is opened with O_NOFOLLOW (a link
planted there is refused); /proc/<pid>/ns/net is the kernel's own link and is followed.

Each namespace is read by a child (`python -I -m k8snet_tui.probe.podnetns PATH`) that enters it
with setns(2) and runs fixed commands under the probe's caps: `ip -j addr show` (to match the
namespace to pods by address), iptables-legacy-save only when the namespace's
/proc/self/net/ip_tables_names lists tables (opening a missing legacy table creates it),
iptables-nft-save only when nft lists an iptables-nft table, and `nft -j list ruleset`. Nothing
is changed. A namespace that cannot be read (gone, permission) is kept with its reason.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import stat
import sys
import time
from typing import Any

from k8snet_tui.probe.runner import SAFE_PATH, MiB, python_module_argv, run

CLONE_NEWNET = 0x40000000
NSFS_MAGIC = 0x6E736673
NETNS_CAP = 64  # namespaces read per probe run
PID_SCAN_CAP = 100_000
OUTPUT_CAP = 8 * MiB  # per command inside one namespace
CHILD_TIMEOUT = 10.0
BUDGET_S = 20.0  # all namespaces together; the rest are listed as not read
_XT = ("filter", "nat", "mangle", "raw", "security")


def find_netns(proc: str = "/proc", run_netns: str = "/run/netns") -> tuple[list[dict[str, Any]], list[str]]:
    """Every network namespace but this process's own: [{"path", "inode", "pids", "names"}], errors."""
    errors: list[str] = []
    try:
        own = os.stat(os.path.join(proc, "self/ns/net"))
        own_key: tuple[int, int] | None = (own.st_dev, own.st_ino)
    except OSError as exc:
        own_key = None
        errors.append(f"could not read this process's network namespace: {exc.strerror or exc}")
    found: dict[tuple[int, int], dict[str, Any]] = {}
    try:
        names = sorted(os.listdir(run_netns))
    except FileNotFoundError:
        names = []
    except OSError as exc:
        names = []
        errors.append(f"could not list {run_netns}: {exc.strerror or exc}")
    for name in names:
        path = os.path.join(run_netns, name)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
        except OSError as exc:
            errors.append(f"{path}: not opened ({exc.strerror or exc}; links are not followed)")
            continue
        try:
            st = os.fstat(fd)
        finally:
            os.close(fd)
        key = (st.st_dev, st.st_ino)
        if key == own_key or stat.S_ISDIR(st.st_mode):
            continue
        entry = found.setdefault(key, {"path": path, "inode": st.st_ino, "pids": [], "names": []})
        entry["names"].append(name)
    scanned = 0
    try:
        pids = [p for p in os.listdir(proc) if p.isdigit()]
    except OSError as exc:
        pids = []
        errors.append(f"could not list {proc}: {exc.strerror or exc}")
    for pid in sorted(pids, key=int):
        scanned += 1
        if scanned > PID_SCAN_CAP:
            errors.append(f"more than {PID_SCAN_CAP} processes: the rest were not looked at")
            break
        path = os.path.join(proc, pid, "ns/net")
        try:
            st = os.stat(path)
        except OSError:
            continue  # gone, or a kernel thread
        key = (st.st_dev, st.st_ino)
        if key == own_key:
            continue
        entry = found.setdefault(key, {"path": path, "inode": st.st_ino, "pids": [], "names": []})
        if len(entry["pids"]) < 8:
            entry["pids"].append(int(pid))
    return list(found.values()), errors


def read_netns(path: str, *, python: str = sys.executable, timeout: float = CHILD_TIMEOUT) -> dict[str, Any]:
    """One namespace's reading, by a child inside it: {"path", "addresses", "iptables": {"legacy",
    "nft"}, "ip6tables": {...}, "nft_ruleset", "errors"} or {"path", "error"}."""
    result = run(python_module_argv(python, "k8snet_tui.probe.podnetns", path), timeout=timeout,
                 max_bytes=4 * OUTPUT_CAP + MiB)
    if result.truncated:
        return {"path": path, "error": f"the reading is larger than {(4 * OUTPUT_CAP + MiB) // MiB} MiB"}
    failure = result.failure(timeout)
    if failure is not None:
        return {"path": path, "error": failure}
    try:
        doc = json.loads(result.text() or "{}", strict=False)
    except ValueError as exc:
        return {"path": path, "error": f"the namespace reader printed no JSON: {exc}"}
    if not isinstance(doc, dict):
        return {"path": path, "error": "the namespace reader printed no JSON object"}
    return doc


def collect_pod_netns(*, python: str = sys.executable, proc: str = "/proc", run_netns: str = "/run/netns",
                      cap: int = NETNS_CAP, budget: float = BUDGET_S) -> tuple[list[dict[str, Any]], list[str]]:
    """Every pod namespace's reading (capped in number and time), and the errors in words."""
    entries, errors = find_netns(proc, run_netns)
    out: list[dict[str, Any]] = []
    t0 = time.monotonic()
    for i, entry in enumerate(entries):
        if i >= cap:
            errors.append(f"{len(entries)} network namespaces: only the first {cap} were read")
            break
        if time.monotonic() - t0 > budget:
            errors.append(f"reading namespaces took over {budget:.0f} s: {len(entries) - i} were not read")
            break
        doc = read_netns(entry["path"], python=python)
        doc.update(inode=entry["inode"], pids=entry["pids"], names=entry["names"])
        out.append(doc)
    return out, errors


# -- the child, inside one namespace ---------------------------------------------------------------

def _enter(path: str) -> None:
    flags = os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK
    if not path.startswith("/proc/"):
        flags |= os.O_NOFOLLOW  # a /run/netns entry: never a link
    fd = os.open(path, flags)
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))
    finally:
        os.close(fd)


def _tool(name: str) -> str | None:
    for d in SAFE_PATH.split(":"):
        p = os.path.join(d, name)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return None


def _cmd(errors: list[str], name: str, *args: str) -> str | None:
    path = _tool(name)
    if path is None:
        errors.append(f"`{name}` is not installed")
        return None
    res = run([path, *args], timeout=CHILD_TIMEOUT / 2, max_bytes=OUTPUT_CAP,
              env={"PATH": SAFE_PATH, "LC_ALL": "C", "LANG": "C"})
    if res.truncated:
        errors.append(f"output of `{name} {' '.join(args)}` exceeded {OUTPUT_CAP // MiB} MiB (cut)")
    failure = res.failure(CHILD_TIMEOUT / 2)
    if failure is not None:
        errors.append(failure)
        return None
    return res.text()


def _child(path: str) -> dict[str, Any]:
    doc: dict[str, Any] = {"path": path, "iptables": {}, "ip6tables": {}, "errors": []}
    errors: list[str] = doc["errors"]
    try:
        _enter(path)
    except OSError as exc:
        return {"path": path, "error": f"could not enter the namespace: {exc.strerror or exc}"}
    addr = _cmd(errors, "ip", "-j", "addr", "show")
    try:
        links = json.loads(addr or "[]", strict=False)
    except ValueError:
        links = []
    doc["addresses"] = sorted({str(a.get("local")) for link in links if isinstance(link, dict)
                               for a in link.get("addr_info", []) if isinstance(a, dict) and a.get("local")})
    ruleset = _cmd(errors, "nft", "-j", "list", "ruleset")
    try:
        doc["nft_ruleset"] = json.loads(ruleset, strict=False) if ruleset else None
    except ValueError as exc:
        doc["nft_ruleset"] = None
        errors.append(f"`nft -j list ruleset` did not print JSON: {exc}")
    nft_tables = {(str(i["table"].get("family")), str(i["table"].get("name")))
                  for i in (doc["nft_ruleset"] or {}).get("nftables", [])
                  if isinstance(i, dict) and isinstance(i.get("table"), dict)}
    for key, names_file, family, legacy, nft in (
            ("iptables", "ip_tables_names", "ip", "iptables-legacy-save", "iptables-nft-save"),
            ("ip6tables", "ip6_tables_names", "ip6", "ip6tables-legacy-save", "ip6tables-nft-save")):
        try:
            with open(f"/proc/self/net/{names_file}", encoding="ascii", errors="replace") as fh:
                listed = fh.read().split()
        except OSError:
            listed = []
        if listed:
            text = _cmd(errors, legacy, "-c")
            if text is not None:
                doc[key]["legacy"] = text
        if any((family, t) in nft_tables for t in _XT):
            text = _cmd(errors, nft, "-c")
            if text is not None:
                doc[key]["nft"] = text
    return doc


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if (len(args) != 1 or not args[0].startswith(("/run/netns/", "/proc/", "/var/run/netns/"))
            or os.path.normpath(args[0]) != args[0]):
        print(json.dumps({"error": "one namespace path under /run/netns or /proc expected"}))
        return 2
    print(json.dumps(_child(args[0])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

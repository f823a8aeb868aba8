"""`python -I -m k8snet_tui.probe.connect`: one TCP connect from a pod's network namespace.

Root only; changes nothing. The request comes on stdin, one JSON object of at most 4 KiB:
`{"pod_ip": "10.0.0.5", "host": "10.96.0.10", "port": 53, "timeout_s": 2.0}`. The command line
takes no arguments, so a sudoers rule can name it exactly (docs/security.md).

It finds the network namespace on this node that holds `pod_ip` as a local address: the named
ones in /run/netns first, then every other one a process in /proc is in. It enters each
candidate (this process only: the app that started it never changes namespace), lists the
addresses over rtnetlink (a read), and in the one that matches opens one TCP connection to
`host:port` with a deadline and closes it at once. Nothing is sent but the handshake and the
close. Names are not resolved here: `host` must be an address, so no DNS query leaves either.

It prints one JSON line: `{"format": "k8snet.connect/v1", "ok", "error", "elapsed_ms", "netns",
"unavailable"}`. Only the standard library, like the rest of the probe.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import os
import socket
import struct
import sys
import time
from collections.abc import Callable, Iterator

FORMAT = "k8snet.connect/v1"
REQUEST_MAX = 4096  # bytes of stdin read
MAX_NAMESPACES = 4096  # distinct namespaces entered at most
MAX_PROC_ENTRIES = 1 << 17  # /proc entries looked at at most
MAX_RUN_NETNS = 4096  # /run/netns entries looked at at most
SCAN_BUDGET_S = 5.0  # seconds spent looking for the namespace at most
NETLINK_CAP = 4 << 20  # bytes of rtnetlink answers read per namespace at most
TIMEOUT_RANGE = (0.05, 10.0)
CLONE_NEWNET = 0x40000000

NOT_ROOT = ("entering a pod's network namespace needs root; run it as root, or give your user the "
            "sudoers rule for `python3 -I -m k8snet_tui.probe.connect` (docs/security.md)")

# rtnetlink, from linux/netlink.h and linux/rtnetlink.h
_NLMSG_ERROR, _NLMSG_DONE = 2, 3
_RTM_NEWADDR, _RTM_GETADDR = 20, 22
_NLM_F_REQUEST, _NLM_F_DUMP = 0x1, 0x300
_IFA_ADDRESS, _IFA_LOCAL = 1, 2
_NLMSG_HDR = struct.Struct("=IHHII")
_IFADDRMSG = struct.Struct("=BBBBI")
_RTATTR = struct.Struct("=HH")


class BadRequest(ValueError):
    """The request cannot be served; the message says why, in words."""


def _address(value: object, what: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    if not isinstance(value, str) or len(value) > 64:
        raise BadRequest(f"{what} must be an IP address")
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        raise BadRequest(f"{what} must be an IP address (names are not resolved here)") from None
    if addr.is_unspecified or addr.is_multicast or str(addr) == "255.255.255.255":
        raise BadRequest(f"{what} {addr} is not an address one connects to")
    return addr


def parse_request(data: bytes) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address,
                                        ipaddress.IPv4Address | ipaddress.IPv6Address, int, float]:
    """(pod_ip, host, port, timeout_s) from the request, or BadRequest naming what is wrong."""
    if len(data) > REQUEST_MAX:
        raise BadRequest(f"the request is longer than {REQUEST_MAX} bytes")
    try:
        doc = json.loads(data.decode("ascii"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadRequest("the request is not a JSON object in ASCII") from None
    if not isinstance(doc, dict):
        raise BadRequest("the request is not a JSON object")
    pod_ip = _address(doc.get("pod_ip"), "pod_ip")
    if pod_ip.is_loopback:
        raise BadRequest(f"pod_ip {pod_ip} is a loopback address, which every namespace has")
    host = _address(doc.get("host"), "host")
    port = doc.get("port")
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise BadRequest("port must be a whole number from 1 to 65535")
    timeout = doc.get("timeout_s", 2.0)
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout != timeout:
        raise BadRequest("timeout_s must be a number of seconds")
    return pod_ip, host, port, min(max(float(timeout), TIMEOUT_RANGE[0]), TIMEOUT_RANGE[1])


def _setns_function() -> Callable[[int], None]:
    """os.setns (Python 3.12+), else libc's setns through ctypes (standard library)."""
    native = getattr(os, "setns", None)
    if native is not None:
        return lambda fd: native(fd, CLONE_NEWNET)
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)

    def setns(fd: int) -> None:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))

    return setns


def _shown(text: str) -> str:
    return "".join(c if c.isprintable() and c.isascii() else "?" for c in text)[:200]


def candidates(run_netns: str = "/run/netns", proc: str = "/proc") -> Iterator[tuple[str, int]]:
    """(label, open fd) for each distinct network namespace: named ones first, then /proc's.

    The caller closes each fd. Links in /run/netns are not followed; /proc's ns/net links are
    the kernel's own. A namespace seen once (same inode) is not offered again.
    """
    seen: set[tuple[int, int]] = set()
    offered = 0
    try:
        named = sorted(os.scandir(run_netns), key=lambda e: e.name)[:MAX_RUN_NETNS]
    except OSError:
        named = []
    for entry in named:
        if offered >= MAX_NAMESPACES:
            return
        try:
            fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
        except OSError:
            continue
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) in seen:
            os.close(fd)
            continue
        seen.add((st.st_dev, st.st_ino))
        offered += 1
        yield f"{run_netns}/{_shown(entry.name)}", fd
    try:
        it = os.scandir(proc)
    except OSError:
        return
    with it:
        for n, entry in enumerate(it):
            if n >= MAX_PROC_ENTRIES or offered >= MAX_NAMESPACES:
                return
            if not entry.name.isdigit():
                continue
            path = f"{proc}/{entry.name}/ns/net"
            try:
                st = os.stat(path)  # the nsfs inode, without opening it
                if (st.st_dev, st.st_ino) in seen:
                    continue
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                continue  # the process ended, or is a kernel thread without one
            st = os.fstat(fd)
            if (st.st_dev, st.st_ino) in seen:
                os.close(fd)
                continue
            seen.add((st.st_dev, st.st_ino))
            offered += 1
            yield path, fd


def local_addresses() -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Every address configured in this process's current network namespace (RTM_GETADDR dump)."""
    found: set[ipaddress.IPv4Address | ipaddress.IPv6Address] = set()
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, 0) as nl:
        nl.settimeout(1.0)
        nl.bind((0, 0))
        body = _IFADDRMSG.pack(socket.AF_UNSPEC, 0, 0, 0, 0)
        nl.send(_NLMSG_HDR.pack(_NLMSG_HDR.size + len(body), _RTM_GETADDR,
                                _NLM_F_REQUEST | _NLM_F_DUMP, 1, 0) + body)
        total = 0
        while total < NETLINK_CAP:
            data = nl.recv(1 << 16)
            if not data:
                return found
            total += len(data)
            off = 0
            while off + _NLMSG_HDR.size <= len(data):
                length, kind, _flags, _seq, _pid = _NLMSG_HDR.unpack_from(data, off)
                if length < _NLMSG_HDR.size or off + length > len(data) or kind in (_NLMSG_DONE, _NLMSG_ERROR):
                    return found
                if kind == _RTM_NEWADDR:
                    _add_addresses(data, off + _NLMSG_HDR.size, off + length, found)
                off += (length + 3) & ~3
    return found


def _add_addresses(data: bytes, start: int, end: int,
                   found: set[ipaddress.IPv4Address | ipaddress.IPv6Address]) -> None:
    if start + _IFADDRMSG.size > end:
        return
    family = data[start]
    size = {int(socket.AF_INET): 4, int(socket.AF_INET6): 16}.get(family)
    attrs: dict[int, bytes] = {}
    at = start + _IFADDRMSG.size
    while at + _RTATTR.size <= end:
        alen, atype = _RTATTR.unpack_from(data, at)
        if alen < _RTATTR.size or at + alen > end:
            break
        attrs.setdefault(atype, data[at + _RTATTR.size:at + alen])
        at += (alen + 3) & ~3
    # On a point-to-point link IFA_ADDRESS is the peer's; IFA_LOCAL, when there, is ours.
    raw = attrs.get(_IFA_LOCAL) or attrs.get(_IFA_ADDRESS)
    if size is not None and raw is not None and len(raw) == size:
        found.add(ipaddress.ip_address(raw))


_ERRORS = {
    errno.ECONNREFUSED: "refused (nothing listens on that port, or a rule rejected the connection)",
    errno.EHOSTUNREACH: "no route to host",
    errno.ENETUNREACH: "no route: the network is unreachable from the pod",
    errno.EACCES: "not permitted by a rule in the pod's own namespace",
    errno.EPERM: "not permitted by a rule in the pod's own namespace",
    errno.ECONNRESET: "reset by the other side during the handshake",
}


def connect_once(host: ipaddress.IPv4Address | ipaddress.IPv6Address, port: int,
                 timeout: float) -> tuple[bool, str | None, float]:
    """(ok, error in words, elapsed ms) of one TCP connect from the current namespace."""
    family = socket.AF_INET if host.version == 4 else socket.AF_INET6
    with socket.socket(family, socket.SOCK_STREAM | socket.SOCK_CLOEXEC) as sock:
        sock.settimeout(timeout)
        start = time.monotonic()
        try:
            sock.connect((str(host), port))
        except TimeoutError:
            return False, f"timed out after {timeout:g} s (no answer: dropped on the way)", _ms(start)
        except OSError as exc:
            words = _ERRORS.get(exc.errno or 0) or (exc.strerror or str(exc))
            return False, words, _ms(start)
        return True, None, _ms(start)


def _ms(start: float) -> float:
    return round((time.monotonic() - start) * 1000.0, 3)


def _holds(setns: Callable[[int], None], fd: int,
           pod_ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> tuple[bool, str | None]:
    """Enter the namespace behind `fd`: (whether `pod_ip` is one of its addresses, why it could
    not be entered or read)."""
    try:
        setns(fd)
        return pod_ip in local_addresses(), None
    except OSError as exc:
        return False, exc.strerror or str(exc)


def _not_entered(failures: dict[str, int]) -> str:
    if not failures:
        return ""
    count = sum(failures.values())
    why = ", ".join(sorted(failures))
    need = " (entering one needs CAP_SYS_ADMIN)" if "Operation not permitted" in failures else ""
    return f"; {count} could not be entered or read: {why}{need}"


def attempt(request: bytes, *, run_netns: str = "/run/netns", proc: str = "/proc") -> dict[str, object]:
    """The answer document for one request (this process enters namespaces: run it in a child)."""
    doc: dict[str, object] = {"format": FORMAT, "ok": False, "error": None, "elapsed_ms": 0.0,
                              "netns": None, "unavailable": None}
    try:
        pod_ip, host, port, timeout = parse_request(request)
    except BadRequest as exc:
        doc["unavailable"] = f"bad request: {exc}"
        return doc
    setns = _setns_function()
    deadline = time.monotonic() + SCAN_BUDGET_S
    checked = 0
    failures: dict[str, int] = {}
    for label, fd in candidates(run_netns, proc):
        try:
            matched, failure = _holds(setns, fd, pod_ip)
        finally:
            os.close(fd)  # entering needs the descriptor only for the call itself
        checked += 1
        if failure is not None:
            failures[failure] = failures.get(failure, 0) + 1
        if matched:
            ok, error, elapsed = connect_once(host, port, timeout)
            doc.update(ok=ok, error=error, elapsed_ms=elapsed, netns=label)
            return doc
        if time.monotonic() > deadline:
            doc["unavailable"] = (f"stopped looking for {pod_ip} after {SCAN_BUDGET_S:g} s "
                                  f"({checked} network namespaces checked{_not_entered(failures)})")
            return doc
    if failures and sum(failures.values()) == checked:
        doc["unavailable"] = f"no network namespace could be looked into ({checked} found{_not_entered(failures)})"
        return doc
    doc["unavailable"] = (f"no network namespace on this node has the address {pod_ip} "
                          f"({checked} checked{_not_entered(failures)}): the pod runs on another node or "
                          "is gone; run k8snet on the pod's node")
    return doc


def main() -> int:
    if os.geteuid() != 0:
        doc: dict[str, object] = {"format": FORMAT, "ok": False, "error": None, "elapsed_ms": 0.0,
                                  "netns": None, "unavailable": NOT_ROOT}
        status = 2
    else:
        from k8snet_tui.probe.trust import check_install

        refusal = check_install()
        if refusal is not None:
            sys.stderr.write(refusal)
            return 2
        doc = attempt(sys.stdin.buffer.read(REQUEST_MAX + 1))
        status = 0
    sys.stdout.write(json.dumps(doc, ensure_ascii=True) + "\n")
    sys.stdout.flush()
    return status


if __name__ == "__main__":
    raise SystemExit(main())

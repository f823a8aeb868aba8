"""Ask a DNS server the queries of a lookup plan, and say what it answered.

The DNS pane builds a plan (the queries a pod's resolver would send) and, when live, hands it
here to learn what the cluster DNS really says. Only the server the caller names is asked: the
pod's own nameserver (the app runs on a node, so the kube-dns ClusterIP is reachable) or one the
user chose (`K8SNET_DNS_SERVER`, see `server_override`). Nothing else is ever contacted.

Every query goes over UDP and is retried over TCP when the answer comes back truncated. Each
waits at most `timeout` seconds; at most `max_in_flight` (never more than 8) run at once on
worker threads. Failures are `Actual.error` in words, never exceptions. No Textual here.
"""

from __future__ import annotations

import ipaddress
import os
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype

from k8snet_tui.domain.dns import Actual
from k8snet_tui.domain.numbers import parse_port

MAX_IN_FLIGHT = 8
DEFAULT_TIMEOUT = 2.0
SERVER_ENV = "K8SNET_DNS_SERVER"
QTYPES = ("A", "AAAA", "SRV", "PTR", "TXT", "CNAME")


class ServerError(ValueError):
    """A server address that cannot be asked (not an IP literal, bad port)."""


def parse_server(text: str, default_port: int = 53) -> tuple[str, int]:
    """`10.96.0.10`, `10.96.0.10:5353`, `fd00::a`, `[fd00::a]:5353` -> (ip, port)."""
    raw = (text or "").strip()
    host, port = raw, default_port
    if raw.startswith("["):
        host, sep, rest = raw[1:].partition("]")
        if not sep:
            raise ServerError(f"{raw!r}: a '[' without its ']'")
        if rest:
            if not rest.startswith(":"):
                raise ServerError(f"{raw!r}: expected ':PORT' after ']'")
            port = _port(rest[1:], raw)
    elif raw.count(":") == 1:
        host, _, p = raw.partition(":")
        port = _port(p, raw)
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise ServerError(f"{raw!r} is not an IP address (a DNS server is asked by address)") from None
    return str(ip), port


def _port(text: str, raw: str) -> int:
    port = parse_port(text, lo=1)
    if port is None:
        raise ServerError(f"{raw!r}: the port must be a number from 1 to 65535")
    return port


def server_override() -> str | None:
    """`K8SNET_DNS_SERVER` (`IP` or `IP:PORT`): ask this server instead of the pod's nameserver,
    for tests and debugging (e.g. a CoreDNS port-forwarded to 127.0.0.1:5353)."""
    value = os.environ.get(SERVER_ENV, "").strip()
    return value or None


def show_server(ip: str, port: int) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def _seconds(timeout: float) -> str:
    return f"{timeout:g} s"


def _answer_text(rdata) -> str:
    t = rdata.rdtype
    if t in (dns.rdatatype.A, dns.rdatatype.AAAA):
        return rdata.address
    if t == dns.rdatatype.SRV:
        return f"{rdata.priority} {rdata.weight} {rdata.port} {rdata.target}"
    if t == dns.rdatatype.CNAME:
        return f"CNAME {rdata.target}"
    if t == dns.rdatatype.PTR:
        return str(rdata.target)
    return rdata.to_text()


def describe(response: dns.message.Message) -> tuple[str, tuple[str, ...], int | None]:
    """(rcode, answers as text in the order given, TTL) of one response.

    The TTL is the smallest in the answer section; for an empty answer it is the negative-caching
    TTL the SOA in the authority section gives (min of its TTL and its MINIMUM field).
    """
    answers: list[str] = []
    ttls: list[int] = []
    for rrset in response.answer:
        ttls.append(rrset.ttl)
        answers += [_answer_text(rd) for rd in rrset]
    if not ttls:
        for rrset in response.authority:
            if rrset.rdtype == dns.rdatatype.SOA:
                ttls += [min(rrset.ttl, rd.minimum) for rd in rrset]
    return dns.rcode.to_text(response.rcode()), tuple(answers), (min(ttls) if ttls else None)


def query_one(server: str, fqdn: str, qtype: str, *, port: int = 53,
              timeout: float = DEFAULT_TIMEOUT) -> Actual:
    """Ask `server` one question; never raises. `server` may carry its own `:PORT`."""
    started = time.monotonic()
    try:
        ip, port = parse_server(server, port)
    except ServerError as exc:
        return Actual(error=str(exc))
    where = show_server(ip, port)
    try:
        rdtype = dns.rdatatype.from_text(qtype.upper())
        qname = dns.name.from_text(fqdn)
    except (dns.exception.DNSException, ValueError) as exc:
        return Actual(error=f"cannot ask for {fqdn!r} type {qtype!r}: {exc}")
    query = dns.message.make_query(qname, rdtype)
    used_tcp = False
    try:
        response = dns.query.udp(query, ip, timeout=timeout, port=port, ignore_unexpected=True)
        if response.flags & dns.flags.TC:
            used_tcp = True
            left = max(0.05, timeout - (time.monotonic() - started))
            response = dns.query.tcp(query, ip, timeout=left, port=port)
    except dns.exception.Timeout:
        how = " over TCP (after a truncated UDP answer)" if used_tcp else ""
        return Actual(error=f"no answer from {where}{how} within {_seconds(timeout)}",
                      latency_ms=_ms(started))
    except ConnectionRefusedError:
        return Actual(error=f"{where} refused the connection (nothing listens on port {port})",
                      latency_ms=_ms(started))
    except (EOFError, ConnectionResetError):
        return Actual(error=f"{where} closed the TCP connection without answering", latency_ms=_ms(started))
    except OSError as exc:
        return Actual(error=f"cannot reach {where}: {exc.strerror or exc}", latency_ms=_ms(started))
    except dns.exception.DNSException as exc:
        return Actual(error=f"{where} sent a reply that is not valid DNS: {exc}", latency_ms=_ms(started))
    rcode, answers, ttl = describe(response)
    return Actual(rcode=rcode, answers=answers, ttl=ttl, latency_ms=_ms(started))


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


def query_plan(server: str, queries: Iterable[tuple[str, str]], *, port: int = 53,
               timeout: float = DEFAULT_TIMEOUT, max_in_flight: int = MAX_IN_FLIGHT) -> list[Actual]:
    """Ask every (fqdn, qtype) of a plan; the answers come back in the plan's order.

    At most `max_in_flight` queries (capped at 8) are outstanding at any time.
    """
    todo = list(queries)
    if not todo:
        return []
    workers = max(1, min(int(max_in_flight), MAX_IN_FLIGHT, len(todo)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="k8snet-dns") as pool:
        futures = [pool.submit(query_one, server, name, qtype, port=port, timeout=timeout)
                   for name, qtype in todo]
        return [f.result() for f in futures]


__all__ = ["DEFAULT_TIMEOUT", "MAX_IN_FLIGHT", "QTYPES", "SERVER_ENV", "ServerError", "describe",
           "parse_server", "query_one", "query_plan", "server_override", "show_server"]

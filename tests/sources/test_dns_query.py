"""Real DNS answers: query_one / query_plan against tiny authoritative servers on 127.0.0.1.

Each server is a UDP socket (plus a TCP listener on the same port) answering from a dict, built
with dnspython. No traffic leaves the loopback interface.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rrset
import pytest

from k8snet_tui.sources.dns_query import (
    MAX_IN_FLIGHT,
    ServerError,
    parse_server,
    query_one,
    query_plan,
    server_override,
)

SOA = "ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 30"


class FakeDns:
    """An authoritative server for a dict {(name, type): behaviour}.

    A behaviour is a list of (type, rdata) answers, or one of "nxdomain", "nodata", "servfail",
    "silent" (never answers), "truncate" (UDP says TC with no answers; TCP answers in full:
    the answers come from `tcp_answers`), "slow" (answers A 192.0.2.1 after `delay` seconds).
    """

    def __init__(self, records: dict, *, delay: float = 0.0, ttl: int = 30) -> None:
        self.records = {(n.lower(), t): b for (n, t), b in records.items()}
        self.tcp_answers: dict = {}
        self.delay = delay
        self.ttl = ttl
        self.udp_seen = 0
        self.tcp_seen = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("127.0.0.1", 0))
        self.port = self.tcp.getsockname()[1]
        self.tcp.listen(16)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self._stop = False
        self._threads = [threading.Thread(target=self._serve_udp, daemon=True),
                         threading.Thread(target=self._serve_tcp, daemon=True)]
        for t in self._threads:
            t.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def close(self) -> None:
        self._stop = True
        for s in (self.udp, self.tcp):
            with contextlib.suppress(OSError):
                s.close()

    def _behaviour(self, query: dns.message.Message):
        q = query.question[0]
        return self.records.get((q.name.to_text().lower(), dns.rdatatype.to_text(q.rdtype)), "nxdomain")

    def respond(self, query: dns.message.Message, over_tcp: bool) -> dns.message.Message | None:
        q = query.question[0]
        what = self._behaviour(query)
        resp = dns.message.make_response(query)
        resp.flags |= dns.flags.AA
        if what == "silent":
            return None
        if what == "slow":
            with self._lock:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
            time.sleep(self.delay)
            with self._lock:
                self.in_flight -= 1
            what = [("A", "192.0.2.1")]
        if what == "truncate":
            if not over_tcp:
                resp.flags |= dns.flags.TC
                return resp
            what = self.tcp_answers[(q.name.to_text().lower(), dns.rdatatype.to_text(q.rdtype))]
        if what == "servfail":
            resp.set_rcode(dns.rcode.SERVFAIL)
        elif what in ("nxdomain", "nodata"):
            if what == "nxdomain":
                resp.set_rcode(dns.rcode.NXDOMAIN)
            resp.authority.append(dns.rrset.from_text("cluster.local.", 60, "IN", "SOA", SOA))
        else:
            for rtype, rdata in what:
                owner = q.name
                resp.answer.append(dns.rrset.from_text(owner, self.ttl, "IN", rtype, rdata))
        return resp

    def _serve_udp(self) -> None:
        while not self._stop:
            try:
                data, peer = self.udp.recvfrom(4096)
            except OSError:
                return
            self.udp_seen += 1
            threading.Thread(target=self._answer_udp, args=(data, peer), daemon=True).start()

    def _answer_udp(self, data: bytes, peer) -> None:
        try:
            resp = self.respond(dns.message.from_wire(data), over_tcp=False)
            if resp is not None:
                self.udp.sendto(resp.to_wire(), peer)
        except OSError:
            pass

    def _serve_tcp(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.tcp.accept()
            except OSError:
                return
            self.tcp_seen += 1
            with conn:
                try:
                    query, _ = dns.query.receive_tcp(conn, expiration=time.time() + 2)
                    resp = self.respond(query, over_tcp=True)
                    if resp is not None:
                        dns.query.send_tcp(conn, resp)
                except Exception:  # a test server: drop bad clients
                    pass


@pytest.fixture
def fake_dns():
    servers = []

    def start(records: dict, **kwargs) -> FakeDns:
        server = FakeDns(records, **kwargs)
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.close()


WEBSITE = "website.default.svc.cluster.local."


def test_a_record_answer_ttl_and_latency(fake_dns) -> None:
    srv = fake_dns({(WEBSITE, "A"): [("A", "10.111.148.30")]}, ttl=30)
    got = query_one(srv.address, WEBSITE, "A", timeout=2)
    assert got.error is None
    assert got.rcode == "NOERROR"
    assert got.answers == ("10.111.148.30",)
    assert got.ttl == 30
    assert got.latency_ms is not None and 0 <= got.latency_ms < 2000


def test_answers_as_text_for_each_type(fake_dns) -> None:
    srv = fake_dns({
        ("_http._tcp." + WEBSITE, "SRV"): [("SRV", "0 100 80 website.default.svc.cluster.local.")],
        ("30.148.111.10.in-addr.arpa.", "PTR"): [("PTR", "website.default.svc.cluster.local.")],
        ("ext.default.svc.cluster.local.", "CNAME"): [("CNAME", "example.org.")],
        ("t.example.", "TXT"): [("TXT", '"hello world"')],
        ("v6.example.", "AAAA"): [("AAAA", "fd00::1")],
    })
    assert query_one(srv.address, "_http._tcp." + WEBSITE, "SRV").answers == (
        "0 100 80 website.default.svc.cluster.local.",)
    assert query_one(srv.address, "30.148.111.10.in-addr.arpa.", "PTR").answers == (
        "website.default.svc.cluster.local.",)
    assert query_one(srv.address, "ext.default.svc.cluster.local.", "cname").answers == ("CNAME example.org.",)
    assert query_one(srv.address, "t.example.", "TXT").answers == ('"hello world"',)
    assert query_one(srv.address, "v6.example.", "AAAA").answers == ("fd00::1",)


def test_nxdomain_nodata_and_servfail_are_rcodes_not_errors(fake_dns) -> None:
    srv = fake_dns({("nodata.example.", "A"): "nodata", ("broken.example.", "A"): "servfail"})
    nx = query_one(srv.address, "website.kube-system.", "A")
    assert (nx.rcode, nx.answers, nx.error) == ("NXDOMAIN", (), None)
    assert nx.ttl == 30  # negative TTL: min(SOA TTL 60, SOA MINIMUM 30)
    nodata = query_one(srv.address, "nodata.example.", "A")
    assert (nodata.rcode, nodata.answers, nodata.error) == ("NOERROR", (), None)
    sf = query_one(srv.address, "broken.example.", "A")
    assert (sf.rcode, sf.error) == ("SERVFAIL", None)


def test_a_silent_server_is_reported_in_words_within_the_timeout(fake_dns) -> None:
    srv = fake_dns({(WEBSITE, "A"): "silent"})
    started = time.monotonic()
    got = query_one(srv.address, WEBSITE, "A", timeout=0.5)
    took = time.monotonic() - started
    assert got.rcode is None and got.answers == ()
    assert got.error == f"no answer from 127.0.0.1:{srv.port} within 0.5 s"
    assert 0.4 < took < 1.5


def test_truncated_udp_answer_is_asked_again_over_tcp(fake_dns) -> None:
    many = [("A", f"10.0.{i // 250}.{i % 250 + 1}") for i in range(60)]
    srv = fake_dns({("headless.default.svc.cluster.local.", "A"): "truncate"})
    srv.tcp_answers[("headless.default.svc.cluster.local.", "A")] = many
    got = query_one(srv.address, "headless.default.svc.cluster.local.", "A")
    assert got.error is None
    assert got.rcode == "NOERROR"
    assert len(got.answers) == 60 and set(got.answers) == {ip for _, ip in many}
    assert srv.udp_seen == 1 and srv.tcp_seen == 1


def test_plan_answers_keep_the_plan_order(fake_dns) -> None:
    srv = fake_dns({(WEBSITE, "A"): [("A", "10.111.148.30")], ("slowpoke.example.", "A"): "slow"},
                   delay=0.3)
    plan = [("slowpoke.example.", "A"), ("website.kube-system.default.svc.cluster.local.", "A"),
            (WEBSITE, "A"), (WEBSITE, "AAAA")]
    got = query_plan(srv.address, plan, timeout=2)
    assert [a.rcode for a in got] == ["NOERROR", "NXDOMAIN", "NOERROR", "NXDOMAIN"]
    assert got[0].answers == ("192.0.2.1",)
    assert got[2].answers == ("10.111.148.30",)


@pytest.mark.parametrize("asked, bound", [(4, 4), (50, MAX_IN_FLIGHT)])
def test_plan_never_has_more_than_the_bound_in_flight(fake_dns, asked, bound) -> None:
    names = {(f"n{i}.example.", "A"): "slow" for i in range(20)}
    srv = fake_dns(names, delay=0.15)
    got = query_plan(srv.address, list(names), max_in_flight=asked, timeout=3)
    assert all(a.answers == ("192.0.2.1",) for a in got)
    assert srv.max_in_flight <= bound
    assert srv.max_in_flight >= 2  # and they do run at once


def test_plan_with_a_silent_server_takes_about_one_timeout_not_one_per_query(fake_dns) -> None:
    names = [(f"n{i}.example.", "A") for i in range(6)]
    srv = fake_dns({n: "silent" for n in names})
    started = time.monotonic()
    got = query_plan(srv.address, names, timeout=0.5)
    assert time.monotonic() - started < 1.5
    assert all(a.error and "no answer from" in a.error for a in got)


def test_empty_plan_asks_nothing() -> None:
    assert query_plan("127.0.0.1:9", []) == []


def test_refused_port_and_bad_addresses_are_errors_in_words() -> None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    got = query_one(f"127.0.0.1:{port}", WEBSITE, "A", timeout=0.5)
    assert got.rcode is None and got.error
    assert f"127.0.0.1:{port}" in got.error
    assert "Traceback" not in got.error
    bad = query_one("coredns.local", WEBSITE, "A")
    assert bad.error == "'coredns.local' is not an IP address (a DNS server is asked by address)"
    assert query_one("127.0.0.1:99999", WEBSITE, "A").error.endswith("the port must be a number from 1 to 65535")
    assert query_one("127.0.0.1:5²", WEBSITE, "A").error.endswith("the port must be a number from 1 to 65535")


def test_bad_query_type_is_an_error_not_an_exception() -> None:
    got = query_one("127.0.0.1:9", WEBSITE, "NOPE")
    assert got.error and "NOPE" in got.error


@pytest.mark.parametrize("text, expected", [
    ("10.96.0.10", ("10.96.0.10", 53)),
    ("127.0.0.1:5353", ("127.0.0.1", 5353)),
    ("fd00::a", ("fd00::a", 53)),
    ("[fd00::a]:5353", ("fd00::a", 5353)),
    (" 127.0.0.1 ", ("127.0.0.1", 53)),
])
def test_parse_server(text, expected) -> None:
    assert parse_server(text) == expected


@pytest.mark.parametrize("text", ["", "example.com", "[fd00::a", "1.2.3.4:x", "[::1]x", "1.2.3.4:0"])
def test_parse_server_rejects(text) -> None:
    with pytest.raises(ServerError):
        parse_server(text)


def test_server_override_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.delenv("K8SNET_DNS_SERVER", raising=False)
    assert server_override() is None
    monkeypatch.setenv("K8SNET_DNS_SERVER", " 127.0.0.1:5353 ")
    assert server_override() == "127.0.0.1:5353"

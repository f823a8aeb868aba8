"""Hostile numbers, deep nesting and stray line breaks through every parser of node and cluster text.

`str.isdigit()` is true for `²` and `int()` reads `٣` (Arabic-Indic) and `１` (fullwidth) as 3 and 1,
so a parser that checks one way and converts the other either crashes or silently takes a number
nobody wrote. Each numeric field of each parser gets these digits and must answer with a problem
that names the line and the field, never an exception and never the number.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_services_trace import FIX, NODE, lab_cluster

from k8snet_tui.domain.datapath.backend import parse_node_datapath
from k8snet_tui.domain.datapath.chain_names import nft_chain_base
from k8snet_tui.domain.datapath.cilium import parse_cilium_services
from k8snet_tui.domain.datapath.iptables_save import parse_iptables_save
from k8snet_tui.domain.datapath.ipvsadm import parse_ipvsadm, split_host_port
from k8snet_tui.domain.datapath.nft_json import parse_nft_json, plain_value, render_expr
from k8snet_tui.domain.dns.corefile import block_summary, kubernetes_plugin, parse_corefile
from k8snet_tui.domain.dns.resolv_conf import glibc_settings, musl_settings, parse_resolv_conf
from k8snet_tui.domain.layers.kernel import read_kernel
from k8snet_tui.domain.layers.podcidrs import cluster_pod_cidrs
from k8snet_tui.domain.model import ClusterState, NodeState
from k8snet_tui.domain.numbers import decimal_prefix, parse_decimal, parse_fraction
from k8snet_tui.domain.services import trace_service
from k8snet_tui.present.serialize import to_jsonable
from k8snet_tui.probe.parse import parse_conntrack_line, save_tables

# Superscript two (isdigit, not decimal), Arabic-Indic three and fullwidth one (both decimal: int() reads them).
DIGITS = ("²", "٣", "１")
# Everything int() or float() would read that no kernel tool or Kubernetes ever prints.
NOT_ASCII_DECIMAL = DIGITS + ("1²", "٣0", "1_0", " 7", "7 ", "\t7", "+5", "-5", "0x10", "", "１２", "7\n")
UNICODE_DIGITS = "".join(chr(c) for c in range(0x110000) if chr(c).isdigit() and not chr(c).isascii())[:300]


# ---- the shared helper ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", NOT_ASCII_DECIMAL)
def test_the_helper_refuses_what_int_would_read(text):
    assert parse_decimal(text) is None
    assert parse_fraction(text) is None


def test_the_helper_reads_ascii_decimals_within_bounds():
    assert parse_decimal("0") == 0 and parse_decimal("65535", hi=65535) == 65535
    assert parse_decimal("65536", hi=65535) is None and parse_decimal("0", lo=1) is None
    assert parse_decimal("-5", signed=True) == -5 and parse_decimal("+5", signed=True) == 5
    assert parse_decimal("-", signed=True) is None and parse_decimal("-²", signed=True) is None
    assert parse_decimal("9" * 5000) is None  # int() would raise past 4300 digits; this refuses first
    assert parse_decimal(7) is None and parse_decimal(None) is None  # text only
    assert parse_fraction("0.33333333349") == pytest.approx(0.33333333349) and parse_fraction("1") == 1.0
    assert parse_fraction("0.5", hi=0.4) is None and parse_fraction("1e-3") is None and parse_fraction(".5") is None
    assert parse_fraction("nan") is None and parse_fraction("inf") is None and parse_fraction("0.٥") is None
    assert decimal_prefix("5x") == "5" and decimal_prefix("²5") == "" and decimal_prefix("12٣") == "12"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789" + UNICODE_DIGITS + "_ +-.\t", max_size=12))
def test_the_helper_accepts_exactly_ascii_digit_strings(text):
    value = parse_decimal(text)
    if text and text.isascii() and text.isdigit():
        assert value == int(text)
    else:
        assert value is None


# ---- iptables-save ------------------------------------------------------------------------------------

IPTABLES_FIELDS = [
    # (field the problem names, the line with {d} where the number goes; it is line 3 of the dump)
    ("counters", "[{d}:3] -A KUBE-X -j ACCEPT"),
    ("counters", "[3:{d}] -A KUBE-X -j ACCEPT"),
    ("--probability", "-A KUBE-X -m statistic --mode random --probability 0.{d} -j ACCEPT"),
    ("--probability", "-A KUBE-X -m statistic --mode random --probability {d} -j ACCEPT"),
    ("--dport", "-A KUBE-X -p tcp -m tcp --dport {d} -j ACCEPT"),
    ("--dport", "-A KUBE-X -p tcp -m tcp --dport 80:{d} -j ACCEPT"),
    ("--sport", "-A KUBE-X -p udp -m udp --sport {d} -j ACCEPT"),
    ("--dports", "-A KUBE-X -p tcp -m multiport --dports 80,{d} -j ACCEPT"),
    ("--seconds", "-A KUBE-X -m recent --rcheck --seconds {d} --reap --name KUBE-X --mask 255.255.255.255 --rsource -j ACCEPT"),
    ("--every", "-A KUBE-X -m statistic --mode nth --every {d} --packet 0 -j ACCEPT"),
    ("--to-destination", "-A KUBE-X -p tcp -m tcp -j DNAT --to-destination 10.0.0.1:{d}"),
    ("--to-destination", "-A KUBE-X -p tcp -m tcp -j DNAT --to-destination [fd00::1]:{d}"),
    ("--to-ports", "-A KUBE-X -p tcp -j REDIRECT --to-ports {d}"),
]


@pytest.mark.parametrize("digit", DIGITS)
@pytest.mark.parametrize("field,line", IPTABLES_FIELDS)
def test_iptables_numeric_fields_refuse_unicode_digits(field, line, digit):
    dump = parse_iptables_save(f"*nat\n:KUBE-X - [0:0]\n{line.format(d=digit)}\n-A KUBE-X -j DROP\nCOMMIT\n")
    assert [(p.line, p.field) for p in dump.problems] == [(3, field)]
    assert digit in dump.problems[0].text
    rules = dump.rules("nat", "KUBE-X")
    if field == "counters":  # unreadable counters: the line is not a rule
        assert [r.target for r in rules] == ["DROP"]
    else:  # a rule with one unreadable value is still the rule it is, in its place
        assert [r.target for r in rules][1:] == ["DROP"] and rules[0].line == 3


@pytest.mark.parametrize("digit", DIGITS + ("9" * 5000,))
def test_iptables_chain_counters_refuse_unicode_digits(digit):
    dump = parse_iptables_save(f"*nat\n:KUBE-X - [{digit}:0]\n-A KUBE-X -j DROP\nCOMMIT\n")
    assert [(p.line, p.field) for p in dump.problems] == [(2, "counters")]
    assert dump.chain("nat", "KUBE-X").packets is None and dump.rule_count == 1


def _lab_dump_with(old: str, new: str) -> str:
    text = (FIX / "lab-1.24-iptables-save.txt").read_text()
    assert old in text
    return text.replace(old, new)


@pytest.mark.parametrize("digit", DIGITS)
@pytest.mark.parametrize("old,new", [
    ("--to-destination 10.0.0.1:80", "--to-destination 10.0.0.1:{d}"),
    ("--probability 0.50000000000", "--probability 0.5{d}"),
    ("[1:60] -A KUBE-SEP-FFKEUBR5SKHPYVCQ", "[{d}:60] -A KUBE-SEP-FFKEUBR5SKHPYVCQ"),
])
def test_the_trace_over_a_dump_with_unicode_digits_does_not_fail(old, new, digit):
    node = NodeState(node=NODE, iptables={"legacy": _lab_dump_with(old, new.format(d=digit))})
    trace = trace_service(lab_cluster(), node, "default", "website")
    assert parse_node_datapath(node, lab_cluster()).problems
    for port in to_jsonable(trace)["ports"]:
        assert all(isinstance(e["port"], int) for e in port["endpoints"])
        assert all(e["port"] == 80 for e in port["endpoints"] if e["port"])


@pytest.mark.parametrize("digit,seconds", [(d, None) for d in DIGITS] + [("10800", 10800)])
def test_the_trace_reads_no_affinity_seconds_written_in_unicode_digits(digit, seconds):
    rule = ("-A KUBE-SVC-RYQJBQ5TR32XWAUN -m comment --comment \"default/website:http -> 10.0.0.1:80\" -m recent "
            f"--rcheck --seconds {digit} --reap --name KUBE-SEP-FFKEUBR5SKHPYVCQ --mask 255.255.255.255 --rsource "
            "-j KUBE-SEP-FFKEUBR5SKHPYVCQ\n")
    text = (FIX / "lab-1.24-iptables-save.txt").read_text()
    at = text.index("[0:0] -A KUBE-SVC-RYQJBQ5TR32XWAUN")
    node = NodeState(node=NODE, iptables={"legacy": text[:at] + rule + text[at:]})
    (port,) = trace_service(lab_cluster(), node, "default", "website").ports
    assert port.affinity_seconds == seconds


@pytest.mark.parametrize("digit", DIGITS)
def test_split_host_port_refuses_unicode_digits(digit):
    assert split_host_port(f"10.0.0.1:{digit}") is None and split_host_port(f"[::1]:8{digit}") is None
    assert split_host_port("10.0.0.1:65536") is None and split_host_port("10.0.0.1:80") == ("10.0.0.1", 80)


# ---- line breaks other than \n are data inside a rule --------------------------------------------------

ODD_BREAKS = ("\u2028", "\u2029", "\x85", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e")


@pytest.mark.parametrize("brk", ODD_BREAKS)
def test_a_rule_whose_comment_holds_a_line_break_stays_one_rule(brk):
    text = (f"*nat\n:KUBE-X - [0:0]\n[1:2] -A KUBE-X -m comment --comment \"a{brk}b\" -j KUBE-SEP-A\n"
            f"-A KUBE-X -m comment --comment a{brk}b -j KUBE-SEP-B\n-A KUBE-X -j DROP\nCOMMIT\n")
    dump = parse_iptables_save(text)
    assert dump.problems == ()
    rules = dump.rules("nat", "KUBE-X")
    assert [(r.index, r.line, r.target) for r in rules] == [(1, 3, "KUBE-SEP-A"), (2, 4, "KUBE-SEP-B"), (3, 5, "DROP")]
    assert rules[0].comment == f"a{brk}b" and rules[1].comment == f"a{brk}b"
    assert rules[0].packets == 1 and rules[0].text.endswith("-j KUBE-SEP-A")
    assert dump.line_count == 6
    # The same dump handed over line by line reads the same.
    assert parse_iptables_save(text.split("\n")).rules("nat", "KUBE-X") == rules


def test_a_windows_line_ending_is_not_part_of_the_rule():
    dump = parse_iptables_save("*nat\r\n:KUBE-X - [0:0]\r\n-A KUBE-X -j DROP\r\nCOMMIT\r\n")
    assert dump.problems == () and [r.text for r in dump.rules("nat", "KUBE-X")] == ["-A KUBE-X -j DROP"]


def test_the_trace_keeps_an_endpoint_whose_comment_holds_a_line_separator():
    text = _lab_dump_with('--comment "default/website:http -> 10.0.0.1:80"',
                          '--comment "default/website:http\u2028\x85\r -> 10.0.0.1:80"')
    node = NodeState(node=NODE, iptables={"legacy": text})
    (port,) = to_jsonable(trace_service(lab_cluster(), node, "default", "website"))["ports"]
    assert [e["address"] for e in port["endpoints"]] == ["10.0.0.177", "10.0.0.1", "10.0.0.202"]
    assert [e["probability"] for e in port["endpoints"]] == ["0.33333333349", "0.50000000000", None]


def test_the_probe_counts_rules_split_on_newlines_only():
    text = "*nat\n:KUBE-X - [0:0]\n[0:0] -A KUBE-X -m comment --comment \"a\u2028-A KUBE-X\" -j DROP\nCOMMIT\n"
    assert save_tables(text) == {"nat": {"KUBE-X": 1}}
    assert save_tables("*nat\n:KUBE-X - [0:0]\n[٣:0] -A KUBE-X -j DROP\nCOMMIT\n") == {"nat": {"KUBE-X": 0}}


def _scratch_netns():
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs root and ip(8) to make a scratch network namespace")
    name = f"k8snet-ph-{uuid.uuid4().hex[:8]}"
    if subprocess.run(["ip", "netns", "add", name], capture_output=True).returncode:
        pytest.skip("cannot create network namespaces here")
    return name


@pytest.mark.root
@pytest.mark.parametrize("tool", ["iptables", "iptables-legacy"])
def test_a_real_dump_whose_comment_holds_line_breaks_traces_every_endpoint(tool):
    """The real iptables-restore/-save carry U+2028, U+0085 and \\r inside a comment unchanged: so must we."""
    if shutil.which(f"{tool}-restore") is None:
        pytest.skip(f"{tool}-restore is not installed")
    comment = "default/website:http\u2028\x85\r -> 10.0.0.1:80"
    text = _lab_dump_with('--comment "default/website:http -> 10.0.0.1:80"', f'--comment "{comment}"')
    ns = _scratch_netns()
    try:
        def run(*argv: str, stdin: bytes | None = None) -> bytes:
            return subprocess.run(["ip", "netns", "exec", ns, *argv], input=stdin, capture_output=True,
                                  check=True, timeout=60).stdout

        run(f"{tool}-restore", "-c", stdin=text.encode())
        saved = run(f"{tool}-save", "-c", "-t", "nat").decode("utf-8", "replace")
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    assert comment in saved  # the kernel tool kept the bytes, so the test is about our reading
    dump = parse_iptables_save(saved, "legacy")
    assert dump.problems == ()
    svc = dump.rules("nat", "KUBE-SVC-RYQJBQ5TR32XWAUN")
    assert [r.comment for r in svc].count(comment) == 1 and len(svc) == 4  # masquerade mark + 3 endpoints
    node = NodeState(node=NODE, iptables={"legacy": saved})
    (port,) = to_jsonable(trace_service(lab_cluster(), node, "default", "website"))["ports"]
    assert [e["address"] for e in port["endpoints"]] == ["10.0.0.177", "10.0.0.1", "10.0.0.202"]


# ---- ipvsadm ------------------------------------------------------------------------------------------

IPVS_FIELDS = [
    # (line number of the problem, field, text)
    (1, "virtual service", "TCP  10.96.0.1:{d} rr\n"),
    (1, "virtual service", "TCP  [fd00::1]:{d} rr\n"),
    (1, "virtual service", "FWM  {d} rr\n"),
    (1, "persistent", "TCP  10.96.0.1:443 rr persistent {d}\n"),
    (2, "real server", "TCP  10.96.0.1:443 rr\n  -> 10.0.0.2:{d}  Masq 1 0 0\n"),
    (2, "real server", "TCP  10.96.0.1:443 rr\n  -> 10.0.0.2:80  Masq {d} 0 0\n"),
    (2, "real server", "TCP  10.96.0.1:443 rr\n  -> 10.0.0.2:80  Masq 1 {d} 0\n"),
    (2, "real server", "TCP  10.96.0.1:443 rr\n  -> 10.0.0.2:80  Masq 1 0 {d}\n"),
]


@pytest.mark.parametrize("digit", DIGITS)
@pytest.mark.parametrize("line,field,text", IPVS_FIELDS)
def test_ipvsadm_numeric_fields_refuse_unicode_digits(line, field, text, digit):
    table = parse_ipvsadm(text.format(d=digit))
    assert [(p.line, p.field) for p in table.problems] == [(line, field)]
    for vs in table.services:
        assert isinstance(vs.port, int) and all(isinstance(r.weight, int) for r in vs.real_servers)
        assert vs.persistent is None or isinstance(vs.persistent, int)


def test_ipvsadm_splits_on_newlines_only():
    table = parse_ipvsadm("TCP  10.96.0.1:443 rr\u2028x\n  -> 10.0.0.2:80  Masq\x85 1 0 0\n")
    assert table.problems == () and [len(vs.real_servers) for vs in table.services] == [1]
    assert table.services[0].scheduler == "rr\u2028x" and table.services[0].real_servers[0].forward == "Masq\x85"


# ---- cilium -------------------------------------------------------------------------------------------


def _cilium(fe_port=80, be_port=8080, sid=7, weight=1):
    return [{"spec": {"id": sid, "frontend-address": {"ip": "10.96.0.1", "port": fe_port, "protocol": "TCP"},
                      "backend-addresses": [{"ip": "10.0.0.2", "port": be_port, "weight": weight}],
                      "flags": {"type": "ClusterIP", "namespace": "default", "name": "x"}}}]


_CILIUM_BAD = DIGITS + ("-1", "1_0", True, 1.5, -1)


@pytest.mark.parametrize("field,bad", [(f, b) for f in ("frontend-address", "backend-addresses", "id", "weight")
                                       for b in _CILIUM_BAD + (("70000", 70000) if "-" in f else ())])
def test_cilium_numeric_fields_refuse_unicode_digits(field, bad):
    kw = {"frontend-address": "fe_port", "backend-addresses": "be_port", "id": "sid", "weight": "weight"}[field]
    out = parse_cilium_services(_cilium(**{kw: bad}))
    assert [(p.line, p.field) for p in out.problems] == [(0, field)]
    for svc in out.services:
        assert isinstance(svc.port, int) and (svc.id is None or isinstance(svc.id, int))
        assert all(isinstance(b.port, int) and (b.weight is None or isinstance(b.weight, int)) for b in svc.backends)


def test_cilium_reads_decimal_strings_and_numbers():
    (svc,) = parse_cilium_services(_cilium(fe_port="80", be_port=8080, sid="12", weight="3")).services
    assert (svc.port, svc.id, svc.backends[0].port, svc.backends[0].weight) == (80, 12, 8080, 3)


# ---- nft JSON: nesting bounded, no number taken from text -------------------------------------------------


def _deep(depth: int, leaf=1):
    value = leaf
    for _ in range(depth):
        value = {"concat": [value, 2]}
    return value


@pytest.mark.parametrize("depth", [50, 990, 5000])
def test_nft_walkers_stop_descending_at_their_limit(depth):
    deep = _deep(depth)
    assert len(render_expr(deep)) < 20000 and plain_value(deep) is not None
    doc = {"nftables": [{"table": {"family": "ip", "name": "kube-proxy"}},
                        {"map": {"family": "ip", "table": "kube-proxy", "name": "m", "map": "verdict",
                                 "elem": [[deep, {"goto": {"target": "x"}}]]}},
                        {"rule": {"family": "ip", "table": "kube-proxy", "chain": "c", "handle": "٣",
                                  "expr": [{"match": {"left": deep, "right": deep}}]}},
                        {"chain": {"family": "ip", "table": "kube-proxy", "name": "c", "x": [deep]}},
                        [deep]]}
    rs = parse_nft_json(doc)
    assert rs.chain("ip", "kube-proxy", "c").rules[0].handle is None
    assert len(rs.set("ip", "kube-proxy", "m").elements) == 1
    assert all(len(p.text) <= 200 for p in rs.problems)
    svc_chain = "service-" + nft_chain_base("default", "website", "tcp", "http")
    rule = {"rule": {"family": "ip", "table": "kube-proxy", "chain": svc_chain,
                     "expr": [{"vmap": {"key": deep, "data": deep}}, {"dnat": {"addr": {"map": {"key": deep, "data": deep}}}}]}}
    node = NodeState(node=NODE, nft_ruleset={"nftables": doc["nftables"] + [rule]})
    to_jsonable(trace_service(lab_cluster(), node, "default", "website"))


# ---- resolv.conf --------------------------------------------------------------------------------------


@pytest.mark.parametrize("digit", DIGITS)
@pytest.mark.parametrize("name,default", [("ndots", 1), ("timeout", 5), ("attempts", 2)])
def test_resolv_conf_numeric_options_refuse_unicode_digits(name, default, digit):
    rc = parse_resolv_conf(f"nameserver 10.96.0.10\noptions {name}:{digit}\n")
    assert [(p.line, name in p.reason) for p in rc.problems] == [(2, True)]
    for settings_ in (glibc_settings(rc), musl_settings(rc)):
        assert getattr(settings_, name) == default
    assert rc.to_json()["options"][name] == digit  # kept as written, not read as a number
    # musl and glibc read the leading ASCII digits of `5²` as 5; so do we.
    rc = parse_resolv_conf(f"options {name}:1{digit}\n")
    assert glibc_settings(rc).__getattribute__(name) == musl_settings(rc).__getattribute__(name) == 1


def test_resolv_conf_splits_on_newlines_only():
    """glibc and musl read lines up to \\n and words up to a blank: U+2028 and U+0085 are data."""
    rc = parse_resolv_conf("nameserver 10.96.0.10\u2028nameserver 1.1.1.1\nsearch a\x85b\r\n")
    assert len(rc.entries) == 2 and {p.line for p in rc.problems} == {1}
    assert rc.nameservers == ("10.96.0.10\u2028nameserver",)  # one odd address, not a second nameserver
    assert glibc_settings(rc).nameservers == ("127.0.0.1",) and rc.search == ("a\x85b",)


# ---- Corefile -----------------------------------------------------------------------------------------

COREFILE_FIELDS = [
    ("server key", ".:{d} {{\n  forward . 1.1.1.1\n}}\n", 1),
    ("server key", "[::1]:5{d} {{\n  forward . 1.1.1.1\n}}\n", 1),
    ("server key", "dns://cluster.local:{d} {{\n  forward . 1.1.1.1\n}}\n", 1),
    ("ttl", ".:53 {{\n  kubernetes cluster.local {{\n    ttl {d}\n  }}\n}}\n", 3),
    ("cache", ".:53 {{\n  cache {d}\n}}\n", 2),
]


@pytest.mark.parametrize("digit", DIGITS)
@pytest.mark.parametrize("field,text,line", COREFILE_FIELDS)
def test_corefile_numeric_fields_refuse_unicode_digits(field, text, line, digit):
    cf = parse_corefile(text.format(d=digit))
    assert [p.line for p in cf.problems if field in p.reason] == [line], cf.problems
    for block in cf.blocks:
        summary = block_summary(block)
        assert summary["cache"] in (None, 3600)  # a first argument that is no number is a zone
        k8s = kubernetes_plugin(block)
        assert k8s is None or k8s.ttl == 5
        assert all(isinstance(z.port, int) for z in block.zones)


@pytest.mark.parametrize("depth", [9, 1200, 20000])
def test_a_deep_corefile_records_one_problem_and_stops_descending(depth):
    text = ".:53 {\n" + "".join(f"  a{i} {{\n" for i in range(depth)) + "  }\n" * depth + "  forward . 1.1.1.1\n}\n"
    cf = parse_corefile(text)
    assert [p.reason for p in cf.problems] == ["blocks nested more than 8 deep: the inner blocks are skipped"]
    (block,) = cf.blocks
    assert [d.name for d in block.directives] == ["a0", "forward"]  # the rest of the file is still read
    cf.to_json()
    levels, d = 0, block.directives[0]
    while d.block:
        d, levels = d.block[0], levels + 1
    assert levels < 10


# ---- pod CIDR sizes, kernel JSON, conntrack ----------------------------------------------------------------


def _cm(data):
    return {"kind": "ConfigMap", "metadata": {"namespace": "kube-system", "name": "cilium-config"}, "data": data}


@pytest.mark.parametrize("digit", DIGITS)
def test_pod_cidr_mask_sizes_refuse_unicode_digits(digit):
    kcm = {"kind": "Pod", "metadata": {"namespace": "kube-system", "name": "kube-controller-manager-n1",
                                       "labels": {"component": "kube-controller-manager"}},
           "spec": {"containers": [{"command": ["kube-controller-manager", "--cluster-cidr=10.244.0.0/16",
                                                f"--node-cidr-mask-size=2{digit}"]}]}}
    cluster = ClusterState.from_objects([_cm({"cluster-pool-ipv4-cidr": "10.0.0.0/8",
                                              "cluster-pool-ipv4-mask-size": digit}), kcm])
    facts = cluster_pod_cidrs(cluster)
    assert len(facts) == 2 and all(f.per_node_mask is None for f in facts)
    assert all("not a whole number" in f.note and digit in f.note for f in facts)
    for f in facts:
        f.to_json()


def test_kernel_json_takes_no_number_from_text():
    state = NodeState(node="n", links=({"ifindex": "٣", "ifname": "eth0", "mtu": "１500", "link_index": "²"},),
                      addresses=({"ifindex": 1, "ifname": "eth0", "addr_info": [{"local": "10.0.0.1", "prefixlen": "٣"}]},),
                      routes=({"dst": "10.0.0.0/٣", "dev": "eth0", "metric": "²"},))
    kernel = read_kernel(state)
    for iface in kernel.interfaces:
        assert iface.mtu is None and iface.peer_ifindex is None


@pytest.mark.parametrize("digit", DIGITS)
def test_conntrack_lines_refuse_unicode_digits(digit):
    good = ("ipv4 2 tcp 6 119 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=5000 dport=80 "
            "src=10.0.0.2 dst=10.0.0.1 sport=80 dport=5000")
    assert parse_conntrack_line(good)["orig_dport"] == 80
    assert parse_conntrack_line(good.replace(" 6 119", f" {digit} 119")) is None
    assert parse_conntrack_line(good.replace(" 119 ", f" 1{digit} ")) is None
    entry = parse_conntrack_line(good.replace("dport=80", f"dport={digit}"))
    assert entry["orig_dport"] == digit  # kept as the text it is, never read as a number
    assert parse_conntrack_line(good.replace("dport=80", "dport=1_0"))["orig_dport"] == "1_0"


# ---- hypothesis: the parsers over unicode-digit alphabets --------------------------------------------------

_NUMBERISH = st.text(alphabet="0123456789" + UNICODE_DIGITS[:60] + ":._-", min_size=1, max_size=8)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([f[1] for f in IPTABLES_FIELDS] + [":KUBE-X - [{d}:{d}]"]), _NUMBERISH),
                max_size=8))
def test_iptables_with_any_digits_never_raises(lines):
    text = "*nat\n:KUBE-X - [0:0]\n" + "\n".join(t.replace("{d}", n) for t, n in lines) + "\nCOMMIT\n"
    dump = parse_iptables_save(text)
    for p in dump.problems:
        assert p.line >= 3 and p.field
    for r in dump.rules("nat", "KUBE-X"):
        assert r.packets is None or isinstance(r.packets, int)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([f[2] for f in IPVS_FIELDS]), _NUMBERISH), max_size=6))
def test_ipvsadm_with_any_digits_never_raises(parts):
    table = parse_ipvsadm("".join(t.replace("{d}", n) for t, n in parts))
    for vs in table.services:
        assert isinstance(vs.port, int)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["ndots", "timeout", "attempts", "rotate"]), max_size=4), st.lists(_NUMBERISH, max_size=4))
def test_resolv_conf_with_any_digits_never_raises(names, values):
    rc = parse_resolv_conf("options " + " ".join(f"{n}:{v}" for n, v in zip(names, values, strict=False)) + "\n")
    rc.to_json()
    for s in (glibc_settings(rc), musl_settings(rc)):
        assert all(isinstance(x, int) for x in (s.ndots, s.timeout, s.attempts))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([f[1] for f in COREFILE_FIELDS]), _NUMBERISH)
def test_corefile_with_any_digits_never_raises(template, number):
    cf = parse_corefile(template.replace("{d}", number).replace("{{", "{").replace("}}", "}"))
    for b in cf.blocks:
        block_summary(b), kubernetes_plugin(b)


@settings(max_examples=200, deadline=None)
@given(st.one_of(_NUMBERISH, st.integers(), st.booleans(), st.floats()), st.sampled_from(list(range(4))))
def test_cilium_with_any_digits_never_raises(value, which):
    kw = [{"fe_port": value}, {"be_port": value}, {"sid": value}, {"weight": value}][which]
    parse_cilium_services(_cilium(**kw))


# ---- the other readers of numbers in text: routes, reverse names, probabilities ---------------------------


@pytest.mark.parametrize("digit", DIGITS)
def test_route_readers_refuse_unicode_digits(digit):
    from k8snet_tui.domain.datapath.balance import explain, parse_probability
    from k8snet_tui.domain.dns.names import address_from_reverse
    from k8snet_tui.domain.routes.emissary import parse_service
    from k8snet_tui.domain.routes.ingress import _backend_ref
    from k8snet_tui.domain.routes.urls import UrlError, parse_url

    with pytest.raises(UrlError, match="port"):
        parse_url(f"http://example.com:8{digit}/")
    assert parse_url("http://example.com:8080/").port == 8080
    ref = parse_service(f"web.default:{digit}", "default")
    assert ref.name == "" and ref.external  # not a port: the text names something outside
    assert parse_service("web.default:8080", "default").port == 8080
    assert _backend_ref("default", {"serviceName": "web", "servicePort": f"8{digit}"}).port == f"8{digit}"
    assert _backend_ref("default", {"serviceName": "web", "servicePort": "80"}).port == 80
    assert address_from_reverse(f"{digit}.0.0.10.in-addr.arpa.") is None
    assert address_from_reverse("1.0.0.10.in-addr.arpa.") == "10.0.0.1"
    assert parse_probability(f"0.{digit}") is None and parse_probability("0.50000000000") == 0.5
    assert "unreadable probability" in explain([f"0.{digit}", None])


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789" + UNICODE_DIGITS[:40] + "_ +-", max_size=8),
       st.text(alphabet="0123456789" + UNICODE_DIGITS[:40] + "_ +-", max_size=8))
def test_the_pair_reader_follows_the_same_rule(first, second):
    from k8snet_tui.domain.numbers import parse_decimal_pair

    one, two = parse_decimal(first), parse_decimal(second)
    assert parse_decimal_pair(f"{first}:{second}", ":") == (None if one is None or two is None else (one, two))


def test_kubelet_config_lines_end_at_newlines_only():
    from k8snet_tui.domain.dns.kubelet import parse_kubelet_config

    ips, domain = parse_kubelet_config("kind: KubeletConfiguration\r\nclusterDomain: a\u2028clusterDNS: [9.9.9.9]\r\n"
                                       "clusterDNS:\n- 10.96.0.10\n")
    assert domain == "a\u2028clusterDNS: [9.9.9.9]" and ips == ("10.96.0.10",)

"""Address classification and binary prefix breakdowns (k8snet_tui.domain.layers.cidr)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from k8snet_tui.domain.layers import cidr


@pytest.mark.parametrize(
    "address, kind",
    [
        ("10.0.0.128", cidr.RFC1918),
        ("172.31.24.84", cidr.RFC1918),
        ("172.32.0.1", cidr.PUBLIC),  # just past 172.16.0.0/12
        ("172.15.255.255", cidr.PUBLIC),
        ("192.168.1.1", cidr.RFC1918),
        ("100.64.0.1", cidr.CGNAT),
        ("100.127.255.254", cidr.CGNAT),
        ("100.128.0.1", cidr.PUBLIC),
        ("169.254.169.254", cidr.LINK_LOCAL),
        ("127.0.0.1", cidr.LOOPBACK),
        ("224.0.0.251", cidr.MULTICAST),
        ("18.185.35.194", cidr.PUBLIC),
        ("198.18.3.4", cidr.RESERVED),
        ("192.0.2.2", cidr.RESERVED),
        ("0.0.0.0", cidr.UNSPECIFIED),
        ("255.255.255.255", cidr.BROADCAST),
        ("fd00::2", cidr.ULA),
        ("fe80::fc:ff:fe00:1", cidr.LINK_LOCAL),
        ("fe80::1%eth0", cidr.LINK_LOCAL),
        ("::1", cidr.LOOPBACK),
        ("2600:1f18::1", cidr.PUBLIC),
        ("2001:db8::1", cidr.RESERVED),
        ("ff02::1", cidr.MULTICAST),
        ("::ffff:10.1.2.3", cidr.RFC1918),
        ("10.0.0.5/24", cidr.RFC1918),
        ("not-an-ip", cidr.INVALID),
        ("", cidr.INVALID),
        (None, cidr.INVALID),
        (17, cidr.INVALID),
    ],
)
def test_classify_address(address, kind):
    assert cidr.classify_address(address) == kind


def test_every_kind_has_words():
    kinds = {v for k, v in vars(cidr).items() if k.isupper() and isinstance(v, str) and k != "KIND_WORDS"}
    assert kinds <= set(cidr.KIND_WORDS)


def test_lab_service_range_in_binary():
    # The lab writes 10.96.0.0 as 0000 1010 / 0110 0000 / 0000 0000 / 0000 0000 with 12 network bits.
    b = cidr.binary_breakdown("10.96.0.0/12")
    assert [g.bits for g in b.groups] == ["00001010", "01100000", "00000000", "00000000"]
    assert [g.network_bits for g in b.groups] == [8, 4, 0, 0]
    assert b.lines()[1] == "0110|0000"
    assert (b.first, b.last, b.size) == ("10.96.0.0", "10.111.255.255", 2**20)


def test_lab_service_ip_is_inside_the_range():
    b = cidr.binary_breakdown("10.111.148.30", within="10.96.0.0/12")
    assert [g.bits for g in b.groups] == ["00001010", "01101111", "10010100", "00011110"]
    assert b.inside is True
    assert cidr.binary_breakdown("10.112.0.1", within="10.96.0.0/12").inside is False


def test_breakdown_rejects_garbage_and_family_mismatch():
    assert cidr.binary_breakdown("10.0.0.0/33") is None
    assert cidr.binary_breakdown("10.0.0.1", within="fd00::/8") is None
    assert cidr.binary_breakdown(["10.0.0.1"]) is None


def test_ipv6_breakdown_uses_hextets():
    b = cidr.binary_breakdown("fd00::/8")
    assert len(b.groups) == 8
    assert b.groups[0].bits == "1111110100000000"
    assert b.groups[0].network_bits == 8
    assert b.to_json()["groups"][0]["value"] == 0xFD00


def test_prefix_helpers():
    assert cidr.prefix_contains("10.0.0.0/8", "10.0.3.0/24")
    assert not cidr.prefix_contains("10.0.3.0/24", "10.0.0.0/8")
    assert not cidr.prefix_contains("10.0.0.0/8", "fd00::1")
    assert cidr.prefix_contains("default", "8.8.8.8")
    assert cidr.subnet_count("10.0.0.0/8", 24) == 65536
    assert cidr.subnet_count("10.0.0.0/8", 7) == 0
    assert cidr.prefix_size("10.96.0.0/12") == 1048576
    assert cidr.first_containing("10.244.1.9", ["10.244.0.0/24", "10.244.1.0/24"]) == "10.244.1.0/24"


@given(st.integers(0, 2**32 - 1), st.integers(0, 32))
def test_breakdown_bits_spell_the_address(value, prefixlen):
    address = str(ipaddress.IPv4Address(value))
    b = cidr.binary_breakdown(f"{address}/{prefixlen}")
    assert int("".join(g.bits for g in b.groups), 2) == value
    assert sum(g.network_bits for g in b.groups) == prefixlen
    assert ipaddress.ip_address(b.first) <= ipaddress.ip_address(address) <= ipaddress.ip_address(b.last)


@given(st.integers(0, 2**32 - 1))
def test_ipv4_classification_agrees_with_the_rfc_ranges(value):
    addr = ipaddress.IPv4Address(value)
    kind = cidr.classify_address(str(addr))
    rfc1918 = any(addr in ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
    assert (kind == cidr.RFC1918) == rfc1918
    assert (kind == cidr.CGNAT) == (addr in ipaddress.ip_network("100.64.0.0/10"))
    if kind == cidr.PUBLIC:
        assert addr.is_global


@given(st.text(max_size=60))
def test_classify_never_raises(text):
    assert cidr.classify_address(text) in cidr.KIND_WORDS
    cidr.binary_breakdown(text)
    cidr.parse_prefix(text)


@given(st.integers(0, 2**128 - 1))
def test_ipv6_classification_is_total(value):
    addr = ipaddress.IPv6Address(value)
    kind = cidr.classify_address(str(addr))
    assert kind in cidr.KIND_WORDS and kind != cidr.INVALID
    if kind == cidr.ULA:
        assert addr in ipaddress.ip_network("fc00::/7")

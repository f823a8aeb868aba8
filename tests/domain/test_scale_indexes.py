"""The indexes and pre-parsed lookups that make the domain fast at cluster scale give exactly the
answers of the plain scans they replace (never timings)."""

from __future__ import annotations

import random

from k8snet_tui.domain.layers import cidr

_PREFIXES = [
    "10.244.1.0/24", "10.244.0.0/16", "10.244.1.0/24", "not a cidr", "10.0.0.5/24", "fd00:10:244::/56",
    "fd00::/8", "default", "192.168.0.0/16", "10.244.1.128/25", "fe80::/10%eth0", 7, None, "2001:db8::1",
]
_ITEMS = [
    "10.244.1.7", "10.244.1.200", "10.244.9.1", "10.1.2.3", "10.0.0.77", " 10.0.0.1 ", "192.168.4.4",
    "fd00:10:244::5", "fd00:1::1", "2001:db8::1", "2001:db8::2", "10.244.1.0/24", "10.244.0.0/15",
    "10.244.1.128/26", "default", "fe80::1%eth0", "", "garbage", "300.1.1.1", None, 12, "::ffff:10.244.1.7",
]


def test_prefix_matcher_agrees_with_first_containing() -> None:
    rng = random.Random(8)
    for _ in range(200):
        prefixes = rng.sample(_PREFIXES, rng.randint(0, len(_PREFIXES)))
        matcher = cidr.PrefixMatcher(prefixes)
        for item in _ITEMS:
            assert matcher.first(item) == cidr.first_containing(item, prefixes), (item, prefixes)


def test_prefix_matcher_random_v4() -> None:
    rng = random.Random(80)
    prefixes = [f"10.{rng.randint(0, 3)}.{rng.randint(0, 255)}.0/{rng.choice((16, 20, 24, 26))}" for _ in range(60)]
    matcher = cidr.PrefixMatcher(prefixes)
    for _ in range(2000):
        item = f"10.{rng.randint(0, 3)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}"
        assert matcher.first(item) == cidr.first_containing(item, prefixes)

"""The mesh rule walker on Istio's own expected outputs.

Istio's istio-iptables keeps, for each configuration its tests try, the exact rules it writes:
tools/istio-iptables/pkg/capture/testdata/<case>.golden in the istio.io/istio module (the
configurations are in capture/run_test.go, getCommonTestCases). Those files are read here from
the Go module cache, where tests/cluster/build.sh puts the module (gobuild/istio/go.mod pins it);
each expectation below comes from the case's configuration as run_test.go states it, never from
the golden's text.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from k8snet_tui.domain.datapath.iptables_save import parse_iptables_save
from k8snet_tui.domain.mesh.layout import read_layout
from k8snet_tui.domain.mesh.walk import inbound_packet, outbound_packet, walk

PIN = "v0.0.0-20260827124520-eed52ebb66ad"  # tests/cluster/gobuild/istio/go.mod
POD = "10.244.1.7"


def _testdata() -> Path | None:
    root = os.environ.get("GOMODCACHE")
    if not root:
        try:
            root = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True,
                                  timeout=20, check=False).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return None
    d = Path(root) / f"istio.io/istio@{PIN}/tools/istio-iptables/pkg/capture/testdata"
    return d if d.is_dir() else None


TESTDATA = _testdata()
pytestmark = pytest.mark.skipif(TESTDATA is None, reason="istio.io/istio is not in the Go module cache "
                                "(tests/cluster/build.sh fetches it)")


def golden_v4(case: str) -> str:
    """The IPv4 nat (and other) tables of a golden, as iptables-save would print them: the golden
    is iptables-restore input (`-N CHAIN` declarations) between the commands the dry run logs."""
    assert TESTDATA is not None
    out: list[str] = []
    tables_seen: set[str] = set()
    for line in (TESTDATA / f"{case}.golden").read_text().splitlines():
        if line.startswith("* "):
            name = line[2:].strip()
            if name in tables_seen:  # the second block of a table is the IPv6 one
                break
            tables_seen.add(name)
            out.append(f"*{name}")
        elif line.startswith("-N "):
            out.append(f":{line[3:].strip()} - [0:0]")
        elif line.startswith("-A ") or line == "COMMIT":
            out.append(line)
    return "\n".join(out) + "\n"


def out_verdict(case: str, dst: str, port: int, uid: int = 0, gid: int | None = None) -> tuple[str, int | None]:
    w = walk(parse_iptables_save(golden_v4(case)), outbound_packet(dst, port, uid=uid, gid=gid, pod_ips=(POD,)))
    return w.verdict, w.port


def in_verdict(case: str, port: int) -> tuple[str, int | None]:
    w = walk(parse_iptables_save(golden_v4(case)), inbound_packet(POD, port, "10.244.2.9"), start="PREROUTING")
    return w.verdict, w.port


def test_ipnets_redirects_only_the_included_range():
    # run_test.go "ipnets": OutboundIPRangesInclude = "10.0.0.0/8"
    assert out_verdict("ipnets", "10.96.0.10", 80) == ("redirect", 15001)
    assert out_verdict("ipnets", "10.1.2.3", 5432) == ("redirect", 15001)
    assert out_verdict("ipnets", "192.168.1.1", 80) == ("out", None)
    # the proxy's own uid and gid (1337) are never redirected
    assert out_verdict("ipnets", "10.1.2.3", 80, uid=1337) == ("out", None)
    assert out_verdict("ipnets", "10.1.2.3", 80, uid=5, gid=1337) == ("out", None)
    lay = read_layout(parse_iptables_save(golden_v4("ipnets")))
    assert (lay.mesh, lay.outbound_port, lay.inbound_port) == ("istio", 15001, 15006)
    assert lay.included_cidrs == ("10.0.0.0/8",)
    assert "1337" in lay.excluded_uids and "1337" in lay.excluded_gids
    assert lay.other_rules == () and lay.findings == ()


def test_ip_range_excludes_then_includes_and_extra_uids_gids():
    # "ip-range": exclude 1.1.0.0/16, include 9.9.0.0/16, ProxyUID "3,4", ProxyGID "1,2", DNS on
    assert out_verdict("ip-range", "9.9.3.4", 443, uid=7, gid=7) == ("redirect", 15001)
    assert out_verdict("ip-range", "1.1.3.4", 443, uid=7, gid=7) == ("out", None)
    assert out_verdict("ip-range", "8.8.8.8", 443, uid=7, gid=7) == ("out", None)
    for uid, gid in ((3, 7), (4, 7), (7, 1), (7, 2)):
        assert out_verdict("ip-range", "9.9.3.4", 443, uid=uid, gid=gid) == ("out", None)
    # DNS to the resolver the case names goes to the agent's DNS port
    assert out_verdict("ip-range", "127.0.0.53", 53, uid=7, gid=7) == ("redirect", 15053)
    lay = read_layout(parse_iptables_save(golden_v4("ip-range")))
    assert lay.excluded_cidrs == ("1.1.0.0/16",) and lay.included_cidrs == ("9.9.0.0/16",)
    assert set(lay.excluded_uids) == {"3", "4"} and set(lay.excluded_gids) == {"1", "2"}
    assert lay.dns_port == 15053


def test_outbound_ports_include_takes_those_ports_anywhere():
    # "outbound-ports-include": OutboundPortsInclude = "32000,31000", no CIDR included
    assert out_verdict("outbound-ports-include", "203.0.113.9", 32000) == ("redirect", 15001)
    assert out_verdict("outbound-ports-include", "203.0.113.9", 31000) == ("redirect", 15001)
    assert out_verdict("outbound-ports-include", "203.0.113.9", 80) == ("out", None)
    lay = read_layout(parse_iptables_save(golden_v4("outbound-ports-include")))
    assert set(lay.included_out_ports) == {"32000", "31000"}


def test_empty_redirects_nothing_outbound_and_nothing_inbound():
    # "empty": the zero configuration includes no CIDR and no inbound port
    assert out_verdict("empty", "10.0.0.1", 80) == ("out", None)
    assert in_verdict("empty", 80) == ("out", None)


def test_inbound_ports_include_and_wildcard():
    # "inbound-ports-include": InboundPortsInclude = "32000,31000"; "inbound-ports-wildcard": "*"
    assert in_verdict("inbound-ports-include", 32000) == ("redirect", 15006)
    assert in_verdict("inbound-ports-include", 8080) == ("out", None)
    assert in_verdict("inbound-ports-wildcard", 8080) == ("redirect", 15006)
    # 15008 (HBONE) is always left to the proxy itself
    assert in_verdict("inbound-ports-wildcard", 15008) == ("out", None)
    lay = read_layout(parse_iptables_save(golden_v4("inbound-ports-include")))
    assert set(lay.inbound_ports) == {"32000", "31000"}


def test_owner_group_by_name_is_unknown_not_guessed():
    # "outbound-owner-groups-exclude": OwnerGroupsExclude = "888,ftp": a group given by name
    # has its number in the pod's image, so a connection by another group cannot be judged
    assert out_verdict("outbound-owner-groups-exclude", "10.0.0.1", 80, uid=5, gid=888) == ("out", None)
    w = walk(parse_iptables_save(golden_v4("outbound-owner-groups-exclude")),
             outbound_packet("10.0.0.1", 80, uid=5, gid=5, pod_ips=(POD,)))
    assert w.verdict == "unknown" and "ftp" in w.reason


def test_every_ipv4_golden_reads_as_istio_with_its_two_ports():
    assert TESTDATA is not None
    cases = sorted(p.stem for p in TESTDATA.glob("*.golden") if not p.stem.startswith("ipv6"))
    assert len(cases) >= 10
    for case in cases:
        lay = read_layout(parse_iptables_save(golden_v4(case)))
        assert lay.mesh == "istio", case
        assert lay.outbound_port == 15001, case

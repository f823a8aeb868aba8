"""The real probe, run inside network namespaces loaded with real rules.

Each test builds its namespace from nothing, runs `python -m k8snet_tui.probe` in it with
`ip netns exec`, and checks the JSON against what was loaded, and that reading changed nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.root

SVC = "KUBE-SVC-NPX46M4PTMTKRN6Y"  # default/kubernetes:https + tcp
SEP_A = "KUBE-SEP-AAAAAAAAAAAAAAAA"
SEP_B = "KUBE-SEP-BBBBBBBBBBBBBBBB"


def nat_rules(endpoint_port: int = 6443) -> str:
    """A small kube-proxy-like nat table: service 10.96.0.1:443 -> two endpoints, DNAT."""
    return f"""*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-MARK-MASQ - [0:0]
:{SVC} - [0:0]
:{SEP_A} - [0:0]
:{SEP_B} - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j {SVC}
-A {SVC} -m comment --comment "default/kubernetes:https -> 127.0.0.1:{endpoint_port}" -m statistic --mode random --probability 0.50000000000 -j {SEP_A}
-A {SVC} -m comment --comment "default/kubernetes:https -> 127.0.0.1:{endpoint_port}" -j {SEP_B}
-A {SEP_A} -s 127.0.0.1/32 -m comment --comment "default/kubernetes:https" -j KUBE-MARK-MASQ
-A {SEP_A} -p tcp -m comment --comment "default/kubernetes:https" -m tcp -j DNAT --to-destination 127.0.0.1:{endpoint_port}
-A {SEP_B} -p tcp -m comment --comment "default/kubernetes:https" -m tcp -j DNAT --to-destination 127.0.0.1:{endpoint_port}
COMMIT
"""  # noqa: E501 - verbatim iptables-save lines, as kube-proxy writes them


NAT_CHAINS = 10
NAT_RULES = 11

HINT_MANGLE = """*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-IPTABLES-HINT - [0:0]
COMMIT
"""

KUBE_PROXY_NFT = """table ip kube-proxy {
    chain services {
        ip daddr 10.96.0.1 tcp dport 443 counter accept
    }
    chain nat-output {
        type nat hook output priority -100; policy accept;
        jump services
    }
}
"""

COUNTED = re.compile(r"^\[\d+:\d+\] -A ", re.M)


def _assert_nat_dump(text: str) -> None:
    assert "*nat" in text
    assert f":{SVC} " in text
    assert "-j DNAT --to-destination 127.0.0.1:6443" in text
    assert len(COUNTED.findall(text)) == NAT_RULES  # -c: every rule carries [packets:bytes]


def test_empty_namespace_has_no_tables_before_or_after(netns):
    ns = netns()
    doc = ns.probe()
    assert doc["format"] == "k8snet.probe/v1"
    assert doc["iptables"] == {} and doc["ip6tables"] == {}
    assert "legacy_check" not in doc
    assert doc["backends"]["iptables"] == {
        "legacy_tables": [], "nft_tables": [], "kubelet_hint": {}, "in_use": None,
    }
    # the probe read nothing into existence
    assert ns.legacy_names("ip") == []
    assert ns.legacy_names("ip6") == []
    assert ns.nft_ruleset().strip() == ""
    assert [t for t in doc["nft_ruleset"]["nftables"] if "table" in t] == []
    # what `ip` says about the namespace: only lo, with 127.0.0.1
    assert [link["ifname"] for link in doc["links"]] == ["lo"]
    lo_addrs = [a["local"] for a in doc["addresses"][0]["addr_info"]]
    assert "127.0.0.1" in lo_addrs
    assert any(r.get("dst") == "127.0.0.1" and r.get("table") == "local" for r in doc["routes"])
    assert {r.get("table") for r in doc["rules"]} >= {"local", "main", "default"}
    assert isinstance(doc["neighbours"], list)
    assert isinstance(doc["captured_at"], float) and doc["kernel"]
    assert doc["errors"] == []


def test_legacy_only_detected_cross_checked_and_unchanged(netns):
    ns = netns()
    ns.run("iptables-legacy-restore", input=nat_rules())
    before = ns.save("iptables-legacy-save")
    doc = ns.probe()
    assert set(doc["iptables"]) == {"legacy"}
    _assert_nat_dump(doc["iptables"]["legacy"])
    assert doc["ip6tables"] == {}
    info = doc["backends"]["iptables"]
    assert info["legacy_tables"] == ["nat"] and info["nft_tables"] == []
    assert info["in_use"] == "legacy"
    check = doc["legacy_check"]
    assert check["agree"] is True, check
    assert check["differences"] == []
    assert check["python_iptables"] == {"chains": NAT_CHAINS, "rules": NAT_RULES}
    assert check["iptables_legacy_save"] == {"chains": NAT_CHAINS, "rules": NAT_RULES}
    # reading created no other table (filter/mangle/raw would appear here) and changed no rule
    assert ns.legacy_names("ip") == ["nat"]
    assert ns.legacy_names("ip6") == []
    assert ns.save("iptables-legacy-save") == before
    assert ns.nft_ruleset().strip() == ""
    assert doc["errors"] == []


def test_nft_only_detected_without_touching_legacy(netns):
    ns = netns()
    ns.run("iptables-nft-restore", input=nat_rules())
    before_save = ns.save("iptables-nft-save")
    before_ruleset = ns.nft_ruleset()
    doc = ns.probe()
    assert set(doc["iptables"]) == {"nft"}
    _assert_nat_dump(doc["iptables"]["nft"])
    assert "legacy_check" not in doc  # python-iptables is never used on nf_tables-only hosts
    info = doc["backends"]["iptables"]
    assert info["legacy_tables"] == [] and info["nft_tables"] == ["nat"]
    assert info["in_use"] == "nft"
    tables = [t["table"] for t in doc["nft_ruleset"]["nftables"] if "table" in t]
    assert [(t["family"], t["name"]) for t in tables] == [("ip", "nat")]
    assert ns.legacy_names("ip") == [] and ns.legacy_names("ip6") == []
    assert ns.save("iptables-nft-save") == before_save
    assert ns.nft_ruleset() == before_ruleset
    assert doc["errors"] == []


def test_both_backends_and_kubelet_hint(netns):
    ns = netns()
    ns.run("iptables-legacy-restore", input=nat_rules())
    ns.run("iptables-nft-restore", input=nat_rules() + HINT_MANGLE)
    ns.run("ip6tables-nft-restore", input=HINT_MANGLE)
    doc = ns.probe()
    assert set(doc["iptables"]) == {"legacy", "nft"}
    _assert_nat_dump(doc["iptables"]["legacy"])
    _assert_nat_dump(doc["iptables"]["nft"])
    assert ":KUBE-IPTABLES-HINT" in doc["iptables"]["nft"]
    assert set(doc["ip6tables"]) == {"nft"}
    info = doc["backends"]["iptables"]
    assert info["legacy_tables"] == ["nat"] and info["nft_tables"] == ["mangle", "nat"]
    assert info["kubelet_hint"] == {"legacy": False, "nft": True}
    assert info["in_use"] == "nft"  # kubelet's hint decides, as in iptables-wrappers
    assert doc["backends"]["ip6tables"]["nft_tables"] == ["mangle"]
    assert doc["legacy_check"]["agree"] is True
    assert ns.legacy_names("ip") == ["nat"]


def test_kube_proxy_nftables_table_is_not_an_iptables_backend(netns):
    ns = netns()
    ns.run("nft", "-f", "-", input=KUBE_PROXY_NFT)
    doc = ns.probe()
    assert doc["iptables"] == {}
    tables = [t["table"]["name"] for t in doc["nft_ruleset"]["nftables"] if "table" in t]
    assert tables == ["kube-proxy"]
    rules = [r["rule"] for r in doc["nft_ruleset"]["nftables"] if "rule" in r]
    assert {r["chain"] for r in rules} == {"services", "nat-output"}
    assert ns.legacy_names("ip") == []


def _serve_and_connect(ns, *, dst: str, dport: int, server_port: int, times: int = 1) -> None:
    """Start an HTTP server on 127.0.0.1 inside `ns` and connect to dst:dport from inside it."""
    server = ns.popen(sys.executable, "-m", "http.server", "-b", "127.0.0.1", str(server_port))
    try:
        code = f"""
import socket, time, urllib.request
for _ in range(200):
    try:
        socket.create_connection(("127.0.0.1", {server_port}), timeout=1).close()
        break
    except OSError:
        time.sleep(0.05)
for _ in range({times}):
    print(urllib.request.urlopen("http://{dst}:{dport}/", timeout=10).status)
"""
        out = ns.python(code)
        assert out.split()[-1] == "200"
    finally:
        server.kill()
        server.wait()


@pytest.mark.parametrize("restore", ["iptables-legacy-restore", "iptables-nft-restore"])
def test_conntrack_shows_dnat_of_real_connection(netns, restore):
    ns = netns()
    port = 18080
    ns.run("ip", "addr", "add", "10.96.0.1/32", "dev", "lo")
    ns.run("sysctl", "-qw", "net.ipv4.conf.all.route_localnet=1")
    ns.run(restore, input=nat_rules(endpoint_port=port))
    _serve_and_connect(ns, dst="10.96.0.1", dport=443, server_port=port)
    doc = ns.probe()
    via_service = [
        e for e in doc["conntrack"]
        if e.get("orig_dst") == "10.96.0.1" and e.get("orig_dport") == 443
    ]
    assert via_service, doc["conntrack"]
    entry = via_service[0]
    assert entry["proto"] == "tcp"
    assert entry["reply_src"] == "127.0.0.1" and entry["reply_sport"] == port  # the DNAT
    assert entry["reply_dport"] == entry["orig_sport"]
    assert entry["state"] in {"ESTABLISHED", "TIME_WAIT", "FIN_WAIT", "CLOSE_WAIT", "CLOSE", "LAST_ACK"}
    assert isinstance(entry["mark"], int)
    assert doc["limits"]["conntrack_capped"] is False
    # counters are real: the service rule in OUTPUT -> KUBE-SERVICES counted the connection
    backend = "legacy" if "legacy" in restore else "nft"
    svc_rule = next(line for line in doc["iptables"][backend].splitlines() if "-A KUBE-SERVICES" in line)
    packets = int(re.match(r"\[(\d+):", svc_rule).group(1))
    assert packets >= 1


def test_conntrack_cap_is_reported(netns):
    ns = netns()
    ns.run("iptables-legacy-restore", input=nat_rules())
    _serve_and_connect(ns, dst="127.0.0.1", dport=18081, server_port=18081, times=3)
    doc = ns.probe("--conntrack-max", "2")
    assert len(doc["conntrack"]) == 2
    assert doc["limits"]["conntrack_capped"] is True
    assert any("more than 2 entries" in e for e in doc["errors"])


def test_output_cap_truncates_and_says_so(netns):
    ns = netns()
    ns.run("iptables-legacy-restore", input=nat_rules())
    out = ns.python(
        "import json; from k8snet_tui.probe.collect import Probe;"
        "print(json.dumps(Probe(output_cap=300).collect()))"
    )
    doc = json.loads(out)
    assert len(doc["iptables"]["legacy"].encode()) == 300
    assert "iptables-legacy-save -c" in doc["limits"]["truncated"]
    assert any("exceeded" in e and "iptables-legacy-save -c" in e for e in doc["errors"])
    # the cross-check notices that it compared against a cut dump
    assert doc["legacy_check"]["agree"] is False


def test_missing_tools_become_errors_not_crashes(netns, tmp_path):
    ns = netns()
    ns.run("iptables-legacy-restore", input=nat_rules())
    out = ns.python(
        "import json; from k8snet_tui.probe.collect import Probe;"
        f"print(json.dumps(Probe(tool_path={str(tmp_path)!r}).collect()))"
    )
    doc = json.loads(out)
    assert doc["links"] == [] and doc["routes"] == []
    assert doc["iptables"] == {} and doc["nft_ruleset"] is None
    assert doc["backends"]["iptables"]["legacy_tables"] == ["nat"]  # /proc still tells us
    assert doc["legacy_check"]["agree"] is None
    text = " | ".join(doc["errors"])
    for tool in ("ip", "nft", "iptables-legacy-save"):
        assert f"`{tool}` is not installed" in text
    assert text.count("`ip` is not installed") == 1
    # /proc/net/nf_conntrack still works without the conntrack binary
    assert doc["conntrack_source"].endswith("nf_conntrack")


def test_not_root_exits_2_and_says_what_to_run(tmp_path):
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to drop privileges")
    proc = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
         sys.executable, "-m", "k8snet_tui.probe"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )
    assert proc.returncode == 2, proc.stderr
    assert "sudo k8snet probe" in proc.stderr
    assert proc.stdout == ""

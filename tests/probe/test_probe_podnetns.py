"""The probe's reading of pods' own network namespaces (k8snet_tui/probe/podnetns.py), in real
scratch namespaces: rules written there with the real iptables-nft-restore are read back by a
child that enters the namespace; the node's own namespace is skipped; a link planted in the
runtime's directory is refused; a namespace that is gone is kept with its reason; the domain
explains what was read. All traffic-free: only rules are written and read."""

from __future__ import annotations

import os
import subprocess
import time

from k8snet_tui.domain.mesh.datapath import pod_datapath
from k8snet_tui.domain.mesh.walk import outbound_packet
from k8snet_tui.probe.podnetns import collect_pod_netns, find_netns, read_netns

RULES = """*nat
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:ISTIO_OUTPUT - [0:0]
:ISTIO_REDIRECT - [0:0]
-A OUTPUT -p tcp -j ISTIO_OUTPUT
-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN
-A ISTIO_OUTPUT -p tcp -m tcp --dport 5432 -j RETURN
-A ISTIO_OUTPUT -j ISTIO_REDIRECT
-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001
COMMIT
"""


def test_reads_the_rules_inside_a_pod_namespace(netns):
    pod = netns()
    pod.run("iptables-nft-restore", input=RULES)
    reading = read_netns(f"/run/netns/{pod.name}")
    assert not reading.get("error"), reading
    assert "ISTIO_REDIRECT" in reading["iptables"]["nft"]
    assert "127.0.0.1" in reading["addresses"]
    # the child read no legacy table it would have had to create
    assert pod.legacy_names() == []
    dp = pod_datapath(reading)
    assert dp.backend == "nft" and dp.layout.mesh == "istio" and dp.layout.outbound_port == 15001
    assert dp.walk(outbound_packet("10.0.0.9", 80, pod_ips=("10.0.1.5",))).port == 15001
    assert dp.walk(outbound_packet("10.0.0.9", 5432, pod_ips=("10.0.1.5",))).verdict == "out"
    assert dp.walk(outbound_packet("10.0.0.9", 80, uid=1337, pod_ips=("10.0.1.5",))).verdict == "out"


def test_finds_namespaces_by_file_and_by_process_once_each(netns, tmp_path):
    pod = netns()
    sleeper = pod.popen("sleep", "30")
    try:
        # `ip netns exec` enters the namespace and then runs sleep: wait until it is inside, or
        # the search may meet the process still in ours (seen once in a CI run)
        inside = os.stat(f"/run/netns/{pod.name}").st_ino
        deadline = time.monotonic() + 10
        while os.stat(f"/proc/{sleeper.pid}/ns/net").st_ino != inside and time.monotonic() < deadline:
            time.sleep(0.01)
        entries, _errors = find_netns()
        mine = [e for e in entries if pod.name in e["names"]]
        assert len(mine) == 1, mine  # its file and its process: one namespace
        assert sleeper.pid in mine[0]["pids"] or len(mine[0]["pids"]) == 8
        own = os.stat("/proc/self/ns/net").st_ino
        assert all(e["inode"] != own for e in entries)
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_link_in_the_runtime_directory_is_refused(netns, tmp_path):
    pod = netns()
    fake = tmp_path / "netns"
    fake.mkdir()
    (fake / "planted").symlink_to(f"/run/netns/{pod.name}")
    entries, errors = find_netns(run_netns=str(fake))
    assert not any("planted" in e["names"] for e in entries)
    assert any("planted" in e and "not followed" in e for e in errors)


def test_a_namespace_that_is_gone_is_unknown_with_its_reason():
    reading = read_netns("/run/netns/k8snet-no-such-namespace")
    assert "error" in reading and "No such file" in reading["error"]
    dp = pod_datapath(reading)
    assert dp.state == "unknown" and "No such file" in dp.reason
    assert dp.walk(outbound_packet("10.0.0.9", 80)).verdict == "unknown"


def test_the_child_refuses_paths_outside_the_namespace_directories():
    for bad in ("/etc/passwd", "/run/netns/../../etc/passwd"):
        out = subprocess.run([__import__("sys").executable, "-I", "-m", "k8snet_tui.probe.podnetns", bad],
                             capture_output=True, text=True, timeout=30, check=False)
        assert out.returncode == 2 and "expected" in out.stdout


def test_collect_caps_the_number_read(netns):
    netns(), netns()
    out, errors = collect_pod_netns(cap=1)
    assert len(out) == 1
    assert any("only the first 1" in e for e in errors)


def test_the_probe_reads_pod_namespaces_only_when_asked(monkeypatch):
    """Every live poll runs the probe: entering each pod's namespace (~0.25 s each) happens only
    for `k8snet probe --pod-netns` / `k8snet capture --pod-netns`, never by default."""
    import k8snet_tui.probe as probe_cli
    import k8snet_tui.probe.collect as collect

    asked: list[bool] = []

    class Recorder:
        def __init__(self, *, timeout, conntrack_cap, pod_netns):
            asked.append(pod_netns)

        def collect(self):
            return {"format": "k8snet.probe/v1"}

    monkeypatch.setattr(collect, "Probe", Recorder)
    monkeypatch.setattr(probe_cli.os, "geteuid", lambda: 0)
    monkeypatch.setattr("k8snet_tui.probe.trust.check_install", lambda: None)
    assert probe_cli.main([]) == 0 and probe_cli.main(["--pod-netns"]) == 0
    assert asked == [False, True]

"""Probe parts that can be exercised without root: fake tools on a private PATH, a fake /proc."""

from __future__ import annotations

from k8snet_tui.probe.collect import Probe

IPVS_TEXT = """IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.96.0.1:443 rr
  -> 192.168.1.10:6443            Masq    1      0          0
"""


def _tool(bindir, name, body):
    bindir.mkdir(exist_ok=True)
    path = bindir / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def test_ipvsadm_read_when_ipvs_is_loaded(tmp_path):
    (tmp_path / "proc" / "net").mkdir(parents=True)
    (tmp_path / "proc" / "net" / "ip_vs").write_text("")
    _tool(tmp_path / "bin", "ipvsadm", f"[ \"$1\" = -Ln ] || exit 9\n/bin/cat <<'X'\n{IPVS_TEXT}X\n")
    probe = Probe(tool_path=str(tmp_path / "bin"), proc=str(tmp_path / "proc"))
    doc: dict = {}
    probe.ipvs(doc)
    assert doc["ipvsadm"] == IPVS_TEXT
    assert probe.errors == []


def test_ipvsadm_not_run_without_proc_ip_vs(tmp_path):
    (tmp_path / "proc" / "net").mkdir(parents=True)
    marker = tmp_path / "ran"
    _tool(tmp_path / "bin", "ipvsadm", f"/usr/bin/touch {marker}\n")
    probe = Probe(tool_path=str(tmp_path / "bin"), proc=str(tmp_path / "proc"))
    doc: dict = {}
    probe.ipvs(doc)
    assert doc["ipvsadm"] is None and not marker.exists() and probe.errors == []


def test_ipvs_loaded_but_no_ipvsadm_is_an_error(tmp_path):
    (tmp_path / "proc" / "net").mkdir(parents=True)
    (tmp_path / "proc" / "net" / "ip_vs").write_text("")
    (tmp_path / "bin").mkdir()
    probe = Probe(tool_path=str(tmp_path / "bin"), proc=str(tmp_path / "proc"))
    doc: dict = {}
    probe.ipvs(doc)
    assert doc["ipvsadm"] is None
    assert probe.errors == ["IPVS is loaded (/proc/net/ip_vs exists) but `ipvsadm` is not installed"]


def test_conntrack_falls_back_to_proc_and_caps(tmp_path):
    (tmp_path / "proc" / "net").mkdir(parents=True)
    line = ("ipv4     2 tcp      6 119 TIME_WAIT src=127.0.0.1 dst=127.0.0.1 sport={p} dport=80 "
            "src=127.0.0.1 dst=127.0.0.1 sport=80 dport={p} [ASSURED] mark=0 zone=0 use=2\n")
    (tmp_path / "proc" / "net" / "nf_conntrack").write_text("".join(line.format(p=40000 + i) for i in range(5)))
    (tmp_path / "bin").mkdir()
    probe = Probe(tool_path=str(tmp_path / "bin"), proc=str(tmp_path / "proc"), conntrack_cap=3)
    doc: dict = {"limits": {}}
    probe.conntrack(doc)
    assert [e["orig_sport"] for e in doc["conntrack"]] == [40000, 40001, 40002]
    assert doc["limits"]["conntrack_capped"] is True
    assert doc["conntrack_source"].endswith("/net/nf_conntrack")


def test_failing_tool_output_is_not_used(tmp_path):
    _tool(tmp_path / "bin", "ip", "echo 'Error: something' >&2\nexit 1\n")
    probe = Probe(tool_path=str(tmp_path / "bin"), proc=str(tmp_path / "proc"))
    doc: dict = {}
    probe.ip_json(doc)
    assert doc["links"] == [] and doc["neighbours"] == []
    assert "`ip -j -d link show` exited with status 1; stderr: Error: something" in probe.errors


def test_ip_printing_garbage_is_an_error(tmp_path):
    _tool(tmp_path / "bin", "ip", "echo 'not json'\n")
    probe = Probe(tool_path=str(tmp_path / "bin"))
    doc: dict = {}
    probe.ip_json(doc)
    assert doc["routes"] == []
    assert any(e.startswith("`ip -j route show table all` did not print JSON") for e in probe.errors)

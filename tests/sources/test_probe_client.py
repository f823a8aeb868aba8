"""probe_client: reading probe documents tolerantly, and running probes that misbehave.

The fake probes are tiny Python programs started exactly the way the real probe is; none of
them needs root or touches the network.
"""

from __future__ import annotations

import json
import os
import sys
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k8snet_tui.domain.model import NodeState
from k8snet_tui.sources import probe_client
from k8snet_tui.sources.probe_client import default_probe_argv, node_state_from_probe, run_probe


def good_doc(**over):
    doc = {
        "format": "k8snet.probe/v1",
        "hostname": "node-a",
        "captured_at": 1700000000.5,
        "kernel": "6.1.0",
        "links": [{"ifindex": 1, "ifname": "lo"}],
        "addresses": [{"ifname": "lo", "addr_info": [{"local": "127.0.0.1", "prefixlen": 8}]}],
        "routes": [{"dst": "10.244.1.0/24", "gateway": "192.168.1.2", "dev": "eth0"}],
        "rules": [{"priority": 0, "src": "all", "table": "local"}],
        "neighbours": [{"dst": "192.168.1.2", "dev": "eth0", "lladdr": "aa:bb:cc:dd:ee:ff"}],
        "iptables": {"legacy": "*nat\n:KUBE-SERVICES - [0:0]\nCOMMIT\n"},
        "ip6tables": {"nft": "*filter\nCOMMIT\n"},
        "nft_ruleset": {"nftables": [{"metainfo": {"json_schema_version": 1}}]},
        "ipvsadm": None,
        "conntrack": [{"proto": "tcp", "orig_src": "10.0.0.1", "orig_dst": "10.96.0.1",
                       "orig_dport": 443, "reply_src": "10.0.0.9", "reply_sport": 6443}],
        "resolv_conf": "nameserver 10.96.0.10\n",
        "errors": ["`ipvsadm` is not installed"],
    }
    doc.update(over)
    return doc


def test_good_document_fills_every_field():
    state = node_state_from_probe(good_doc(), "probe")
    assert state.node == "node-a" and state.hostname == "node-a"
    assert state.source == "probe"
    assert state.captured_at == 1700000000.5
    assert state.links == ({"ifindex": 1, "ifname": "lo"},)
    assert state.addresses[0]["addr_info"][0]["local"] == "127.0.0.1"
    assert state.routes[0]["gateway"] == "192.168.1.2"
    assert state.rules[0]["table"] == "local"
    assert state.neighbours[0]["lladdr"] == "aa:bb:cc:dd:ee:ff"
    assert dict(state.iptables) == {"legacy": "*nat\n:KUBE-SERVICES - [0:0]\nCOMMIT\n"}
    assert dict(state.ip6tables) == {"nft": "*filter\nCOMMIT\n"}
    assert state.nft_ruleset == {"nftables": [{"metainfo": {"json_schema_version": 1}}]}
    assert state.ipvsadm is None
    assert state.conntrack[0]["reply_sport"] == 6443
    assert state.resolv_conf == "nameserver 10.96.0.10\n"
    assert state.errors == ("`ipvsadm` is not installed",)
    assert state.has_kernel_state


def test_explicit_node_name_wins_over_hostname():
    assert node_state_from_probe(good_doc(), "snapshot:x", node="worker-1").node == "worker-1"


@pytest.mark.parametrize(
    "field, bad",
    [
        ("links", "eth0"), ("addresses", {"a": 1}), ("routes", 5), ("rules", "x"),
        ("neighbours", True), ("conntrack", {"proto": "tcp"}), ("iptables", "text"),
        ("ip6tables", ["a"]), ("nft_ruleset", [1, 2]), ("ipvsadm", 3), ("resolv_conf", ["x"]),
        ("hostname", 7), ("captured_at", "yesterday"), ("errors", "oops"),
    ],
)
def test_wrong_type_is_dropped_with_an_error_naming_the_field(field, bad):
    state = node_state_from_probe(good_doc(**{field: bad}), "probe")
    assert any(f"'{field}'" in e for e in state.errors), state.errors
    clean = node_state_from_probe(good_doc(), "probe")
    # everything else survives
    others = [f for f in ("links", "routes", "iptables", "resolv_conf", "conntrack") if f != field]
    for other in others:
        assert getattr(state, other) == getattr(clean, other)


def test_bad_items_inside_lists_and_maps_are_dropped():
    doc = good_doc(links=[{"ifname": "lo"}, "eth0", 3], iptables={"legacy": "*nat\n", "nft": 42})
    state = node_state_from_probe(doc, "probe")
    assert state.links == ({"ifname": "lo"},)
    assert dict(state.iptables) == {"legacy": "*nat\n"}
    assert any("'links'" in e and "2 item" in e for e in state.errors)
    assert any("'iptables.nft'" in e for e in state.errors)


def test_unknown_format_and_non_object_documents():
    state = node_state_from_probe(good_doc(format="other/v9"), "probe")
    assert any("other/v9" in e for e in state.errors)
    assert state.links  # still read what fits
    state = node_state_from_probe([1, 2], "probe", node="n1")  # type: ignore[arg-type]
    assert state.node == "n1" and state.links == ()
    assert state.errors == ("probe document is list, not a JSON object",)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)
_keys = st.sampled_from(
    ["format", "hostname", "captured_at", "links", "addresses", "routes", "rules", "neighbours",
     "iptables", "ip6tables", "nft_ruleset", "ipvsadm", "conntrack", "resolv_conf", "errors",
     "cilium_services", "other"]
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_keys, _json))
def test_any_json_document_gives_a_well_typed_state(doc):
    state = node_state_from_probe(doc, "probe")
    assert isinstance(state, NodeState)
    for name in ("links", "addresses", "routes", "rules", "neighbours", "conntrack"):
        assert all(isinstance(x, dict) for x in getattr(state, name))
    for name in ("iptables", "ip6tables"):
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in getattr(state, name).items())
    assert state.nft_ruleset is None or isinstance(state.nft_ruleset, dict)
    assert state.ipvsadm is None or isinstance(state.ipvsadm, str)
    assert state.resolv_conf is None or isinstance(state.resolv_conf, str)
    assert isinstance(state.hostname, str)
    assert state.captured_at is None or isinstance(state.captured_at, float)
    assert all(isinstance(e, str) for e in state.errors)


# -- running probes that misbehave ---------------------------------------------------------

def fake(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_hanging_probe_is_stopped_with_its_children(tmp_path):
    pidfile = tmp_path / "pids"
    code = f"""
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
open({str(pidfile)!r}, "w").write(f"{{os.getpid()}} {{child.pid}}")
sys.stdout.write('{{"format": "k8snet.probe/v1", ')
sys.stdout.flush()
time.sleep(600)
"""
    state = run_probe(fake(code), timeout=3)
    assert state.links == () and not state.has_kernel_state
    assert len(state.errors) == 1
    assert "did not finish within 3 s" in state.errors[0]
    pids = [int(p) for p in pidfile.read_text().split()]
    for pid in pids:  # the probe and the grandchild it started are both gone
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            pytest.fail(f"process {pid} still running after the timeout")


def test_dying_probe_reports_status_and_stderr_tail():
    state = run_probe(fake("import sys; sys.stderr.write('x' * 5000 + 'boom: nat unreadable\\n'); sys.exit(3)"))
    (err,) = state.errors
    assert "exited with status 3" in err
    assert err.endswith("boom: nat unreadable")
    assert len(err) < 1000  # only the tail of stderr


def test_garbage_output_is_reported_with_its_beginning():
    state = run_probe(fake("print('Segmentation fault? <html>not json')"))
    (err,) = state.errors
    assert "printed no probe JSON" in err and "<html>not json" in err


def test_json_that_is_not_a_probe_document_is_rejected():
    state = run_probe(fake("print('[1, 2, 3]')"))
    assert "printed no probe JSON" in state.errors[0]


def test_document_with_nonzero_exit_keeps_data_and_notes_the_status():
    doc = json.dumps(good_doc())
    state = run_probe(fake(f"import sys; print({doc!r}); sys.stderr.write('late failure'); sys.exit(1)"))
    assert state.hostname == "node-a" and state.routes
    assert "exited with status 1" in state.errors[-1] and "late failure" in state.errors[-1]


def test_valid_fake_probe_fills_state():
    doc = json.dumps(good_doc())
    state = run_probe(fake(f"print({doc!r})"), source="probe:fake")
    assert state.source == "probe:fake"
    assert state.iptables["legacy"].startswith("*nat")
    assert state.errors == ("`ipvsadm` is not installed",)


def test_probe_that_is_not_root_says_what_to_run():
    code = ("import sys; sys.stderr.write('k8snet probe ... needs root.\\nRun it as: sudo k8snet probe\\n');"
            "sys.exit(2)")
    (err,) = run_probe(fake(code)).errors
    assert "not running as root" in err and "sudo k8snet probe" in err


def test_sudo_asking_for_a_password_says_exactly_what_to_run(tmp_path):
    sudo = tmp_path / "sudo"
    sudo.write_text("#!/bin/sh\necho 'sudo: a password is required' >&2\nexit 1\n")
    sudo.chmod(0o755)
    (err,) = run_probe([str(sudo), "-n", sys.executable, "-m", "k8snet_tui.probe"]).errors
    assert "sudo asks for a password" in err
    assert "`sudo -v`" in err and "`sudo k8snet probe > node.json`" in err


def test_missing_program_is_reported():
    (err,) = run_probe(["/nonexistent/k8snet-probe"]).errors
    assert "could not start the node probe" in err and "/nonexistent/k8snet-probe" in err


def test_oversized_output_is_cut_and_reported(monkeypatch):
    monkeypatch.setattr(probe_client, "CLIENT_OUTPUT_CAP", 1000)
    state = run_probe(fake("import sys, time; sys.stdout.write('{' + ' ' * 100000); sys.stdout.flush(); time.sleep(600)"),
                      timeout=30)
    (err,) = state.errors
    assert "printed more than" in err


def test_default_argv_uses_sudo_only_when_not_root(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert default_probe_argv() == [sys.executable, "-I", "-m", "k8snet_tui.probe"]
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    # exactly the command docs/security.md's sudoers rule names: no cwd or PYTHON* on sys.path
    assert default_probe_argv() == ["sudo", "-n", sys.executable, "-I", "-m", "k8snet_tui.probe"]


def test_probe_runs_in_root_dir_with_a_minimal_environment(monkeypatch, tmp_path):
    """Whatever directory and environment the app was started from, the probe sees neither."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.setenv("K8SNET_SECRET_THING", "x")
    code = ("import json, os; print(json.dumps({'format': 'k8snet.probe/v1', "
            "'hostname': os.getcwd() + '|' + ','.join(sorted(os.environ))}))")
    state = run_probe(fake(code))
    assert not state.errors, state.errors
    cwd, names = state.hostname.split("|")
    assert cwd == "/"
    assert set(names.split(",")) <= {"PATH", "LANG", "LC_CTYPE"}, names


def test_client_never_imports_iptc():
    import subprocess

    code = ("import sys; import k8snet_tui.sources.probe_client, k8snet_tui.probe;"
            "print('iptc' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_probe_refusing_root_from_a_writable_install_says_what_to_do():
    from k8snet_tui.probe.trust import REFUSAL

    text = REFUSAL.format(problems="  /home/u/venv: owned by uid 1000, not root\n  /home/u: owned by uid 1000, not root")
    (err,) = run_probe(fake(f"import sys; sys.stderr.write({text!r}); sys.exit(2)")).errors
    assert "refused to run as root" in err and "/home/u/venv: owned by uid 1000, not root, ..." in err
    assert "/opt/k8snet" in err and "docs/security.md" in err

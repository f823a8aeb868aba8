"""The root probe imports only its own install: never from the caller's directory or environment.

`python -m` puts the current directory first on sys.path and sudo keeps the caller's directory,
so a `k8snet_tui/` planted where the user stands would run as root. The planted package here
writes a marker file when imported; the probe (and its python-iptables child, which starts
only when a legacy nat table exists) is run the way the app runs it, from that directory, inside
a scratch namespace with such a table. And a probe whose own install other users can write
refuses to run as root.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import k8snet_tui
from k8snet_tui.sources.probe_client import default_probe_argv, run_probe

pytestmark = pytest.mark.root

NAT = """*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
-A PREROUTING -j KUBE-SERVICES
-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m tcp --dport 443 -j DNAT --to-destination 127.0.0.1:6443
COMMIT
"""


def plant(tmp_path: Path) -> tuple[Path, Path]:
    """A directory holding a hostile `k8snet_tui` package; the marker it would write."""
    evil = tmp_path / "evil"
    (evil / "k8snet_tui").mkdir(parents=True)
    marker = tmp_path / "planted-code-ran"
    (evil / "k8snet_tui" / "__init__.py").write_text(
        f"open({str(marker)!r}, 'a').write('imported by ' + __import__('sys').argv[0] + '\\n')\n")
    return evil, marker


def test_probe_started_by_the_app_ignores_a_package_planted_in_cwd(netns: Any, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    ns = netns()
    ns.run("iptables-legacy-restore", input=NAT)  # so the probe starts its iptc child too
    evil, marker = plant(tmp_path)
    monkeypatch.chdir(evil)
    monkeypatch.setenv("PYTHONPATH", str(evil))
    state = run_probe(["ip", "netns", "exec", ns.name, *default_probe_argv()], timeout=120)
    assert not marker.exists(), marker.read_text()
    assert state.links and not [e for e in state.errors if "cross-check" in e], state.errors
    assert "KUBE-SERVICES" in state.iptables.get("legacy", "")


def test_iptc_child_ignores_a_package_planted_in_cwd(netns: Any, tmp_path: Path) -> None:
    """The probe's own child: the probe standing in the planted directory still starts it clean."""
    ns = netns()
    ns.run("iptables-legacy-restore", input=NAT)
    evil, marker = plant(tmp_path)
    here = str(Path(k8snet_tui.__file__).parent.parent)  # the code under test, however it is installed
    driver = (
        f"import json, os, sys; sys.path.insert(0, {here!r})\n"
        "from k8snet_tui.probe.collect import Probe\n"
        f"os.chdir({str(evil)!r}); os.environ['PYTHONPATH'] = {str(evil)!r}\n"
        "doc = Probe().collect()\n"
        "print(json.dumps(doc.get('legacy_check')))\n"
    )
    out = ns.run(sys.executable, "-I", "-c", driver, timeout=120).stdout
    assert not marker.exists(), marker.read_text()
    check = json.loads(out)
    assert check["agree"] is True, check


def test_probe_refuses_root_from_an_install_others_can_write(netns: Any, tmp_path: Path) -> None:
    ns = netns()
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    shutil.copytree(Path(k8snet_tui.__file__).parent, shared / "k8snet_tui",
                    ignore=shutil.ignore_patterns("__pycache__", "data"))
    # The way an old app (or a careless sudoers rule) started it: plain -m, from that directory.
    proc = subprocess.run(["ip", "netns", "exec", ns.name, sys.executable, "-m", "k8snet_tui.probe"],
                          cwd=shared, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-500:])
    assert proc.stdout == ""
    assert "refusing to run as root" in proc.stderr
    assert f"{shared}: writable by every user" in proc.stderr, proc.stderr
    assert "/opt/k8snet" in proc.stderr and "docs/security.md" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unsafe_paths_names_owner_and_group_write(tmp_path: Path) -> None:
    from k8snet_tui.probe.trust import unsafe_paths

    pkg = tmp_path / "inst" / "k8snet_tui"
    pkg.mkdir(parents=True)
    (pkg / "mod.py").write_text("")
    os.chown(pkg / "mod.py", 1234, 0)
    (tmp_path / "inst").chmod(0o775)
    os.chown(tmp_path / "inst", 0, 4321)
    problems = "\n".join(unsafe_paths(str(pkg), sys.executable, []))
    assert f"{pkg / 'mod.py'}: owned by uid 1234" in problems
    assert f"{tmp_path / 'inst'}: writable by group 4321" in problems
    assert f"{pkg}:" not in problems  # root-owned, 0755: fine
    os.chown(tmp_path / "inst", 0, 0)  # group root may write
    assert f"{tmp_path / 'inst'}:" not in "\n".join(unsafe_paths(str(pkg), sys.executable, []))


def test_probe_json_is_ascii_whatever_the_interface_names(netns: Any) -> None:
    """A name with a bidi override and an ESC reaches the terminal of `sudo k8snet probe` escaped."""
    ns = netns()
    hostile = "x\u202ey\x1b"
    ns.run("ip", "link", "add", hostile, "type", "veth", "peer", "name", "peer0")
    proc = subprocess.run(["ip", "netns", "exec", ns.name, sys.executable, "-I", "-m", "k8snet_tui.probe"],
                          capture_output=True, timeout=120, check=True)
    assert proc.stdout.isascii(), [b for b in proc.stdout if b > 127][:5]
    names = [link.get("ifname") for link in json.loads(proc.stdout)["links"]]
    assert hostile in names, names


def test_a_sticky_directory_above_a_root_owned_install_is_fine_but_a_plain_shared_one_is_not(tmp_path: Path) -> None:
    # A checkout in /tmp (mode 1777) is root's: others can add entries there but never rename or
    # remove the root-owned one the install lives in. Without the sticky bit they could.
    from k8snet_tui.probe.trust import unsafe_paths

    shared = tmp_path / "shared"
    pkg = shared / "inst" / "k8snet_tui"
    pkg.mkdir(parents=True)
    (pkg / "mod.py").write_text("")
    shared.chmod(0o1777)
    problems = "\n".join(unsafe_paths(str(pkg), sys.executable, []))
    assert f"{shared}:" not in problems, problems
    shared.chmod(0o777)
    assert f"{shared}: writable by every user" in "\n".join(unsafe_paths(str(pkg), sys.executable, []))


def test_a_missing_search_path_entry_in_a_directory_others_can_write_is_named(tmp_path: Path) -> None:
    from k8snet_tui.probe.trust import unsafe_paths

    pkg = tmp_path / "inst" / "k8snet_tui"
    pkg.mkdir(parents=True)
    drop = tmp_path / "drop"
    drop.mkdir()
    drop.chmod(0o1777)  # sticky does not help: the entry does not exist yet, anyone may create it
    problems = "\n".join(unsafe_paths(str(pkg), sys.executable, [str(drop / "python311.zip")]))
    assert f"{drop / 'python311.zip'}: missing, and its directory is writable by every user" in problems

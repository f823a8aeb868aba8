"""Network namespaces for probe tests: each test gets fresh ones, torn down afterwards.

Everything a test does with rules happens inside namespaces created here; the root namespace's
iptables/nftables state is never read or written by these tests.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

import pytest

NEEDS = ("ip", "iptables-legacy-restore", "iptables-nft-restore", "nft", "conntrack")


def _root_ready() -> str | None:
    if os.geteuid() != 0:
        return "needs root"
    missing = [t for t in NEEDS if shutil.which(t) is None]
    if missing:
        return f"needs {', '.join(missing)}"
    return None


class Netns:
    def __init__(self, name: str) -> None:
        self.name = name

    def run(self, *argv: str, input: str | None = None, timeout: float = 30, check: bool = True):
        return subprocess.run(
            ["ip", "netns", "exec", self.name, *argv],
            input=input, capture_output=True, text=True, timeout=timeout, check=check,
        )

    def popen(self, *argv: str) -> subprocess.Popen:
        return subprocess.Popen(
            ["ip", "netns", "exec", self.name, *argv],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def probe(self, *extra: str) -> dict:
        """Run the real probe inside this namespace and return its JSON document."""
        proc = self.run(sys.executable, "-m", "k8snet_tui.probe", *extra, timeout=120)
        return json.loads(proc.stdout)

    def python(self, code: str) -> str:
        return self.run(sys.executable, "-c", code, timeout=120).stdout

    def legacy_names(self, family: str = "ip") -> list[str]:
        return self.run("cat", f"/proc/net/{family}_tables_names").stdout.split()

    def save(self, tool: str) -> str:
        """A save dump without its comment lines (they carry timestamps)."""
        out = self.run(tool, "-c").stdout
        return "\n".join(line for line in out.splitlines() if not line.startswith("#"))

    def nft_ruleset(self) -> str:
        return self.run("nft", "list", "ruleset").stdout


@pytest.fixture
def netns(request):
    """A factory: `netns()` returns a fresh namespace with `lo` up; all are deleted at teardown."""
    why = _root_ready()
    if why:
        pytest.skip(why)
    prefix = f"k8sprobe-{uuid.uuid4().hex[:8]}"
    made: list[str] = []

    def make() -> Netns:
        name = f"{prefix}-{len(made)}"
        subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
        made.append(name)
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        return Netns(name)

    def teardown() -> None:
        for name in made:
            pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True).stdout
            for pid in pids.split():
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            for _ in range(50):
                if not subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True).stdout.strip():
                    break
                time.sleep(0.05)
            subprocess.run(["ip", "netns", "del", name], capture_output=True)

    request.addfinalizer(teardown)
    return make

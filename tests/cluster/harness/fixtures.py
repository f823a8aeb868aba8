"""Pytest fixtures for the test cluster (re-exported by tests/conftest.py).

  lab_cluster       session: a started LabCluster with the lab 101 scenario ready
  kube_proxy_mode   session, parametrised over MODES: kube-proxy (re)started in that mode

Without K8SNET_CLUSTER_BIN, root or `ip netns` the cluster tests are skipped with the
reason; K8SNET_REQUIRE_CLUSTER=1 (CI) turns that into a failure.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import pytest

from .cluster import MODES, LabCluster
from .prereq import unavailable_reason


def _say(config):
    """Print past pytest's output capture (timings belong in the run's output)."""
    reporter = config.pluginmanager.getplugin("terminalreporter")
    capman = config.pluginmanager.getplugin("capturemanager")

    def say(msg: str) -> None:
        if reporter is None or capman is None:
            print(msg, file=sys.stderr, flush=True)
            return
        with capman.global_and_fixture_disabled():
            reporter.write_line(msg)
    return say


def _unavailable(reason: str):
    if os.environ.get("K8SNET_REQUIRE_CLUSTER") == "1":
        pytest.fail(f"the test cluster is required (K8SNET_REQUIRE_CLUSTER=1) but cannot run: "
                    f"{reason}", pytrace=False)
    pytest.skip(f"test cluster unavailable: {reason}")


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def lab_cluster(request):
    """The running test cluster (see harness.cluster.LabCluster for its API)."""
    reason = unavailable_reason()
    if reason:
        _unavailable(reason)
    say = _say(request.config)
    cluster = LabCluster(os.environ["K8SNET_CLUSTER_BIN"], log=say)
    # SIGTERM / SIGHUP become KeyboardInterrupt so the finalizer below (and atexit) tear the
    # cluster down; Ctrl-C already is one.
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGHUP):
            previous[sig] = signal.signal(sig, _interrupt)
    try:
        cluster.start()
        yield cluster
    finally:
        if request.session.testsfailed:
            cluster.keep_run_dir = True
        cluster.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@pytest.fixture(scope="session", params=MODES)
def kube_proxy_mode(request, lab_cluster):
    """kube-proxy on both nodes runs in this mode ("iptables-legacy", "iptables-nft",
    "nftables"); the previous mode's rules were removed with `kube-proxy --cleanup`."""
    lab_cluster.set_kube_proxy_mode(request.param)
    t0 = time.monotonic()
    yield request.param
    _say(request.config)(f"[k8snet-cluster] tests in kube-proxy mode {request.param} took "
                         f"{time.monotonic() - t0:.1f} s")

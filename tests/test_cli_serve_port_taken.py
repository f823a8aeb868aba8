"""`k8snet serve` on a port another program holds says so before anything else: it printed
"k8snet: serving http://127.0.0.1:PORT" and the server's "Press Ctrl+C to quit" banner first, then
the error, which read as if it had started. Loopback only: the test holds a port of 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

pytest.importorskip("textual_serve")


def test_a_taken_port_is_refused_before_serving_is_announced(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = {**os.environ, "K8SNET_OFFLINE": "1", "HOME": str(tmp_path), "KUBECONFIG": "/nonexistent"}
        done = subprocess.run([sys.executable, "-m", "k8snet_tui", "serve", "--port", str(port), "--snapshot", "lab"],
                              capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2
    assert f"serve: cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "k8snet: serving" not in done.stderr and "Press Ctrl+C" not in done.stdout + done.stderr

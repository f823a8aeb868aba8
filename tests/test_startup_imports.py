"""The kubernetes client costs a noticeable part of a second to import: nothing on the way to
the first frame may import it (nor python-iptables, which the app process never loads)."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys, argparse
from k8snet_tui import cli, runtime, app, views
from k8snet_tui.config import Settings
args = argparse.Namespace(snapshot=None, kubeconfig=sys.argv[1], context=None, namespace=None,
                          all_namespaces=False, node=None, interval=None)
session = runtime.choose_session(args, Settings())
print(type(session).__name__)
print(" ".join(sorted(m for m in ("kubernetes", "iptc", "urllib3") if m in sys.modules)))
"""


def test_building_a_live_session_imports_no_kubernetes_client(tmp_path):
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: k, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: c, context: {cluster: k, user: u}}]\n")
    out = subprocess.run([sys.executable, "-c", CODE, str(kubeconfig)], capture_output=True, text=True,
                         timeout=60, check=True).stdout.splitlines()
    assert out[0] == "LiveSession"  # a live session was really built...
    assert out[1:] == [""] or out[1:] == []  # ...without loading the client or iptc

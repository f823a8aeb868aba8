"""`python -m k8snet_tui.probe` run inside node-1's namespace sees kube-proxy's real rules for
default/website in every mode, and (iptables modes) packet counters that moved."""

import json
import re
import sys

import pytest

pytestmark = pytest.mark.cluster

WEBSITE_CHAIN = "KUBE-SVC-RYQJBQ5TR32XWAUN"


def run_probe(cluster):
    proc = cluster.run_in_node("node-1", [sys.executable, "-m", "k8snet_tui.probe"], timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def jump_counters(save_text, chain):
    """Packet counts of the rules that jump to `chain` (iptables-save -c lines)."""
    counts = []
    for line in save_text.splitlines():
        m = re.match(r"^\[(\d+):(\d+)\] -A \S+ .*-j " + re.escape(chain) + r"(\s|$)", line)
        if m:
            counts.append(int(m.group(1)))
    return counts


def test_probe_shows_the_website_service_rules(lab_cluster, kube_proxy_mode):
    ip = lab_cluster.api.get("/api/v1/namespaces/default/services/website")["spec"]["clusterIP"]
    answers = lab_cluster.http("node-1", f"http://{ip}/", count=5)
    assert all(a.get("status") == 200 for a in answers), answers
    answers = lab_cluster.http("node-1", f"http://{lab_cluster.nodes['node-1'].host_ip}:31100/",
                               count=3)
    assert all(a.get("status") == 200 for a in answers), answers

    doc = run_probe(lab_cluster)
    if kube_proxy_mode == "nftables":
        ruleset = doc.get("nft_ruleset") or {}
        chains = [e["chain"]["name"] for e in ruleset.get("nftables", [])
                  if "chain" in e and e["chain"].get("table") == "kube-proxy"]
        assert any(c.endswith("-default/website/tcp/http") and c.startswith("service-")
                   for c in chains), chains[:50]
        return
    backend = "legacy" if kube_proxy_mode == "iptables-legacy" else "nft"
    text = (doc.get("iptables") or {}).get(backend)
    assert text, f"probe JSON has no iptables[{backend!r}]: keys {sorted(doc)}"
    assert f":{WEBSITE_CHAIN} " in text
    counts = jump_counters(text, WEBSITE_CHAIN)
    assert counts, f"no rule jumps to {WEBSITE_CHAIN}"
    assert sum(counts) > 0, f"counters did not move after 8 requests: {counts}"

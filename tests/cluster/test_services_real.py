"""Issue 4 "Done when", against the real kube-proxy of the test cluster, in every mode.

node-1's state is read with the real probe inside node-1's namespace, the API objects with the
real LiveApi; the trace must name exactly the chains kube-proxy wrote (read back here with the
mode's own tools, parsed independently of the product), give 1/3 to each website pod, and after N
new connections the per-endpoint hits (DNAT packet deltas in iptables modes, conntrack entries in
every mode) must match the X-Pod-Name headers of the responses, pod for pod.
"""

from __future__ import annotations

import json
import random
import re
import sys
from collections import Counter

import pytest

from k8snet_tui.domain.services import trace_service, with_connections

from tests.cluster.harness import svc_chain_hash
from tests.cluster.live_reads import api_state, read_node

pytestmark = pytest.mark.cluster

N = 30
SPN = "default/website:http"

# One new TCP connection per source port given, so the test knows which conntrack entry belongs
# to which request: prints [{"sport", "status", "pod"} | {"sport", "error"}].
CLIENT = r"""
import http.client, json, sys
host, port = sys.argv[1], int(sys.argv[2])
out = []
for sport in [int(p) for p in sys.argv[3].split(",")]:
    conn = http.client.HTTPConnection(host, port, timeout=3, source_address=("0.0.0.0", sport))
    try:
        conn.request("GET", "/", headers={"Connection": "close"})
        resp = conn.getresponse()
        resp.read()
        out.append({"sport": sport, "status": resp.status, "pod": resp.getheader("X-Pod-Name")})
    except OSError as e:
        out.append({"sport": sport, "error": f"{type(e).__name__}: {e}"})
    finally:
        conn.close()
print(json.dumps(out))
"""








def website_pods(cluster) -> dict[str, dict]:
    """Ready website pods by name, from the API."""
    items = cluster.api.get("/api/v1/namespaces/default/pods", labelSelector="app=website")["items"]
    return {p["metadata"]["name"]: p for p in items if not p["metadata"].get("deletionTimestamp")}


def trace_website(cluster, node_state, state=None):
    state = state or api_state(cluster)
    trace = trace_service(state, node_state, "default", "website")
    assert trace.service == "default/website" and trace.node == "node-1"
    (port,) = trace.ports
    assert (port.name, port.protocol, port.port, port.node_port) == ("http", "TCP", 80, 31100)
    return trace, port


# ---- what kube-proxy wrote, read back independently of the product ---------------------------

def iptables_truth(cluster, mode):
    """(service chain, external chain, {KUBE-SEP chain: (ip:port, probability or None)}) from
    the real iptables-save of node-1."""
    backend = "legacy" if mode == "iptables-legacy" else "nft"
    text = cluster.iptables_save("node-1", backend)
    svc = "KUBE-SVC-" + svc_chain_hash(SPN, "tcp")
    ext = "KUBE-EXT-" + svc_chain_hash(SPN, "tcp")
    assert f":{svc} " in text and f":{ext} " in text, text[:3000]
    seps = {}
    for line in text.splitlines():
        m = re.match(rf"^-A {svc} .*-j (KUBE-SEP-[A-Z0-9]+)", line)
        if m:
            prob = re.search(r"--probability (\S+)", line)
            seps[m.group(1)] = prob.group(1) if prob else None
    dests = {}
    for sep in seps:
        (dnat,) = [line for line in text.splitlines()
                   if line.startswith(f"-A {sep} ") and "-j DNAT" in line]
        dests[sep] = re.search(r"--to-destination (\S+)", dnat).group(1)
    nodeports = [line for line in text.splitlines()
                 if line.startswith("-A KUBE-NODEPORTS ") and "--dport 31100" in line]
    assert nodeports and all(f"-j {ext}" in line for line in nodeports), nodeports
    return svc, ext, {sep: (dests[sep], seps[sep]) for sep in seps}


def nft_truth(cluster):
    """(service chain, external chain, endpoint chains or None, {ip:port}) from the real
    `nft list table ip kube-proxy` of node-1; endpoint chains is None in the direct-map form."""
    text = cluster.nft_kube_proxy_table("node-1")
    chains = re.findall(r"^\s*chain (\S+) \{", text, re.MULTILINE)
    svc = [c for c in chains if c.startswith("service-") and c.endswith("-default/website/tcp/http")]
    ext = [c for c in chains if c.startswith("external-") and c.endswith("-default/website/tcp/http")]
    assert len(svc) == 1 and len(ext) == 1, chains
    # the numgen map spans several lines: take the chain up to its closing brace at line start
    body = re.split(r"\n\s*}\n", text.split(f"chain {svc[0]} {{", 1)[1], maxsplit=1)[0]
    eps = re.findall(r"(endpoint-[A-Z0-9]+-default/website/tcp/http__(\d+\.\d+\.\d+\.\d+)/(\d+))", body)
    if eps:
        return svc[0], ext[0], {e[0] for e in eps}, {f"{e[1]}:{e[2]}" for e in eps}
    addrs = set(re.findall(r"(\d+\.\d+\.\d+\.\d+) \. (\d+)", body)) | set(
        re.findall(r"dnat to (\d+\.\d+\.\d+\.\d+):(\d+)", body))
    assert addrs, body
    return svc[0], ext[0], None, {f"{a}:{p}" for a, p in addrs}


def nodeport_in_nft(cluster, ext):
    text = cluster.nft_kube_proxy_table("node-1")
    m = re.search(r"map service-nodeports \{.*?elements = \{(.*?)\}", text, re.DOTALL)
    assert m, "no service-nodeports map"
    assert re.search(rf"tcp \. 31100 : goto {re.escape(ext)}", m.group(1)), m.group(1)


# ---- the tests ---------------------------------------------------------------------------------

def test_trace_names_exactly_the_chains_kube_proxy_wrote(lab_cluster, kube_proxy_mode):
    node = read_node(lab_cluster)
    trace, port = trace_website(lab_cluster, node)
    assert trace.backend == kube_proxy_mode
    pods = website_pods(lab_cluster)
    assert len(pods) == 3
    by_ip = {p["status"]["podIP"]: name for name, p in pods.items()}
    api_eps = {f"{ip}:80" for ip in by_ip}
    got_eps = {f"{e.address}:{e.port}" for e in port.endpoints}
    assert got_eps == api_eps

    if kube_proxy_mode == "nftables":
        svc, ext, ep_chains, addrs = nft_truth(lab_cluster)
        print(f"nftables form: {'vmap to endpoint chains' if ep_chains else 'direct numgen map DNAT'}")
        assert port.chains["service"] == svc and port.chains["external"] == ext
        assert addrs == api_eps
        if ep_chains is not None:
            assert {e.chain for e in port.endpoints} == ep_chains
        else:
            assert all(e.chain is None for e in port.endpoints)
        assert all(e.probability is None for e in port.endpoints)
    else:
        svc, ext, seps = iptables_truth(lab_cluster, kube_proxy_mode)
        assert port.chains["service"] == svc and port.chains["external"] == ext
        assert port.chains["local"] is None and port.chains["firewall"] is None
        assert {e.chain: (f"{e.address}:{e.port}", e.probability) for e in port.endpoints} == seps
        # as iptables prints them: 1/3, then 1/2 of the rest, then the rest
        assert [e.probability for e in port.endpoints] == ["0.33333333349", "0.50000000000", None]

    assert [round(e.share, 6) for e in port.endpoints] == [round(1 / 3, 6)] * 3
    assert abs(sum(e.share for e in port.endpoints) - 1) < 1e-9
    for e in port.endpoints:
        assert e.in_kernel and e.in_api
        assert e.pod == f"default/{by_ip[e.address]}"
        assert e.ready is True
        assert e.node == pods[by_ip[e.address]]["spec"]["nodeName"]
    codes = [f.code for f in port.findings]
    assert not [c for c in codes if c in ("no-endpoints", "endpoint-not-in-kernel", "kernel-endpoint-not-in-api",
                                          "no-kube-proxy-rules", "endpoint-chain-unreadable")], codes


def test_nodeport_31100_goes_through_the_nodeport_entry_and_the_external_chain(lab_cluster, kube_proxy_mode):
    node = read_node(lab_cluster)
    _trace, port = trace_website(lab_cluster, node)
    assert any(e.kind == "node-port" and e.port == 31100 for e in port.entry_points)
    if kube_proxy_mode == "nftables":
        _svc, ext, _eps, _addrs = nft_truth(lab_cluster)
        nodeport_in_nft(lab_cluster, ext)
        assert port.chains["external"] == ext
        entries = [s for s in port.steps if s.chain == "service-nodeports"]
        assert entries and "31100" in entries[0].text and ext in entries[0].text, port.steps
        ext_rules = [s for s in port.steps if s.chain == ext]
        assert ext_rules and any(port.chains["service"] in s.text for s in ext_rules), ext_rules
    else:
        ext = "KUBE-EXT-" + svc_chain_hash(SPN, "tcp")
        assert port.chains["external"] == ext
        entries = [s for s in port.steps if s.chain == "KUBE-NODEPORTS"]
        assert entries and all(ext in s.text and "31100" in s.text for s in entries), port.steps
        ext_rules = [s for s in port.steps if s.chain == ext]
        assert any(s.kind == "masquerade" for s in ext_rules), ext_rules
        assert any(f"-j {port.chains['service']}" in s.text for s in ext_rules), ext_rules
    # and it really works from node-1 through the node port
    answers = lab_cluster.http("node-1", f"http://{lab_cluster.nodes['node-1'].host_ip}:31100/", count=2)
    assert all(a.get("status") == 200 for a in answers), answers


def _free_ports(conntrack, n):
    used = {c.get("orig_sport") for c in conntrack} | {c.get("reply_dport") for c in conntrack}
    base = random.randrange(20000, 30000 - 2 * n)
    return [p for p in range(base, base + 2 * n) if p not in used][:n]


def test_which_pod_did_you_hit(lab_cluster, kube_proxy_mode):
    """N new connections to the ClusterIP from node-1: the per-endpoint hits add up to N and
    match, pod for pod, the pods named in the responses' X-Pod-Name headers."""
    state = api_state(lab_cluster)
    before = read_node(lab_cluster)
    assert before.conntrack is not None
    _trace0, port0 = trace_website(lab_cluster, before, state)
    ip = port0.cluster_ip
    sports = _free_ports(before.conntrack, N)
    assert len(sports) == N
    proc = lab_cluster.run_in_node("node-1", [sys.executable, "-c", CLIENT, ip, "80",
                                              ",".join(map(str, sports))], timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    answers = json.loads(proc.stdout)
    assert all(a.get("status") == 200 and a.get("pod") for a in answers), answers
    served = Counter(a["pod"] for a in answers)
    after = read_node(lab_cluster)
    trace1, port1 = trace_website(lab_cluster, after, state)
    pod_of = {(e.address, e.port): e.pod.split("/", 1)[1] for e in port1.endpoints}
    print(f"{kube_proxy_mode}: {N} connections to {ip}: " + ", ".join(f"{p}={n}" for p, n in sorted(served.items())))

    # conntrack, in every mode: exactly one entry per connection, and its reply comes from the
    # pod that answered that very connection
    ours = [c for c in after.conntrack
            if c.get("orig_dst") == ip and c.get("orig_dport") == 80 and c.get("orig_sport") in set(sports)
            and str(c.get("proto")).lower() == "tcp"]
    assert sorted(c["orig_sport"] for c in ours) == sorted(sports), f"{len(ours)} entries for {N} connections"
    by_sport = {c["orig_sport"]: pod_of.get((c["reply_src"], c["reply_sport"])) for c in ours}
    assert by_sport == {a["sport"]: a["pod"] for a in answers}
    counted = with_connections(trace1, ours)
    connections = {e.pod.split("/", 1)[1]: e.connections for e in counted.ports[0].endpoints}
    assert sum(connections.values()) == N
    assert {p: n for p, n in connections.items() if n} == dict(served)

    if kube_proxy_mode != "nftables":
        # nat rules count the first packet of each connection: the DNAT rule deltas are the hits
        old = {e.chain: e.packets for e in port0.endpoints}
        assert all(isinstance(e.packets, int) for e in port1.endpoints), port1.endpoints
        deltas = {e.pod.split("/", 1)[1]: e.packets - old[e.chain] for e in port1.endpoints}
        print(f"{kube_proxy_mode}: DNAT packet deltas {deltas}")
        assert sum(deltas.values()) == N
        assert {p: n for p, n in deltas.items() if n} == dict(served)
    else:
        assert all(e.packets is None for e in port1.endpoints)

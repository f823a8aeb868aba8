"""Where a meshed pod's connection really goes, against where k8snet says it goes.

The mesh scenario's sidecar pods (tests/cluster/scenarios/mesh) get their redirect rules from
Istio's real `pilot-agent istio-iptables`, run in each pod's network namespace with the args the
injector's template gives the istio-init container (harness/mesh.py). Each pod runs meshpod.py
on the proxy's ports (15001, 15006) and its app ports, answering every connection with the
listener that took it and the original destination. For each case k8snet reads the pod's rules
the way its probe does (k8snet_tui/probe/podnetns.py), walks the connection through them
(domain/mesh/walk.py), and its verdict (redirected to port N in the pod / straight out) must be
what the connection met: included and excluded ports, a connection made as the proxy's uid
1337 (and gid 1337 alone), excluded and included CIDRs, loopback and the pod's own address, and
arriving connections on included and other ports.

The proxies themselves (Envoy) cannot run here: nothing is proxied, the stand-in only answers.
"""

from __future__ import annotations

import json
import time

import pytest

from k8snet_tui.domain.mesh.datapath import pod_datapath
from k8snet_tui.domain.mesh.detect import detect_pod
from k8snet_tui.domain.mesh.walk import inbound_packet, outbound_packet
from k8snet_tui.domain.model import ClusterState
from k8snet_tui.probe.podnetns import read_netns

from tests.cluster.harness import mesh
from tests.cluster.harness.cluster import SCENARIOS

pytestmark = pytest.mark.cluster

PY = "/usr/bin/python3"  # readable by uid 1337 (the venv's interpreter may live under /root)
CONNECT = ("import socket,sys\n"
           "s=socket.create_connection((sys.argv[1],int(sys.argv[2])),timeout=3)\n"
           "print(s.recv(600).decode().strip())\n")
SIDECARS = ("sidecar-default", "sidecar-excl", "sidecar-only")


@pytest.fixture(scope="module")
def meshed(lab_cluster):
    c = lab_cluster
    c.apply(mesh.mesh_crds(c.bin, istio_only=True))
    c.apply(SCENARIOS / "mesh")
    pods_dir = c.run_dir / "pods"
    names = [("mesh-app", n) for n in (*SIDECARS, "not-injected")] + [
        ("mesh-plain", n) for n in ("plain-1", "plain-2", "ambient-1")]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if all((pods_dir / f"{ns}_{n}.mesh.ready").exists() for ns, n in names):
            break
        time.sleep(0.5)
    else:
        missing = [f"{ns}/{n}" for ns, n in names if not (pods_dir / f"{ns}_{n}.mesh.ready").exists()]
        pytest.fail(f"mesh pods not serving after 120 s: {missing}; agent errors: {c.agent.errors[-5:]}")
    yield c
    c.delete(SCENARIOS / "mesh")


def pod(c, ns: str, name: str) -> dict:
    return c.api.get(f"/api/v1/namespaces/{ns}/pods/{name}")


def ip_of(c, ns: str, name: str) -> str:
    return pod(c, ns, name)["status"]["podIP"]


def real(c, ns: str, name: str, dst: str, port: int, uid: int = 0, gid: int = 0) -> dict:
    """Connect from the pod's netns as uid/gid; the JSON line of whoever accepted."""
    argv = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", PY, "-I", "-S", "-c", CONNECT,
            dst, str(port)]
    done = c.run_in_pod(ns, name, argv, timeout=20)
    assert done.returncode == 0, f"connect {ns}/{name} -> {dst}:{port} as {uid}:{gid}: {done.stderr[-300:]}"
    return json.loads(done.stdout)


def said(c, ns: str, name: str, dst: str, port: int, uid: int = 0, gid: int = 0, inbound_from: str = ""):
    """k8snet's verdict for the connection, from the pod's rules as its probe reads them."""
    netns = c.pod_netns(ns, name)
    reading = read_netns(f"/run/netns/{netns}")
    assert not reading.get("error"), reading
    ip = ip_of(c, ns, name)
    packet = (inbound_packet(ip, port, inbound_from) if inbound_from
              else outbound_packet(dst, port, uid=uid, gid=gid, pod_ips=(ip,)))
    dp = pod_datapath(reading)
    return dp.walk(packet, inbound=bool(inbound_from))


def test_the_harness_gives_istio_init_the_injectors_args(meshed):
    for name in SIDECARS:
        p = pod(meshed, "mesh-app", name)
        written = next(ic["args"] for ic in p["spec"]["initContainers"] if ic["name"] == "istio-init")
        assert mesh.istio_init_args(p) == written, name
        ran = json.loads((meshed.run_dir / "pods" / f"mesh-app_{name}.istio-init.json").read_text())
        assert ran == written, name


def test_detection_on_the_scenario(meshed):
    ns_labels = {ns: meshed.api.get(f"/api/v1/namespaces/{ns}")["metadata"].get("labels", {})
                 for ns in ("mesh-app", "mesh-plain")}
    got = {n: detect_pod(pod(meshed, ns, n), ns_labels[ns]) for ns, n in
           [("mesh-app", s) for s in SIDECARS] + [("mesh-app", "not-injected"), ("mesh-plain", "plain-1"),
                                                 ("mesh-plain", "ambient-1")]}
    for s in SIDECARS:
        assert (got[s].mesh, got[s].mode, got[s].version, got[s].init) == ("istio", "sidecar", "1.31.0", "istio-init")
    assert (got["ambient-1"].mesh, got["ambient-1"].mode) == ("istio", "ambient")
    assert not got["plain-1"].meshed and got["plain-1"].findings == ()
    assert not got["not-injected"].meshed
    assert any("asks for Istio injection" in f for f in got["not-injected"].findings)
    _ = ClusterState  # the pane reads the same objects through the state (tests/domain/test_mesh_*)


def _cases(c):
    p1, p2 = ip_of(c, "mesh-plain", "plain-1"), ip_of(c, "mesh-plain", "plain-2")
    own = ip_of(c, "mesh-app", "sidecar-default")
    # (pod, dst, port, uid, gid, where it should land: "proxy" or the listener's pod)
    return [
        ("sidecar-default", p2, 80, 0, 0),
        ("sidecar-default", p1, 5432, 0, 0),
        ("sidecar-default", p2, 80, 1337, 1337),   # the proxy's own uid: never redirected
        ("sidecar-default", p2, 80, 5, 1337),      # the proxy's gid alone is enough
        ("sidecar-default", "127.0.0.1", 8080, 0, 0),
        ("sidecar-default", own, 8080, 0, 0),
        ("sidecar-excl", p1, 80, 0, 0),
        ("sidecar-excl", p1, 5432, 0, 0),          # excludeOutboundPorts
        ("sidecar-excl", p1, 9000, 0, 0),
        ("sidecar-excl", p2, 80, 0, 0),            # excludeOutboundIPRanges: node-2's pod CIDR
        ("sidecar-excl", p1, 80, 1337, 1337),
        ("sidecar-only", p1, 80, 0, 0),            # includeOutboundIPRanges: node-1's pod CIDR
        ("sidecar-only", p2, 80, 0, 0),            # outside it
        ("sidecar-only", p2, 9000, 0, 0),          # includeOutboundPorts: taken anywhere
        ("sidecar-only", p1, 80, 1337, 1337),
    ]


def test_outbound_verdicts_equal_where_connections_arrive(meshed):
    checked = {"redirect": 0, "out": 0}
    for name, dst, port, uid, gid in _cases(meshed):
        walk = said(meshed, "mesh-app", name, dst, port, uid, gid)
        got = real(meshed, "mesh-app", name, dst, port, uid, gid)
        where = f"{name} -> {dst}:{port} as {uid}:{gid}: k8snet says {walk.words}; it arrived at {got}"
        assert walk.verdict in ("redirect", "out"), where
        if walk.verdict == "redirect":
            assert got["pod"] == f"mesh-app/{name}" and got["listener"] == walk.port, where
            assert got["original_dst"] == f"{dst}:{port}", where
        else:
            assert got["listener"] == port and got["original_dst"] == f"{dst}:{port}", where
            if dst not in ("127.0.0.1", ip_of(meshed, "mesh-app", name)):
                assert got["pod"] != f"mesh-app/{name}", where
        checked[walk.verdict] += 1
    assert checked["redirect"] >= 5 and checked["out"] >= 8, checked


def test_inbound_verdicts_equal_where_connections_arrive(meshed):
    src = ip_of(meshed, "mesh-plain", "plain-1")
    for name, port in (("sidecar-default", 8080), ("sidecar-excl", 8080), ("sidecar-excl", 9090)):
        ip = ip_of(meshed, "mesh-app", name)
        walk = said(meshed, "mesh-app", name, ip, port, inbound_from=src)
        got = real(meshed, "mesh-plain", "plain-1", ip, port)
        where = f"plain-1 -> {name} {ip}:{port}: k8snet says {walk.words}; it arrived at {got}"
        assert got["pod"] == f"mesh-app/{name}", where
        assert got["listener"] == (walk.port if walk.verdict == "redirect" else port), where
        assert got["original_dst"] == f"{ip}:{port}", where
    # sidecar-excl includes only 8080 inbound: 9090 reaches the app itself
    assert said(meshed, "mesh-app", "sidecar-excl", "", 9090, inbound_from=src).verdict == "out"


def test_unmeshed_and_ambient_pods_have_no_redirect_rules(meshed):
    for ns, name in (("mesh-plain", "plain-1"), ("mesh-plain", "ambient-1"), ("mesh-app", "not-injected")):
        reading = read_netns(f"/run/netns/{meshed.pod_netns(ns, name)}")
        dp = pod_datapath(reading)
        assert dp.layout.mesh == "" and not dp.layout.redirects, (ns, name)


def test_the_panes_own_statement_matches_too(meshed):
    """The same cases through what pane 0 and `k8snet mesh` use: the API's pods and namespaces as a
    ClusterState, the probe's whole-node reading of every namespace (collect_pod_netns, as
    `k8snet probe` runs it; the harness's nodes share this machine, so each node gets it), the
    readings joined to pods by IP (build_mesh_view) and `explain`."""
    from k8snet_tui.domain.mesh.view import build_mesh_view, explain
    from k8snet_tui.domain.model import NodeState
    from k8snet_tui.probe.podnetns import collect_pod_netns

    c = meshed
    objs = []
    for path, kind in (("/api/v1/pods", "Pod"), ("/api/v1/namespaces", "Namespace")):
        for item in c.api.get(path)["items"]:
            objs.append({**item, "kind": kind, "apiVersion": "v1"})
    readings, _errors = collect_pod_netns(cap=400, budget=300)
    mine = tuple(r for r in readings if any(ip_of(c, ns, n) in (r.get("addresses") or [])
                                            for ns, n in [("mesh-app", s) for s in SIDECARS]))
    assert len(mine) == len(SIDECARS), [r.get("path") for r in mine]
    nodes = {n: NodeState(node=n, pod_netns=mine) for n in ("node-1", "node-2")}
    view = build_mesh_view(ClusterState.from_objects(objs), nodes, "mesh-app")
    for name, dst, port, uid, gid in _cases(c):
        if uid != gid:
            continue  # explain takes one uid for both, as the app runs
        row = view.pod(f"mesh-app/{name}")
        assert row is not None and row.mode == "sidecar", name
        e = explain(row, dst, port, uid=uid)
        got = real(c, "mesh-app", name, dst, port, uid, gid)
        where = f"{name} -> {dst}:{port} as {uid}: the pane says {e.words} ({e.order}); it arrived at {got}"
        if e.verdict == "redirect":
            assert got["pod"] == f"mesh-app/{name}" and got["listener"] == e.proxy_port == 15001, where
        else:
            assert e.verdict == "out" and got["listener"] == port, where

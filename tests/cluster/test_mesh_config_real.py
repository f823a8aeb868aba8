"""The mesh configuration tables, as real API objects: the verdicts k8snet gives from what its
live source reads back equal the documented ones.

Istio's CRDs (the istio.io/istio module's manifests/charts/base/files/crd-all.gen.yaml) and
Gateway API's HTTPRoute and GRPCRoute CRDs (the sigs.k8s.io/gateway-api release Istio's go.mod
names, config/crd/standard) are installed from bin/mesh-crds, where tests/cluster/build.sh
copies them from the modules the Go module proxy serves. For each case of tests/domain/mesh's
tables the objects are applied with server-side apply (the API server validates them against
the CRDs' schemas and sets their creation times), read back through LiveApi (listing and
slimming as the product does), and the routes, mTLS and authorization verdicts k8snet gives
are compared with the table's documented answer and with the answer from the table's own
objects. The pods are real Pod objects held by a scheduling gate: nothing runs them (nothing in
a verdict needs a process; the redirect rules are test_mesh_real.py's). Linkerd's CRDs are not
served by the module proxy, so its cases stay in the domain tests.
"""

from __future__ import annotations

import copy
import time

import pytest

from k8snet_tui.domain.mesh.config import service_config

from tests.cluster.harness.mesh import mesh_crds
from tests.cluster.live_reads import api_state
from tests.domain.mesh import test_config_authz, test_config_mtls, test_config_routes
from tests.domain.mesh.world import ask, base, obj

pytestmark = pytest.mark.cluster

NAMESPACES = ("shop", "legacy", "other", "istio-system")
GATE = [{"name": "k8snet.test/never-run"}]


def _as_applied(o: dict) -> dict:
    """A table object as a user applies it: no creationTimestamp (the server sets it); pods held
    by a scheduling gate and without status."""
    o = copy.deepcopy(o)
    o["metadata"].pop("creationTimestamp", None)
    if o["kind"] == "Pod":
        o.pop("status", None)
        o["spec"]["schedulingGates"] = GATE
        o["spec"].pop("nodeName", None)
    if o["kind"] == "Service":
        o["spec"].pop("clusterIP", None)  # the server allocates one from its own range
    return o


@pytest.fixture(scope="module")
def world(lab_cluster):
    c = lab_cluster
    c.apply(mesh_crds(c.bin))
    accounts = [{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"namespace": ns, "name": n}}
                for ns, n in (("shop", "bookinfo-productpage"), ("other", "ratings"))]
    objs = [_as_applied(o) for o in base()]
    objs = [o for o in objs if o["kind"] == "Namespace"] + accounts + [o for o in objs if o["kind"] != "Namespace"]
    c.apply(objs)
    yield c
    for o in reversed(objs):
        if o["kind"] == "Namespace" and o["metadata"]["name"] == "istio-system":
            continue
        c.delete(o["kind"], o["metadata"]["name"], o["metadata"].get("namespace"), o["apiVersion"], grace_seconds=0)


def _answers(got):
    """The verdicts and who decided them (a route's words may differ: the API server fills in
    Gateway API's defaults, such as a PathPrefix "/" match, that the table leaves out)."""
    return (got.tls.answer, [d.words for d in got.tls.by], got.authz.answer, [d.words for d in got.authz.by],
            got.chosen, [(d.subset, d.percent, d.pods, d.load_balancer, d.tls) for d in got.destinations])


def _live(c, objects: list[dict], **kw):
    applied = c.apply([_as_applied(o) for o in objects])
    try:
        cluster = api_state(c)
        client = kw.pop("client", "shop/productpage")
        cns, _, cname = client.partition("/")
        source = cluster.get("Pod", cns, cname)
        assert source is not None, client
        return service_config(cluster, "shop", "reviews", source=source, **kw)
    finally:
        for o in applied:
            md = o["metadata"]
            c.delete(o["kind"], md["name"], md.get("namespace"), o["apiVersion"], grace_seconds=0)


def _istio_cases():
    for why, objs, client, answer, _by in test_config_mtls.CASES:
        yield why, objs, {"client": client}, ("tls", answer)
    for why, objs, req, chosen, _dests in test_config_routes.CASES:
        yield why, objs, dict(req), ("chosen", chosen)
    for why, objs, client, req, answer, _by in test_config_authz.CASES:
        yield why, objs, {"client": client, **req}, ("authz", answer)


CASES = list(_istio_cases())


@pytest.mark.parametrize(("why", "objects", "kw", "expected"), CASES, ids=[c[0][:50] for c in CASES])
def test_table_verdicts_from_real_api_objects(world, why, objects, kw, expected):
    live = _live(world, objects, **dict(kw))
    field, want = expected
    got = {"tls": live.tls.answer, "authz": live.authz.answer, "chosen": live.chosen}[field]
    assert got == want, (why, live.lines)
    assert _answers(live) == _answers(ask(objects, **kw)), why


def test_the_oldest_of_two_namespace_policies_wins_by_the_servers_clock(world):
    """istio.io/latest/docs/concepts/security/#peer-authentication: of several namespace-wide
    policies the oldest applies. The server stamps the times; the later one says PERMISSIVE."""
    strict = obj("PeerAuthentication", "shop", "z-first", {"mtls": {"mode": "STRICT"}})
    later = obj("PeerAuthentication", "shop", "a-second", {"mtls": {"mode": "PERMISSIVE"}})
    first = world.apply([_as_applied(strict)])
    time.sleep(1.2)  # creationTimestamp has a one-second resolution
    try:
        live = _live(world, [later], client="legacy/curl")
    finally:
        world.delete("PeerAuthentication", "z-first", "shop", first[0]["apiVersion"], grace_seconds=0)
    assert live.tls.answer == "refused"
    assert any(d.name == "z-first" for d in live.tls.by)
    assert any("oldest" in f for f in live.findings)

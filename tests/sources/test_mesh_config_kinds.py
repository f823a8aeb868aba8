"""The kinds the mesh configuration reads are watched (GRPCRoute, Linkerd's Server and its
authentications) and survive the capture allow-list with what the verdicts need; Linkerd's
AuthorizationPolicy, which shares Istio's kind name, keeps its target and required
authentications; the answers read from the slimmed objects equal those from the originals."""

from __future__ import annotations

from k8snet_tui.domain.mesh.config import service_config
from k8snet_tui.domain.model import ClusterState
from k8snet_tui.sources.allowlist import slim
from k8snet_tui.sources.kinds import BY_NAME

from tests.domain.mesh import test_config_authz, test_config_mtls, test_config_routes
from tests.domain.mesh.world import ask, base, obj


def test_new_mesh_kinds_are_watched():
    for kind in ("GRPCRoute", "Server", "MeshTLSAuthentication", "NetworkAuthentication"):
        assert BY_NAME[kind].optional and BY_NAME[kind].panes == ("mesh",)
    assert BY_NAME["Server"].group == "policy.linkerd.io"


def test_linkerd_policy_answers_survive_the_allow_list():
    server = obj("Server", "shop", "reviews-http", {"podSelector": {"matchLabels": {"app": "reviews"}}, "port": 9080,
                                                    "proxyProtocol": "HTTP/1"})
    mtls = obj("MeshTLSAuthentication", "shop", "pp", {"identities": [
        "bookinfo-productpage.shop.serviceaccount.identity.linkerd.cluster.local"]})
    pol = obj("AuthorizationPolicy", "shop", "pp-in", {"targetRef": {"kind": "Server", "name": "reviews-http"},
                                                       "requiredAuthenticationRefs": [
                                                           {"kind": "MeshTLSAuthentication", "name": "pp"}]},
              api="policy.linkerd.io/v1alpha1")
    grpc = obj("GRPCRoute", "shop", "g", {"parentRefs": [{"kind": "Service", "name": "reviews"}], "rules": [
        {"matches": [{"method": {"service": "shop.Reviews", "method": "Get"}}],
         "backendRefs": [{"name": "db", "port": 5432, "weight": 1}]}]})
    objects = [server, mtls, pol, grpc]

    def answer(objs):
        cluster = ClusterState.from_objects(base("linkerd") + objs)
        got = service_config(cluster, "shop", "reviews", source=cluster.get("Pod", "shop", "productpage"),
                             path="/shop.Reviews/Get")
        return got.authz.answer, got.chosen, [d.service for d in got.destinations]

    slimmed = [slim(o) for o in objects]
    assert all(s is not None for s in slimmed)
    assert answer(objects) == answer(slimmed) == ("allow", 0, ["shop/db"])
    authz = [server, mtls, pol]
    assert answer([slim(o) for o in authz])[0] == answer(authz)[0] == "allow"  # without its targetRef: deny


def _answers(got):
    return (got.tls.answer, [d.words for d in got.tls.by], got.authz.answer, [d.words for d in got.authz.by],
            got.chosen, [(d.subset, d.percent, d.pods, d.load_balancer, d.tls) for d in got.destinations],
            [(r.match, r.timeout, r.retries, r.fault) for r in got.routes])


def test_every_documented_case_reads_the_same_after_the_allow_list():
    """The tables of tests/domain/mesh, with every object slimmed as `k8snet capture` writes it:
    the same routes, weights, subsets, mTLS and authorization verdicts, decided by the same rules.
    (KEEP on a map drops it: a VirtualService's destinations or a policy's rules would vanish.)"""
    cases = [(objs, {"client": client}) for _why, objs, client, *_ in test_config_mtls.CASES]
    cases += [(objs, req) for _why, objs, req, *_ in test_config_routes.CASES]
    cases += [(objs, {"client": client, **req}) for _why, objs, client, req, *_ in test_config_authz.CASES]
    for objs, kw in cases:
        slimmed = [slim(o) for o in objs]
        assert all(o is not None for o in slimmed)
        assert _answers(ask(slimmed, **kw)) == _answers(ask(objs, **kw)), objs
        # the pods and Services slimmed too: a pod's service account is its mTLS principal
        cluster = ClusterState.from_objects([slim(o) for o in base() + objs])
        cns, _, cname = kw.get("client", "shop/productpage").partition("/")
        rest = {k: v for k, v in kw.items() if k != "client"}
        got = service_config(cluster, "shop", "reviews", source=cluster.get("Pod", cns, cname), **rest)
        assert _answers(got) == _answers(ask(objs, **kw)), objs

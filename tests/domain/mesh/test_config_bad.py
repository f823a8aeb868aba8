"""Bad input: conflicting objects, routes to nothing, weights that do not add up, unknown fields
and versions, and objects of the wrong shape: each a finding, never a crash.

Docs: istio.io/latest/docs/concepts/security/#peer-authentication (the oldest of several
policies at one level); istio.io/latest/docs/reference/config/networking/virtual-service/
(HTTPRouteDestination.weight: 'a destination will receive weight/(sum of all weights)';
Destination.subset must be defined in a DestinationRule); istio.io/latest/docs/ops/
common-problems/network-issues/ ("503 errors after setting destination rule").
"""

from __future__ import annotations

import copy
import itertools

from k8snet_tui.domain.mesh.config import mesh_config, service_config
from k8snet_tui.domain.model import ClusterState

from .world import ask, base, obj, subsets_dr


def test_route_to_an_undefined_subset_is_a_503_finding():
    vs = obj("VirtualService", "shop", "reviews", {"hosts": ["reviews"], "http": [{"route": [
        {"destination": {"host": "reviews", "subset": "v9"}}]}]})
    got = ask([subsets_dr(), vs])
    assert got.destinations[0].pods == ()
    assert any("subset v9" in f and "503" in f for f in got.findings)
    assert got.tls.answer == "unknown"  # no pod to connect to, said so rather than guessed
    without_dr = ask([vs])
    assert any("defined by no DestinationRule" in f for f in without_dr.findings)


def test_a_subset_that_matches_no_pod_is_a_503_finding():
    dr = obj("DestinationRule", "shop", "reviews", {"host": "reviews", "subsets": [
        {"name": "v4", "labels": {"version": "v4"}}]})
    vs = obj("VirtualService", "shop", "reviews", {"hosts": ["reviews"], "http": [{"route": [
        {"destination": {"host": "reviews", "subset": "v4"}}]}]})
    assert any("matches no pod" in f and "503" in f for f in ask([dr, vs]).findings)


def test_weights_not_summing_to_100_are_shares_of_their_sum_with_a_finding():
    vs = obj("VirtualService", "shop", "reviews", {"hosts": ["reviews"], "http": [{"route": [
        {"destination": {"host": "reviews", "subset": "v1"}, "weight": 50},
        {"destination": {"host": "reviews", "subset": "v2"}, "weight": 30}]}]})
    got = ask([subsets_dr(), vs])
    assert [d.percent for d in got.destinations] == [62.5, 37.5]
    assert any("weights sum to 80, not 100" in f for f in got.findings)


def test_conflicting_workload_peer_authentications_oldest_wins():
    sel = {"matchLabels": {"app": "reviews"}}
    a = obj("PeerAuthentication", "shop", "z-old", {"selector": sel, "mtls": {"mode": "DISABLE"}},
            created="2024-03-01T00:00:00Z")
    b = obj("PeerAuthentication", "shop", "a-new", {"selector": sel, "mtls": {"mode": "STRICT"}},
            created="2026-03-01T00:00:00Z")
    got = ask([b, a], client="legacy/curl")
    assert got.tls.answer == "plaintext"
    assert any(d.name == "z-old" for d in got.tls.by)
    assert any("2 workload-level PeerAuthentications" in f for f in got.findings)


def test_unknown_fields_modes_and_versions_are_findings():
    vs = obj("VirtualService", "shop", "reviews", {"hosts": ["reviews"], "http": [
        {"match": [{"urii": {"prefix": "/"}}], "route": [{"destination": {"host": "reviews"}}]}]},
        api="networking.istio.io/v9")
    pa = obj("PeerAuthentication", "shop", "default", {"mtls": {"mode": "STRICTEST"}})
    dr = obj("DestinationRule", "shop", "reviews", {"host": "reviews", "trafficPolicy": {"tls": {"mode": "MTLS"}}})
    got = ask([vs, pa, dr], path="/")
    text = "\n".join(got.findings)
    assert "does not have (urii)" in text
    assert "'STRICTEST' is not one Istio knows" in text
    assert "'MTLS' is not one Istio knows" in text
    assert "apiVersion networking.istio.io/v9 is not one this reader knows" in text
    assert got.chosen is None  # the unknown match is undecided, not a guess


def _mangle(value, path=()):
    """Every subtree of `value` replaced in turn by values of the wrong type."""
    yield path, None
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _mangle(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _mangle(v, (*path, i))


def _set(tree, path, new):
    out = copy.deepcopy(tree)
    if not path:
        return new
    node = out
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = new
    return out


def test_objects_of_the_wrong_shape_never_raise():
    """Each subtree of a realistic set of objects, replaced by a string, a number, a list, a map
    or nothing: the answer is made, with findings where it has to say something."""
    vs = obj("VirtualService", "shop", "reviews", {"hosts": ["reviews"], "http": [
        {"match": [{"headers": {"end-user": {"exact": "jason"}}, "uri": {"prefix": "/"}}],
         "route": [{"destination": {"host": "reviews", "subset": "v2", "port": {"number": 9080}}, "weight": 100}],
         "retries": {"attempts": 2}, "fault": {"abort": {"httpStatus": 500, "percentage": {"value": 1}}}}]})
    dr = obj("DestinationRule", "shop", "reviews", {"host": "reviews", "trafficPolicy": {
        "tls": {"mode": "ISTIO_MUTUAL"}, "portLevelSettings": [{"port": {"number": 9080}, "loadBalancer": {"simple": "RANDOM"}}]},
        "subsets": [{"name": "v2", "labels": {"version": "v2"}}]})
    pa = obj("PeerAuthentication", "shop", "r", {"selector": {"matchLabels": {"app": "reviews"}}, "mtls": {"mode": "STRICT"},
                                                 "portLevelMtls": {"9080": {"mode": "PERMISSIVE"}}})
    ap = obj("AuthorizationPolicy", "shop", "a", {"action": "ALLOW", "rules": [
        {"from": [{"source": {"principals": ["*"], "ipBlocks": ["10.0.0.0/8"]}}],
         "to": [{"operation": {"ports": ["9080"], "paths": ["/r*"]}}], "when": [{"key": "source.ip", "values": ["x"]}]}]})
    route = obj("HTTPRoute", "shop", "h", {"parentRefs": [{"kind": "Service", "name": "reviews"}], "rules": [
        {"matches": [{"path": {"type": "Exact", "value": "/r"}, "headers": [{"name": "a", "value": "b"}]}],
         "backendRefs": [{"name": "reviews", "port": 9080, "weight": 2}]}]})
    originals = [vs, dr, pa, ap, route]
    wrong = ("x", 7, [1, "y"], {"z": {}}, None)
    count = 0
    for i, o in enumerate(originals):
        for (path, _), bad in itertools.product(list(_mangle(o)), wrong):
            if path[:1] in (("kind",), ("metadata",)) and len(path) < 3:
                continue
            objects = [*originals[:i], _set(o, path, bad), *originals[i + 1:]]
            cluster = ClusterState.from_objects(base() + objects)
            got = service_config(cluster, "shop", "reviews", source=cluster.get("Pod", "shop", "productpage"),
                                 path="/r", method="GET", headers={"end-user": "jason"})
            assert got.lines and got.tls.answer and got.authz.answer
            count += 1
    assert count > 300
    assert mesh_config(ClusterState.from_objects(base() + originals)).state == "read"


def test_no_mesh_objects_says_so():
    got = mesh_config(ClusterState.from_objects(base()))
    assert got.state == "no mesh configuration" and got.services == ()

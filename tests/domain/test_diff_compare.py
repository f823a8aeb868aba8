"""The comparison of two states on the bundled lab: a pod deletion as kube-proxy would leave it."""

import json
import re
from dataclasses import replace

import pytest

from k8snet_tui.collect.session import SnapshotSession
from k8snet_tui.domain.diff import compare
from k8snet_tui.domain.model import ClusterState, Observed
from k8snet_tui.sources.snapshot import load_snapshot

from tests import lab_roles as roles
from tests.lab_deletion import website_pod_deletion

DELETION = website_pod_deletion()  # the website pod on the captured node: its SEP chain and route are there
VICTIM, SEP, IP = DELETION.victim, DELETION.sep, DELETION.address
NODE = roles.captured_node()


@pytest.fixture(scope="module")
def lab():
    return SnapshotSession(load_snapshot("lab")).observed()


def deleted(lab: Observed, *, noise: bool = True) -> Observed:
    """The lab after `kubectl delete pod` of the victim, written by hand as the API and
    kube-proxy leave it: the pod, its endpoints, its SEP chain and its route gone, the first
    remaining rule at 1/2; with `noise`, counters and timestamps moved too."""
    objs = []
    for kind, items in lab.cluster.objects.items():
        for o in items:
            o = json.loads(json.dumps(o))
            o.setdefault("kind", kind)
            if kind == "Pod" and f"{o['metadata']['namespace']}/{o['metadata']['name']}" == VICTIM:
                continue
            if kind == "EndpointSlice":
                o["endpoints"] = [e for e in o.get("endpoints", []) if IP not in e.get("addresses", [])]
            if noise:
                o.setdefault("metadata", {})["resourceVersion"] = "999999"
            objs.append(o)
    node = lab.local
    text = DELETION.rules_after(node.iptables["legacy"])
    if noise:
        text = re.sub(r"^\[\d+:\d+\] -A KUBE-SERVICES", "[4242:424242] -A KUBE-SERVICES", text, flags=re.M)
    routes = tuple(r for r in node.routes if r.get("dst") != IP)
    new_node = replace(node, iptables={**node.iptables, "legacy": text}, routes=routes,
                       conntrack=() if noise else node.conntrack, neighbours=() if noise else node.neighbours)
    return replace(lab, cluster=ClusterState.from_objects(objs), nodes={**lab.nodes, node.node: new_node})


def by_group(d):
    return {g.name: [(c.change, c.subject) for c in g.changes] for g in d.groups}


def test_the_same_state_has_no_change(lab):
    d = compare(lab, lab)
    assert d.same and d.nodes == (NODE,)
    assert all(not g.changes for g in d.groups)


def test_a_deleted_pod_is_named_in_every_group_it_touches_and_nothing_else(lab):
    d = compare(lab, deleted(lab))
    g = by_group(d)
    assert g["pods"] == [("removed", VICTIM)]
    assert g["services"] == []
    assert g["endpoints"] == [("removed", f"default/headlesswebsite:http {IP}:80"),
                              ("removed", f"default/website:http {IP}:80")]
    assert g["chains"] == [("removed", f"default/website:http {IP}:80")]
    (chain,) = [c for grp in d.groups if grp.name == "chains" for c in grp.changes]
    assert SEP in chain.words and f"endpoint chain of {IP}:80" in chain.words
    # the two endpoints left: each 1/3 before, 1/2 after; the first in rule order at probability 1/2
    first, last = DELETION.left
    assert g["probabilities"] == sorted(("changed", f"default/website:http {a}:80") for a in DELETION.left)
    probs = {c.subject: c for grp in d.groups if grp.name == "probabilities" for c in grp.changes}
    for address in DELETION.left:
        before = DELETION.probability_before(address)
        assert probs[f"default/website:http {address}:80"].before == (f"1/3 (probability {before})" if before else "1/3")
    assert probs[f"default/website:http {first}:80"].after == "1/2 (probability 0.50000000000)"
    assert probs[f"default/website:http {last}:80"].after == "1/2"
    route = DELETION.route
    assert g["routes"] == [("removed", f"{NODE} {IP} dev {route['dev']} scope {route['scope']} src {route['prefsrc']}")]
    dns = dict(g["dns"])
    assert set(g["dns"]) == {("changed", "headlesswebsite.default.svc.cluster.local. A"),
                             ("changed", "_http._tcp.headlesswebsite.default.svc.cluster.local. SRV"),
                             ("removed", f"{IP.replace('.', '-')}.headlesswebsite.default.svc.cluster.local. A")}, dns
    # counters, conntrack, neighbours and resourceVersions moved, and are not named
    assert not [c for grp in d.groups for c in grp.changes if "424242" in c.words or "999999" in c.words]


def test_noise_alone_is_no_change(lab):
    noisy = deleted(lab)
    assert compare(noisy, replace(noisy, nodes={
        NODE: replace(noisy.local, conntrack=lab.local.conntrack, neighbours=lab.local.neighbours)})).same


def test_a_node_only_on_one_side_is_said(lab):
    d = compare(lab, replace(lab, nodes={}))
    assert d.nodes == ()
    assert by_group(d)["nodes"] == [("removed", NODE)]


def test_rules_that_changed_without_the_api_are_still_found(lab):
    """kube-proxy behind the API (or a hand edit): only the dump differs. The comparison traces
    just the Services whose chains appear in changed lines, so this must still be seen."""
    node = lab.local
    text = "\n".join(line for line in node.iptables["legacy"].splitlines() if SEP not in line) + "\n"
    after = replace(lab, nodes={NODE: replace(node, iptables={**node.iptables, "legacy": text})})
    g = by_group(compare(lab, after))
    assert g["pods"] == g["endpoints"] == g["dns"] == g["routes"] == []
    assert g["chains"] == [("removed", f"default/website:http {IP}:80")]
    # the other Services' chains did not change, and none is named
    assert all(s.startswith("default/website:http") for _, s in g["chains"] + g["probabilities"])

"""Each pane's presenter on a small fixture: the rows, the namespace, what `enter` leads to."""

from __future__ import annotations

import json

import pytest

from k8snet_tui.domain.model import NodeState, Observed
from k8snet_tui.errors import UsageError
from k8snet_tui.present import Selection, present_pane
from k8snet_tui.present.serialize import to_jsonable
from k8snet_tui.registry import PANES

from .fixtures import observed
from tests import lab_roles as roles

LAB_INGRESS = f"http://{roles.node_ip(roles.captured_node())}:{roles.node_port('emissary', 'emissary-ingress', 'http')}"


def _json(model):
    return json.loads(json.dumps(to_jsonable(model)))


@pytest.mark.parametrize("pane", [spec.id for spec in PANES])
def test_every_presenter_is_pure_and_serializable(pane):
    obs = observed()
    a, b = present_pane(pane, obs, Selection()), present_pane(pane, obs, Selection())
    assert a == b  # same inputs, same model
    assert _json(a) == _json(b)
    with pytest.raises(Exception):  # noqa: B017 - frozen: FrozenInstanceError or AttributeError
        a.node = "x"  # type: ignore[misc]


@pytest.mark.parametrize("pane", [spec.id for spec in PANES])
def test_every_presenter_survives_an_empty_cluster(pane):
    _json(present_pane(pane, Observed(), Selection()))


def test_unknown_node_is_a_usage_error():
    with pytest.raises(UsageError, match="node-9"):
        present_pane("host", observed(), Selection(node="node-9"))


# -- services ----------------------------------------------------------------------------------

def test_services_rows_counts_and_marks():
    model = present_pane("services", observed(), Selection())
    rows = {r.key: r for r in model.rows}
    assert list(rows) == ["shop/cart", "web/empty", "web/ext", "web/site"]  # sorted
    site = rows["web/site"]
    assert (site.ready, site.total, site.endpoints) == (1, 2, "1/2")
    assert site.cells()[5] == "1/2 !"  # some not ready
    assert rows["web/empty"].cells()[5] == "0/0 ⚠"  # none at all
    assert rows["web/ext"].cells()[5] == "0/0"  # ExternalName has no endpoints by design
    assert site.cells(reading=True)[6] == "…reading"
    assert model.backend == "none"  # the fixture node has no kube-proxy rules


def test_services_namespace_narrows_rows_but_not_the_json_shape():
    model = present_pane("services", observed(), Selection(namespace="shop"))
    assert [r.key for r in model.rows] == ["shop/cart"]
    doc = _json(model)
    assert set(doc) == {"node", "backend", "rows", "consistency"}
    assert set(doc["rows"][0]) == {"namespace", "name", "type", "cluster_ip", "ports", "ready", "total",
                                   "endpoints", "backend"}


# -- pods --------------------------------------------------------------------------------------

def test_pods_namespace_applies():
    every = present_pane("pods", observed(), Selection())
    shop = present_pane("pods", observed(), Selection(namespace="shop"))
    assert {p.namespace for p in every.pods} == {"web", "shop"}
    assert [p.key for p in shop.pods] == ["shop/cart-a"]
    node_cidrs = {c.node: c for c in shop.node_cidrs}  # cluster facts are not narrowed
    assert set(node_cidrs) == {"node-1", "node-2"}
    assert node_cidrs["node-1"].valid and node_cidrs["node-1"].size == 256


# -- host --------------------------------------------------------------------------------------

def test_host_rows_in_words():
    model = present_pane("host", observed(), Selection())
    (eth0,) = [i for i in model.interfaces if i.name == "eth0"]
    assert eth0.addresses[0].cidr == "192.168.1.10/24"
    assert eth0.addresses[0].kind_words  # the class in words, for people
    (neigh,) = model.neighbours
    assert neigh.key == "192.168.1.11@eth0" and "node-2" in neigh.who
    assert _json(model)["neighbours"][0]["is"] == neigh.who  # renamed for JSON


def test_host_without_node_state_says_so():
    model = present_pane("host", Observed(local_node="n"), Selection())
    assert not model.has_kernel_state and model.errors


# -- dns ---------------------------------------------------------------------------------------

def test_dns_names_follow_the_namespace_and_corefile_lines_are_words():
    every = present_pane("dns", observed(), Selection())
    shop = present_pane("dns", observed(), Selection(namespace="shop"))
    assert {n.namespace for n in every.names} >= {"web", "shop"}
    assert shop.names and {n.namespace for n in shop.names} == {"shop"}
    cart = [n for n in shop.names if n.fqdn == "cart.shop.svc.cluster.local." and n.qtype == "A"]
    assert cart and cart[0].answers == ("10.96.0.7",)
    kinds = {line.kind for line in every.corefile_lines}
    assert "title" in kinds and every.corefile_lines[0].text.startswith("Corefile from")
    assert "corefile_lines" not in _json(every)  # drawn, not part of the contract
    assert _json(every)["names"][0]["type"] in ("A", "AAAA", "SRV", "PTR", "CNAME")
    assert every.node_resolv_conf is not None and every.node_resolv_conf.options == {"ndots": 5, "edns0": True}


# -- ingress -----------------------------------------------------------------------------------

def test_ingress_rows_know_where_enter_goes():
    model = present_pane("ingress", observed(), Selection())
    rows = {r.cells[1]: r for r in model.route_rows}
    assert rows["web/site-in"].trace == "web/site"
    assert rows["web/site-in"].cells[6] == "1 ready, 1 not"
    ghost = rows["shop/ghost-in"]
    assert ghost.trace is None and "does not exist" in ghost.why_not
    assert ghost.severity == "error" and ghost.cells[7].startswith("✗")


def test_ingress_namespace_narrows_the_drawn_rows_only():
    model = present_pane("ingress", observed(), Selection(namespace="web"))
    assert [r.cells[1] for r in model.route_rows] == ["web/site-in"]
    assert len(model.rules) == 3  # the JSON keeps the whole route table
    assert _json(model)["rules"][0]["class"] == "nginx"


def _tested(url):
    from k8snet_tui.collect.session import SnapshotSession
    from k8snet_tui.domain.routes import route_url
    from k8snet_tui.present.ingress import result_lines
    from k8snet_tui.sources.snapshot import load_snapshot

    cluster = SnapshotSession(load_snapshot("lab")).observed().cluster
    lines = result_lines(route_url(cluster, url), url)
    return lines, {(line.kind, line.label): line for line in lines}


def test_route_result_in_words_names_the_rule_the_service_and_its_endpoints():
    _, lines = _tested(f"{LAB_INGRESS}/engine")  # the lab's Ingress through Emissary
    assert lines[("status", "Status")].text == "✓ routed" and "ready endpoint" in lines[("status", "Status")].note
    assert lines[("row", "Entry")].text == "emissary/emissary-ingress:80"
    assert lines[("row", "Rule")].text == "Ingress default/web-ingress  /engine Prefix"
    assert lines[("row", "Upstream")].text == "the pod receives the path /"  # Emissary's default rewrite
    assert lines[("row", "Service")].text == "default/engine:80" and "enter" in lines[("row", "Service")].note
    engine = roles.engine_pod()  # the engine Deployment's one pod
    assert lines[("row", "Endpoints")].text == f"{roles.pod_ip(engine)}:80"
    assert lines[("row", "Pods")].text == engine


def test_route_result_for_no_rule_says_why_each_candidate_lost():
    lines, by_kind = _tested(f"{LAB_INGRESS}/nope")
    assert by_kind[("status", "Status")].text == "✗ 404 no route"
    assert by_kind[("row", "Rule")].text.startswith("none matched")
    lost = [line.text for line in lines if line.kind == "no"]
    assert lost and all(" — " in text for text in lost) and not [line for line in lines if line.kind == "yes"]
    assert [line.text for line in lines if line.kind == "heading"] == ["Candidates (2)", "Findings (0)"]


def test_url_error_in_words():
    from k8snet_tui.present.ingress import url_error_lines

    lines = url_error_lines("ht!tp://[", "scheme", "must be http or https")
    assert [(line.label, line.text) for line in lines if line.kind == "row"] == [
        ("typed", "ht!tp://["), ("wrong", "the scheme"), ("why", "must be http or https")]
    assert lines[0].kind == "status" and lines[-1].text.startswith("A URL looks like")


# -- internet ----------------------------------------------------------------------------------

def test_internet_without_cloud_facts():
    model = present_pane("internet", Observed(nodes={"n": NodeState(node="n")}, local_node="n"), Selection())
    assert model.public_ipv4 == "" and model.status


def test_a_resolv_conf_option_in_unicode_digits_stays_text_not_a_crash():
    from dataclasses import replace

    from .fixtures import NODE

    base = observed()
    odd = replace(NODE, resolv_conf="nameserver 10.96.0.10\noptions ndots:² timeout:3\n")
    model = present_pane("dns", Observed(cluster=base.cluster, nodes={"node-1": odd}, local_node="node-1"),
                         Selection())
    assert model.node_resolv_conf is not None
    assert model.node_resolv_conf.options["timeout"] == 3
    assert model.node_resolv_conf.options["ndots"] == "²"

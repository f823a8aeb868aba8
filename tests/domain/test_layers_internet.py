"""Cloud facts, snapshot cloud.json, and the NAT explanation of the internet view."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from k8snet_tui.domain.layers import CloudFacts, Outbound, build_internet_view, cloud_facts_from_json
from k8snet_tui.domain.model import ClusterState, NodeState

ENS5 = {"ifindex": 2, "ifname": "ens5", "link_type": "ether", "operstate": "UP",
        "addr_info": [{"family": "inet", "local": "172.31.24.84", "prefixlen": 20, "scope": "global"}]}
NODE = NodeState(node="ip-172-31-24-84", addresses=(ENS5,))


def test_lab_snapshot_one_to_one_nat():
    facts = cloud_facts_from_json({"provider": "aws", "public_ipv4": "18.185.35.194",
                                   "outbound_ipv4": "18.185.35.194"})
    view = build_internet_view(facts, NODE, None)
    assert (view.status, view.provider_name, view.nat) == ("ok", "Amazon Web Services", "1:1")
    assert "18.185.35.194" in view.nat_words and view.public_on_interface is False
    assert "172.31.24.84" in view.nat_words  # the private side, from ens5 when the cloud did not say
    assert view.host_addresses == ("ens5 172.31.24.84/20 rfc1918",)


def test_different_outbound_address_is_snat():
    facts = CloudFacts(status="ok", provider="gcp", public_ipv4="34.1.2.3",
                       outbound=Outbound(status="ok", ipv4="35.9.9.9"))
    view = build_internet_view(facts, NODE, None)
    assert view.nat == "snat" and "35.9.9.9" in view.nat_words


def test_outbound_only_is_snat_and_public_on_interface_is_no_nat():
    only_out = CloudFacts(status="no-answer", outbound=Outbound(status="ok", ipv4="35.9.9.9"))
    assert build_internet_view(only_out, NODE, None).nat == "snat"
    on_iface = NodeState(node="n", addresses=({**ENS5, "addr_info": [
        {"family": "inet", "local": "18.185.35.194", "prefixlen": 24}]},))
    view = build_internet_view(CloudFacts(status="ok", provider="aws", public_ipv4="18.185.35.194"), on_iface, None)
    assert view.nat == "none" and view.public_on_interface


@pytest.mark.parametrize("status, words", [
    ("not-looked-up", "not looked up yet"),
    ("offline", "offline"),
    ("no-answer", "no cloud metadata service answered"),
    ("unexpected", "unexpected answer"),
])
def test_states_in_words(status, words):
    view = build_internet_view(CloudFacts(status=status, public_ipv4="1.2.3.4", provider="aws"), None, None)
    assert words in view.status_words
    assert view.public_ipv4 == "" and view.provider == ""  # facts are shown only from an answer


def test_none_means_not_looked_up():
    assert build_internet_view(None, None, None).status == "not-looked-up"


def test_node_external_ip_from_the_api():
    cluster = ClusterState.from_objects([{"kind": "Node", "metadata": {"name": "ip-172-31-24-84"},
                                          "status": {"addresses": [{"type": "ExternalIP", "address": "18.185.35.194"}]}}])
    assert build_internet_view(None, NODE, cluster).node_external_ips == ("18.185.35.194",)


@pytest.mark.parametrize("doc, problem", [
    ({"provider": "aws", "public_ipv4": "<html>oops</html>"}, "public_ipv4"),
    ({"provider": "aws", "public_ipv4": "10.0.0.1/8"}, "public_ipv4"),
    ({"provider": "digitalocean", "public_ipv4": "1.2.3.4"}, "provider"),
    ({"provider": "aws", "public_ipv4": 12345}, "public_ipv4"),
])
def test_snapshot_garbage_is_unexpected(doc, problem):
    facts = cloud_facts_from_json(doc)
    assert facts.status == "unexpected" and problem in facts.detail
    assert build_internet_view(facts, NODE, None).public_ipv4 == ""  # never shown as fact


def test_snapshot_outbound_garbage_spoils_only_the_outbound():
    facts = cloud_facts_from_json({"provider": "aws", "public_ipv4": "1.2.3.4", "outbound_ipv4": "nope"})
    assert facts.status == "ok" and facts.outbound.status == "unexpected" and facts.outbound.ipv4 == ""


def test_snapshot_round_trip_and_non_object():
    facts = CloudFacts(status="ok", provider="azure", public_ipv4="20.1.2.3", private_ipv4="10.1.0.4",
                       region="westeurope", zone="1", instance_id="abc", source="metadata",
                       outbound=Outbound(status="ok", ipv4="20.1.2.3", source="http://127.0.0.1/"))
    assert cloud_facts_from_json(json.loads(json.dumps(facts.to_json()))) == facts
    assert cloud_facts_from_json(["not", "a", "dict"]).status == "unexpected"
    assert cloud_facts_from_json({}).status == "no-answer"


@given(st.dictionaries(st.sampled_from(["provider", "public_ipv4", "outbound_ipv4", "status", "outbound",
                                        "private_ipv4", "region"]),
                       st.none() | st.integers() | st.text(max_size=20) | st.lists(st.text(max_size=5), max_size=2)
                       | st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2)))
def test_snapshot_reader_never_raises_and_never_trusts_non_ips(doc):
    facts = cloud_facts_from_json(doc)
    for value in (facts.public_ipv4, facts.private_ipv4, facts.outbound.ipv4):
        assert value == "" or value.count(".") == 3
    json.dumps(build_internet_view(facts, NODE, None).to_json())

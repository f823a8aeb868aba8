"""What-if keys on the Services trace, driven by keys at 80x24 on the bundled lab: `r` pretend
requests (seeded: the same presses give the same pod), `x` a pretend deletion of the endpoint's pod."""

from __future__ import annotations

import re

from tests import lab_roles as roles
from tests.ui.conftest import screen_text, screen_words, settle


def toast_words(app) -> str:
    """The words of the toasts: what is right of a toast's left edge (▌) on each row."""
    parts = [line.rsplit("▌", 1)[1] for line in screen_text(app).splitlines() if "▌" in line]
    return " ".join(w for p in parts for w in p.split() if w.strip("▎▁"))


async def open_website_trace(pilot) -> None:
    await settle(pilot)
    await pilot.press("down", "down", "down", "enter")  # engine, headlesswebsite, kubernetes, website
    await settle(pilot)
    assert "Trace default/website" in screen_text(pilot.app)


async def to_endpoint(pilot, address: str) -> None:
    for _ in range(60):
        if f"on endpoint {address}" in screen_words(pilot.app):
            return
        await pilot.press("down")
        await pilot.pause()
    raise AssertionError(f"no endpoint line for {address}:\n{screen_text(pilot.app)}")


def _moves(chain: str, contains: str) -> str:
    """`CHAIN #N [P -> P+1 pkts]`: the lab's rule of `chain` holding `contains`, one request later."""
    number, packets = roles.chain_rule(chain, contains)
    return f"{chain} #{number} [{packets} -> {packets + 1} pkts]"


async def test_r_sends_a_pretend_request_and_names_the_pod_and_the_counters(make_lab_app):
    cluster_ip, client = roles.cluster_ip("default", "website"), roles.client()
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_website_trace(pilot)
        assert "r Request?" in screen_text(app) and "x Delete?" in screen_text(app)  # in the footer
        await pilot.press("r")
        await settle(pilot)
        words = screen_words(app)
        assert "WHAT IF (computed: nothing is sent, nothing is deleted)" in words
        assert f"from the client pod {client} ({roles.pod_ip(client)}) to {cluster_ip}:80" in words
        answer = re.search(r"request #1: answered by (default/website-\S+) at ([\d.]+):80 \(random pick", words)
        assert answer, words
        pod_ref, address = answer.groups()
        assert roles.pod_ip(pod_ref) == address and address in roles.endpoint_addresses("default", "website")
        svc_chain, sep_chain = roles.svc_chain("default", "website", "http"), roles.sep_chain(address)
        # the counters that would move: the website rule of KUBE-SERVICES, the jump to the answering
        # pod's SEP chain, that chain's DNAT, each one packet more than the lab's captured counter
        assert _moves("KUBE-SERVICES", '"default/website:http cluster IP"') in words
        assert _moves(svc_chain, f"-j {sep_chain}") in words
        assert _moves(sep_chain, f"-j DNAT --to-destination {address}:80") in words
        await pilot.press("m")  # 100 more
        await settle(pilot)
        assert "after 101 requests" in screen_words(app)
        await pilot.press("escape")
        await settle(pilot)
        assert "WHAT IF" not in screen_text(app) and "Trace default/website" in screen_text(app)
        await pilot.press("r")  # the same seed: the same first answer
        await settle(pilot)
        assert f"request #1: answered by {pod_ref} at {address}:80" in screen_words(app)


def _replica_set(pod_ref: str) -> str:
    (owner,) = [o for o in roles.pod(pod_ref)["metadata"]["ownerReferences"] if o["kind"] == "ReplicaSet"]
    return str(owner["name"])


async def test_x_on_an_endpoint_predicts_the_rules_after_its_pod_is_deleted(make_lab_app):
    # kube-proxy lists website's three endpoints with probabilities 1/3, 1/2, rest: deleting the
    # second one's pod leaves the first at 1/2
    first, second, _third = roles.svc_endpoints_in_rule_order("default", "website", "http")
    kept, deleted = roles.pod_with_ip(first), roles.pod_with_ip(second)
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_website_trace(pilot)
        await to_endpoint(pilot, f"{second}:80")
        await pilot.press("x")
        await settle(pilot)
        words = screen_words(app)
        assert f"what if pod {deleted} is deleted" in words
        assert "WHAT IF (computed: nothing is sent, nothing is deleted)" in words
        assert f"(service chain {roles.svc_chain('default', 'website', 'http')}): 3 -> 2 endpoints" in words
        assert f"- {second}:80 {deleted} {roles.sep_chain(second)}: gone" in words
        assert (f"~ {first}:80 {kept} {roles.sep_chain(first)}: "
                "1/3 (probability 0.33333333349) -> 1/2 (probability 0.50000000000)") in words
        assert f"ReplicaSet {_replica_set(deleted)} creates a replacement pod" in words
        # the replacement's address said as the lab sees it: a different one, from its node's pod
        # CIDR, and the Service's endpoints follow it (not "a new address" with nothing about where)
        assert ("a new pod usually gets a different address, from the pod CIDR of the node it runs on, "
                "and the Service's endpoints follow it once it is ready") in words
        await pilot.press("escape")
        await settle(pilot)
        assert "WHAT IF" not in screen_text(app)
        assert f"on endpoint {second}:80" in screen_words(app)  # back on the same trace line


async def test_x_off_an_endpoint_says_where_to_go_and_the_table_has_no_what_if_keys(make_lab_app):
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "Request?" not in screen_text(app)
        await pilot.press("x", "r")  # on the table: nothing happens
        await settle(pilot)
        assert "WHAT IF" not in screen_text(app)
        await pilot.press("down", "down", "down", "enter")
        await settle(pilot)
        await pilot.press("x")  # the first line of a trace is no endpoint
        await settle(pilot)
        assert "what if move the cursor to an endpoint line (⇒) with a pod first" in toast_words(app)

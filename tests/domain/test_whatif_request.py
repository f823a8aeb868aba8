"""What-if "send a request": seeded picks that follow the node's datapath, affinity, moved rules.

The tolerance: over 3,000 seeded requests the per-endpoint counts must pass Pearson's chi-square
test against the datapath's shares at p = 0.001 (critical values for k-1 degrees of freedom
below), with the seed fixed, so the test is deterministic and a wrong picker fails it.
"""

import json
from dataclasses import replace
from pathlib import Path

import pytest
from test_services_trace import NODE, lab_cluster, lab_node

from k8snet_tui.domain.model import NodeState
from k8snet_tui.domain.services import PathEndpoint, trace_service
from k8snet_tui.domain.whatif import Request, send_requests
from k8snet_tui.domain.whatif.request import HOW_AFFINITY, HOW_RANDOM, HOW_ROUND_ROBIN, chi_square

FIX = Path(__file__).parent / "fixtures" / "datapath"
# chi-square critical values at p = 0.001, by degrees of freedom
CRITICAL = {1: 10.828, 2: 13.816, 3: 16.266, 4: 18.467, 5: 20.515}
N = 3000


def _requests(n=N, clients=None):
    return [Request(f"10.9.{i % 250 // 10}.{i % 250}" if clients is None else clients, float(i)) for i in range(n)]


def website_port(node=None):
    t = trace_service(lab_cluster(), node or lab_node(), "default", "website")
    return t.backend, t.ports[0]


def test_iptables_shares_match_the_statistic_rules():
    backend, port = website_port()
    run = send_requests(port, backend, _requests(), seed=7, service="default/website")
    assert run.scheduler == "statistic random" and run.lost == 0
    assert sum(t.count for t in run.tally) == N
    assert [t.address for t in run.tally] == ["10.0.0.177", "10.0.0.1", "10.0.0.202"]
    stat = chi_square(run)
    print(f"chi-square {stat:.2f} over {N} requests (critical {CRITICAL[2]} at p=0.001)")
    assert stat < CRITICAL[2]
    assert all(a.how == HOW_RANDOM for a in run.answers)


def test_the_same_seed_gives_the_same_answers_and_another_seed_others():
    backend, port = website_port()
    a = send_requests(port, backend, _requests(200), seed=1)
    b = send_requests(port, backend, _requests(200), seed=1)
    c = send_requests(port, backend, _requests(200), seed=2)
    assert [x.address for x in a.answers] == [x.address for x in b.answers]
    assert [x.address for x in a.answers] != [x.address for x in c.answers]


def test_uneven_shares_are_followed_and_a_uniform_picker_would_fail():
    backend, port = website_port()
    path = port.paths[0]
    shares = (0.6, 0.3, 0.1)
    uneven = replace(path, endpoints=tuple(replace(e, share=s) for e, s in zip(path.endpoints, shares, strict=True)))
    port = replace(port, paths=(uneven, *port.paths[1:]))
    run = send_requests(port, backend, _requests(), seed=3)
    assert chi_square(run) < CRITICAL[2]
    counts = [t.count for t in run.tally]
    assert counts[0] > counts[1] > counts[2]
    # the same counts judged against equal shares fail the test: it can tell pickers apart
    even = sum(((c - N / 3) ** 2) / (N / 3) for c in counts)
    assert even > CRITICAL[2]


def test_the_moved_rules_are_the_entry_the_pick_and_the_dnat():
    backend, port = website_port()
    run = send_requests(port, backend, _requests(30), seed=5)
    for a in run.answers:
        chains = [m.chain for m in a.moved]
        assert chains == ["KUBE-SERVICES", "KUBE-SVC-RYQJBQ5TR32XWAUN", a.chain]
        pick, dnat = a.moved[1], a.moved[2]
        assert pick.text.endswith(f"-j {a.chain}")
        assert ("statistic" in pick.text) == (pick.index != 4)  # the last rule takes the rest
        assert dnat.text.endswith(f"--to-destination {a.address}:{a.port}")
        assert all(m.packets is not None for m in a.moved)
    ext = send_requests(port, backend, _requests(5), seed=5, path="external")
    assert ext.entry == "node port 31100"
    assert [m.chain for m in ext.answers[0].moved][:4] == ["KUBE-NODEPORTS", "KUBE-EXT-RYQJBQ5TR32XWAUN",
                                                           "KUBE-EXT-RYQJBQ5TR32XWAUN", "KUBE-SVC-RYQJBQ5TR32XWAUN"]


def test_client_ip_affinity_keeps_a_client_on_its_pod_until_the_timeout():
    backend, port = website_port()
    one = [Request("10.9.0.1", float(t)) for t in range(0, 100, 5)]  # every 5 s
    run = send_requests(port, backend, one, seed=11, affinity_seconds=10)
    assert run.affinity_seconds == 10
    assert len({a.address for a in run.answers}) == 1
    assert [a.how for a in run.answers] == [HOW_RANDOM] + [HOW_AFFINITY] * (len(one) - 1)
    # past the timeout (counted from the last request) the next one is a new random pick
    gaps = [Request("10.9.0.1", t * 30.0) for t in range(40)]
    gapped = send_requests(port, backend, gaps, seed=11, affinity_seconds=10)
    assert all(a.how == HOW_RANDOM for a in gapped.answers)
    assert len({a.address for a in gapped.answers}) > 1
    # many clients still spread by the shares
    spread = send_requests(port, backend, _requests(), seed=11, affinity_seconds=10800)
    assert chi_square(spread) < CRITICAL[2]
    # without affinity one client is spread too
    free = send_requests(port, backend, _requests(300, clients="10.9.0.1"), seed=11)
    assert len({a.address for a in free.answers}) == 3


def test_nftables_numgen_and_ipvs_round_robin():
    nft = NodeState(node=NODE, nft_ruleset=json.loads((FIX / "nft-kube-proxy-map.json").read_text()))
    backend, port = website_port(nft)
    assert backend == "nftables"
    run = send_requests(port, backend, _requests(), seed=9)
    assert run.scheduler == "numgen random" and chi_square(run) < CRITICAL[2]
    assert all(a.moved and a.moved[0].chain == "service-ips" for a in run.answers[:5])
    assert not any(m.packets is not None for a in run.answers for m in a.moved)

    ipvs = NodeState(node=NODE, ipvsadm=(FIX / "ipvsadm-Ln.txt").read_text())
    backend, port = website_port(ipvs)
    run = send_requests(port, backend, _requests(9), seed=9)
    assert run.scheduler == "IPVS rr"  # the fixture's scheduler: strict turns, no draw
    assert all(a.how == HOW_ROUND_ROBIN for a in run.answers)
    assert [t.count for t in run.tally] == [3, 3, 3]
    assert [a.address for a in run.answers[:3]] == [t.address for t in run.tally]


def test_dropped_paths_lose_requests():
    backend, port = website_port()
    path = port.paths[0]
    dead = replace(path, endpoints=(), rejected=1.0)
    run = send_requests(replace(port, paths=(dead,)), backend, _requests(10), seed=1)
    assert run.lost == 10 and {a.how for a in run.answers} == {"rejected"}
    assert all(a.address == "" for a in run.answers)


def test_no_path_is_no_answer():
    backend, port = website_port()
    run = send_requests(replace(port, paths=()), backend, _requests(3), seed=1)
    assert run.answers == () and run.lost == 3


@pytest.mark.parametrize("pe", [PathEndpoint("10.1.1.1", 80, None, 1.0, None, None, None, None)])
def test_single_endpoint_takes_everything(pe):
    backend, port = website_port()
    only = replace(port.paths[0], endpoints=(pe,))
    run = send_requests(replace(port, paths=(only,)), backend, _requests(50), seed=1)
    assert {a.address for a in run.answers} == {"10.1.1.1"}

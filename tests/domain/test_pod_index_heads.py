"""The pod index reads the usual pod straight and anything else through dig(): the same entries.

`endpoints._pod_index` keys pods by "ns/name" and by address (first wins, host-network pods
skipped). It reads a pod of plain dicts and string fields without dig(); every other shape goes
through `_index_pod`, the dig() reading. Here both readings are compared on generated pods of
every shape a hostile snapshot could give (wrong types, nulls, missing fields, host network,
duplicates), as whole pods and as the deferred heads, entry for entry and in order.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from k8snet_tui.domain.datapath import endpoints
from k8snet_tui.domain.model import ClusterState

ODD = st.sampled_from([None, "", 0, 7, 1.5, True, False, [], {}, ["10.0.0.1"], {"ip": "10.0.0.1"}])
NAMES = st.one_of(st.sampled_from(["a", "b", "web-0", ""]), ODD)
ADDRS = st.one_of(st.sampled_from(["10.0.0.1", "10.0.0.2", "fd00::1", ""]), ODD)


def maybe(strategy):
    return st.one_of(st.just(KeyError), strategy)  # KeyError: the field is left out


def build(parts: dict) -> dict:
    return {k: v for k, v in parts.items() if v is not KeyError}


IPS = st.one_of(ODD, st.lists(st.one_of(ODD, st.builds(lambda a: build({"ip": a}), maybe(ADDRS))), max_size=3))
META = st.one_of(ODD, st.builds(lambda ns, name: build({"namespace": ns, "name": name}), maybe(NAMES), maybe(NAMES)))
SPEC = st.one_of(ODD, st.builds(lambda hn: build({"hostNetwork": hn}), maybe(st.one_of(st.booleans(), ODD))))
STATUS = st.one_of(ODD, st.builds(lambda ip, ips: build({"podIP": ip, "podIPs": ips}), maybe(ADDRS), maybe(IPS)))
PODS = st.builds(lambda meta, spec, status: build({"kind": "Pod", "metadata": meta, "spec": spec, "status": status}),
                 maybe(META), maybe(SPEC), maybe(STATUS))


def by_dig(pods: list) -> tuple[list, list]:
    by_key: dict = {}
    by_ip: dict = {}
    for i, pod in enumerate(pods):
        endpoints._index_pod(by_key, by_ip, i, pod)
    return list(by_key.items()), list(by_ip.items())


@settings(max_examples=500, deadline=None)
@given(st.lists(PODS, max_size=12))
def test_the_pod_index_reads_every_pod_as_dig_does(pods: list) -> None:
    by_key, by_ip = endpoints._pod_index(ClusterState.from_objects([]), None, pods)
    assert (list(by_key.items()), list(by_ip.items())) == by_dig(pods)


def test_the_usual_pod_and_its_odd_neighbours() -> None:
    pods = [
        {"metadata": {"namespace": "ns", "name": "a"}, "spec": {}, "status": {"podIP": "10.0.0.1",
                                                                          "podIPs": [{"ip": "10.0.0.1"}, {"ip": "fd00::1"}]}},
        {"metadata": {"namespace": "ns", "name": "b"}, "spec": {"hostNetwork": True}, "status": {"podIP": "10.0.0.9"}},
        {"metadata": {"namespace": "ns", "name": "c"}, "status": {"podIP": 7, "podIPs": [{"ip": True}, "x"]}},
        {"metadata": {"namespace": 3, "name": "d"}, "status": {"podIP": "10.0.0.1"}},
        {"metadata": {"namespace": "ns", "name": "e"}},
        {"metadata": {"namespace": "ns", "name": "f"}, "spec": {"hostNetwork": 1}, "status": {"podIP": "10.0.0.6"}},
    ]
    by_key, by_ip = endpoints._pod_index(ClusterState.from_objects([]), None, pods)
    assert by_key == {"ns/a": 0, "ns/b": 1, "ns/c": 2, "3/d": 3, "ns/e": 4, "ns/f": 5}
    assert by_ip == {"10.0.0.1": 0, "fd00::1": 0, "7": 2, "10.0.0.6": 5}  # (only True is host network)
    assert (list(by_key.items()), list(by_ip.items())) == by_dig(pods)

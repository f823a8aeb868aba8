"""The plain-data model: `dig` degrades malformed objects to defaults; ClusterState groups and looks up."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from k8snet_tui.domain.model import ClusterState, NodeState, Observed, dig, dig_dict, dig_list, dig_str, key_of

SVC = {"kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
       "spec": {"ports": [{"port": 80}, {"port": 443}], "clusterIP": "10.96.0.7"}}


def test_dig_walks_dicts_and_lists() -> None:
    assert dig(SVC, "spec", "ports", 1, "port") == 443
    assert dig(SVC, "spec", "ports", -1, "port") == 443
    assert dig(SVC, "spec", "ports", 2, "port", default="?") == "?"
    assert dig(SVC, "spec", "clusterIP", "x") is None  # a string is not a dict
    assert dig({"a": None}, "a", default=5) == 5


def test_typed_digs_refuse_the_wrong_type() -> None:
    bad = {"spec": {"ports": "80", "selector": ["x"]}, "metadata": {"name": 7, "namespace": True}}
    assert dig_list(bad, "spec", "ports") == []
    assert dig_dict(bad, "spec", "selector") == {}
    assert dig_str(bad, "metadata", "name") == "7"
    assert dig_str(bad, "metadata", "namespace") == ""  # a bool is not a name


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda c: st.lists(c) | st.dictionaries(st.text(), c), max_leaves=20),
       st.lists(st.text() | st.integers(), max_size=5))
def test_dig_never_raises(obj, path) -> None:
    dig(obj, *path)
    assert isinstance(dig_list(obj, *path), list)
    assert isinstance(dig_dict(obj, *path), dict)
    assert isinstance(dig_str(obj, *path), str)


def test_cluster_state_groups_by_kind_and_drops_kindless_objects() -> None:
    pod = {"kind": "Pod", "metadata": {"name": "p", "namespace": "shop"}}
    node = {"kind": "Node", "metadata": {"name": "n1"}}
    state = ClusterState.from_objects([SVC, pod, node, {"metadata": {"name": "x"}}, "junk", {"kind": 3}])
    assert set(state.objects) == {"Service", "Pod", "Node"}
    assert state.get("Service", "shop", "web") is SVC
    assert state.get("Service", "other", "web") is None
    assert key_of(pod) == "shop/p" and key_of(node) == "n1"


def test_in_namespace_uses_the_state_namespace_unless_given() -> None:
    a = {"kind": "Pod", "metadata": {"name": "a", "namespace": "one"}}
    b = {"kind": "Pod", "metadata": {"name": "b", "namespace": "two"}}
    state = ClusterState.from_objects([a, b], namespace="one")
    assert state.in_namespace("Pod") == (a,)
    assert state.in_namespace("Pod", "two") == (b,)
    assert ClusterState.from_objects([a, b]).in_namespace("Pod") == (a, b)


def test_configmap_keeps_only_string_data() -> None:
    cm = {"kind": "ConfigMap", "metadata": {"name": "coredns", "namespace": "kube-system"},
          "data": {"Corefile": ".:53 {}", "n": 3}}
    state = ClusterState.from_objects([cm])
    assert state.configmap("kube-system", "coredns") == {"Corefile": ".:53 {}"}
    assert state.configmap("kube-system", "absent") == {}


def test_observed_local_falls_back_to_an_empty_node_with_an_error() -> None:
    n = NodeState(node="n1", resolv_conf="nameserver 10.96.0.10\n")
    assert Observed(nodes={"n1": n}, local_node="n1").local is n
    missing = Observed(nodes={"n1": n}, local_node="n2").local
    assert missing.node == "n2" and missing.errors and not missing.has_kernel_state

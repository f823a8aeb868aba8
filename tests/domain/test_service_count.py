"""A Service's endpoint count read off its slice objects is the count of its indexed endpoints.

`ServiceIndex.count` counts a Service's distinct addresses (and the ready ones) straight off the
EndpointSlice objects when nothing has indexed them yet (the Services pane counts every Service
and reads no more), and off the indexed endpoints (`index_slice`, `endpoint_conditions`) once
they are. Both readings are compared here on generated slices of every shape a hostile snapshot
could give: wrong types, nulls, missing fields, conditions of every kind.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from k8snet_tui.domain.model import ClusterState
from k8snet_tui.domain.service_index import service_index

ODD = st.sampled_from([None, "", 0, 1, 1.5, [], {}, "yes"])
FLAG = st.one_of(st.booleans(), ODD)
ADDR = st.one_of(st.sampled_from(["10.0.0.1", "10.0.0.2", "10.0.0.3", "fd00::1", ""]), ODD)


def drop(parts: dict) -> dict:
    return {k: v for k, v in parts.items() if v is not KeyError}


def maybe(strategy):
    return st.one_of(st.just(KeyError), strategy)


CONDITIONS = st.one_of(ODD, st.builds(lambda r, s, t: drop({"ready": r, "serving": s, "terminating": t}),
                                      maybe(FLAG), maybe(FLAG), maybe(FLAG)))
ENDPOINT = st.one_of(ODD, st.builds(lambda a, c: drop({"addresses": a, "conditions": c}),
                                    maybe(st.one_of(ODD, st.lists(ADDR, max_size=3))), maybe(CONDITIONS)))
SLICE = st.builds(lambda eps, i: drop({"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
                                       "metadata": {"name": f"web-{i}", "namespace": "default",
                                                    "labels": {"kubernetes.io/service-name": "web"}},
                                       "endpoints": eps}),
                  maybe(st.one_of(ODD, st.lists(ENDPOINT, max_size=4))), st.integers(0, 99))


@settings(max_examples=400, deadline=None)
@given(st.lists(SLICE, max_size=4))
def test_the_count_off_the_objects_is_the_count_of_the_indexed_endpoints(slices: list) -> None:
    off_objects = service_index(ClusterState.from_objects(slices)).count("default", "web")
    indexed = service_index(ClusterState.from_objects(slices))
    endpoints = indexed.endpoints("default", "web")  # indexes the slices: count reads them from here
    assert indexed.count("default", "web") == off_objects
    ready = {a for ep in endpoints if ep.conditions.ready for a in ep.addresses}
    assert (off_objects.ready, off_objects.total) == (len(ready), len({a for ep in endpoints for a in ep.addresses}))


def test_unset_and_odd_ready_flags_read_as_ready() -> None:
    eps = [{"addresses": ["10.0.0.1"], "conditions": {"ready": False}},
           {"addresses": ["10.0.0.2"], "conditions": {"ready": "false"}},
           {"addresses": ["10.0.0.3"]}, {"addresses": ["10.0.0.4"], "conditions": None},
           {"addresses": ["10.0.0.1", 7, ""], "conditions": {"ready": None}}, "x"]
    obj = {"kind": "EndpointSlice", "metadata": {"name": "w", "namespace": "default",
                                                 "labels": {"kubernetes.io/service-name": "web"}}, "endpoints": eps}
    count = service_index(ClusterState.from_objects([obj])).count("default", "web")
    assert (count.ready, count.total) == (4, 4)

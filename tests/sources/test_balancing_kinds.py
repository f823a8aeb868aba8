"""The balancing pane's kinds in the capture allow-list and the live read: what is kept (what
the pane reads) and what is not (a BGP peer's password, an event's other fields), and the field
selector that keeps other Events on the API server."""

from __future__ import annotations

import contextlib

from k8snet_tui.sources.allowlist import slim
from k8snet_tui.sources.kinds import BY_NAME
from k8snet_tui.sources.live_api import LiveApi


def test_bgp_peer_keeps_its_address_and_asns_but_never_its_password():
    peer = {"apiVersion": "metallb.io/v1beta2", "kind": "BGPPeer", "metadata": {"name": "tor", "namespace": "m"},
            "spec": {"peerAddress": "10.0.0.1", "peerASN": 65001, "myASN": 64512, "password": "s3cret",
                     "passwordSecret": {"name": "bgp-auth"}, "nodeSelectors": [{"matchLabels": {"rack": "a"}}]}}
    kept = slim(peer)
    assert kept is not None and kept["spec"] == {"peerAddress": "10.0.0.1", "peerASN": 65001, "myASN": 64512,
                                                 "nodeSelectors": [{"matchLabels": {"rack": "a"}}]}


def test_l2_status_and_event_keep_what_names_the_announcer():
    status = {"apiVersion": "metallb.io/v1beta1", "kind": "ServiceL2Status",
              "metadata": {"name": "l2-x", "namespace": "m", "annotations": {"a": "b"}},
              "status": {"node": "node-2", "serviceName": "web", "serviceNamespace": "shop",
                         "interfaces": [{"name": "eth0", "extra": 1}]}}
    kept = slim(status)
    assert kept is not None and kept["status"] == {"node": "node-2", "serviceName": "web", "serviceNamespace": "shop",
                                                   "interfaces": [{"name": "eth0"}]}
    assert "annotations" not in kept["metadata"]
    event = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e", "namespace": "shop", "labels": {"x": "y"}},
             "involvedObject": {"kind": "Service", "namespace": "shop", "name": "web", "uid": "u", "fieldPath": "f"},
             "reason": "nodeAssigned", "message": 'announcing from node "node-2" with protocol "layer2"',
             "related": {"kind": "Pod"}, "series": {"count": 3}, "source": {"component": "metallb-speaker", "host": "h"}}
    kept = slim(event)
    assert kept is not None
    assert kept["involvedObject"] == {"kind": "Service", "namespace": "shop", "name": "web"}
    assert kept["source"] == {"component": "metallb-speaker"} and "related" not in kept and "series" not in kept


def test_events_are_listed_and_watched_with_the_service_field_selector():
    calls = []

    class Api(LiveApi):
        def __init__(self):
            pass

        def _get(self, path, query, timeout):
            calls.append((path, dict(query)))
            raise RuntimeError("stop")

    kind = BY_NAME["Event"]
    for call in (lambda: Api().list_page(kind, None), lambda: Api().watch(kind, None, resource_version="1")):
        with contextlib.suppress(RuntimeError):  # the fake stops at the request
            call()
    assert [c[0] for c in calls] == ["/api/v1/events", "/api/v1/events"]
    assert all(c[1]["fieldSelector"] == "involvedObject.kind=Service" for c in calls)
    assert BY_NAME["IPAddressPool"].field_selector == ""  # the other kinds are listed whole

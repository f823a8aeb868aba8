"""A live session's first lists reach the screen without waiting for the app's tick: the store
tells the app when a kind is first listed, and the app refreshes once per burst.

The API is a fake `ClusterSource` in this process (lists from memory, watches that stay quiet);
the real watchers, store and app run as in `k8snet` live. The app's once-a-second tick is
switched off here, so rows can only come from the store's word.
"""

from __future__ import annotations

import threading
import time

from k8snet_tui import app as app_module
from k8snet_tui.app import K8snetApp, make_app
from k8snet_tui.collect.session import LiveSession
from k8snet_tui.config import Settings
from k8snet_tui.sources.ports import ListPage, WatchEvent

from tests.ui.conftest import screen_text, wait_for


def service(ns: str, name: str, ip: str) -> dict:
    return {"kind": "Service", "apiVersion": "v1",
            "metadata": {"name": name, "namespace": ns, "uid": f"uid-{ns}-{name}"},
            "spec": {"type": "ClusterIP", "clusterIP": ip, "clusterIPs": [ip],
                     "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}]}}


def endpoint_slice(ns: str, svc: str, *ips: str) -> dict:
    return {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
            "metadata": {"name": f"{svc}-abc", "namespace": ns, "uid": f"uid-es-{ns}-{svc}",
                         "labels": {"kubernetes.io/service-name": svc}},
            "addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
            "endpoints": [{"addresses": [ip], "conditions": {"ready": True}} for ip in ips]}


class QuietApi:
    """Lists from memory, the Services only once `release` is set; watches that stay quiet."""

    def __init__(self, objects: dict[str, list[dict]]) -> None:
        self.objects = objects
        self.release = threading.Event()
        self.calls: list[tuple[str, str]] = []  # (kind, "asked" | "answered"), in order

    def list_page(self, kind, namespace, *, limit, continue_token="", name="") -> ListPage:
        self.calls.append((kind.kind, "asked"))
        if kind.kind in ("Service", "EndpointSlice"):
            self.release.wait(30)
        self.calls.append((kind.kind, "answered"))
        return ListPage(list(self.objects.get(kind.kind, [])), "1", "")

    def watch(self, kind, namespace, *, resource_version, timeout_seconds, name=""):
        def events():
            end = time.monotonic() + timeout_seconds
            while time.monotonic() < end:
                time.sleep(0.05)
                yield WatchEvent("BOOKMARK", {"metadata": {"resourceVersion": resource_version}})
        return events()


async def test_the_first_lists_reach_the_screen_with_no_tick(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    monkeypatch.setattr(K8snetApp, "_tick", lambda self: None)  # rows may come only from the store's word
    api = QuietApi({"Service": [service("shop", "cart", "10.96.7.1"), service("shop", "checkout", "10.96.7.2")],
                    "EndpointSlice": [endpoint_slice("shop", "cart", "10.244.1.5", "10.244.2.6", "10.244.3.7")]})
    session = LiveSession(api, "fake", read_node=None, local_node="node-1")
    app = make_app(Settings(offline=True), session, start_pane="services")
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await pilot.pause(0.3)
        before = screen_text(app)
        assert "cart" not in before and "checkout" not in before  # nothing listed yet
        api.release.set()
        shown = await wait_for(pilot, app, "checkout")
        cart = next(line for line in shown.splitlines() if "cart" in line)
        assert "3/3" in cart, cart  # its slice's three ready endpoints
        app.exit(0)


async def test_the_services_and_their_slices_are_listed_before_the_other_kinds(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("K8SNET_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("K8SNET_OFFLINE", "1")
    monkeypatch.setattr(app_module, "FIRST_LISTS_WAIT_S", 30.0)  # no give-up while this test waits
    api = QuietApi({"Service": [service("shop", "cart", "10.96.7.1")],
                    "Pod": [{"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "p1", "namespace": "shop"},
                             "status": {"podIP": "10.244.1.5", "phase": "Running"}}]})
    session = LiveSession(api, "fake", read_node=None, local_node="node-1")
    app = make_app(Settings(offline=True), session, start_pane="services")
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await pilot.pause(0.5)
        asked = {kind for kind, what in api.calls if what == "asked"}
        assert asked == {"Service", "EndpointSlice"}  # every other list waits for these two
        api.release.set()
        await wait_for(pilot, app, "cart")
        for _ in range(100):
            if ("Pod", "answered") in api.calls:
                break
            await pilot.pause(0.05)
        calls = list(api.calls)
        pod_asked = calls.index(("Pod", "asked"))
        assert calls.index(("Service", "answered")) < pod_asked
        assert calls.index(("EndpointSlice", "answered")) < pod_asked
        app.exit(0)

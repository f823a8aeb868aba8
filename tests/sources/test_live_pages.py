"""Live list pages decoded typed into the store's shape (`LiveApi.list_page(..., slim=True)`, the
watchers' view) give the store exactly what the old way gave it: `json.loads`, `kind` and
`apiVersion` filled in, `managedFields` and the last-applied annotation dropped, `slim()` in
the store. Same objects, same resourceVersion and continue token, same failures, on the lab's
lists, a bench scale's, awkward pages and seeded random mutations.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from k8snet_tui.collect.session import LiveSession
from k8snet_tui.collect.store import Store
from k8snet_tui.collect.watch import KindWatcher
from k8snet_tui.sources import snapshot_decode
from k8snet_tui.sources.kinds import BY_NAME, KINDS
from k8snet_tui.sources.live_api import LiveApi, SlimPages
from k8snet_tui.sources.ports import ApiFailure
from k8snet_tui.sources.snapshot import bundled_lab_path

from bench.gen import generate
from tests.sources.test_snapshot_decode import AWKWARD, POD, RAW_AWKWARD, _paths, _random_value

_BY_PLURAL = {k.plural: k for k in KINDS}
MANAGED = [{"manager": "kubectl", "operation": "Update", "apiVersion": "v1", "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:labels": {}}}}]
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


class _Resp:
    def __init__(self, body: bytes) -> None:
        self.status, self.reason, self.body = 200, "OK", body

    def read(self) -> bytes:
        return self.body


class PageApi(LiveApi):
    """LiveApi whose HTTP answer is the page given: everything after the bytes is LiveApi's own."""

    def __init__(self) -> None:
        self.requests = 0
        self.plugin_error = ""
        self._loader = None
        self.body = b""

    def _get(self, path: str, query: list[tuple[str, str]], timeout: tuple[float, float]) -> Any:
        return _Resp(self.body)


def stored(api: PageApi, kind_name: str, body: bytes, slim: bool) -> tuple:
    """What the store keeps of one page, with the page's version and token, or the failure."""
    api.body = body
    kind = BY_NAME[kind_name]
    try:
        page = api.list_page(kind, None, slim=slim)
    except ApiFailure as exc:
        return ("failure", str(exc))
    store = Store()
    store.replace_kind(kind_name, page.items)
    return store.dump(), page.resource_version, page.continue_token


def same(kind: str, body: bytes | str) -> None:
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    api = PageApi()
    assert stored(api, kind, raw, slim=True) == stored(api, kind, raw, slim=False)


def page_of(items: list, kind: str = "PodList", meta: dict | None = None) -> str:
    return json.dumps({"kind": kind, "apiVersion": "v1",
                       "metadata": {"resourceVersion": "42", "continue": "tok"} if meta is None else meta,
                       "items": items})


def as_api_page(doc: dict, with_extras: bool = True) -> str:
    """A list as the API server pages it: no kind on the items, managedFields on every item."""
    items = []
    for item in doc.get("items", []):
        item = json.loads(json.dumps(item))
        item.pop("kind", None)
        item.pop("apiVersion", None)
        if with_extras and isinstance(item.get("metadata"), dict):
            item["metadata"]["managedFields"] = MANAGED
            item["metadata"].setdefault("annotations", {})[LAST_APPLIED] = json.dumps(item)[:200]
        items.append(item)
    return page_of(items, doc.get("kind") or "List")


def lab_lists() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted((bundled_lab_path() / "api").glob("*.json"))}


def test_the_labs_lists_as_api_pages_give_the_stores_objects(monkeypatch) -> None:
    taken = []
    real = snapshot_decode.decode_page
    monkeypatch.setattr("k8snet_tui.sources.live_api.decode_page",
                        lambda *a: taken.append(a[1]) or real(*a))
    for plural, doc in lab_lists().items():
        same(_BY_PLURAL[plural].kind, as_api_page(doc))
    # every kind the allow-list types was decoded the new way (ConfigMaps stay the old way)
    assert set(taken) >= {"Pod", "Service", "EndpointSlice", "Node", "Namespace", "DaemonSet"}


def test_typed_pages_hand_the_store_objects_it_keeps_as_they_are(monkeypatch) -> None:
    api = PageApi()
    api.body = as_api_page(lab_lists()["pods"]).encode()
    page = api.list_page(BY_NAME["Pod"], None, slim=True)
    assert page.items and all(type(o) is snapshot_decode.SlimObject for o in page.items)
    assert (page.resource_version, page.continue_token) == ("42", "tok")
    slims = []
    monkeypatch.setattr("k8snet_tui.collect.store.slim", lambda o: slims.append(o) or o)
    Store().replace_kind("Pod", page.items)
    assert slims == []  # no second slim() of what is slim already
    whole = api.list_page(BY_NAME["Pod"], None)  # other readers keep whole objects
    assert all(type(o) is dict and "managedFields" not in o["metadata"] for o in whole.items)


@pytest.mark.parametrize("scale", ["S"])
def test_a_bench_scales_lists_as_api_pages_give_the_stores_objects(scale) -> None:
    d = generate(scale)
    for plural in ("namespaces", "nodes", "pods", "services", "endpointslices"):
        doc = json.loads((d / "api" / f"{plural}.json").read_text())
        items = doc["items"]
        for start in range(0, len(items), 500):  # pages as the watcher asks for them
            same(_BY_PLURAL[plural].kind, as_api_page({**doc, "items": items[start:start + 500]}))


def _item(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}


PAGES = {
    **{f"snapshot: {name}": text for name, text in AWKWARD.items()},
    **{f"snapshot raw: {name}": text for name, text in RAW_AWKWARD.items()},
    "API page, items without kind": page_of([_item(POD)]),
    "a page with no metadata": page_of([_item(POD)], meta={}),
    "metadata null": page_of([_item(POD)]).replace('"metadata": {"resourceVersion": "42", "continue": "tok"}',
                                                   '"metadata": null'),
    "resourceVersion a number": page_of([_item(POD)], meta={"resourceVersion": 42}),
    "continue null": page_of([_item(POD)], meta={"resourceVersion": "1", "continue": None}),
    "empty continue": page_of([_item(POD)], meta={"resourceVersion": "1", "continue": ""}),
    "remainingItemCount": page_of([_item(POD)], meta={"resourceVersion": "1", "continue": "c",
                                                      "remainingItemCount": 7}),
    "items null": page_of([]).replace('"items": []', '"items": null'),
    "no items": json.dumps({"kind": "PodList", "metadata": {"resourceVersion": "3"}}),
    "apiVersion a number on an item": page_of([{**_item(POD), "apiVersion": 3}]),
    "an item apiVersion of its own": page_of([{**_item(POD), "apiVersion": "v9"}]),
    "managedFields and last-applied": page_of([{**_item(POD), "metadata": {
        **POD["metadata"], "managedFields": MANAGED, "annotations": {LAST_APPLIED: "{}", "linkerd.io/inject": "x"}}}]),
    "an error body with status 200": json.dumps({"kind": "Status", "code": 500, "message": "boom"}),
    "not JSON": "<html>",
    "a list of another kind's items": page_of([{"metadata": {"name": "s"}, "spec": {"clusterIP": "1.2.3.4"}}],
                                              kind="ServiceList"),
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_awkward_pages_give_the_same_objects_or_failure(name) -> None:
    same("Pod", PAGES[name])


def test_a_configmap_page_is_slimmed_by_name_as_before() -> None:
    doc = lab_lists()["configmaps"]
    same("ConfigMap", as_api_page(doc))
    assert snapshot_decode.decode_page(as_api_page(doc).encode(), "ConfigMap", "v1") is None


def test_random_mutations_of_the_labs_pages_give_the_same_objects() -> None:
    rng = random.Random(2205)
    docs = {p: d for p, d in lab_lists().items() if d.get("items")}
    for round_ in range(400):
        plural = rng.choice(sorted(docs))
        doc = json.loads(as_api_page(docs[plural], with_extras=rng.random() < 0.5))
        for _ in range(rng.randint(1, 3)):
            path = rng.choice(_paths(doc))
            cur: Any = doc
            for step in path[:-1]:
                cur = cur[step]
            if rng.random() < 0.15 and isinstance(cur, dict):
                del cur[path[-1]]
            else:
                cur[path[-1]] = _random_value(rng)
        api = PageApi()
        raw = json.dumps(doc).encode()
        kind = _BY_PLURAL[plural].kind
        assert stored(api, kind, raw, slim=True) == stored(api, kind, raw, slim=False), (round_, plural)


def test_a_live_sessions_watchers_read_slim_pages_and_other_readers_do_not() -> None:
    api = PageApi()
    session = LiveSession(api, "t", read_node=None, local_node="n1")
    watchers = [w for w in session.watchers if isinstance(w, KindWatcher)]
    assert watchers and {type(w.source) for w in watchers} == {SlimPages}
    assert session.watchers[0].source.source is api  # type: ignore[union-attr]
    assert session.pod_logs is api  # the log reader, the node agent reader: the client itself


def test_the_store_tells_of_each_kinds_first_list_once() -> None:
    store = Store()
    heard: list[str] = []
    store.on_listed(heard.append)
    store.replace_kind("Service", [])
    store.replace_kind("Service", [{"kind": "Service", "metadata": {"name": "a", "namespace": "d"}}])
    store.apply("Pod", "ADDED", {"kind": "Pod", "metadata": {"name": "p", "namespace": "d"}})
    store.replace_kind("ConfigMap", [], part="kube-proxy")
    store.replace_kind("ConfigMap", [], part="coredns")
    store.replace_kind("ConfigMap", [], part="kube-proxy")
    assert heard == ["Service", "ConfigMap", "ConfigMap"]

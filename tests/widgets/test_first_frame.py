"""The first frame on a big snapshot does not wait for its deferred lists: deciding whether a
pane's first build may run inline used to sum every kind's length, which decoded the deferred
pods and EndpointSlices on the UI thread (1.7 s at 30k pods) before anything was drawn."""

from __future__ import annotations

import threading

from k8snet_tui.screens import base
from k8snet_tui.screens.services import ServicesPane
from k8snet_tui.sources import snapshot_decode
from k8snet_tui.widgets.resource_table import ResourceTable

from tests.ui.conftest import screen_words, settle


async def test_no_deferred_list_is_decoded_on_the_ui_thread_at_start(make_lab_app, monkeypatch):
    monkeypatch.setattr(base, "INLINE_OBJECTS", 5)  # the lab counts as a big cluster
    decoded_on: list[str] = []
    whole = snapshot_decode.DeferredList.all

    def all_items(self):
        decoded_on.append(threading.current_thread().name)
        return whole(self)

    monkeypatch.setattr(snapshot_decode.DeferredList, "all", all_items)
    one = snapshot_decode.DeferredList._decode

    def one_item(self, index):  # the Services build decodes its slices one by one
        decoded_on.append(threading.current_thread().name)
        return one(self, index)

    monkeypatch.setattr(snapshot_decode.DeferredList, "_decode", one_item)
    app = make_lab_app()
    assert app.session.snapshot.cluster.deferred("Pod") is not None  # the lab's pods are deferred
    async with app.run_test(size=(120, 30)) as pilot:
        await app.query_one(ServicesPane).wait_built()
        await settle(pilot)
        assert app.query_one("#svc-table", ResourceTable).row_count == 3
        assert "website" in screen_words(app)
    assert decoded_on, "the Services build reads the slices (off the UI thread)"
    assert threading.main_thread().name not in decoded_on, decoded_on

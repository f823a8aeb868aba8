"""The guided lab on the real test cluster (kube-apiserver, kube-proxy, CoreDNS in network
namespaces): each answer names what the live API and node-1's kernel hold right now.

Expected values come from the cluster's API (the website Service's cluster IP and endpoints,
the kube-dns address) and from node-1's own rules (`iptables-save` in its namespace), never
from the bundled snapshot.
"""

from __future__ import annotations

import re

import pytest

from tests.cluster import live_reads
from tests.ui.conftest import screen_text, screen_words, settle

pytestmark = pytest.mark.cluster


@pytest.fixture
def live_lab_app(lab_cluster, monkeypatch, tmp_path):
    return live_reads.live_app(lab_cluster, monkeypatch, tmp_path)


async def until_words(pilot, app, want: list[str], timeout: float = 60.0) -> str:
    import time

    deadline = time.monotonic() + timeout
    while True:
        await settle(pilot)
        words = screen_words(app)
        if all(w in words for w in want):
            return words
        if time.monotonic() > deadline:
            raise AssertionError(f"never saw {want} on screen:\n{screen_text(app)}")
        await pilot.pause(0.5)


async def test_guided_lab_answers_from_the_live_cluster(lab_cluster, live_lab_app):
    svc = lab_cluster.api.get("/api/v1/namespaces/default/services/website")
    dns_ip = lab_cluster.api.get("/api/v1/namespaces/kube-system/services/kube-dns")["spec"]["clusterIP"]
    mode = lab_cluster.kube_proxy_mode or ""
    if mode.startswith("iptables"):
        dump = lab_cluster.iptables_save("node-1", mode.split("-", 1)[1])
        chain = re.search(r'--comment "default/website:http cluster IP" .* -j (KUBE-SVC-\w+)', dump).group(1)
        picks = ["p=0.33333333349"]  # three endpoints: 1/3, then 1/2 of the rest, then the rest
    else:
        table = lab_cluster.nft_kube_proxy_table("node-1")
        chain = re.search(r"chain (service-\w+-default/website/tcp/http) ", table).group(1)
        picks = ["33.3%"]
    app = live_lab_app
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"lab 2.1", "enter")
        # The Services table's header: at 80 columns with the lab panel open, the type column
        # gives way to the ones that answer the question.
        await until_words(pilot, app, ["LAB 2.1", f"cluster IP {svc['spec']['clusterIP']}",
                                        "namespace name", "endpoints"])
        await pilot.press("greater_than_sign")
        await until_words(pilot, app, ["LAB 2.2", chain, *picks])
        await pilot.press("colon", *"lab 3.2", "enter")
        await until_words(pilot, app, ["LAB 3.2", f"The pods ask {dns_ip}", "kube-system/kube-dns"])
        await pilot.press("colon", *"lab 1.1", "enter")
        words = await until_words(pilot, app, ["LAB 1.1", "Public address (cloud metadata service)"])
        assert "this snapshot holds no cloud metadata" not in words  # live: it says why, in live words

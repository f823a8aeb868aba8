"""The guided lab on the bundled lab, walked with keys: each stop's answer is on the screen.

What each answer must say is read from the lab snapshot's files (not written here), so the
test checks that the panel shows the data, and that the pane the stop names is the one shown.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from k8snet_tui.present.lab import STOPS

from tests import lab_roles as roles
from tests.ui.conftest import lab_answer_words, screen_text, screen_words, settle

LAB = Path(__file__).resolve().parents[2] / "k8snet_tui" / "data" / "lab"


def items(kind: str) -> list[dict]:
    doc = json.loads((LAB / "api" / f"{kind}.json").read_text())
    return doc["items"] if isinstance(doc, dict) else doc


def svc(name: str, ns: str = "default") -> dict:
    return next(s for s in items("services") if s["metadata"]["name"] == name and s["metadata"]["namespace"] == ns)


def expected() -> dict[str, list[str]]:
    """For each stop, words its answer must show, from the snapshot's own files."""
    cilium = next(c for c in items("configmaps") if c["metadata"]["name"] == "cilium-config")["data"]
    nodes = {n["metadata"]["name"]: n for n in items("nodes")}
    website = svc("website")
    dns_ip = svc("kube-dns", "kube-system")["spec"]["clusterIP"]
    gateway_np = next(p["nodePort"] for p in svc("emissary-ingress", "emissary")["spec"]["ports"] if p["port"] == 80)
    cloud = json.loads((LAB / "cloud.json").read_text()) if (LAB / "cloud.json").is_file() else None
    lb_ips = [i["ip"] for i in (svc("emissary-ingress", "emissary").get("status") or {}).get("loadBalancer", {})
              .get("ingress") or [] if i.get("ip")]  # empty while the lab's capture has it pending
    return {
        # with the capture's cloud facts, their public address; without, why it is not known
        "1.1": [f"Public address: {cloud['public_ipv4']}", cloud["private_ipv4"]] if cloud else ["no cloud metadata"],
        "1.2": [f"eth0 has {roles.node_ip(roles.captured_node())}/20", "RFC 1918"],
        "1.3": [cilium["cluster-pool-ipv4-cidr"], f"node-2 has {nodes['node-2']['spec']['podCIDR']}"],
        "1.4": [f"Tunnel: {cilium['tunnel']}, UDP 8472"],
        "2.1": [f"cluster IP {website['spec']['clusterIP']}"],
        "2.2": ["KUBE-SVC-RYQJBQ5TR32XWAUN", "p=0.33333333349", "→ 33.3%"],
        "2.3": ["Most packets"],
        "3.1": [f"nameserver {dns_ip}", "search default.svc.cluster.local", "costs 1 query"],
        "3.2": [f"The pods ask {dns_ip}", "kube-system/kube-dns"],
        "3.3": ["headlesswebsite.default.svc.cluster.local."],
        "4.1": [f"node port {website['spec']['ports'][0]['nodePort']}", "KUBE-EXT-RYQJBQ5TR32XWAUN"],
        "4.2": [f":{gateway_np}", "Mapping default/website"],
        **({"5.1": [f"EXTERNAL-IP {lb_ips[0]}"], "5.2": [f"answers for {lb_ips[0]}"], "5.3": ["Entering at"]}
           if lb_ips else {"5.1": ["emissary/emissary-ingress is <pending>", f"NodePort {gateway_np}"],
                           "5.2": ["it has no address yet"], "5.3": ["it has no address yet"]}),
        # the bundled lab has no mesh: step 6 says so (tests/ui/test_lab_mesh.py walks a meshed one)
        "6.1": ["No pod here is meshed"], "6.2": ["No pod here is meshed"], "6.3": ["No pod here is meshed"],
    }


PANE_TITLES = {"internet": "1 Internet", "host": "2 Host/VPC", "pods": "3 Pod network", "services": "4 Services",
               "dns": "5 DNS", "ingress": "6 Ingress", "balancing": "9 Balancing", "mesh": "0 Mesh"}


@pytest.mark.parametrize("size", [(80, 24)])
async def test_lab_walks_steps_one_to_four_with_keys(make_lab_app, size):
    want = expected()
    app = make_lab_app(snapshot="lab", lab=True)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        labels = []
        for i, spec in enumerate(STOPS):
            if i:
                await pilot.press("greater_than_sign")
            words = await lab_answer_words(pilot, app)
            label = next(w for w in want if f"LAB {w}" in words and w not in labels)
            labels.append(label)
            for fact in want[label]:
                assert fact in words, (label, fact, screen_text(app))
            assert PANE_TITLES[spec.pane] in screen_text(app).splitlines()[0], (label, screen_text(app))
        assert labels == list(want)
        await pilot.press("greater_than_sign")
        await settle(pilot)
        words = screen_words(app)
        assert "(coming)" not in words and "That was the lab's last question" in words
        await pilot.press("less_than_sign", "less_than_sign")
        await settle(pilot)
        assert "LAB 6.2" in screen_words(app)
        for line in screen_text(app).splitlines():
            assert len(line) <= size[0]


async def test_colon_lab_opens_a_stop_and_off_closes_it(make_lab_app):
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "LAB" not in screen_words(app)
        await pilot.press("colon", *"lab 3.2", "enter")
        await settle(pilot)
        words = screen_words(app)
        assert "LAB 3.2" in words and "kube-system/kube-dns" in words
        await pilot.press("colon", *"lab 9.9", "enter")
        await settle(pilot)
        assert "no stop '9.9'" in screen_words(app)
        await pilot.press("colon", *"lab off", "enter")
        await settle(pilot)
        assert "Whose address is the nameserver?" not in screen_words(app)


async def test_a_stop_puts_the_cursor_on_its_object(make_lab_app):
    # The by-hand strip is built for the selected row: it names the Service the stop selected.
    app = make_lab_app(snapshot="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("k", "colon", *"lab 2.1", "enter")
        await settle(pilot)
        words = screen_words(app)
        assert "LAB 2.1" in words and "CMDS" in words
        assert "$ kubectl get service -n default website -o wide" in words, screen_text(app)
